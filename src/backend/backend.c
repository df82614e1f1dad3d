/* SPDX-License-Identifier: Apache-2.0 */
/* backend.c - the backend table, URL checks and the shared body plumbing.
 *
 * Names follow the reference's tables (vllm/benchmarks/lib/endpoint_request_func.py:
 * ASYNC_REQUEST_FUNCS, and the legacy benchmarks/backend_request_func.py of v0.8.5): every
 * OpenAI-completions-shaped server (vllm, lmdeploy, scalellm, sglang, llama.cpp) shares one
 * builder. The sampling flags are merged into a dict in the reference's order (top_p, top_k,
 * min_p, temperature, frequency_penalty, presence_penalty, repetition_penalty), then
 * --extra-body is merged over it, then that dict over the body
 * (endpoint_request_func.py: async_request_openai_completions). */
#include "backend/backend.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPL                                                                                      \
    {                                                                                              \
        "completions", NULL                                                                        \
    }
#define EMB                                                                                        \
    {                                                                                              \
        "embeddings", NULL                                                                         \
    }
/* name, api_name, suffixes, mode, openai_compat, pooling, json_content_type,
 * takes_lists, no_extra_body, multipart, build */
static const backend table[] = {
    {"openai", "OpenAI Completions API", COMPL, BK_MODE_COMPLETIONS, true, false, false, false,
     false, false, bk_build_completions},
    {"vllm", "OpenAI Completions API", COMPL, BK_MODE_COMPLETIONS, true, false, false, false, false,
     false, bk_build_completions},
    {"lmdeploy", "OpenAI Completions API", COMPL, BK_MODE_COMPLETIONS, false, false, false, false,
     false, false, bk_build_completions},
    {"scalellm", "OpenAI Completions API", COMPL, BK_MODE_COMPLETIONS, false, false, false, false,
     false, false, bk_build_completions},
    {"sglang", "OpenAI Completions API", COMPL, BK_MODE_COMPLETIONS, false, false, false, false,
     false, false, bk_build_completions},
    {"llama.cpp", "OpenAI Completions API", COMPL, BK_MODE_COMPLETIONS, false, false, false, false,
     false, false, bk_build_completions},
    {"openai-chat",
     "OpenAI Chat Completions API",
     {"chat/completions", NULL},
     BK_MODE_CHAT,
     true,
     false,
     true,
     false,
     false,
     false,
     bk_build_chat},
    /* ours: the OpenAI Responses API (POST /v1/responses, streamed events);
     * sampling flags go through --extra-body (its fields differ from chat's) */
    {"openai-responses",
     "OpenAI Responses API",
     {"responses", NULL},
     BK_MODE_RESPONSES,
     false,
     false,
     true,
     false,
     false,
     false,
     bk_build_responses},
    /* Whisper-style ASR (async_request_openai_audio): multipart form, chat
     * deltas, not OpenAI-compatible for the sampling flags (the reference's
     * list holds completions and chat only). */
    {"openai-audio",
     "OpenAI Audio API",
     {"transcriptions", "translations", NULL},
     BK_MODE_AUDIO,
     false,
     false,
     false,
     false,
     false,
     true,
     bk_build_audio},
    {"tgi",
     "TGI API",
     {"generate_stream", NULL},
     BK_MODE_TGI,
     false,
     false,
     false,
     false,
     false,
     false,
     bk_build_tgi},
    {"tensorrt-llm",
     "TensorRT-LLM API",
     {"generate_stream", NULL},
     BK_MODE_TRTLLM,
     false,
     false,
     false,
     false,
     false,
     false,
     bk_build_trtllm},
    {"deepspeed-mii",
     "DeepSpeed-MII API",
     {"", NULL},
     BK_MODE_WHOLE,
     false,
     false,
     false,
     false,
     false,
     false,
     bk_build_mii},
    /* Pooling backends (endpoint_request_func.py: async_request_openai_embeddings,
     * async_request_vllm_rerank): one JSON answer, e2el metrics only. */
    {"openai-embeddings", "OpenAI Embeddings API", EMB, BK_MODE_POOLING, false, true, true, true,
     false, false, bk_build_embeddings},
    {"openai-embeddings-chat", "OpenAI Embeddings API", EMB, BK_MODE_POOLING, false, true, true,
     false, false, false, bk_build_embeddings_chat},
    {"openai-embeddings-clip", "OpenAI Embeddings API", EMB, BK_MODE_POOLING, false, true, true,
     false, false, false, bk_build_embeddings_clip},
    {"openai-embeddings-vlm2vec", "OpenAI Embeddings API", EMB, BK_MODE_POOLING, false, true, true,
     false, false, false, bk_build_embeddings_vlm2vec},
    {"infinity-embeddings", "Infinity Embeddings API", EMB, BK_MODE_POOLING, false, true, true,
     true, false, false, bk_build_infinity},
    {"infinity-embeddings-clip", "Infinity Embeddings API", EMB, BK_MODE_POOLING, false, true, true,
     true, false, false, bk_build_infinity_clip},
    {"vllm-pooling",
     "vLLM Pooling API",
     {"pooling", NULL},
     BK_MODE_POOLING,
     false,
     true,
     true,
     true,
     false,
     false,
     bk_build_pooling},
    {"vllm-rerank",
     "vLLM score API",
     {"rerank", NULL},
     BK_MODE_POOLING,
     false,
     true,
     true,
     true,
     true,
     false,
     bk_build_rerank},
};
#undef EMB
#undef COMPL

