/* SPDX-License-Identifier: Apache-2.0 */
/* ds_stats.c - length statistics of a request list for `servebench dataset
 * stats`: input, output and total (input + output) lengths with min, max,
 * mean and percentiles, the table trtllm-bench prints for its datasets.
 * Percentiles interpolate linearly between order statistics, numpy's
 * default, so they match np.percentile on the same lengths. */
#include <stdlib.h>

#include "dataset/ds_internal.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *sorted, size_t n, double q)
{
    double pos = q / 100.0 * (double)(n - 1);
    size_t lo = (size_t)pos;
    if (lo + 1 >= n)
        return sorted[n - 1];
    double frac = pos - (double)lo;
    return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * frac;
}

static void column(double *v, size_t n, dataset_len_stats *s)
{
    qsort(v, n, sizeof *v, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    s->min = v[0];
    s->max = v[n - 1];
    s->avg = sum / (double)n;
    s->p50 = pct(v, n, 50);
    s->p90 = pct(v, n, 90);
    s->p95 = pct(v, n, 95);
    s->p99 = pct(v, n, 99);
}

void dataset_stats(const sb_dataset *ds, dataset_len_stats *in, dataset_len_stats *out,
                   dataset_len_stats *total)
{
    size_t n = ds->n;
    double *v = sb_xmalloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = ds->reqs[i].prompt_len;
    column(v, n, in);
    for (size_t i = 0; i < n; i++)
        v[i] = ds->reqs[i].output_len;
    column(v, n, out);
    for (size_t i = 0; i < n; i++)
        v[i] = (double)ds->reqs[i].prompt_len + ds->reqs[i].output_len;
    column(v, n, total);
    free(v);
}
