/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine.c - the libcurl engine (src/http/engine.c) against a tiny
 * raw-socket HTTP server running on a thread of this test: receive
 * timestamps, connection reuse, and each transport failure (refused, reset,
 * stall timeout, HTTP error), in both loop flavours (epoll and poll). */
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

enum mode { M_STREAM, M_RESET, M_STALL, M_500 };

typedef struct rawsrv {
    int lfd, port;
    enum mode mode;
    int accepts;
    int requests;
    volatile int cfd;    /* connection being served, -1 none */
    uint64_t sent_ns[8]; /* when each SSE piece was written */
    pthread_t th;
} rawsrv;

static int read_request(int fd)
{
    char buf[8192];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            return -1;
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
    while (read_request(fd) == 0) {
        s->requests++;
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
    }
}

static void srv_start(rawsrv *s, enum mode m)
{
    memset(s, 0, sizeof *s);
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

static void srv_stop(rawsrv *s)
{
    shutdown(s->lfd, SHUT_RDWR); /* wakes accept(); close only after the join */
    int c = s->cfd;
    if (c >= 0)
        shutdown(c, SHUT_RDWR); /* the client keeps idle connections open */
    pthread_join(s->th, NULL);
    close(s->lfd);
}

typedef struct got {
    int status;
    uint64_t ts[32];
    int npieces;
    sb_buf body;
    sb_fail why;
    char msg[512];
    bool done, aborted;
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

static void check_stream_and_reuse(bool use_poll)
{
    rawsrv s;
    srv_start(&s, M_STREAM);
    eng_opts o = {.max_conns = 1, .use_poll = use_poll};
    sb_err err;
    eng *e = eng_new(&o, &err);
    assert_non_null(e);
    eng_xfer *x = eng_xfer_new(e);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/completions", s.port);
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
    eng_xfer_free(x);
    eng_free(e);
    srv_stop(&s);
}

static void engine_streams_with_timestamps_and_reuses_connection(void **state)
{
    (void)state;
    check_stream_and_reuse(false);
}

static void engine_poll_loop_does_the_same(void **state)
{
    (void)state;
    check_stream_and_reuse(true);
}

static void engine_maps_transport_failures(void **state)
{
    (void)state;
    eng_opts o = {.stall_s = 0.5};
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
    sb_buf_free(&g.body);

    srv_start(&s, M_RESET);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/completions", s.port);
    run_one(e, x, url, &g);
    assert_int_equal(g.why, SB_FAIL_RESET);
    assert_true(g.npieces >= 1);
    sb_buf_free(&g.body);
    srv_stop(&s);

    srv_start(&s, M_STALL);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/completions", s.port);
    uint64_t t0 = sb_now_ns();
    run_one(e, x, url, &g);
    assert_int_equal(g.why, SB_FAIL_TIMEOUT);
    assert_true(sb_now_ns() - t0 < 1400 * SB_NS_PER_MS); /* before the server gave up */
    sb_buf_free(&g.body);
    srv_stop(&s);

    srv_start(&s, M_500);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/completions", s.port);
    run_one(e, x, url, &g);
    assert_int_equal(g.why, SB_FAIL_NONE);
    assert_int_equal(g.status, 500);
    assert_string_equal(g.body.data, "bad things!");
    sb_buf_free(&g.body);
    srv_stop(&s);

    eng_xfer_free(x);
    eng_free(e);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
