/* SPDX-License-Identifier: Apache-2.0 */
/* nat_fetch.c - eng_fetch over the own HTTP/1.1 transport: a blocking
 * request for side requests (/v1/models, the /tokenize alignment check,
 * /metrics scrapes, probes) to a plain http:// server, so a plain run never
 * loads libcurl (core/curl_dl.h; docs/engine.md "Start-up").
 *
 * The bytes on the wire are the libcurl path's (h1_request_head), the reply
 * is read with the same parser as the engine's streams (h1.h), and failures
 * read as the libcurl path's do ("METHOD URL: <curl's text>: <detail>"). It
 * runs on the caller's thread (the telemetry scraper's, a probe's) with no
 * state shared but the engine's one kept connection, taken under fetch_mu:
 * a caller that finds it taken uses a connection of its own. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "http/engine_int.h"
#include "http/h1.h"

#define CONNECT_DEFAULT_MS 300000 /* curl's default connect timeout */

typedef struct fetch {
    const char *method, *url;
    const h1_url *u;
    uint64_t t0, deadline; /* deadline 0: none */
    sb_buf *out;
    size_t base;      /* out's length before the reply */
    bool too_long;    /* the reply passed FETCH_MAX */
    CURLcode code;    /* of a failure */
    char detail[512]; /* its detail */
} fetch;

__attribute__((format(printf, 3, 4))) static int fail(fetch *f, CURLcode code, const char *fmt, ...)
{
    f->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof f->detail, fmt, ap);
    va_end(ap);
    return -1;
}

static unsigned long long ms_since(const fetch *f)
{
    return (unsigned long long)((sb_now_ns() - f->t0) / SB_NS_PER_MS);
}

/* Waits for ev on fd until deadline (0: none): 1
 * ready, 0 timed out, -1 poll failed. */
static int wait_fd(int fd, short ev, uint64_t deadline)
{
    for (;;) {
        int ms = -1;
        if (deadline) {
            uint64_t now = sb_now_ns();
            if (now >= deadline)
                return 0;
            uint64_t left = (deadline - now + SB_NS_PER_MS - 1) / SB_NS_PER_MS;
            ms = left > 60000 ? 60000 : (int)left;
        }
        struct pollfd p = {.fd = fd, .events = ev};
        int r = poll(&p, 1, ms);
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

static int timed_out(fetch *f, size_t got)
{
    return fail(f, CURLE_OPERATION_TIMEDOUT,
                "Operation timed out after %llu milliseconds with %zu bytes received", ms_since(f),
                got);
}

/* A new connection to the URL's server: each address in turn, each within
 * the request's deadline and curl's default connect timeout. */
static int open_conn(fetch *f)
{
    char port[8];
    snprintf(port, sizeof port, "%u", f->u->port);
    /* an address literal: no look-up (AI_ADDRCONFIG's netlink query, nscd) */
    unsigned char lit[sizeof(struct in6_addr)];
    bool numeric =
        inet_pton(AF_INET, f->u->host, lit) == 1 || inet_pton(AF_INET6, f->u->host, lit) == 1;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = numeric ? AI_NUMERICHOST : AI_ADDRCONFIG},
                    *res = NULL;
    if (getaddrinfo(f->u->host, port, &hints, &res) != 0)
        return fail(f, CURLE_COULDNT_RESOLVE_HOST, "Could not resolve host: %s", f->u->host);
    uint64_t cdl = f->t0 + (uint64_t)CONNECT_DEFAULT_MS * SB_NS_PER_MS;
    if (f->deadline && f->deadline < cdl)
        cdl = f->deadline;
    int fd = -1, er = ECONNREFUSED;
    bool late = false;
    for (const struct addrinfo *a = res; a && fd < 0 && !late; a = a->ai_next) {
        fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            er = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        int rc = connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            int w = wait_fd(fd, POLLOUT, cdl);
            socklen_t el = sizeof er;
            if (w == 0)
                late = true;
            else if (w < 0)
                er = errno;
            else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &er, &el) == 0 && er == 0)
                continue; /* connected: fd >= 0 ends the loop */
            close(fd);
            fd = -1;
        } else if (rc != 0) {
            er = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd >= 0)
        return fd;
    if (late)
        return fail(f, CURLE_OPERATION_TIMEDOUT, "Connection timed out after %llu milliseconds",
                    ms_since(f));
    return fail(f, CURLE_COULDNT_CONNECT, "Failed to connect to %s port %u after %llu ms: %s",
                f->u->host, f->u->port, ms_since(f), strerror(er));
}

static int send_all(fetch *f, int fd, const sb_buf *head, const char *body, size_t blen)
{
    size_t total = head->len + blen, sent = 0;
    while (sent < total) {
        struct iovec iov[2];
        int k = 0;
        if (sent < head->len)
            iov[k++] = (struct iovec){head->data + sent, head->len - sent};
        size_t boff = sent > head->len ? sent - head->len : 0;
        if (boff < blen)
            iov[k++] = (struct iovec){(char *)body + boff, blen - boff};
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)k};
        ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            sent += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int r = wait_fd(fd, POLLOUT, f->deadline);
            if (r == 0)
                return timed_out(f, 0);
            if (r > 0)
                continue;
        }
        return fail(f, CURLE_SEND_ERROR, "Send failure: %s", strerror(errno));
    }
    return 0;
}

