/* SPDX-License-Identifier: Apache-2.0 */
/* rng_np_gen.c - numpy's default_rng(seed): SeedSequence -> PCG64 -> Generator.
 *
 * Written from numpy's documented algorithms (numpy/random/bit_generator.pyx,
 * _pcg64.pyx, src/pcg64/pcg64.h and src/distributions/distributions.c were
 * read for behaviour only):
 *  - SeedSequence(seed): the integer as little-endian uint32 words, hashed
 *    into a 4-word pool (hashmix/mix with the constants below), then
 *    generate_state(4, uint64) = 8 hashed uint32 words read as 4 uint64
 *    (little-endian pairs).
 *  - PCG64 seeding: state word 0/1 are the high/low halves of initstate, words
 *    2/3 of initseq; srandom: state = 0, inc = initseq<<1|1, step, state +=
 *    initstate, step. Output: step first, then XSL-RR of the new state.
 *  - next_uint32 hands out the low half of a 64-bit draw and keeps the high
 *    half for the next call; Generator.integers relies on that buffer.
 *  - Generator.integers(low, high): Lemire's bounded method on 32-bit draws
 *    when high-1-low < 2^32, on 64-bit draws otherwise.
 * numpy's policy keeps the PCG64 and SeedSequence streams stable across
 * versions, so numpy 1.24 vectors also describe the reference's numpy 2.x. */
#include <stdlib.h>

#include "core/buf.h"
#include "core/rng.h"
#include "core/rng_shared.h"

#define SS_POOL 4
#define SS_INIT_A 0x43b0d7e5u
#define SS_MULT_A 0x931e8875u
#define SS_INIT_B 0x8b51f9ddu
#define SS_MULT_B 0x58f38dedu
#define SS_MIX_L 0xca01f9ddu
#define SS_MIX_R 0x4973f715u

typedef unsigned __int128 u128;

static uint32_t ss_hashmix(uint32_t value, uint32_t *hash_const)
{
    value ^= *hash_const;
    *hash_const *= SS_MULT_A;
    value *= *hash_const;
    return value ^ (value >> 16);
}

static uint32_t ss_mix(uint32_t x, uint32_t y)
{
    uint32_t r = SS_MIX_L * x - SS_MIX_R * y;
    return r ^ (r >> 16);
}

/* SeedSequence(entropy).pool for entropy given as n (>= 1) uint32 words. */
static void ss_pool(const uint32_t *entropy, size_t n, uint32_t pool[SS_POOL])
{
    uint32_t hc = SS_INIT_A;
    for (size_t i = 0; i < SS_POOL; i++)
        pool[i] = ss_hashmix(i < n ? entropy[i] : 0u, &hc);
    for (size_t src = 0; src < SS_POOL; src++)
        for (size_t dst = 0; dst < SS_POOL; dst++)
            if (src != dst)
                pool[dst] = ss_mix(pool[dst], ss_hashmix(pool[src], &hc));
    for (size_t src = SS_POOL; src < n; src++)
        for (size_t dst = 0; dst < SS_POOL; dst++)
            pool[dst] = ss_mix(pool[dst], ss_hashmix(entropy[src], &hc));
}

/* generate_state(n64, uint64): 2*n64 words cycling over the pool. */
static void ss_generate64(const uint32_t pool[SS_POOL], uint64_t *out, size_t n64)
{
    uint32_t hc = SS_INIT_B;
    for (size_t i = 0; i < 2 * n64; i++) {
        uint32_t v = pool[i % SS_POOL];
        v ^= hc;
        hc *= SS_MULT_B;
        v *= hc;
        v ^= v >> 16;
        if (i % 2 == 0)
            out[i / 2] = v;
        else
            out[i / 2] |= (uint64_t)v << 32;
    }
}

#define PCG_MULT ((((u128)2549297995355413924ull) << 64) | 4865540595714422341ull)

static inline void pcg_step(np_gen *g)
{
    g->state = g->state * PCG_MULT + g->inc;
}

