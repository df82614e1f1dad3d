/* SPDX-License-Identifier: Apache-2.0 */
/* kv_perf.c - the roofline step model (kv_perf.h). GPU figures are the
 * vendors' datasheet numbers: dense (not sparse) bf16/fp16 tensor FLOP/s,
 * memory bandwidth, and the memory nvidia-smi reports in GiB. */
#include "kv/kv_perf.h"

#include <string.h>

static const kv_gpu gpus[] = {
    {"t4", 65, 320, 15.0},          {"l4", 121, 300, 22.0},        {"a10", 125, 600, 22.0},
    {"l40s", 362, 864, 44.5},       {"a100-40g", 312, 1555, 39.4}, {"a100-80g", 312, 2039, 79.2},
    {"h100-pcie", 756, 2000, 79.6}, {"h100", 989, 3350, 79.6},     {"h200", 989, 4800, 139.8},
    {"b200", 2250, 8000, 178.4},    {"mi300x", 1307, 5300, 191.5},
};

const kv_gpu *kv_gpu_find(const char *name)
{
    for (size_t i = 0; i < sizeof gpus / sizeof gpus[0]; i++)
        if (!strcmp(gpus[i].name, name))
            return &gpus[i];
    return NULL;
}

const char *kv_gpu_names(void)
{
    return "t4, l4, a10, l40s, a100-40g, a100-80g, h100-pcie, h100 (SXM), h200, b200, mi300x";
}

int kv_perf_init(kv_perf *p, const kv_model *m, const kv_plan *plan, double weights_bytes,
                 const kv_perf_opts *o, sb_err *err)
{
    memset(p, 0, sizeof *p);
    if (!(m->params_active > 0))
        return sb_err_set(err,
                          "%s: the capacity model needs the active parameter count, which "
                          "is estimated for standard and MoE decoders only",
                          m->arch);
    if (!o->gpu || o->tp < 1 || !(o->mfu > 0 && o->mfu <= 1) || !(o->mbu > 0 && o->mbu <= 1) ||
        o->step_overhead_ms < 0 || o->allreduce_us < 0)
        return sb_err_set(err, "capacity model: a GPU, TP >= 1, --mfu and --mbu in (0, 1] and "
                               "non-negative overheads are needed");
    p->o = *o;
    p->weights_bytes_gpu = weights_bytes / o->tp;
    p->active_params = m->params_active;
    p->token_bytes_gpu = plan->token_bytes;
    p->state_bytes_gpu = plan->state_bytes_per_seq;
    p->layers = m->n_layers;
    return 0;
}

/* Fixed cost of any step: scheduling and launches, plus two all-reduces per
 * layer when the layers are split across GPUs. */
static double fixed_ms(const kv_perf *p)
{
    return p->o.step_overhead_ms + (p->o.tp > 1 ? 2.0 * p->layers * p->o.allreduce_us / 1000 : 0);
}

static double compute_ms(const kv_perf *p, double tokens)
{
    return 2.0 * p->active_params * tokens / (p->o.tp * p->o.gpu->tflops * 1e12 * p->o.mfu) * 1e3;
}

static double memory_ms(const kv_perf *p, double bytes)
{
    return bytes / (p->o.gpu->bw_gbs * 1e9 * p->o.mbu) * 1e3;
}

double kv_perf_step_ms(const kv_perf *p, double tokens, double seqs, double ctx_tokens)
{
    double bytes =
        p->weights_bytes_gpu + ctx_tokens * p->token_bytes_gpu + seqs * p->state_bytes_gpu;
    double mem = memory_ms(p, bytes), c = compute_ms(p, tokens);
    return fixed_ms(p) + (c > mem ? c : mem);
}

double kv_perf_prefill_ms(const kv_perf *p, double tokens)
{
    return kv_perf_step_ms(p, tokens, 1, 0);
}

double kv_perf_decode_ms(const kv_perf *p, double batch, double ctx_tokens)
{
    return kv_perf_step_ms(p, batch, batch, ctx_tokens);
}
