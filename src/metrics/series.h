/* series.h - per-second series and peaks (internal to src/metrics). */
#ifndef SB_METRICS_SERIES_H
#define SB_METRICS_SERIES_H

#include "metrics/metrics.h"

/* Fills m->tokens_per_s, concurrent_per_s, n_buckets,
 * max_output_tokens_per_s, max_concurrent_requests (reference buckets) and
 * ext.max_concurrent_exact (sweep). */
void series_peaks(const rec_store *s, sb_metrics *m);

#endif
