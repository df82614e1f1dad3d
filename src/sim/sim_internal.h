/* SPDX-License-Identifier: Apache-2.0 */
/* sim_internal.h - the simulator's private types, shared by its .c files.
 *
 * One sim_server owns everything: the listening socket, the epoll loop, every
 * connection, the timer heap, the batch model's queues, metrics and the
 * record file. A connection carries at most one request at a time (HTTP/1.1
 * without concurrent pipelining: later pipelined requests wait in its input
 * buffer), so the request state lives inside the connection and the whole
 * server allocates once per connection and once per recorded request, never
 * per token. */
#ifndef SB_SIM_INTERNAL_H
#define SB_SIM_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/buf.h"
#include "sim/sim.h"
#include "sim/sim_capacity.h"
#include "sim/sim_heap.h"
#include "sim/sim_http.h"
#include "sim/sim_metrics.h"
#include "sim/sim_prefix.h"
#include "sim/sim_rng.h"

enum sim_api {
    SIM_API_COMPLETIONS,
    SIM_API_CHAT,
    SIM_API_TGI,
    SIM_API_TRT,
    SIM_API_EMBED, /* pooling endpoints (sim_pool.c): one JSON answer, no tokens */
    SIM_API_POOLING,
    SIM_API_RERANK,
    SIM_API_RESPONSES, /* /v1/responses (sim_responses.c): typed SSE events */
};

enum sim_fault {
    SIM_FAULT_NONE,
    SIM_FAULT_RESET,     /* RST before any response byte */
    SIM_FAULT_REJECT,    /* 429 */
    SIM_FAULT_FAIL,      /* 500 */
    SIM_FAULT_DROP,      /* connection closed mid-stream */
    SIM_FAULT_MALFORMED, /* one corrupt chunk */
    SIM_FAULT_STALL,     /* one pause of --stall-ms mid-stream */
    SIM_FAULT_COUNT
};

enum sim_phase { SIM_PH_IDLE, SIM_PH_WAITING, SIM_PH_PREFILL, SIM_PH_DECODE };

typedef struct sim_req {
    int api, stream, include_usage, continuous_usage;
    int phase, fault;
    uint32_t fault_chunk; /* chunk index the mid-stream fault hits */
    uint32_t prompt_tokens, max_tokens, out_tokens, emitted, chunks, nchunks;
    uint32_t kv_reserved;   /* capacity mode: KV tokens held while running */
    int pfx_keyed;          /* the prompt was keyed for the prefix cache (sim_key_begin) */
    uint32_t pfx_blocks;    /* its full blocks: hashes in the connection's pfx_hash */
    uint32_t pfx_held;      /* cache entries it pins while running (pfx_ent) */
    uint32_t cached_tokens; /* prompt tokens found in the prefix cache at start */
    uint64_t pfx_root;      /* the chain's root (seed and cache_salt) */
    int pfx_retok;          /* the prompt text is in the connection's pfx_text */
    uint64_t seq;           /* arrival number */
    uint64_t arrival_ns, start_ns, first_ns, last_ns, prev_emit_ns;
    uint64_t created_s; /* wall seconds, the "created" field */
    uint64_t text_seed;
    /* a structured-output request's answer (JSON the schema accepts, in the
     * connection's structured buffer), spread over the output tokens; NULL otherwise */
    const char *structured;
    size_t structured_len;
    sim_rng rng;
    char id[40];          /* cmpl-/chatcmpl- id */
    char request_id[128]; /* the x-request-id header, "" when absent */
    char session_id[128]; /* the x-session-id header, "" when absent (--record) */
    char trt_model[64];   /* TensorRT-LLM: model name from the path */
    char prefix[384];     /* the constant start of every stream chunk */
    uint16_t prefix_len;  /* 0 until built */
    uint64_t *emit_ns;    /* --record: every emission time */
    char *rec_messages;   /* --record-messages: the chat request's "messages" (and "tools",
                             "tool_choice") as JSON members, or NULL */
    size_t emit_cap;
    uint64_t first_plan_ns; /* when the first chunk was planned (--record) */
    /* Capacity mode's engine steps (sim_step.c): prompt tokens computed,
     * output tokens produced (emitted or not), tokens in the step under way;
     * the injected stall already taken. */
    uint32_t prefilled, produced, sched;
    int stall_done;
    uint16_t model_ref; /* the name it gave (sim_model_find), 0 = the first served name */
    uint16_t lora;      /* its adapter's index + 1, 0 = the base model */
} sim_req;