const backend *backend_find(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

const char *backend_names(void)
{
    return "openai, vllm, lmdeploy, scalellm, sglang, llama.cpp, openai-chat, openai-responses, "
           "openai-audio, tgi, "
           "tensorrt-llm, "
           "deepspeed-mii, openai-embeddings, openai-embeddings-chat, openai-embeddings-clip, "
           "openai-embeddings-vlm2vec, infinity-embeddings, infinity-embeddings-clip, "
           "vllm-pooling, vllm-rerank";
}

const char *backend_content_type(const backend *be)
{
    return be->multipart ? "multipart/form-data; boundary=" BK_FORM_BOUNDARY : "application/json";
}

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && memcmp(s + n - m, suf, m) == 0;
}

int backend_check_url(const backend *be, const char *url, sb_err *err)
{
    if (ends_with(url, "profile"))
        return 0;
    for (int i = 0; be->suffixes[i]; i++)
        if (ends_with(url, be->suffixes[i]))
            return 0;
    char list[256] = "";
    size_t n = 0;
    for (int i = 0; be->suffixes[i]; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "'%s', ", be->suffixes[i]);
    snprintf(list + n, sizeof list - n, "'profile'");
    return sb_err_set(err, "%s URL must end with one of: {%s}. (URL: %s)", be->api_name, list, url);
}

void bk_set_str(pyjson_obj *o, const char *key, const char *s, size_t n)
{
    sb_buf t;
    sb_buf_init(&t);
    pyfmt_json_string(&t, s, n);
    pyjson_obj_set(o, key, t.data, t.len);
    sb_buf_free(&t);
}

void bk_set_int(pyjson_obj *o, const char *key, long long v)
{
    char t[32];
    int n = snprintf(t, sizeof t, "%lld", v);
    pyjson_obj_set(o, key, t, (size_t)n);
}

void bk_set_float(pyjson_obj *o, const char *key, double v)
{
    sb_buf t;
    sb_buf_init(&t);
    pyfmt_json_number(&t, v);
    pyjson_obj_set(o, key, t.data, t.len);
    sb_buf_free(&t);
}

void bk_set_raw(pyjson_obj *o, const char *key, const char *json)
{
    pyjson_obj_set(o, key, json, strlen(json));
}

void bk_set_str_list(pyjson_obj *o, const char *key, const char *const *texts, const size_t *bytes,
                     uint32_t n)
{
    sb_buf t;
    sb_buf_init(&t);
    sb_buf_putc(&t, '[');
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            sb_buf_puts(&t, ", ");
        pyfmt_json_string(&t, texts[i], bytes[i]);
    }
    sb_buf_putc(&t, ']');
    pyjson_obj_set(o, key, t.data, t.len);
    sb_buf_free(&t);
}

/* Keys of --extra-body are copied (the rendered dict points at them); a key
 * already present (a sampling flag it overrides) reuses that key. */
static const char *keep_key(bk_params *p, const char *k)
{
    for (size_t i = 0; i < p->extra.n; i++)
        if (strcmp(p->extra.kv[i].key, k) == 0)
            return p->extra.kv[i].key;
    char *c = sb_xstrdup(k);
    p->owned_keys[p->n_owned++] = c;
    return c;
}

static int add_extra_body(bk_params *p, const char *text, sb_err *err)
{
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    if (!v)
        return sb_err_set(err, "--extra-body: invalid JSON at column %d: %s", je.column, je.text);
    if (!json_is_object(v)) {
        json_decref(v);
        return sb_err_set(err, "--extra-body: expected a JSON object");
    }
    if (json_object_size(v) > 32) {
        json_decref(v);
        return sb_err_set(err, "--extra-body: more than 32 keys are not supported");
    }
    const char *k;
    json_t *x;
    sb_buf t;
    sb_buf_init(&t);
    json_object_foreach(v, k, x)
    {
        sb_buf_reset(&t);
        char *one = json_dumps(x, JSON_ENCODE_ANY);
        pyjson_reformat(&t, one, NULL);
        free(one);
        pyjson_obj_set(&p->extra, keep_key(p, k), t.data, t.len);
    }
    sb_buf_free(&t);
    json_decref(v);
    return 0;
}

