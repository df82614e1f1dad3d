/* SPDX-License-Identifier: Apache-2.0 */
/* sim_model.c - the timing model: continuous batching, TTFT, ITL, faults.
 *
 * A request joins the running batch when fewer than --max-num-seqs run, else
 * it waits FIFO and starts when one finishes, so TTFT rises under overload as
 * on a real server. Its first chunk is planned at start + TTFT draw +
 * uncached prompt tokens / --prefill-tok-per-s (the prefix cache, sim_prefix.h,
 * is looked up as it starts); every later chunk carries
 * --tokens-per-chunk tokens and is planned that many ITL draws after the
 * previous plan, each draw being N(--itl-ms, --itl-std-ms) plus
 * --itl-per-seq-us per running sequence. Plans are absolute: a late emission
 * does not push later ones back, and lateness (actual - planned) is measured
 * into the schedule-error histogram. --firehose drops all timing and emits
 * in bursts, yielding to other streams between bursts. In capacity mode
 * (without --firehose) the engine of sim_step.c plans instead: a chunk goes
 * out at the end of the step that produced its last token. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "sim/sim_internal.h"

/* Firehose bursts: bounded so one stream cannot starve the others. */
#define FIREHOSE_BURST_CHUNKS 64
#define SIM_RECORD_MAX_EMITS (1u << 20)

static uint64_t itl_ns(sim_server *s, sim_req *r, uint32_t ntok)
{
    const sim_opts *o = &s->o;
    double ms = 0;
    for (uint32_t i = 0; i < ntok; i++)
        ms += sim_rng_duration(&r->rng, o->itl_ms, o->itl_std_ms) +
              o->itl_per_seq_us * s->running / 1000.0;
    return (uint64_t)(ms * 1e6);
}

/* Prefill covers only the prompt tokens the prefix cache did not hold. */
static uint64_t ttft_ns(sim_server *s, sim_req *r)
{
    const sim_opts *o = &s->o;
    /* (capacity mode times prefill in sim_step.c's steps, not here) */
    uint32_t fresh = r->prompt_tokens - r->cached_tokens;
    double ms = sim_rng_duration(&r->rng, o->ttft_ms, o->ttft_std_ms);
    if (o->prefill_tok_per_s > 0)
        ms += fresh * 1000.0 / o->prefill_tok_per_s;
    return (uint64_t)(ms * 1e6);
}

/* Capacity mode: cached blocks no running request holds live in the KV
 * memory the running requests leave free, and go when it is needed. */
static void prefix_room(sim_server *s)
{
    if (!s->pfx || !s->cap)
        return;
    long bs = sim_prefix_block_size(s->pfx);
    long free_blocks = (s->cap->kv_tokens - s->cap->reserved) / bs;
    sim_prefix_set_room(s->pfx, free_blocks > 0 ? (uint32_t)free_blocks : 0);
}

/* The request joins the batch: its leading cached blocks are hits (vLLM
 * counts queries and hits in tokens when it schedules a new request,
 * vllm/v1/core/kv_cache_manager.py: get_computed_blocks) and all its full
 * blocks are held, and cached for others, while it runs. */
static void prefix_lookup(sim_conn *c)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    if (!s->pfx || !r->pfx_keyed)
        return;
    uint32_t bs = sim_prefix_block_size(s->pfx);
    /* the last prompt token is always computed: it gives the first logits */
    uint32_t max_hit = r->prompt_tokens > 0 ? (r->prompt_tokens - 1) / bs : 0;
    uint32_t hits =
        sim_prefix_acquire(s->pfx, c->pfx_hash, r->pfx_blocks, max_hit, c->pfx_ent, &r->pfx_held);
    r->cached_tokens = hits * bs;
    s->m.prefix_queries += r->prompt_tokens;
    s->m.prefix_hits += r->cached_tokens;
    s->t.prefix_queries += r->prompt_tokens;
    s->t.prefix_hits += r->cached_tokens;
}

static void start(sim_conn *c, uint64_t now)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    s->running++;
    if (r->lora && s->lora_running[r->lora - 1]++ == 0)
        s->lora_active++;
    prefix_lookup(c);
    if (s->cap) {
        r->kv_reserved = r->prompt_tokens + r->out_tokens;
        sim_capacity_reserve(s->cap, r->kv_reserved);
        prefix_room(s);
    }
    r->phase = SIM_PH_PREFILL;
    r->start_ns = now;
    sim_prom_observe(&s->m.queue, (double)(now - r->arrival_ns) / 1e9);
    if (sim_step_on(s)) {
        sim_step_join(s, c, now);
        return;
    }
    uint64_t when = s->o.firehose ? now : now + ttft_ns(s, r);
    if (r->fault == SIM_FAULT_STALL && r->fault_chunk == 0 && !s->o.firehose)
        when += (uint64_t)(s->o.stall_ms * 1e6);
    sim_heap_push(&s->heap, &c->timer, when);
}

