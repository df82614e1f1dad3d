/* SPDX-License-Identifier: Apache-2.0 */
/* sched_plan.c - the arrival schedule of vllm/benchmarks/serve.py: get_request, computed up front.
 *
 * vllm (since PR #21108) precomputes every send delay before the first send:
 * gap_i is 0 for an infinite rate, 1/rate_i for burstiness inf, otherwise one
 * np.random.gamma(k, 1/(rate_i*k)) draw from the global legacy RandomState;
 * the delays are summed in order (the first request waits one gap too) and,
 * without ramp-up, rescaled so the last one lands exactly at N/rate. The
 * arithmetic below keeps the reference's operation order so offset_s is
 * bit-identical to its delay_ts; offset_ns is what the sender sleeps to.
 * Ramp-up events mirror the reference's rps_change_events: the start rate at
 * t=0, then one event per integer rate crossed, stamped with that send. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "sched/sched.h"
#include "sched/sched_priv.h"

/* Bit parity with numpy/CPython needs every a*b+c rounded twice, never fused.
 * GCC in ISO C mode already uses -ffp-contract=off; clang contracts by default
 * on targets with FMA, so switch it off here. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

double sched_rate_at(const sched_opts *cfg, size_t i, size_t n)
{
    if (cfg->ramp_up == SCHED_RAMP_NONE)
        return cfg->request_rate;
    double progress = (double)i / (double)(n > 1 ? n - 1 : 1);
    double a = cfg->ramp_up_start_rps, b = cfg->ramp_up_end_rps;
    if (cfg->ramp_up == SCHED_RAMP_LINEAR)
        return a + (b - a) * progress;
    return a * pow(b / a, progress);
}

static int to_ns(double s, size_t i, uint64_t *out, sb_err *err)
{
    if (isnan(s))
        return sb_err_set(err, "send offset of request %zu is not a number", i);
    if (s <= 0) { /* the reference sends at once when the delay is not positive */
        *out = 0;
        return 0;
    }
    if (s >= 9.2e9) /* ~292 years: beyond uint64 nanoseconds */
        return sb_err_set(err, "send offset of request %zu (%g s) is too large", i, s);
    *out = (uint64_t)llround(s * 1e9);
    return 0;
}

/* delay_ts of the reference: gaps, running sum, rescale. */
static int plan_offsets(const sched_opts *cfg, size_t n, np_rs *rs, sched_plan *p, sb_err *err)
{
    double k = cfg->burstiness;
    for (size_t i = 0; i < n; i++) {
        double rate = sched_rate_at(cfg, i, n);
        if (!(rate > 0))
            return sched_err_rate(rate, err);
        double gap;
        if (isinf(rate))
            gap = 0;
        else if (isinf(k))
            gap = 1.0 / rate;
        else if (rs)
            gap = np_rs_gamma(rs, k, 1.0 / (rate * k));
        else
            return sb_err_set(err, "gamma arrival gaps need the global RandomState (none given)");
        p->offset_s[i] = i ? p->offset_s[i - 1] + gap : gap;
    }
    double last = p->offset_s[n - 1];
    if (cfg->ramp_up == SCHED_RAMP_NONE && last != 0) {
        double factor = ((double)n / cfg->request_rate) / last;
        for (size_t i = 0; i < n; i++)
            p->offset_s[i] = p->offset_s[i] * factor;
    }
    return 0;
}

static void push_event(sched_plan *p, size_t *cap, double rps, uint64_t at_ns, size_t i)
{
    if (p->n_events == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        p->events = sb_xrealloc(p->events, *cap * sizeof *p->events);
    }
    p->events[p->n_events++] = (sched_rps_event){rps, at_ns, i};
}

static void plan_events(const sched_opts *cfg, sched_plan *p)
{
    if (cfg->ramp_up == SCHED_RAMP_NONE)
        return;
    /* sched_validate bounds both rates to whole numbers below 2^53 and their
     * distance to SCHED_MAX_RPS_EVENTS, so these integers are exact. */
    size_t cap = 0;
    int64_t last = (int64_t)cfg->ramp_up_start_rps;
    push_event(p, &cap, (double)last, 0, 0); /* at the benchmark start */
    for (size_t i = 0; i < p->n; i++) {
        int64_t cur = (int64_t)sched_rate_at(cfg, i, p->n); /* Python int(rate) */
        for (int64_t v = last + 1; v <= cur; v++)
            push_event(p, &cap, (double)v, p->offset_ns[i], i);
        if (cur > last)
            last = cur;
    }
}

int sched_plan_build(const sched_opts *cfg, size_t n, np_rs *rs, const double *timestamps_s,
                     sched_plan *out, sb_err *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return sb_err_set(err, "No requests provided.");
    if (!timestamps_s && sched_validate(cfg, err) < 0)
        return -1;
    out->n = n;
    out->offset_s = sb_xmalloc(n * sizeof *out->offset_s);
    out->offset_ns = sb_xmalloc(n * sizeof *out->offset_ns);
    if (timestamps_s) { /* self-timed replay: the trace's times as they are */
        memcpy(out->offset_s, timestamps_s, n * sizeof *out->offset_s);
    } else if (plan_offsets(cfg, n, rs, out, err) < 0) {
        sched_plan_free(out);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (to_ns(out->offset_s[i], i, &out->offset_ns[i], err) < 0) {
            sched_plan_free(out);
            return -1;
        }
        /* A sequential sender cannot go back in time: an earlier timestamp
         * after a later one is sent right after it (the reference's loop). */
        if (i && out->offset_ns[i] < out->offset_ns[i - 1])
            out->offset_ns[i] = out->offset_ns[i - 1];
    }
    if (!timestamps_s)
        plan_events(cfg, out);
    return 0;
}

void sched_plan_free(sched_plan *p)
{
    free(p->offset_ns);
    free(p->offset_s);
    free(p->events);
    memset(p, 0, sizeof *p);
}

uint64_t sched_deadline_ns(const sched_plan *p, size_t i, uint64_t start_ns)
{
    return start_ns + p->offset_ns[i];
}

size_t sched_due(const sched_plan *p, size_t from, uint64_t start_ns, uint64_t now_ns)
{
    if (now_ns < start_ns)
        return from;
    uint64_t elapsed = now_ns - start_ns;
    /* offset_ns is non-decreasing: binary search for the first > elapsed. */
    size_t lo = from, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->offset_ns[mid] <= elapsed)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
