/* SPDX-License-Identifier: Apache-2.0 */
/* mpir.h - one benchmark run across the ranks of an MPI job (docs/scale-out.md).
 *
 * Every rank builds the same dataset and schedule from the same seed and
 * sends the requests i with i % N == rank at the single-process schedule's
 * own intended times, so the union of the ranks' sends is that schedule.
 * --max-concurrency C is global: rank r gets C / N, plus one for the
 * C % N lowest ranks. Ranks start together at an instant rank 0 picks and
 * broadcasts, converted through each rank's clock offset to rank 0
 * (NTP-style ping-pong, minimum-RTT sample); the records come back to
 * rank 0 packed in one byte stream per rank and are merged in request order.
 *
 * Two parts: mpir_shard.c (packing, merging, the offset estimate, health
 * text; no MPI calls, always built, unit-tested) and mpir_comm.c (every MPI
 * call; without MPI at build time it says so for each entry point). */
#ifndef SB_MPIR_H
#define SB_MPIR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "metrics/record.h"

/* ---- process level (mpir_comm.c) ---- */

/* true when this binary was built with MPI. */
bool mpir_built(void);
/* The environment of an MPI launcher (mpirun / srun), or NULL. Returns the
 * variable found, e.g. "OMPI_COMM_WORLD_SIZE=4", in a static buffer. */
const char *mpir_launcher(void);
/* Enters MPI mode when required (--mpi) or when started by a launcher.
 * Without MPI support built in, either case is an error that says so. On
 * ranks other than 0 stdout goes to /dev/null (rank 0 alone prints). */
int mpir_start(bool required, sb_err *err);
/* Leaves MPI mode (MPI_Finalize); nothing when not started. */
void mpir_stop(void);
/* true between mpir_start (when it entered MPI mode) and mpir_stop. */
bool mpir_active(void);
int mpir_rank(void);
int mpir_size(void);

/* Logical AND of ok over all ranks (every rank must call it). */
bool mpir_agree(bool ok);

/* Clock offset of this rank to rank 0: rank-0 clock minus this rank's
 * clock, from the ping-pong sample with the smallest round trip. The true
 * offset lies within offset_ns +- uncertainty_ns (half that round trip). */
typedef struct mpir_clock {
    int64_t offset_ns;
    uint64_t uncertainty_ns;
    uint64_t rtt_ns;
    int samples;
    double init_s; /* MPI_Init on this rank */
    double sync_s; /* offset estimation + start broadcast, without the lead */
} mpir_clock;

/* Offset estimation against rank 0 (samples round trips each), then rank 0
 * picks a start lead_s ahead and broadcasts it. *start_ns is that instant on
 * this rank's CLOCK_MONOTONIC (sb_now_ns). Test hook: SB_MPI_TEST_CLOCK_SHIFT
 * ="RANK:NS" adds NS to that rank's clock readings, an injected offset the
 * estimate must find. */
int mpir_sync_start(double lead_s, int samples, uint64_t *start_ns, mpir_clock *clk, sb_err *err);

/* How long rank 0 waits for the other ranks at the end of a run. */
typedef struct mpir_wait {
    double timeout_s;                  /* --mpi-gather-timeout */
    const volatile sig_atomic_t *stop; /* the interrupt flag, or NULL */
    /* Once *stop is set, at most this long from then: after an interrupt,
     * mpirun kills the ranks soon (mpir_kill_after_s). */
    double stop_timeout_s;
} mpir_wait;

/* Gathers each rank's bytes to rank 0 point to point: *all (malloc'd) holds
 * them end to end, lens[r] (malloc'd, size ranks) their sizes, lost[r]
 * (malloc'd) set for a rank whose bytes had not arrived within w's time
 * after rank 0 got here (killed, hung): its len is 0. Rank 0 then tells each
 * other rank whether the job lost one, and after a loss mpir_stop skips
 * MPI_Finalize (it would wait for the dead rank forever). Non-root ranks get
 * NULLs. Not a collective: a dead rank cannot hang it (with `mpirun
 * --enable-recovery`; by default Open MPI ends the whole job when a rank
 * dies). */
int mpir_gather(const void *buf, size_t len, const mpir_wait *w, char **all, size_t **lens,
                bool **lost, sb_err *err);

/* Live aggregation during the run (rank 0's progress line): every rank
 * contributes a vector of `words` counters and every rank gets their sum,
 * through non-blocking MPI_Iallreduce rounds on a communicator of their own,
 * one round in flight at a time, so nothing waits in the send loop and no
 * sample travels. Open is a collective (all ranks, at the same point). */
