/* SPDX-License-Identifier: Apache-2.0 */
/* sched_check.c - the reference's validation of the load-shape flags.
 *
 * vllm checks ramp-up flags in main_async before anything is sent and asserts
 * burstiness > 0 and rate_i > 0 in get_request (vllm/benchmarks/serve.py: add_cli_args,
 * get_request). The messages below are the reference's own, with numbers printed the way Python's
 * repr() prints a float ("0.0", "-1.5", "inf"), so a user switching tools sees the same sentence.
 * Ramp-up rates are Python ints there; here they must at least be whole numbers small enough for a
 * double to hold exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pyfmt.h"
#include "sched/sched.h"
#include "sched/sched_priv.h"

#define SCHED_MAX_RPS_EVENTS 10000000

static int whole_rate(double v)
{
    return isfinite(v) && v == floor(v) && fabs(v) < 9007199254740992.0; /* 2^53 */
}

int sched_validate(const sched_opts *cfg, sb_err *err)
{
    if (cfg->ramp_up != SCHED_RAMP_NONE) {
        if (!isinf(cfg->request_rate) || cfg->request_rate < 0)
            return sb_err_set(err, "When using ramp-up, do not specify --request-rate. The "
                                   "request rate will be controlled by ramp-up parameters.");
        double a = cfg->ramp_up_start_rps, b = cfg->ramp_up_end_rps;
        if (isnan(a) || isnan(b))
            return sb_err_set(err, "When using --ramp-up-strategy, both --ramp-up-start-rps "
                                   "and --ramp-up-end-rps must be specified");
        if (!whole_rate(a) || !whole_rate(b))
            return sb_err_set(err, "--ramp-up-start-rps and --ramp-up-end-rps must be whole "
                                   "numbers below 2^53");
        if (a < 0 || b < 0)
            return sb_err_set(err, "Ramp-up start and end RPS must be non-negative");
        if (a > b)
            return sb_err_set(err, "Ramp-up start RPS must be less than end RPS");
        if (cfg->ramp_up == SCHED_RAMP_EXPONENTIAL && a == 0)
            return sb_err_set(err, "For exponential ramp-up, the start RPS cannot be 0.");
        /* The reference records one event per integer rate crossed and would
         * grind through billions of them; stop early with a sentence instead. */
        if (b - a > SCHED_MAX_RPS_EVENTS)
            return sb_err_set(err,
                              "Ramp-up from %.0f to %.0f RPS would record more than %d rate "
                              "change events; use a smaller range",
                              a, b, SCHED_MAX_RPS_EVENTS);
    }
    if (!(cfg->burstiness > 0)) { /* NaN fails too, as Python's assert does */
        char b[48];
        py_float_repr(b, sizeof b, cfg->burstiness);
        return sb_err_set(err, "A positive burstiness factor is expected, but given %s.", b);
    }
    return 0;
}

/* Message for a rate_i <= 0 (linear ramp-up from 0, or a non-positive
 * --request-rate): the reference asserts on it. */
int sched_err_rate(double rate, sb_err *err)
{
    char r[48];
    py_float_repr(r, sizeof r, rate);
    return sb_err_set(err, "Obtained non-positive request rate %s.", r);
}
