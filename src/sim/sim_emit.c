/* SPDX-License-Identifier: Apache-2.0 */
/* sim_emit.c - the bytes of every response shape the simulator speaks.
 *
 * Streams copy vLLM's OpenAI server field for field (completions:
 * text_completion chunks with "usage":null until the usage-only chunk; chat:
 * a role chunk, then content deltas; `data: [DONE]` last), TGI's
 * `data:{"token":...}` lines and Triton/TensorRT-LLM's `data: {"text_output"}`.
 * Per token the work is memcpy of a prefix built once per request, the token
 * text and a constant suffix: no printf, no allocation once buffers are warm.
 * HTTP/1.1 responses are chunk-encoded so connections stay alive; HTTP/1.0
 * ones are delimited by closing the connection. */
#include <inttypes.h>
#include <string.h>

#include "sim/sim_internal.h"

/* Short, common English words with a leading space: real tokenizers map most
 * to one token, so clients that re-tokenize count close to what was sent. */
static const char *const words[64] = {
    " the",   " of",    " and",   " to",    " in",   " is",   " that", " it",   " for",   " was",
    " on",    " are",   " as",    " with",  " be",   " at",   " one",  " have", " this",  " from",
    " by",    " not",   " but",   " what",  " all",  " were", " when", " we",   " there", " can",
    " an",    " your",  " which", " their", " said", " if",   " do",   " will", " each",  " about",
    " how",   " up",    " out",   " them",  " then", " she",  " many", " some", " so",    " these",
    " would", " other", " into",  " has",   " more", " her",  " two",  " like", " him",   " see",
    " time",  " could", " no",    " make",
};

const char *sim_emit_word(uint32_t i)
{
    return i < 64 ? words[i] : NULL;
}

int sim_emit_word_index(const char *w, size_t n)
{
    for (int i = 0; i < 64; i++)
        if (strlen(words[i]) == n + 1 && memcmp(words[i] + 1, w, n) == 0)
            return i;
    return -1;
}

/* Token i of a structured answer: its share of the document's bytes (the
 * last token takes the rest), JSON-string escaped. The document is ASCII. */
static void structured_token(const sim_req *r, uint32_t i, sb_buf *b)
{
    uint64_t n = r->out_tokens ? r->out_tokens : 1, len = r->structured_len;
    if (i >= n)
        return;
    size_t from = (size_t)(len * i / n), to = (size_t)(i + 1 == n ? len : len * (i + 1) / n);
    for (size_t k = from; k < to; k++) {
        char ch = r->structured[k];
        if (ch == '"' || ch == '\\')
            sb_buf_putc(b, '\\');
        sb_buf_putc(b, ch);
    }
}

void sim_emit_token_text(const sim_req *r, uint32_t i, sb_buf *b)
{
    if (r->structured) {
        structured_token(r, i, b);
        return;
    }
    uint64_t st = r->text_seed ^ ((uint64_t)i * 0x9e3779b97f4a7c15ull);
    sb_buf_puts(b, words[sim_splitmix64(&st) & 63]);
}

static void head(sim_conn *c, int status, const char *reason, const char *extra)
{
    sb_buf_printf(&c->out, "HTTP/1.1 %d %s\r\nserver: servebench-sim\r\n%s", status, reason, extra);
    if (c->req.request_id[0])
        sb_buf_printf(&c->out, "x-request-id: %s\r\n", c->req.request_id);
}

void sim_emit_stream_head(sim_conn *c)
{
    head(c, 200, "OK", "content-type: text/event-stream; charset=utf-8\r\n");
    if (c->chunked)
        sb_buf_puts(&c->out, "transfer-encoding: chunked\r\n\r\n");
    else
        sb_buf_puts(&c->out, "connection: close\r\n\r\n");
}