static void wait_unlink(sim_server *s, sim_conn *c)
{
    if (c->wprev)
        c->wprev->wnext = c->wnext;
    else
        s->wait_head = c->wnext;
    if (c->wnext)
        c->wnext->wprev = c->wprev;
    else
        s->wait_tail = c->wprev;
    c->wprev = c->wnext = NULL;
    s->waiting--;
    if (c->req.lora)
        s->lora_waiting[c->req.lora - 1]--;
}

/* --max-loras: a request of an adapter the batch does not hold waits while
 * the batch holds that many adapters (vllm/v1/core/sched/scheduler.py:
 * schedule skips it and looks at the requests behind it). */
static int lora_blocked(const sim_server *s, const sim_req *r)
{
    return r->lora && !s->lora_running[r->lora - 1] && s->lora_active >= (uint32_t)s->o.max_loras;
}

/* A request can join the batch: a slot is free, its adapter fits and, in
 * capacity mode, the KV cache holds its prompt and output besides what runs. */
static int can_start(const sim_server *s, const sim_req *r)
{
    if (s->running >= (uint32_t)s->o.max_num_seqs || lora_blocked(s, r))
        return 0;
    return !s->cap || sim_capacity_fits(s->cap, (long)r->prompt_tokens + r->out_tokens, s->running);
}

/* The waiting requests that can start do, in arrival order; one that waits
 * for a slot or KV room stops the scan, one that waits for its adapter only
 * is passed over. */
static void start_waiting(sim_server *s)
{
    sim_conn *n = s->wait_head;
    while (n) {
        sim_conn *next = n->wnext;
        if (!can_start(s, &n->req)) {
            if (!lora_blocked(s, &n->req))
                return;
        } else {
            wait_unlink(s, n);
            start(n, sb_now_ns());
        }
        n = next;
    }
}

/* A request left the batch: the longest-waiting requests start now, in
 * order, while they fit (one, without the capacity model). */
static void leave_batch(sim_server *s, sim_req *gone)
{
    s->running--;
    if (gone->lora && --s->lora_running[gone->lora - 1] == 0)
        s->lora_active--;
    if (s->cap) {
        sim_capacity_release(s->cap, gone->kv_reserved);
        gone->kv_reserved = 0;
        prefix_room(s);
    }
    start_waiting(s);
}

static void fault_before_headers(sim_conn *c)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    s->m.faults[r->fault]++;
    s->t.faults++;
    r->last_ns = sb_now_ns();
    if (r->fault == SIM_FAULT_RESET) {
        sim_record_write(s, r, "reset", 0);
        sim_conn_close(c, 1);
        return;
    }
    if (r->fault == SIM_FAULT_REJECT) {
        sim_record_write(s, r, "reject", 429);
        sim_api_error(c, 429, "TooManyRequestsError",
                      "The server is overloaded (injected by --reject-rate).");
    } else {
        sim_record_write(s, r, "fail", 500);
        sim_api_error(c, 500, "InternalServerError", "Injected failure (--fail-rate).");
    }
}

void sim_model_admit(sim_conn *c)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    uint32_t tpc = (uint32_t)s->o.tokens_per_chunk;
    r->nchunks = (r->out_tokens + tpc - 1) / tpc;
    r->fault = sim_fault_pick(&s->o, &r->rng, r->nchunks, &r->fault_chunk);
    if (r->fault == SIM_FAULT_RESET || r->fault == SIM_FAULT_REJECT || r->fault == SIM_FAULT_FAIL) {
        fault_before_headers(c);
        return;
    }
    if (s->rec) {
        /* Bounded: a huge max_tokens must not become a huge allocation. */
        r->emit_cap = r->nchunks + 1 < SIM_RECORD_MAX_EMITS ? r->nchunks + 1 : SIM_RECORD_MAX_EMITS;
        r->emit_ns = sb_xmalloc(r->emit_cap * sizeof *r->emit_ns);
    }
    c->busy = 1;
    if (r->stream && !c->chunked)
        c->keep_alive = 0; /* HTTP/1.0 has no chunking: only closing ends the stream */
    if (r->stream)
        sim_emit_stream_head(c);
    if (!s->wait_head && can_start(s, r)) {
        start(c, r->arrival_ns);
    } else {
        r->phase = SIM_PH_WAITING;
        c->wprev = s->wait_tail;
        c->wnext = NULL;
        if (s->wait_tail)
            s->wait_tail->wnext = c;
        else
            s->wait_head = c;
        s->wait_tail = c;
        s->waiting++;
        if (r->lora) {
            s->lora_waiting[r->lora - 1]++;
            start_waiting(s); /* it may pass requests waiting for other adapters */
        }
    }
    if (r->stream)
        sim_conn_flush(c);
}

