/* SPDX-License-Identifier: Apache-2.0 */
/* sim_api.c - endpoint routing, request validation, small JSON responses.
 *
 * Requests are decoded with jansson (not a hot path: one parse per request);
 * every malformed field gets vLLM's 400 error object naming the field. Error
 * bodies follow vLLM's shape {"object":"error","message","type","param",
 * "code"}; unknown paths answer FastAPI's {"detail":"Not Found"}. Valid
 * generation requests are handed to the model (sim_model.c) which owns
 * their timing. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/pyfmt.h"
#include "schema/jschema.h"
#include "sim/sim_internal.h"

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Error";
    }
}

void sim_api_respond(sim_conn *c, int status, const char *ctype, const char *body, size_t n)
{
    sb_buf_printf(&c->out, "HTTP/1.1 %d %s\r\nserver: servebench-sim\r\n", status, reason(status));
    if (c->req.request_id[0])
        sb_buf_printf(&c->out, "x-request-id: %s\r\n", c->req.request_id);
    sb_buf_printf(&c->out, "content-type: %s\r\ncontent-length: %zu\r\n%s\r\n", ctype, n,
                  c->keep_alive ? "" : "connection: close\r\n");
    sb_buf_append(&c->out, body, n);
}

void sim_api_error(sim_conn *c, int status, const char *type, const char *msg)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:n, s:i}", "object", "error", "message", msg, "type",
                          type, "param", "code", status);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (s)
        sim_api_respond(c, status, "application/json", s, strlen(s));
    else
        sim_api_respond(c, status, "application/json", "{}", 2);
    free(s);
    json_decref(o);
}

static void detail(sim_conn *c, int status, const char *what)
{
    char body[128];
    int n = snprintf(body, sizeof body, "{\"detail\":\"%s\"}", what);
    sim_api_respond(c, status, "application/json", body, (size_t)n);
}

static void bad_request(sim_conn *c, const char *msg)
{
    c->srv->m.client_errors++;
    c->srv->t.client_errors++;
    sim_api_error(c, 400, "BadRequestError", msg);
}

void sim_api_bad_request(sim_conn *c, const char *msg)
{
    bad_request(c, msg);
}

/* One /v1/models card (vllm/entrypoints/openai/engine/protocol.py: ModelCard);
 * parent and max_model_len already JSON ("null" or a number/quoted name). */
static void model_card(sb_buf *b, const char *id, const char *root, const char *parent,
                       const char *max_len, uint64_t created)
{
    sb_buf_printf(b,
                  "{\"id\":\"%s\",\"object\":\"model\",\"created\":%" PRIu64
                  ",\"owned_by\":\"vllm\",\"root\":",
                  id, created);
    pyfmt_json_string_as(b, root, strlen(root), false);
    sb_buf_printf(b,
                  ",\"parent\":%s,\"max_model_len\":%s,\"permission\":[{\"id\":"
                  "\"modelperm-sim\",\"object\":\"model_permission\",\"created\":%" PRIu64
                  ",\"allow_create_engine\":false,\"allow_sampling\":true,\"allow_logprobs\":"
                  "true,\"allow_search_indices\":false,\"allow_view\":true,"
                  "\"allow_fine_tuning\":false,\"organization\":\"*\",\"group\":null,"
                  "\"is_blocking\":false}]}",
                  parent, max_len, created);
}

/* vllm/entrypoints/openai/models/serving.py: show_available_models: one
 * card per served name (root: the model, --model here), then one per
 * adapter (root: its path; parent: its base_model_name when that is a served
 * name, else the first served name; no max_model_len). */
