/* SPDX-License-Identifier: Apache-2.0 */
/* stats.h - order statistics used by metrics.c (internal to src/metrics).
 *
 * Two paths: small per-request lists (at most one value per request) are
 * summarised from one reusable double scratch array with quickselect, and the
 * pooled ITL list (one value per token message, hundreds of millions) is
 * summarised in place from the rec_store with a two-pass radix histogram, so
 * it is never copied or sorted. Both follow numpy: mean, population std,
 * median averaging the two middle values, percentile "linear". */
#ifndef SB_METRICS_STATS_H
#define SB_METRICS_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/metrics.h"
#include "metrics/series.h"

/* Fills st from v[0..n) (nanoseconds; reordered in place). pcts/n_pcts are
 * the percentiles; st->pct_ms must have room for n_pcts values. */
void stats_from_ns(double *v, size_t n, const double *pcts, size_t n_pcts, metrics_stat *st);
/* numpy's _lerp: a + (b-a)*t, computed from b's side when t >= 0.5. */
double stats_lerp(double a, double b, double t);
/* Fills st from the pooled ITL gaps of the successful requests of s. When
 * tok is not NULL, each request's token messages are also added to it in the
 * same pass, while that request's gaps are still in cache. */
void stats_itl(const rec_store *s, const double *pcts, size_t n_pcts, metrics_stat *st,
               series_tok *tok);

#endif
