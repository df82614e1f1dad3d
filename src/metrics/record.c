/* SPDX-License-Identifier: Apache-2.0 */
/* record.c - the per-request measurement store (see record.h). */
#include "metrics/record.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "metrics/krx.h"
#include "metrics/record_spill.h"

static const char *const fail_names[SB_FAIL_COUNT_] = {
    [SB_FAIL_NONE] = "none",
    [SB_FAIL_CONNECT] = "connect",
    [SB_FAIL_RESET] = "reset",
    [SB_FAIL_TIMEOUT] = "timeout",
    [SB_FAIL_HTTP_STATUS] = "http_status",
    [SB_FAIL_MALFORMED] = "malformed_stream",
    [SB_FAIL_EARLY_END] = "early_end",
    [SB_FAIL_NO_TOKEN] = "no_token",
    [SB_FAIL_CANCELLED] = "cancelled",
    [SB_FAIL_OTHER] = "other",
};

const char *sb_fail_name(sb_fail f)
{
    return (f >= 0 && f < SB_FAIL_COUNT_) ? fail_names[f] : "other";
}

int rec_store_fits(size_t n, sb_err *err)
{
    size_t per = sizeof(sb_record) > REC_MIN_BYTES_PER_REQUEST ? sizeof(sb_record)
                                                               : REC_MIN_BYTES_PER_REQUEST;
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    double phys = pages > 0 && psz > 0 ? (double)pages * (double)psz : 0;
    double need = (double)n * (double)per;
    if (n > SIZE_MAX / per || (phys > 0 && need > phys / 2))
        return sb_err_set(err,
                          "%zu requests need at least %.1f GiB for their records alone (%zu "
                          "bytes each), more than half of this machine's memory (%.1f GiB)",
                          n, need / (1u << 30), per, phys / (1u << 30));
    return 0;
}

rec_store *rec_store_new(size_t n)
{
    rec_store *s = sb_xcalloc(1, sizeof *s);
    s->recs = sb_xcalloc(n ? n : 1, sizeof *s->recs);
    s->n = n;
    return s;
}

void rec_store_free(rec_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->recs[i].itl);
        free(s->recs[i].itl_tokens);
        free(s->recs[i].error);
        free(s->recs[i].text);
    }
    free(s->recs);
    free(s->overflow);
    rec_store_spill_free(s);
    krx_free(s->krx);
    free(s);
}

void rec_store_keep(rec_store *s, const unsigned char *keep)
{
    size_t n = s->n;
    size_t *to = sb_xmalloc((n ? n : 1) * sizeof *to);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        to[i] = k;
        if (keep[i]) {
            s->recs[k++] = s->recs[i];
        } else {
            free(s->recs[i].itl);
            free(s->recs[i].itl_tokens);
            free(s->recs[i].error);
            free(s->recs[i].text);
        }
    }
    size_t m = 0;
    for (size_t j = 0; j < s->n_overflow; j++)
        if (s->overflow[j].req < n && keep[s->overflow[j].req]) {
            s->overflow[m] = s->overflow[j];
            s->overflow[m++].req = to[s->overflow[j].req];
        }
    s->n_overflow = m;
    memset(s->recs + k, 0, (n - k) * sizeof *s->recs);
    s->n = k;
    if (s->krx)
        krx_keep(s->krx, keep, n);
    free(to);
}

void rec_store_begin(rec_store *s, size_t i, uint32_t expected_tokens)
{
    sb_record *r = &s->recs[i];
    uint32_t cap = expected_tokens > 1 ? expected_tokens - 1 : 1;
    if (r->cap_itl < cap) {
        r->itl = sb_xrealloc(r->itl, (size_t)cap * sizeof *r->itl);
        r->cap_itl = cap;
    }
    r->n_itl = 0;
}

void rec_store_push_itl(rec_store *s, size_t i, uint64_t gap_ns)
{
    sb_record *r = &s->recs[i];
    if (r->n_itl == r->cap_itl) {
        r->cap_itl = r->cap_itl ? r->cap_itl * 2 : 16;
        r->itl = sb_xrealloc(r->itl, (size_t)r->cap_itl * sizeof *r->itl);
    }
    if (gap_ns >= UINT32_MAX) {
        if (s->lock)
            pthread_mutex_lock(s->lock);
        if (s->n_overflow == s->cap_overflow) {
            s->cap_overflow = s->cap_overflow ? s->cap_overflow * 2 : 8;
            s->overflow = sb_xrealloc(s->overflow, s->cap_overflow * sizeof *s->overflow);
        }
        s->overflow[s->n_overflow++] = (struct rec_overflow){i, r->n_itl, gap_ns};
        if (s->lock)
            pthread_mutex_unlock(s->lock);
        gap_ns = UINT32_MAX;
    }
    r->itl[r->n_itl++] = (uint32_t)gap_ns;
}

void rec_store_trim(rec_store *s, size_t i)
{
    sb_record *r = &s->recs[i];
    if (r->cap_itl == r->n_itl)
        return;
    if (r->n_itl == 0) {
        free(r->itl);
        free(r->itl_tokens);
        r->itl = NULL;
        r->itl_tokens = NULL;
    } else {
        r->itl = sb_xrealloc(r->itl, (size_t)r->n_itl * sizeof *r->itl);
        if (r->itl_tokens)
            r->itl_tokens = sb_xrealloc(r->itl_tokens, (size_t)r->n_itl * sizeof *r->itl_tokens);
    }
    r->cap_itl = r->n_itl;
}

uint64_t rec_store_itl_ns(const rec_store *s, size_t i, uint32_t j)
{
    uint32_t v = s->recs[i].itl[j];
    if (v != UINT32_MAX)
        return v;
    for (size_t k = 0; k < s->n_overflow; k++)
        if (s->overflow[k].req == i && s->overflow[k].j == j)
            return s->overflow[k].ns;
    return v;
}

void rec_store_fail(rec_store *s, size_t i, sb_fail why, const char *fmt, ...)
{
    sb_record *r = &s->recs[i];
    sb_buf b;
    sb_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    sb_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    free(r->error);
    r->error = sb_buf_steal(&b);
    r->fail = why;
    r->success = false;
    r->done = true;
}
