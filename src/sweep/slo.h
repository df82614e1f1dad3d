/* SPDX-License-Identifier: Apache-2.0 */
/* slo.h - latency/throughput objectives a sweep point must meet.
 *
 * "ttft:p99<=500,tpot:p99<=50": each item names a result key (here
 * p99_ttft_ms, p99_tpot_ms) and a limit. A point passes when the mean of its
 * runs meets every limit; it is uncertain when the 95% interval of that mean
 * contains a limit (or, with one run, when the value is within 10% of it),
 * which is when the capacity search repeats it. */
#ifndef SB_SWEEP_SLO_H
#define SB_SWEEP_SLO_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define SWEEP_SLO_MAX 16

typedef struct sweep_slo {
    char key[64]; /* result key: p99_ttft_ms, output_throughput, or "goodput" */
    bool upper;   /* true: value <= limit; false: value >= limit */
    bool strict;  /* < or > */
    double limit;
    double pct; /* the percentile it needs (99 for p99_*), or NAN */
} sweep_slo;

/* Parses a comma-separated list. Items: METRIC:STAT OP VALUE (METRIC one of
 * ttft, tpot, itl, e2el; STAT pNN, mean, median, std; in ms), a result key
 * OP VALUE (p99_ttft_ms<=500, output_throughput>=1000), or goodput>=F (the
 * fraction of requests meeting --goodput). OP: <=, <, >=, >. Returns the
 * count, or -1 with err naming the item. */
int sweep_slo_parse(const char *spec, sweep_slo *out, size_t cap, sb_err *err);

/* Whether value meets s. */
bool sweep_slo_meets(const sweep_slo *s, double value);
/* "p99_ttft_ms <= 500" into out. */
void sweep_slo_format(const sweep_slo *s, sb_buf *out);

#endif
