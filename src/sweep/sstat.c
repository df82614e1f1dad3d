/* SPDX-License-Identifier: Apache-2.0 */
/* sstat.c - Student-t intervals, Welch's t test and the Mann-Whitney U test
 * (see sstat.h).
 *
 * The t distribution's CDF comes from the regularized incomplete beta
 * function, evaluated with its continued fraction (modified Lentz), which
 * converges fast for x < (a+1)/(a+b+2) and is used through the symmetry
 * I_x(a,b) = 1 - I_{1-x}(b,a) otherwise. Quantiles invert the CDF by
 * bisection: 200 halvings of a bracket are far below any precision a
 * benchmark needs, and it cannot fail to converge. */
#include "sweep/sstat.h"

#include <math.h>
#include <stdlib.h>

void sweep_summarize(const double *v, size_t n, sweep_summary *out)
{
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            sum += v[i];
            k++;
        }
    out->n = k;
    out->mean = k ? sum / (double)k : NAN;
    out->std = out->cv = out->ci_half = NAN;
    if (k < 2)
        return;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            ss += (v[i] - out->mean) * (v[i] - out->mean);
    out->std = sqrt(ss / (double)(k - 1));
    out->cv = out->mean != 0 ? out->std / fabs(out->mean) : NAN;
    out->ci_half = sweep_t_quantile(0.975, (double)(k - 1)) * out->std / sqrt((double)k);
}

/* Continued fraction of the incomplete beta function (Lentz's method). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    d = fabs(d) < tiny ? tiny : d;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 300; m++) {
        double m2 = 2.0 * m;
        double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + num * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1.0 + num / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1.0 + num / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-15)
            break;
    }
    return h;
}

/* I_x(a, b), the regularized incomplete beta function. */
static double inc_beta(double a, double b, double x)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1.0) / (a + b + 2.0))
        return exp(lbt) * beta_cf(a, b, x) / a;
    return 1.0 - exp(lbt) * beta_cf(b, a, 1.0 - x) / b;
}

double sweep_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return t > 0 ? 1.0 : 0.0;
    double tail = 0.5 * inc_beta(df / 2.0, 0.5, df / (df + t * t)); /* P(T > |t|) */
    return t >= 0 ? 1.0 - tail : tail;
}

double sweep_t_quantile(double q, double df)
{
    if (!(q > 0 && q < 1) || !(df > 0))
        return NAN;
    double lo = -1.0, hi = 1.0;
    while (sweep_t_cdf(lo, df) > q)
        lo *= 2;
    while (sweep_t_cdf(hi, df) < q)
        hi *= 2;
    for (int i = 0; i < 200 && hi - lo > 1e-12 * (fabs(lo) + fabs(hi) + 1e-300); i++) {
        double mid = 0.5 * (lo + hi);
        if (sweep_t_cdf(mid, df) < q)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

int sweep_welch(const double *a, size_t na, const double *b, size_t nb, sweep_test *out)
{
    sweep_summary sa, sb;
    sweep_summarize(a, na, &sa);
    sweep_summarize(b, nb, &sb);
    out->stat = out->df = out->p = NAN;
    if (sa.n < 2 || sb.n < 2)
        return -1;
    double va = sa.std * sa.std / (double)sa.n, vb = sb.std * sb.std / (double)sb.n;
    double diff = sb.mean - sa.mean;
    if (va + vb == 0) { /* no spread at all: equal means or certainly different */
        out->stat = diff == 0 ? 0 : copysign(INFINITY, diff);
        out->df = (double)(sa.n + sb.n - 2);
        out->p = diff == 0 ? 1.0 : 0.0;
        return 0;
    }
    out->stat = diff / sqrt(va + vb);
    out->df = (va + vb) * (va + vb) / (va * va / (double)(sa.n - 1) + vb * vb / (double)(sb.n - 1));
    out->p = 2.0 * (1.0 - sweep_t_cdf(fabs(out->stat), out->df));
    return 0;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int sweep_mann_whitney(double *a, size_t na, double *b, size_t nb, sweep_test *out)
{
    out->stat = out->df = out->p = NAN;
    if (na == 0 || nb == 0)
        return -1;
    qsort(a, na, sizeof *a, cmp_double);
    qsort(b, nb, sizeof *b, cmp_double);
    /* Walk both sorted samples as one: each run of equal values gets the
     * average of the ranks it spans; R_a sums a's ranks, tie_sum sums t^3-t. */
    size_t i = 0, j = 0;
    double rank = 1, ra = 0, tie_sum = 0;
    while (i < na || j < nb) {
        double v = j >= nb || (i < na && a[i] <= b[j]) ? a[i] : b[j];
        size_t ca = 0, cb = 0;
        while (i < na && a[i] == v) {
            i++;
            ca++;
        }
        while (j < nb && b[j] == v) {
            j++;
            cb++;
        }
        double t = (double)(ca + cb);
        double avg = rank + (t - 1) / 2.0;
        ra += avg * (double)ca;
        tie_sum += t * t * t - t;
        rank += t;
    }
    double n1 = (double)na, n2 = (double)nb, n = n1 + n2;
    double u = ra - n1 * (n1 + 1) / 2.0;
    double mu = n1 * n2 / 2.0;
    double var = n1 * n2 / 12.0 * ((n + 1) - tie_sum / (n * (n - 1)));
    if (!(var > 0)) {
        out->stat = 0;
        out->p = 1.0;
        return 0;
    }
    double dev = fabs(u - mu) - 0.5; /* continuity correction */
    if (dev < 0)
        dev = 0;
    /* positive z: b tends to be larger than a (U counts a's wins) */
    out->stat = (u > mu ? -dev : dev) / sqrt(var);
    out->p = erfc(fabs(out->stat) / sqrt(2.0));
    return 0;
}
