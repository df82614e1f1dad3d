/* SPDX-License-Identifier: Apache-2.0 */
/* backend.h - the APIs servebench can benchmark: one request body builder and
 * one stream decoding mode per `--backend` name (vllm/benchmarks/lib/endpoint_request_func.py:
 * ASYNC_REQUEST_FUNCS).
 *
 * A backend is a row of a constant table (backend.c); the body builders live
 * one API per file (openai.c, openai_chat.c, tgi.c, trtllm.c, mii.c,
 * embeddings.c, rerank.c). Bodies are written in Python json.dumps style (pyjson.h) in
 * the reference's key order, with the sampling flags and --extra-body merged
 * last. Decoding of responses is stream.h's job. */
#ifndef SB_BACKEND_H
#define SB_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/pyjson.h"
#include "core/buf.h"
#include "core/prompt.h"
#include "core/err.h"

/* How a response is turned into token events. */
typedef enum bk_mode {
    BK_MODE_COMPLETIONS, /* SSE; token = message with non-empty choices; text choices[0].text */
    BK_MODE_CHAT,        /* SSE; same rule; text choices[0].delta.content */
    BK_MODE_TGI,         /* SSE; every JSON message is a token; text = last generated_text */
    BK_MODE_TRTLLM,      /* SSE; every JSON message is a token; text += text_output */
    BK_MODE_WHOLE,       /* not streamed: one JSON body, TTFT 0 (deepspeed-mii) */
    BK_MODE_POOLING,     /* as WHOLE, TTFT = latency (pooling backends, 3.9) */
    BK_MODE_AUDIO,       /* as CHAT, but usage.prompt_tokens is not taken (openai-audio, 3.8) */
    BK_MODE_RESPONSES,   /* SSE events of the Responses API; token = a text, reasoning or
                            tool-argument delta event; usage from response.completed */
} bk_mode;

typedef struct bk_params bk_params;

/* Everything a body builder reads for one request. */
typedef struct bk_req {
    const char *prompt;
    size_t prompt_bytes;
    int32_t prompt_len;
    int32_t output_len;
    sb_prompt_forms forms;  /* the other prompt forms (core/prompt.h) */
    const char *model;      /* this request's "model" (a --lora-modules pick), or NULL */
    const char *request_id; /* its x-request-id, or NULL when it carries none */
    /* openai-chat: the whole "messages" list, already rendered (a multi-turn
     * session's history, run/session.c), sent in place of the one user
     * message built from prompt; NULL otherwise */
    const char *chat_messages;
    size_t chat_messages_bytes;
} bk_req;

typedef struct backend {
    const char *name;        /* --backend value */
    const char *api_name;    /* for the URL message: "OpenAI Completions API" */
    const char *suffixes[3]; /* accepted URL endings (NULL-terminated), plus "profile" */
    bk_mode mode;
    bool openai_compat;     /* sampling flags allowed, ignore_eos forced for random */
    bool pooling;           /* embeddings: e2el metrics, no tokens */
    bool json_content_type; /* sends Content-Type: application/json explicitly (3.2) */
    bool takes_lists;       /* accepts a list of texts (batches, query + documents) */
    bool no_extra_body;     /* --extra-body is not merged (vllm-rerank, 3.9) */
    bool multipart;         /* body is multipart/form-data (openai-audio, 3.8), not JSON */
    void (*build)(const bk_params *p, const bk_req *r, pyjson_obj *o);
} backend;

/* The backend named name, or NULL. */
const backend *backend_find(const char *name);
/* Comma-separated list of every name, for --help and error messages. */
const char *backend_names(void);
/* 0 if url ends with one of the backend's suffixes (or "profile"); else -1
 * with the reference's message "<API> URL must end with one of: {...}.". */
int backend_check_url(const backend *be, const char *url, sb_err *err);

/* The Content-Type every request of be carries: application/json, or
 * multipart/form-data with the fixed boundary for multipart backends. */
const char *backend_content_type(const backend *be);

/* The fixed multipart boundary (aiohttp draws uuid4().hex per request; this
 * one has the same shape, see audio.c). */
#define BK_FORM_BOUNDARY "5e7b0a3c9d1f4b26a8c4e0f2d6b19a73"

