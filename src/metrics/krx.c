/* SPDX-License-Identifier: Apache-2.0 */
/* krx.c - kernel receive stamps of token messages (krx.h). Gap arrays grow
 * like the records' ITL arrays: reserved from the expected output length when
 * a request starts, so the per-message path does not allocate. */
#include "metrics/krx.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

krx_store *krx_new(size_t n)
{
    krx_store *k = sb_xcalloc(1, sizeof *k);
    k->reqs = sb_xcalloc(n ? n : 1, sizeof *k->reqs);
    k->n = n;
    return k;
}

void krx_free(krx_store *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++)
        free(k->reqs[i].itl);
    free(k->reqs);
    free(k);
}

void krx_begin(krx_store *k, size_t i, uint32_t expected_gaps)
{
    krx_req *q = &k->reqs[i];
    uint64_t *itl = q->itl;
    uint32_t cap = q->cap_itl;
    if (cap < expected_gaps) {
        itl = sb_xrealloc(itl, (size_t)expected_gaps * sizeof *itl);
        cap = expected_gaps;
    }
    *q = (krx_req){.itl = itl, .cap_itl = cap};
}

void krx_token(krx_store *k, size_t i, uint64_t start_ns, uint64_t k_ns, bool first)
{
    krx_req *q = &k->reqs[i];
    if (!k_ns || k_ns < start_ns || (q->prev_ns && k_ns < q->prev_ns)) {
        q->missing++;
        q->prev_ns = 0;
        return;
    }
    q->stamped++;
    if (first) {
        q->ttft_ns = k_ns - start_ns;
        q->has_ttft = true;
    } else if (q->prev_ns) {
        if (q->n_itl == q->cap_itl) {
            if (q->cap_itl > UINT32_MAX / 2)
                return; /* 2^31 gaps: beyond any stream; the count stays true */
            q->cap_itl = q->cap_itl ? 2 * q->cap_itl : 16;
            q->itl = sb_xrealloc(q->itl, (size_t)q->cap_itl * sizeof *q->itl);
        }
        q->itl[q->n_itl++] = k_ns - q->prev_ns;
    }
    q->prev_ns = k_ns;
}

void krx_trim(krx_store *k, size_t i)
{
    krx_req *q = &k->reqs[i];
    if (q->n_itl == q->cap_itl)
        return;
    if (!q->n_itl) {
        free(q->itl);
        q->itl = NULL;
    } else {
        q->itl = sb_xrealloc(q->itl, (size_t)q->n_itl * sizeof *q->itl);
    }
    q->cap_itl = q->n_itl;
}

void krx_keep(krx_store *k, const unsigned char *keep, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n && i < k->n; i++) {
        if (keep[i])
            k->reqs[m++] = k->reqs[i];
        else
            free(k->reqs[i].itl);
    }
    for (size_t i = n; i < k->n; i++) /* never kept: rec_store_keep drops them too */
        free(k->reqs[i].itl);
    memset(k->reqs + m, 0, (k->n - m) * sizeof *k->reqs);
    k->n = m;
}
