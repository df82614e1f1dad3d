/* SPDX-License-Identifier: Apache-2.0 */
/* rng_np_legacy.c - numpy's legacy RandomState (np.random.seed / gamma /
 * randint), the global generator the reference draws arrival gaps from.
 *
 * Behaviour matched (numpy/random/mtrand.pyx, _mt19937.pyx,
 * src/legacy/legacy-distributions.c, src/distributions/distributions.c and
 * _bounded_integers.pyx were read for behaviour only):
 *  - seed(int) accepts 0..2^32-1 and runs plain init_genrand (not
 *    init_by_array) and clears the cached normal.
 *  - the legacy normal is the polar Box-Muller method; each accepted pair
 *    returns f*x2 and caches f*x1 for the next call.
 *  - legacy exponential is -log(1 - U); legacy gamma is exponential for
 *    shape 1, 0 for shape 0, the Ahrens-Dieter style rejection for shape < 1,
 *    and Marsaglia-Tsang (with the legacy normal) for shape > 1.
 *  - randint uses the masked rejection method (smallest all-ones mask >=
 *    range): on single 32-bit draws for ranges below 2^32, on 64-bit draws
 *    made of two 32-bit outputs (first one high) otherwise.
 * Expression order is kept as numpy writes it: with IEEE doubles and no FMA
 * contraction (C17 mode), the results are bit-identical to numpy's. numpy's
 * policy freezes these legacy streams, so they hold for numpy 2.x too. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/rng.h"
#include "core/rng_mt.h"
#include "core/rng_shared.h"

/* Bit parity with numpy/CPython needs every a*b+c rounded twice, never fused.
 * GCC in ISO C mode already uses -ffp-contract=off; clang contracts by default
 * on targets with FMA, so switch it off here. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

void np_rs_seed(np_rs *r, uint32_t seed)
{
    rng_mt_seed(r->mt, &r->pos, seed);
    r->has_gauss = 0;
    r->gauss = 0.0;
}

int np_rs_seed_checked(np_rs *r, uint64_t seed, sb_err *err)
{
    if (seed > UINT32_MAX)
        return sb_err_set(err,
                          "Seed must be between 0 and 2**32 - 1 (numpy's RandomState, "
                          "which the reference seeds with --seed), got %llu",
                          (unsigned long long)seed);
    np_rs_seed(r, (uint32_t)seed);
    return 0;
}

uint32_t np_rs_next32(np_rs *r)
{
    return rng_mt_next(r->mt, &r->pos);
}

static uint64_t np_rs_next64(np_rs *r)
{
    uint64_t hi = np_rs_next32(r);
    return (hi << 32) | np_rs_next32(r);
}

double np_rs_random(np_rs *r)
{
    return rng_mt_double(r->mt, &r->pos);
}

double np_rs_standard_normal(np_rs *r)
{
    if (r->has_gauss) {
        r->has_gauss = 0;
        double v = r->gauss;
        r->gauss = 0.0;
        return v;
    }
    double x1, x2, r2;
    do {
        x1 = 2.0 * np_rs_random(r) - 1.0;
        x2 = 2.0 * np_rs_random(r) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    double f = sqrt(-2.0 * log(r2) / r2);
    r->gauss = f * x1;
    r->has_gauss = 1;
    return f * x2;
}

double np_rs_standard_exponential(np_rs *r)
{
    return -log(1.0 - np_rs_random(r)); /* U in [0,1), so the log is finite */
}

static double gamma_small_shape(np_rs *r, double shape)
{
    for (;;) {
        double u = np_rs_random(r);
        double v = np_rs_standard_exponential(r);
        if (u <= 1.0 - shape) {
            double x = pow(u, 1. / shape);
            if (x <= v)
                return x;
        } else {
            double y = -log((1 - u) / shape);
            double x = pow(1.0 - shape + shape * y, 1. / shape);
            if (x <= (v + y))
                return x;
        }
    }
}

static double gamma_marsaglia_tsang(np_rs *r, double shape)
{
    double b = shape - 1. / 3.;
    double c = 1. / sqrt(9 * b);
    for (;;) {
        double x, v;
        do {
            x = np_rs_standard_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        double u = np_rs_random(r);
        if (u < 1.0 - 0.0331 * (x * x) * (x * x))
            return b * v;
        if (log(u) < 0.5 * x * x + b * (1. - v + log(v)))
            return b * v;
    }
}

double np_rs_standard_gamma(np_rs *r, double shape)
{
    if (!(shape >= 0))
        return NAN; /* numpy raises for shape < 0 or NaN; a tiny negative shape would spin */
    if (shape == 1.0)
        return np_rs_standard_exponential(r);
    if (shape == 0.0)
        return 0.0;
    if (shape < 1.0)
        return gamma_small_shape(r, shape);
    return gamma_marsaglia_tsang(r, shape);
}

double np_rs_gamma(np_rs *r, double shape, double scale)
{
    return scale * np_rs_standard_gamma(r, shape);
}

/* Smallest 2^k - 1 >= v. */
void np_rs_randint(np_rs *r, int64_t low, int64_t high, size_t n, int64_t *out)
{
    if (high <= low) { /* numpy raises "low >= high"; callers validate first */
        for (size_t i = 0; i < n; i++)
            out[i] = low;
        return;
    }
    uint64_t rng = (uint64_t)high - 1u - (uint64_t)low;
    uint64_t off = (uint64_t)low, mask = rng_mask_for(rng);
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        if (rng == 0) {
            v = 0;
        } else if (rng == UINT32_MAX) {
            v = np_rs_next32(r);
        } else if (rng < UINT32_MAX) {
            while ((v = (np_rs_next32(r) & mask)) > rng)
                ;
        } else if (rng == UINT64_MAX) {
            v = np_rs_next64(r);
        } else {
            while ((v = (np_rs_next64(r) & mask)) > rng)
                ;
        }
        out[i] = (int64_t)(off + v);
    }
}

uint64_t np_rs_interval(np_rs *r, uint64_t max)
{
    if (max == 0)
        return 0;
    uint64_t mask = rng_mask_for(max), v;
    if (max <= UINT32_MAX) {
        while ((v = (np_rs_next32(r) & mask)) > max)
            ;
    } else {
        while ((v = (np_rs_next64(r) & mask)) > max)
            ;
    }
    return v;
}

static uint64_t rs_interval(void *r, uint64_t max)
{
    return np_rs_interval(r, max);
}

void np_rs_permutation(np_rs *r, size_t n, int64_t *out)
{
    rng_permutation(r, rs_interval, n, out);
}

void np_rs_choice(np_rs *r, size_t pop, size_t k, int replace, int64_t *out)
{
    if (pop == 0)
        return;
    if (replace) { /* legacy choice: randint(0, pop, size=k) */
        np_rs_randint(r, 0, (int64_t)pop, k, out);
        return;
    }
    /* legacy choice without replacement: permutation(pop)[:k] */
    int64_t *perm = sb_xmalloc(pop * sizeof *perm);
    np_rs_permutation(r, pop, perm);
    memcpy(out, perm, (k < pop ? k : pop) * sizeof *out);
    free(perm);
}