static void models(sim_conn *c)
{
    const sim_opts *o = &c->srv->o;
    sb_buf *b = &c->srv->scratch;
    sb_buf_reset(b);
    uint64_t created = sb_wall_ns() / SB_NS_PER_S;
    char max_len[32], parent[SIM_NAME_MAX + 2];
    snprintf(max_len, sizeof max_len, "%ld", o->max_model_len);
    sb_buf_puts(b, "{\"object\":\"list\",\"data\":[");
    int ns = o->n_served ? o->n_served : 1;
    for (int i = 0; i < ns; i++) {
        sb_buf_puts(b, i ? "," : "");
        model_card(b, sim_model_name(o, i), o->model, "null", max_len, created);
    }
    for (int i = 0; i < o->n_loras; i++) {
        const sim_lora *l = &o->loras[i];
        int base = l->base[0] ? sim_model_find(o, l->base) : -1;
        snprintf(parent, sizeof parent, "\"%s\"",
                 sim_model_name(o, base >= 0 && base < ns ? base : 0));
        sb_buf_puts(b, ",");
        model_card(b, l->name, l->path, parent, "null", created);
    }
    sb_buf_puts(b, "]}");
    sim_api_respond(c, 200, "application/json", b->data, b->len);
}

/* vLLM's v1/metrics/loggers.py: PrometheusStatLogger: with LoRA on, a gauge
 * whose labels name the adapters with requests running and waiting (comma-
 * separated) and --max-loras, valued at the wall time it was set. */
static void lora_info(const sim_server *s, sb_buf *b)
{
    sb_buf_puts(b, "# HELP vllm:lora_requests_info Running stats on lora requests.\n"
                   "# TYPE vllm:lora_requests_info gauge\n");
    sb_buf_printf(b, "vllm:lora_requests_info{max_lora=\"%d\",running_lora_adapters=\"",
                  s->o.max_loras);
    for (int pass = 0; pass < 2; pass++) {
        const uint32_t *count = pass ? s->lora_waiting : s->lora_running;
        int first = 1;
        if (pass)
            sb_buf_puts(b, "\",waiting_lora_adapters=\"");
        for (int i = 0; i < s->o.n_loras; i++)
            if (count[i]) {
                sb_buf_printf(b, "%s%s", first ? "" : ",", s->o.loras[i].name);
                first = 0;
            }
    }
    sb_buf_printf(b, "\"} %.9e\n", (double)sb_wall_ns() / 1e9);
}

static void metrics(sim_conn *c)
{
    sim_server *s = c->srv;
    sb_buf *b = &s->scratch;
    sb_buf_reset(b);
    /* capacity mode: the share of KV tokens reserved; else running / batch width */
    double usage =
        s->cap ? sim_capacity_usage(s->cap) : (double)s->running / (double)s->o.max_num_seqs;
    sim_metrics_render(&s->m, sim_model_name(&s->o, 0), s->running, s->waiting, usage, b);
    if (s->o.enable_lora)
        lora_info(s, b);
    sim_api_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", b->data, b->len);
}

/* ---- generation requests ---- */

typedef struct gen_args {
    const char *prompt; /* text to count (NUL-terminated), or NULL */
    size_t prompt_len;
    long id_count;    /* prompt given as token ids: their number, else -1 */
    json_t *ids;      /* those ids (completions), keyed for the prefix cache */
    const char *salt; /* cache_salt, NULL when absent */
    size_t salt_len;
    long max_tokens; /* -1 = not given */
    long min_tokens;
    int ignore_eos;
} gen_args;

/* No request may ask for more: whole bodies (non-streaming, TGI's final
 * generated_text) are built in memory, ~6 bytes a token. */
#define SIM_MAX_TOKENS (1L << 24)

/* An optional integer field; -1 with a message when present but not one. */
static int opt_int(json_t *o, const char *key, long lo, long *out, char *msg, size_t cap)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo ||
        json_integer_value(v) > SIM_MAX_TOKENS) {
        snprintf(msg, cap, "'%s' must be an integer in [%ld, %ld], got %s", key, lo, SIM_MAX_TOKENS,
                 json_is_integer(v) ? "an out-of-range value" : "another type");
        return -1;
    }
    *out = (long)json_integer_value(v);
    return 0;
}

