/* SPDX-License-Identifier: Apache-2.0 */
/* tm_series.c - metric names of each server mapped to one set of quantities,
 * and the time series they fill (telemetry.h).
 *
 * Where a server exports the same quantity under two names (vLLM's
 * kv_cache_usage_perc and the older gpu_cache_usage_perc), the first name of
 * the table present in a scrape is used, so nothing is counted twice. Label
 * sets of one name (several engines, data-parallel ranks, GPUs) are summed,
 * or averaged for ratios. Sources: vLLM's metrics docs (v1 and v0 names),
 * SGLang's production_metrics page, llama.cpp's server README, TGI's and
 * Dynamo's metrics docs, NVIDIA dcgm-exporter's default counters. */
#include "telemetry/telemetry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry/prom.h"

typedef enum tm_agg { TM_SUM, TM_MEAN } tm_agg;

typedef struct tm_name {
    tm_quantity q;
    const char *name;
    const char *source;
    tm_agg agg;
} tm_name;

static const tm_name tm_names[] = {
    {TM_KV_USAGE, "vllm:kv_cache_usage_perc", "vllm", TM_MEAN},
    {TM_KV_USAGE, "vllm:gpu_cache_usage_perc", "vllm", TM_MEAN},
    {TM_RUNNING, "vllm:num_requests_running", "vllm", TM_SUM},
    {TM_WAITING, "vllm:num_requests_waiting", "vllm", TM_SUM},
    {TM_PREEMPTIONS, "vllm:num_preemptions_total", "vllm", TM_SUM},
    {TM_PREFIX_QUERIES, "vllm:prefix_cache_queries_total", "vllm", TM_SUM},
    {TM_PREFIX_HITS, "vllm:prefix_cache_hits_total", "vllm", TM_SUM},
    {TM_PREFIX_HIT_RATE, "vllm:gpu_prefix_cache_hit_rate", "vllm", TM_MEAN},
    {TM_SPEC_DRAFT, "vllm:spec_decode_num_draft_tokens_total", "vllm", TM_SUM},
    {TM_SPEC_ACCEPTED, "vllm:spec_decode_num_accepted_tokens_total", "vllm", TM_SUM},
    {TM_PROMPT_TOKENS, "vllm:prompt_tokens_total", "vllm", TM_SUM},
    {TM_GEN_TOKENS, "vllm:generation_tokens_total", "vllm", TM_SUM},
    {TM_KV_USAGE, "sglang:token_usage", "sglang", TM_MEAN},
    {TM_RUNNING, "sglang:num_running_reqs", "sglang", TM_SUM},
    {TM_WAITING, "sglang:num_queue_reqs", "sglang", TM_SUM},
    {TM_PREFIX_HIT_RATE, "sglang:cache_hit_rate", "sglang", TM_MEAN},
    {TM_PROMPT_TOKENS, "sglang:prompt_tokens_total", "sglang", TM_SUM},
    {TM_GEN_TOKENS, "sglang:generation_tokens_total", "sglang", TM_SUM},
    {TM_RUNNING, "tgi_batch_current_size", "tgi", TM_SUM},
    {TM_WAITING, "tgi_queue_size", "tgi", TM_SUM},
    {TM_KV_USAGE, "llamacpp:kv_cache_usage_ratio", "llama.cpp", TM_MEAN},
    {TM_RUNNING, "llamacpp:requests_processing", "llama.cpp", TM_SUM},
    {TM_WAITING, "llamacpp:requests_deferred", "llama.cpp", TM_SUM},
    {TM_PROMPT_TOKENS, "llamacpp:prompt_tokens_total", "llama.cpp", TM_SUM},
    {TM_GEN_TOKENS, "llamacpp:tokens_predicted_total", "llama.cpp", TM_SUM},
    {TM_KV_USAGE, "dynamo_component_kvstats_gpu_cache_usage_percent", "dynamo", TM_MEAN},
    {TM_PREFIX_HIT_RATE, "dynamo_component_kvstats_gpu_prefix_cache_hit_rate", "dynamo", TM_MEAN},
    {TM_RUNNING, "dynamo_frontend_inflight_requests", "dynamo", TM_SUM},
    {TM_WAITING, "dynamo_frontend_queued_requests", "dynamo", TM_SUM},
    {TM_GPU_UTIL, "DCGM_FI_DEV_GPU_UTIL", "dcgm", TM_MEAN},
    {TM_GPU_MEM_USED, "DCGM_FI_DEV_FB_USED", "dcgm", TM_SUM},
    {TM_GPU_POWER, "DCGM_FI_DEV_POWER_USAGE", "dcgm", TM_SUM},
    {TM_GPU_SM_CLOCK, "DCGM_FI_DEV_SM_CLOCK", "dcgm", TM_MEAN},
};
#define TM_N_NAMES (sizeof tm_names / sizeof tm_names[0])

