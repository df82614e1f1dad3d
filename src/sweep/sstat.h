/* SPDX-License-Identifier: Apache-2.0 */
/* sstat.h - the statistics of many runs: summaries with Student-t
 * confidence intervals, and two-sample tests (Welch's t on per-run values,
 * Mann-Whitney U on per-request samples).
 *
 * Shared by `sweep` (repeats of a point, the SLO search's noise) and
 * `compare` (is B different from A). Pure functions of arrays of doubles. */
#ifndef SB_SWEEP_SSTAT_H
#define SB_SWEEP_SSTAT_H

#include <stddef.h>

typedef struct sweep_summary {
    size_t n;
    double mean;
    double std;     /* sample standard deviation (n-1); NAN for n < 2 */
    double cv;      /* std / |mean|; NAN when undefined */
    double ci_half; /* half-width of the 95% Student-t interval of the mean; NAN for n < 2 */
} sweep_summary;

/* Summary of v[0..n) (non-finite values skipped). n == 0 gives mean NAN. */
void sweep_summarize(const double *v, size_t n, sweep_summary *out);
/* P(T <= t) for Student's t with df degrees of freedom (df > 0, may be
 * fractional). */
double sweep_t_cdf(double t, double df);
/* The q quantile (0 < q < 1) of Student's t with df degrees of freedom. */
double sweep_t_quantile(double q, double df);

typedef struct sweep_test {
    double stat; /* t (Welch) or z of U (Mann-Whitney) */
    double df;   /* Welch-Satterthwaite degrees of freedom; NAN for Mann-Whitney */
    double p;    /* two-sided p-value; NAN when the test cannot be done */
} sweep_test;

/* Welch's unequal-variance t test of two sets of per-run values (each
 * n >= 2). Returns 0, or -1 when a side has fewer than two values. */
int sweep_welch(const double *a, size_t na, const double *b, size_t nb, sweep_test *out);
/* Mann-Whitney U test (two-sided, normal approximation with tie and
 * continuity corrections) of two samples; a and b are sorted in place.
 * Returns 0, or -1 when a side is empty. */
int sweep_mann_whitney(double *a, size_t na, double *b, size_t nb, sweep_test *out);

#endif