typedef struct mpir_live mpir_live;
mpir_live *mpir_live_open(size_t words, sb_err *err);
/* Called now and then by each rank: when the round in flight has completed,
 * copies its sum into sum and returns 1 (then starts the next round with
 * mine); 0 while it is still under way; -1 once the aggregation broke (an
 * MPI error), after which it does nothing. */
int mpir_live_step(mpir_live *l, const uint64_t *mine, uint64_t *sum);
/* After this rank's last request: goes on with rounds (mine, flagged done)
 * until one in which every rank was done, so that all ranks ran the same
 * rounds, with the final sum in sum; returns 0, or -1 when w's time ran out
 * first (a rank is gone: then the communicator is left as it is and
 * mpir_stop skips MPI_Finalize). Frees l either way. */
int mpir_live_close(mpir_live *l, const uint64_t *mine, uint64_t *sum, const mpir_wait *w);

/* Rank 0's bytes in b to every rank (a collective): rank 0 sends b, the
 * others get it in b (replacing what it held). The others wait politely
 * (polling with naps, not Open MPI's busy wait): they may wait long while
 * rank 0 works alone (between the points of a sweep). */
int mpir_bcast(sb_buf *b, sb_err *err);

/* ---- pure helpers (mpir_shard.c) ---- */

/* Seconds from Open MPI's SIGTERM to the ranks (mpirun's answer to Ctrl-C
 * or SIGTERM: SIGCONT, then SIGTERM, then SIGKILL, each that long apart) to
 * its SIGKILL: odls_base_sigkill_timeout as mpirun passes it to the ranks
 * (OMPI_MCA_odls_base_sigkill_timeout), else Open MPI's default, 1. */
double mpir_kill_after_s(void);

/* This rank's share of a global --max-concurrency (total <= 0: unlimited,
 * returns total). */
long mpir_share(long total, int rank, int size);
/* Number of requests i < n with i % size == rank. */
size_t mpir_shard_len(size_t n, int rank, int size);

/* NTP-style estimate from n ping-pong samples: t1 sent (this clock), t2 rank
 * 0's stamp, t4 received (this clock); the minimum-RTT sample wins. */
void mpir_offset_estimate(const uint64_t *t1, const uint64_t *t2, const uint64_t *t4, int n,
                          mpir_clock *out);

/* One rank's client health, sent as bytes ahead of its records (all ranks
 * run the same binary). */
typedef struct mpir_health {
    int32_t rank;
    char host[64];
    uint64_t planned, sent, finished, cancelled;
    uint64_t succeeded, failed; /* of the records sent: successes, failures (cancelled included) */
    int64_t max_concurrency;    /* this rank's share; <= 0 unlimited */
    double cpu_pct;             /* process CPU over the timed run, % of one core; NAN unknown */
    double lag_p50_ms, lag_p99_ms, lag_max_ms; /* start - intended */
    uint64_t end_rel_ns;                       /* bench_end - bench_start */
    int64_t offset_ns;
    uint64_t uncertainty_ns, rtt_ns;
    uint8_t interrupted;
    uint8_t lost;          /* set on rank 0 for a rank whose records never came */
    double init_s, sync_s; /* start-up cost (mpir_clock) */
} mpir_health;

/* Fills the send-lag figures of h from the records of rs. */
void mpir_health_lag(mpir_health *h, const rec_store *rs);

/* Appends h and then the records of rs (its local request j is the global
 * request rank + j * size) to out. */
void mpir_pack(sb_buf *out, const mpir_health *h, const rec_store *rs, int rank, int size);

/* Merges packs[0..n) (one per rank, sizes lens) into a new store in request
 * order holding the requests that were sent, of n_global planned. health
 * (n entries) receives each rank's health; a rank with len 0 (lost) gets
 * health with lost set and its planned share, nothing else. */
rec_store *mpir_merge(const char *all, const size_t *lens, int n, size_t n_global,
                      mpir_health *health, sb_err *err);

/* Per-rank health for the additions section (text) and for the JSON under
 * "servebench": {"mpi": ...} (one object). limited: set when any rank's
 * client may have shaped the result (>= 90% CPU or p99 send lag > 10 ms). */
void mpir_health_text(sb_buf *out, const mpir_health *h, int n, bool *limited);
void mpir_health_json(sb_buf *out, const mpir_health *h, int n, double lead_s);

/* Test hook: with SB_MPI_SCHEDULE_DUMP=PATH set, writes "index offset_ns"
 * lines of this rank's shard to PATH.RANK. */
int mpir_dump_schedule(const uint64_t *offset_ns, size_t n, int rank, int size, sb_err *err);

#endif