static int opt_bool(json_t *o, const char *key, int *out, char *msg, size_t cap)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v)) {
        snprintf(msg, cap, "'%s' must be a boolean", key);
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

static int completions_prompt(json_t *body, gen_args *g, char *msg, size_t cap)
{
    json_t *p = json_object_get(body, "prompt");
    if (json_is_string(p)) {
        g->prompt = json_string_value(p);
        g->prompt_len = json_string_length(p);
        return 0;
    }
    if (json_is_array(p) && json_array_size(p) > 0) {
        json_t *first = json_array_get(p, 0);
        if (json_is_integer(first)) {
            size_t i;
            json_t *v;
            json_array_foreach(p, i, v) if (!json_is_integer(v))
            {
                snprintf(msg, cap, "'prompt'[%zu] must be a token id (integer)", i);
                return -1;
            }
            g->id_count = (long)json_array_size(p);
            g->ids = p;
            return 0;
        }
        if (json_is_string(first) && json_array_size(p) == 1) {
            g->prompt = json_string_value(first);
            g->prompt_len = json_string_length(first);
            return 0;
        }
        snprintf(msg, cap,
                 "'prompt' must be a string, a list of token ids or a list of one "
                 "string (the simulator serves one prompt per request)");
        return -1;
    }
    snprintf(msg, cap, "'prompt' is required and must be a string or a list of token ids");
    return -1;
}

int sim_api_chat_text(sim_server *s, json_t *m, const char **text, size_t *len, char *msg,
                      size_t cap)
{
    if (!json_is_array(m) || json_array_size(m) == 0) {
        snprintf(msg, cap, "'messages' is required and must be a non-empty list");
        return -1;
    }
    sb_buf *b = &s->scratch2;
    sb_buf_reset(b);
    size_t i;
    json_t *e;
    json_array_foreach(m, i, e)
    {
        json_t *content = json_is_object(e) ? json_object_get(e, "content") : NULL;
        if (!json_is_object(e) || !json_is_string(json_object_get(e, "role"))) {
            snprintf(msg, cap, "'messages'[%zu] must be an object with a string 'role'", i);
            return -1;
        }
        if (b->len)
            sb_buf_putc(b, '\n');
        if (json_is_string(content)) {
            sb_buf_append(b, json_string_value(content), json_string_length(content));
        } else if (json_is_array(content)) {
            size_t k;
            json_t *part;
            json_array_foreach(content, k, part)
            {
                json_t *t = json_object_get(part, "text");
                if (!json_is_object(part) || !json_is_string(json_object_get(part, "type"))) {
                    snprintf(msg, cap, "'messages'[%zu].content[%zu] must be an object with 'type'",
                             i, k);
                    return -1;
                }
                if (json_is_string(t))
                    sb_buf_append(b, json_string_value(t), json_string_length(t));
            }
        } else if (content && !json_is_null(content)) {
            snprintf(msg, cap, "'messages'[%zu].content must be a string or a list of parts", i);
            return -1;
        }
    }
    *text = b->data ? b->data : "";
    *len = b->len;
    return 0;
}

/* Chat prompt = the message contents joined by newlines (text parts only). */
static int chat_prompt(sim_server *s, json_t *body, gen_args *g, char *msg, size_t cap)
{
    return sim_api_chat_text(s, json_object_get(body, "messages"), &g->prompt, &g->prompt_len, msg,
                             cap);
}

static int stream_flags(json_t *body, sim_req *r, char *msg, size_t cap)
{
    if (opt_bool(body, "stream", &r->stream, msg, cap))
        return -1;
    json_t *so = json_object_get(body, "stream_options");
    if (!so || json_is_null(so))
        return 0;
    if (!json_is_object(so)) {
        snprintf(msg, cap, "'stream_options' must be an object");
        return -1;
    }
    if (!r->stream) {
        snprintf(msg, cap, "Stream options can only be defined when `stream=True`.");
        return -1;
    }
    if (opt_bool(so, "include_usage", &r->include_usage, msg, cap) ||
        opt_bool(so, "continuous_usage_stats", &r->continuous_usage, msg, cap))
        return -1;
    return 0;
}

/* The OpenAI-compatible fields shared by completions and chat. */
static int openai_args(sim_conn *c, json_t *body, gen_args *g, char *msg, size_t cap)
{
    sim_req *r = &c->req;
    json_t *model = json_object_get(body, "model");
    if (model && !json_is_null(model) && !json_is_string(model)) {
        snprintf(msg, cap, "'model' must be a string");
        return -1;
    }
    long n = 1;
    if (opt_int(body, "n", 1, &n, msg, cap))
        return -1;
    if (n != 1) {
        snprintf(msg, cap, "'n' must be 1 (the simulator returns one choice)");
        return -1;
    }
    if (stream_flags(body, r, msg, cap) || opt_bool(body, "ignore_eos", &g->ignore_eos, msg, cap) ||
        opt_int(body, "min_tokens", 0, &g->min_tokens, msg, cap))
        return -1;
    if (opt_int(body, "max_tokens", 1, &g->max_tokens, msg, cap))
        return -1;
    /* vLLM's cache_salt: requests with different salts share no cached block. */
    json_t *salt = json_object_get(body, "cache_salt");
    if (salt && !json_is_null(salt)) {
        if (!json_is_string(salt) || json_string_length(salt) == 0) {
            snprintf(msg, cap, "Parameter 'cache_salt' must be a non-empty string if provided.");
            return -1;
        }
        g->salt = json_string_value(salt);
        g->salt_len = json_string_length(salt);
    }
    if (r->api == SIM_API_CHAT &&
        opt_int(body, "max_completion_tokens", 1, &g->max_tokens, msg, cap))
        return -1;
    return 0;
}

static int tgi_args(json_t *body, gen_args *g, char *msg, size_t cap)
{
    json_t *in = json_object_get(body, "inputs");
    json_t *params = json_object_get(body, "parameters");
    if (!json_is_string(in)) {
        snprintf(msg, cap, "'inputs' is required and must be a string");
        return -1;
    }
    g->prompt = json_string_value(in);
    g->prompt_len = json_string_length(in);
    if (params && !json_is_null(params)) {
        if (!json_is_object(params)) {
            snprintf(msg, cap, "'parameters' must be an object");
            return -1;
        }
        if (opt_int(params, "max_new_tokens", 1, &g->max_tokens, msg, cap) ||
            opt_bool(params, "ignore_eos_token", &g->ignore_eos, msg, cap))
            return -1;
    }
    if (g->max_tokens < 0)
        g->max_tokens = 20; /* TGI's default max_new_tokens */
    return 0;
}

static int trt_args(json_t *body, gen_args *g, char *msg, size_t cap)
{
    json_t *in = json_object_get(body, "text_input");
    if (!json_is_string(in)) {
        snprintf(msg, cap, "'text_input' is required and must be a string");
        return -1;
    }
    g->prompt = json_string_value(in);
    g->prompt_len = json_string_length(in);
    if (opt_int(body, "max_tokens", 1, &g->max_tokens, msg, cap) ||
        opt_int(body, "min_length", 0, &g->min_tokens, msg, cap))
        return -1;
    if (g->max_tokens < 0)
        g->max_tokens = 16;
    return 0;
}

static const char *model_of(json_t *body)
{
    json_t *m = json_object_get(body, "model");
    return json_is_string(m) ? json_string_value(m) : NULL;
}

/* Prompt tokens, the context-length check and the output length draw. */
static int size_request(sim_conn *c, gen_args *g, char *msg, size_t cap)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    size_t pt;
    if (g->id_count >= 0) {
        pt = (size_t)g->id_count;
        if (g->ids && s->pfx) {
            sim_key_begin(c, pt, g->salt, g->salt_len);
            size_t i;
            json_t *v;
            json_array_foreach(g->ids, i, v)
            {
                /* as the tokenizer path keys them: the same ids share blocks */
                sim_pfx_hasher_push(&c->pfx_h, (uint64_t)(uint32_t)json_integer_value(v));
            }
            sim_key_end(c);
        }
    } else {
        pt = sim_prompt_tokens(c, g->prompt, g->prompt_len, g->salt, g->salt_len);
    }
    if (pt == 0)
        pt = 1;
    if (pt > UINT32_MAX / 2)
        pt = UINT32_MAX / 2;
    r->prompt_tokens = (uint32_t)pt;
    long mml = s->o.max_model_len;
    if (g->max_tokens < 0)
        g->max_tokens = mml > 0 && (long)pt < mml ? mml - (long)pt : 16;
    if (g->max_tokens > SIM_MAX_TOKENS)
        g->max_tokens = SIM_MAX_TOKENS;
    if (mml > 0 && (long)pt >= mml) {
        snprintf(msg, cap,
                 "This model's maximum context length is %ld tokens. However, your request has "
                 "%zu input tokens. Please reduce the length of the input messages.",
                 mml, pt);
        return -1;
    }
    if (mml > 0 && (long)pt + g->max_tokens > mml) {
        snprintf(msg, cap,
                 "'max_tokens' or 'max_completion_tokens' is too large: %ld. This model's maximum "
                 "context length is %ld tokens and your request has %zu input tokens (%ld > %ld - "
                 "%zu).",
                 g->max_tokens, mml, pt, g->max_tokens, mml, pt);
        return -1;
    }
    r->max_tokens = (uint32_t)g->max_tokens;
    long lo =
        g->min_tokens < 1 ? 1 : (g->min_tokens > g->max_tokens ? g->max_tokens : g->min_tokens);
    if (g->ignore_eos)
        r->out_tokens = r->max_tokens;
    else /* an EOS drawn uniformly in [max(min_tokens, 1), max_tokens] */
        r->out_tokens =
            (uint32_t)(lo + (long)sim_rng_below(&r->rng, (uint64_t)(g->max_tokens - lo + 1)));
    return 0;
}

