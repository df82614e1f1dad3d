/* SPDX-License-Identifier: Apache-2.0 */
/* sim_conn.c - one client connection: reads, writes, limits, closing.
 *
 * Level-triggered epoll, so the watched set is recomputed from the state
 * after every change (update_events): a condition that stays true once acted
 * on (end of input, a peer that shut its side, a socket that cannot take
 * more) must leave the set, or every wait returns at once and the loop spins.
 * Output is appended to the connection's buffer and written at once; what the
 * socket does not take waits for EPOLLOUT. Past max_out pending bytes the
 * connection produces nothing more (no reading, no parsing, no stream chunks)
 * until the client reads. Every state that waits on the client has a deadline
 * on the connection's I/O timer (docs/sim.md, LIMITS). A closed connection is
 * unlinked from everything at once but freed only at the end of the loop
 * iteration (the graveyard), so callers up the stack may test c->dead after
 * any call that can close. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "sim/sim_internal.h"

#define READ_CHUNK 16384

size_t sim_conn_pending(const sim_conn *c)
{
    return c->out.len - c->out_off;
}

int sim_conn_out_full(const sim_conn *c)
{
    return sim_conn_pending(c) >= c->srv->max_out;
}

/* Reading stops while output is over the cap, while a busy connection already
 * holds SIM_PIPELINE_BYTES of pipelined input, and after the end of input. */
static int wants_input(const sim_conn *c)
{
    if (c->peer_eof)
        return 0;
    if (c->draining)
        return 1;
    return !c->closing && !sim_conn_out_full(c) && !(c->busy && c->in.len >= SIM_PIPELINE_BYTES);
}

static void update_events(sim_conn *c)
{
    if (c->dead)
        return;
    uint32_t ev = (wants_input(c) ? EPOLLIN : 0) |
                  (!c->peer_eof && !c->rdhup_seen ? EPOLLRDHUP : 0) |
                  (sim_conn_pending(c) ? EPOLLOUT : 0);
    if (ev == c->events)
        return;
    struct epoll_event e = {.events = ev, .data.ptr = c};
    epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &e);
    c->events = ev;
}

/* The moment c stops being allowed to wait on its client, or 0 for none (a
 * busy connection with nothing pending waits on the model, not the client). */
static uint64_t io_deadline(const sim_conn *c)
{
    const sim_server *s = c->srv;
    if (c->draining)
        return c->last_out_ns + (uint64_t)SIM_LINGER_MS * 1000000u;
    if (sim_conn_pending(c))
        return c->last_out_ns + s->write_timeout_ns;
    if (c->busy)
        return 0;
    if (c->in.len)
        return c->in_first_ns + s->read_timeout_ns;
    return c->idle_since_ns + s->idle_timeout_ns;
}

/* Deadlines only move later while a state lasts, so the timer is re-queued
 * only when it must fire earlier; a late firing re-checks (sim_conn_on_timer).
 * That keeps the per-chunk cost at one comparison. */
static void io_arm(sim_conn *c)
{
    if (c->dead)
        return;
    uint64_t d = io_deadline(c);
    if (d && (c->io_timer.idx == SIM_TIMER_IDLE || d < c->io_timer.deadline_ns))
        sim_heap_push(&c->srv->heap, &c->io_timer, d);
}

sim_conn *sim_conn_new(sim_server *s, int fd)
{
    sim_conn *c = sb_xcalloc(1, sizeof *c);
    c->fd = fd;
    c->srv = s;
    sb_buf_init(&c->in);
    sb_buf_init(&c->out);
    sb_buf_init(&c->pool);
    sb_buf_init(&c->pfx_text);
    sim_timer_init(&c->timer);
    sim_timer_init(&c->io_timer);
    c->io_timer.io = 1;
    c->events = EPOLLIN | EPOLLRDHUP;
    struct epoll_event ev = {.events = c->events, .data.ptr = c};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        sb_buf_free(&c->in);
        sb_buf_free(&c->out);
        free(c);
        return NULL;
    }
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->t.connections++;
    c->idle_since_ns = sb_now_ns();
    io_arm(c);
    return c;
}

void sim_conn_free(sim_conn *c)
{
    sb_buf_free(&c->in);
    sb_buf_free(&c->out);
    sb_buf_free(&c->pool);
    sb_buf_free(&c->structured);
    sb_buf_free(&c->pfx_text);
    free(c->req.emit_ns);
    free(c->req.rec_messages);
    free(c->pfx_hash);
    free(c->pfx_ent);
    free(c);
}

