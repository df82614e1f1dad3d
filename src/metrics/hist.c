/* SPDX-License-Identifier: Apache-2.0 */
/* hist.c - the log-linear histogram of hist.h.
 *
 * With s = sub_bits, a value v >= 2^s whose top bit is e keeps its s + 1
 * leading bits m = v >> (e - s), in [2^s, 2^(s+1)); its bucket is
 * (e - s) * 2^s + m. Below 2^s the bucket is v itself, and both formulas
 * agree at e = s, so the index is continuous and monotonic in v. */
#include "metrics/hist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

int hist_init(hist *h, int sub_bits, int max_bits, sb_err *err)
{
    memset(h, 0, sizeof *h);
    if (sub_bits < 1 || sub_bits > 20 || max_bits <= sub_bits || max_bits > 64)
        return sb_err_set(err,
                          "histogram: sub_bits %d / max_bits %d out of range (1 <= sub_bits <= "
                          "20, sub_bits < max_bits <= 64)",
                          sub_bits, max_bits);
    h->sub_bits = sub_bits;
    h->max_bits = max_bits;
    h->n = (size_t)(max_bits - sub_bits + 1) << sub_bits;
    h->counts = sb_xcalloc(h->n + 1, sizeof *h->counts);
    return 0;
}

void hist_free(hist *h)
{
    free(h->counts);
    memset(h, 0, sizeof *h);
}

void hist_reset(hist *h)
{
    memset(h->counts, 0, (h->n + 1) * sizeof *h->counts);
}

size_t hist_counts_len(const hist *h)
{
    return h->n + 1;
}

size_t hist_index(const hist *h, uint64_t v)
{
    int s = h->sub_bits;
    if (v < (1ULL << s))
        return (size_t)v;
    if (h->max_bits < 64 && v >= (1ULL << h->max_bits))
        return h->n;
    int e = 63 - __builtin_clzll(v);
    return ((size_t)(e - s) << s) + (size_t)(v >> (e - s));
}

uint64_t hist_bucket_low(const hist *h, size_t i)
{
    int s = h->sub_bits;
    size_t j = i >> s; /* e - s + 1, or 0 below 2^s */
    if (j == 0)
        return i;
    j--;
    return (uint64_t)(i - (j << s)) << j;
}

uint64_t hist_bucket_width(const hist *h, size_t i)
{
    size_t j = i >> h->sub_bits;
    return j == 0 ? 1 : 1ULL << (j - 1);
}

double hist_precision(const hist *h)
{
    return ldexp(1.0, -(h->sub_bits + 1));
}

void hist_record(hist *h, uint64_t v)
{
    h->counts[hist_index(h, v)]++;
}

int hist_merge(hist *dst, const hist *src, sb_err *err)
{
    if (dst->sub_bits != src->sub_bits || dst->max_bits != src->max_bits)
        return sb_err_set(err, "histogram merge: shapes differ (%d/%d bits vs %d/%d)",
                          dst->sub_bits, dst->max_bits, src->sub_bits, src->max_bits);
    for (size_t i = 0; i <= dst->n; i++)
        dst->counts[i] += src->counts[i];
    return 0;
}

uint64_t hist_total(const hist *h)
{
    uint64_t t = 0;
    for (size_t i = 0; i <= h->n; i++)
        t += h->counts[i];
    return t;
}

uint64_t hist_quantile(const hist *h, double q)
{
    uint64_t total = hist_total(h);
    if (total == 0)
        return 0;
    double r = ceil(q * (double)total);
    uint64_t rank = r < 1 ? 1 : r >= (double)total ? total : (uint64_t)r;
    uint64_t seen = 0;
    for (size_t i = 0; i < h->n; i++) {
        seen += h->counts[i];
        if (seen >= rank) /* the midpoint of the integers low .. low + width - 1 */
            return hist_bucket_low(h, i) + (hist_bucket_width(h, i) - 1) / 2;
    }
    return UINT64_MAX;
}