void sim_api_init_req(sim_conn *c, int api, const sim_http_req *hr)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    free(r->emit_ns);
    free(r->rec_messages);
    memset(r, 0, sizeof *r);
    r->api = api;
    r->seq = ++s->req_seq;
    r->arrival_ns = c->in_first_ns ? c->in_first_ns : sb_now_ns();
    r->created_s = sb_wall_ns() / SB_NS_PER_S;
    size_t n =
        hr->request_id.n < sizeof r->request_id ? hr->request_id.n : sizeof r->request_id - 1;
    if (n)
        memcpy(r->request_id, hr->request_id.p, n);
    r->request_id[n] = '\0';
    size_t ns =
        hr->session_id.n < sizeof r->session_id ? hr->session_id.n : sizeof r->session_id - 1;
    if (ns)
        memcpy(r->session_id, hr->session_id.p, ns);
    r->session_id[ns] = '\0';
    uint64_t id_hash =
        n ? sim_hash(s->o.seed, r->request_id, n) : sim_hash(s->o.seed, &r->seq, sizeof r->seq);
    sim_rng_seed(&r->rng, id_hash);
    r->text_seed = sim_rng_next(&r->rng);
    snprintf(r->id, sizeof r->id, "%s%016" PRIx64 "%08" PRIx64,
             api == SIM_API_CHAT ? "chatcmpl-" : "cmpl-", r->text_seed, r->seq);
    if (s->t.first_req_ns == 0)
        s->t.first_req_ns = r->arrival_ns;
    s->m.requests++;
    s->t.requests++;
}

