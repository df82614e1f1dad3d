/* SPDX-License-Identifier: Apache-2.0 */
/* rng_py.c - CPython's `random` module on top of MT19937 (rng_mt.c).
 *
 * Matches CPython 3.x (Modules/_randommodule.c and Lib/random.py, read for
 * behaviour only): random.seed(int) feeds |seed| as little-endian 32-bit
 * words to init_by_array (0 becomes the one-word key [0]); getrandbits(k)
 * keeps the top bits of each 32-bit draw, least significant word first;
 * _randbelow(n) draws n.bit_length() bits and rejects values >= n; shuffle
 * walks from the end; choices() without weights is floor(random() * n). Every
 * one of these details changes which requests a dataset picks, so none may
 * be "simplified". */
#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "core/rng_mt.h"

void py_random_seed(py_random *r, uint64_t seed)
{
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    size_t n = key[1] ? 2 : 1; /* as many words as the seed has bits; 0 -> [0] */
    rng_mt_seed_array(r->mt, &r->index, key, n);
}

double py_random_random(py_random *r)
{
    return rng_mt_double(r->mt, &r->index);
}

uint64_t py_random_getrandbits(py_random *r, int k)
{
    if (k <= 0)
        return 0; /* CPython 3.9+: getrandbits(0) == 0 without a draw */
    if (k > 64)
        k = 64;
    if (k <= 32)
        return rng_mt_next(r->mt, &r->index) >> (32 - k);
    uint64_t lo = rng_mt_next(r->mt, &r->index);
    uint64_t hi = rng_mt_next(r->mt, &r->index) >> (64 - k);
    return lo | (hi << 32);
}

static int bit_length(uint64_t n)
{
    return n ? 64 - __builtin_clzll(n) : 0;
}

uint64_t py_random_randbelow(py_random *r, uint64_t n)
{
    if (n == 0)
        return 0;
    /* n.bit_length(), not (n-1).bit_length(): CPython wastes a bit for powers of
     * two and the stream depends on it. */
    int k = bit_length(n);
    uint64_t v = py_random_getrandbits(r, k);
    while (v >= n)
        v = py_random_getrandbits(r, k);
    return v;
}

static void swap_bytes(unsigned char *a, unsigned char *b, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

void py_random_shuffle(py_random *r, void *items, size_t n, size_t elem_size)
{
    unsigned char *base = items;
    for (size_t i = n > 0 ? n - 1 : 0; i >= 1; i--) {
        size_t j = (size_t)py_random_randbelow(r, (uint64_t)i + 1);
        if (j != i)
            swap_bytes(base + i * elem_size, base + j * elem_size, elem_size);
    }
}

size_t py_random_choice(py_random *r, size_t n)
{
    return (size_t)py_random_randbelow(r, n);
}

void py_random_choices(py_random *r, size_t n, size_t k, size_t *out)
{
    double dn = (double)n;
    for (size_t i = 0; i < k; i++)
        out[i] = (size_t)floor(py_random_random(r) * dn);
}
