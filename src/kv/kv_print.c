/* SPDX-License-Identifier: Apache-2.0 */
/* kv_print.c - `servebench kv`'s report: every figure of the plan with the
 * arithmetic that produced it, in the order a person would check it by hand
 * (the KV-cache formula of the blog posts people size vLLM with), and the
 * same figures as JSON for scripts. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/pyfmt.h"
#include "kv/kv.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

static void model_facts(const kv_model *m, sb_buf *out)
{
    sb_buf_printf(out, "Model: %s, %s\n", m->arch, m->family);
    sb_buf_printf(out, "  layers %d: %d full attention, %d sliding window%s, %d recurrent state\n",
                  m->n_layers, m->n_full, m->n_sliding, m->sliding_window ? "" : " (none)",
                  m->n_state);
    if (m->sliding_window)
        sb_buf_printf(out, "  sliding window %ld tokens\n", m->sliding_window);
    if (m->mla)
        sb_buf_printf(out, "  MLA: kv_lora_rank %d + qk_rope_head_dim %d per token and layer\n",
                      m->kv_lora_rank, m->qk_rope_head_dim);
    else
        sb_buf_printf(out, "  attention heads %d, KV heads %d, head dim %d\n", m->n_heads,
                      m->n_kv_heads, m->head_dim);
    sb_buf_printf(out, "  dtype %s (%d bytes)", m->dtype_name, m->dtype_bytes);
    if (m->max_position)
        sb_buf_printf(out, ", max_position_embeddings %ld", m->max_position);
    sb_buf_putc(out, '\n');
}

static void per_token(const kv_model *m, const kv_opts *o, const kv_plan *p, sb_buf *out)
{
    int attn = m->n_full + m->n_sliding;
    sb_buf_printf(out, "\nKV cache dtype %s: %d bytes per element\n",
                  o->cache_dtype ? o->cache_dtype : "auto", p->kv_dtype_bytes);
    if (m->mla)
        sb_buf_printf(out,
                      "KV bytes per token (model) = %d attention layers x (%d + %d) x %d bytes "
                      "= %.0f B (%.1f KiB)\n",
                      attn, m->kv_lora_rank, m->qk_rope_head_dim, p->kv_dtype_bytes,
                      p->token_bytes_model, p->token_bytes_model / 1024);
    else
        sb_buf_printf(out,
                      "KV bytes per token (model) = 2 (K, V) x %d attention layers x %d KV heads "
                      "x %d head dim x %d bytes = %.0f B (%.1f KiB)\n",
                      attn, m->n_kv_heads, m->head_dim, p->kv_dtype_bytes, p->token_bytes_model,
                      p->token_bytes_model / 1024);
    sb_buf_printf(out,
                  "Per GPU (TP %d, PP %d): %d attention layers x %.0f B = %.0f B per token "
                  "(%s)\n",
                  o->tp, o->pp, p->full_per_gpu + p->sliding_per_gpu, p->token_bytes_per_layer,
                  p->token_bytes,
                  m->mla       ? "the latent is on every TP rank"
                  : o->tp == 1 ? "one GPU holds every KV head"
                  : p->kv_heads_per_gpu * o->tp > m->n_kv_heads
                      ? "fewer KV heads than ranks: 1 head per rank, replicated"
                      : "KV heads split across TP ranks");
    if (p->state_per_gpu)
        sb_buf_printf(out,
                      "Recurrent state per sequence per GPU = %d layers x (%s) / TP %d x %d "
                      "bytes = %.0f B (%.2f MiB)\n",
                      p->state_per_gpu, m->state_formula, o->tp, m->dtype_bytes,
                      p->state_bytes_per_seq, p->state_bytes_per_seq / (1024.0 * 1024.0));
}

static void budget(const kv_opts *o, const kv_plan *p, sb_buf *out)
{
    sb_buf_printf(out, "\nMemory per GPU: %.2f GiB x %.2f utilization = %.2f GiB\n",
                  o->gpu_memory_gib, o->utilization, p->budget_bytes / GIB);
    sb_buf_printf(out, "  - weights %.2f GiB / (TP %d x PP %d) = %.2f GiB\n",
                  o->weights_bytes / GIB, o->tp, o->pp, p->weights_per_gpu / GIB);
    sb_buf_printf(out, "  - overhead (activations, CUDA graphs; --overhead-gib) = %.2f GiB\n",
                  o->overhead_gib);
    sb_buf_printf(out, "  = KV cache %.2f GiB\n", p->kv_bytes / GIB);
}

static void capacity(const kv_model *m, const kv_opts *o, const kv_plan *p, sb_buf *out)
{
    if (p->kv_bytes <= 0) {
        sb_buf_printf(out, "\nThe model does not fit: no memory is left for the KV cache "
                           "(raise --gpu-memory, --tensor-parallel-size or the utilization).\n");
        return;
    }
    if (p->token_bytes > 0)
        sb_buf_printf(out, "KV cache tokens = floor(%.0f B / (%ld tokens x %.0f B)) x %ld = %ld\n",
                      p->kv_bytes, o->block_size, p->token_bytes, o->block_size, p->kv_tokens);
    sb_buf_printf(out,
                  "One sequence of %ld tokens = %.0f B (%.3f GiB)%s\n"
                  "Maximum concurrency at --max-model-len %ld: floor(%.0f / %.0f) = %ld\n",
                  p->max_model_len, p->seq_bytes, p->seq_bytes / GIB,
                  m->sliding_window ? " (sliding layers hold window + 1 block)" : "",
                  p->max_model_len, p->kv_bytes, p->seq_bytes, p->max_concurrency);
    if (o->target_concurrency > 0) {
        if (p->len_for_target > 0)
            sb_buf_printf(out, "Largest --max-model-len for %ld concurrent sequences: %ld tokens\n",
                          o->target_concurrency, p->len_for_target);
        else
            sb_buf_printf(out, "%ld concurrent sequences do not fit even at 1 token each\n",
                          o->target_concurrency);
    }
}

void kv_plan_print(const kv_model *m, const kv_opts *o, const kv_plan *p, sb_buf *out)
{
    model_facts(m, out);
    per_token(m, o, p, out);
    budget(o, p, out);
    capacity(m, o, p, out);
}

static void num(sb_buf *out, const char *key, double v, bool last)
{
    sb_buf_printf(out, "\"%s\": ", key);
    pyfmt_json_number(out, v);
    sb_buf_puts(out, last ? "}" : ", ");
}

void kv_plan_json(const kv_model *m, const kv_opts *o, const kv_plan *p, sb_buf *out)
{
    sb_buf_puts(out, "{\"architecture\": ");
    pyfmt_json_string(out, m->arch, strlen(m->arch));
    sb_buf_puts(out, ", \"family\": ");
    pyfmt_json_string(out, m->family, strlen(m->family));
    sb_buf_printf(out,
                  ", \"layers\": %d, \"full_attention_layers\": %d, "
                  "\"sliding_window_layers\": %d, \"state_layers\": %d, "
                  "\"sliding_window\": %ld, ",
                  m->n_layers, m->n_full, m->n_sliding, m->n_state, m->sliding_window);
    num(out, "kv_bytes_per_token_model", p->token_bytes_model, false);
    num(out, "kv_bytes_per_token_per_gpu", p->token_bytes, false);
    num(out, "state_bytes_per_sequence_per_gpu", p->state_bytes_per_seq, false);
    num(out, "memory_budget_bytes", p->budget_bytes, false);
    num(out, "weights_bytes_per_gpu", p->weights_per_gpu, false);
    num(out, "overhead_bytes", o->overhead_gib * GIB, false);
    num(out, "kv_cache_bytes", p->kv_bytes, false);
    num(out, "kv_cache_tokens", (double)p->kv_tokens, false);
    num(out, "max_model_len", (double)p->max_model_len, false);
    num(out, "sequence_bytes", p->seq_bytes, false);
    num(out, "max_concurrency", (double)p->max_concurrency, false);
    num(out, "target_concurrency", (double)o->target_concurrency, false);
    num(out, "max_model_len_for_target", (double)p->len_for_target, true);
}
