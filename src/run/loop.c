/* loop.c - the timed send loop (see loop.h).
 *
 * Shape: one thread, one loop. Each turn moves newly due requests into the
 * FIFO (the FIFO is just the index range [head, next) because offsets are
 * ascending), starts as many as the concurrency limit allows, then sleeps in
 * eng_step until the next deadline or network activity. Completion callbacks
 * run inside eng_step and give their slot back at once, so a finished
 * request's slot serves the next queued one in the same turn. */
#include "run/loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/stream.h"
#include "core/buf.h"
#include "core/clock.h"

typedef struct slot {
    struct loop_ctx *ctx;
    eng_xfer *x;
    bk_stream st;
    struct curl_slist idnode; /* x-request-id in front of the shared headers */
    char idbuf[256];
    size_t req;
    bool busy;
    struct slot *next_free;
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
} loop_ctx;

static void s_status(void *ud, int status)
{
    slot *s = ud;
    bk_stream_status(&s->st, status);
}

static int s_body(void *ud, const char *p, size_t n, uint64_t t)
{
    slot *s = ud;
    return bk_stream_body(&s->st, p, n, t);
}

static void s_done(void *ud, sb_fail why, const char *msg, bool aborted, uint64_t t)
{
    slot *s = ud;
    loop_ctx *c = s->ctx;
    (void)aborted; /* the decoder recorded its own reason before aborting */
    bk_stream_end(&s->st, why, msg, t);
    c->st->messages += s->st.n_msgs;
    c->st->finished++;
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
    slot *s = sb_xcalloc(1, sizeof *s);
    s->ctx = c;
    s->x = eng_xfer_new(c->e);
    bk_stream_init(&s->st, c->o->mode);
    s->st.keep_text = c->o->keep_text;
    s->st.count_requested = c->o->ignore_eos && c->o->mode == BK_MODE_TGI;
    c->slots[c->n_slots++] = s;
    c->st->slots = c->n_slots;
    return s;
}

static void start(loop_ctx *c, const loop_req *r, size_t i)
{
    slot *s = get_slot(c);
    s->req = i;
    s->busy = true;
    struct curl_slist *h = c->o->headers;
    if (r->id >= 0) {
        snprintf(s->idbuf, sizeof s->idbuf, "x-request-id: %s%ld",
                 c->o->id_prefix ? c->o->id_prefix : "", r->id);
        s->idnode.data = s->idbuf;
        s->idnode.next = c->o->headers;
        h = &s->idnode;
    }
    c->inflight++;
    c->st->sent++;
    /* start_ns is re-read inside eng_xfer_start right before the hand-over;
     * the decoder is armed first so no byte can arrive before it. */
    bk_stream_begin(&s->st, c->rs, i, sb_now_ns());
    uint64_t t = eng_xfer_start(s->x, c->o->url, h, r->body, r->body_len, &slot_ops, s);
    if (!t) {
        s_done(s, SB_FAIL_OTHER, "the HTTP engine refused the transfer", false, sb_now_ns());
        return;
    }
    s->st.start_ns = t;
    c->rs->recs[i].start_ns = t - c->rs->bench_start_ns;
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
        eng_xfer_cancel(s->x, SB_FAIL_CANCELLED, "cancelled: still running when the grace time after the interrupt ran out");
        c->rs->recs[req].partial = true;
        c->st->cancelled++;
    }
}

void loop_run(eng *e, const loop_opts *o, const loop_req *reqs, const uint64_t *offset_ns,
              size_t n, rec_store *rs, loop_stats *st)
{
    memset(st, 0, sizeof *st);
    loop_ctx c = {.e = e, .o = o, .rs = rs, .st = st};
    size_t cap = o->max_concurrency > 0 ? (size_t)o->max_concurrency : n;
    size_t next = 0, head = 0;
    uint64_t t0 = rs->bench_start_ns;
    uint64_t grace_end = 0, next_progress = 0;
    for (;;) {
        uint64_t now = sb_now_ns();
        if (!st->interrupted && o->stop && *o->stop) {
            st->interrupted = true;
            grace_end = now + (uint64_t)(o->grace_s * 1e9);
        }
        if (!st->interrupted) {
            for (; next < n && t0 + (offset_ns ? offset_ns[next] : 0) <= now; next++) {
                rs->recs[next].intended_ns = offset_ns ? offset_ns[next] : 0;
                rs->recs[next].queued_ns = now - t0;
                uint64_t lag = now - (t0 + rs->recs[next].intended_ns);
                if (lag > st->max_lag_ns)
                    st->max_lag_ns = lag;
            }
            while (head < next && c.inflight < cap)
                start(&c, &reqs[head], head), head++;
        }
        if (o->progress && now >= next_progress) {
            o->progress(o->progress_ud, st->finished, n);
            next_progress = now + 100 * SB_NS_PER_MS;
        }
        bool all_sent = st->interrupted || head == n;
        if (all_sent && c.inflight == 0)
            break;
        if (st->interrupted && (now >= grace_end || *o->stop > 1)) {
            cancel_inflight(&c);
            break;
        }
        uint64_t deadline = 0;
        if (!st->interrupted && next < n)
            deadline = t0 + (offset_ns ? offset_ns[next] : 0);
        if (st->interrupted)
            deadline = deadline && deadline < grace_end ? deadline : grace_end;
        if (o->progress && (!deadline || next_progress < deadline))
            deadline = next_progress;
        eng_step(e, deadline);
    }
    rs->bench_end_ns = sb_now_ns();
    /* Requests are sent in index order, so the ones never sent after an
     * interrupt are exactly the tail: leave them out of the result. */
    if (st->interrupted)
        rs->n = head;
    if (o->progress)
        o->progress(o->progress_ud, st->finished, n);
    free_slots(&c);
}

void loop_one(eng *e, const loop_opts *o, const loop_req *req, rec_store *one)
{
    loop_opts o1 = *o;
    o1.progress = NULL;
    o1.max_concurrency = 1;
    loop_stats st;
    one->bench_start_ns = sb_now_ns();
    loop_run(e, &o1, req, NULL, 1, one, &st);
}
