/* SPDX-License-Identifier: Apache-2.0 */
/* run_mpi.c - sharding, start and merge of a multi-rank serve run (run_mpi.h). */
#include "run/run_mpi.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void run_shard_take(run_shard *sh, const loop_req *reqs, const uint64_t *offset_ns, size_t n)
{
    sh->n = mpir_shard_len(n, sh->rank, sh->size);
    size_t cap = sh->n ? sh->n : 1;
    sh->gidx = sb_xcalloc(cap, sizeof *sh->gidx);
    sh->reqs = sb_xcalloc(cap, sizeof *sh->reqs);
    sh->offset_ns = sb_xcalloc(cap, sizeof *sh->offset_ns);
    for (size_t j = 0; j < sh->n; j++) {
        size_t g = (size_t)sh->rank + j * (size_t)sh->size;
        sh->gidx[j] = g;
        sh->reqs[j] = reqs[g];
        sh->offset_ns[j] = offset_ns ? offset_ns[g] : 0; /* the single-process time, unchanged */
    }
}

bool run_shard_agree(const run_shard *sh, bool ok)
{
    return sh->on ? mpir_agree(ok) : ok;
}

/* After an interrupt, mpirun sends SIGKILL kill_after_s after its SIGTERM
 * (and twice that after its SIGCONT, the stop when it comes first): half of
 * kill_after_s (at most 10 s) is kept for the last live rounds and the
 * gather, a quarter each, and the merge and the result files have the rest;
 * the grace time gets the other half. */
static double reserve_s(const run_shard *sh)
{
    double r = sh->kill_after_s / 2;
    return r < 10 ? r : 10;
}

double run_shard_grace(const run_shard *sh, double grace_s)
{
    if (!sh->on)
        return grace_s;
    double cap = sh->kill_after_s - reserve_s(sh);
    cap = cap > 0 ? cap : 0;
    return grace_s < cap ? grace_s : cap;
}

static mpir_wait waits(const run_shard *sh)
{
    return (mpir_wait){sh->gather_timeout_s, sh->stop, reserve_s(sh) / 2};
}

/* TTFT in microseconds, 64 buckets per power of two (within 0.78%), up to
 * 2^32 us (71 minutes): 1729 counters, 14 KB a round. */
enum { LIVE_SUB_BITS = 6, LIVE_MAX_BITS = 32, LIVE_FIXED = 3 };

int run_shard_start(run_shard *sh, uint64_t *start_ns, sb_err *err)
{
    if (sh->live_on) { /* before the start instant is chosen: it costs no lead time */
        if (hist_init(&sh->ttft_us, LIVE_SUB_BITS, LIVE_MAX_BITS, err) != 0)
            return -1;
        sh->words = LIVE_FIXED + hist_counts_len(&sh->ttft_us);
        sh->mine = sb_xcalloc(sh->words, sizeof *sh->mine);
        sh->snap = sb_xcalloc(sh->words, sizeof *sh->snap);
        sh->sum = sb_xcalloc(sh->words, sizeof *sh->sum);
        sh->view = (run_live){.ttft_p50_ms = NAN, .ttft_p99_ms = NAN};
        if (!(sh->live = mpir_live_open(sh->words, err)))
            return -1;
    }
    return mpir_sync_start(sh->lead_s, 20, start_ns, &sh->clk, err);
}

void run_shard_on_done(void *ud, const sb_record *r)
{
    run_shard *sh = ud;
    if (!sh->mine)
        return;
    /* event-loop threads (--num-workers) add at once; the main thread reads */
    if (r->success) {
        __atomic_add_fetch(&sh->mine[0], 1, __ATOMIC_RELAXED);
        if (r->output_tokens > 0)
            __atomic_add_fetch(&sh->mine[2], (uint64_t)r->output_tokens, __ATOMIC_RELAXED);
        size_t b = hist_index(&sh->ttft_us, r->ttft_ns / 1000);
        __atomic_add_fetch(&sh->mine[LIVE_FIXED + b], 1, __ATOMIC_RELAXED);
    } else {
        __atomic_add_fetch(&sh->mine[1], 1, __ATOMIC_RELAXED);
    }
}

static void snapshot(run_shard *sh)
{
    for (size_t i = 0; i < sh->words; i++)
        sh->snap[i] = __atomic_load_n(&sh->mine[i], __ATOMIC_RELAXED);
}

