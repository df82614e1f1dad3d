/* SPDX-License-Identifier: Apache-2.0 */
/* rng_mt.h - the MT19937 core shared by py_random (CPython) and np_rs (numpy
 * RandomState). Private to src/core/rng*.c: both generators own a plain
 * 624-word state plus a position, and differ only in how they seed it and
 * what they build on top of the 32-bit outputs. */
#ifndef SB_RNG_MT_H
#define SB_RNG_MT_H

#include <stddef.h>
#include <stdint.h>

#define RNG_MT_N 624

/* Matsumoto-Nishimura init_genrand(seed); the position is set to N so the
 * first draw regenerates the block, as both CPython and numpy do. */
void rng_mt_seed(uint32_t *mt, int *pos, uint32_t seed);
/* init_by_array(key, n) (n >= 1), CPython's path for random.seed(int). */
void rng_mt_seed_array(uint32_t *mt, int *pos, const uint32_t *key, size_t n);
/* Next tempered 32-bit output. */
uint32_t rng_mt_next(uint32_t *mt, int *pos);
/* 53-bit double in [0, 1) from two outputs (genrand_res53). Both CPython's
 * random() and numpy's MT19937 next_double use exactly this. */
double rng_mt_double(uint32_t *mt, int *pos);

#endif
