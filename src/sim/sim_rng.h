/* SPDX-License-Identifier: Apache-2.0 */
/* sim_rng.h - the simulator's own seeded generator (never libc rand()).
 *
 * xoshiro256** (Blackman & Vigna, 2018) seeded through splitmix64. Each
 * request gets its own state derived from --seed and the request's identity
 * (x-request-id, else its arrival number), so the same request draws the same
 * output length, timing and faults however arrivals interleave. */
#ifndef SB_SIM_RNG_H
#define SB_SIM_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim_rng {
    uint64_t s[4];
} sim_rng;

uint64_t sim_splitmix64(uint64_t *state);
/* FNV-1a over bytes, mixed with seed: a stable 64-bit identity. */
uint64_t sim_hash(uint64_t seed, const void *p, size_t n);
void sim_rng_seed(sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(sim_rng *r);
double sim_rng_uniform(sim_rng *r);             /* [0, 1) with 53 bits */
uint64_t sim_rng_below(sim_rng *r, uint64_t n); /* [0, n), n >= 1 */
/* Normal(mean, std) by Box-Muller, clamped at 0 (a duration). */
double sim_rng_duration(sim_rng *r, double mean, double std);

#endif
