/* SPDX-License-Identifier: Apache-2.0 */
/* window.h - the steady-state window of a run: leave the ramp-up and the
 * drain out of the metrics.
 *
 * A run that starts from idle and ends draining the last requests mixes three
 * regimes; sizing decisions want the middle one (guidellm and AIPerf trim the
 * same way). The window drops requests from the store before the metrics are
 * computed, so every reference formula then applies unchanged to the requests
 * that counted, over the window's length. */
#ifndef SB_RUN_WINDOW_H
#define SB_RUN_WINDOW_H

#include <stdbool.h>

#include "core/err.h"
#include "metrics/record.h"

typedef struct run_window_opts {
    double warmup_s;        /* drop requests that started before this (s from the start) */
    double cooldown_s;      /* drop requests that finished in the last cooldown_s seconds */
    long warmup_requests;   /* drop the first N started */
    long cooldown_requests; /* drop the last N finished */
} run_window_opts;

typedef struct run_window_info {
    long counted, excluded_head, excluded_tail;
    double duration_s; /* window length: bench_end_ns - bench_start_ns afterwards */
} run_window_info;

/* True when o trims anything. */
bool run_window_active(const run_window_opts *o);
/* Keeps only the requests inside the window, in their order, and moves
 * bench_start_ns/bench_end_ns to the window's bounds (record times are
 * shifted to stay relative to the new start). The time window is
 * [warmup_s, end - cooldown_s]: a request counts when it started at or after
 * its start and finished at or before its end. The count trims then drop the
 * first warmup_requests by start time and the last cooldown_requests by
 * finish time, and the window shrinks to [first kept start, last kept
 * finish]. Requests never sent (Ctrl-C) are dropped. Returns 0, or -1 with
 * err when the window would hold no request (the store is then unchanged). */
int run_window_apply(rec_store *s, const run_window_opts *o, run_window_info *info, sb_err *err);

#endif
