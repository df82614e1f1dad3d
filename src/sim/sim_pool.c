/* SPDX-License-Identifier: Apache-2.0 */
/* sim_pool.c - the simulator's pooling endpoints, in vLLM's JSON shapes:
 * POST /v1/embeddings (input: a string, a list of strings, token ids, or a
 * list of token id lists; or chat `messages`), /pooling, and /rerank,
 * /v1/rerank, /v2/rerank (query + documents).
 *
 * A pooling request goes through the same timing model as a generation with
 * zero output tokens: it waits for a batch slot, and its one answer is sent
 * a TTFT draw plus prompt_tokens / --prefill-tok-per-s after it started, so
 * latency grows with the input as on a real server, and every fault but the
 * mid-stream ones applies. The answer is rendered when the request is
 * admitted (into the connection's pool buffer, reused) and sent whole at
 * that time. Token counts use the sim's tokenizer (--tokenizer) or its word
 * count; a rerank document counts as query + document tokens, one pair per
 * document. Embedding vectors have --embedding-dim deterministic floats. */
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "sim/sim_internal.h"

static size_t count_text(sim_server *s, const char *t, size_t n)
{
    return s->o.count_tokens ? s->o.count_tokens(s->o.count_ctx, t, n)
                             : sim_count_words(NULL, t, n);
}

static int pool_api_of(sim_str p)
{
    if (sim_str_eq(p, "/v1/embeddings"))
        return SIM_API_EMBED;
    if (sim_str_eq(p, "/pooling"))
        return SIM_API_POOLING;
    if (sim_str_eq(p, "/rerank") || sim_str_eq(p, "/v1/rerank") || sim_str_eq(p, "/v2/rerank"))
        return SIM_API_RERANK;
    return -1;
}

/* Tokens of one embeddings input item: a string or a list of token ids. */
static int item_tokens(sim_server *s, json_t *v, size_t *n)
{
    if (json_is_string(v)) {
        *n = count_text(s, json_string_value(v), json_string_length(v));
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) == 0)
        return -1;
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        if (!json_is_integer(x))
            return -1;
    }
    *n = json_array_size(v);
    return 0;
}

/* `input` as vLLM takes it: one string, one id list, or a list of either.
 * Fills counts[] (one per embedded sequence) up to cap; returns how many. */
static long input_counts(sim_server *s, json_t *in, size_t *counts, size_t cap)
{
    if (json_is_string(in) || (json_is_array(in) && json_is_integer(json_array_get(in, 0))))
        return item_tokens(s, in, &counts[0]) == 0 ? 1 : -1;
    if (!json_is_array(in) || json_array_size(in) == 0 || json_array_size(in) > cap)
        return -1;
    size_t i;
    json_t *x;
    json_array_foreach(in, i, x)
    {
        if (item_tokens(s, x, &counts[i]) != 0)
            return -1;
    }
    return (long)i; /* the entries filled (all of them: jansson's foreach stops only at the end) */
}

/* Chat embeddings: the text of every message (string content or text parts). */
static long messages_count(sim_server *s, json_t *msgs, size_t *count)
{
    if (!json_is_array(msgs) || json_array_size(msgs) == 0)
        return -1;
    size_t i, j, n = 0;
    json_t *m, *part;
    json_array_foreach(msgs, i, m)
    {
        json_t *content = json_object_get(m, "content");
        if (json_is_string(content)) {
            n += count_text(s, json_string_value(content), json_string_length(content));
            continue;
        }
        if (!json_is_array(content))
            return -1;
        json_array_foreach(content, j, part)
        {
            json_t *t = json_object_get(part, "text");
            if (json_is_string(t))
                n += count_text(s, json_string_value(t), json_string_length(t));
        }
    }
    *count = n ? n : 1;
    return 1;
}

/* A deterministic value in (-1, 1) (embedding) or (0, 1) (relevance). */
static double pseudo(uint64_t seed, uint64_t i)
{
    uint64_t st = seed ^ (i * 0x9e3779b97f4a7c15ull);
    return (double)(sim_splitmix64(&st) >> 11) / 9007199254740992.0;
}

static json_t *usage(size_t prompt)
{
    return json_pack("{s:I, s:I}", "prompt_tokens", (json_int_t)prompt, "total_tokens",
                     (json_int_t)prompt);
}

