/* SPDX-License-Identifier: Apache-2.0 */
/* sim_step.c - capacity mode's engine: the step loop of vLLM's v1 scheduler
 * (vllm/v1/core/sched/scheduler.py: Scheduler.schedule) in simulated time.
 *
 * A step has a budget of --max-num-batched-tokens tokens and fills it in
 * start order (first come, first served): one decode token for each request
 * that has its first token, the rest of the prompt, chunked to what the
 * budget leaves, for each request still in prefill; what does not fit waits
 * for a later step. The step's time is one roofline of all its tokens
 * (sim_capacity_batch_ns: their FLOPs against the weights plus the KV the
 * step's sequences hold, plus the fixed cost). When it ends, a request whose
 * prompt it completed has its first token and every decode its next one
 * (vLLM samples at the end of the step that computed the last prompt token);
 * chunks whose tokens are all produced go out, planned at the step's end, and
 * the next step starts at once from the requests that had arrived by then.
 * Requests that arrive during a step wait for the next one, as on the real
 * server, where new requests reach the scheduler between steps. One that
 * arrived before the step began but that the event loop read only after
 * composing it (a busy loop reads sockets in its own order) is added by
 * composing the step again: nothing of a step goes out before its end.
 *
 * Plans are absolute: a late event loop delays the emissions it is late for,
 * never the later steps. Which requests a step holds depends only on their
 * arrival times, so the whole schedule follows from the record's arrival_ns. */
#include "sim/sim_internal.h"

int sim_step_on(const sim_server *s)
{
    return s->cap && !s->o.firehose;
}

/* The engine waits for work: wake it at `at` unless it wakes sooner. */
static void wake(sim_server *s, uint64_t at)
{
    if (s->step_busy)
        return; /* the step under way composes the next one when it ends */
    if (at < s->step_free_ns)
        at = s->step_free_ns;
    if (s->step_timer.idx == SIM_TIMER_IDLE || at < s->step_timer.deadline_ns)
        sim_heap_push(&s->heap, &s->step_timer, at);
}

static void step_begin(sim_server *s, uint64_t start);

/* Composes the step under way again, now with a request that was there
 * `at` when it began; if the engine was idle then, the step begins at `at`. */
static void step_recompose(sim_server *s, uint64_t at)
{
    uint64_t start = s->step_free_ns;
    if (at < start)
        start = at > s->step_ended_ns ? at : s->step_ended_ns;
    for (sim_conn *c = s->run_head; c; c = c->wnext)
        c->req.sched = 0;
    step_begin(s, start);
}

void sim_step_join(sim_server *s, sim_conn *c, uint64_t now)
{
    sim_req *r = &c->req;
    uint64_t at = now > r->arrival_ns ? now : r->arrival_ns;
    /* the prefix cache's hits (prefix_lookup, before joining) are computed already */
    r->prefilled = r->cached_tokens;
    r->produced = r->sched = 0;
    /* in start order; only a request the loop read late goes before others */
    sim_conn *prev = s->run_tail;
    while (prev && prev->req.start_ns > r->start_ns)
        prev = prev->wprev;
    c->wprev = prev;
    c->wnext = prev ? prev->wnext : s->run_head;
    if (c->wnext)
        c->wnext->wprev = c;
    else
        s->run_tail = c;
    if (prev)
        prev->wnext = c;
    else
        s->run_head = c;
    if (s->step_composed && at <= s->step_free_ns)
        step_recompose(s, at);
    else
        wake(s, at);
}

void sim_step_leave(sim_server *s, sim_conn *c)
{
    if (c->wprev)
        c->wprev->wnext = c->wnext;
    else if (s->run_head == c)
        s->run_head = c->wnext;
    if (c->wnext)
        c->wnext->wprev = c->wprev;
    else if (s->run_tail == c)
        s->run_tail = c->wprev;
    c->wprev = c->wnext = NULL;
    c->req.sched = 0;
}

/* Nothing more to compute: the prompt is in and every output token made. */
static int generated(const sim_req *r)
{
    return r->prefilled >= r->prompt_tokens && r->produced >= r->out_tokens;
}

/* The step that ran until `end` is over: book what it computed and send the
 * chunks that are complete. Emitting may end a request (it unlinks itself and
 * may start waiting ones, which join at the tail), so the next link is taken
 * first. */
static void step_end(sim_server *s, uint64_t end)
{
    sim_conn *next;
    for (sim_conn *c = s->run_head; c; c = next) {
        next = c->wnext;
        sim_req *r = &c->req;
        if (!r->sched)
            continue;
        if (r->prefilled < r->prompt_tokens) {
            r->prefilled += r->sched;
            if (r->prefilled >= r->prompt_tokens && r->out_tokens > 0)
                r->produced = 1; /* sampled from the prompt's last position */
        } else {
            r->produced++;
        }
        r->sched = 0;
        /* a stream in its stall or behind a full socket sends its backlog
         * when that ends (sim_model_tick) */
        if (c->timer.idx == SIM_TIMER_IDLE && !c->gen_blocked)
            sim_model_emit_ready(c, end);
    }
}

/* Composes the step starting at `start` and queues its end; with nothing to
 * compute the engine idles, or waits for a request that arrived after
 * `start` (the loop ran late) to begin at its arrival. */
static void step_begin(sim_server *s, uint64_t start)
{
    long budget = s->cap->budget;
    uint32_t tokens = 0, seqs = 0;
    double ctx = 0;
    uint64_t later = UINT64_MAX;
    for (sim_conn *c = s->run_head; c && budget > 0; c = c->wnext) {
        sim_req *r = &c->req;
        if (generated(r))
            continue; /* finished, its last chunks still to go out */
        if (r->arrival_ns > start) {
            if (r->arrival_ns < later)
                later = r->arrival_ns;
            continue;
        }
        long need = r->prefilled < r->prompt_tokens ? (long)(r->prompt_tokens - r->prefilled) : 1;
        r->sched = (uint32_t)(need < budget ? need : budget);
        budget -= r->sched;
        tokens += r->sched;
        seqs++;
        ctx += (double)r->prefilled + r->produced; /* KV the step reads */
    }
    s->step_free_ns = start;
    s->step_composed = tokens > 0;
    if (tokens == 0) {
        s->step_busy = 0;
        if (later != UINT64_MAX)
            sim_heap_push(&s->heap, &s->step_timer, later);
        return;
    }
    s->step_busy = 1;
    sim_heap_push(&s->heap, &s->step_timer,
                  start + sim_capacity_batch_ns(s->cap, tokens, seqs, ctx));
}

void sim_step_run(sim_server *s)
{
    uint64_t t = s->step_timer.deadline_ns;
    s->step_composed = 0;
    if (s->step_busy) {
        step_end(s, t);
        s->step_ended_ns = t;
    }
    s->step_busy = 1; /* requests started while it ends join the next step */
    step_begin(s, t);
}
