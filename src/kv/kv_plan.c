/* SPDX-License-Identifier: Apache-2.0 */
/* kv_plan.c - the KV-cache arithmetic of `servebench kv` (kv.h).
 *
 * Follows what vLLM allocates: K and V per attention layer and token (MLA:
 * one latent of kv_lora_rank + qk_rope_head_dim), KV heads split across
 * tensor-parallel ranks (replicated when there are fewer heads than ranks,
 * MLA's latent on every rank), layers split across pipeline stages, blocks
 * of block_size tokens, sliding-window layers holding the window plus one
 * block, and recurrent layers a fixed state per sequence. The memory left
 * for the cache is the GPU's memory times --gpu-memory-utilization minus the
 * weights and a stated overhead; vLLM measures its activation peak instead,
 * which is why that allowance is a flag. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kv/kv.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

static int cache_dtype_bytes(const kv_model *m, const char *d, int *out, sb_err *err)
{
    static const struct {
        const char *name;
        int bytes;
    } t[] = {
        {"fp8", 1},      {"fp8_e4m3", 1}, {"fp8_e5m2", 1}, {"fp8_inc", 1}, {"fp8_ds_mla", 1},
        {"bfloat16", 2}, {"float16", 2},  {"half", 2},     {"float32", 4}, {"float", 4},
    };
    if (!d || !strcmp(d, "auto")) {
        *out = m->dtype_bytes;
        return 0;
    }
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(d, t[i].name)) {
            *out = t[i].bytes;
            return 0;
        }
    return sb_err_set(err,
                      "--kv-cache-dtype %s: not one of auto, fp8, fp8_e4m3, fp8_e5m2, "
                      "bfloat16, float16, float32",
                      d);
}

static int heads_per_gpu(const kv_model *m, int tp, int *out, sb_err *err)
{
    if (m->n_heads % tp != 0)
        return sb_err_set(err, "--tensor-parallel-size %d does not divide the %d attention heads",
                          tp, m->n_heads);
    if (m->mla || m->n_kv_heads <= tp) {
        if (!m->mla && tp % m->n_kv_heads != 0)
            return sb_err_set(err,
                              "--tensor-parallel-size %d is not a multiple of the %d KV "
                              "heads (vLLM replicates heads only in whole copies)",
                              tp, m->n_kv_heads);
        *out = m->mla ? 0 : 1;
        return 0;
    }
    if (m->n_kv_heads % tp != 0)
        return sb_err_set(err, "--tensor-parallel-size %d does not divide the %d KV heads", tp,
                          m->n_kv_heads);
    *out = m->n_kv_heads / tp;
    return 0;
}

/* Layer kinds of the pipeline stage whose attention layers cost the most per
 * token (contiguous stages of n/pp layers, as vLLM partitions them). */
static void busiest_stage(const kv_model *m, int pp, kv_plan *p)
{
    int best = -1;
    for (int s = 0; s < pp; s++) {
        int lo = (int)((long)s * m->n_layers / pp), hi = (int)((long)(s + 1) * m->n_layers / pp);
        int f = 0, w = 0, st = 0;
        for (int i = lo; i < hi; i++) {
            f += m->layers[i] == KV_LAYER_FULL;
            w += m->layers[i] == KV_LAYER_SLIDING;
            st += m->layers[i] == KV_LAYER_STATE;
        }
        if (f * 4 + w * 2 + st > best) {
            best = f * 4 + w * 2 + st;
            p->full_per_gpu = f;
            p->sliding_per_gpu = w;
            p->state_per_gpu = st;
        }
    }
}

static long ceil_div(long a, long b)
{
    return (a + b - 1) / b;
}