static void on_status(void *ud, int status)
{
    (void)ud, (void)status; /* read from the parser at the end */
}

static int on_body(void *ud, const char *p, size_t n)
{
    fetch *f = ud;
    if (n > FETCH_MAX || f->out->len - f->base > FETCH_MAX - n) {
        f->too_long = true;
        return 1;
    }
    sb_buf_append(f->out, p, n);
    return 0;
}

/* Reads the reply on fd. 0 done (*reusable: the connection may carry the
 * next request), -1 failed, 1 nothing at all came (the caller may try a
 * fresh connection when this one was reused). */
static int read_reply(fetch *f, int fd, h1_resp *r, bool *reusable)
{
    static const h1_sink sink = {on_status, on_body};
    char buf[16384], msg[400];
    *reusable = false;
    for (;;) {
        int w = wait_fd(fd, POLLIN, f->deadline);
        if (w == 0)
            return timed_out(f, f->out->len - f->base);
        ssize_t n = w > 0 ? recv(fd, buf, sizeof buf, 0) : -1;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (h1_resp_seen(r) == 0)
                return 1;
            return fail(f, CURLE_RECV_ERROR, "Recv failure: %s", strerror(errno));
        }
        if (n == 0) {
            if (h1_resp_seen(r) == 0)
                return 1;
            if (h1_resp_eof(r, &sink, f, msg, sizeof msg) == H1_DONE)
                return 0;
            return fail(f, CURLE_PARTIAL_FILE, "%s", msg);
        }
        size_t used = 0;
        h1_rc rc = h1_resp_feed(r, buf, (size_t)n, &used, &sink, f, msg, sizeof msg);
        if (rc == H1_MORE)
            continue;
        if (rc == H1_ABORT)
            return -1; /* f->too_long */
        if (rc == H1_ERROR)
            return fail(f, CURLE_WEIRD_SERVER_REPLY, "%s", msg);
        *reusable = h1_resp_reusable(r) && used == (size_t)n;
        return 0;
    }
}

/* Is the kept connection still up with nothing unasked-for on it? */
static bool still_up(int fd)
{
    char b;
    ssize_t r = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int nat_fetch(eng *e, const char *method, const char *url, const h1_url *u,
              const struct curl_slist *headers, const char *body, sb_buf *out, double timeout_s,
              sb_err *err)
{
    fetch f = {
        .method = method, .url = url, .u = u, .out = out, .base = out->len, .t0 = sb_now_ns()};
    if (timeout_s > 0)
        f.deadline = f.t0 + (uint64_t)(timeout_s * 1e9);
    size_t blen = body ? strlen(body) : 0;
    sb_buf head;
    sb_buf_init(&head);
    h1_request_head(&head, u, body != NULL, blen, headers, "servebench/" SB_VERSION);
    /* The engine's kept connection when free and to this server. */
    bool kept = e && pthread_mutex_trylock(&e->fetch_mu) == 0;
    int fd = -1;
    if (kept && e->fetch_fd >= 0) {
        if (strcmp(e->fetch_origin, u->authority) == 0 && still_up(e->fetch_fd))
            fd = e->fetch_fd;
        else
            close(e->fetch_fd);
        e->fetch_fd = -1;
    }
    int status = -1;
    bool reusable = false;
    size_t base = out->len;
    h1_resp r;
    memset(&r, 0, sizeof r);
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = fd >= 0;
        if (fd < 0 && (fd = open_conn(&f)) < 0)
            break;
        h1_resp_init(&r);
        if (out->len > base) { /* a first attempt's bytes (appended to, as libcurl does) */
            out->len = base;
            out->data[base] = '\0';
        }
        int rc = send_all(&f, fd, &head, body, blen);
        if (rc == 0)
            rc = read_reply(&f, fd, &r, &reusable);
        if (rc == 0)
            status = r.status;
        if (rc == 1 && reused) { /* the server had closed the kept connection: once anew */
            close(fd);
            fd = -1;
            continue;
        }
        if (rc == 1)
            fail(&f, CURLE_GOT_NOTHING, "Empty reply from server");
        break;
    }
    h1_resp_free(&r);
    sb_buf_free(&head);
    if (fd >= 0 && kept && reusable && status >= 0 &&
        strlen(u->authority) < sizeof e->fetch_origin) {
        e->fetch_fd = fd;
        snprintf(e->fetch_origin, sizeof e->fetch_origin, "%s", u->authority);
    } else if (fd >= 0) {
        close(fd);
    }
    if (kept)
        pthread_mutex_unlock(&e->fetch_mu);
    if (status >= 0)
        return status;
    if (f.too_long)
        sb_err_set(err, "%s %s: the reply is longer than %zu bytes; the transfer was stopped",
                   method, url, FETCH_MAX);
    else
        sb_err_set(err, "%s %s: %s: %s", method, url, eng_curl_text(f.code), f.detail);
    return -1;
}
