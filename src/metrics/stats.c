/* SPDX-License-Identifier: Apache-2.0 */
/* stats.c - numpy-compatible summaries without sorted copies (see stats.h).
 *
 * numpy's percentile "linear" needs the order statistics floor(h) and
 * floor(h)+1 with h = (n-1)*p/100. For the per-request lists we find them
 * with quickselect, visiting the needed ranks in ascending order so each
 * selection only partitions the part right of the previous one. For the
 * pooled ITL list the values are 32-bit nanosecond gaps (record.h), so a
 * 65536-bin histogram of the high 16 bits locates each rank's bin in one pass
 * and a second pass histogramming the low 16 bits of just those bins gives
 * the exact value: two streaming passes, no copy, any number of percentiles. */
#include "metrics/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define NS_PER_MS 1e6

double stats_lerp(double a, double b, double t)
{
    double d = b - a;
    return t >= 0.5 ? b - d * (1.0 - t) : a + d * t;
}

static void swap_d(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* Puts the k-th smallest of v[lo..hi) at v[k], smaller ones left of it,
 * larger right (the classic median-of-three partitioning select; equal keys
 * stop both scans, so runs of equal values do not go quadratic). */
static void select_k(double *v, size_t lo, size_t hi, size_t k)
{
    size_t l = lo, ir = hi - 1;
    for (;;) {
        if (ir <= l + 1) {
            if (ir == l + 1 && v[ir] < v[l])
                swap_d(&v[l], &v[ir]);
            return;
        }
        size_t mid = l + (ir - l) / 2;
        swap_d(&v[mid], &v[l + 1]);
        if (v[l] > v[ir])
            swap_d(&v[l], &v[ir]);
        if (v[l + 1] > v[ir])
            swap_d(&v[l + 1], &v[ir]);
        if (v[l] > v[l + 1])
            swap_d(&v[l], &v[l + 1]);
        size_t i = l + 1, j = ir;
        double pivot = v[l + 1];
        for (;;) {
            do
                i++;
            while (v[i] < pivot);
            do
                j--;
            while (v[j] > pivot);
            if (j < i)
                break;
            swap_d(&v[i], &v[j]);
        }
        v[l + 1] = v[j];
        v[j] = pivot;
        if (j >= k)
            ir = j - 1;
        if (j <= k)
            l = i;
    }
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The ranks one summary needs: median (1 or 2) and two per percentile. */
static size_t needed_ranks(size_t n, const double *pcts, size_t n_pcts, size_t *ranks)
{
    size_t m = 0;
    ranks[m++] = (n - 1) / 2;
    ranks[m++] = n / 2;
    for (size_t i = 0; i < n_pcts; i++) {
        double h = (double)(n - 1) * (pcts[i] / 100.0);
        size_t lo = (size_t)floor(h);
        if (lo > n - 1)
            lo = n - 1;
        ranks[m++] = lo;
        ranks[m++] = lo + 1 < n ? lo + 1 : n - 1;
    }
    qsort(ranks, m, sizeof *ranks, cmp_size);
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (u == 0 || ranks[u - 1] != ranks[i])
            ranks[u++] = ranks[i];
    return u;
}

static double value_at(const size_t *ranks, const double *vals, size_t n_ranks, size_t k)
{
    for (size_t i = 0; i < n_ranks; i++)
        if (ranks[i] == k)
            return vals[i];
    return 0.0; /* unreachable: every looked-up rank was requested */
}

/* Median and percentiles from the order statistics found for ranks. */
static void fill_order_stats(size_t n, const double *pcts, size_t n_pcts, const size_t *ranks,
                             const double *vals, size_t n_ranks, metrics_stat *st)
{
    double a = value_at(ranks, vals, n_ranks, (n - 1) / 2);
    double b = value_at(ranks, vals, n_ranks, n / 2);
    st->median_ms = (n % 2 ? a : (a + b) / 2.0) / NS_PER_MS;
    for (size_t i = 0; i < n_pcts; i++) {
        double h = (double)(n - 1) * (pcts[i] / 100.0);
        double fl = floor(h);
        size_t lo = fl > (double)(n - 1) ? n - 1 : (size_t)fl;
        size_t hi = lo + 1 < n ? lo + 1 : n - 1;
        double x = stats_lerp(value_at(ranks, vals, n_ranks, lo),
                              value_at(ranks, vals, n_ranks, hi), h - fl);
        st->pct_ms[i] = x / NS_PER_MS;
    }
}

static void zero_stat(metrics_stat *st, size_t n_pcts)
{
    st->n = 0;
    st->mean_ms = st->median_ms = st->std_ms = st->min_ms = st->max_ms = 0.0;
    for (size_t i = 0; i < n_pcts; i++)
        st->pct_ms[i] = 0.0;
}

void stats_from_ns(double *v, size_t n, const double *pcts, size_t n_pcts, metrics_stat *st)
{
    if (n == 0) {
        zero_stat(st, n_pcts);
        return;
    }
    long double sum = 0;
    double mn = v[0], mx = v[0];
    for (size_t i = 0; i < n; i++) {
        sum += v[i];
        mn = v[i] < mn ? v[i] : mn;
        mx = v[i] > mx ? v[i] : mx;
    }
    long double mean = sum / (long double)n, ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += ((long double)v[i] - mean) * ((long double)v[i] - mean);
    st->n = n;
    st->mean_ms = (double)mean / NS_PER_MS;
    st->std_ms = sqrt((double)(ss / (long double)n)) / NS_PER_MS;
    st->min_ms = mn / NS_PER_MS;
    st->max_ms = mx / NS_PER_MS;

    size_t *ranks = sb_xmalloc((2 + 2 * n_pcts) * sizeof *ranks);
    double *vals = sb_xmalloc((2 + 2 * n_pcts) * sizeof *vals);
    size_t n_ranks = needed_ranks(n, pcts, n_pcts, ranks);
    size_t from = 0;
    for (size_t i = 0; i < n_ranks; i++) {
        select_k(v, from, n, ranks[i]);
        vals[i] = v[ranks[i]];
        from = ranks[i];
    }
    fill_order_stats(n, pcts, n_pcts, ranks, vals, n_ranks, st);
    free(ranks);
    free(vals);
}

/* ---- pooled ITL ---- */

typedef struct itl_scan {
    uint64_t hist[65536]; /* by high 16 bits of the stored 32-bit gap */
    size_t n;
    unsigned __int128 sum, sumsq;
    uint64_t min, max;
    uint64_t *big; /* true values of overflow gaps (>= UINT32_MAX), sorted */
    size_t n_big;
} itl_scan;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Gaps of one request: histogram, sums, extremes. Two histograms take
 * alternate gaps so consecutive increments of the same (popular) bin do not
 * wait on each other's store; they are added up by the caller. */
static void itl_scan_one(const rec_store *s, size_t i, itl_scan *sc, uint64_t *h2)
{
    const sb_record *r = &s->recs[i];
    unsigned __int128 sum = 0, sumsq = 0;
    uint64_t mn = sc->min, mx = sc->max;
    for (uint32_t j = 0; j < r->n_itl; j++) {
        uint32_t g = r->itl[j];
        uint64_t v = g == UINT32_MAX ? rec_store_itl_ns(s, i, j) : g;
        if (j & 1)
            h2[g >> 16]++;
        else
            sc->hist[g >> 16]++;
        sum += v;
        sumsq += (unsigned __int128)v * v;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    sc->sum += sum;
    sc->sumsq += sumsq;
    sc->min = mn;
    sc->max = mx;
    sc->n += r->n_itl;
}

static void itl_pass_hist(const rec_store *s, itl_scan *sc, series_tok *tok)
{
    uint64_t *h2 = sb_xcalloc(65536, sizeof *h2);
    sc->min = UINT64_MAX;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].success) {
            itl_scan_one(s, i, sc, h2);
            if (tok && tok->tok)
                series_add_tokens(s, i, tok);
        }
    for (size_t b = 0; b < 65536; b++)
        sc->hist[b] += h2[b];
    free(h2);
    sc->big = sb_xmalloc((s->n_overflow ? s->n_overflow : 1) * sizeof *sc->big);
    for (size_t k = 0; k < s->n_overflow; k++)
        if (s->recs[s->overflow[k].req].success)
            sc->big[sc->n_big++] = s->overflow[k].ns;
    qsort(sc->big, sc->n_big, sizeof *sc->big, cmp_u64);
}

/* Population variance in ns^2: exact integer arithmetic while it cannot
 * overflow 128 bits, long double otherwise (only with gaps >= 4.29 s). */
static double itl_variance(const itl_scan *sc)
{
    long double n = (long double)sc->n;
    if (sc->max <= UINT32_MAX && sc->n < ((size_t)1 << 40)) {
        unsigned __int128 num = (unsigned __int128)sc->n * sc->sumsq - sc->sum * sc->sum;
        return (double)((long double)num / (n * n));
    }
    long double mean = (long double)sc->sum / n;
    long double v = (long double)sc->sumsq / n - mean * mean;
    return v > 0 ? (double)v : 0.0;
}

/* Bins of at most this many distinct high halves are resolved per pass, so
 * the low-half histograms stay at 4 MiB however many percentiles are asked
 * for (each further group costs one more pass). */
#define RESOLVE_SLOTS 8

typedef struct rank_pos {
    uint32_t bin;    /* high 16 bits of the gap holding the rank */
    uint64_t before; /* gaps in lower bins */
} rank_pos;

static void locate_bins(const itl_scan *sc, const size_t *ranks, size_t m, rank_pos *pos)
{
    uint64_t cum = 0;
    size_t r = 0;
    for (uint32_t b = 0; b < 65536 && r < m; b++) {
        while (r < m && ranks[r] < cum + sc->hist[b])
            pos[r++] = (rank_pos){b, cum};
        cum += sc->hist[b];
    }
}

/* Low-half histograms of the bins marked in slot (one pass over the gaps). */
static void low_hist(const rec_store *s, const int32_t *slot, uint64_t *lo)
{
    for (size_t i = 0; i < s->n; i++) {
        const sb_record *rec = &s->recs[i];
        if (!rec->success)
            continue;
        for (uint32_t j = 0; j < rec->n_itl; j++) {
            int32_t sl = slot[rec->itl[j] >> 16];
            if (sl >= 0)
                lo[(size_t)sl * 65536 + (rec->itl[j] & 0xffff)]++;
        }
    }
}

/* Resolves ranks[0..m) (ascending) to values, RESOLVE_SLOTS bins per pass. */
static void itl_resolve(const rec_store *s, const itl_scan *sc, const size_t *ranks, size_t m,
                        double *vals)
{
    int32_t *slot = sb_xmalloc(65536 * sizeof *slot);
    rank_pos *pos = sb_xmalloc(m * sizeof *pos);
    uint64_t *lo = sb_xmalloc((size_t)RESOLVE_SLOTS * 65536 * sizeof *lo);
    locate_bins(sc, ranks, m, pos);
    for (size_t k0 = 0, k1; k0 < m; k0 = k1) {
        memset(slot, 0xff, 65536 * sizeof *slot); /* -1: bin not needed */
        int n_slots = 0;
        for (k1 = k0; k1 < m; k1++) {
            if (slot[pos[k1].bin] >= 0)
                continue;
            if (n_slots == RESOLVE_SLOTS)
                break;
            slot[pos[k1].bin] = n_slots++;
        }
        memset(lo, 0, (size_t)n_slots * 65536 * sizeof *lo);
        low_hist(s, slot, lo);
        for (size_t k = k0; k < k1; k++) {
            const uint64_t *h = lo + (size_t)slot[pos[k].bin] * 65536;
            uint64_t c = pos[k].before;
            uint32_t l = 0;
            while (c + h[l] <= ranks[k])
                c += h[l++];
            uint32_t g = (pos[k].bin << 16) | l;
            /* the stored UINT32_MAX is a sentinel: the value is among the big ones */
            vals[k] = g == UINT32_MAX ? (double)sc->big[ranks[k] - c] : (double)g;
        }
    }
    free(lo);
    free(pos);
    free(slot);
}

void stats_itl(const rec_store *s, const double *pcts, size_t n_pcts, metrics_stat *st,
               series_tok *tok)
{
    itl_scan *sc = sb_xcalloc(1, sizeof *sc);
    itl_pass_hist(s, sc, tok);
    if (sc->n == 0) {
        zero_stat(st, n_pcts);
        free(sc->big);
        free(sc);
        return;
    }
    st->n = sc->n;
    st->mean_ms = (double)((long double)sc->sum / (long double)sc->n) / NS_PER_MS;
    st->std_ms = sqrt(itl_variance(sc)) / NS_PER_MS;
    st->min_ms = (double)sc->min / NS_PER_MS;
    st->max_ms = (double)sc->max / NS_PER_MS;
    size_t *ranks = sb_xmalloc((2 + 2 * n_pcts) * sizeof *ranks);
    double *vals = sb_xmalloc((2 + 2 * n_pcts) * sizeof *vals);
    size_t m = needed_ranks(sc->n, pcts, n_pcts, ranks);
    itl_resolve(s, sc, ranks, m, vals);
    fill_order_stats(sc->n, pcts, n_pcts, ranks, vals, m, st);
    free(ranks);
    free(vals);
    free(sc->big);
    free(sc);
}
