/* SPDX-License-Identifier: Apache-2.0 */
/* loop.c - the timed send loop (see loop.h).
 *
 * Shape: one thread, one loop. Each turn moves newly due requests into the
 * FIFO (the FIFO is just the index range [head, next) because offsets are
 * ascending), starts as many as the concurrency limit allows, then sleeps in
 * eng_step until the next deadline or network activity. Completion callbacks
 * run inside eng_step and give their slot back at once, so a finished
 * request's slot serves the next queued one in the same turn. */
#include "run/loop.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/stream.h"
#include "core/buf.h"
#include "core/clock.h"
#include "metrics/krx.h"

typedef struct slot {
    struct loop_ctx *ctx;
    eng_xfer *x;
    bk_stream st;
    struct curl_slist idnode;  /* x-request-id in front of the shared headers */
    struct curl_slist hdrnode; /* loop_req.header in front of those */
    size_t req;
    uint64_t msgs_counted; /* of st.n_msgs, already added to the loop's stats */
    bool busy;
    struct slot *next_free;
    char idbuf[]; /* "x-request-id: <prefix><id>", sized for the run's prefix (id_cap) */
} slot;

typedef struct loop_ctx {
    eng *e;
    const loop_opts *o;
    rec_store *rs;
    loop_stats *st;
    slot **slots;
    size_t n_slots, cap_slots;
    slot *free_list;
    size_t inflight;
    size_t id_cap; /* bytes of a slot's idbuf */
} loop_ctx;

static void s_status(void *ud, int status)
{
    slot *s = ud;
    bk_stream_status(&s->st, status);
}

static int s_body(void *ud, const char *p, size_t n, uint64_t t, uint64_t krx)
{
    slot *s = ud;
    return bk_stream_body_krx(&s->st, p, n, t, krx);
}

static void s_done(void *ud, sb_fail why, const char *msg, bool aborted, uint64_t t)
{
    slot *s = ud;
    loop_ctx *c = s->ctx;
    (void)aborted; /* the decoder recorded its own reason before aborting */
    bk_stream_end(&s->st, why, msg, t);
    rec_store_trim(c->rs, s->req);
    if (c->rs->krx)
        krx_trim(c->rs->krx, s->req);
    if (c->o->feed) /* the reply may start the conversation's next turn */
        c->o->feed->done(c->o->feed->ud, s->req, s->st.text.data ? s->st.text.data : "",
                         s->st.text.len, t);
    if (c->o->on_done)
        c->o->on_done(c->o->on_done_ud, &c->rs->recs[s->req]);
    c->st->messages += s->st.n_msgs - s->msgs_counted; /* n_msgs runs on over the slot's requests */
    s->msgs_counted = s->st.n_msgs;
    __atomic_add_fetch(&c->st->finished, 1, __ATOMIC_RELAXED); /* read by the progress thread */
    c->inflight--;
    s->busy = false;
    s->next_free = c->free_list;
    c->free_list = s;
}

static const eng_ops slot_ops = {s_status, s_body, s_done};

static slot *get_slot(loop_ctx *c)
{
    if (c->free_list) {
        slot *s = c->free_list;
        c->free_list = s->next_free;
        return s;
    }
    if (c->n_slots == c->cap_slots) {
        c->cap_slots = c->cap_slots ? c->cap_slots * 2 : 64;
        c->slots = sb_xrealloc(c->slots, c->cap_slots * sizeof *c->slots);
    }
    /* A slot is held per stream in flight: its header line is sized to
     * the prefix, not a fixed 256 bytes (client memory per stream). */
    if (!c->id_cap)
        c->id_cap = sizeof "x-request-id: " + (c->o->id_prefix ? strlen(c->o->id_prefix) : 0) + 24;
    slot *s = sb_xcalloc(1, sizeof *s + c->id_cap);
    s->ctx = c;
    s->x = eng_xfer_new(c->e);
    bk_stream_init(&s->st, c->o->mode);
    s->st.keep_text = c->o->keep_text;
    s->st.count_requested = c->o->ignore_eos && c->o->mode == BK_MODE_TGI;
    c->slots[c->n_slots++] = s;
    c->st->slots = c->n_slots;
    return s;
}

/* Preconnect transfers: a GET of the request URL whose answer (often 404 or
 * 405) is thrown away; only the keep-alive connection it leaves in the pool
 * matters. */