static void end_request(sim_conn *c, const char *outcome, int status, int in_batch)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    sim_record_write(s, r, outcome, status);
    free(r->emit_ns);
    r->emit_ns = NULL;
    free(r->rec_messages);
    r->rec_messages = NULL;
    r->emit_cap = 0;
    r->phase = SIM_PH_IDLE;
    c->busy = 0;
    if (in_batch && sim_step_on(s))
        sim_step_leave(s, c);
    if (in_batch)
        leave_batch(s, r);
    /* After leaving: its KV reservation is free again (capacity mode), so
     * its blocks stay cached in that room; requests started by leave_batch
     * found them still held. */
    if (s->pfx && r->pfx_held) {
        sim_prefix_release(s->pfx, c->pfx_ent, r->pfx_held);
        r->pfx_held = 0;
    }
}

static void finish(sim_conn *c, uint64_t now)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    sim_key_output(c);
    int corrupt = r->fault == SIM_FAULT_MALFORMED;
    if (r->stream)
        sim_emit_stream_end(c);
    else
        sim_emit_full(c, corrupt);
    if (r->fault != SIM_FAULT_NONE) {
        s->m.faults[r->fault]++;
        s->t.faults++;
    } else {
        s->t.ok++;
    }
    if (r->out_tokens >= r->max_tokens)
        s->m.success_length++;
    else
        s->m.success_stop++;
    sim_prom_observe(&s->m.e2e, (double)(now - r->arrival_ns) / 1e9);
    r->last_ns = now;
    end_request(c, sim_fault_name(r->fault), 200, 1);
    sim_conn_response_done(c);
}

static void drop(sim_conn *c, uint64_t now)
{
    sim_server *s = c->srv;
    s->m.faults[SIM_FAULT_DROP]++;
    s->t.faults++;
    c->req.last_ns = now;
    end_request(c, "drop", 200, 1);
    sim_conn_flush(c); /* chunks coalesced before the drop still go out first */
    if (!c->dead)
        sim_conn_close(c, 0);
}

/* Books one emission: counters, histograms, the record, lateness. */
static void account(sim_conn *c, uint32_t ntok, uint64_t planned, uint64_t now)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    if (r->chunks == 0) {
        r->first_ns = now;
        r->first_plan_ns = planned;
        sim_prom_observe(&s->m.ttft, (double)(now - r->arrival_ns) / 1e9);
        s->m.prompt_tokens += r->prompt_tokens;
        s->t.prompt_tokens += r->prompt_tokens;
    } else {
        sim_prom_observe(&s->m.itl, (double)(now - r->prev_emit_ns) / 1e9);
    }
    if (!s->o.firehose)
        sim_lag_observe(&s->m.lag, now > planned ? now - planned : 0);
    if (r->emit_ns && r->chunks < r->emit_cap)
        r->emit_ns[r->chunks] = now;
    r->prev_emit_ns = now;
    r->chunks++;
    r->emitted += ntok;
    s->m.generation_tokens += ntok;
    s->t.output_tokens += ntok;
    s->t.chunks++;
    s->t.last_emit_ns = now;
}

/* Emits the next chunk; returns 1 while the stream goes on, 0 when it ended
 * (finished or dropped; the connection may be closed). */
static int emit_one(sim_conn *c, uint64_t planned, int flush)
{
    sim_req *r = &c->req;
    uint32_t tpc = (uint32_t)c->srv->o.tokens_per_chunk;
    uint32_t left = r->out_tokens - r->emitted;
    uint32_t n = left < tpc ? left : tpc;
    int fault_here = r->chunks == r->fault_chunk;
    if (fault_here && r->fault == SIM_FAULT_DROP) {
        drop(c, sb_now_ns());
        return 0;
    }
    int last = n == left;
    uint64_t now;
    if (r->stream) {
        sim_emit_chunk(c, r->emitted, n, last, fault_here && r->fault == SIM_FAULT_MALFORMED);
        /* Stamped as the bytes go to the kernel, before send(): a client's
         * receive time can never precede the recorded emission. */
        now = sb_now_ns();
        account(c, n, planned, now);
        if (flush)
            sim_conn_flush(c);
        if (c->dead)
            return 0;
    } else {
        now = sb_now_ns();
        account(c, n, planned, now);
    }
    if (last) {
        finish(c, now);
        return 0;
    }
    return 1;
}

