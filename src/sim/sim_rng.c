/* SPDX-License-Identifier: Apache-2.0 */
/* sim_rng.c - xoshiro256** with splitmix64 seeding (see sim_rng.h).
 *
 * Chosen for speed and a published, easily re-derived definition: anyone can
 * reproduce the simulator's draws from docs/sim.md without this source. */
#include "sim/sim_rng.h"

#include <math.h>

uint64_t sim_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t sim_hash(uint64_t seed, const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return sim_splitmix64(&h);
}

void sim_rng_seed(sim_rng *r, uint64_t seed)
{
    uint64_t st = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = sim_splitmix64(&st);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double sim_rng_uniform(sim_rng *r)
{
    return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t sim_rng_below(sim_rng *r, uint64_t n)
{
    /* Rejection keeps it unbiased; n is tiny next to 2^64 so it rarely loops. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = sim_rng_next(r);
    while (x >= limit);
    return x % n;
}

double sim_rng_duration(sim_rng *r, double mean, double std)
{
    if (std <= 0)
        return mean > 0 ? mean : 0;
    double u1 = 1.0 - sim_rng_uniform(r); /* (0, 1]: log is finite */
    double u2 = sim_rng_uniform(r);
    double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
    double v = mean + std * z;
    return v > 0 ? v : 0;
}
