/* SPDX-License-Identifier: Apache-2.0 */
/* series.h - per-second series and peaks (internal to src/metrics). */
#ifndef SB_METRICS_SERIES_H
#define SB_METRICS_SERIES_H

#include "metrics/metrics.h"

/* The 1 s token-message buckets, filled request by request. */
typedef struct series_tok {
    uint64_t m0; /* earliest successful start */
    size_t nb;   /* D = int(ceil(max_end - m0)) + 1 buckets, 0 when nothing succeeded */
    double *tok; /* token messages per bucket */
    size_t n_ok;
} series_tok;

/* Sizes the buckets from the successful requests' start and end times. */
void series_begin(const rec_store *s, series_tok *t);
/* Adds request i's token message times (call for each successful request;
 * stats_itl does it while the request's gaps are in cache). */
void series_add_tokens(const rec_store *s, size_t i, series_tok *t);
/* Concurrency buckets and both peaks into m (takes over t->tok): fills
 * tokens_per_s, concurrent_per_s, n_buckets, max_output_tokens_per_s,
 * max_concurrent_requests and ext.max_concurrent_exact. */
void series_finish(const rec_store *s, series_tok *t, sb_metrics *m);

#endif