/* A burst is formatted whole and written with one send(): per-chunk syscalls
 * would cap the rate far below what the socket takes. */
static void firehose_burst(sim_conn *c)
{
    for (int i = 0; i < FIREHOSE_BURST_CHUNKS; i++) {
        if (!emit_one(c, 0, 0))
            return;
    }
    sim_conn_flush(c);
    if (c->dead)
        return;
    if (sim_conn_pending(c) > 0) {
        c->gen_blocked = 1; /* resumes from the EPOLLOUT handler */
        c->blocked_plan = 0;
        return;
    }
    sim_heap_push(&c->srv->heap, &c->timer, 0);
}

/* The next plan after a chunk: one ITL per token it carried, plus a stall. */
static uint64_t next_plan(sim_conn *c, uint64_t planned)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    uint64_t next = planned + itl_ns(s, r, (uint32_t)s->o.tokens_per_chunk);
    if (r->fault == SIM_FAULT_STALL && r->chunks == r->fault_chunk)
        next += (uint64_t)(s->o.stall_ms * 1e6);
    return next;
}

void sim_model_emit_ready(sim_conn *c, uint64_t planned)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    if (c->dead || !c->busy || r->prefilled < r->prompt_tokens)
        return;
    r->phase = SIM_PH_DECODE;
    uint32_t tpc = (uint32_t)s->o.tokens_per_chunk;
    for (;;) {
        uint32_t left = r->out_tokens - r->emitted;
        if (r->produced - r->emitted < (left < tpc ? left : tpc))
            break; /* the next chunk's tokens are not all produced yet */
        if (r->fault == SIM_FAULT_STALL && r->chunks == r->fault_chunk && !r->stall_done) {
            /* the stream pauses; its tokens keep coming and go out after */
            r->stall_done = 1;
            sim_heap_push(&s->heap, &c->timer, planned + (uint64_t)(s->o.stall_ms * 1e6));
            break;
        }
        if (r->stream && sim_conn_out_full(c)) {
            c->gen_blocked = 1; /* the EPOLLOUT handler resumes through sim_model_tick */
            c->blocked_plan = planned;
            break;
        }
        if (!emit_one(c, planned, 0))
            return;
    }
    sim_conn_flush(c);
}

void sim_model_tick(sim_conn *c)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    if (c->dead || !c->busy)
        return;
    if (sim_step_on(s)) { /* a stall ended or a full socket drained */
        sim_model_emit_ready(c, c->timer.deadline_ns);
        return;
    }
    r->phase = SIM_PH_DECODE;
    if (s->o.firehose) {
        firehose_burst(c);
        return;
    }
    uint64_t planned = c->timer.deadline_ns;
    if (r->stream && sim_conn_out_full(c)) {
        /* The client does not read: produce nothing more until it does (the
         * EPOLLOUT handler resumes at this plan, or the write timeout drops it). */
        c->gen_blocked = 1;
        c->blocked_plan = planned;
        return;
    }
    /* A stream that fell behind its plan (an overloaded loop) sends every
     * chunk already due in one write, as a server catching up would, instead
     * of one syscall per overdue chunk; each keeps its own planned time. */
    for (int i = 0; i < FIREHOSE_BURST_CHUNKS; i++) {
        if (!emit_one(c, planned, 0))
            return;
        planned = next_plan(c, planned);
        if (planned > sb_now_ns() || sim_conn_out_full(c))
            break;
    }
    sim_conn_flush(c);
    if (!c->dead)
        sim_heap_push(&s->heap, &c->timer, planned);
}

/* The injected fault of r has already struck: its corrupt chunk was sent, or
 * its pause is under way. A client leaving then left because of it. */
static int fault_struck(const sim_req *r)
{
    if (r->fault == SIM_FAULT_MALFORMED)
        return r->chunks > r->fault_chunk;
    if (r->fault == SIM_FAULT_STALL)
        return r->phase != SIM_PH_WAITING && r->chunks == r->fault_chunk;
    return 0;
}

void sim_model_abort(sim_conn *c, const char *outcome)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    if (!c->busy)
        return;
    sim_heap_remove(&s->heap, &c->timer);
    c->gen_blocked = 0;
    r->last_ns = sb_now_ns();
    if (!outcome && fault_struck(r)) {
        /* Recorded and counted as the fault, not as a client that went away. */
        outcome = sim_fault_name(r->fault);
        s->m.faults[r->fault]++;
        s->t.faults++;
    } else {
        if (!outcome)
            outcome = "client_gone";
        s->m.client_gone++;
        s->t.client_gone++;
    }
    int in_batch = r->phase != SIM_PH_WAITING;
    if (!in_batch)
        wait_unlink(s, c);
    end_request(c, outcome, 200, in_batch);
}