/* Closes c; a request in progress is aborted with outcome (NULL: the client
 * left, or the injected fault that made it leave; sim_model_abort). */
static void close_why(sim_conn *c, int reset, const char *outcome)
{
    sim_server *s = c->srv;
    if (c->dead)
        return;
    if (c->busy)
        sim_model_abort(c, outcome);
    c->dead = 1;
    if (reset) {
        /* SO_LINGER 0 turns close() into an RST: the client sees ECONNRESET. */
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    sim_heap_remove(&s->heap, &c->timer);
    sim_heap_remove(&s->heap, &c->io_timer);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = NULL;
    c->next = s->graveyard;
    s->graveyard = c;
    if (s->accept_paused) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->lfd};
        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) == 0)
            s->accept_paused = 0;
    }
}

void sim_conn_close(sim_conn *c, int reset)
{
    close_why(c, reset, NULL);
}

/* The answer is out and c must close. After an error answer the client may
 * still be sending (the rest of a refused body, pipelined garbage): closing
 * with unread input makes the kernel send an RST, which can destroy the
 * answer before the client reads it. So shut the write side (the client sees
 * the end of the answer) and read and drop its bytes until it closes or
 * SIM_LINGER_MS pass. */
static void finish_close(sim_conn *c)
{
    if (!c->linger) {
        sim_conn_close(c, 0);
        return;
    }
    if (c->draining)
        return;
    shutdown(c->fd, SHUT_WR);
    c->draining = 1;
    c->last_out_ns = sb_now_ns();
    sb_buf_reset(&c->in);
}

void sim_conn_flush(sim_conn *c)
{
    int progressed = 0;
    while (!c->dead && c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->out_off += (size_t)n;
            c->srv->t.bytes_out += (uint64_t)n;
            progressed = 1;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* The write deadline counts from the last byte the socket took. */
            if (progressed || !c->last_out_ns)
                c->last_out_ns = sb_now_ns();
            update_events(c);
            io_arm(c);
            return;
        }
        sim_conn_close(c, 0); /* EPIPE, ECONNRESET: the client left */
        return;
    }
    if (c->dead)
        return;
    sb_buf_reset(&c->out);
    c->out_off = 0;
    c->last_out_ns = 0;
    if (c->closing && !c->busy)
        finish_close(c);
    update_events(c);
    io_arm(c);
}

void sim_conn_response_done(sim_conn *c)
{
    if (c->dead)
        return;
    if (!c->keep_alive || c->peer_eof)
        c->closing = 1;
    c->idle_since_ns = sb_now_ns();
    sim_conn_flush(c);
    if (!c->dead && !c->closing)
        sim_conn_process_input(c);
}

/* An HTTP-level error: answer and close, since the byte stream can no longer
 * be trusted to frame a next request. */
static void http_error(sim_conn *c, int status, const char *msg)
{
    c->keep_alive = 0;
    c->srv->m.client_errors++;
    c->srv->t.client_errors++;
    sim_api_error(c, status, status == 408 ? "RequestTimeoutError" : "BadRequestError", msg);
    c->closing = 1;
    c->linger = 1;
    sb_buf_reset(&c->in);
    sim_conn_flush(c);
}

void sim_conn_process_input(sim_conn *c)
{
    sim_server *s = c->srv;
    int waiting = 0; /* the input holds no whole request */
    while (!c->dead && !c->busy && !c->closing && !sim_conn_out_full(c)) {
        if (c->in.len == 0) {
            waiting = 1;
            break;
        }
        sim_http_req hr;
        int rc =
            sim_http_parse(c->in.data, c->in.len, s->o.max_header_bytes, s->o.max_body_bytes, &hr);
        if (rc == SIM_HTTP_INCOMPLETE) {
            waiting = 1;
            break;
        }
        if (rc == SIM_HTTP_ERROR) {
            http_error(c, hr.status, hr.error);
            return;
        }
        c->keep_alive = hr.keep_alive;
        c->chunked = sim_str_eq(hr.version, "HTTP/1.1");
        sim_api_handle(c, &hr);
        if (c->dead)
            return;
        sb_buf_consume(&c->in, hr.total_len);
        c->in_first_ns = c->idle_since_ns = sb_now_ns(); /* pipelined bytes: counted from now */
        if (!c->busy) {
            if (!c->keep_alive)
                c->closing = 1;
            sim_conn_flush(c);
        }
    }
    /* End of input with no whole request left (a request cut short, or none):
     * nothing more can come, so close once the answers are out. */
    if (!c->dead && c->peer_eof && waiting && !c->busy && !c->closing) {
        c->closing = 1;
        sim_conn_flush(c);
    }
}