void sim_api_admit(sim_conn *c, const char *model, long prompt_tokens, long max_tokens,
                   long min_tokens, int ignore_eos)
{
    sim_server *s = c->srv;
    char msg[512] = "";
    gen_args g = {.id_count = prompt_tokens,
                  .max_tokens = max_tokens,
                  .min_tokens = min_tokens,
                  .ignore_eos = ignore_eos};
    if (sim_model_pick(c, model) != 0) {
        snprintf(msg, sizeof msg, "The model `%.200s` does not exist.", model);
        s->m.client_errors++;
        s->t.client_errors++;
        sim_api_error(c, 404, "NotFoundError", msg);
    } else if (size_request(c, &g, msg, sizeof msg) == 0) {
        sim_model_admit(c);
    } else {
        bad_request(c, msg);
    }
}

static void copy_trt_model(sim_conn *c, sim_str p);

/* --record-messages: the chat body's "messages", and its "tools" and
 * "tool_choice" when it has them, as members for the record line. */
static char *record_messages(json_t *body)
{
    json_t *o = json_object();
    json_object_set(o, "messages", json_object_get(body, "messages"));
    if (json_object_get(body, "tools"))
        json_object_set(o, "tools", json_object_get(body, "tools"));
    if (json_object_get(body, "tool_choice"))
        json_object_set(o, "tool_choice", json_object_get(body, "tool_choice"));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text)
        return NULL;
    /* the members without the braces */
    size_t n = strlen(text);
    memmove(text, text + 1, n - 2);
    text[n - 2] = '\0';
    return text;
}

