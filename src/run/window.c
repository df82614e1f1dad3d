/* SPDX-License-Identifier: Apache-2.0 */
/* window.c - trims a run to its steady state (see window.h).
 *
 * Works on the finished store, after the run and before the metrics: the
 * excluded records are freed and the kept ones moved down in dataset order,
 * so record.c's invariants (one record per request the metrics see, gaps
 * reachable through rec_store_itl_ns) still hold. */
#include "run/window.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

bool run_window_active(const run_window_opts *o)
{
    return o && (o->warmup_s > 0 || o->cooldown_s > 0 || o->warmup_requests > 0 ||
                 o->cooldown_requests > 0);
}

static uint64_t finish_ns(const sb_record *r)
{
    return r->start_ns + r->latency_ns;
}

typedef struct key_idx {
    uint64_t key;
    size_t i;
} key_idx;

static int cmp_key(const void *a, const void *b)
{
    const key_idx *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Marks in drop[] the first n of the kept requests ordered by key (start or
 * finish), from the front (head) or the back (tail). Returns how many it
 * marked. */
static long trim_by_count(const rec_store *s, bool *drop, long n, bool by_finish, key_idx *tmp)
{
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!drop[i])
            tmp[m++] = (key_idx){by_finish ? finish_ns(&s->recs[i]) : s->recs[i].start_ns, i};
    qsort(tmp, m, sizeof *tmp, cmp_key);
    long k = 0;
    for (size_t j = 0; j < m && k < n; j++, k++)
        drop[tmp[by_finish ? m - 1 - j : j].i] = true;
    return k;
}

static void free_record(sb_record *r)
{
    free(r->itl);
    free(r->itl_tokens);
    free(r->error);
    free(r->text);
}

int run_window_apply(rec_store *s, const run_window_opts *o, run_window_info *info, sb_err *err)
{
    memset(info, 0, sizeof *info);
    uint64_t end = s->bench_end_ns > s->bench_start_ns ? s->bench_end_ns - s->bench_start_ns : 0;
    uint64_t w0 = o->warmup_s > 0 ? (uint64_t)(o->warmup_s * 1e9) : 0;
    uint64_t cool = o->cooldown_s > 0 ? (uint64_t)(o->cooldown_s * 1e9) : 0;
    uint64_t w1 = cool < end ? end - cool : 0;
    if (w0 >= w1)
        return sb_err_set(err,
                          "the steady-state window is empty: the run lasted %.3f s, "
                          "--warmup-sec %g + --cooldown-sec %g leave nothing",
                          (double)end / 1e9, o->warmup_s, o->cooldown_s);
    bool *drop = sb_xcalloc(s->n ? s->n : 1, sizeof *drop);
    key_idx *tmp = sb_xcalloc(s->n ? s->n : 1, sizeof *tmp);
    long head = 0, tail = 0;
    for (size_t i = 0; i < s->n; i++) {
        const sb_record *r = &s->recs[i];
        if (!r->done) {
            drop[i] = true; /* never sent (Ctrl-C): not part of either end */
        } else if (r->start_ns < w0) {
            drop[i] = true;
            head++;
        } else if (finish_ns(r) > w1) {
            drop[i] = true;
            tail++;
        }
    }
    if (o->warmup_requests > 0)
        head += trim_by_count(s, drop, o->warmup_requests, false, tmp);
    if (o->cooldown_requests > 0)
        tail += trim_by_count(s, drop, o->cooldown_requests, true, tmp);
    free(tmp);
    size_t kept = 0;
    uint64_t first = UINT64_MAX, last = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!drop[i]) {
            kept++;
            first = s->recs[i].start_ns < first ? s->recs[i].start_ns : first;
            last = finish_ns(&s->recs[i]) > last ? finish_ns(&s->recs[i]) : last;
        }
    if (kept == 0) {
        free(drop);
        return sb_err_set(err,
                          "the steady-state window holds no request (%ld excluded at the "
                          "start, %ld at the end): use a shorter warm-up/cool-down or more "
                          "prompts",
                          head, tail);
    }
    if (o->warmup_requests > 0 || o->cooldown_requests > 0) {
        w0 = first;
        w1 = last > w0 ? last : w0 + 1;
    }
    /* Remap the overflow table to the new indices, dropping gaps of freed records. */
    size_t *newidx = sb_xcalloc(s->n ? s->n : 1, sizeof *newidx);
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (drop[i]) {
            free_record(&s->recs[i]);
            continue;
        }
        newidx[i] = k;
        sb_record r = s->recs[i];
        r.start_ns -= w0;
        r.intended_ns = r.intended_ns > w0 ? r.intended_ns - w0 : 0;
        r.queued_ns = r.queued_ns > w0 ? r.queued_ns - w0 : 0;
        s->recs[k++] = r;
    }
    size_t no = 0;
    for (size_t j = 0; j < s->n_overflow; j++)
        if (!drop[s->overflow[j].req]) {
            s->overflow[no] = s->overflow[j];
            s->overflow[no++].req = newidx[s->overflow[j].req];
        }
    s->n_overflow = no;
    s->n = k;
    uint64_t start = s->bench_start_ns;
    s->bench_start_ns = start + w0;
    s->bench_end_ns = start + w1;
    free(newidx);
    free(drop);
    info->counted = (long)k;
    info->excluded_head = head;
    info->excluded_tail = tail;
    info->duration_s = (double)(w1 - w0) / 1e9;
    return 0;
}