typedef struct pre_xfer {
    int status, done;
    sb_fail why;
    char msg[512];
} pre_xfer;

static void p_status(void *ud, int status)
{
    ((pre_xfer *)ud)->status = status;
}

static int p_body(void *ud, const char *p, size_t n, uint64_t t, uint64_t krx)
{
    (void)ud, (void)p, (void)t, (void)krx;
    return n > (1u << 20) ? -1 : 0; /* nobody sends a megabyte for this; if so, stop */
}

static void p_done(void *ud, sb_fail why, const char *msg, bool aborted, uint64_t t)
{
    pre_xfer *px = ud;
    (void)aborted, (void)t;
    px->done = 1;
    px->why = why;
    if (msg)
        snprintf(px->msg, sizeof px->msg, "%s", msg);
}

static const eng_ops pre_ops = {p_status, p_body, p_done};

/* Creates slots up to want (easy handles with every fixed option set), so a
 * burst at t0 does not pay curl_easy_init per request. */
static void prewarm(loop_ctx *c, size_t want)
{
    slot *got = NULL;
    while (c->n_slots < want) {
        slot *s = get_slot(c);
        s->next_free = got;
        got = s;
    }
    while (got) {
        slot *s = got;
        got = s->next_free;
        s->next_free = c->free_list;
        c->free_list = s;
    }
}

/* Opens k connections before t0 (--preconnect): k GETs at once on k slots,
 * then waits for all. Returns the first transport failure's message in err
 * (HTTP statuses do not matter). */
static int preconnect(loop_ctx *c, size_t k, sb_err *err)
{
    pre_xfer *px = sb_xcalloc(k, sizeof *px);
    size_t n = 0;
    for (slot *s = c->free_list; s && n < k; s = s->next_free, n++)
        if (!eng_xfer_start(s->x, c->o->url, c->o->headers, NULL, 0, &pre_ops, &px[n]))
            px[n] = (pre_xfer){.done = 1, .why = SB_FAIL_OTHER, .msg = "refused by curl"};
    while (eng_running(c->e) > 0)
        eng_step(c->e, 0);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (px[i].why != SB_FAIL_NONE)
            rc = sb_err_set(err, "--preconnect: opening connection %zu of %zu failed: %s", i + 1, n,
                            px[i].msg);
    free(px);
    return rc;
}

static void start(loop_ctx *c, const loop_req *r, size_t i)
{
    slot *s = get_slot(c);
    s->req = i;
    s->busy = true;
    struct curl_slist *h = c->o->headers;
    if (r->id >= 0) {
        snprintf(s->idbuf, c->id_cap, "x-request-id: %s%ld", c->o->id_prefix ? c->o->id_prefix : "",
                 r->id);
        s->idnode.data = s->idbuf;
        s->idnode.next = c->o->headers;
        h = &s->idnode;
    }
    if (r->header) {
        s->hdrnode.data = (char *)r->header; /* curl only reads it */
        s->hdrnode.next = h;
        h = &s->hdrnode;
    }
    c->inflight++;
    c->st->sent++;
    /* start_ns is re-read inside eng_xfer_start right before the hand-over;
     * the decoder is armed first so no byte can arrive before it. */
    bk_stream_begin(&s->st, c->rs, i, sb_now_ns());
    if (c->o->schemas && c->o->schemas[i])
        bk_stream_set_schema(&s->st, c->o->schemas[i]);
    uint64_t t = eng_xfer_start(s->x, c->o->url, h, r->body, r->body_len, &slot_ops, s);
    if (!t) {
        s_done(s, SB_FAIL_OTHER, "the HTTP engine refused the transfer", false, sb_now_ns());
        return;
    }
    s->st.start_ns = t;
    c->rs->recs[i].start_ns = t - c->rs->bench_start_ns;
    /* Connect and write now, before the next request is set up: its bytes
     * leave right after its recorded start, and in schedule order. */
    eng_kick(c->e);
}

static void free_slots(loop_ctx *c)
{
    for (size_t i = 0; i < c->n_slots; i++) {
        eng_xfer_free(c->slots[i]->x);
        bk_stream_free(&c->slots[i]->st);
        free(c->slots[i]);
    }
    free(c->slots);
}

static void cancel_inflight(loop_ctx *c)
{
    for (size_t i = 0; i < c->n_slots; i++) {
        slot *s = c->slots[i];
        if (!s->busy)
            continue;
        size_t req = s->req;
        eng_xfer_cancel(s->x, SB_FAIL_CANCELLED,
                        "cancelled: still running when the grace time after the interrupt ran out");
        c->rs->recs[req].partial = true;
        c->st->cancelled++;
    }
}

