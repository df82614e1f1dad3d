/* SPDX-License-Identifier: Apache-2.0 */
/* kv.h - KV-cache sizing: how many tokens and sequences of a model fit on a
 * GPU, from its config.json, as vLLM allocates them.
 *
 * A model is reduced to per-layer facts (kv_model): which layers hold a KV
 * cache (full or sliding-window attention, or MLA's compressed latent) and
 * which hold a fixed-size recurrent state instead (Mamba, Gated DeltaNet),
 * with the bytes each costs. A plan (kv_plan) applies a GPU's memory, the
 * parallelism and the cache dtype to that, and keeps every intermediate
 * figure so the arithmetic can be printed for the user to check. */
#ifndef SB_KV_H
#define SB_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

typedef enum kv_layer_kind {
    KV_LAYER_FULL,    /* attention over the whole sequence */
    KV_LAYER_SLIDING, /* attention over the last sliding_window tokens */
    KV_LAYER_STATE,   /* no KV: a recurrent state per sequence (Mamba, linear attention) */
} kv_layer_kind;

typedef struct kv_model {
    char arch[96];      /* architectures[0] */
    const char *family; /* "standard (MHA/GQA)", "MLA", ... */
    int n_layers;
    int n_heads, n_kv_heads, head_dim;
    bool mla; /* DeepSeek-V2/V3 multi-head latent attention */
    int kv_lora_rank, qk_rope_head_dim;
    long sliding_window;   /* tokens, 0 when no layer slides */
    kv_layer_kind *layers; /* n_layers kinds; owned */
    int n_full, n_sliding, n_state;
    int dtype_bytes; /* weights/activations dtype: torch_dtype */
    const char *dtype_name;
    long max_position; /* max_position_embeddings, 0 if absent */
    /* Recurrent state of one sequence in one state layer, in elements (times
     * the dtype's bytes), split into the parts that tensor parallelism shards. */
    double state_elems_per_layer;
    char state_formula[160]; /* how state_elems_per_layer was computed */
    /* Parameter counts estimated from the shapes (kv_model_parse), 0 when the
     * architecture's shapes are not covered (MLA, hybrids): total, and active
     * per token (MoE: the routed experts a token uses plus the shared part). */
    double params_total, params_active;
} kv_model;

typedef struct kv_load_opts {
    bool assume_gqa; /* an unknown architecture is read as standard attention */
} kv_load_opts;

/* Reads config.json text (from file, for messages) into m. Fails naming the
 * missing or bad field and the architecture; an architecture outside the
 * known families fails unless o->assume_gqa. */
int kv_model_parse(const char *json, size_t len, const char *file, const kv_load_opts *o,
                   kv_model *m, sb_err *err);
void kv_model_free(kv_model *m);

/* Bytes of the weights stored next to a config: model.safetensors.index.json's
 * metadata.total_size, else the tensors of every *.safetensors header. 0 when
 * the folder has neither (the caller then needs --weights-gib/--params-b);
 * -1 with err on a malformed file. */
int64_t kv_weights_bytes(const char *dir, sb_err *err);

typedef struct kv_opts {
    const char *cache_dtype; /* "auto", "fp8", "fp8_e4m3", "fp8_e5m2", "bfloat16", ... */
    int tp, pp;              /* tensor / pipeline parallel sizes */
    double gpu_memory_gib;   /* per GPU */
    double utilization;      /* --gpu-memory-utilization */
    double overhead_gib;     /* activations, CUDA graphs, allocator slack per GPU */
    double weights_bytes;    /* whole model, all GPUs together */
    long block_size;         /* tokens per KV block (vLLM: 16) */
    long max_model_len;      /* for the concurrency figure; 0 = max_position */
    long target_concurrency; /* for the largest length figure; 0 = not asked */
} kv_opts;

typedef struct kv_plan {
    int kv_dtype_bytes;
    int kv_heads_per_gpu;
    int full_per_gpu, sliding_per_gpu, state_per_gpu; /* layers on the busiest stage */
    double token_bytes_per_layer; /* one token in one attention layer, per GPU */
    double token_bytes;           /* one token in every attention layer of a GPU */
    double token_bytes_model;     /* one token, whole model (all GPUs) */
    double state_bytes_per_seq;   /* per GPU */
    double budget_bytes;          /* memory x utilization */
    double weights_per_gpu;
    double kv_bytes;      /* what is left for the cache (may be <= 0) */
    long kv_tokens;       /* tokens if every attention layer holds them (blocks) */
    long max_model_len;   /* the length the concurrency is for */
    double seq_bytes;     /* one sequence of max_model_len, per GPU */
    long max_concurrency; /* sequences of max_model_len that fit */
    long len_for_target;  /* largest length with target_concurrency sequences; 0 */
} kv_plan;

/* Fills p; fails on impossible options (tp that does not divide the KV
 * heads, zero memory, an unknown cache dtype). A model that does not fit
 * is not an error: p->kv_bytes <= 0 says so. */
int kv_plan_make(const kv_model *m, const kv_opts *o, kv_plan *p, sb_err *err);
/* Bytes one sequence of len tokens holds on one GPU. */
double kv_seq_bytes(const kv_model *m, const kv_opts *o, const kv_plan *p, long len);
/* The report: the model's facts, then each step of the arithmetic. */
void kv_plan_print(const kv_model *m, const kv_opts *o, const kv_plan *p, sb_buf *out);
/* The same figures as one JSON object. */
void kv_plan_json(const kv_model *m, const kv_opts *o, const kv_plan *p, sb_buf *out);

#endif