/* One vector value in (-1, 1) with 6 decimals, written by hand: with real
 * dimensions (1024 floats per input) printf-style formatting would make the
 * sim, not the client, the bottleneck. */
static void put_value(sb_buf *b, double x)
{
    char t[16];
    size_t n = 0;
    if (x < 0) {
        t[n++] = '-';
        x = -x;
    }
    long m = (long)(x * 1e6);
    if (m > 999999)
        m = 999999;
    t[n++] = '0';
    t[n++] = '.';
    for (int i = 5; i >= 0; i--, m /= 10)
        t[n + (size_t)i] = (char)('0' + m % 10);
    sb_buf_append(b, t, n + 6);
}

/* EmbeddingResponse / PoolingResponse, one vector per input sequence,
 * written into the connection's pool buffer. */
static void embed_answer(sim_conn *c, long n_seq, size_t total)
{
    const sim_req *r = &c->req;
    bool pool = r->api == SIM_API_POOLING;
    sb_buf *b = &c->pool;
    /* the model name was checked at startup to need no JSON escaping */
    sb_buf_printf(
        b, "{\"id\":\"%s\",\"object\":\"list\",\"created\":%" PRIu64 ",\"model\":\"%s\",\"data\":[",
        r->id, r->created_s, sim_model_resp(c));
    for (long k = 0; k < n_seq; k++) {
        sb_buf_printf(b, "%s{\"index\":%ld,\"object\":\"%s\",\"%s\":[", k ? "," : "", k,
                      pool ? "pooling" : "embedding", pool ? "data" : "embedding");
        for (int d = 0; d < c->srv->o.embedding_dim; d++) {
            if (d)
                sb_buf_putc(b, ',');
            put_value(b, 2.0 * pseudo(r->text_seed + (uint64_t)k, (uint64_t)d) - 1.0);
        }
        sb_buf_puts(b, "]}");
    }
    sb_buf_printf(b,
                  "],\"usage\":{\"prompt_tokens\":%zu,\"total_tokens\":%zu,"
                  "\"completion_tokens\":0,\"prompt_tokens_details\":null}}",
                  total, total);
}

/* RerankResponse: results sorted by relevance, best first, top_n of them. */
static json_t *rerank_answer(sim_conn *c, json_t *docs, long top_n, size_t total)
{
    const sim_req *r = &c->req;
    size_t n = json_array_size(docs);
    size_t *order = sb_xmalloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++) {
        size_t j = i; /* insertion sort: document lists are short */
        while (j > 0 && pseudo(r->text_seed, order[j - 1]) < pseudo(r->text_seed, i)) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    size_t keep = top_n > 0 && (size_t)top_n < n ? (size_t)top_n : n;
    json_t *res = json_array();
    for (size_t k = 0; k < keep; k++) {
        json_t *doc =
            json_pack("{s:O, s:n}", "text", json_array_get(docs, order[k]), "multi_modal");
        json_array_append_new(res, json_pack("{s:I, s:o, s:f}", "index", (json_int_t)order[k],
                                             "document", doc, "relevance_score",
                                             pseudo(r->text_seed, order[k])));
    }
    free(order);
    return json_pack("{s:s, s:s, s:o, s:o}", "id", r->id, "model", sim_model_resp(c), "usage",
                     usage(total), "results", res);
}

/* Validates the body, counts its tokens and renders the answer: rerank's as
 * a jansson tree in *out (it carries the documents' texts, escaped by
 * jansson), embeddings' straight into c->pool (*out stays NULL).
 * Returns 0, or the HTTP status of the error written into msg. */