/* One event loop's share of the run: the requests map[0..m) (global indices,
 * ascending; map NULL = all n in order) on its own engine. */
typedef struct worker {
    loop_ctx c;
    loop_stats st;
    const loop_req *reqs;
    const sched_plan *plan; /* NULL: every request due at t0 */
    const size_t *map;
    size_t m, n_total, head;
    unsigned char *sent; /* per global index, workers mode only */
    double cpu_s;
    uint64_t end_ns; /* when its last request finished */
    int over;        /* set (release) when the worker's loop has returned */
    pthread_t th;
} worker;

static size_t gi(const worker *w, size_t k)
{
    return w->map ? w->map[k] : k;
}

/* Request k's deadline offset from t0 (sched/ owns the schedule). */
static uint64_t off_of(const worker *w, size_t k)
{
    return w->plan ? sched_deadline_ns(w->plan, gi(w, k), 0) : 0;
}

/* Request k's absolute deadline for a run that started at t0. */
static uint64_t deadline_of(const worker *w, size_t k, uint64_t t0)
{
    return w->plan ? sched_deadline_ns(w->plan, gi(w, k), t0) : t0;
}

/* Before t0: slots for the first wave (and their connections). */
static int worker_prepare(worker *w, eng *e, const loop_opts *o, rec_store *rs, size_t cap,
                          sb_err *err)
{
    memset(&w->st, 0, sizeof w->st);
    w->c = (loop_ctx){.e = e, .o = o, .rs = rs, .st = &w->st};
    if (eng_resolve(e, o->url, err) != 0 || eng_curl_prepare(e, o->url, err) != 0)
        return -1;
    size_t wave = 0;
    if (o->feed) /* its first wave, not every record it may fill (nor the plan's) */
        wave = o->feed->first_wave;
    else
        while (wave < w->m && off_of(w, wave) < SB_NS_PER_S)
            wave++;
    if (!wave && w->m)
        wave = 1;
    if (wave > cap)
        wave = cap;
    prewarm(&w->c, wave);
    if (o->preconnect && w->m && preconnect(&w->c, wave, err) != 0)
        return -1;
    w->st.preconnected = o->preconnect ? (size_t)eng_open_conns(e) : 0;
    return 0;
}

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Feed mode (loop_feed): starts what the feed has due while slots are free. */
static void feed_start(worker *w, size_t cap, uint64_t now, uint64_t *wake)
{
    loop_ctx *c = &w->c;
    const loop_feed *f = c->o->feed;
    while (c->inflight < cap) {
        size_t i = f->take(f->ud, now, wake);
        if (i == SIZE_MAX)
            return;
        start(c, &f->reqs[i], i);
        now = sb_now_ns();
    }
    *wake = 0; /* no slot free: the next chance comes with a completion */
}

/* From t0 to the end: the send loop proper. */
static void worker_drive(worker *w, size_t cap, bool progress)
{
    loop_ctx *c = &w->c;
    const loop_opts *o = c->o;
    loop_stats *st = &w->st;
    rec_store *rs = c->rs;
    eng *e = c->e;
    size_t n = w->m, next = 0, head = 0;
    uint64_t t0 = rs->bench_start_ns;
    uint64_t grace_end = 0, next_progress = 0;
    double cpu0 = thread_cpu_s();
    for (;;) {
        uint64_t now = sb_now_ns();
        if (!st->interrupted && o->stop && *o->stop) {
            st->interrupted = true;
            grace_end = now + (uint64_t)(o->grace_s * 1e9);
        }
        uint64_t wake = 0;
        if (!st->interrupted && o->feed) {
            feed_start(w, cap, now, &wake);
        } else if (!st->interrupted) {
            for (; next < n && deadline_of(w, next, t0) <= now; next++) {
                sb_record *r = &rs->recs[gi(w, next)];
                r->intended_ns = deadline_of(w, next, t0) - t0;
                r->queued_ns = now - t0;
                uint64_t lag = now - (t0 + r->intended_ns);
                if (lag > st->max_lag_ns)
                    st->max_lag_ns = lag;
            }
            for (size_t k = 1; head < next && c->inflight < cap; k++) {
                size_t i = gi(w, head++);
                if (w->sent)
                    w->sent[i] = 1;
                start(c, &w->reqs[i], i);
                /* In a long burst, let arriving responses in now and then
                 * (a zero-wait step), so early requests' first tokens are not
                 * stamped only after the whole burst has gone out. */
                if (k % 64 == 0)
                    eng_step(e, 1);
            }
        }
        if (progress && o->progress && now >= next_progress) {
            o->progress(o->progress_ud, st->finished, w->n_total);
            next_progress = now + 100 * SB_NS_PER_MS;
        }
        bool all_sent = st->interrupted || (o->feed ? !o->feed->pending(o->feed->ud) : head == n);
        if (all_sent && c->inflight == 0)
            break;
        if (st->interrupted && (now >= grace_end || *o->stop > 1)) {
            cancel_inflight(c);
            break;
        }
        uint64_t deadline = 0;
        if (!st->interrupted && !o->feed && next < n)
            deadline = deadline_of(w, next, t0);
        if (!st->interrupted && wake)
            deadline = wake;
        if (st->interrupted)
            deadline = deadline && deadline < grace_end ? deadline : grace_end;
        if (progress && o->progress && (!deadline || next_progress < deadline))
            deadline = next_progress;
        eng_step(e, deadline);
    }
    w->head = head;
    w->end_ns = sb_now_ns();
    w->cpu_s = thread_cpu_s() - cpu0;
}

