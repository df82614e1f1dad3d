/* SPDX-License-Identifier: Apache-2.0 */
/* sim_capacity.c - the simulator's capacity mode (sim_capacity.h). */
#include "sim/sim_capacity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/hf_cache.h"

static int load_model(sim_capacity *c, const char *spec, sb_err *err)
{
    static const char *const names[] = {"config.json"};
    char *path = hf_find(spec, names, 1);
    if (!path)
        return sb_err_set(err,
                          "--model-config %s: no config.json there (a file, a model "
                          "folder, or a model name in the Hugging Face cache)",
                          spec);
    sb_buf text;
    sb_buf_init(&text);
    int rc = sb_read_file(path, &text, err);
    if (rc == 0)
        rc = kv_model_parse(text.data, text.len, path, NULL, &c->model, err);
    sb_buf_free(&text);
    free(path);
    return rc;
}

/* vLLM's default --max-num-batched-tokens for an OpenAI server: 8192 on GPUs
 * of 70 GiB or more other than the A100, else 2048 (vllm/engine/arg_utils.py:
 * EngineArgs._set_default_args; its test tests/engine/test_arg_utils.py:
 * test_defaults_with_usage_context states the rule). */
long sim_capacity_default_budget(const kv_gpu *gpu)
{
    return gpu->mem_gib >= 70 && strncmp(gpu->name, "a100", 4) != 0 ? 8192 : 2048;
}

int sim_capacity_init(sim_capacity *c, const sim_capacity_opts *o, sb_err *err)
{
    memset(c, 0, sizeof *c);
    const kv_gpu *gpu = kv_gpu_find(o->gpu ? o->gpu : "");
    if (!gpu)
        return sb_err_set(err, "--gpu %s: not one of %s", o->gpu ? o->gpu : "(none)",
                          kv_gpu_names());
    if (load_model(c, o->model_config, err) != 0)
        return -1;
    if (!(c->model.params_total > 0)) {
        sb_err_set(err,
                   "%s: the capacity model needs the parameter count, estimated for "
                   "standard and MoE decoders only",
                   c->model.arch);
        kv_model_free(&c->model);
        return -1;
    }
    c->weights_bytes = c->model.params_total * c->model.dtype_bytes;
    kv_opts ko = {.cache_dtype = o->kv_cache_dtype ? o->kv_cache_dtype : "auto",
                  .tp = o->tp,
                  .pp = 1,
                  .gpu_memory_gib = gpu->mem_gib,
                  .utilization = o->gpu_memory_utilization,
                  .overhead_gib = o->overhead_gib,
                  .weights_bytes = c->weights_bytes,
                  .block_size = o->block_size > 0 ? o->block_size : 16,
                  .max_model_len = o->max_model_len};
    kv_perf_opts po = {gpu, o->tp, o->mfu, o->mbu, o->step_overhead_ms, o->allreduce_us};
    if (kv_plan_make(&c->model, &ko, &c->plan, err) != 0 ||
        kv_perf_init(&c->perf, &c->model, &c->plan, c->weights_bytes, &po, err) != 0) {
        kv_model_free(&c->model);
        return -1;
    }
    if (c->plan.kv_bytes <= 0 || c->plan.kv_tokens <= 0) {
        sb_err_set(err, "%s does not fit on %s with TP %d: no memory is left for the KV cache",
                   c->model.arch, gpu->name, o->tp);
        kv_model_free(&c->model);
        return -1;
    }
    c->kv_tokens = c->plan.kv_tokens;
    if (o->num_blocks > 0) /* vLLM's --num-gpu-blocks-override replaces the profiled count */
        c->kv_tokens = o->num_blocks * ko.block_size;
    c->budget = o->max_num_batched_tokens > 0 ? o->max_num_batched_tokens
                                              : sim_capacity_default_budget(gpu);
    return 0;
}

void sim_capacity_free(sim_capacity *c)
{
    kv_model_free(&c->model);
}

void sim_capacity_describe(const sim_capacity *c, const sim_capacity_opts *o, sb_buf *out)
{
    sb_buf_printf(out,
                  "capacity model: %s (%.4fB parameters, %.4fB active) on %s x TP %d: KV cache "
                  "%ld tokens (%.0f B per token per GPU); decode step at batch 1 %.2f ms; "
                  "step budget %ld tokens; mfu %.2f, mbu %.2f, step overhead %.2f ms, "
                  "all-reduce %.0f us",
                  c->model.arch, c->model.params_total / 1e9, c->model.params_active / 1e9,
                  c->perf.o.gpu->name, o->tp, c->kv_tokens, c->plan.token_bytes,
                  kv_perf_decode_ms(&c->perf, 1, 0), c->budget, o->mfu, o->mbu, o->step_overhead_ms,
                  o->allreduce_us);
}

bool sim_capacity_fits(const sim_capacity *c, long tokens, uint32_t running)
{
    return running == 0 || c->reserved + tokens <= c->kv_tokens;
}

void sim_capacity_reserve(sim_capacity *c, long tokens)
{
    c->reserved += tokens;
}

void sim_capacity_release(sim_capacity *c, long tokens)
{
    c->reserved -= tokens;
    if (c->reserved < 0)
        c->reserved = 0;
}

uint64_t sim_capacity_batch_ns(const sim_capacity *c, uint32_t tokens, uint32_t seqs,
                               double ctx_tokens)
{
    return (uint64_t)(kv_perf_step_ms(&c->perf, tokens, seqs, ctx_tokens) * 1e6);
}

double sim_capacity_usage(const sim_capacity *c)
{
    return c->kv_tokens ? (double)c->reserved / (double)c->kv_tokens : 0;
}