/* Defaults of the connection limits (sim_opts fields left 0; docs/sim.md). */
#define SIM_MAX_OUT_BYTES ((size_t)4 << 20)
#define SIM_READ_TIMEOUT_MS 30000u
#define SIM_WRITE_TIMEOUT_MS 30000u
#define SIM_IDLE_TIMEOUT_MS 120000u
/* After an error answer the socket is shut for writing and the client's
 * remaining bytes are read and dropped this long, so closing with unread input
 * does not turn into an RST that destroys the answer before the client reads it. */
#define SIM_LINGER_MS 1000u
/* A busy connection stops reading once this much pipelined input waits. */
#define SIM_PIPELINE_BYTES ((size_t)64 << 10)

typedef struct sim_conn sim_conn;
struct sim_conn {
    int fd;
    int dead, closing, busy, peer_eof, chunked, keep_alive;
    int linger;      /* close through shutdown + drain (an error answer) */
    int draining;    /* write side shut: reading only to discard */
    int rdhup_seen;  /* the peer's FIN was reported while not reading */
    int gen_blocked; /* output over max_out_bytes: the stream waits for EPOLLOUT */
    uint32_t events; /* what epoll watches now */
    sim_server *srv;
    sb_buf in, out;
    sb_buf pool;       /* a pooling request's answer, rendered at admission (sim_pool.c) */
    sb_buf structured; /* a structured-output request's answer (sim_req.structured) */
    size_t out_off;
    uint64_t in_first_ns;   /* when the pending input's first byte came */
    uint64_t last_out_ns;   /* the socket last took output bytes (or output began) */
    uint64_t idle_since_ns; /* the last request ended (or the connection opened) */
    uint64_t blocked_plan;  /* the planned emission a gen_blocked stream resumes at */
    sim_req req;
    /* The prefix cache's view of the request's prompt, reused across its
     * requests: block hashes while keying and waiting, then the pinned
     * entries while running; pfx_cap entries each (at most the capacity). */
    sim_pfx_hasher pfx_h;
    uint64_t *pfx_hash;
    uint32_t *pfx_ent;
    uint32_t pfx_cap;
    sb_buf pfx_text;         /* the prompt text keyed through the tokenizer (sim_key_output) */
    sim_timer timer;         /* model: the next emission */
    sim_timer io_timer;      /* limits: read, write, idle and linger deadlines */
    sim_conn *wprev, *wnext; /* waiting queue links */
    sim_conn *prev, *next;   /* all live connections */
};

struct sim_server {
    sim_opts o;
    char *own_host, *own_model; /* copies o.host, o.model point to */
    char host[256];
    int lfd, epfd, tfd, efd;
    int port;
    int accept_paused;
    int have_pwait2; /* epoll_pwait2 works (else the timerfd) */
    size_t max_out;  /* resolved limits (sim_opts 0 = the SIM_* default) */
    uint64_t read_timeout_ns, write_timeout_ns, idle_timeout_ns;
    uint64_t armed_ns; /* what the timerfd is set to (0 = disarmed) */
    pthread_t thread;
    int thread_running, halted;
    sim_conn *conns;     /* live list */
    sim_conn *graveyard; /* closed this iteration, freed at its end */
    sim_heap heap;
    sim_conn *wait_head, *wait_tail;
    uint32_t running, waiting;
    /* --max-loras: requests of each adapter running and waiting, and how many
     * adapters the running batch holds. */
    uint32_t lora_running[SIM_MAX_LORAS], lora_waiting[SIM_MAX_LORAS];
    uint32_t lora_active;
    uint64_t req_seq;
    sim_metrics m;
    sim_totals t;
    FILE *rec;
    struct tok *tk;    /* --tokenizer, owned; NULL when counting words */
    sim_capacity *cap; /* capacity mode (--model-config), owned; NULL when off */
    sim_prefix *pfx;   /* prefix cache, owned; NULL with --no-enable-prefix-caching */
    int32_t *pfx_ids;  /* token ids of the prompt being keyed (tokenizer), reused */
    size_t pfx_ids_cap;
    sb_buf scratch, scratch2; /* reused formatting space */
    /* Capacity mode's engine (sim_step.c): started requests in start order
     * (linked through wprev/wnext, which a running request does not use for
     * the waiting queue), the timer of the step under way, whether that step
     * is composed (step_begin ran; step_end has not) and when it began, or
     * when the engine was last free, and when the last step ended. */
    sim_conn *run_head, *run_tail;
    sim_timer step_timer;
    int step_busy;
    int step_composed;
    uint64_t step_free_ns;
    uint64_t step_ended_ns;
};