double kv_seq_bytes(const kv_model *m, const kv_opts *o, const kv_plan *p, long len)
{
    long blocks = ceil_div(len, o->block_size), slide_blocks = blocks;
    if (m->sliding_window > 0 && slide_blocks > ceil_div(m->sliding_window, o->block_size) + 1)
        slide_blocks = ceil_div(m->sliding_window, o->block_size) + 1;
    double per_block = p->token_bytes_per_layer * (double)o->block_size;
    return (double)p->full_per_gpu * (double)blocks * per_block +
           (double)p->sliding_per_gpu * (double)slide_blocks * per_block + p->state_bytes_per_seq;
}

/* Largest len in [1, cap] with target sequences fitting, 0 if none. */
static long len_for(const kv_model *m, const kv_opts *o, const kv_plan *p, long target, long cap)
{
    if ((double)target * kv_seq_bytes(m, o, p, 1) > p->kv_bytes)
        return 0;
    long lo = 1, hi = cap;
    while (lo < hi) {
        long mid = lo + (hi - lo + 1) / 2;
        if ((double)target * kv_seq_bytes(m, o, p, mid) <= p->kv_bytes)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void memory(const kv_model *m, const kv_opts *o, kv_plan *p)
{
    int attn = p->full_per_gpu + p->sliding_per_gpu;
    p->token_bytes_per_layer =
        m->mla ? (double)(m->kv_lora_rank + m->qk_rope_head_dim) * p->kv_dtype_bytes
               : 2.0 * p->kv_heads_per_gpu * m->head_dim * p->kv_dtype_bytes;
    p->token_bytes = attn * p->token_bytes_per_layer;
    p->token_bytes_model = (double)(m->n_full + m->n_sliding) * p->kv_dtype_bytes *
                           (m->mla ? (double)(m->kv_lora_rank + m->qk_rope_head_dim)
                                   : 2.0 * m->n_kv_heads * m->head_dim);
    p->state_bytes_per_seq = p->state_per_gpu * m->state_elems_per_layer / o->tp * m->dtype_bytes;
    p->budget_bytes = o->gpu_memory_gib * GIB * o->utilization;
    p->weights_per_gpu = o->weights_bytes / (o->tp * o->pp);
    p->kv_bytes = p->budget_bytes - p->weights_per_gpu - o->overhead_gib * GIB;
}

int kv_plan_make(const kv_model *m, const kv_opts *o, kv_plan *p, sb_err *err)
{
    memset(p, 0, sizeof *p);
    if (o->tp < 1 || o->pp < 1 || o->pp > m->n_layers)
        return sb_err_set(err, "parallel sizes: tensor %d, pipeline %d (1..%d layers)", o->tp,
                          o->pp, m->n_layers);
    if (!(o->gpu_memory_gib > 0) || !(o->utilization > 0 && o->utilization <= 1) ||
        o->block_size < 1)
        return sb_err_set(err, "--gpu-memory must be > 0 GiB, --gpu-memory-utilization in "
                               "(0, 1], --block-size >= 1");
    if (cache_dtype_bytes(m, o->cache_dtype, &p->kv_dtype_bytes, err) != 0 ||
        heads_per_gpu(m, o->tp, &p->kv_heads_per_gpu, err) != 0)
        return -1;
    busiest_stage(m, o->pp, p);
    memory(m, o, p);
    long cap = m->max_position > 0 ? m->max_position : (1L << 24);
    p->max_model_len = o->max_model_len > 0 ? o->max_model_len : cap;
    if (p->kv_bytes <= 0)
        return 0;
    double block_all = p->token_bytes * (double)o->block_size;
    p->kv_tokens = block_all > 0 ? (long)floor(p->kv_bytes / block_all) * o->block_size : 0;
    p->seq_bytes = kv_seq_bytes(m, o, p, p->max_model_len);
    p->max_concurrency = p->seq_bytes > 0 ? (long)floor(p->kv_bytes / p->seq_bytes) : 0;
    if (o->target_concurrency > 0)
        p->len_for_target = len_for(m, o, p, o->target_concurrency, cap);
    return 0;
}
