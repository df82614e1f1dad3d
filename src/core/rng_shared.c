/* SPDX-License-Identifier: Apache-2.0 */
/* rng_shared.c - see rng_shared.h. */
#include "core/rng_shared.h"

uint64_t rng_mask_for(uint64_t v)
{
    v |= v >> 1;
    v |= v >> 2;
    v |= v >> 4;
    v |= v >> 8;
    v |= v >> 16;
    v |= v >> 32;
    return v;
}

void rng_permutation(void *state, rng_interval_fn interval, size_t n, int64_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (int64_t)i;
    for (size_t i = n > 0 ? n - 1 : 0; i >= 1; i--) {
        size_t j = (size_t)interval(state, i);
        int64_t t = out[i];
        out[i] = out[j];
        out[j] = t;
    }
}
