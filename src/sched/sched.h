/* SPDX-License-Identifier: Apache-2.0 */
/* sched.h - when each request is sent: the reference's arrival schedule.
 *
 * All send offsets are computed before the first send (vllm/benchmarks/serve.py: get_request):
 * gamma/Poisson gaps from numpy's legacy global RandomState seeded with
 * --seed, constant spacing for burstiness inf, ramp-up rates, and the final
 * rescale so the last request goes out at N / rate. The engine sends against
 * absolute deadlines (bench start + offset), so nothing drifts. */
#ifndef SB_SCHED_H
#define SB_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rng.h"

typedef enum sched_ramp {
    SCHED_RAMP_NONE = 0,
    SCHED_RAMP_LINEAR,
    SCHED_RAMP_EXPONENTIAL,
} sched_ramp;

/* The load-shape flags, all the scheduler reads (run/ fills it from the
 * configuration; tests and benchmarks set it directly). */
typedef struct sched_opts {
    double request_rate; /* --request-rate; INFINITY sends everything at once */
    double burstiness;   /* --burstiness: gamma shape; 1 = Poisson, inf = constant gaps */
    sched_ramp ramp_up;  /* --ramp-up-strategy */
    double ramp_up_start_rps, ramp_up_end_rps; /* --ramp-up-start-rps / --ramp-up-end-rps */
} sched_opts;

typedef struct sched_rps_event {
    double rps;           /* integer rate crossed */
    uint64_t at_ns;       /* send offset at which it was crossed */
    size_t request_index; /* the request whose send crossed it (0 for the start event) */
} sched_rps_event;

typedef struct sched_plan {
    /* n send offsets from the benchmark start, non-decreasing: offset_s
     * rounded to the nearest ns, 0 where the reference sends at once. */
    uint64_t *offset_ns;
    size_t n;
    /* Ramp-up bookkeeping (reference "rps_change_events"): the start rate at
     * 0, then one event per integer rate crossed. The reference stamps them
     * with datetime.now() when that request is sent; the run should do the
     * same (the planned at_ns is here for tests and replays). */
    sched_rps_event *events;
    size_t n_events;
    /* The reference's own delay_ts values in seconds, bit-identical to what
     * vllm computes (may be unsorted for self-timed traces; offset_ns is the
     * send time the reference's sequential loop actually achieves). */
    double *offset_s;
} sched_plan;

/* Builds the schedule for n requests from the load shape cfg. rs is the global numpy RandomState
 * (seeded with --seed by the caller, shared with any other global draws in reference order); it is
 * only drawn from for gamma gaps (finite rate and burstiness) and may be NULL otherwise.
 * timestamps_s, when not NULL, are trace arrival times used as-is (self-timed replay: no rescale,
 * no ramp-up). On success out owns its arrays (sched_plan_free); on failure nothing needs freeing.
 * Returns 0 or -1 with err set (the reference's message where it has one). */
int sched_plan_build(const sched_opts *cfg, size_t n, np_rs *rs, const double *timestamps_s,
                     sched_plan *out, sb_err *err);
void sched_plan_free(sched_plan *p);

/* The reference's up-front checks on the load-shape flags (ramp-up needs
 * request rate inf, both ramp-up rates, start <= end, exponential start > 0;
 * burstiness > 0), with the reference's messages. sched_plan_build runs it
 * too; cli may call it early. Returns 0 or -1 with err set. */
int sched_validate(const sched_opts *cfg, sb_err *err);

/* rate_i of vllm/benchmarks/serve.py: get_request for request i of n: request_rate, or the linear /
 * exponential ramp-up rate at progress i / max(n-1, 1). */
double sched_rate_at(const sched_opts *cfg, size_t i, size_t n);

/* Absolute monotonic deadline of request i for a run whose schedule started at
 * start_ns: start + offset, never accumulated from the previous send, so late
 * sends do not push later ones (no drift by construction). */
uint64_t sched_deadline_ns(const sched_plan *p, size_t i, uint64_t start_ns);

/* For an event-loop sender: the first request at or after `from` whose
 * deadline is still in the future at now_ns (n when none), so requests
 * [from, result) are due now. Several at once after a late wake-up, or all n
 * at time 0 for an infinite rate; the next wake-up is
 * sched_deadline_ns(p, result, start_ns). */
size_t sched_due(const sched_plan *p, size_t from, uint64_t start_ns, uint64_t now_ns);

#endif