/* t0, once the preparation is done: now, or the agreed start instant. */
static uint64_t take_t0(const loop_opts *o)
{
    if (!o->start_at_ns)
        return sb_now_ns();
    sb_sleep_until_ns(o->start_at_ns);
    return o->start_at_ns;
}

static int one_loop(eng *e, const loop_opts *o, const loop_req *reqs, const sched_plan *plan,
                    size_t n, rec_store *rs, loop_stats *st, sb_err *err)
{
    size_t cap = o->max_concurrency > 0 ? (size_t)o->max_concurrency : n;
    worker w = {.reqs = reqs, .plan = plan, .m = n, .n_total = n};
    /* Everything that can be done before t0 is done before t0: the host is
     * resolved once, the slots for the first wave exist, and with
     * --preconnect their connections are open. */
    if (worker_prepare(&w, e, o, rs, cap, err) != 0) {
        free_slots(&w.c);
        return -1;
    }
    rs->bench_start_ns = take_t0(o);
    worker_drive(&w, cap, true);
    rs->bench_end_ns = sb_now_ns();
    *st = w.st;
    st->workers = 1;
    st->worker_cpu_s[0] = w.cpu_s;
    st->worker_lag_ns[0] = w.st.max_lag_ns;
    /* Requests are sent in index order, so the ones never sent after an
     * interrupt are exactly the tail: leave them out of the result. */
    if (st->interrupted && !o->feed)
        rs->n = w.head;
    if (o->progress)
        o->progress(o->progress_ud, st->finished, n);
    free_slots(&w.c);
    return 0;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    size_t cap = w->c.o->max_concurrency > 0 ? (size_t)w->c.o->max_concurrency : w->m;
    worker_drive(w, cap, false);
    __atomic_store_n(&w->over, 1, __ATOMIC_RELEASE);
    return NULL;
}