int bk_params_init(bk_params *p, const backend *be, const bk_opts *cfg, const char *model,
                   bool ignore_eos, sb_err *err)
{
    memset(p, 0, sizeof *p);
    p->be = be;
    p->model = model;
    p->ignore_eos = ignore_eos;
    p->logprobs = cfg->logprobs;
    pyjson_obj_init(&p->extra);
    struct {
        const char *k;
        double v;
        bool is_int;
    } s[] = {
        {"top_p", cfg->top_p, false},
        {"top_k", cfg->top_k, true},
        {"min_p", cfg->min_p, false},
        {"temperature", cfg->temperature, false},
        {"frequency_penalty", cfg->frequency_penalty, false},
        {"presence_penalty", cfg->presence_penalty, false},
        {"repetition_penalty", cfg->repetition_penalty, false},
        /* benchmark_serving.py v0.6 sent best_of; kept for old command lines. */
        {"best_of", cfg->best_of < 0 ? NAN : (double)cfg->best_of, true},
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        if (isnan(s[i].v))
            continue;
        if (!be->openai_compat) {
            bk_params_free(p);
            return sb_err_set(err,
                              "Sampling parameters are only supported by openai-compatible "
                              "backends (--%s given with --backend %s)",
                              s[i].k, be->name);
        }
        if (s[i].is_int)
            bk_set_int(&p->extra, s[i].k, (long long)s[i].v);
        else
            bk_set_float(&p->extra, s[i].k, s[i].v);
    }
    if (cfg->extra_body && add_extra_body(p, cfg->extra_body, err) != 0) {
        bk_params_free(p);
        return -1;
    }
    return 0;
}

void bk_params_free(bk_params *p)
{
    for (size_t i = 0; i < p->n_owned; i++)
        free(p->owned_keys[i]);
    p->n_owned = 0;
    pyjson_obj_free(&p->extra);
    p->extra.n = 0;
}

/* A structured-output request: chat takes OpenAI's response_format
 * {"type": "json_schema", "json_schema": {"name", "schema"}}; completions
 * vLLM's structured_outputs {"json": schema} (vllm/entrypoints/openai/protocol.py:
 * CompletionRequest.structured_outputs, which replaced guided_json). */
static void put_json_schema(bk_mode mode, const bk_req *r, pyjson_obj *scratch)
{
    sb_buf v;
    sb_buf_init(&v);
    if (mode == BK_MODE_COMPLETIONS) {
        sb_buf_puts(&v, "{\"json\": ");
        sb_buf_append(&v, r->forms.json_schema, r->forms.json_schema_bytes);
        sb_buf_putc(&v, '}');
        pyjson_obj_set(scratch, "structured_outputs", v.data, v.len);
    } else {
        sb_buf_puts(&v, "{\"type\": \"json_schema\", \"json_schema\": {\"name\": "
                        "\"servebench_schema\", \"schema\": ");
        sb_buf_append(&v, r->forms.json_schema, r->forms.json_schema_bytes);
        sb_buf_puts(&v, "}}");
        pyjson_obj_set(scratch, "response_format", v.data, v.len);
    }
    sb_buf_free(&v);
}

void bk_build_body(const bk_params *p, const bk_req *r, pyjson_obj *scratch, sb_buf *out)
{
    pyjson_obj_reset(scratch);
    p->be->build(p, r, scratch);
    for (size_t i = 0; i < p->extra.n && !p->be->no_extra_body; i++) {
        const pyjson_kv *kv = &p->extra.kv[i];
        pyjson_obj_set(scratch, kv->key, p->extra.vals.data + kv->val_off, kv->val_len);
    }
    /* the request's own keys win over --extra-body (vllm/benchmarks/serve.py: benchmark merges
     * {**extra_body, **request_overrides}) */
    if (r->forms.tools) {
        pyjson_obj_set(scratch, "tools", r->forms.tools, r->forms.tools_bytes);
        if (r->forms.tool_choice)
            bk_set_raw(scratch, "tool_choice", r->forms.tool_choice);
    }
    if (r->forms.json_schema)
        put_json_schema(p->be->mode, r, scratch);
    if (p->be->multipart)
        bk_form_write(scratch, r, out);
    else
        pyjson_obj_write(scratch, out);
}
