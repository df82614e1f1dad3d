/* SPDX-License-Identifier: Apache-2.0 */
/* sim_metrics.h - counters and histograms behind GET /metrics and the totals.
 *
 * Prometheus histograms use vLLM's metric names and bucket bounds so
 * dashboards and scrapers written for vLLM read the simulator unchanged. The
 * schedule-error histogram is log-linear (16 sub-buckets per power of two,
 * under 7% relative error) so p99 of a microsecond lag costs no sorting. */
#ifndef SB_SIM_METRICS_H
#define SB_SIM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define SIM_PROM_MAX_BUCKETS 24
/* 64 octaves of 16 buckets; a size_t, as it bounds size_t indexes */
#define SIM_LAG_BUCKETS ((size_t)64 * 16)

typedef struct sim_prom_hist {
    const double *bounds; /* seconds, ascending */
    size_t nbounds;
    uint64_t counts[SIM_PROM_MAX_BUCKETS + 1]; /* per bucket, not cumulative */
    uint64_t total;
    double sum_s;
} sim_prom_hist;

typedef struct sim_lag_hist {
    uint64_t counts[SIM_LAG_BUCKETS];
    uint64_t n, max_ns;
} sim_lag_hist;

typedef struct sim_metrics {
    uint64_t prompt_tokens, generation_tokens;
    uint64_t prefix_queries, prefix_hits;  /* prompt tokens looked up / found cached */
    uint64_t success_length, success_stop; /* finished_reason label */
    uint64_t requests, client_errors, client_gone;
    uint64_t faults[8];
    sim_prom_hist ttft, itl, e2e, queue;
    sim_lag_hist lag;
} sim_metrics;

void sim_metrics_init(sim_metrics *m);
void sim_prom_observe(sim_prom_hist *h, double seconds);
void sim_lag_observe(sim_lag_hist *h, uint64_t lag_ns);
/* q in [0, 1]; returns the upper bound of the bucket holding that rank. */
uint64_t sim_lag_quantile(const sim_lag_hist *h, double q);
/* Prometheus text exposition of everything, plus the live gauges
 * (kv_usage: the KV-cache usage gauge, 0..1). */
void sim_metrics_render(const sim_metrics *m, const char *model, uint32_t running, uint32_t waiting,
                        double kv_usage, sb_buf *out);

#endif