/* Moves the event in scratch onto the wire, chunk-framed when HTTP/1.1. */
static void put_event(sim_conn *c, const sb_buf *ev)
{
    if (c->chunked) {
        char hex[20];
        size_t n = ev->len, k = sizeof hex;
        hex[--k] = '\n';
        hex[--k] = '\r';
        do {
            hex[--k] = "0123456789abcdef"[n & 15];
            n >>= 4;
        } while (n);
        sb_buf_append(&c->out, hex + k, sizeof hex - k);
    }
    sb_buf_append(&c->out, ev->data, ev->len);
    if (c->chunked)
        sb_buf_append(&c->out, "\r\n", 2);
}

static void put_usage(sb_buf *b, uint32_t prompt, uint32_t completion)
{
    sb_buf_printf(b, "{\"prompt_tokens\":%u,\"total_tokens\":%u,\"completion_tokens\":%u}", prompt,
                  prompt + completion, completion);
}

static const char *finish_reason(const sim_req *r)
{
    return r->out_tokens >= r->max_tokens ? "\"length\"" : "\"stop\"";
}

/* `data: {"id":…,"object":…,"created":…,"model":…,"choices":[`, formatted
 * once per request and copied for every chunk after that. */
static void chunk_prefix(sim_conn *c, sb_buf *b, const char *object)
{
    sim_req *r = &c->req;
    if (r->prefix_len == 0) {
        int n = snprintf(r->prefix, sizeof r->prefix,
                         "data: {\"id\":\"%s\",\"object\":\"%s\",\"created\":%" PRIu64
                         ",\"model\":\"%s\",\"choices\":[",
                         r->id, object, r->created_s, sim_model_resp(c));
        if (n <= 0 || (size_t)n >= sizeof r->prefix) { /* a model name too long to cache */
            sb_buf_printf(b,
                          "data: {\"id\":\"%s\",\"object\":\"%s\",\"created\":%" PRIu64
                          ",\"model\":\"%s\",\"choices\":[",
                          r->id, object, r->created_s, sim_model_resp(c));
            return;
        }
        r->prefix_len = (uint16_t)n;
    }
    sb_buf_append(b, r->prefix, r->prefix_len);
}

static void completions_chunk(sim_conn *c, sb_buf *b, uint32_t first, uint32_t n, int last)
{
    const sim_req *r = &c->req;
    chunk_prefix(c, b, "text_completion");
    sb_buf_puts(b, "{\"index\":0,\"text\":\"");
    for (uint32_t i = 0; i < n; i++)
        sim_emit_token_text(r, first + i, b);
    sb_buf_puts(b, "\",\"logprobs\":null,\"finish_reason\":");
    sb_buf_puts(b, last ? finish_reason(r) : "null");
    sb_buf_puts(b, ",\"stop_reason\":null}],\"usage\":");
    if (r->continuous_usage)
        put_usage(b, r->prompt_tokens, first + n);
    else
        sb_buf_puts(b, "null");
    sb_buf_puts(b, "}\n\n");
}

static uint32_t clamp_u32(uint64_t v, uint32_t lo, uint32_t hi)
{
    return v < lo ? lo : v > hi ? hi : (uint32_t)v;
}

/* The delta members for tokens [first, end): with --reasoning-tokens R and
 * --tool-call-tokens T, tokens [0, R) are reasoning_content, the last T of
 * the request's output are one tool call's argument deltas (its id and name
 * on the first), the rest content. A chunk may straddle and carry several. */