static int pool_answer(sim_conn *c, json_t *body, json_t **out, char *msg, size_t cap)
{
    sim_server *s = c->srv;
    if (!json_is_object(body))
        return snprintf(msg, cap, "the request body must be a JSON object"), 400;
    json_t *model = json_object_get(body, "model");
    if (json_is_string(model) && sim_model_pick(c, json_string_value(model)) != 0)
        return snprintf(msg, cap, "The model `%.200s` does not exist.", json_string_value(model)),
               404;
    size_t counts[4096], total = 0;
    long n_seq;
    if (c->req.api == SIM_API_RERANK) {
        json_t *q = json_object_get(body, "query"), *docs = json_object_get(body, "documents");
        if (!json_is_string(q))
            return snprintf(msg, cap, "query: a string is required"), 400;
        if (!json_is_array(docs) || json_array_size(docs) == 0)
            return snprintf(msg, cap, "documents: a non-empty list of strings is required"), 400;
        size_t qn = count_text(s, json_string_value(q), json_string_length(q)), i;
        json_t *d;
        json_array_foreach(docs, i, d)
        {
            if (!json_is_string(d))
                return snprintf(msg, cap, "documents[%zu]: a string is required", i), 400;
            total += qn + count_text(s, json_string_value(d), json_string_length(d));
        }
        json_t *tn = json_object_get(body, "top_n");
        *out =
            rerank_answer(c, docs, json_is_integer(tn) ? (long)json_integer_value(tn) : 0, total);
        c->req.prompt_tokens = (uint32_t)(total < UINT32_MAX / 2 ? total : UINT32_MAX / 2);
        return 0;
    }
    json_t *in = json_object_get(body, "input"), *msgs = json_object_get(body, "messages");
    if (in)
        n_seq = input_counts(s, in, counts, sizeof counts / sizeof counts[0]);
    else if (msgs)
        n_seq = messages_count(s, msgs, counts);
    else
        return snprintf(msg, cap, "input: field required"), 400;
    if (n_seq < 0)
        return snprintf(msg, cap,
                        "%s: expected a string, a list of strings, token ids or lists "
                        "of token ids (at most 4096)",
                        in ? "input" : "messages"),
               400;
    long mml = s->o.max_model_len;
    json_t *trunc = json_object_get(body, "truncate_prompt_tokens");
    for (long k = 0; k < n_seq; k++) {
        if (mml > 0 && (long)counts[k] > mml && !json_is_integer(trunc))
            return snprintf(msg, cap,
                            "This model's maximum context length is %ld tokens. However, you "
                            "requested %zu tokens in the input for embedding generation. Please "
                            "reduce the length of the input.",
                            mml, counts[k]),
                   400;
        /* truncate_prompt_tokens -1 means "cut to the model's length" */
        total += mml > 0 && (long)counts[k] > mml ? (size_t)mml : counts[k];
    }
    embed_answer(c, n_seq, total);
    c->req.prompt_tokens = (uint32_t)(total < UINT32_MAX / 2 ? total : UINT32_MAX / 2);
    return 0;
}

int sim_pool_handle(sim_conn *c, const sim_http_req *hr)
{
    int api = pool_api_of(hr->path);
    if (api < 0)
        return 0;
    if (!sim_str_eq(hr->method, "POST")) {
        sim_api_respond(c, 405, "application/json", "{\"detail\":\"Method Not Allowed\"}", 31);
        return 1;
    }
    sim_server *s = c->srv;
    sim_api_init_req(c, api, hr);
    sim_req *r = &c->req;
    snprintf(r->id, sizeof r->id, "%s%016" PRIx64 "%08" PRIx64,
             api == SIM_API_RERANK ? "rerank-" : "embd-", r->text_seed, r->seq);
    json_error_t jerr;
    /* vLLM accepts \u0000 in texts (random token ids can decode to it). */
    json_t *body = json_loadb(hr->body, hr->body_len, JSON_ALLOW_NUL, &jerr);
    json_t *answer = NULL;
    char msg[512] = "";
    sb_buf_reset(&c->pool);
    int status = body ? pool_answer(c, body, &answer, msg, sizeof msg) : 400;
    if (!body)
        snprintf(msg, sizeof msg, "invalid JSON body at line %d, column %d: %s", jerr.line,
                 jerr.column, jerr.text);
    json_decref(body);
    if (status != 0) {
        s->m.client_errors++;
        s->t.client_errors++;
        sim_api_error(c, status, status == 404 ? "NotFoundError" : "BadRequestError", msg);
        return 1;
    }
    if (answer) {
        char *text = json_dumps(answer, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(answer);
        sb_buf_puts(&c->pool, text ? text : "{}");
        free(text);
    }
    /* No tokens to generate: one answer when the prefill ends. */
    r->stream = 0;
    r->max_tokens = 0;
    r->out_tokens = 0;
    sim_model_admit(c);
    return 1;
}

void sim_pool_emit(sim_conn *c, int corrupt)
{
    /* a malformed answer is the body cut in half, served with its own length */
    size_t n = corrupt ? c->pool.len / 2 : c->pool.len;
    sim_api_respond(c, 200, "application/json", c->pool.data ? c->pool.data : "", n);
}