/* The request's JSON schema: chat's response_format {"type": "json_schema",
 * "json_schema": {"schema"}}, vLLM's structured_outputs {"json"} or the older
 * guided_json (either may be the schema's text); NULL when none. *owned is
 * set when the schema was parsed here. */
static json_t *schema_of(json_t *body, json_t **owned)
{
    json_t *rf = json_object_get(body, "response_format");
    json_t *so = json_object_get(body, "structured_outputs");
    json_t *v = NULL;
    const char *t = json_string_value(json_object_get(rf, "type"));
    if (t && !strcmp(t, "json_schema"))
        v = json_object_get(json_object_get(rf, "json_schema"), "schema");
    else if (so)
        v = json_object_get(so, "json");
    else
        v = json_object_get(body, "guided_json");
    *owned = NULL;
    if (json_is_string(v))
        v = *owned = json_loads(json_string_value(v), 0, NULL);
    return json_is_object(v) ? v : NULL;
}

/* A structured-output request: its answer is a document the schema accepts
 * (schema/jschema.h, drawn from the request's text seed); with
 * --structured-fault-rate some lose their last byte, so a client's check has
 * known failures to find. */
static void structured_answer(sim_conn *c, json_t *body)
{
    json_t *owned;
    json_t *schema = schema_of(body, &owned);
    if (!schema)
        return;
    sim_req *r = &c->req;
    sb_buf_reset(&c->structured);
    jschema_generate(schema, r->text_seed, &c->structured);
    json_decref(owned);
    uint64_t st = r->text_seed ^ 0x5354525543545552ull; /* its own draw, apart from the text's */
    double u = (double)(sim_splitmix64(&st) >> 11) / 9007199254740992.0;
    if (u < c->srv->o.structured_fault_rate && c->structured.len)
        c->structured.len--;
    r->structured = c->structured.data;
    r->structured_len = c->structured.len;
}

