/* SPDX-License-Identifier: Apache-2.0 */
/* hist.h - a mergeable log-linear histogram (HdrHistogram's bucket layout).
 *
 * Values below 2^sub_bits have a bucket each (exact); above, every power of
 * two [2^e, 2^(e+1)) is split into 2^(sub_bits) equal buckets, so a bucket is
 * at most 2^-sub_bits of its lowest value wide and its midpoint (what a
 * quantile returns) lies within hist_precision() = 2^-(sub_bits+1) of every
 * value counted in it, relative to that value. Memory is fixed by the range:
 * (max_bits - sub_bits + 1) << sub_bits counters, plus one for the values at
 * or above 2^max_bits. Two histograms of one shape merge by adding their
 * counters, so an element-wise sum of the counts arrays (an MPI_SUM) is the
 * histogram of the union: what the ranks of an MPI run use for live
 * percentiles without shipping samples (docs/scale-out.md). */
#ifndef SB_HIST_H
#define SB_HIST_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct hist {
    int sub_bits, max_bits;
    size_t n;         /* buckets in range; counts has n + 1 entries */
    uint64_t *counts; /* counts[n]: values >= 2^max_bits (over the range) */
} hist;

/* 1 <= sub_bits <= 20, sub_bits < max_bits <= 64. */
int hist_init(hist *h, int sub_bits, int max_bits, sb_err *err);
void hist_free(hist *h);
void hist_reset(hist *h);

/* Entries of counts (n + 1): the length of the array to reduce or copy. */
size_t hist_counts_len(const hist *h);
/* The bucket of v (n for a value over the range). */
size_t hist_index(const hist *h, uint64_t v);
/* Lowest value and width of bucket i < n. */
uint64_t hist_bucket_low(const hist *h, size_t i);
uint64_t hist_bucket_width(const hist *h, size_t i);
/* 2^-(sub_bits+1): the largest relative distance of a quantile's value
 * from the recorded value it stands for (values below 2^sub_bits: exact). */
double hist_precision(const hist *h);

void hist_record(hist *h, uint64_t v);
/* dst += src; both of one shape (sub_bits, max_bits), else an error. */
int hist_merge(hist *dst, const hist *src, sb_err *err);
uint64_t hist_total(const hist *h);
/* Nearest-rank quantile (0 < q <= 1): the midpoint of the bucket holding the
 * ceil(q * total)-th smallest value; 0 when empty, UINT64_MAX when that value
 * is over the range. */
uint64_t hist_quantile(const hist *h, double q);

#endif