/* sim_tok.c */
int sim_tok_attach(sim_server *s, sb_err *err);
void sim_tok_detach(sim_server *s);
/* Prompt tokens of text as the server counts them (the count_tokens hook, or
 * words). With the prefix cache on it also keys the prompt's full blocks:
 * the tokenizer's ids when the hook is the tokenizer's (sim_count_with_tok),
 * else one id per whitespace-separated word (its FNV-1a hash). salt: vLLM's
 * cache_salt, or NULL. */
size_t sim_prompt_tokens(sim_conn *c, const char *text, size_t len, const char *salt,
                         size_t salt_len);
/* Keying a prompt given as ids, with the prefix cache on: begin with at most
 * max_tokens ids to come, push each id, end. */
void sim_key_begin(sim_conn *c, size_t max_tokens, const char *salt, size_t salt_len);
void sim_key_end(sim_conn *c);
/* A request generated all its tokens: the full blocks of its prompt and
 * output (but the last output token, whose KV vLLM never computes) are cached
 * as vLLM caches them, the output keyed as the client will resend it
 * (docs/sim.md, PREFIX CACHE); held until sim_prefix_release. */
void sim_key_output(sim_conn *c);

/* The tokenizer prompts are counted with (--tokenizer, or the one a caller
 * installed through sim_count_with_tok), or NULL when the server counts words. */
const struct tok *sim_tok_of(const sim_server *s);
/* Without a tokenizer, the id of a whitespace-separated word: its index in
 * the output vocabulary (0-63, sim_emit_word), else 64 + a hash of it below
 * 2^31, so what the server emits can be detokenized. */
int32_t sim_word_id(const char *w, size_t n);
/* The next whitespace-separated word of text at or after *at, as
 * sim_count_words counts them: its start in *word and its length, 0 when no
 * word is left; *at moves past it. */
size_t sim_next_word(const char *text, size_t len, size_t *at, const char **word);

/* sim_loop.c */
int sim_loop_run(sim_server *s);
void sim_loop_arm(sim_server *s);

/* sim_conn.c */
sim_conn *sim_conn_new(sim_server *s, int fd);
void sim_conn_on_event(sim_conn *c, uint32_t events);
void sim_conn_flush(sim_conn *c);
void sim_conn_close(sim_conn *c, int reset);
void sim_conn_process_input(sim_conn *c);
void sim_conn_free(sim_conn *c);
/* The I/O deadline of c fired (or may have moved): act or re-arm. */
void sim_conn_on_timer(sim_conn *c);
/* Response bytes waiting for the socket. */
size_t sim_conn_pending(const sim_conn *c);
/* Pending output is at or over the cap: produce nothing more for c. */
int sim_conn_out_full(const sim_conn *c);
/* A response is complete: close or go on with pipelined input. */
void sim_conn_response_done(sim_conn *c);

/* sim_api.c */
/* Handles one parsed request: answers at once or admits it to the model. */
void sim_api_handle(sim_conn *c, const sim_http_req *hr);
/* Queues a complete JSON (or text) response. */
void sim_api_respond(sim_conn *c, int status, const char *ctype, const char *body, size_t n);
/* vLLM's error JSON shape. */
void sim_api_error(sim_conn *c, int status, const char *type, const char *msg);
/* Starts the request state of c for api (id, seed, arrival, counters). */
void sim_api_init_req(sim_conn *c, int api, const sim_http_req *hr);
/* vLLM's 400 error object, counted as a client error. */
void sim_api_bad_request(sim_conn *c, const char *msg);
/* A started request (sim_api_init_req) whose fields were read elsewhere:
 * model check (404), prompt/context sizing and output draw (400), then the
 * model. model may be NULL; max_tokens -1 = not given. */
void sim_api_admit(sim_conn *c, const char *model, long prompt_tokens, long max_tokens,
                   long min_tokens, int ignore_eos);

/* The chat prompt of a "messages" list (jansson json_t): the contents joined
 * by newlines, text parts only, in the server's scratch2 (valid until its
 * next use); -1 with msg when the list is malformed. */
