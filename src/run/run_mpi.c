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

int run_shard_start(run_shard *sh, uint64_t *start_ns, sb_err *err)
{
    return mpir_sync_start(sh->lead_s, 20, start_ns, &sh->clk, err);
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
    mpir_health_lag(&h, *rs);
    sb_buf pack;
    sb_buf_init(&pack);
    mpir_pack(&pack, &h, *rs, sh->rank, sh->size);
    char *all = NULL;
    size_t *lens = NULL;
    bool *lost = NULL;
    int rc = mpir_gather(pack.data, pack.len, sh->gather_timeout_s, &all, &lens, &lost, err);
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
    free(sh->gidx);
    free(sh->reqs);
    free(sh->offset_ns);
    free(sh->health);
    sb_buf_free(&sh->text);
    sb_buf_free(&sh->json);
}
