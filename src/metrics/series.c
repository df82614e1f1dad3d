/* SPDX-License-Identifier: Apache-2.0 */
/* series.c - the 1 s bucket series behind "Peak output token throughput" and
 * "Peak concurrent requests" (vllm/benchmarks/serve.py: calculate_metrics), plus our exact peak.
 *
 * The reference's rules are reproduced as they are, including their known
 * flaws, so numbers agree on the same event log: buckets start at the
 * earliest successful start; a request's token times are start+ttft then the
 * running sum of its ITL gaps, one per token *message* (issue #37666); a
 * request adds 1 to every bucket from its start's to its end's inclusive
 * (overcounting, issue #56653). Integer nanoseconds make int(t - m) exact. */
#include "metrics/series.h"

#include <stdlib.h>

#include "core/buf.h"
#include "core/clock.h"

typedef struct sweep_ev {
    uint64_t t;
    int delta; /* -1 end, +1 start: ends sort first at equal times */
} sweep_ev;

static int cmp_ev(const void *a, const void *b)
{
    const sweep_ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->delta - y->delta;
}

/* Peak of concurrently open [start, start+latency) intervals (ours). */
static long exact_peak(const rec_store *s, size_t n_ok)
{
    sweep_ev *ev = sb_xmalloc((2 * n_ok + 1) * sizeof *ev);
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const sb_record *r = &s->recs[i];
        if (!r->success)
            continue;
        ev[n++] = (sweep_ev){r->start_ns, +1};
        ev[n++] = (sweep_ev){r->start_ns + r->latency_ns, -1};
    }
    qsort(ev, n, sizeof *ev, cmp_ev);
    long cur = 0, peak = 0;
    for (size_t i = 0; i < n; i++) {
        cur += ev[i].delta;
        peak = cur > peak ? cur : peak;
    }
    free(ev);
    return peak;
}

/* Token message times of request i into 1 s buckets. This loop sees every
 * token message of the run, so the bucket index is advanced by comparison
 * instead of a division per message, and messages are counted in a register
 * and stored once per bucket change (an in-memory += per message would chain
 * every iteration on the previous store). */
void series_add_tokens(const rec_store *s, size_t i, series_tok *st)
{
    const sb_record *r = &s->recs[i];
    double *tok = st->tok;
    size_t nb = st->nb;
    uint64_t rel = r->start_ns + r->ttft_ns - st->m0;
    size_t b = (size_t)(rel / SB_NS_PER_S);
    uint64_t next = (uint64_t)(b + 1) * SB_NS_PER_S;
    uint64_t run = 1;
    for (uint32_t j = 0; j < r->n_itl; j++) {
        uint32_t g = r->itl[j];
        rel += g == UINT32_MAX ? rec_store_itl_ns(s, i, j) : g;
        if (rel >= next) {
            if (b < nb)
                tok[b] += (double)run;
            run = 0;
            b = (size_t)(rel / SB_NS_PER_S);
            next = (uint64_t)(b + 1) * SB_NS_PER_S;
        }
        run++;
    }
    if (b < nb)
        tok[b] += (double)run;
}

void series_begin(const rec_store *s, series_tok *t)
{
    uint64_t m0 = UINT64_MAX, end = 0;
    size_t n_ok = 0;
    for (size_t i = 0; i < s->n; i++) {
        const sb_record *r = &s->recs[i];
        if (!r->success)
            continue;
        n_ok++;
        m0 = r->start_ns < m0 ? r->start_ns : m0;
        end = r->start_ns + r->latency_ns > end ? r->start_ns + r->latency_ns : end;
    }
    *t = (series_tok){.n_ok = n_ok};
    if (n_ok == 0)
        return;
    t->m0 = m0;
    /* D = int(ceil(max_end - m)) + 1 */
    t->nb = (size_t)((end - m0 + SB_NS_PER_S - 1) / SB_NS_PER_S) + 1;
    t->tok = sb_xcalloc(t->nb, sizeof *t->tok);
}

void series_finish(const rec_store *s, series_tok *t, sb_metrics *m)
{
    if (t->n_ok == 0)
        return;
    size_t nb = t->nb;
    uint64_t m0 = t->m0;
    double *tok = t->tok;
    long *conc = sb_xcalloc(nb + 1, sizeof *conc);
    for (size_t i = 0; i < s->n; i++) {
        const sb_record *r = &s->recs[i];
        if (!r->success)
            continue;
        conc[(r->start_ns - m0) / SB_NS_PER_S]++;
        conc[(r->start_ns + r->latency_ns - m0) / SB_NS_PER_S + 1]--;
    }
    long cur = 0;
    for (size_t b = 0; b < nb; b++) {
        cur += conc[b];
        conc[b] = cur;
        m->max_output_tokens_per_s =
            tok[b] > m->max_output_tokens_per_s ? tok[b] : m->max_output_tokens_per_s;
        m->max_concurrent_requests =
            cur > m->max_concurrent_requests ? cur : m->max_concurrent_requests;
    }
    m->tokens_per_s = tok;
    m->concurrent_per_s = conc;
    m->n_buckets = nb;
    t->tok = NULL;
    m->ext.max_concurrent_exact = exact_peak(s, t->n_ok);
}
