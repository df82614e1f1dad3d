/* SPDX-License-Identifier: Apache-2.0 */
/* sim_metrics.c - Prometheus text for GET /metrics and the lag histogram.
 *
 * Names follow vLLM's /metrics (vllm:num_requests_running, ...). Both the
 * current vllm:kv_cache_usage_perc and the older vllm:gpu_cache_usage_perc are
 * exported, and both vllm:inter_token_latency_seconds and the older
 * vllm:time_per_output_token_seconds, so scrapers for either vLLM generation
 * work. Simulator-only figures carry the servebench_sim: prefix. */
#include "sim/sim_metrics.h"

#include <math.h>
#include <string.h>

#include "sim/sim_internal.h"

/* vLLM's bucket bounds (vllm/v1/metrics/loggers.py). */
static const double ttft_bounds[] = {0.001, 0.005, 0.01, 0.02,  0.04,  0.06,  0.08, 0.1,
                                     0.25,  0.5,   0.75, 1.0,   2.5,   5.0,   7.5,  10.0,
                                     20.0,  40.0,  80.0, 160.0, 640.0, 2560.0};
static const double itl_bounds[] = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
                                    0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
static const double e2e_bounds[] = {0.3,  0.5,   0.8,   1.0,   1.5,   2.0,    2.5,
                                    5.0,  10.0,  15.0,  20.0,  30.0,  40.0,   50.0,
                                    60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};

static void hist_init(sim_prom_hist *h, const double *b, size_t n)
{
    memset(h, 0, sizeof *h);
    h->bounds = b;
    h->nbounds = n;
}

void sim_metrics_init(sim_metrics *m)
{
    memset(m, 0, sizeof *m);
    hist_init(&m->ttft, ttft_bounds, sizeof ttft_bounds / sizeof ttft_bounds[0]);
    hist_init(&m->itl, itl_bounds, sizeof itl_bounds / sizeof itl_bounds[0]);
    hist_init(&m->e2e, e2e_bounds, sizeof e2e_bounds / sizeof e2e_bounds[0]);
    hist_init(&m->queue, e2e_bounds, sizeof e2e_bounds / sizeof e2e_bounds[0]);
}

void sim_prom_observe(sim_prom_hist *h, double seconds)
{
    size_t i = 0;
    while (i < h->nbounds && seconds > h->bounds[i])
        i++;
    h->counts[i]++;
    h->total++;
    h->sum_s += seconds;
}

static size_t lag_index(uint64_t v)
{
    if (v < 16)
        return (size_t)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - 4;
    return (size_t)(shift + 1) * 16 + (size_t)((v >> shift) & 15);
}

static uint64_t lag_upper(size_t idx)
{
    if (idx < 16)
        return idx;
    size_t shift = idx / 16 - 1;
    uint64_t mant = 16 + idx % 16;
    return ((mant + 1) << shift) - 1;
}

void sim_lag_observe(sim_lag_hist *h, uint64_t lag_ns)
{
    h->counts[lag_index(lag_ns)]++;
    h->n++;
    if (lag_ns > h->max_ns)
        h->max_ns = lag_ns;
}

uint64_t sim_lag_quantile(const sim_lag_hist *h, double q)
{
    if (h->n == 0)
        return 0;
    /* Nearest rank: the smallest value with at least q of the samples at or below it. */
    uint64_t rank = (uint64_t)ceil(q * (double)h->n), seen = 0;
    if (rank == 0)
        rank = 1;
    for (size_t i = 0; i < SIM_LAG_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t u = lag_upper(i);
            return u < h->max_ns ? u : h->max_ns;
        }
    }
    return h->max_ns;
}

static void gauge(sb_buf *b, const char *name, const char *help, const char *type,
                  const char *model, double v)
{
    sb_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s{model_name=\"%s\"} %.17g\n", name, help, name,
                  type, name, model, v);
}