/* Draining after an error answer: drop whatever comes until the client closes. */
static void drain(sim_conn *c)
{
    char junk[READ_CHUNK];
    for (;;) {
        ssize_t n = recv(c->fd, junk, sizeof junk, MSG_DONTWAIT);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        sim_conn_close(c, 0); /* end of input or an error: done */
        return;
    }
}

static void on_readable(sim_conn *c)
{
    sim_server *s = c->srv;
    if (c->draining) {
        drain(c);
        return;
    }
    if (!(c->events & EPOLLIN)) {
        /* The peer's FIN, reported while reading is paused: the bytes before it
         * are still unread. A request in progress is abandoned, as vLLM aborts
         * a request whose client disconnects; otherwise reading resumes later
         * and meets the end of input then. */
        if (c->busy) {
            sim_conn_close(c, 0);
            return;
        }
        c->rdhup_seen = 1;
        return;
    }
    /* Each read is parsed before the next, so pipelined requests are answered
     * (and the output cap can pause reading) as they come, and the input
     * buffer never holds more than one request plus one read. */
    while (!c->draining && wants_input(c)) {
        if (c->in.len == 0)
            c->in_first_ns = sb_now_ns(); /* the arrival time of the next request */
        sb_buf_reserve(&c->in, READ_CHUNK);
        ssize_t n = recv(c->fd, c->in.data + c->in.len, READ_CHUNK, MSG_DONTWAIT);
        if (n > 0) {
            c->in.len += (size_t)n;
            c->in.data[c->in.len] = '\0';
            /* Unreachable while the parser enforces its limits; a safety net. */
            if (c->in.len > s->o.max_header_bytes + s->o.max_body_bytes + READ_CHUNK) {
                sim_conn_close(c, 0);
                return;
            }
            sim_conn_process_input(c);
            if (c->dead || (size_t)n < READ_CHUNK)
                break;
            continue;
        }
        if (n == 0) {
            c->peer_eof = 1;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        sim_conn_close(c, 0);
        return;
    }
    if (c->dead)
        return;
    if (c->peer_eof && c->busy) {
        sim_conn_close(c, 0); /* the client left mid-request: abort it, as vLLM does */
        return;
    }
    sim_conn_process_input(c);
    /* The end of input came with the request (a half-close right after it):
     * counted as closed too, as vLLM aborts on disconnect. */
    if (!c->dead && c->peer_eof && c->busy)
        sim_conn_close(c, 0);
}

/* Output drained: a paused stream resumes, paused parsing goes on. */
static void on_drained(sim_conn *c)
{
    if (c->gen_blocked) {
        c->gen_blocked = 0;
        sim_heap_push(&c->srv->heap, &c->timer, c->blocked_plan);
    } else if (!c->busy && !c->closing) {
        sim_conn_process_input(c);
    }
}

void sim_conn_on_event(sim_conn *c, uint32_t events)
{
    if (c->dead)
        return;
    if (events & EPOLLERR) {
        sim_conn_close(c, 0); /* an RST from the client */
        return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
        on_readable(c);
    if (c->dead)
        return;
    if (events & EPOLLOUT) {
        sim_conn_flush(c);
        if (!c->dead && sim_conn_pending(c) == 0)
            on_drained(c);
    }
    /* Both directions are down: nothing can come or go any more. */
    if (!c->dead && (events & EPOLLHUP)) {
        sim_conn_close(c, 0);
        return;
    }
    update_events(c);
    io_arm(c);
}

void sim_conn_on_timer(sim_conn *c)
{
    if (c->dead)
        return;
    sim_server *s = c->srv;
    uint64_t d = io_deadline(c);
    if (!d)
        return;
    if (d > sb_now_ns()) {
        sim_heap_push(&s->heap, &c->io_timer, d);
        return;
    }
    if (c->draining) {
        sim_conn_close(c, 0);
    } else if (sim_conn_pending(c)) {
        /* The client stopped reading: drop it, recording why. */
        s->t.write_timeouts++;
        close_why(c, 0, "write_timeout");
    } else if (c->in.len) {
        s->t.read_timeouts++;
        http_error(c, 408,
                   "request not received in time (a request's bytes must all come "
                   "within the read timeout of its first byte)");
    } else {
        s->t.idle_timeouts++;
        sim_conn_close(c, 0);
    }
    if (!c->dead) {
        update_events(c);
        io_arm(c);
    }
}
