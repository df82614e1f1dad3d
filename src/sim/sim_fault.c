/* SPDX-License-Identifier: Apache-2.0 */
/* sim_fault.c - which fault, if any, a request suffers.
 *
 * Every rate is drawn on every request, in a fixed order, whether or not an
 * earlier one hit, so changing one rate never shifts the draws of the others
 * (nor the output lengths drawn after them). The first kind that hits wins;
 * kinds earlier in the list happen earlier in a response's life. */
#include "sim/sim_internal.h"

static const char *const names[SIM_FAULT_COUNT] = {
    "ok", "reset", "reject", "fail", "drop", "malformed", "stall",
};

const char *sim_fault_name(int fault)
{
    return fault >= 0 && fault < SIM_FAULT_COUNT ? names[fault] : "?";
}

int sim_fault_pick(const sim_opts *o, sim_rng *r, uint32_t nchunks, uint32_t *at_chunk)
{
    const double rates[SIM_FAULT_COUNT] = {
        0,
        o->reset_rate,
        o->reject_rate,
        o->fail_rate,
        o->drop_rate,
        o->malformed_rate,
        o->stall_rate,
    };
    int hit = SIM_FAULT_NONE;
    for (int k = 1; k < SIM_FAULT_COUNT; k++) {
        double u = sim_rng_uniform(r);
        if (hit == SIM_FAULT_NONE && u < rates[k])
            hit = k;
    }
    /* Drops and stalls land after the first chunk when there is one, so the
     * client has seen a token (a truncated stream, a pause between tokens). */
    uint64_t lo = nchunks > 1 && hit != SIM_FAULT_MALFORMED ? 1 : 0;
    uint64_t span = nchunks > lo ? nchunks - lo : 1;
    *at_chunk = (uint32_t)(lo + sim_rng_below(r, span));
    return hit;
}
