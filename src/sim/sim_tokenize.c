/* SPDX-License-Identifier: Apache-2.0 */
/* sim_tokenize.c - POST /tokenize and /detokenize as vLLM serves them
 * (vllm/entrypoints/openai/serving_tokenization.py: OpenAIServingTokenization;
 * protocol.py: TokenizeCompletionRequest, TokenizeChatRequest,
 * TokenizeResponse, DetokenizeRequest, DetokenizeResponse), also under
 * SGLang's /v1/tokenize and /v1/detokenize, whose answer has the same
 * count / max_model_len / tokens fields.
 *
 * The ids are the ones the server counts a prompt with (sim_tok.c): the
 * tokenizer's when it has one, else one id per whitespace-separated word, so
 * a client comparing its prompt lengths with /tokenize sees exactly the
 * server's usage.prompt_tokens. Tokenizing runs on the one event-loop thread,
 * so the text and the id list are capped (a 400 beyond), as every input is. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/pyfmt.h"
#include "sim/sim_internal.h"
#include "tokenizer/tokenizer.h"

/* The most text /tokenize takes (about a million tokens of English) and the
 * most ids /detokenize takes: the answer is rendered whole, and the loop
 * serves nobody else while it tokenizes. */
#define SIM_TOKENIZE_MAX_BYTES ((size_t)4 << 20)
#define SIM_DETOKENIZE_MAX_IDS ((size_t)1 << 20)

/* Words of text, as sim_count_words splits them, as ids (sim_word_id); with
 * strs, each word's string too ("Ġ"-free: the word itself). */
static void word_ids(const char *text, size_t len, tok_ids *ids, sb_buf *strs)
{
    size_t at = 0, wl;
    const char *w;
    while ((wl = sim_next_word(text, len, &at, &w)) > 0) {
        tok_ids_push(ids, sim_word_id(w, wl));
        if (strs) {
            sb_buf_putc(strs, strs->len ? ',' : '[');
            pyfmt_json_string_as(strs, w, wl, false);
        }
    }
}

/* The model check vLLM makes first (404 for another model's name). */
static int check_model(sim_conn *c, json_t *body, char *msg, size_t cap)
{
    json_t *m = json_object_get(body, "model");
    if (!m || json_is_null(m))
        return 0;
    if (!json_is_string(m)) {
        snprintf(msg, cap, "'model' must be a string");
        return -1;
    }
    if (sim_model_find(&c->srv->o, json_string_value(m)) < 0) {
        snprintf(msg, cap, "The model `%.200s` does not exist.", json_string_value(m));
        c->srv->m.client_errors++;
        c->srv->t.client_errors++;
        sim_api_error(c, 404, "NotFoundError", msg);
        return 1;
    }
    return 0;
}

