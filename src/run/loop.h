/* SPDX-License-Identifier: Apache-2.0 */
/* loop.h - the timed send loop: schedule + concurrency limit + engine +
 * stream decoders, filling one record per request.
 *
 * Requests become due at the scheduler's deadlines (sched_deadline_ns:
 * bench_start + the plan's offset, absolute: no drift); due requests wait in a FIFO while
 * --max-concurrency transfers are in flight (the reference's semaphore, vllm/benchmarks/serve.py:
 * benchmark). Per request the loop records queued_ns (noticed due) and start_ns (handed to curl,
 * which connects and writes it at once), both relative to rs->bench_start_ns (absolute
 * CLOCK_MONOTONIC, the simulator's clock); ttft/latency/itl are durations from start_ns. Before t0
 * the host is resolved once and the slots of the first wave are created (docs/engine.md
 * "Burst-exact sending"). In-flight state lives in reusable slots (easy
 * handle, decoder, header node), so a request costs no allocation beyond its
 * record's ITL array. */
#ifndef SB_LOOP_H
#define SB_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "http/engine.h"
#include "metrics/record.h"
#include "sched/sched.h"

/* The most event loops (--num-workers); run.c checks it equals config's
 * SB_MAX_WORKERS, which bounds the flag. */
#define LOOP_MAX_WORKERS 64

typedef struct loop_req {
    const char *body;
    size_t body_len;
    long id; /* x-request-id = prefix + id; -1 = no id header */
    /* One more header line ("name: value") for this request, or NULL: a
     * session's affinity header (--session-header). Must outlive the request. */
    const char *header;
} loop_req;

/* Requests made during the run from earlier replies (multi-turn sessions,
 * run/session.h), in place of a fixed list and schedule. The loop asks take
 * for the next request whenever it has a free slot, and tells done when one
 * ends, from inside its event loop (one thread: the feed needs no lock). */
typedef struct loop_feed {
    void *ud;
    /* Requests it starts at t0 (slots made, and connections opened with
     * --preconnect, before t0). */
    size_t first_wave;
    /* Bodies by record index; take fills entry i before it returns i. */
    const loop_req *reqs;
    /* The next request to start at now (absolute ns): its record index, or
     * SIZE_MAX when none is due; then *wake_ns is when one may next become
     * due without a completion (0: only after a completion). The feed sets the
     * record's intended_ns, queued_ns, prompt_len and output_len. */
    size_t (*take)(void *ud, uint64_t now_ns, uint64_t *wake_ns);
    /* Request i ended (its record is final): text is the streamed reply. */
    void (*done)(void *ud, size_t i, const char *text, size_t len, uint64_t now_ns);
    /* True while requests may still come (running or future sessions). */
    bool (*pending)(void *ud);
} loop_feed;

typedef struct loop_opts {
    const char *url;
    struct curl_slist *headers; /* shared headers (content type, auth, --header) */
    const char *id_prefix;
    long max_concurrency; /* <= 0: unlimited */
    bk_mode mode;
    bool keep_text; /* keep generated text even when usage came */
    /* Per request index, the JSON schema (a json_t, read only) its answer is
     * checked against, or NULL (run/structured.h); the array itself may be NULL. */
    struct json_t *const *schemas;
    bool ignore_eos; /* TGI counts the requested length as output (3.10) */
    double grace_s;  /* after a stop request: wait this long for in-flight */
    bool preconnect; /* open the first wave's connections before t0 */
    /* Event loops, each on its own thread with its own engine (> 1: request i
     * goes to loop i % num_workers at its unchanged schedule time, and
     * --max-concurrency is split between them); <= 1: one loop, this thread. */
    long num_workers;
    /* 0: t0 is taken when the preparation is done; else the loop waits for
     * this CLOCK_MONOTONIC instant and takes it as t0 (a start agreed across
     * processes: the MPI ranks of one run). */
    uint64_t start_at_ns;
    /* set by a signal handler: 1 stop sending, 2 end the grace now; may be NULL */
    volatile sig_atomic_t *stop;
    /* Not NULL: requests come from the feed (one event loop only); the records
     * of requests it never handed out stay in rs for the feed's owner to drop. */
    const loop_feed *feed;
    /* Called as each request ends, with its record, on its event loop's
     * thread (with --num-workers > 1, from several at once); may be NULL. */
    void (*on_done)(void *ud, const sb_record *r);
    void *on_done_ud;
    /* Called about every 100 ms and at the end. */
    void (*progress)(void *ud, size_t done, size_t total);
    void *progress_ud;
} loop_opts;

typedef struct loop_stats {
    size_t sent;                              /* requests handed to the engine */
    size_t finished;                          /* of those, finished (success or failure) */
    size_t cancelled;                         /* in flight when the grace time ran out */
    bool interrupted;                         /* a stop request arrived */
    uint64_t messages;                        /* stream messages decoded */
    uint64_t max_lag_ns;                      /* worst lateness of noticing a due request */
    size_t slots;                             /* in-flight slots created (peak concurrency) */
    size_t preconnected;                      /* connections open at t0 (--preconnect) */
    size_t workers;                           /* event loops that ran */
    double worker_cpu_s[LOOP_MAX_WORKERS];    /* each loop's thread CPU from t0 */
    uint64_t worker_lag_ns[LOOP_MAX_WORKERS]; /* each loop's worst send lag */
} loop_stats;

/* Runs reqs[0..n) at their deadlines in plan (the caller sets output_len and
 * prompt_len; plan NULL = all at once), or with o->feed the feed's requests
 * (reqs and plan unused, n = records in rs). bench_start_ns (t0)
 * is taken here, after the preparation (resolve, slots, --preconnect).
 * Returns -1 with err set only when the preparation failed (nothing sent).
 * Returns when every sent request has finished or, after a stop request,
 * when the grace time ran out (requests still in flight are cancelled and
 * marked partial; requests never sent are cut off: rs->n becomes the number
 * sent, which rec_store_free still handles since they own no memory). */
int loop_run(eng *e, const loop_opts *o, const loop_req *reqs, const sched_plan *plan, size_t n,
             rec_store *rs, loop_stats *st, sb_err *err);

/* One request outside the timed run (ready check, warm-up): sends body and
 * fills record 0 of a one-record store. */
void loop_one(eng *e, const loop_opts *o, const loop_req *req, rec_store *one);

#endif
