/* SPDX-License-Identifier: Apache-2.0 */
/* rng_mt.c - MT19937 (Matsumoto & Nishimura 1998), written from the paper's
 * published algorithm. CPython's `random` and numpy's legacy RandomState both
 * run this generator unchanged; only their seeding differs, so the core lives
 * here once and rng_py.c / rng_np_legacy.c add the seeding and the
 * distributions. The block is regenerated lazily when the position reaches N,
 * which is what makes stream positions line up with the reference. */
#include "core/rng_mt.h"

#define MT_M 397
#define MT_UPPER 0x80000000u
#define MT_LOWER 0x7fffffffu
#define MT_MATRIX 0x9908b0dfu

void rng_mt_seed(uint32_t *mt, int *pos, uint32_t seed)
{
    mt[0] = seed;
    for (uint32_t i = 1; i < RNG_MT_N; i++)
        mt[i] = 1812433253u * (mt[i - 1] ^ (mt[i - 1] >> 30)) + i;
    *pos = RNG_MT_N;
}

void rng_mt_seed_array(uint32_t *mt, int *pos, const uint32_t *key, size_t n)
{
    rng_mt_seed(mt, pos, 19650218u);
    size_t i = 1, j = 0;
    for (size_t k = n > RNG_MT_N ? n : RNG_MT_N; k > 0; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint32_t)j;
        if (++i >= RNG_MT_N) {
            mt[0] = mt[RNG_MT_N - 1];
            i = 1;
        }
        if (++j >= n)
            j = 0;
    }
    for (size_t k = RNG_MT_N - 1; k > 0; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u)) - (uint32_t)i;
        if (++i >= RNG_MT_N) {
            mt[0] = mt[RNG_MT_N - 1];
            i = 1;
        }
    }
    mt[0] = 0x80000000u; /* guarantees a non-zero state whatever the key */
    *pos = RNG_MT_N;
}

static inline uint32_t mt_twist(uint32_t a, uint32_t b, uint32_t m)
{
    uint32_t y = (a & MT_UPPER) | (b & MT_LOWER);
    return m ^ (y >> 1) ^ ((y & 1u) ? MT_MATRIX : 0u);
}

static void mt_regenerate(uint32_t *mt)
{
    int k = 0;
    for (; k < RNG_MT_N - MT_M; k++)
        mt[k] = mt_twist(mt[k], mt[k + 1], mt[k + MT_M]);
    for (; k < RNG_MT_N - 1; k++)
        mt[k] = mt_twist(mt[k], mt[k + 1], mt[k + MT_M - RNG_MT_N]);
    mt[RNG_MT_N - 1] = mt_twist(mt[RNG_MT_N - 1], mt[0], mt[MT_M - 1]);
}

uint32_t rng_mt_next(uint32_t *mt, int *pos)
{
    if (*pos >= RNG_MT_N) {
        mt_regenerate(mt);
        *pos = 0;
    }
    uint32_t y = mt[(*pos)++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

double rng_mt_double(uint32_t *mt, int *pos)
{
    /* 27 high bits then 26 high bits: the order matters for stream parity. */
    uint32_t a = rng_mt_next(mt, pos) >> 5;
    uint32_t b = rng_mt_next(mt, pos) >> 6;
    return ((double)a * 67108864.0 + (double)b) * (1.0 / 9007199254740992.0);
}
