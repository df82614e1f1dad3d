/* SPDX-License-Identifier: Apache-2.0 */
/* kv_perf.h - a roofline timing model of an LLM server step, for the
 * simulator's capacity mode (`servebench sim --model-config --gpu`).
 *
 * Prefill is compute-bound: 2 x active parameters x tokens / (GPU FLOP/s x
 * --mfu x TP). A decode step is memory-bound: the weights of one GPU plus the
 * KV cache of every running sequence are read once per step, / (bandwidth x
 * --mbu), or compute-bound when the batch is large enough; whichever is
 * slower. Each step also pays a fixed --step-overhead-ms (scheduling, kernel
 * launches) and, with tensor parallelism, two all-reduces per layer of
 * --allreduce-us each. The efficiency factors are flags with documented
 * defaults because they are what a real server measures and this model
 * cannot know; bench/capacity.md compares predictions with published runs. */
#ifndef SB_KV_PERF_H
#define SB_KV_PERF_H

#include "kv/kv.h"

typedef struct kv_gpu {
    const char *name; /* --gpu value */
    double tflops;    /* dense bf16/fp16 tensor-core TFLOP/s (datasheet) */
    double bw_gbs;    /* memory bandwidth, GB/s (datasheet) */
    double mem_gib;   /* memory a process sees, GiB */
} kv_gpu;

/* The GPU named name ("h100", "a100-80g", "t4", ...), or NULL. */
const kv_gpu *kv_gpu_find(const char *name);
/* "t4, l4, a10, ..." for messages and --help. */
const char *kv_gpu_names(void);

typedef struct kv_perf_opts {
    const kv_gpu *gpu;
    int tp;
    double mfu;              /* share of peak FLOP/s reached (prefill), default 0.5 */
    double mbu;              /* share of peak bandwidth reached (decode), default 0.75 */
    double step_overhead_ms; /* fixed per step, default 1.5 */
    double allreduce_us;     /* one all-reduce with TP > 1, default 30 */
} kv_perf_opts;

#define KV_PERF_DEFAULTS                                                                           \
    {                                                                                              \
        NULL, 1, 0.5, 0.75, 1.5, 30.0                                                              \
    }

typedef struct kv_perf {
    kv_perf_opts o;
    double weights_bytes_gpu;
    double active_params;
    double token_bytes_gpu; /* KV bytes per token on one GPU, all attention layers */
    double state_bytes_gpu; /* recurrent state per sequence on one GPU */
    int layers;
} kv_perf;

/* From a parsed model, its plan (per-GPU KV bytes) and the whole model's
 * weight bytes. Fails when the model's active parameters are unknown. */
int kv_perf_init(kv_perf *p, const kv_model *m, const kv_plan *plan, double weights_bytes,
                 const kv_perf_opts *o, sb_err *err);
/* Time of one step that computes `tokens` tokens (prompt chunks and decode
 * tokens together) for `seqs` sequences holding ctx_tokens of KV in all
 * before the step, ms: the slower of the FLOPs of all its tokens and the
 * bytes of the weights plus that KV (and the sequences' states), plus the
 * fixed cost. Attention FLOPs are not counted (they grow with the context). */
double kv_perf_step_ms(const kv_perf *p, double tokens, double seqs, double ctx_tokens);
/* A step of one prefill of `tokens` prompt tokens alone, ms. */
double kv_perf_prefill_ms(const kv_perf *p, double tokens);
/* A step of `batch` decode tokens, one per sequence, holding ctx_tokens of
 * KV in all, ms. */
double kv_perf_decode_ms(const kv_perf *p, double batch, double ctx_tokens);

#endif
