/* SPDX-License-Identifier: Apache-2.0 */
/* sim.h - the built-in simulated OpenAI-compatible LLM server.
 *
 * `servebench sim` runs it in the foreground; `servebench serve --sim` and the
 * tests start it in-process on its own thread through this interface. It
 * shares only core/ with the client side. docs/sim.md is the manual. */
#ifndef SB_SIM_H
#define SB_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct sim_server sim_server;

/* Caps of the model names a simulator serves (docs/sim.md, LORA). */
#define SIM_MAX_SERVED_NAMES 8 /* --served-model-name NAME ... */
#define SIM_MAX_LORAS 64       /* --lora-modules entries */
#define SIM_NAME_MAX 201       /* bytes of one model or adapter name, NUL included */
#define SIM_PATH_MAX 512       /* bytes of one adapter path, NUL included */

/* One --lora-modules entry: `name=path` or vLLM's JSON form. */
typedef struct sim_lora {
    char name[SIM_NAME_MAX];
    char path[SIM_PATH_MAX];
    char base[SIM_NAME_MAX]; /* "base_model_name", "" when not given */
} sim_lora;

/* Counts the prompt tokens of one request's text (completions prompt, or the
 * concatenated chat message contents). Called on the server thread; must not
 * block. Returns the count (the server raises 0 to 1). */
typedef size_t (*sim_count_fn)(void *ctx, const char *text, size_t len);

/* Everything `servebench sim` accepts; sim_opts_default fills the documented
 * defaults. Strings may point into argv: sim_start_opts copies what it keeps
 * (host, model) and opens the record file before returning. */
typedef struct sim_opts {
    const char *host;            /* --host, "127.0.0.1" */
    int port;                    /* --port, 8000; 0 = ephemeral */
    const char *model;           /* --model, "sim" */
    double ttft_ms, ttft_std_ms; /* --ttft-ms 20, --ttft-std-ms 0 */
    double itl_ms, itl_std_ms;   /* --itl-ms 5, --itl-std-ms 0 */
    double prefill_tok_per_s;    /* --prefill-tok-per-s, 0 = prefill is free */
    double itl_per_seq_us;       /* --itl-per-seq-us 0: added per running sequence */
    int max_num_seqs;            /* --max-num-seqs 256: continuous batching width */
    long max_model_len;          /* --max-model-len, 0 = unlimited */
    int tokens_per_chunk;        /* --tokens-per-chunk 1 */
    long reasoning_tokens;       /* --reasoning-tokens 0: chat streams' first N tokens are
                                    "reasoning_content" deltas, the rest "content" */
    long tool_call_tokens;       /* --tool-call-tokens 0: chat streams' last N tokens are
                                    one tool call's "tool_calls" argument deltas */
    int embedding_dim;           /* --embedding-dim 16: floats per pooling vector */
    uint64_t seed;               /* --seed 0 */
    const char *record_path;     /* --record FILE, NULL = off */
    int record_messages;         /* --record-messages: chat "messages" in each record line */
    double fail_rate, reject_rate, reset_rate, drop_rate, malformed_rate, stall_rate;
    double structured_fault_rate; /* a JSON-schema answer cut by its last byte (not JSON) */
    double stall_ms;              /* --stall-ms 1000 */
    int firehose;                 /* --firehose */
    size_t max_body_bytes;        /* --max-body-bytes 64 MiB */
    size_t max_header_bytes;      /* --max-header-bytes 64 KiB */
    int quiet;                    /* --quiet: no totals on stop */
    /* Connection limits (docs/sim.md, LIMITS); not flags: 0 picks the default,
     * tests set small values. */
    size_t max_out_bytes;      /* pending response bytes that pause a connection, 4 MiB */
    unsigned read_timeout_ms;  /* a request's bytes must all come within, 30 s */
    unsigned write_timeout_ms; /* pending output with no progress for this long drops, 30 s */
    unsigned idle_timeout_ms;  /* an idle keep-alive connection closes after, 120 s */
    const char *tokenizer;     /* --tokenizer SPEC: count prompt tokens exactly (loaded by
                                  sim_start_opts unless count_tokens is already set) */
    /* Capacity mode (sim_capacity.h): with --model-config and --gpu, timing and
     * admission come from the model on that GPU instead of the fixed times. */
    const char *model_config;      /* --model-config SPEC, NULL = off */
    const char *gpu;               /* --gpu NAME */
    int tensor_parallel_size;      /* --tensor-parallel-size 1 */
    double gpu_memory_utilization; /* --gpu-memory-utilization 0.9 */
    const char *kv_cache_dtype;    /* --kv-cache-dtype auto */
    double mfu, mbu;               /* --mfu 0.5, --mbu 0.75 */
    double step_overhead_ms;       /* --step-overhead-ms 1.5 */
    double allreduce_us;           /* --allreduce-us 30 */
    double overhead_gib;           /* --overhead-gib 2 */
    /* Prefix cache (docs/sim.md, PREFIX CACHE): full blocks of prompt tokens
     * already computed cost no prefill time. */
    int enable_prefix_caching; /* --enable-prefix-caching (default) / --no-enable-prefix-caching */
    int block_size;            /* --block-size 16: tokens per cached block */
    long num_gpu_blocks;       /* --num-gpu-blocks-override, 0 = the default capacity */
    long max_num_batched_tokens; /* --max-num-batched-tokens, 0 = vLLM's default for the GPU */
    /* Served names and LoRA adapters (docs/sim.md, LORA), kept inline so a
     * copy of the options owns them. */
    char served[SIM_MAX_SERVED_NAMES][SIM_NAME_MAX]; /* --served-model-name; none = --model */
    int n_served;
    int enable_lora;               /* --enable-lora */
    int max_loras;                 /* --max-loras 1: adapters one batch may mix */
    sim_lora loras[SIM_MAX_LORAS]; /* --lora-modules */
    int n_loras;
    /* Prompt token counter; NULL = whitespace-separated words, at least 1. */
    sim_count_fn count_tokens;
    void *count_ctx;
} sim_opts;