/* The per-run body parameters: model name, sampling flags, ignore_eos and
 * the pre-rendered --extra-body. */
struct bk_params {
    const backend *be;
    const char *model; /* served model name, else model */
    bool ignore_eos;
    long logprobs;        /* -1 = null */
    pyjson_obj extra;     /* sampling flags then --extra-body, rendered */
    char *owned_keys[32]; /* --extra-body keys, copied */
    size_t n_owned;
};

/* The "model" value of request r: its LoRA module, else the run's model. */
static inline const char *bk_model(const bk_params *p, const bk_req *r)
{
    return r->model ? r->model : p->model;
}

/* The request-body flags, all a backend reads of the configuration (run/
 * fills it from sb_config; tests set it). Sampling values are NAN when not
 * given. Nothing here is kept after bk_params_init. */
typedef struct bk_opts {
    double top_p, top_k, min_p, temperature, frequency_penalty, presence_penalty,
        repetition_penalty;
    long logprobs;          /* --logprobs, -1 = null */
    long best_of;           /* --best-of, -1 = not sent */
    const char *extra_body; /* --extra-body JSON object text, or NULL */
} bk_opts;

/* Fills p from o (model is the resolved model name). Fails on an
 * --extra-body that is not a JSON object or sampling flags given to a backend
 * that is not OpenAI-compatible. */
int bk_params_init(bk_params *p, const backend *be, const bk_opts *o, const char *model,
                   bool ignore_eos, sb_err *err);
void bk_params_free(bk_params *p);
/* Appends the body of request r to out: JSON, or for a multipart backend
 * the form aiohttp writes (audio.c). scratch is reused between calls. */
void bk_build_body(const bk_params *p, const bk_req *r, pyjson_obj *scratch, sb_buf *out);

/* Helpers for the per-API builders: set key to a rendered value. */
void bk_set_str(pyjson_obj *o, const char *key, const char *s, size_t n);
void bk_set_int(pyjson_obj *o, const char *key, long long v);
void bk_set_float(pyjson_obj *o, const char *key, double v);
void bk_set_raw(pyjson_obj *o, const char *key, const char *json);
/* key = ["t0", "t1", ...] (json.dumps of a list of strings). */
void bk_set_str_list(pyjson_obj *o, const char *key, const char *const *texts, const size_t *bytes,
                     uint32_t n);

/* Per-API builders (one file each). */
void bk_build_completions(const bk_params *p, const bk_req *r, pyjson_obj *o);
void bk_build_chat(const bk_params *p, const bk_req *r, pyjson_obj *o);
void bk_build_tgi(const bk_params *p, const bk_req *r, pyjson_obj *o);
void bk_build_trtllm(const bk_params *p, const bk_req *r, pyjson_obj *o);
void bk_build_mii(const bk_params *p, const bk_req *r, pyjson_obj *o);
void bk_build_embeddings(const bk_params *p, const bk_req *r, pyjson_obj *o);
void bk_build_embeddings_chat(const bk_params *p, const bk_req *r, pyjson_obj *o);
void bk_build_embeddings_clip(const bk_params *p, const bk_req *r, pyjson_obj *o);
void bk_build_embeddings_vlm2vec(const bk_params *p, const bk_req *r, pyjson_obj *o);
void bk_build_infinity(const bk_params *p, const bk_req *r, pyjson_obj *o);
void bk_build_infinity_clip(const bk_params *p, const bk_req *r, pyjson_obj *o);
void bk_build_pooling(const bk_params *p, const bk_req *r, pyjson_obj *o);
void bk_build_rerank(const bk_params *p, const bk_req *r, pyjson_obj *o);
void bk_build_audio(const bk_params *p, const bk_req *r, pyjson_obj *o);
void bk_build_responses(const bk_params *p, const bk_req *r, pyjson_obj *o);

/* audio.c: the form of a multipart body: field "file" (r's WAV bytes), then
 * one text field per entry of o holding Python's str() of the value. */
void bk_form_write(const pyjson_obj *o, const bk_req *r, sb_buf *out);
/* Python str() of one JSON value as pyjson renders it: a string as it is,
 * True/False/None, numbers as repr, lists/dicts as Python repr. */
void bk_py_str(sb_buf *b, const char *json, size_t n);

#endif
