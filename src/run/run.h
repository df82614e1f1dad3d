/* SPDX-License-Identifier: Apache-2.0 */
/* run.h - one `servebench serve` benchmark, start to finish.
 *
 * Loads the tokenizer and dataset, optionally starts the in-process simulator
 * (--sim), runs the ready check and warm-ups, sends the schedule through the
 * engine, then computes metrics and prints/saves the report. */
#ifndef SB_RUN_H
#define SB_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "config/config.h"
#include "dataset/dataset.h"
#include "metrics/metrics.h"
#include "metrics/record.h"
#include "report/report.h"

/* Runs the benchmark described by cfg. Prints progress and the result block
 * to stdout, messages to stderr. Returns a process exit status
 * (core/exit.h). */
int run_serve(sb_config *cfg);

/* The backend's options from cfg (the sampling flags, --logprobs,
 * --extra-body), written into out, which is returned; out points into cfg. */
const bk_opts *run_bk_opts(const sb_config *cfg, bk_opts *out);
/* The metrics' options from cfg, the same way. */
const metrics_opts *run_metrics_opts(const sb_config *cfg, metrics_opts *out);
/* The report's options from cfg, the same way (the one place report/ learns
 * the configuration). */
const report_opts *run_report_opts(const sb_config *cfg, report_opts *out);

/* One run driven by a caller that runs many (sweep): the tokenizer is kept
 * across runs, the caller may skip a run once its workload is known, and the
 * outcome comes back as values, not only as printed text. Zero-initialise,
 * then set the inputs. */
struct run_records;
typedef struct run_point {
    /* in/out: a loaded tokenizer to use (not freed by the run). When NULL and
     * the run loads one, it is handed back here (the caller frees it with
     * tok_free) together with tok_spec (malloc'd, what it was loaded from). */
    struct tok *tk;
    char *tok_spec;
    /* Called once the workload fingerprint is known, before the ready check;
     * returning true skips the run (status SB_EXIT_OK, skipped set). */
    bool (*skip)(void *ud, const char *fingerprint);
    void *ud;
    /* Steady-state window: requests that started in the first warmup_s
     * seconds or finished in the last cooldown_s seconds, and the first
     * warmup_requests started / last cooldown_requests finished, are left out
     * of the metrics (see run_window in window.c). All 0: everything counts. */
    double warmup_s, cooldown_s;
    long warmup_requests, cooldown_requests;
    /* --multi-turn sessions (run/session.h sess_opts): turns sent in all,
     * dataset messages per conversation, keep the replies; 0/false: none. */
    long sess_max_requests, sess_max_messages;
    bool sess_keep_replies, sess_pick_random, sess_send_conversation_id;
    uint32_t sess_max_user_turns;
    const struct sess_first_reply *sess_first_replies;
    /* Called once the metrics are computed and the block printed, with what
     * the run measured (`servebench multi-turn` prints upstream's figures). */
    void (*on_records)(void *ud, const struct run_records *v);
    /* out */
    char fingerprint[65];
    bool skipped, interrupted, measured;        /* measured: metrics were computed */
    long counted, excluded_head, excluded_tail; /* with a window */
    double window_s;
    uint64_t timed_start_ns, timed_end_ns; /* monotonic; 0 when not reached */
    char *result_path;                     /* malloc'd when a result was saved */
} run_point;

/* What a run measured, for run_point.on_records; valid during the call. */
struct sess_set;
typedef struct run_records {
    const rec_store *rs;
    const sb_metrics *m;
    const struct sess_set *sess; /* --multi-turn, else NULL */
    const sb_dataset *ds;
} run_records;

/* run_serve with a run_point (NULL: exactly run_serve). Returns the exit
 * status run_serve would. */
int run_serve_point(sb_config *cfg, run_point *p);

#endif