void np_gen_seed(np_gen *g, uint64_t seed)
{
    uint32_t words[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    uint32_t pool[SS_POOL];
    ss_pool(words, words[1] ? 2 : 1, pool);
    uint64_t s[4];
    ss_generate64(pool, s, 4);
    u128 initstate = ((u128)s[0] << 64) | s[1];
    u128 initseq = ((u128)s[2] << 64) | s[3];
    g->state = 0;
    g->inc = (initseq << 1) | 1u;
    pcg_step(g);
    g->state += initstate;
    pcg_step(g);
    g->has_uint32 = 0;
    g->uinteger = 0;
}

uint64_t np_gen_next64(np_gen *g)
{
    pcg_step(g);
    uint64_t x = (uint64_t)(g->state >> 64) ^ (uint64_t)g->state;
    unsigned rot = (unsigned)(g->state >> 122);
    return (x >> rot) | (x << ((64u - rot) & 63u));
}

uint32_t np_gen_next32(np_gen *g)
{
    if (g->has_uint32) {
        g->has_uint32 = 0;
        return g->uinteger;
    }
    uint64_t v = np_gen_next64(g);
    g->has_uint32 = 1;
    g->uinteger = (uint32_t)(v >> 32);
    return (uint32_t)v;
}

double np_gen_random(np_gen *g)
{
    return (double)(np_gen_next64(g) >> 11) * (1.0 / 9007199254740992.0);
}

/* Lemire's nearly-divisionless bounded draw in [0, rng] on 32-bit outputs. */
static uint32_t lemire32(np_gen *g, uint32_t rng)
{
    uint32_t excl = rng + 1u;
    uint64_t m = (uint64_t)np_gen_next32(g) * excl;
    uint32_t left = (uint32_t)m;
    if (left < excl) {
        uint32_t threshold = (UINT32_MAX - rng) % excl; /* 2^32 mod excl */
        while (left < threshold) {
            m = (uint64_t)np_gen_next32(g) * excl;
            left = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

static uint64_t lemire64(np_gen *g, uint64_t rng)
{
    uint64_t excl = rng + 1u;
    u128 m = (u128)np_gen_next64(g) * excl;
    uint64_t left = (uint64_t)m;
    if (left < excl) {
        uint64_t threshold = (UINT64_MAX - rng) % excl;
        while (left < threshold) {
            m = (u128)np_gen_next64(g) * excl;
            left = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

void np_gen_integers(np_gen *g, int64_t low, int64_t high, size_t n, int64_t *out)
{
    if (high <= low) { /* numpy raises "low >= high"; callers validate first */
        for (size_t i = 0; i < n; i++)
            out[i] = low;
        return;
    }
    /* numpy works on the closed interval [low, high-1] as unsigned offsets. */
    uint64_t rng = (uint64_t)high - 1u - (uint64_t)low;
    uint64_t off = (uint64_t)low;
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        if (rng == 0)
            v = 0;
        else if (rng == UINT32_MAX)
            v = np_gen_next32(g);
        else if (rng < UINT32_MAX)
            v = lemire32(g, (uint32_t)rng);
        else if (rng == UINT64_MAX)
            v = np_gen_next64(g);
        else
            v = lemire64(g, rng);
        out[i] = (int64_t)(off + v);
    }
}

uint64_t np_gen_interval(np_gen *g, uint64_t max)
{
    if (max == 0)
        return 0;
    uint64_t mask = rng_mask_for(max), v;
    if (max <= UINT32_MAX) {
        while ((v = (np_gen_next32(g) & mask)) > max)
            ;
    } else {
        while ((v = (np_gen_next64(g) & mask)) > max)
            ;
    }
    return v;
}

static uint64_t gen_interval(void *g, uint64_t max)
{
    return np_gen_interval(g, max);
}

void np_gen_permutation(np_gen *g, size_t n, int64_t *out)
{
    rng_permutation(g, gen_interval, n, out);
}

void np_gen_bytes(np_gen *g, size_t n, uint8_t *out)
{
    uint32_t buf = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 4 == 0)
            buf = np_gen_next32(g);
        else
            buf >>= 8;
        out[i] = (uint8_t)buf;
    }
}

void np_gen_bytes_part(np_gen *g, np_gen_bytes_state *s, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        if (s->left == 0) {
            s->buf = np_gen_next32(g);
            s->left = 4;
        } else {
            s->buf >>= 8;
        }
        s->left--;
        out[i] = (uint8_t)s->buf;
    }
}

/* An LCG's jump ahead (Brown, "Random number generation with arbitrary
 * strides"): delta steps of state = state * M + inc as one multiply-add. */
void np_gen_advance(np_gen *g, u128 delta)
{
    u128 mult = PCG_MULT, plus = g->inc, acc_mult = 1, acc_plus = 0;
    while (delta) {
        if (delta & 1u) {
            acc_mult *= mult;
            acc_plus = acc_plus * mult + plus;
        }
        plus = (mult + 1u) * plus;
        mult *= mult;
        delta >>= 1;
    }
    g->state = acc_mult * g->state + acc_plus;
    g->has_uint32 = 0;
    g->uinteger = 0;
}

void np_gen_skip_bytes(np_gen *g, size_t n)
{
    size_t k = n / 4 + (n % 4 != 0); /* 32-bit draws np_gen_bytes takes */
    if (k && g->has_uint32) {
        g->has_uint32 = 0;
        k--;
    }
    if (k / 2)
        np_gen_advance(g, (u128)(k / 2));
    if (k % 2)
        (void)np_gen_next32(g); /* leaves the high half buffered */
}

/* Index of the first cdf entry > u (numpy searchsorted side='right'). */
static size_t search_right(const double *cdf, size_t n, double u)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] <= u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void np_gen_choice_p(np_gen *g, const double *p, size_t np, size_t k, int64_t *out)
{
    if (np == 0)
        return;
    double *cdf = sb_xmalloc(np * sizeof *cdf);
    double acc = 0;
    for (size_t i = 0; i < np; i++)
        cdf[i] = acc += p[i]; /* np.cumsum: sequential, left to right */
    double last = cdf[np - 1];
    for (size_t i = 0; i < np; i++)
        cdf[i] /= last;
    for (size_t i = 0; i < k; i++)
        out[i] = (int64_t)search_right(cdf, np, np_gen_random(g));
    free(cdf);
}