static int many_loops(eng *e, const loop_opts *o, const loop_req *reqs, const sched_plan *plan,
                      size_t n, rec_store *rs, loop_stats *st, sb_err *err)
{
    size_t nw = (size_t)o->num_workers;
    if (nw > LOOP_MAX_WORKERS)
        nw = LOOP_MAX_WORKERS;
    if (nw > n)
        nw = n ? n : 1;
    if (o->max_concurrency > 0 && nw > (size_t)o->max_concurrency)
        nw = (size_t)o->max_concurrency; /* every loop gets at least one slot */
    worker *w = sb_xcalloc(nw, sizeof *w);
    eng **engs = sb_xcalloc(nw, sizeof *engs);
    size_t *maps = sb_xmalloc((n ? n : 1) * sizeof *maps);
    unsigned char *sent = sb_xcalloc(n ? n : 1, 1);
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    rs->lock = &mu;
    int rc = 0;
    /* Shard i % nw: each loop keeps the global schedule's times for its
     * requests; --max-concurrency is split as evenly as it goes. */
    size_t total_cap = o->max_concurrency > 0 ? (size_t)o->max_concurrency : 0;
    loop_opts *wo = sb_xcalloc(nw, sizeof *wo);
    for (size_t k = 0, pos = 0; k < nw; k++) {
        w[k].map = maps + pos;
        for (size_t i = k; i < n; i += nw)
            maps[pos++] = i;
        w[k].m = (size_t)(maps + pos - w[k].map);
        w[k].reqs = reqs;
        w[k].plan = plan;
        w[k].n_total = n;
        w[k].sent = sent;
        wo[k] = *o;
        wo[k].progress = NULL;
        if (total_cap)
            wo[k].max_concurrency = (long)(total_cap / nw + (k < total_cap % nw));
        engs[k] = k == 0 ? e : eng_new(eng_options(e), err);
        if (!engs[k]) {
            rc = -1;
            break;
        }
        size_t cap = wo[k].max_concurrency > 0 ? (size_t)wo[k].max_concurrency : w[k].m;
        if (worker_prepare(&w[k], engs[k], &wo[k], rs, cap, err) != 0) {
            rc = -1;
            break;
        }
    }
    size_t started = 0;
    if (rc == 0) {
        rs->bench_start_ns = take_t0(o);
        for (; started < nw; started++)
            if (pthread_create(&w[started].th, NULL, worker_main, &w[started]) != 0) {
                /* the started ones run to their end; the result is not reported */
                rc = sb_err_set(err, "starting event loop %zu of %zu failed", started + 1, nw);
                break;
            }
        /* Progress from here, on this thread: the loops only count. */
        bool done = false;
        while (!done) {
            size_t fin = 0;
            done = true;
            for (size_t k = 0; k < started; k++) {
                fin += __atomic_load_n(&w[k].st.finished, __ATOMIC_RELAXED);
                if (!__atomic_load_n(&w[k].over, __ATOMIC_ACQUIRE))
                    done = false;
            }
            if (o->progress)
                o->progress(o->progress_ud, fin, n);
            if (!done)
                sb_sleep_until_ns(sb_now_ns() + 100 * SB_NS_PER_MS);
        }
        /* The run ends when the last loop's last request did, not when this
         * thread noticed (it polls every 100 ms). */
        rs->bench_end_ns = rs->bench_start_ns;
        for (size_t k = 0; k < started; k++) {
            pthread_join(w[k].th, NULL);
            if (w[k].end_ns > rs->bench_end_ns)
                rs->bench_end_ns = w[k].end_ns;
        }
    }
    memset(st, 0, sizeof *st);
    st->workers = nw;
    for (size_t k = 0; k < nw; k++) {
        st->sent += w[k].st.sent;
        st->finished += w[k].st.finished;
        st->cancelled += w[k].st.cancelled;
        st->interrupted |= w[k].st.interrupted;
        st->messages += w[k].st.messages;
        st->slots += w[k].st.slots;
        st->preconnected += w[k].st.preconnected;
        if (w[k].st.max_lag_ns > st->max_lag_ns)
            st->max_lag_ns = w[k].st.max_lag_ns;
        st->worker_cpu_s[k] = w[k].cpu_s;
        st->worker_lag_ns[k] = w[k].st.max_lag_ns;
        free_slots(&w[k].c);
        if (k > 0)
            eng_free(engs[k]);
    }
    if (rc == 0 && st->interrupted)
        rec_store_keep(rs, sent); /* the sent ones, in index order */
    if (rc == 0 && o->progress)
        o->progress(o->progress_ud, st->finished, n);
    rs->lock = NULL;
    free(wo);
    free(sent);
    free(maps);
    free(engs);
    free(w);
    return rc;
}

int loop_run(eng *e, const loop_opts *o, const loop_req *reqs, const sched_plan *plan, size_t n,
             rec_store *rs, loop_stats *st, sb_err *err)
{
    if (o->num_workers > 1)
        return many_loops(e, o, reqs, plan, n, rs, st, err);
    return one_loop(e, o, reqs, plan, n, rs, st, err);
}

void loop_one(eng *e, const loop_opts *o, const loop_req *req, rec_store *one)
{
    loop_opts o1 = *o;
    o1.progress = NULL;
    o1.max_concurrency = 1;
    o1.preconnect = false;
    loop_stats st;
    sb_err err;
    if (loop_run(e, &o1, req, NULL, 1, one, &st, &err) != 0)
        rec_store_fail(one, 0, SB_FAIL_OTHER, "%s", err.msg);
}
