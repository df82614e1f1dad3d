/* SPDX-License-Identifier: Apache-2.0 */
/* run_mpi.h - the serve run's side of a multi-rank run (src/mpi/mpir.h):
 * this rank's shard of the requests before the timed loop, the synchronised
 * start, and the merge of every rank's records on rank 0 after it. */
#ifndef SB_RUN_MPI_H
#define SB_RUN_MPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "metrics/hist.h"
#include "metrics/record.h"
#include "mpi/mpir.h"
#include "run/loop.h"

/* The sum over the ranks of what they measured so far (rank 0's progress). */
typedef struct run_live {
    uint64_t finished, succeeded, failed, output_tokens;
    double ttft_p50_ms, ttft_p99_ms; /* NAN before the first success */
} run_live;

typedef struct run_shard {
    bool on; /* an MPI job (mpir_active) */
    int rank, size;
    double lead_s;           /* start this far after the offset estimation */
    double gather_timeout_s; /* --mpi-gather-timeout */
    long max_conc;           /* this rank's share of --max-concurrency (<= 0 unlimited) */
    mpir_clock clk;          /* this rank's offset to rank 0 */
    /* this rank's requests: local j is global gidx[j] */
    size_t n;
    size_t *gidx;
    loop_req *reqs;
    uint64_t *offset_ns;
    /* The interrupt flag; after it, mpirun kills the ranks kill_after_s
     * later (mpir_kill_after_s): the grace time and the waits fit in it. */
    const volatile sig_atomic_t *stop;
    double kill_after_s;
    /* Live aggregation (live_on: every rank, when progress is shown):
     * counters and a TTFT histogram filled by run_shard_on_done from the
     * event loops (atomically), summed over the ranks by mpir_live. */
    bool live_on;
    mpir_live *live;
    hist ttft_us;
    uint64_t *mine, *snap, *sum; /* [succeeded, failed, output tokens, TTFT counts...] */
    size_t words;
    run_live view;       /* the latest sum */
    mpir_health *health; /* rank 0 after the merge: one per rank */
    sb_buf text, json;   /* rank 0 after the merge: per-rank health */
} run_shard;

/* Takes the requests i % size == rank of reqs/offset_ns[0..n). */
void run_shard_take(run_shard *sh, const loop_req *reqs, const uint64_t *offset_ns, size_t n);
/* Logical AND of ok over the ranks (ok itself when not an MPI job). */
bool run_shard_agree(const run_shard *sh, bool ok);
/* --grace-sec under MPI: what fits before mpirun's SIGKILL, leaving time
 * for the merge and the result files. */
double run_shard_grace(const run_shard *sh, double grace_s);
/* Waits for the common start (and opens the live aggregation when live_on);
 * *start_ns: the instant on this rank's clock. */
int run_shard_start(run_shard *sh, uint64_t *start_ns, sb_err *err);
/* loop_opts.on_done: counts a finished request for the live sums. */
void run_shard_on_done(void *ud, const sb_record *r);
/* Advances the live aggregation; true when sh->view holds a new sum. */
bool run_shard_live(run_shard *sh);
/* After the timed loop: the last live rounds (every rank); sh->view then
 * holds the final sum. */
void run_shard_live_end(run_shard *sh);
/* Sends this rank's records and health to rank 0. On rank 0 *rs is replaced
 * by the merged store (request order, rank 0's timeline), st and *cpu_pct by
 * the totals (CPU: the busiest rank), and n_global is what was planned. */
int run_shard_merge(run_shard *sh, rec_store **rs, loop_stats *st, double *cpu_pct, size_t n_global,
                    sb_err *err);
void run_shard_free(run_shard *sh);

#endif
