/* sched.h - when each request is sent: the reference's arrival schedule.
 *
 * All send offsets are computed before the first send (reference doc 5.1):
 * gamma/Poisson gaps from numpy's legacy global RandomState seeded with
 * --seed, constant spacing for burstiness inf, ramp-up rates, and the final
 * rescale so the last request goes out at N / rate. The engine sends against
 * absolute deadlines (bench start + offset), so nothing drifts. */
#ifndef SB_SCHED_H
#define SB_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "cli/config.h"
#include "core/err.h"
#include "core/rng.h"

typedef struct sched_rps_event {
    double rps;      /* integer rate crossed */
    uint64_t at_ns;  /* send offset at which it was crossed */
} sched_rps_event;

typedef struct sched_plan {
    uint64_t *offset_ns; /* n send offsets from the benchmark start, ascending */
    size_t n;
    sched_rps_event *events; /* ramp-up bookkeeping (reference "rps_change_events") */
    size_t n_events;
} sched_plan;

/* Builds the schedule for n requests from cfg (request_rate, burstiness,
 * ramp_up*). rs is the global numpy RandomState (seeded with --seed by the
 * caller, shared with any other global draws in reference order).
 * timestamps_s, when not NULL, are trace arrival times used as-is (self-timed
 * replay: no rescale). Returns 0 or -1 with err set. */
int sched_plan_build(const sb_config *cfg, size_t n, np_rs *rs, const double *timestamps_s,
                     sched_plan *out, sb_err *err);
void sched_plan_free(sched_plan *p);

#endif
