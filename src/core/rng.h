/* SPDX-License-Identifier: Apache-2.0 */
/* rng.h - the random number generators the reference draws from, reimplemented
 * bit-exactly so the same --seed gives the same requests and send schedule as
 * `vllm bench serve` (vllm/benchmarks/datasets/datasets.py: get_samples, the np.random and random
 * draws). Never libc rand().
 *
 *  - py_random: CPython's `random` module (MT19937, random.seed(int) through
 *    init_by_array of the seed's 32-bit words).
 *  - np_rs: numpy's legacy RandomState (MT19937 init_genrand for int seeds,
 *    legacy gamma/normal/exponential, randint).
 *  - np_gen: numpy's Generator(PCG64) from default_rng(seed) (SeedSequence
 *    seeding, Generator.integers with Lemire's bounded method).
 * Each state is a plain struct owned by its caller. Streams are checked
 * against CPython and numpy in tests/test_rng.c. */
#ifndef SB_RNG_H
#define SB_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* ---- CPython random ---- */
typedef struct py_random {
    uint32_t mt[624];
    int index;
} py_random;

void py_random_seed(py_random *r, uint64_t seed);       /* random.seed(seed), seed >= 0 */
double py_random_random(py_random *r);                  /* random.random() */
uint64_t py_random_getrandbits(py_random *r, int k);    /* random.getrandbits(k), 1 <= k <= 64 */
uint64_t py_random_randbelow(py_random *r, uint64_t n); /* random._randbelow(n), n >= 1 */
/* random.shuffle(x) applied to an array of n items of elem_size bytes. */
void py_random_shuffle(py_random *r, void *items, size_t n, size_t elem_size);
/* random.choice(seq) for a sequence of length n: returns the index. */
size_t py_random_choice(py_random *r, size_t n);
/* random.choices(population of n, k=k) without weights: k indices into out. */
void py_random_choices(py_random *r, size_t n, size_t k, size_t *out);

/* ---- numpy legacy RandomState ---- */
typedef struct np_rs {
    uint32_t mt[624];
    int pos;
    int has_gauss;
    double gauss;
} np_rs;

void np_rs_seed(np_rs *r, uint32_t seed); /* np.random.seed(seed) */
/* np.random.seed(seed) for a --seed of any size: numpy accepts only
 * 0..2^32-1 and the reference stops with its message otherwise. 0 or -1. */
int np_rs_seed_checked(np_rs *r, uint64_t seed, sb_err *err);
uint32_t np_rs_next32(np_rs *r);
double np_rs_random(np_rs *r);                            /* random_sample() */
double np_rs_standard_normal(np_rs *r);                   /* legacy polar Box-Muller */
double np_rs_standard_exponential(np_rs *r);              /* legacy: -log(1 - U) */
double np_rs_standard_gamma(np_rs *r, double shape);      /* legacy; NAN for shape < 0 */
double np_rs_gamma(np_rs *r, double shape, double scale); /* np.random.gamma */
/* np.random.randint(low, high, size=n) with the default int64 dtype. */
void np_rs_randint(np_rs *r, int64_t low, int64_t high, size_t n, int64_t *out);
/* numpy's random_interval(max): uniform in [0, max] by masked rejection (the
 * draw behind shuffle/permutation). */
uint64_t np_rs_interval(np_rs *r, uint64_t max);
/* RandomState.permutation(n): out[i] = the shuffled 0..n-1. */
void np_rs_permutation(np_rs *r, size_t n, int64_t *out);
/* RandomState.choice(pop, size=k, replace) without p: what pandas'
 * DataFrame.sample(n=k, replace, random_state=seed) draws (BurstGPT). Without
 * replacement k <= pop is required (numpy raises otherwise; here the first
 * min(k, pop) are written). */
void np_rs_choice(np_rs *r, size_t pop, size_t k, int replace, int64_t *out);

/* ---- numpy Generator(PCG64), default_rng(seed) ---- */
typedef struct np_gen {
    unsigned __int128 state, inc;
    int has_uint32;
    uint32_t uinteger;
} np_gen;

void np_gen_seed(np_gen *g, uint64_t seed); /* np.random.default_rng(seed) */
uint64_t np_gen_next64(np_gen *g);
uint32_t np_gen_next32(np_gen *g); /* buffered halves, as numpy */
double np_gen_random(np_gen *g);   /* Generator.random() */
/* Generator.integers(low, high, size=n) (int64, endpoint=False). */
void np_gen_integers(np_gen *g, int64_t low, int64_t high, size_t n, int64_t *out);
/* random_interval(max) on this generator (32-bit buffered draws when max < 2^32). */
uint64_t np_gen_interval(np_gen *g, uint64_t max);
/* Generator.permutation(n) (what Hugging Face datasets' .shuffle(seed) uses). */
void np_gen_permutation(np_gen *g, size_t n, int64_t *out);
/* Generator.integers(0, 256, n, dtype=np.uint8): random bytes as random-mm
 * draws image pixels (each 32-bit draw gives 4 bytes, low byte first; the
 * rest of the last draw is dropped when the call ends, as numpy does). */
void np_gen_bytes(np_gen *g, size_t n, uint8_t *out);
/* np_gen_bytes(g, n, out) drawn in pieces: the same bytes when the pieces'
 * sizes add up to n, whatever they are. Start with a zeroed state. */
typedef struct np_gen_bytes_state {
    uint32_t buf;
    unsigned left; /* bytes of buf not yet handed out */
} np_gen_bytes_state;
void np_gen_bytes_part(np_gen *g, np_gen_bytes_state *s, size_t n, uint8_t *out);
/* Leaves g as np_gen_bytes(g, n, ...) would, in O(log n) (random-mm draws a
 * video's frames later, on a worker, from a copy taken before the skip). */
void np_gen_skip_bytes(np_gen *g, size_t n);
/* PCG64.advance(delta): the state delta 64-bit draws later; drops the
 * buffered 32-bit half as numpy does. */
void np_gen_advance(np_gen *g, unsigned __int128 delta);
/* Generator.choice(len(p), size=k, p=p) with replacement: cdf = cumsum(p) /
 * its last value, then k random() draws located with searchsorted(right).
 * p must be non-negative with a positive sum (numpy validates that). */
void np_gen_choice_p(np_gen *g, const double *p, size_t np, size_t k, int64_t *out);

#endif