struct json_t;
int sim_api_chat_text(sim_server *s, struct json_t *messages, const char **text, size_t *len,
                      char *msg, size_t cap);

/* sim_tokenize.c: vLLM's /tokenize and /detokenize (SGLang's /v1/ paths too) */
/* Handles hr when its path is one of them (returns 1), else 0. */
int sim_tokenize_handle(sim_conn *c, const sim_http_req *hr);

/* sim_audio.c: /v1/audio/transcriptions and /v1/audio/translations */
/* Handles hr when its path is an audio endpoint (returns 1), else 0. */
int sim_audio_handle(sim_conn *c, const sim_http_req *hr);

/* sim_responses.c: the OpenAI Responses API */
/* Handles hr when its path is /v1/responses (returns 1), else 0. */
int sim_responses_handle(sim_conn *c, const sim_http_req *hr);
/* The events of tokens [first, first + n) (response.created first), into b. */
void sim_responses_chunk(sim_conn *c, sb_buf *b, uint32_t first, uint32_t n);
/* response.completed with the usage, into b. */
void sim_responses_end(sim_conn *c, sb_buf *b);

/* sim_pool.c: embeddings, pooling and rerank */
/* Handles hr when its path is a pooling endpoint (returns 1), else 0. */
int sim_pool_handle(sim_conn *c, const sim_http_req *hr);
/* Queues the answer rendered at admission (half of it when corrupt). */
void sim_pool_emit(sim_conn *c, int corrupt);

/* sim_opts.c: the names a request may give in "model" (vLLM's
 * vllm/entrypoints/openai/models/serving.py: OpenAIServingModels): every
 * served name, then every adapter. Returns the name's ref, or -1. */
int sim_model_find(const sim_opts *o, const char *name);
/* The name of a ref (a served alias or an adapter). */
const char *sim_model_name(const sim_opts *o, int ref);
/* The name a response carries: the adapter's, else the first served name. */
const char *sim_model_resp(const sim_conn *c);
/* Resolves the request's "model" (NULL = not given) into c->req and counts
 * an adapter's request; -1 when no served name or adapter has that name. */
int sim_model_pick(sim_conn *c, const char *name);

/* sim_model.c */
void sim_model_admit(sim_conn *c);
void sim_model_tick(sim_conn *c);
/* The request's connection went away: leave the batch or queue, recording
 * outcome; NULL = "client_gone", or the injected fault's name when the fault
 * had already struck (the client refused a corrupt chunk, gave up in a stall). */
void sim_model_abort(sim_conn *c, const char *outcome);

/* sim_emit.c: response bytes for each API */
void sim_emit_stream_head(sim_conn *c);
void sim_emit_chunk(sim_conn *c, uint32_t first_tok, uint32_t ntok, int last, int corrupt);
void sim_emit_stream_end(sim_conn *c);
void sim_emit_full(sim_conn *c, int corrupt);
/* Word i (0-63) of the output vocabulary, with its leading space; NULL past it. */
const char *sim_emit_word(uint32_t i);
/* The index of a word (without the leading space) in that vocabulary, or -1. */
int sim_emit_word_index(const char *w, size_t n);
/* Appends token i's text (JSON-safe) to b. */
void sim_emit_token_text(const sim_req *r, uint32_t i, sb_buf *b);

/* sim_step.c: capacity mode's engine steps */
/* The engine runs (capacity mode without --firehose). */
int sim_step_on(const sim_server *s);
/* A started request joins the engine at now (wakes it when idle). */
void sim_step_join(sim_server *s, sim_conn *c, uint64_t now);
/* A request left the batch (finished or aborted). */
void sim_step_leave(sim_server *s, sim_conn *c);
/* The step timer fired: the step ends, its tokens come out, the next starts. */
void sim_step_run(sim_server *s);
/* sim_model.c: emits the chunks whose tokens the engine has produced, as
 * planned at `planned` (pauses for the stall, the client's full socket). */
void sim_model_emit_ready(sim_conn *c, uint64_t planned);

/* sim_fault.c */
int sim_fault_pick(const sim_opts *o, sim_rng *r, uint32_t nchunks, uint32_t *at_chunk);
const char *sim_fault_name(int fault);

/* sim_record.c */
void sim_record_write(sim_server *s, const sim_req *r, const char *outcome, int status);

/* sim_opts.c */
size_t sim_count_words(void *ctx, const char *text, size_t len);

#endif
