/* SPDX-License-Identifier: Apache-2.0 */
/* rng_shared.h - pieces numpy builds the same way on every bit generator
 * (legacy RandomState and Generator/PCG64 alike). Private to src/core/rng*.c. */
#ifndef SB_RNG_SHARED_H
#define SB_RNG_SHARED_H

#include <stddef.h>
#include <stdint.h>

/* Smallest all-ones mask covering v (numpy's masked rejection sampling). */
uint64_t rng_mask_for(uint64_t v);

/* A generator's uniform draw in [0, max], bound to its state. */
typedef uint64_t (*rng_interval_fn)(void *state, uint64_t max);

/* numpy's permutation(n) (_shuffle_raw over arange(n)): from the end, swap
 * item i with a uniform j in [0, i], drawn with interval(state, i). */
void rng_permutation(void *state, rng_interval_fn interval, size_t n, int64_t *out);

#endif