static void generate(sim_conn *c, int api, const sim_http_req *hr)
{
    sim_server *s = c->srv;
    sim_api_init_req(c, api, hr);
    if (api == SIM_API_TRT)
        copy_trt_model(c, hr->path);
    json_error_t jerr;
    /* vLLM accepts \u0000 in prompts (random token ids can decode to it). */
    json_t *body = json_loadb(hr->body, hr->body_len, JSON_ALLOW_NUL, &jerr);
    char msg[512] = "";
    gen_args g = {.id_count = -1, .max_tokens = -1};
    int rc = -1;
    if (!body)
        snprintf(msg, sizeof msg, "invalid JSON body at line %d, column %d: %s", jerr.line,
                 jerr.column, jerr.text);
    else if (!json_is_object(body))
        snprintf(msg, sizeof msg, "the request body must be a JSON object");
    else if (api == SIM_API_TGI)
        rc = tgi_args(body, &g, msg, sizeof msg);
    else if (api == SIM_API_TRT)
        rc = trt_args(body, &g, msg, sizeof msg);
    else if (openai_args(c, body, &g, msg, sizeof msg) == 0)
        rc = api == SIM_API_CHAT ? chat_prompt(s, body, &g, msg, sizeof msg)
                                 : completions_prompt(body, &g, msg, sizeof msg);
    if (rc == 0 && (api == SIM_API_TGI || api == SIM_API_TRT))
        c->req.stream = 1;
    if (rc == 0 && (api == SIM_API_CHAT || api == SIM_API_COMPLETIONS))
        structured_answer(c, body);
    if (rc == 0 && api == SIM_API_CHAT && s->o.record_messages) /* body size is capped */
        c->req.rec_messages = record_messages(body);
    const char *model =
        body && (api == SIM_API_COMPLETIONS || api == SIM_API_CHAT) ? model_of(body) : NULL;
    if (rc == 0 && sim_model_pick(c, model) != 0) {
        snprintf(msg, sizeof msg, "The model `%.200s` does not exist.", model);
        s->m.client_errors++;
        s->t.client_errors++;
        sim_api_error(c, 404, "NotFoundError", msg);
    } else if (rc == 0 && size_request(c, &g, msg, sizeof msg) == 0) {
        sim_model_admit(c);
    } else {
        bad_request(c, msg);
    }
    json_decref(body);
}

static int trt_path(sim_conn *c, sim_str p)
{
    static const char pre[] = "/v2/models/", suf[] = "/generate_stream";
    size_t np = sizeof pre - 1, ns = sizeof suf - 1;
    if (p.n <= np + ns || strncmp(p.p, pre, np) != 0 || strncmp(p.p + p.n - ns, suf, ns) != 0)
        return 0;
    size_t n = p.n - np - ns;
    if (n >= sizeof c->req.trt_model || memchr(p.p + np, '/', n))
        return 0;
    return 1;
}

static void copy_trt_model(sim_conn *c, sim_str p)
{
    size_t n = p.n - strlen("/v2/models/") - strlen("/generate_stream");
    memcpy(c->req.trt_model, p.p + strlen("/v2/models/"), n);
    c->req.trt_model[n] = '\0';
}

static int api_of(sim_conn *c, sim_str path)
{
    if (sim_str_eq(path, "/v1/completions"))
        return SIM_API_COMPLETIONS;
    if (sim_str_eq(path, "/v1/chat/completions"))
        return SIM_API_CHAT;
    if (sim_str_eq(path, "/generate_stream"))
        return SIM_API_TGI;
    if (trt_path(c, path))
        return SIM_API_TRT;
    return -1;
}

void sim_api_handle(sim_conn *c, const sim_http_req *hr)
{
    int get = sim_str_eq(hr->method, "GET"), post = sim_str_eq(hr->method, "POST");
    c->req.request_id[0] = '\0';
    int api = api_of(c, hr->path);
    if (api >= 0) {
        if (!post) {
            detail(c, 405, "Method Not Allowed");
            return;
        }
        generate(c, api, hr);
        return;
    }
    if (sim_pool_handle(c, hr) || sim_audio_handle(c, hr) || sim_responses_handle(c, hr) ||
        sim_tokenize_handle(c, hr))
        return;
    int known = sim_str_eq(hr->path, "/health") || sim_str_eq(hr->path, "/v1/models") ||
                sim_str_eq(hr->path, "/metrics") || sim_str_eq(hr->path, "/version");
    if (known && !get)
        detail(c, 405, "Method Not Allowed");
    else if (sim_str_eq(hr->path, "/health"))
        sim_api_respond(c, 200, "application/json", "", 0);
    else if (sim_str_eq(hr->path, "/v1/models"))
        models(c);
    else if (sim_str_eq(hr->path, "/metrics"))
        metrics(c);
    else if (sim_str_eq(hr->path, "/version"))
        sim_api_respond(c, 200, "application/json", "{\"version\":\"servebench-sim\"}", 28);
    else
        detail(c, 404, "Not Found");
}