/* What the server did, for the totals line and for benchmarks. */
typedef struct sim_totals {
    uint64_t connections, requests, ok, faults, client_errors, client_gone;
    uint64_t read_timeouts, write_timeouts, idle_timeouts; /* connections the limits dropped */
    uint64_t prompt_tokens, output_tokens, chunks, bytes_out;
    uint64_t prefix_queries, prefix_hits; /* prompt tokens looked up / found in the prefix cache */
    uint64_t sched_samples;               /* emissions measured for schedule error */
    uint64_t sched_p50_ns, sched_p99_ns, sched_max_ns; /* actual - planned emission */
    uint64_t first_req_ns, last_emit_ns;               /* CLOCK_MONOTONIC span of the work */
    uint64_t lora_requests[SIM_MAX_LORAS]; /* requests that named each --lora-modules adapter */
} sim_totals;

void sim_opts_default(sim_opts *o);
/* Parses `servebench sim` flags (argv[0] is skipped) over the current values.
 * Returns 0, 1 when --help was asked (nothing else parsed), or -1 with err. */
int sim_opts_parse(sim_opts *o, int argc, char **argv, sb_err *err);
/* The --help text. */
const char *sim_opts_help(void);

/* Starts a simulator on a background thread, configured by the same options
 * as `servebench sim` (argv[0] is ignored; "--port 0" picks a free port).
 * Returns NULL with err set on bad options or bind failure. */
sim_server *sim_start(int argc, char **argv, sb_err *err);
/* A sim_count_fn that counts with a tokenizer (ctx is a `const tok *`,
 * tokenizer/tokenizer.h), special tokens included, as vLLM counts a prompt. */
size_t sim_count_with_tok(void *ctx, const char *text, size_t len);

/* Same, from an options struct (lets a caller install count_tokens). */
sim_server *sim_start_opts(const sim_opts *o, sb_err *err);
/* The TCP port it listens on. */
int sim_port(const sim_server *s);
/* The numeric address it listens on ("127.0.0.1", "[::1]"). */
const char *sim_host(const sim_server *s);
/* Stops the loop, closes every connection and joins the thread; the server
 * stays readable for sim_get_totals until sim_stop. Idempotent. */
void sim_halt(sim_server *s);
/* Totals so far; exact after sim_halt. */
void sim_get_totals(sim_server *s, sim_totals *out);
/* Stops the loop, closes every connection, joins the thread and frees. */
void sim_stop(sim_server *s);

#endif