static json_t *parse_body(const sim_http_req *hr, char *msg, size_t cap)
{
    json_error_t jerr;
    json_t *body = json_loadb(hr->body, hr->body_len, JSON_ALLOW_NUL, &jerr);
    if (!body) {
        snprintf(msg, cap, "invalid JSON body at line %d, column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        return NULL;
    }
    if (!json_is_object(body)) {
        snprintf(msg, cap, "the request body must be a JSON object");
        json_decref(body);
        return NULL;
    }
    return body;
}

static int opt_flag(json_t *body, const char *key, int dflt, int *out, char *msg, size_t cap)
{
    json_t *v = json_object_get(body, key);
    *out = dflt;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v)) {
        snprintf(msg, cap, "'%s' must be a boolean", key);
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

/* The text to tokenize: "prompt" (a string) or chat "messages" (joined as a
 * chat prompt is counted). add_special defaults as vLLM's two request types:
 * true for a prompt, false for messages (the chat template carries them). */
static int tokenize_text(sim_conn *c, json_t *body, const char **text, size_t *len,
                         int *add_special, char *msg, size_t cap)
{
    json_t *p = json_object_get(body, "prompt"), *m = json_object_get(body, "messages");
    if (p && m) {
        snprintf(msg, cap, "give either 'prompt' or 'messages', not both");
        return -1;
    }
    if (p) {
        if (!json_is_string(p)) {
            snprintf(msg, cap, "'prompt' must be a string");
            return -1;
        }
        *text = json_string_value(p);
        *len = json_string_length(p);
    } else if (m) {
        if (sim_api_chat_text(c->srv, m, text, len, msg, cap) != 0)
            return -1;
    } else {
        snprintf(msg, cap, "'prompt' (a string) or 'messages' (a list) is required");
        return -1;
    }
    if (*len > SIM_TOKENIZE_MAX_BYTES) {
        snprintf(msg, cap, "the text to tokenize is %zu bytes; the simulator tokenizes at most %zu",
                 *len, SIM_TOKENIZE_MAX_BYTES);
        return -1;
    }
    return opt_flag(body, "add_special_tokens", p != NULL, add_special, msg, cap);
}

static void tokenize(sim_conn *c, const sim_http_req *hr)
{
    sim_server *s = c->srv;
    char msg[512] = "";
    json_t *body = parse_body(hr, msg, sizeof msg);
    const char *text = NULL;
    size_t len = 0;
    int special = 1, strs = 0, rc = -1;
    if (body && (rc = check_model(c, body, msg, sizeof msg)) == 0)
        rc = tokenize_text(c, body, &text, &len, &special, msg, sizeof msg) != 0 ||
                     opt_flag(body, "return_token_strs", 0, &strs, msg, sizeof msg) != 0
                 ? -1
                 : 0;
    if (rc != 0) {
        if (rc < 0)
            sim_api_bad_request(c, msg);
        json_decref(body);
        return;
    }
    tok_ids ids;
    tok_ids_init(&ids);
    sb_buf *list = &s->scratch;
    sb_buf_reset(list);
    const tok *t = sim_tok_of(s);
    sb_err err;
    if (t && tok_encode(t, text, len, special, &ids, &err) != 0) {
        snprintf(msg, sizeof msg, "tokenizing the prompt: %.400s", err.msg);
        sim_api_bad_request(c, msg);
        goto out;
    }
    if (!t)
        word_ids(text, len, &ids, strs ? list : NULL);
    else if (strs)
        for (size_t i = 0; i < ids.n; i++) {
            const char *piece = tok_id_to_token(t, ids.v[i]);
            sb_buf_putc(list, i ? ',' : '[');
            pyfmt_json_string_as(list, piece ? piece : "", piece ? strlen(piece) : 0, false);
        }
    if (strs)
        sb_buf_puts(list, list->len ? "]" : "[]");
    sb_buf b;
    sb_buf_init(&b);
    sb_buf_printf(&b, "{\"count\":%zu,\"max_model_len\":%ld,\"tokens\":[", ids.n,
                  s->o.max_model_len);
    for (size_t i = 0; i < ids.n; i++)
        sb_buf_printf(&b, i ? ",%" PRId32 : "%" PRId32, ids.v[i]);
    sb_buf_puts(&b, "],\"token_strs\":");
    if (strs)
        sb_buf_append(&b, list->data, list->len);
    else
        sb_buf_puts(&b, "null");
    sb_buf_putc(&b, '}');
    sim_api_respond(c, 200, "application/json", b.data, b.len);
    sb_buf_free(&b);
out:
    tok_ids_free(&ids);
    json_decref(body);
}

/* The ids of "tokens": integers the tokenizer (or the word list) can name. */
static int detok_ids(const tok *t, json_t *body, tok_ids *ids, char *msg, size_t cap)
{
    json_t *v = json_object_get(body, "tokens");
    if (!json_is_array(v)) {
        snprintf(msg, cap, "'tokens' (a list of token ids) is required");
        return -1;
    }
    if (json_array_size(v) > SIM_DETOKENIZE_MAX_IDS) {
        snprintf(msg, cap, "'tokens' has %zu ids; the simulator detokenizes at most %zu",
                 json_array_size(v), SIM_DETOKENIZE_MAX_IDS);
        return -1;
    }
    long long limit = t ? (long long)tok_vocab_size_with_added(t) : 64;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) >= limit) {
            if (t)
                snprintf(msg, cap, "'tokens'[%zu] must be a token id in [0, %lld)", i, limit);
            else
                snprintf(msg, cap,
                         "'tokens'[%zu] must be a token id in [0, 64): without --tokenizer the "
                         "simulator can only name the words it generates",
                         i);
            return -1;
        }
        tok_ids_push(ids, (int32_t)json_integer_value(e));
    }
    return 0;
}

static void detokenize(sim_conn *c, const sim_http_req *hr)
{
    sim_server *s = c->srv;
    char msg[512] = "";
    json_t *body = parse_body(hr, msg, sizeof msg);
    const tok *t = sim_tok_of(s);
    tok_ids ids;
    tok_ids_init(&ids);
    int rc = body ? check_model(c, body, msg, sizeof msg) : -1;
    if (rc == 0)
        rc = detok_ids(t, body, &ids, msg, sizeof msg);
    sb_buf *text = &s->scratch;
    sb_buf_reset(text);
    sb_err err;
    if (rc == 0 && t && tok_decode(t, ids.v, ids.n, false, text, &err) != 0) {
        snprintf(msg, sizeof msg, "detokenizing: %.400s", err.msg);
        rc = -1;
    }
    if (rc == 0 && !t) /* the words as the server emits them, leading spaces and all */
        for (size_t i = 0; i < ids.n; i++)
            sb_buf_puts(text, sim_emit_word((uint32_t)ids.v[i]));
    if (rc == 0) {
        sb_buf b;
        sb_buf_init(&b);
        sb_buf_puts(&b, "{\"prompt\":");
        pyfmt_json_string_as(&b, text->data ? text->data : "", text->len, false);
        sb_buf_putc(&b, '}');
        sim_api_respond(c, 200, "application/json", b.data, b.len);
        sb_buf_free(&b);
    } else if (rc < 0) {
        sim_api_bad_request(c, msg);
    }
    tok_ids_free(&ids);
    json_decref(body);
}

int sim_tokenize_handle(sim_conn *c, const sim_http_req *hr)
{
    sim_str p = hr->path;
    int tk = sim_str_eq(p, "/tokenize") || sim_str_eq(p, "/v1/tokenize");
    int dt = sim_str_eq(p, "/detokenize") || sim_str_eq(p, "/v1/detokenize");
    if (!tk && !dt)
        return 0;
    if (!sim_str_eq(hr->method, "POST"))
        sim_api_respond(c, 405, "application/json", "{\"detail\":\"Method Not Allowed\"}", 31);
    else if (tk)
        tokenize(c, hr);
    else
        detokenize(c, hr);
    return 1;
}