static void chat_delta(sim_conn *c, sb_buf *b, uint32_t first, uint32_t end)
{
    const sim_req *r = &c->req;
    uint64_t nt = (uint64_t)c->srv->o.tool_call_tokens, nr = (uint64_t)c->srv->o.reasoning_tokens;
    uint64_t tool_from = r->out_tokens > nt ? r->out_tokens - nt : 0;
    uint64_t first_tool = tool_from > nr ? tool_from : nr < r->out_tokens ? nr : r->out_tokens;
    uint32_t a = clamp_u32(nr, first, end);
    uint32_t t = clamp_u32(tool_from, a, end);
    if (a > first) {
        sb_buf_puts(b, "\"reasoning_content\":\"");
        for (uint32_t i = first; i < a; i++)
            sim_emit_token_text(r, i, b);
        sb_buf_puts(b, a < end ? "\"," : "\"");
    }
    if (t > a || first == end) {
        sb_buf_puts(b, "\"content\":\"");
        for (uint32_t i = a; i < t; i++)
            sim_emit_token_text(r, i, b);
        sb_buf_puts(b, t < end ? "\"," : "\"");
    }
    if (end > t) {
        if (t == first_tool) /* the call's first delta names it */
            sb_buf_printf(b,
                          "\"tool_calls\":[{\"index\":0,\"id\":\"call_%s\",\"type\":\"function\","
                          "\"function\":{\"name\":\"sim_tool\",\"arguments\":\"",
                          r->id);
        else
            sb_buf_puts(b, "\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"");
        for (uint32_t i = t; i < end; i++)
            sim_emit_token_text(r, i, b);
        sb_buf_puts(b, "\"}}]");
    }
}

static void chat_chunk(sim_conn *c, sb_buf *b, uint32_t first, uint32_t n, int last)
{
    const sim_req *r = &c->req;
    chunk_prefix(c, b, "chat.completion.chunk");
    sb_buf_puts(b, "{\"index\":0,\"delta\":{");
    chat_delta(c, b, first, first + n);
    sb_buf_puts(b, "},\"logprobs\":null,\"finish_reason\":");
    sb_buf_puts(b, last ? finish_reason(r) : "null");
    sb_buf_puts(b, last ? ",\"stop_reason\":null}]" : "}]");
    if (r->continuous_usage) {
        sb_buf_puts(b, ",\"usage\":");
        put_usage(b, r->prompt_tokens, first + n);
    }
    sb_buf_puts(b, "}\n\n");
}

/* vLLM's first chat chunk: the assistant role with empty content. */
static void chat_role_chunk(sim_conn *c, sb_buf *b)
{
    const sim_req *r = &c->req;
    chunk_prefix(c, b, "chat.completion.chunk");
    sb_buf_puts(b, "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                   "\"logprobs\":null,\"finish_reason\":null}]");
    if (r->continuous_usage) {
        sb_buf_puts(b, ",\"usage\":");
        put_usage(b, r->prompt_tokens, 0);
    }
    sb_buf_puts(b, "}\n\n");
}

static void tgi_chunk(sim_conn *c, sb_buf *b, uint32_t first, uint32_t n, int last)
{
    const sim_req *r = &c->req;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = first + i;
        uint64_t st = r->text_seed ^ t;
        sb_buf_printf(b, "data:{\"index\":%u,\"token\":{\"id\":%u,\"text\":\"", t + 1,
                      (unsigned)(sim_splitmix64(&st) % 32000));
        sim_emit_token_text(r, t, b);
        sb_buf_puts(b, "\",\"logprob\":-0.25,\"special\":false},\"generated_text\":");
        if (last && i + 1 == n) {
            sb_buf_putc(b, '"');
            for (uint32_t k = 0; k < r->out_tokens; k++)
                sim_emit_token_text(r, k, b);
            sb_buf_putc(b, '"');
        } else {
            sb_buf_puts(b, "null");
        }
        sb_buf_puts(b, ",\"details\":null}\n\n");
    }
}

static void trt_chunk(sim_conn *c, sb_buf *b, uint32_t first, uint32_t n, int last)
{
    const sim_req *r = &c->req;
    sb_buf_printf(b,
                  "data: {\"model_name\":\"%s\",\"model_version\":\"1\",\"sequence_end\":%s,"
                  "\"sequence_id\":0,\"sequence_start\":%s,\"text_output\":\"",
                  r->trt_model, last ? "true" : "false", first == 0 ? "true" : "false");
    for (uint32_t i = 0; i < n; i++)
        sim_emit_token_text(r, first + i, b);
    sb_buf_puts(b, "\"}\n\n");
}