static void view_of_sum(run_shard *sh)
{
    run_live *v = &sh->view;
    v->succeeded = sh->sum[0];
    v->failed = sh->sum[1];
    v->finished = v->succeeded + v->failed;
    v->output_tokens = sh->sum[2];
    memcpy(sh->ttft_us.counts, sh->sum + LIVE_FIXED,
           hist_counts_len(&sh->ttft_us) * sizeof *sh->ttft_us.counts);
    v->ttft_p50_ms = v->ttft_p99_ms = NAN;
    if (v->succeeded) {
        v->ttft_p50_ms = (double)hist_quantile(&sh->ttft_us, 0.50) / 1e3;
        v->ttft_p99_ms = (double)hist_quantile(&sh->ttft_us, 0.99) / 1e3;
    }
}

bool run_shard_live(run_shard *sh)
{
    if (!sh->live)
        return false;
    snapshot(sh);
    if (mpir_live_step(sh->live, sh->snap, sh->sum) != 1)
        return false;
    view_of_sum(sh);
    return true;
}

void run_shard_live_end(run_shard *sh)
{
    if (!sh->live)
        return;
    snapshot(sh);
    mpir_wait w = waits(sh);
    int rc = mpir_live_close(sh->live, sh->snap, sh->sum, &w);
    sh->live = NULL;
    if (rc == 0)
        view_of_sum(sh);
}

int run_shard_merge(run_shard *sh, rec_store **rs, loop_stats *st, double *cpu_pct, size_t n_global,
                    sb_err *err)
{
    mpir_health h;
    memset(&h, 0, sizeof h);
    h.rank = sh->rank;
    if (gethostname(h.host, sizeof h.host - 1) != 0)
        strcpy(h.host, "?");
    h.planned = sh->n;
    h.max_concurrency = sh->max_conc;
    h.sent = st->sent;
    h.finished = st->finished;
    h.cancelled = st->cancelled;
    h.cpu_pct = *cpu_pct;
    h.end_rel_ns = (*rs)->bench_end_ns - (*rs)->bench_start_ns;
    h.offset_ns = sh->clk.offset_ns;
    h.uncertainty_ns = sh->clk.uncertainty_ns;
    h.rtt_ns = sh->clk.rtt_ns;
    h.init_s = sh->clk.init_s;
    h.sync_s = sh->clk.sync_s;
    h.interrupted = st->interrupted;
    for (size_t j = 0; j < (*rs)->n; j++) {
        const sb_record *r = &(*rs)->recs[j];
        h.succeeded += r->done && r->success;
        h.failed += r->done && !r->success;
    }
    mpir_health_lag(&h, *rs);
    sb_buf pack;
    sb_buf_init(&pack);
    mpir_pack(&pack, &h, *rs, sh->rank, sh->size);
    char *all = NULL;
    size_t *lens = NULL;
    bool *lost = NULL;
    mpir_wait w = waits(sh);
    int rc = mpir_gather(pack.data, pack.len, &w, &all, &lens, &lost, err);
    free(lost); /* a lost rank's len is 0: mpir_merge marks it */
    sb_buf_free(&pack);
    if (rc != 0 || sh->rank != 0)
        return rc;
    sh->health = sb_xcalloc((size_t)sh->size, sizeof *sh->health);
    rec_store *m = mpir_merge(all, lens, sh->size, n_global, sh->health, err);
    free(all);
    free(lens);
    if (!m)
        return -1;
    /* Every rank started at the same rank-0 instant: relative times line up. */
    m->bench_start_ns = (*rs)->bench_start_ns;
    uint64_t end = 0;
    memset(st, 0, sizeof *st);
    double cpu = NAN;
    for (int k = 0; k < sh->size; k++) {
        const mpir_health *x = &sh->health[k];
        end = x->end_rel_ns > end ? x->end_rel_ns : end;
        st->sent += x->sent;
        st->finished += x->finished;
        st->cancelled += x->cancelled;
        st->interrupted = st->interrupted || x->interrupted || x->lost;
        if (!isnan(x->cpu_pct) && (isnan(cpu) || x->cpu_pct > cpu))
            cpu = x->cpu_pct;
    }
    m->bench_end_ns = m->bench_start_ns + end;
    *cpu_pct = cpu;
    rec_store_free(*rs);
    *rs = m;
    bool limited;
    mpir_health_text(&sh->text, sh->health, sh->size, &limited);
    mpir_health_json(&sh->json, sh->health, sh->size, sh->lead_s);
    return 0;
}

void run_shard_free(run_shard *sh)
{
    if (sh->live) { /* left open by a failed run: the others cannot be waited for */
        mpir_wait now = {0, NULL, 0};
        (void)mpir_live_close(sh->live, sh->snap, sh->sum, &now);
    }
    hist_free(&sh->ttft_us);
    free(sh->mine);
    free(sh->snap);
    free(sh->sum);
    free(sh->gidx);
    free(sh->reqs);
    free(sh->offset_ns);
    free(sh->health);
    sb_buf_free(&sh->text);
    sb_buf_free(&sh->json);
}
