/* sim_conn.c - one client connection: reads, writes, closing.
 *
 * Level-triggered epoll. Output is appended to the connection's buffer and
 * written at once; what the socket does not take waits for EPOLLOUT, which is
 * only subscribed while something is pending (write-side backpressure). A
 * closed connection is unlinked from everything at once but freed only at the
 * end of the loop iteration (the graveyard), so callers up the stack may test
 * c->dead after any call that can close. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "sim/sim_internal.h"

#define READ_CHUNK 16384

static void set_events(sim_conn *c, int want_out)
{
    if (c->want_out == want_out)
        return;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0),
                             .data.ptr = c};
    epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want_out;
}

sim_conn *sim_conn_new(sim_server *s, int fd)
{
    sim_conn *c = sb_xcalloc(1, sizeof *c);
    c->fd = fd;
    c->srv = s;
    sb_buf_init(&c->in);
    sb_buf_init(&c->out);
    sb_buf_init(&c->pool);
    sim_timer_init(&c->timer);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
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
    return c;
}

void sim_conn_free(sim_conn *c)
{
    sb_buf_free(&c->in);
    sb_buf_free(&c->out);
    sb_buf_free(&c->pool);
    free(c->req.emit_ns);
    free(c);
}

void sim_conn_close(sim_conn *c, int reset)
{
    sim_server *s = c->srv;
    if (c->dead)
        return;
    if (c->busy)
        sim_model_abort(c, "client_gone");
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

void sim_conn_flush(sim_conn *c)
{
    while (!c->dead && c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->out_off += (size_t)n;
            c->srv->t.bytes_out += (uint64_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_events(c, 1);
            return;
        }
        sim_conn_close(c, 0); /* EPIPE, ECONNRESET: the client left */
        return;
    }
    if (c->dead)
        return;
    sb_buf_reset(&c->out);
    c->out_off = 0;
    set_events(c, 0);
    if (c->closing && !c->busy)
        sim_conn_close(c, 0);
}

void sim_conn_response_done(sim_conn *c)
{
    if (c->dead)
        return;
    if (!c->keep_alive || c->peer_eof)
        c->closing = 1;
    sim_conn_flush(c);
    if (!c->dead && !c->closing)
        sim_conn_process_input(c);
}

/* An HTTP-level error: answer and close, since the byte stream can no longer
 * be trusted to frame a next request. */
static void http_error(sim_conn *c, const sim_http_req *hr)
{
    c->keep_alive = 0;
    c->srv->m.client_errors++;
    c->srv->t.client_errors++;
    sim_api_error(c, hr->status, "BadRequestError", hr->error);
    c->closing = 1;
    sim_conn_flush(c);
}

void sim_conn_process_input(sim_conn *c)
{
    sim_server *s = c->srv;
    while (!c->dead && !c->busy && !c->closing && c->in.len > 0) {
        sim_http_req hr;
        int rc =
            sim_http_parse(c->in.data, c->in.len, s->o.max_header_bytes, s->o.max_body_bytes, &hr);
        if (rc == SIM_HTTP_INCOMPLETE)
            return;
        if (rc == SIM_HTTP_ERROR) {
            http_error(c, &hr);
            return;
        }
        c->keep_alive = hr.keep_alive;
        c->chunked = sim_str_eq(hr.version, "HTTP/1.1");
        sim_api_handle(c, &hr);
        if (c->dead)
            return;
        sb_buf_consume(&c->in, hr.total_len);
        c->in_first_ns = sb_now_ns(); /* pipelined bytes: counted from now */
        if (!c->busy) {
            if (!c->keep_alive)
                c->closing = 1;
            sim_conn_flush(c);
        }
    }
    if (!c->dead && c->peer_eof && !c->busy) {
        c->closing = 1;
        sim_conn_flush(c);
    }
}

static void on_readable(sim_conn *c)
{
    sim_server *s = c->srv;
    for (;;) {
        if (c->in.len == 0)
            c->in_first_ns = sb_now_ns(); /* the arrival time of the next request */
        sb_buf_reserve(&c->in, READ_CHUNK);
        ssize_t n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len - 1, MSG_DONTWAIT);
        if (n > 0) {
            c->in.len += (size_t)n;
            c->in.data[c->in.len] = '\0';
            /* A client pipelining past every limit while busy is cut off. */
            if (c->in.len > s->o.max_header_bytes + s->o.max_body_bytes + READ_CHUNK) {
                sim_conn_close(c, 0);
                return;
            }
            if ((size_t)n < READ_CHUNK)
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
    if (c->peer_eof && c->busy) {
        sim_conn_close(c, 0); /* the client left mid-request: abort it, as vLLM does */
        return;
    }
    sim_conn_process_input(c);
}

void sim_conn_on_event(sim_conn *c, uint32_t events)
{
    if (c->dead)
        return;
    if (events & EPOLLERR) {
        sim_conn_close(c, 0);
        return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
        on_readable(c);
    if (c->dead)
        return;
    if (events & EPOLLOUT) {
        sim_conn_flush(c);
        if (!c->dead && c->firehose_blocked && c->out_off >= c->out.len) {
            c->firehose_blocked = 0;
            sim_heap_push(&c->srv->heap, &c->timer, 0);
        }
    }
    /* Peer fully gone while we wait on a timer: EPOLLHUP keeps firing, so stop. */
    if (!c->dead && (events & EPOLLHUP))
        sim_conn_close(c, 0);
}