static const struct {
    const char *key;
    bool counter;
} tm_quantities[TM_COUNT_] = {
    [TM_KV_USAGE] = {"kv_cache_usage", false},
    [TM_RUNNING] = {"requests_running", false},
    [TM_WAITING] = {"requests_waiting", false},
    [TM_PREEMPTIONS] = {"preemptions", true},
    [TM_PREFIX_QUERIES] = {"prefix_cache_queries", true},
    [TM_PREFIX_HITS] = {"prefix_cache_hits", true},
    [TM_PREFIX_HIT_RATE] = {"prefix_cache_hit_rate", false},
    [TM_SPEC_DRAFT] = {"spec_decode_draft_tokens", true},
    [TM_SPEC_ACCEPTED] = {"spec_decode_accepted_tokens", true},
    [TM_PROMPT_TOKENS] = {"prompt_tokens", true},
    [TM_GEN_TOKENS] = {"generation_tokens", true},
    [TM_GPU_UTIL] = {"gpu_utilization_pct", false},
    [TM_GPU_MEM_USED] = {"gpu_memory_used_mib", false},
    [TM_GPU_POWER] = {"gpu_power_w", false},
    [TM_GPU_SM_CLOCK] = {"gpu_sm_clock_mhz", false},
};

const char *tm_quantity_key(tm_quantity q)
{
    return tm_quantities[q].key;
}

bool tm_quantity_is_counter(tm_quantity q)
{
    return tm_quantities[q].counter;
}

/* Per name of the table: sum and count of its samples in one scrape. */
typedef struct scrape_acc {
    double sum[TM_N_NAMES];
    size_t n[TM_N_NAMES];
} scrape_acc;

static int on_sample(void *ud, const prom_sample *s)
{
    scrape_acc *a = ud;
    if (isnan(s->value))
        return 0;
    for (size_t i = 0; i < TM_N_NAMES; i++)
        if (prom_name_is(s, tm_names[i].name)) {
            a->sum[i] += s->value;
            a->n[i]++;
            break;
        }
    return 0;
}

static tm_row *new_row(tm_series *s, int64_t t_ns)
{
    if (s->n_rows == s->cap_rows) {
        s->cap_rows = s->cap_rows ? 2 * s->cap_rows : 64;
        s->rows = sb_xrealloc(s->rows, s->cap_rows * sizeof *s->rows);
    }
    tm_row *r = &s->rows[s->n_rows++];
    r->t_ns = t_ns;
    for (int q = 0; q < TM_COUNT_; q++)
        r->v[q] = NAN;
    return r;
}

void tm_series_add_body(tm_series *s, int64_t t_ns, const char *body, size_t len)
{
    scrape_acc *a = sb_xcalloc(1, sizeof *a);
    sb_err err;
    if (prom_parse(body, len, on_sample, a, &err) != 0) {
        tm_series_add_gap(s, t_ns, err.msg);
        free(a);
        return;
    }
    tm_row *r = new_row(s, t_ns);
    for (size_t i = 0; i < TM_N_NAMES; i++) {
        tm_quantity q = tm_names[i].q;
        if (!a->n[i] || !isnan(r->v[q]))
            continue; /* absent, or an earlier name of the table already gave it */
        r->v[q] = tm_names[i].agg == TM_SUM ? a->sum[i] : a->sum[i] / (double)a->n[i];
        if (!s->source || !strcmp(s->source, "unknown"))
            s->source = tm_names[i].source;
    }
    if (!s->source)
        s->source = "unknown";
    free(a);
}

void tm_series_add_gap(tm_series *s, int64_t t_ns, const char *why)
{
    if (s->n_gaps == s->cap_gaps) {
        s->cap_gaps = s->cap_gaps ? 2 * s->cap_gaps : 16;
        s->gaps = sb_xrealloc(s->gaps, s->cap_gaps * sizeof *s->gaps);
    }
    s->gaps[s->n_gaps++] = (tm_gap){.t_ns = t_ns, .why = sb_xstrdup(why)};
}

void tm_series_free(tm_series *s)
{
    for (size_t i = 0; i < s->n_gaps; i++)
        free(s->gaps[i].why);
    free(s->gaps);
    free(s->rows);
    free(s->url);
    memset(s, 0, sizeof *s);
}