static void hist(sb_buf *b, const char *name, const char *help, const char *model,
                 const sim_prom_hist *h)
{
    sb_buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (size_t i = 0; i < h->nbounds; i++) {
        cum += h->counts[i];
        sb_buf_printf(b, "%s_bucket{le=\"%g\",model_name=\"%s\"} %llu\n", name, h->bounds[i], model,
                      (unsigned long long)cum);
    }
    sb_buf_printf(b, "%s_bucket{le=\"+Inf\",model_name=\"%s\"} %llu\n", name, model,
                  (unsigned long long)h->total);
    sb_buf_printf(b, "%s_count{model_name=\"%s\"} %llu\n", name, model,
                  (unsigned long long)h->total);
    sb_buf_printf(b, "%s_sum{model_name=\"%s\"} %.9g\n", name, model, h->sum_s);
}

void sim_metrics_render(const sim_metrics *m, const char *model, uint32_t running, uint32_t waiting,
                        double usage, sb_buf *b)
{
    gauge(b, "vllm:num_requests_running", "Number of requests in model execution batches.", "gauge",
          model, running);
    gauge(b, "vllm:num_requests_waiting", "Number of requests waiting to be processed.", "gauge",
          model, waiting);
    gauge(b, "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", "gauge",
          model, usage);
    gauge(b, "vllm:gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage.", "gauge",
          model, usage);
    gauge(b, "vllm:prompt_tokens_total", "Number of prefill tokens processed.", "counter", model,
          (double)m->prompt_tokens);
    gauge(b, "vllm:generation_tokens_total", "Number of generation tokens processed.", "counter",
          model, (double)m->generation_tokens);
    /* vLLM v1's prefix-cache counters (vllm/v1/metrics/loggers.py), in tokens:
     * a hit rate is hits / queries over an interval. */
    gauge(b, "vllm:prefix_cache_queries_total",
          "Prefix cache queries, in terms of number of queried tokens.", "counter", model,
          (double)m->prefix_queries);
    gauge(b, "vllm:prefix_cache_hits_total",
          "Prefix cache hits, in terms of number of cached tokens.", "counter", model,
          (double)m->prefix_hits);
    sb_buf_printf(b, "# HELP vllm:request_success_total Count of successfully processed requests.\n"
                     "# TYPE vllm:request_success_total counter\n");
    sb_buf_printf(b,
                  "vllm:request_success_total{finished_reason=\"length\",model_name=\"%s\"} %llu\n",
                  model, (unsigned long long)m->success_length);
    sb_buf_printf(b,
                  "vllm:request_success_total{finished_reason=\"stop\",model_name=\"%s\"} %llu\n",
                  model, (unsigned long long)m->success_stop);
    hist(b, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
         model, &m->ttft);
    hist(b, "vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.",
         model, &m->itl);
    hist(b, "vllm:time_per_output_token_seconds",
         "Histogram of time per output token in seconds (older name).", model, &m->itl);
    hist(b, "vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.",
         model, &m->e2e);
    hist(b, "vllm:request_queue_time_seconds",
         "Histogram of time spent in WAITING phase for request.", model, &m->queue);
    sb_buf_printf(b,
                  "# HELP servebench_sim:requests_total Requests parsed.\n"
                  "# TYPE servebench_sim:requests_total counter\n"
                  "servebench_sim:requests_total %llu\n",
                  (unsigned long long)m->requests);
    sb_buf_printf(b, "# HELP servebench_sim:faults_total Injected faults by kind.\n"
                     "# TYPE servebench_sim:faults_total counter\n");
    for (int k = 1; k < SIM_FAULT_COUNT; k++)
        sb_buf_printf(b, "servebench_sim:faults_total{kind=\"%s\"} %llu\n", sim_fault_name(k),
                      (unsigned long long)m->faults[k]);
    sb_buf_printf(b, "# HELP servebench_sim:schedule_error_seconds Actual minus planned emission.\n"
                     "# TYPE servebench_sim:schedule_error_seconds summary\n");
    const double qs[] = {0.5, 0.9, 0.99};
    for (size_t i = 0; i < 3; i++)
        sb_buf_printf(b, "servebench_sim:schedule_error_seconds{quantile=\"%g\"} %.9f\n", qs[i],
                      (double)sim_lag_quantile(&m->lag, qs[i]) / 1e9);
    sb_buf_printf(b, "servebench_sim:schedule_error_seconds_count %llu\n",
                  (unsigned long long)m->lag.n);
}
