/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine.c - the engine (src/http/engine.c, native.c) against a tiny
 * raw-socket HTTP server running on a thread of this test: receive
 * timestamps, connection reuse, and each transport failure (refused, reset,
 * stall timeout, HTTP error), on the own HTTP/1.1 transport and on libcurl
 * in both loop flavours (epoll and poll); then what only the own transport
 * does itself: responses split at every byte, keep-alive pool, closes,
 * max_conns queueing, timeouts, and request bytes equal to libcurl's. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "http/engine.h"
#include "http/engine_int.h"

enum mode {
    M_STREAM,
    M_RESET,
    M_STALL,
    M_500,
    M_SPLIT,      /* resp written in two parts, split at s->k (then k++) */
    M_CONN_CLOSE, /* "Connection: close", then close */
    M_IDLE_CLOSE, /* a keep-alive answer, then close (s->closed set after) */
    M_DROP_2ND,   /* answer the first request; read the second and close */
    M_204,        /* 204 No Content, no body */
    M_GARBAGE,    /* not HTTP at all */
    M_SHORT,      /* Content-Length 10, 5 bytes, close */
    M_HUGE,       /* a body longer than eng_fetch keeps, until the client closes */
    M_EARLY_413,  /* reads the head only, answers 413 and closes (RST: body unread) */
    M_TRAILING,   /* a keep-alive answer with bytes after its Content-Length body */
};

typedef struct rawsrv {
    int lfd, port;
    enum mode mode;
    int accepts;
    int requests;
    volatile int cfd;    /* connection being served, -1 none */
    uint64_t sent_ns[8]; /* when each SSE piece was written */
    const char *resp;    /* M_SPLIT: the response */
    size_t k;            /* M_SPLIT: the next split point */
    volatile int closed; /* M_IDLE_CLOSE: connections closed after an answer */
    sb_buf cap;          /* every request's bytes, as read */
    pthread_t th;
} rawsrv;

static int read_request(int fd, sb_buf *cap)
{
    char buf[8192];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            return -1;
        sb_buf_append(cap, buf + len, (size_t)r);
        len += (size_t)r;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (!end)
            continue;
        char *cl = strcasestr(buf, "content-length:");
        size_t body = cl ? (size_t)atol(cl + 15) : 0;
        size_t have = len - (size_t)(end + 4 - buf);
        while (have < body) {
            r = read(fd, buf, sizeof buf);
            if (r <= 0)
                return -1;
            sb_buf_append(cap, buf, (size_t)r);
            have += (size_t)r;
        }
        return 0;
    }
}

static void put(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return;
        s += w, n -= (size_t)w;
    }
}

static void chunk(int fd, const char *s)
{
    char hdr[32];
    snprintf(hdr, sizeof hdr, "%zx\r\n", strlen(s));
    put(fd, hdr);
    put(fd, s);
    put(fd, "\r\n");
}