/* A chunk cut off inside its JSON: what a client's parser must survive. */
static void corrupt_chunk(sim_conn *c, sb_buf *b)
{
    if (c->req.api == SIM_API_TGI)
        sb_buf_puts(b, "data:{\"index\":1,\"token\":{\"id\":\n\n");
    else if (c->req.api == SIM_API_TRT)
        sb_buf_puts(b, "data: {\"text_output\":\"\n\n");
    else
        sb_buf_printf(b, "data: {\"id\":\"%s\",\"choices\":[{\"index\":0,\"text\n\n", c->req.id);
}

void sim_emit_chunk(sim_conn *c, uint32_t first, uint32_t n, int last, int corrupt)
{
    sb_buf *b = &c->srv->scratch;
    const sim_req *r = &c->req;
    if (r->api == SIM_API_CHAT && first == 0) {
        sb_buf_reset(b);
        chat_role_chunk(c, b);
        put_event(c, b);
    }
    sb_buf_reset(b);
    if (corrupt)
        corrupt_chunk(c, b);
    else if (r->api == SIM_API_COMPLETIONS)
        completions_chunk(c, b, first, n, last);
    else if (r->api == SIM_API_CHAT)
        chat_chunk(c, b, first, n, last);
    else if (r->api == SIM_API_RESPONSES)
        sim_responses_chunk(c, b, first, n);
    else if (r->api == SIM_API_TGI)
        tgi_chunk(c, b, first, n, last);
    else
        trt_chunk(c, b, first, n, last);
    put_event(c, b);
}

void sim_emit_stream_end(sim_conn *c)
{
    sb_buf *b = &c->srv->scratch;
    const sim_req *r = &c->req;
    int openai = r->api == SIM_API_COMPLETIONS || r->api == SIM_API_CHAT;
    if (openai && r->include_usage) {
        sb_buf_reset(b);
        chunk_prefix(c, b, r->api == SIM_API_CHAT ? "chat.completion.chunk" : "text_completion");
        sb_buf_puts(b, "],\"usage\":");
        put_usage(b, r->prompt_tokens, r->emitted);
        sb_buf_puts(b, "}\n\n");
        put_event(c, b);
    }
    if (openai) {
        sb_buf_reset(b);
        sb_buf_puts(b, "data: [DONE]\n\n");
        put_event(c, b);
    }
    if (r->api == SIM_API_RESPONSES) {
        sb_buf_reset(b);
        sim_responses_end(c, b);
        put_event(c, b);
    }
    if (c->chunked)
        sb_buf_puts(&c->out, "0\r\n\r\n");
}

void sim_emit_full(sim_conn *c, int corrupt)
{
    sb_buf *b = &c->srv->scratch;
    const sim_req *r = &c->req;
    int chat = r->api == SIM_API_CHAT;
    if (r->api == SIM_API_EMBED || r->api == SIM_API_POOLING || r->api == SIM_API_RERANK) {
        sim_pool_emit(c, corrupt);
        return;
    }
    sb_buf_reset(b);
    sb_buf_printf(b,
                  "{\"id\":\"%s\",\"object\":\"%s\",\"created\":%" PRIu64
                  ",\"model\":\"%s\",\"choices\":[{\"index\":0,",
                  r->id, chat ? "chat.completion" : "text_completion", r->created_s,
                  sim_model_resp(c));
    sb_buf_puts(b, chat ? "\"message\":{\"role\":\"assistant\",\"content\":\"" : "\"text\":\"");
    for (uint32_t i = 0; i < r->out_tokens; i++)
        sim_emit_token_text(r, i, b);
    sb_buf_puts(b, chat ? "\",\"tool_calls\":[]}," : "\",");
    sb_buf_printf(b, "\"logprobs\":null,\"finish_reason\":%s,\"stop_reason\":null}],\"usage\":",
                  finish_reason(r));
    put_usage(b, r->prompt_tokens, r->out_tokens);
    sb_buf_puts(b, "}");
    if (corrupt)
        b->len = b->len / 2; /* a body cut in half is still served with its own length */
    head(c, 200, "OK", "content-type: application/json\r\n");
    sb_buf_printf(&c->out, "content-length: %zu\r\n%s\r\n", b->len,
                  c->keep_alive ? "" : "connection: close\r\n");
    sb_buf_append(&c->out, b->data, b->len);
}
