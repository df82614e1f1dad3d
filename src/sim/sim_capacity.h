/* SPDX-License-Identifier: Apache-2.0 */
/* sim_capacity.h - the simulator's capacity mode (`--model-config FILE --gpu
 * NAME`): timing and admission derived from a model and a GPU instead of
 * fixed --ttft-ms / --itl-ms.
 *
 * The KV cache holds kv_tokens tokens (servebench kv's plan for that GPU); a
 * request is admitted when its prompt plus its max_tokens fit in what running
 * requests have not reserved (vLLM admits by the blocks it needs now and
 * preempts later; reserving up front never preempts, which is the stated
 * simplification). Time passes in engine steps (sim_step.c, as vLLM's
 * scheduler): each computes at most `budget` tokens, decode tokens of running
 * requests and prompt chunks of the others together, and takes the roofline
 * time of all of them (kv_perf_step_ms). */
#ifndef SB_SIM_CAPACITY_H
#define SB_SIM_CAPACITY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "kv/kv.h"
#include "kv/kv_perf.h"

typedef struct sim_capacity_opts {
    const char *model_config; /* config.json, a model folder or a cached model name */
    const char *gpu;          /* kv_gpu_find name */
    int tp;
    double gpu_memory_utilization;
    const char *kv_cache_dtype;
    long max_model_len; /* 0: max_position_embeddings */
    long block_size;    /* tokens per KV block (--block-size) */
    long num_blocks;    /* --num-gpu-blocks-override: the cache holds this many blocks, 0 = plan */
    long max_num_batched_tokens; /* a step's token budget; 0: vLLM's default for the GPU */
    double mfu, mbu, step_overhead_ms, allreduce_us, overhead_gib;
} sim_capacity_opts;

typedef struct sim_capacity {
    kv_model model;
    kv_plan plan;
    kv_perf perf;
    double weights_bytes;
    long kv_tokens; /* capacity */
    long reserved;  /* tokens reserved by running requests */
    long budget;    /* tokens one step computes at most (--max-num-batched-tokens) */
} sim_capacity;

/* vLLM's default step budget on that GPU: 8192 tokens on GPUs of 70 GiB or
 * more other than the A100, else 2048. */
long sim_capacity_default_budget(const kv_gpu *gpu);
/* Loads the config, plans the cache on the GPU and sets the timing model.
 * Fails naming the file and field, an unknown GPU (with the list) or a model
 * whose weights do not fit. */
int sim_capacity_init(sim_capacity *c, const sim_capacity_opts *o, sb_err *err);
void sim_capacity_free(sim_capacity *c);
/* One line describing the model, GPU, capacity and factors (for the log). */
void sim_capacity_describe(const sim_capacity *c, const sim_capacity_opts *o, sb_buf *out);
/* True when a request needing `tokens` (prompt + max_tokens) can start now
 * (always when nothing runs, so a request larger than the cache still runs). */
bool sim_capacity_fits(const sim_capacity *c, long tokens, uint32_t running);
void sim_capacity_reserve(sim_capacity *c, long tokens);
void sim_capacity_release(sim_capacity *c, long tokens);
/* Time of one engine step computing `tokens` tokens for `seqs` sequences
 * that held ctx_tokens of KV before it, in ns. */
uint64_t sim_capacity_batch_ns(const sim_capacity *c, uint32_t tokens, uint32_t seqs,
                               double ctx_tokens);
/* Share of the cache reserved, 0..1 (the /metrics KV-cache usage). */
double sim_capacity_usage(const sim_capacity *c);

#endif