static void serve_conn(rawsrv *s, int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int on_conn = 0;
    if (s->mode == M_EARLY_413) {
        char buf[8192];
        size_t len = 0;
        ssize_t r;
        while (len < sizeof buf - 1 && (r = read(fd, buf + len, sizeof buf - 1 - len)) > 0) {
            len += (size_t)r;
            buf[len] = '\0';
            if (strstr(buf, "\r\n\r\n"))
                break;
        }
        put(fd, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    }
    while (read_request(fd, &s->cap) == 0) {
        s->requests++;
        on_conn++;
        if (s->mode == M_SPLIT) {
            size_t n = strlen(s->resp), k = s->k++ % n;
            if (write(fd, s->resp, k) < 0)
                return;
            sb_sleep_until_ns(sb_now_ns() + 300 * SB_NS_PER_US);
            put(fd, s->resp + k);
            continue;
        }
        if (s->mode == M_CONN_CLOSE) {
            put(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
            return;
        }
        if (s->mode == M_IDLE_CLOSE) {
            put(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            return; /* srv_main closes, then counts */
        }
        if (s->mode == M_DROP_2ND) {
            if (on_conn == 2)
                return;
            put(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            continue;
        }
        if (s->mode == M_GARBAGE) {
            put(fd, "HELLO THERE\r\n\r\n");
            return;
        }
        if (s->mode == M_SHORT) {
            put(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
            return;
        }
        if (s->mode == M_HUGE) {
            put(fd, "HTTP/1.1 200 OK\r\nContent-Length: 68000000\r\n\r\n");
            static char mib[1 << 20];
            memset(mib, 'x', sizeof mib);
            for (int i = 0; i < 65; i++)
                if (write(fd, mib, sizeof mib) <= 0)
                    return;
            return;
        }
        if (s->mode == M_TRAILING) {
            put(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n");
            continue;
        }
        if (s->mode == M_204) {
            put(fd, "HTTP/1.1 204 No Content\r\n\r\n");
            continue;
        }
        if (s->mode == M_500) {
            put(fd, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 11\r\n\r\nbad things!");
            continue;
        }
        put(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                "Transfer-Encoding: chunked\r\n\r\n");
        if (s->mode == M_STALL) {
            sb_sleep_until_ns(sb_now_ns() + 1500 * SB_NS_PER_MS);
            return;
        }
        for (int i = 0; i < 4; i++) {
            sb_sleep_until_ns(sb_now_ns() + 20 * SB_NS_PER_MS);
            s->sent_ns[i] = sb_now_ns();
            chunk(fd, "data: {\"choices\":[{\"text\":\"x\"}]}\n\n");
            if (s->mode == M_RESET && i == 1) {
                struct linger lg = {1, 0};
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
                return; /* close with RST */
            }
        }
        chunk(fd, "data: [DONE]\n\n");
        put(fd, "0\r\n\r\n");
    }
}

static void *srv_main(void *ud)
{
    rawsrv *s = ud;
    for (;;) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        s->accepts++;
        s->cfd = fd;
        serve_conn(s, fd);
        s->cfd = -1;
        close(fd);
        s->closed++;
    }
}

static void srv_start(rawsrv *s, enum mode m)
{
    memset(s, 0, sizeof *s);
    sb_buf_init(&s->cap);
    s->mode = m;
    s->cfd = -1;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
    listen(s->lfd, 16);
    socklen_t al = sizeof a;
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->th, NULL, srv_main, s);
}

/* Stops the server thread; s->cap stays (srv_stop frees it). */
static void srv_join(rawsrv *s)
{
    shutdown(s->lfd, SHUT_RDWR); /* wakes accept(); close only after the join */
    int c = s->cfd;
    if (c >= 0)
        shutdown(c, SHUT_RDWR); /* the client keeps idle connections open */
    pthread_join(s->th, NULL);
    close(s->lfd);
}

static void srv_stop(rawsrv *s)
{
    srv_join(s);
    sb_buf_free(&s->cap);
}

typedef struct got {
    int status;
    uint64_t ts[32];
    int npieces;
    sb_buf body;
    sb_fail why;
    char msg[512];
    bool done, aborted;
    int ndone; /* on_done calls: exactly one per start */
} got;

static void g_status(void *ud, int st)
{
    ((got *)ud)->status = st;
}
static int g_body(void *ud, const char *p, size_t n, uint64_t t, uint64_t krx)
{
    (void)krx;
    got *g = ud;
    if (g->npieces < 32)
        g->ts[g->npieces] = t;
    g->npieces++;
    sb_buf_append(&g->body, p, n);
    return 0;
}
static void g_done(void *ud, sb_fail why, const char *msg, bool aborted, uint64_t t)
{
    (void)t;
    got *g = ud;
    g->why = why;
    g->aborted = aborted;
    snprintf(g->msg, sizeof g->msg, "%s", msg ? msg : "");
    g->done = true;
    g->ndone++;
}
static const eng_ops ops = {g_status, g_body, g_done};

static void run_one(eng *e, eng_xfer *x, const char *url, got *g)
{
    memset(g, 0, sizeof *g);
    sb_buf_init(&g->body);
    assert_true(eng_xfer_start(x, url, NULL, "{}", 2, &ops, g) > 0);
    uint64_t give_up = sb_now_ns() + 10 * SB_NS_PER_S;
    while (!g->done && sb_now_ns() < give_up)
        eng_step(e, sb_now_ns() + 100 * SB_NS_PER_MS);
    assert_true(g->done);
}

/* The three ways a transfer runs: the own HTTP/1.1 transport (the default
 * for plain http://), libcurl on epoll, libcurl on curl_multi_poll. */
enum flavour { F_OWN, F_CURL, F_POLL };

static eng_opts opts_of(enum flavour f)
{
    return (eng_opts){.use_poll = f == F_POLL, .curl_only = f == F_CURL};
}

static void url_of(char *url, size_t n, const rawsrv *s)
{
    snprintf(url, n, "http://127.0.0.1:%d/v1/completions", s->port);
}

/* One case's server, engine, URL and (when asked for) transfer. */
typedef struct fixture {
    rawsrv s;
    eng *e;
    eng_xfer *x; /* NULL unless fix_start made one */
    char url[64];
} fixture;

static void fix_start(fixture *f, enum mode m, eng_opts o, bool with_xfer)
{
    srv_start(&f->s, m);
    sb_err err;
    f->e = eng_new(&o, &err);
    assert_non_null(f->e);
    f->x = with_xfer ? eng_xfer_new(f->e) : NULL;
    url_of(f->url, sizeof f->url, &f->s);
}

static void fix_stop(fixture *f)
{
    eng_xfer_free(f->x);
    eng_free(f->e);
    srv_stop(&f->s);
}

static void check_stream_and_reuse(enum flavour f)
{
    rawsrv s;
    srv_start(&s, M_STREAM);
    eng_opts o = opts_of(f);
    o.max_conns = 1;
    sb_err err;
    eng *e = eng_new(&o, &err);
    assert_non_null(e);
    eng_xfer *x = eng_xfer_new(e);
    char url[64];
    url_of(url, sizeof url, &s);
    for (int k = 0; k < 3; k++) {
        got g;
        run_one(e, x, url, &g);
        assert_int_equal(g.why, SB_FAIL_NONE);
        assert_int_equal(g.status, 200);
        assert_non_null(strstr(g.body.data, "[DONE]"));
        assert_true(g.npieces >= 4);
        /* each piece is stamped after it was sent, in order (how soon after
         * is a benchmark figure: bench/engine.md) */
        for (int i = 0; i < 4; i++) {
            assert_true(g.ts[i] >= s.sent_ns[i]);
            if (i)
                assert_true(g.ts[i] >= g.ts[i - 1]);
        }
        sb_buf_free(&g.body);
    }
    assert_int_equal(s.accepts, 1); /* one connection, reused */
    assert_int_equal(s.requests, 3);
    assert_int_equal(eng_open_conns(e), 1);
    eng_xfer_free(x);
    eng_free(e);
    srv_stop(&s);
}

static void engine_streams_with_timestamps_and_reuses_connection(void **state)
{
    (void)state;
    check_stream_and_reuse(F_OWN);
    check_stream_and_reuse(F_CURL);
}

static void engine_poll_loop_does_the_same(void **state)
{
    (void)state;
    check_stream_and_reuse(F_POLL);
}

static void check_transport_failures(enum flavour f)
{
    eng_opts o = opts_of(f);
    o.stall_s = 0.5;
    sb_err err;
    eng *e = eng_new(&o, &err);
    eng_xfer *x = eng_xfer_new(e);
    char url[64];
    got g;

    /* refused: a port that was just closed */
    rawsrv s;
    srv_start(&s, M_STREAM);
    int dead_port = s.port;
    srv_stop(&s);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/completions", dead_port);
    run_one(e, x, url, &g);
    assert_int_equal(g.why, SB_FAIL_CONNECT);
    assert_non_null(strstr(g.msg, url));
    assert_non_null(strstr(g.msg, "Couldn't connect")); /* the same words on both paths */
    sb_buf_free(&g.body);

    srv_start(&s, M_RESET);
    url_of(url, sizeof url, &s);
    run_one(e, x, url, &g);
    assert_int_equal(g.why, SB_FAIL_RESET);
    assert_true(g.npieces >= 1);
    assert_non_null(strstr(g.msg, url));
    sb_buf_free(&g.body);
    srv_stop(&s);

    srv_start(&s, M_STALL);
    url_of(url, sizeof url, &s);
    uint64_t t0 = sb_now_ns();
    run_one(e, x, url, &g);
    assert_int_equal(g.why, SB_FAIL_TIMEOUT);
    assert_true(sb_now_ns() - t0 < 1400 * SB_NS_PER_MS); /* before the server gave up */
    sb_buf_free(&g.body);
    srv_stop(&s);

    /* a reply that is not HTTP; a body cut short by the close */
    srv_start(&s, M_GARBAGE);
    url_of(url, sizeof url, &s);
    run_one(e, x, url, &g);
    assert_int_equal(g.why, SB_FAIL_OTHER);
    assert_non_null(strstr(g.msg, url));
    sb_buf_free(&g.body);
    srv_stop(&s);
    srv_start(&s, M_SHORT);
    url_of(url, sizeof url, &s);
    run_one(e, x, url, &g);
    assert_int_equal(g.why, SB_FAIL_RESET);
    assert_non_null(strstr(g.msg, url));
    sb_buf_free(&g.body);
    srv_stop(&s);

    srv_start(&s, M_500);
    url_of(url, sizeof url, &s);
    run_one(e, x, url, &g);
    assert_int_equal(g.why, SB_FAIL_NONE);
    assert_int_equal(g.status, 500);
    assert_string_equal(g.body.data, "bad things!");
    sb_buf_free(&g.body);
    srv_stop(&s);

    assert_int_equal(eng_running(e), 0);
    eng_xfer_free(x);
    eng_free(e);
}

static void engine_maps_transport_failures(void **state)
{
    (void)state;
    check_transport_failures(F_OWN);
    check_transport_failures(F_CURL);
}

/* Chunked and Content-Length responses cut in two at every byte through a
 * real socket: the same status and body each time, one connection. */
static void own_transport_parses_responses_split_at_every_byte(void **state)
{
    (void)state;
    static const char *const resps[] = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: "
                                        "chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                                        "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"};
    for (size_t r = 0; r < 2; r++) {
        rawsrv s;
        srv_start(&s, M_SPLIT);
        s.resp = resps[r];
        s.k = 1;
        eng_opts o = {0};
        sb_err err;
        eng *e = eng_new(&o, &err);
        eng_xfer *x = eng_xfer_new(e);
        char url[64];
        url_of(url, sizeof url, &s);
        size_t n = strlen(resps[r]);
        for (size_t k = 1; k < n; k++) {
            got g;
            run_one(e, x, url, &g);
            assert_int_equal(g.why, SB_FAIL_NONE);
            assert_int_equal(g.status, 200);
            assert_int_equal(g.body.len, 11);
            assert_memory_equal(g.body.data, "hello world", 11);
            sb_buf_free(&g.body);
        }
        assert_int_equal(s.accepts, 1);
        eng_xfer_free(x);
        eng_free(e);
        srv_stop(&s);
    }
}

static void wait_closed(rawsrv *s, int n)
{
    uint64_t give_up = sb_now_ns() + 10 * SB_NS_PER_S;
    while (s->closed < n && sb_now_ns() < give_up)
        sb_sleep_until_ns(sb_now_ns() + SB_NS_PER_MS);
    assert_true(s->closed >= n);
}

/* Connection: close, and a pooled connection the server closed while idle:
 * the next request opens a new connection and nothing fails. */
static void own_transport_opens_anew_after_a_close(void **state)
{
    (void)state;
    enum mode modes[] = {M_CONN_CLOSE, M_IDLE_CLOSE};
    for (size_t m = 0; m < 2; m++) {
        rawsrv s;
        srv_start(&s, modes[m]);
        eng_opts o = {.max_conns = 1};
        sb_err err;
        eng *e = eng_new(&o, &err);
        eng_xfer *x = eng_xfer_new(e);
        char url[64];
        url_of(url, sizeof url, &s);
        for (int k = 0; k < 3; k++) {
            got g;
            wait_closed(&s, k); /* the close is on the client's socket before it reuses it */
            run_one(e, x, url, &g);
            assert_int_equal(g.why, SB_FAIL_NONE);
            assert_string_equal(g.body.data, "ok");
            sb_buf_free(&g.body);
        }
        assert_int_equal(s.accepts, 3);
        assert_int_equal(s.requests, 3);
        eng_xfer_free(x);
        eng_free(e);
        srv_stop(&s);
    }
}

/* A reused connection the server closes after reading the request: a
 * reset, and the request is not sent again (one attempt, one request). */
static void own_transport_never_resends_on_a_reused_connection(void **state)
{
    (void)state;
    fixture f;
    fix_start(&f, M_DROP_2ND, (eng_opts){.max_conns = 1}, true);
    got g;
    run_one(f.e, f.x, f.url, &g);
    assert_int_equal(g.why, SB_FAIL_NONE);
    sb_buf_free(&g.body);
    run_one(f.e, f.x, f.url, &g);
    assert_int_equal(g.why, SB_FAIL_RESET);
    assert_non_null(strstr(g.msg, "the reused connection closed before the response"));
    assert_non_null(strstr(g.msg, f.url));
    sb_buf_free(&g.body);
    wait_closed(&f.s, 1);
    assert_int_equal(f.s.requests, 2);
    assert_int_equal(f.s.accepts, 1);
    fix_stop(&f);
}

static void own_transport_takes_a_204_without_body(void **state)
{
    (void)state;
    fixture f;
    fix_start(&f, M_204, (eng_opts){0}, true);
    for (int k = 0; k < 2; k++) {
        got g;
        run_one(f.e, f.x, f.url, &g);
        assert_int_equal(g.why, SB_FAIL_NONE);
        assert_int_equal(g.status, 204); /* on_status before on_done, with no body */
        assert_int_equal(g.body.len, 0);
        sb_buf_free(&g.body);
    }
    assert_int_equal(f.s.accepts, 1);
    fix_stop(&f);
}

/* max_conns 1 and three transfers started at once: they wait their turn
 * for the one connection (FIFO) and all complete. */
static void own_transport_queues_beyond_max_conns(void **state)
{
    (void)state;
    fixture f;
    fix_start(&f, M_500, (eng_opts){.max_conns = 1}, false);
    eng_xfer *x[3];
    got g[3];
    for (int i = 0; i < 3; i++) {
        x[i] = eng_xfer_new(f.e);
        memset(&g[i], 0, sizeof g[i]);
        sb_buf_init(&g[i].body);
        assert_true(eng_xfer_start(x[i], f.url, NULL, "{}", 2, &ops, &g[i]) > 0);
    }
    assert_int_equal(eng_open_conns(f.e), 1);
    uint64_t give_up = sb_now_ns() + 10 * SB_NS_PER_S;
    while (eng_running(f.e) > 0 && sb_now_ns() < give_up)
        eng_step(f.e, sb_now_ns() + 100 * SB_NS_PER_MS);
    for (int i = 0; i < 3; i++) {
        assert_true(g[i].done);
        assert_int_equal(g[i].why, SB_FAIL_NONE);
        assert_int_equal(g[i].status, 500);
        sb_buf_free(&g[i].body);
        eng_xfer_free(x[i]);
    }
    assert_int_equal(f.s.accepts, 1);
    assert_int_equal(f.s.requests, 3);
    fix_stop(&f);
}

static void own_transport_request_timeout(void **state)
{
    (void)state;
    fixture f;
    fix_start(&f, M_STALL, (eng_opts){.timeout_s = 0.3}, true);
    got g;
    run_one(f.e, f.x, f.url, &g);
    assert_int_equal(g.why, SB_FAIL_TIMEOUT);
    assert_non_null(strstr(g.msg, "timed out"));
    assert_non_null(strstr(g.msg, f.url));
    sb_buf_free(&g.body);
    fix_stop(&f);
}

/* A request timeout of a transfer still waiting for a connection (max_conns
 * 1) ends it once: it leaves the queue and is never sent afterwards. */
static void own_transport_timeout_while_queued_ends_once(void **state)
{
    (void)state;
    fixture f;
    fix_start(&f, M_STALL, (eng_opts){.max_conns = 1, .timeout_s = 0.3}, false);
    eng_xfer *x[2];
    got g[2];
    for (int i = 0; i < 2; i++) {
        x[i] = eng_xfer_new(f.e);
        memset(&g[i], 0, sizeof g[i]);
        sb_buf_init(&g[i].body);
        assert_true(eng_xfer_start(x[i], f.url, NULL, "{}", 2, &ops, &g[i]) > 0);
    }
    uint64_t give_up = sb_now_ns() + 10 * SB_NS_PER_S;
    while (eng_running(f.e) > 0 && sb_now_ns() < give_up)
        eng_step(f.e, sb_now_ns() + 100 * SB_NS_PER_MS);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(g[i].ndone, 1);
        assert_int_equal(g[i].why, SB_FAIL_TIMEOUT);
    }
    assert_int_equal(eng_open_conns(f.e), 0); /* the queued one never took a connection */
    for (int i = 0; i < 5; i++)
        eng_step(f.e, sb_now_ns() + 20 * SB_NS_PER_MS);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(g[i].ndone, 1);
        sb_buf_free(&g[i].body);
        eng_xfer_free(x[i]);
    }
    fix_stop(&f);
}

/* A server that answers (413) before the request body is written and
 * closes: the answer queued ahead of the reset is read and reported, as
 * libcurl reads before it writes. */
static void own_transport_reads_an_early_answer(void **state)
{
    (void)state;
    rawsrv s;
    srv_start(&s, M_EARLY_413);
    sb_err err;
    eng_opts o = {0};
    eng *e = eng_new(&o, &err);
    char url[64];
    url_of(url, sizeof url, &s);
    size_t blen = (size_t)16 << 20;
    char *body = malloc(blen);
    memset(body, 'b', blen);
    eng_xfer *x = eng_xfer_new(e);
    got g;
    memset(&g, 0, sizeof g);
    sb_buf_init(&g.body);
    assert_true(eng_xfer_start(x, url, NULL, body, blen, &ops, &g) > 0);
    /* the answer and the reset both arrive before the next step */
    uint64_t give_up = sb_now_ns() + 10 * SB_NS_PER_S;
    while (s.closed == 0 && sb_now_ns() < give_up)
        sb_sleep_until_ns(sb_now_ns() + SB_NS_PER_MS);
    sb_sleep_until_ns(sb_now_ns() + 50 * SB_NS_PER_MS);
    while (!g.done && sb_now_ns() < give_up)
        eng_step(e, sb_now_ns() + 100 * SB_NS_PER_MS);
    assert_int_equal(g.ndone, 1);
    if (g.why != SB_FAIL_NONE)
        fprintf(stderr, "early answer: %s\n", g.msg);
    assert_int_equal(g.why, SB_FAIL_NONE);
    assert_int_equal(g.status, 413);
    assert_int_equal(eng_open_conns(e), 0);
    sb_buf_free(&g.body);
    eng_xfer_free(x);
    free(body);
    eng_free(e);
    srv_stop(&s);
}

/* Bytes after a response's Content-Length body are no part of it, and the
 * connection that carried them is not reused: each request opens anew. */
static void own_transport_drops_bytes_after_the_end(void **state)
{
    (void)state;
    fixture f;
    fix_start(&f, M_TRAILING, (eng_opts){0}, true);
    for (int k = 0; k < 2; k++) {
        got g;
        run_one(f.e, f.x, f.url, &g);
        assert_int_equal(g.ndone, 1);
        assert_int_equal(g.why, SB_FAIL_NONE);
        assert_int_equal(g.status, 200);
        assert_int_equal(g.body.len, 2);
        assert_memory_equal(g.body.data, "ok", 2);
        assert_int_equal(eng_open_conns(f.e), 0);
        sb_buf_free(&g.body);
    }
    fix_stop(&f);
    assert_int_equal(f.s.accepts, 2);
}

/* The own transport puts the same bytes on the wire as libcurl for the
 * same transfer (h1_request_head), headers replaced, removed and added. */
static void own_transport_request_bytes_equal_libcurls(void **state)
{
    (void)state;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Authorization: Bearer k");
    h = curl_slist_append(h, "Accept:");
    h = curl_slist_append(h, "x-empty;");
    h = curl_slist_append(h, "x-request-id: bench-7");
    static const char body[] = "{\"prompt\":\"hi\",\"stream\":true}";
    /* one server for both, so the Host header names the same port */
    rawsrv s;
    srv_start(&s, M_500);
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/completions?a=1", s.port);
    size_t own_len = 0;
    for (int f = 0; f < 2; f++) {
        eng_opts o = opts_of(f ? F_CURL : F_OWN);
        sb_err err;
        eng *e = eng_new(&o, &err);
        eng_xfer *x = eng_xfer_new(e);
        got g = {0};
        sb_buf_init(&g.body);
        assert_true(eng_xfer_start(x, url, h, body, sizeof body - 1, &ops, &g) > 0);
        while (!g.done)
            eng_step(e, sb_now_ns() + 100 * SB_NS_PER_MS);
        g.done = false;
        assert_true(eng_xfer_start(x, url, NULL, NULL, 0, &ops, &g) > 0); /* a GET */
        while (!g.done)
            eng_step(e, sb_now_ns() + 100 * SB_NS_PER_MS);
        assert_int_equal(g.status, 500);
        sb_buf_free(&g.body);
        eng_xfer_free(x);
        eng_free(e);
        uint64_t give_up = sb_now_ns() + 10 * SB_NS_PER_S;
        while (s.requests < 2 * (f + 1) && sb_now_ns() < give_up)
            sb_sleep_until_ns(sb_now_ns() + SB_NS_PER_MS);
        if (!f)
            own_len = s.cap.len;
    }
    srv_join(&s); /* cap is complete */
    sb_buf cap[2];
    sb_buf_init(&cap[0]);
    sb_buf_init(&cap[1]);
    sb_buf_append(&cap[0], s.cap.data, own_len);
    sb_buf_append(&cap[1], s.cap.data + own_len, s.cap.len - own_len);
    sb_buf_free(&s.cap);
    curl_slist_free_all(h);
    assert_int_equal(cap[0].len, cap[1].len);
    assert_memory_equal(cap[0].data, cap[1].data, cap[0].len);
    assert_non_null(strstr(cap[0].data, "x-request-id: bench-7"));
    sb_buf_free(&cap[0]);
    sb_buf_free(&cap[1]);
}

/* eng_fetch on a plain http:// URL goes over the own transport (no
 * libcurl): the same request bytes as libcurl's eng_fetch, status and body,
 * one kept connection, and each failure in libcurl's words. */
static int fetch_of(eng *e, const char *method, const rawsrv *s, const char *body,
                    const struct curl_slist *h, double timeout_s, sb_buf *out, sb_err *err)
{
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics?x=1", s->port);
    sb_buf_reset(out);
    return eng_fetch(e, method, url, h, body, out, timeout_s, err);
}

static void eng_fetch_own_transport(void **state)
{
    (void)state;
    sb_err err;
    eng_opts o = {0}, oc = {.curl_only = true};
    eng *e = eng_new(&o, &err), *ec = eng_new(&oc, &err);
    assert_non_null(e);
    assert_non_null(ec);
    sb_buf out;
    sb_buf_init(&out);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Authorization: Bearer k");
    h = curl_slist_append(h, "Expect:");
    rawsrv s;
    srv_start(&s, M_500);
    /* status, body, the bytes on the wire equal libcurl's, one kept connection */
    for (int k = 0; k < 2; k++) {
        assert_int_equal(fetch_of(ec, "POST", &s, "{\"a\":1}", h, 5, &out, &err), 500);
        assert_string_equal(out.data, "bad things!");
    }
    assert_int_equal(fetch_of(ec, "GET", &s, NULL, h, 5, &out, &err), 500);
    assert_int_equal(s.accepts, 1);
    char *curl_bytes = sb_xstrdup(s.cap.data);
    eng_free(ec); /* closes its kept connection: the server serves one at a time */
    sb_buf_reset(&s.cap);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(fetch_of(e, "POST", &s, "{\"a\":1}", h, 5, &out, &err), 500);
        assert_string_equal(out.data, "bad things!");
    }
    assert_int_equal(fetch_of(e, "GET", &s, NULL, h, 5, &out, &err), 500);
    assert_int_equal(s.accepts, 2); /* one more: the own one, kept */
    assert_string_equal(s.cap.data, curl_bytes);
    free(curl_bytes);
    srv_stop(&s);
    /* a kept connection the server closed: a fresh one, the request sent once */
    srv_start(&s, M_IDLE_CLOSE);
    for (int k = 0; k < 3; k++)
        assert_int_equal(fetch_of(e, "GET", &s, NULL, NULL, 5, &out, &err), 200);
    assert_int_equal(s.requests, 3);
    srv_stop(&s);
    /* the reply cap */
    srv_start(&s, M_HUGE);
    assert_int_equal(fetch_of(e, "GET", &s, NULL, NULL, 30, &out, &err), -1);
    assert_non_null(strstr(err.msg, "the reply is longer than 67108864 bytes"));
    assert_true(out.len <= FETCH_MAX);
    srv_stop(&s);
    /* a server that closes early, one that is not HTTP */
    srv_start(&s, M_SHORT);
    assert_int_equal(fetch_of(e, "GET", &s, NULL, NULL, 5, &out, &err), -1);
    assert_non_null(strstr(err.msg, "GET http://127.0.0.1:"));
    assert_non_null(strstr(err.msg, "/metrics?x=1: Transferred a partial file: "));
    s.mode = M_GARBAGE;
    assert_int_equal(fetch_of(e, "GET", &s, NULL, NULL, 5, &out, &err), -1);
    assert_non_null(strstr(err.msg, ": Weird server reply: "));
    /* a timeout: headers, then nothing */
    s.mode = M_STALL;
    uint64_t t0 = sb_now_ns();
    assert_int_equal(fetch_of(e, "GET", &s, NULL, NULL, 0.3, &out, &err), -1);
    assert_true(sb_now_ns() - t0 < 1400 * SB_NS_PER_MS); /* not the server's 1.5 s */
    assert_non_null(strstr(err.msg, ": Timeout was reached: Operation timed out after "));
    srv_stop(&s);
    /* a refused connect (the port is closed now) */
    assert_int_equal(fetch_of(e, "GET", &s, NULL, NULL, 5, &out, &err), -1);
    assert_non_null(
        strstr(err.msg, ": Couldn't connect to server: Failed to connect to 127.0.0.1 port "));
    assert_non_null(strstr(err.msg, "Connection refused"));
    /* without an engine too (side requests before one exists) */
    assert_int_equal(fetch_of(NULL, "GET", &s, NULL, NULL, 5, &out, &err), -1);
    assert_non_null(strstr(err.msg, "Connection refused"));
    curl_slist_free_all(h);
    sb_buf_free(&out);
    eng_free(e);
}

/* The own transport's failure texts are libcurl's own (eng_curl_text). */
static void curl_texts_are_libcurls(void **state)
{
    (void)state;
    const CURLcode codes[] = {CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT,
                              CURLE_WEIRD_SERVER_REPLY,   CURLE_PARTIAL_FILE,
                              CURLE_OPERATION_TIMEDOUT,   CURLE_GOT_NOTHING,
                              CURLE_SEND_ERROR,           CURLE_RECV_ERROR};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        assert_string_equal(eng_curl_text(codes[i]), curl_easy_strerror(codes[i]));
}

static void engine_step_honours_deadline_precisely(void **state)
{
    (void)state;
    eng_opts o = {0};
    sb_err err;
    eng *e = eng_new(&o, &err);
    eng_xfer *x = eng_xfer_new(e); /* one idle transfer so the loop has something */
    rawsrv s;
    srv_start(&s, M_STALL);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/completions", s.port);
    got g = {0};
    sb_buf_init(&g.body);
    eng_xfer_start(x, url, NULL, "{}", 2, &ops, &g);
    uint64_t late_max = 0;
    for (int i = 0; i < 20; i++) {
        uint64_t d = sb_now_ns() + 3 * SB_NS_PER_MS;
        while (sb_now_ns() < d)
            eng_step(e, d);
        uint64_t late = sb_now_ns() - d;
        if (late > late_max)
            late_max = late;
    }
    /* correctness only (never wakes early, never hangs); lateness is a bench figure */
    assert_true(late_max < 500 * SB_NS_PER_MS);
    eng_xfer_cancel(x, SB_FAIL_CANCELLED, "cancelled");
    assert_int_equal(g.why, SB_FAIL_CANCELLED);
    assert_int_equal(eng_running(e), 0);
    eng_xfer_free(x);
    eng_free(e);
    srv_stop(&s);
    sb_buf_free(&g.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(engine_streams_with_timestamps_and_reuses_connection),
        cmocka_unit_test(engine_poll_loop_does_the_same),
        cmocka_unit_test(engine_maps_transport_failures),
        cmocka_unit_test(engine_step_honours_deadline_precisely),
        cmocka_unit_test(own_transport_parses_responses_split_at_every_byte),
        cmocka_unit_test(own_transport_opens_anew_after_a_close),
        cmocka_unit_test(own_transport_never_resends_on_a_reused_connection),
        cmocka_unit_test(own_transport_takes_a_204_without_body),
        cmocka_unit_test(own_transport_queues_beyond_max_conns),
        cmocka_unit_test(own_transport_request_timeout),
        cmocka_unit_test(own_transport_timeout_while_queued_ends_once),
        cmocka_unit_test(own_transport_reads_an_early_answer),
        cmocka_unit_test(own_transport_drops_bytes_after_the_end),
        cmocka_unit_test(own_transport_request_bytes_equal_libcurls),
        cmocka_unit_test(eng_fetch_own_transport),
        cmocka_unit_test(curl_texts_are_libcurls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
