/* SPDX-License-Identifier: Apache-2.0 */
/* engine.c - libcurl multi + epoll event loop (see engine.h).
 *
 * Why socket_action + epoll: with thousands of streams in flight,
 * curl_multi_perform/curl_multi_poll walk every transfer on every wake-up
 * (O(in-flight) per event), while socket_action only touches the socket that
 * is ready. Why a timerfd: epoll_wait's timeout is in milliseconds, too
 * coarse for send deadlines at 10,000 req/s; an absolute CLOCK_MONOTONIC
 * timerfd wakes within microseconds. The body timestamp is read first thing
 * in curl's write callback, i.e. right after curl's recv() of that data.
 * With rx_kernel, the kernel's receive stamp of the same data is peeked
 * (MSG_PEEK) before curl reads it: libcurl reads with recv() and would drop
 * the control message. */
#include "http/engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/curl_dl.h"
#include "http/engine_int.h"
#include "http/h1.h"

#define EV_BATCH 256

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    eng *e = userp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(e->epfd, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    struct epoll_event ev = {0};
    ev.data.fd = s;
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
    int op = socketp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(e->epfd, op, s, &ev) != 0) {
        /* fd numbers are reused: a stale registration or a forgotten one */
        op = op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        epoll_ctl(e->epfd, op, s, &ev);
    }
    /* HTTP/1.1: a socket serves one transfer at a time, and curl registers
     * it for the transfer that uses it (a reused connection's socket was
     * removed when its previous transfer ended). */
    eng_xfer *x = NULL;
    if (e->o.rx_kernel && easy &&
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x) == CURLE_OK && x)
        x->cu->fd = s;
    if (e->o.rx_kernel && s >= e->n_krx_pre && s < (1 << 20)) {
        int n = s + 64;
        e->krx_pre = sb_xrealloc(e->krx_pre, (size_t)n * sizeof *e->krx_pre);
        memset(e->krx_pre + e->n_krx_pre, 0, (size_t)(n - e->n_krx_pre) * sizeof *e->krx_pre);
        e->n_krx_pre = n;
    }
    if (!socketp) {
        curl_multi_assign(e->multi, s, e);
        if ((what & CURL_POLL_OUT) && e->n_fresh < (int)(sizeof e->fresh / sizeof e->fresh[0]))
            e->fresh[e->n_fresh++] = s;
    }
    return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    eng *e = userp;
    e->curl_deadline_ns = timeout_ms < 0 ? 0 : sb_now_ns() + (uint64_t)timeout_ms * SB_NS_PER_MS;
    if (timeout_ms == 0)
        e->curl_deadline_ns = 1; /* "as soon as possible": already due */
    return 0;
}

/* A new or closed socket inherits nothing of an earlier one with its number. */
static void krx_forget(eng *e, curl_socket_t fd)
{
    if (fd >= 0 && fd < e->n_krx_pre)
        e->krx_pre[fd] = (struct krx_pre){0};
}

/* Sockets are opened and closed here so the engine knows how many
 * connections exist: when every one is busy, a new transfer cannot reuse one
 * and skips curl's search of the connection cache (CURLOPT_FRESH_CONNECT),
 * which walks every connection to the host: O(connections) per request,
 * O(N^2) for a burst of N. */
static curl_socket_t open_cb(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    eng *e = ud;
    (void)purpose;
    curl_socket_t fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd == CURL_SOCKET_BAD)
        return fd;
    int on = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
    if (e->o.rx_kernel && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &on, sizeof on) != 0) {
        close(fd); /* eng_new checked that it works: fail this connection, not silently */
        return CURL_SOCKET_BAD;
    }
    e->open_socks++;
    krx_forget(e, fd);
    return fd;
}

/* rx_kernel: realtime minus monotonic. Software receive stamps are
 * CLOCK_REALTIME (ktime_get_real); the run's clock is CLOCK_MONOTONIC. The
 * two advance at the same rate (NTP slews both), so the offset changes only
 * when the wall clock is stepped. One sample is a realtime read between two
 * monotonic reads; its error is up to half their distance, which is ~50 ns
 * unless the thread is preempted in between (tens of µs under load: stamps
 * then fell before the server's write in tests/test_engine_krx.c). So a
 * sample counts only when its window is under RM_WINDOW_NS; each wake-up
 * tries a few times and otherwise keeps the last good offset. */
#define RM_WINDOW_NS 1000
static bool real_minus_mono(int64_t *rm, int tries)
{
    for (int i = 0; i < tries; i++) {
        uint64_t m0 = sb_now_ns();
        struct timespec r;
        clock_gettime(CLOCK_REALTIME, &r);
        uint64_t m1 = sb_now_ns();
        if (m1 - m0 < RM_WINDOW_NS) {
            *rm = (int64_t)((uint64_t)r.tv_sec * SB_NS_PER_S + (uint64_t)r.tv_nsec) -
                  (int64_t)(m0 + (m1 - m0) / 2);
            return true;
        }
    }
    return false;
}

/* Peeks every byte queued on fd without copying (MSG_PEEK | MSG_TRUNC) for
 * the kernel's receive stamp: TCP reports the stamp of the last segment the
 * call touched, i.e. the newest queued data, and the kernel coalesces
 * segments that wait in the receive queue into one buffer that keeps the
 * newest stamp (seen on Linux 6.18 loopback: six 10 ms apart, one stamp), so
 * per-segment stamps of queued data do not exist. Returns CLOCK_MONOTONIC
 * ns, or 0 (nothing queued, no stamp, or a stamp after now). */
#define RX_PEEK_MAX (64u << 20) /* beyond any receive buffer */
static uint64_t rx_peek(int fd, int64_t rm)
{
    uint64_t k = 0;
    if (eng_recv_stamped(fd, NULL, RX_PEEK_MAX, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT, rm, &k) <= 0)
        return 0;
    return k <= sb_now_ns() ? k : 0;
}

ssize_t eng_recv_stamped(int fd, void *buf, size_t len, int flags, int64_t rm, uint64_t *krx)
{
    union {
        char buf[CMSG_SPACE(3 * sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t r = recvmsg(fd, &m, flags);
    *krx = 0;
    for (struct cmsghdr *c = r > 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_TIMESTAMPING)
            continue;
        struct timespec ts[3]; /* [0]: software; [2]: hardware (not asked for) */
        memcpy(ts, CMSG_DATA(c), sizeof ts);
        int64_t real = (int64_t)ts[0].tv_sec * (int64_t)SB_NS_PER_S + ts[0].tv_nsec;
        if (real != 0 && real - rm > 0)
            *krx = (uint64_t)(real - rm);
    }
    return r;
}

/* Bytes that have arrived on TCP socket fd so far (0 if unknown). */
static uint64_t rx_bytes(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received)
        return 0;
    return ti.tcpi_bytes_received;
}

/* Peeks fd into its table entry: the byte count first, so that data
 * arriving between the two calls voids the stamp (krx_of) instead of being
 * covered by a stamp taken before it arrived. */
static void krx_probe(eng *e, int fd, int64_t rm)
{
    if (fd < 0 || fd >= e->n_krx_pre)
        return;
    struct krx_pre *p = &e->krx_pre[fd];
    p->bytes = rx_bytes(fd);
    p->ns = rx_peek(fd, rm);
}

/* The kernel stamp of what curl just read from fd: the newest peek of fd,
 * provided curl read nothing that arrived after its byte count was taken:
 * either nothing arrived since, or all that arrived is still unread (reads
 * are in order, so the queue holds the newest bytes; the queue length is
 * read before the count, so an arrival between the two only makes the test
 * stricter). Then every byte curl read was queued at the peek, which
 * reported the newest queued segment's stamp: no earlier than any of those
 * bytes arrived, no later than the peek. Data that arrived after the peek
 * and was read (the client was descheduled in between) gets 0, never a
 * stamp from before it arrived. */
static uint64_t krx_of(const eng *e, int fd)
{
    if (fd < 0 || fd >= e->n_krx_pre)
        return 0;
    const struct krx_pre *p = &e->krx_pre[fd];
    if (!p->ns || !p->bytes)
        return 0;
    if (rx_bytes(fd) == p->bytes)
        return p->ns;
    int inq = 0;
    if (ioctl(fd, SIOCINQ, &inq) != 0 || inq < 0)
        return 0;
    uint64_t now = rx_bytes(fd);
    return now >= p->bytes && now - p->bytes <= (uint64_t)inq ? p->ns : 0;
}

static int close_cb(void *ud, curl_socket_t fd)
{
    eng *e = ud;
    e->open_socks--;
    krx_forget(e, fd);
    return close(fd);
}

/* How often check_stalls runs: a tenth of the shortest timeout, at most
 * every 100 ms (so a timeout fires up to that late), at least every 1 ms. */
static uint64_t check_period(const eng_opts *o)
{
    uint64_t every = 100 * SB_NS_PER_MS;
    const double t[] = {o->stall_s, o->timeout_s, o->connect_timeout_s};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i] > 0 && t[i] * 1e8 < (double)every)
            every = (uint64_t)(t[i] * 1e8);
    return every < SB_NS_PER_MS ? SB_NS_PER_MS : every;
}

eng *eng_new(const eng_opts *o, sb_err *err)
{
    eng *e = sb_xcalloc(1, sizeof *e);
    e->o = *o;
    e->fetch_fd = -1;
    pthread_mutex_init(&e->fetch_mu, NULL);
    if (o->rx_kernel) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int on = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &on, sizeof on) != 0) {
            sb_err_set(err,
                       "kernel receive timestamps: this kernel refuses SO_TIMESTAMPING software "
                       "receive stamps on a TCP socket (%s)",
                       strerror(errno));
            if (fd >= 0)
                close(fd);
            free(e);
            return NULL;
        }
        struct tcp_info ti;
        socklen_t len = sizeof ti;
        bool counts =
            getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
            len >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received;
        close(fd);
        if (counts && !real_minus_mono(&e->krx_rm, 1000)) {
            free(e);
            sb_err_set(err, "kernel receive timestamps: no clean reading of the wall clock "
                            "against the monotonic clock in 1,000 tries");
            return NULL;
        }
        if (!counts) { /* krx_of could never trust a stamp */
            free(e);
            sb_err_set(err, "kernel receive timestamps: this kernel's TCP_INFO has no "
                            "tcpi_bytes_received (Linux 4.1 or later needed)");
            return NULL;
        }
    }
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    e->nat = nat_new();
    e->check_every_ns = check_period(o);
    if (e->epfd < 0 || e->tfd < 0) {
        sb_err_set(err, "starting the HTTP engine: %s", strerror(errno));
        eng_free(e);
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = e->tfd};
    epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->tfd, &ev);
    return e;
}

/* What makes url go through libcurl, for the message when it cannot load. */
static const char *curl_use(const eng_opts *o, const char *url)
{
    if (o && o->curl_only)
        return "--http-client curl";
    if (o && o->http2)
        return "--http2";
    if (o && o->use_poll)
        return "the curl_multi_poll loop";
    if (url && strncasecmp(url, "https://", 8) == 0)
        return "an https:// URL";
    return "a URL the own HTTP/1.1 transport does not take (a proxy applies, user:password, "
           "a fragment or bytes curl rewrites)";
}

/* libcurl's part of the engine, made the first time a transfer goes
 * through libcurl (a plain http:// run never loads libcurl): the library,
 * the multi handle and its epoll hooks. */
static int curl_up(eng *e, const char *url, sb_err *err)
{
    if (e->multi)
        return 0;
    if (sb_curl_ready(curl_use(&e->o, url), err) != 0)
        return -1;
    if (!(e->multi = curl_multi_init()))
        return sb_err_set(err, "starting libcurl's multi handle failed");
    const eng_opts *o = &e->o;
    if (!o->use_poll) {
        curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
        curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
        curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
        curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
    }
    if (o->max_conns > 0) {
        curl_multi_setopt(e->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, o->max_conns);
        curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS, o->max_conns);
    }
    /* Keep every idle connection for reuse (default is 4 x handles, but
     * handles come and go): the reference's pool keeps them alive too. */
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, o->max_conns > 0 ? o->max_conns : 100000L);
    curl_multi_setopt(e->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    return 0;
}

int eng_curl_prepare(eng *e, const char *url, sb_err *err)
{
    return nat_takes(e, url) ? 0 : curl_up(e, url, err);
}

const eng_opts *eng_options(const eng *e)
{
    return &e->o;
}

void eng_free(eng *e)
{
    if (!e)
        return;
    nat_free(e->nat);
    if (e->fetch_easy)
        curl_easy_cleanup(e->fetch_easy);
    if (e->fetch_fd >= 0)
        close(e->fetch_fd);
    pthread_mutex_destroy(&e->fetch_mu);
    if (e->multi)
        curl_multi_cleanup(e->multi);
    curl_slist_free_all(e->resolve);
    free(e->krx_pre);
    if (e->epfd >= 0)
        close(e->epfd);
    if (e->tfd >= 0)
        close(e->tfd);
    free(e);
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *ud)
{
    uint64_t t = sb_now_ns(); /* before anything else: this is the receive time */
    eng_xfer *x = ud;
    size_t n = size * nmemb;
    uint64_t krx = x->e->o.rx_kernel ? krx_of(x->e, x->cu->fd) : 0;
    x->last_rx_ns = t;
    if (!x->status_sent) {
        long code = 0;
        curl_easy_getinfo(x->cu->easy, CURLINFO_RESPONSE_CODE, &code);
        x->status_sent = true;
        x->ops->on_status(x->ud, (int)code);
    }
    if (x->ops->on_body(x->ud, p, n, t, krx) != 0) {
        x->aborted = true;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    return n;
}

/* Every attempt is one request. libcurl resends a request by itself when a
 * reused connection dies before any response byte (Curl_retry_request:
 * "Connection died, retrying a fresh connect"), and on an HTTP/2
 * REFUSED_STREAM; the server then sees two requests for one of ours and the
 * latency would include the failed attempt. CURLOPT_PREREQFUNCTION runs once
 * per request about to be sent, resends included, so a second call is the
 * resend: refuse it and let the transfer fail as the reset it was. */
static int attempt_cb(void *ud, char *conn_primary_ip, char *conn_local_ip, int conn_primary_port,
                      int conn_local_port)
{
    (void)conn_primary_ip, (void)conn_local_ip, (void)conn_primary_port, (void)conn_local_port;
    eng_xfer *x = ud;
    if (++x->cu->attempts == 1)
        return CURL_PREREQFUNC_OK;
    x->cu->resend_refused = true;
    return CURL_PREREQFUNC_ABORT;
}

void eng_link_active(eng *e, eng_xfer *x)
{
    e->active_own += x->own;
    x->prev = NULL;
    x->next = e->active;
    if (e->active)
        e->active->prev = x;
    e->active = x;
    x->active = true;
    e->running++;
}

void eng_unlink_active(eng *e, eng_xfer *x)
{
    e->active_own -= x->own;
    if (x->prev)
        x->prev->next = x->next;
    else
        e->active = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
    x->active = false;
    e->running--;
    e->progressed++;
}

/* The libcurl part of x, made the first time x goes through libcurl: a slot
 * that only ever runs on the own transport never holds an easy handle. */
static xcurl *curl_part(eng_xfer *x, const char *url)
{
    if (x->cu)
        return x->cu;
    eng *e = x->e;
    sb_err err; /* eng_curl_prepare said it before the run; here the start is refused */
    if (curl_up(e, url, &err) != 0)
        return NULL;
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    xcurl *cu = x->cu = sb_xcalloc(1, sizeof *cu);
    cu->fd = -1;
    cu->easy = c;
    curl_easy_setopt(c, CURLOPT_PRIVATE, x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cu->errbuf);
    curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, attempt_cb);
    curl_easy_setopt(c, CURLOPT_PREREQDATA, x);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    /* Keep-alive probes notice a peer that vanished without a FIN (half-open). */
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 10L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "servebench/" SB_VERSION);
    curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_cb);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, e);
    curl_easy_setopt(c, CURLOPT_CLOSESOCKETFUNCTION, close_cb);
    curl_easy_setopt(c, CURLOPT_CLOSESOCKETDATA, e);
    if (e->resolve)
        curl_easy_setopt(c, CURLOPT_RESOLVE, e->resolve);
    /* curl 7.88 arms a happy-eyeballs timer (200 ms) at every connect and
     * never disarms it: 200 ms into a stream curl runs the transfer from the
     * timer and reads its socket out of turn, after data arrived that no
     * peek saw, so that read had no kernel stamp (1 token message in 16 with
     * 500 new connections). At 0 the timer fires during the connect, before
     * any response; the second address family, if any, is tried at once. */
    if (e->o.rx_kernel)
        curl_easy_setopt(c, CURLOPT_HAPPY_EYEBALLS_TIMEOUT_MS, 0L);
    if (e->o.http2)
        curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_0);
    else
        curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    if (e->o.insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (e->o.ca_bundle)
        curl_easy_setopt(c, CURLOPT_CAINFO, e->o.ca_bundle);
    if (e->o.timeout_s > 0)
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(e->o.timeout_s * 1000.0));
    if (e->o.connect_timeout_s > 0)
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(e->o.connect_timeout_s * 1000.0));
    return cu;
}

eng_xfer *eng_xfer_new(eng *e)
{
    eng_xfer *x = sb_xcalloc(1, sizeof *x);
    x->e = e;
    return x;
}

void eng_xfer_free(eng_xfer *x)
{
    if (!x)
        return;
    if (x->active && x->own) {
        nat_drop(x);
        eng_unlink_active(x->e, x);
        nat_after_drop(x->e);
    } else if (x->active) {
        curl_multi_remove_handle(x->e->multi, x->cu->easy);
        eng_unlink_active(x->e, x);
    }
    if (x->cu) {
        curl_easy_cleanup(x->cu->easy);
        free(x->cu->url_copy);
        free(x->cu);
    }
    free(x);
}

uint64_t eng_xfer_start(eng_xfer *x, const char *url, const struct curl_slist *headers,
                        const char *body, size_t body_len, const eng_ops *ops, void *ud)
{
    eng *e = x->e;
    x->ops = ops;
    x->ud = ud;
    x->url = url;
    x->status_sent = x->aborted = false;
    if (nat_takes(e, url))
        return nat_start(x, headers, body, body_len);
    x->own = false;
    xcurl *cu = curl_part(x, url);
    if (!cu)
        return 0;
    CURL *c = cu->easy;
    cu->resend_refused = false;
    cu->attempts = 0;
    cu->fd = -1; /* sock_cb names the socket this transfer gets */
    cu->errbuf[0] = '\0';
    /* A slot sends the same URL again: setting it anew costs a copy and a
     * parse, so it is passed on only when it changed (compared by content:
     * a caller may reuse its buffer). Headers and body are pointers. */
    if (!cu->url_copy || strcmp(cu->url_copy, url) != 0) {
        free(cu->url_copy);
        cu->url_copy = sb_xstrdup(url);
        curl_easy_setopt(c, CURLOPT_URL, url);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    /* curl 7.88 frees the receive buffer when a transfer ends and allocates
     * it when the next one starts, so its size can change per transfer. */
    long rb = e->o.recv_buffer_bytes > 0  ? e->o.recv_buffer_bytes
              : e->running < ENG_BIG_BUFS ? ENG_RECV_BIG
                                          : ENG_RECV_SMALL;
    if (rb != cu->recv_buf && curl_easy_setopt(c, CURLOPT_BUFFERSIZE, rb) == CURLE_OK)
        cu->recv_buf = rb;
    /* HTTP/1.1: a running transfer holds its connection, so with as many
     * running as open there is no idle one to find. */
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, (long)(!e->o.http2 && e->running >= e->open_socks));
    uint64_t t = sb_now_ns();
    if (curl_multi_add_handle(e->multi, c) != CURLM_OK)
        return 0;
    x->start_ns = x->last_rx_ns = t;
    eng_link_active(e, x);
    return t;
}

void eng_kick(eng *e)
{
    if (e->o.use_poll || !e->curl_deadline_ns || e->curl_deadline_ns > sb_now_ns())
        return;
    int running = 0;
    e->n_fresh = 0;
    e->curl_deadline_ns = 0;
    curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    /* curl 7.88 waits for a writable event after a non-blocking connect();
     * on a nearby server the connection is often up already, so offer the
     * write at once (curl checks with poll(0) and waits if it is not). */
    for (int i = 0; i < e->n_fresh; i++)
        curl_multi_socket_action(e->multi, e->fresh[i], CURL_CSELECT_OUT, &running);
    e->n_fresh = 0;
}

/* The host and port of an http:// or https:// URL (the port the scheme
 * implies when none is written), without libcurl: host as curl_url gives
 * it (an IPv6 literal keeps its brackets), port as decimal text. False for
 * another scheme or a host or port that cannot be read. */
static bool host_port_of(const char *url, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *p;
    const char *dflt;
    if (strncasecmp(url, "http://", 7) == 0)
        p = url + 7, dflt = "80";
    else if (strncasecmp(url, "https://", 8) == 0)
        p = url + 8, dflt = "443";
    else
        return false;
    size_t auth = strcspn(p, "/?#");
    const char *at = memchr(p, '@', auth); /* user:password@ is not the host */
    while (at) {
        auth -= (size_t)(at + 1 - p);
        p = at + 1;
        at = memchr(p, '@', auth);
    }
    size_t hl;
    if (*p == '[') {
        const char *close = memchr(p, ']', auth);
        if (!close)
            return false;
        hl = (size_t)(close - p) + 1;
    } else {
        hl = strcspn(p, ":/?#");
        if (hl > auth)
            hl = auth;
    }
    if (hl == 0 || hl >= hcap)
        return false;
    memcpy(host, p, hl);
    host[hl] = '\0';
    const char *rest = p + hl;
    size_t rl = auth - hl;
    if (rl == 0 || (rl == 1 && *rest == ':')) { /* "host" or "host:" */
        snprintf(port, pcap, "%s", dflt);
        return true;
    }
    unsigned v = 0;
    if (*rest != ':' || !h1_port_parse(rest + 1, rl - 1, &v))
        return false;
    snprintf(port, pcap, "%u", v);
    return true;
}

int eng_resolve(eng *e, const char *url, sb_err *err)
{
    char host[256], port[8];
    if (!host_port_of(url, host, sizeof host, port, sizeof port))
        return sb_err_set(err, "resolving the server: cannot read the host and port of %s", url);
    e->resolve_tried = true;
    unsigned portn = (unsigned)strtoul(port, NULL, 10);
    /* An address literal needs no resolution (curl's, nor the own transport's:
     * native.c takes its address from the name): getaddrinfo would still
     * cost a netlink query and an nscd probe (0.3-0.5 ms before t0). */
    struct in_addr a4;
    if (host[0] == '[' || inet_pton(AF_INET, host, &a4) == 1)
        return 0;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG}, *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return 0; /* left to curl, so the request fails with its usual reason and URL */
    nat_pin(e, host, portn, res);
    sb_buf b;
    sb_buf_init(&b);
    sb_buf_printf(&b, "%s:%s:", host, port);
    size_t n = 0;
    for (struct addrinfo *a = res; a && n < 8; a = a->ai_next) {
        char ip[NI_MAXHOST];
        if (getnameinfo(a->ai_addr, a->ai_addrlen, ip, sizeof ip, NULL, 0, NI_NUMERICHOST) != 0)
            continue;
        bool v6 = a->ai_family == AF_INET6;
        sb_buf_printf(&b, "%s%s%s%s", n ? "," : "", v6 ? "[" : "", ip, v6 ? "]" : "");
        n++;
    }
    freeaddrinfo(res);
    if (n) {
        curl_slist_free_all(e->resolve);
        e->resolve = curl_slist_append(NULL, b.data);
    }
    sb_buf_free(&b);
    return 0;
}

static sb_fail map_code(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK:
        return SB_FAIL_NONE;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return SB_FAIL_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return SB_FAIL_TIMEOUT;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return SB_FAIL_RESET;
    default:
        return SB_FAIL_OTHER;
    }
}

static void finish(eng_xfer *x, CURLcode rc)
{
    eng *e = x->e;
    uint64_t t = sb_now_ns();
    curl_multi_remove_handle(e->multi, x->cu->easy);
    eng_unlink_active(e, x);
    if (!x->status_sent) {
        long code = 0;
        curl_easy_getinfo(x->cu->easy, CURLINFO_RESPONSE_CODE, &code);
        x->status_sent = true;
        if (code > 0)
            x->ops->on_status(x->ud, (int)code);
    }
    if (x->aborted) {
        x->ops->on_done(x->ud, SB_FAIL_NONE, NULL, true, t);
        return;
    }
    sb_fail why = map_code(rc);
    char msg[CURL_ERROR_SIZE + 512];
    if (x->cu->resend_refused) {
        why = SB_FAIL_RESET;
        snprintf(msg, sizeof msg,
                 "connection reset: the reused connection closed before the response (not "
                 "resent: every attempt is one request) (%s)",
                 x->url);
    } else if (why != SB_FAIL_NONE)
        snprintf(msg, sizeof msg, "%s: %s (%s)", curl_easy_strerror(rc),
                 x->cu->errbuf[0] ? x->cu->errbuf : "no detail", x->url);
    x->ops->on_done(x->ud, why, why == SB_FAIL_NONE ? NULL : msg, false, t);
}

void eng_xfer_cancel(eng_xfer *x, sb_fail why, const char *msg)
{
    if (!x->active)
        return;
    eng *e = x->e;
    if (x->own) {
        nat_drop(x);
        eng_unlink_active(e, x);
        nat_after_drop(e);
    } else {
        curl_multi_remove_handle(e->multi, x->cu->easy);
        eng_unlink_active(e, x);
    }
    x->ops->on_done(x->ud, why, msg, false, sb_now_ns());
}

static void drain_done(eng *e)
{
    CURLMsg *m;
    int left;
    if (!e->multi)
        return;
    while ((m = curl_multi_info_read(e->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        eng_xfer *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        finish(x, m->data.result);
    }
}

static void arm_timer(eng *e, uint64_t at_ns)
{
    if (at_ns == e->armed_ns)
        return;
    struct itimerspec its = {0};
    if (at_ns) {
        its.it_value.tv_sec = (time_t)(at_ns / SB_NS_PER_S);
        its.it_value.tv_nsec = (long)(at_ns % SB_NS_PER_S);
    }
    timerfd_settime(e->tfd, TFD_TIMER_ABSTIME, &its, NULL);
    e->armed_ns = at_ns;
}

/* Our own stall timeout: curl's low-speed check averages over a 5 s window,
 * so "nothing for 1 s" would fire after up to 6 s. A scan of the running
 * transfers every stall/10 (at most every 100 ms) is cheap next to the I/O. */
/* An https:// URL aimed at a plain-HTTP port: the server reads the TLS
 * ClientHello as the start of a request line and waits for the rest, so the
 * handshake would hang until the stall timeout. A TCP connection that is up
 * with no TLS answer after this long gets one side probe. */
#define TLS_PROBE_AFTER_NS (2 * SB_NS_PER_S)

/* True when an https transfer has no TLS session and received nothing. (curl
 * 7.88 stamps CONNECT_TIME only once the whole connection, TLS included, is
 * up, so a pending TCP connect is not told apart: the probe decides.) */
static bool tls_waiting(const eng_xfer *x)
{
    if (x->own || x->last_rx_ns != x->start_ns || strncasecmp(x->url, "https://", 8) != 0)
        return false;
    curl_off_t tls = 0;
    curl_easy_getinfo(x->cu->easy, CURLINFO_APPCONNECT_TIME_T, &tls);
    return tls == 0;
}

/* One plain "HEAD / HTTP/1.0" on a new connection to the transfer's server
 * (at most 1.5 s, once per engine): does it answer "HTTP/"? A TLS server
 * answers with an alert or closes. */
bool eng_answers_plain_http(CURL *easy, char *where, size_t wn)
{
    char *ip = NULL;
    long port = 0;
    curl_easy_getinfo(easy, CURLINFO_PRIMARY_IP, &ip);
    curl_easy_getinfo(easy, CURLINFO_PRIMARY_PORT, &port);
    if (!ip || !ip[0] || port <= 0)
        return false;
    snprintf(where, wn, "%s:%ld", ip, port);
    char ps[16];
    snprintf(ps, sizeof ps, "%ld", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST}, *a = NULL;
    if (getaddrinfo(ip, ps, &hints, &a) != 0)
        return false;
    bool plain = false;
    int fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && (connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS)) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        static const char req[] = "HEAD / HTTP/1.0\r\n\r\n";
        if (poll(&p, 1, 500) == 1 && send(fd, req, sizeof req - 1, MSG_NOSIGNAL) > 0) {
            p.events = POLLIN;
            char got[5];
            if (poll(&p, 1, 1000) == 1 && recv(fd, got, sizeof got, MSG_WAITALL) == 5)
                plain = memcmp(got, "HTTP/", 5) == 0;
        }
    }
    if (fd >= 0)
        close(fd);
    freeaddrinfo(a);
    return plain;
}

static void check_stalls(eng *e, uint64_t now)
{
    uint64_t stall = e->o.stall_s > 0 ? (uint64_t)(e->o.stall_s * 1e9) : UINT64_MAX;
    for (eng_xfer *x = e->active, *nx; x; x = nx) {
        nx = x->next;
        if (x->own && (nat_check(x, now) || x->pend_why))
            continue; /* timed out; or ended already, reported at the next step */
        if (e->plain_http >= 0 && (e->plain_http == 1 || now - x->start_ns >= TLS_PROBE_AFTER_NS) &&
            tls_waiting(x)) {
            if (e->plain_http == 0)
                e->plain_http =
                    eng_answers_plain_http(x->cu->easy, e->plain_where, sizeof e->plain_where) ? 1
                                                                                               : -1;
            if (e->plain_http == 1) {
                char msg[700];
                snprintf(msg, sizeof msg,
                         "TLS handshake: the server at %s speaks plain HTTP, not TLS (use "
                         "http:// instead of https://) (%s)",
                         e->plain_where, x->url);
                eng_xfer_cancel(x, SB_FAIL_CONNECT, msg);
                continue;
            }
        }
        if (now - x->last_rx_ns >= stall) {
            char msg[600];
            snprintf(msg, sizeof msg, "stall timeout: nothing received for %.3f s (%s)",
                     e->o.stall_s, x->url);
            eng_xfer_cancel(x, SB_FAIL_TIMEOUT, msg);
        }
    }
    e->next_check_ns = now + e->check_every_ns;
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
    return !a ? b : !b ? a : (a < b ? a : b);
}

static int step_poll(eng *e, uint64_t deadline_ns)
{
    uint64_t now = sb_now_ns();
    long ms = 1000;
    if (deadline_ns)
        ms = deadline_ns <= now ? 0 : (long)((deadline_ns - now + SB_NS_PER_MS - 1) / SB_NS_PER_MS);
    if (ms > 1000)
        ms = 1000;
    int nfds = 0, running = 0;
    if (!e->multi) { /* nothing went through libcurl yet: just wait */
        poll(NULL, 0, (int)ms);
        return e->running;
    }
    curl_multi_poll(e->multi, NULL, 0, (int)ms, &nfds);
    curl_multi_perform(e->multi, &running);
    drain_done(e);
    return e->running;
}

int eng_step(eng *e, uint64_t deadline_ns)
{
    e->progressed = 0;
    uint64_t now = sb_now_ns();
    int flushed = nat_flush(e);
    /* The stall timeout, and for own transfers the request and connect
     * timeouts (libcurl keeps its own), are checked every check_every_ns. */
    bool check = e->running && (e->o.stall_s > 0 || e->active_own > 0);
    if (check && now >= e->next_check_ns)
        check_stalls(e, now);
    if (check)
        deadline_ns = earliest(deadline_ns, e->next_check_ns);
    if (e->o.use_poll)
        return step_poll(e, deadline_ns);
    uint64_t wake = earliest(e->curl_deadline_ns, deadline_ns);
    int timeout = -1;
    if (flushed || nat_has_posted(e) || (wake && wake <= now)) {
        timeout = 0;
    } else {
        arm_timer(e, wake);
        if (!wake && e->running == 0)
            return 0; /* nothing can ever wake us */
    }
    struct epoll_event evs[EV_BATCH];
    int n = epoll_wait(e->epfd, evs, EV_BATCH, timeout);
    int running = 0;
    if (e->o.rx_kernel && n > 0)
        real_minus_mono(&e->krx_rm, 3); /* else the last good offset stays */
    int64_t rm = e->krx_rm;
    for (int i = 0; e->o.rx_kernel && i < n; i++)
        if (evs[i].data.fd != e->tfd && (evs[i].events & EPOLLIN) && !nat_owns(e, evs[i].data.fd))
            krx_probe(e, evs[i].data.fd, rm); /* own sockets read their stamps (native.c) */
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if (fd == e->tfd) {
            uint64_t ticks;
            if (read(e->tfd, &ticks, sizeof ticks) < 0) { /* spurious: nothing to do */
            }
            e->armed_ns = 0;
            continue;
        }
        if (nat_event(e, fd, evs[i].events))
            continue;
        int flags = ((evs[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                    ((evs[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                    ((evs[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
        /* Data that came since the early peek: peek again right before curl
         * reads (the first socket was peeked just now). */
        if (e->o.rx_kernel && i > 0 && (evs[i].events & EPOLLIN) && fd < e->n_krx_pre &&
            rx_bytes(fd) != e->krx_pre[fd].bytes)
            krx_probe(e, fd, rm);
        curl_multi_socket_action(e->multi, fd, flags, &running);
    }
    if (e->curl_deadline_ns && e->curl_deadline_ns <= sb_now_ns()) {
        e->curl_deadline_ns = 0;
        curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    drain_done(e);
    return e->running;
}

int eng_running(const eng *e)
{
    return e->running;
}

int eng_open_conns(const eng *e)
{
    return e->open_socks + nat_open_conns(e);
}

/* Returning short makes curl stop with CURLE_WRITE_ERROR (FETCH_MAX). */
const char *eng_curl_text(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return "Couldn't resolve host name";
    case CURLE_COULDNT_CONNECT:
        return "Couldn't connect to server";
    case CURLE_WEIRD_SERVER_REPLY:
        return "Weird server reply";
    case CURLE_PARTIAL_FILE:
        return "Transferred a partial file";
    case CURLE_OPERATION_TIMEDOUT:
        return "Timeout was reached";
    case CURLE_GOT_NOTHING:
        return "Server returned nothing (no headers, no data)";
    case CURLE_SEND_ERROR:
        return "Failed sending data to the peer";
    case CURLE_RECV_ERROR:
        return "Failure when receiving data from the peer";
    default:
        return "Unknown error";
    }
}

static size_t fetch_write(char *p, size_t size, size_t nmemb, void *ud)
{
    sb_buf *out = ud;
    size_t n = size * nmemb;
    if (n > FETCH_MAX || out->len > FETCH_MAX - n)
        return 0;
    sb_buf_append(out, p, n);
    return n;
}

/* The kept handle is reset at once: it must not point at this call's
 * buffers (error text, body, reply) once the call returned. */
static void fetch_release(eng *e, CURL *c, bool kept)
{
    if (!kept) {
        curl_easy_cleanup(c);
        return;
    }
    curl_easy_reset(c);
    pthread_mutex_unlock(&e->fetch_mu);
}

int eng_fetch(eng *e, const char *method, const char *url, const struct curl_slist *headers,
              const char *body, sb_buf *out, double timeout_s, sb_err *err)
{
    /* plain http:// as the engine's streams go: over the own transport */
    h1_url u;
    bool get = strcmp(method, "GET") == 0 && !body, post = strcmp(method, "POST") == 0 && body;
    if ((get || post) && nat_url_ok(e ? &e->o : NULL, url, &u))
        return nat_fetch(e, method, url, &u, headers, body, out, timeout_s, err);
    if (sb_curl_ready(curl_use(e ? &e->o : NULL, url), err) != 0)
        return sb_err_prefix(err, "%s %s: ", method, url);
    /* The engine's kept handle when free (curl_easy_reset keeps its live
     * connections), else one for this request alone. */
    eng *owner = e && pthread_mutex_trylock(&e->fetch_mu) == 0 ? e : NULL;
    bool kept = owner != NULL;
    if (owner && !owner->fetch_easy)
        owner->fetch_easy = curl_easy_init();
    CURL *c = owner ? owner->fetch_easy : curl_easy_init();
    if (owner)
        curl_easy_reset(c);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "servebench/" SB_VERSION);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    }
    if (timeout_s > 0)
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000.0));
    if (e && e->o.insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (e && e->o.ca_bundle)
        curl_easy_setopt(c, CURLOPT_CAINFO, e->o.ca_bundle);
    /* https to a plain-HTTP port would hang for the whole timeout: a
     * handshake not done in 3 s gets the side probe. */
    bool tls = strncasecmp(url, "https://", 8) == 0;
    if (e && tls && e->plain_http == 1) {
        fetch_release(owner, c, kept);
        sb_err_set(err, "%s %s: the server at %s speaks plain HTTP, not TLS (use http://)", method,
                   url, e->plain_where);
        return -1;
    }
    bool short_connect = e && tls && e->plain_http == 0 && (timeout_s <= 0 || timeout_s > 3);
    if (short_connect)
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    CURLcode rc = curl_easy_perform(c);
    long code = -1;
    if (rc == CURLE_OPERATION_TIMEDOUT && short_connect) {
        curl_off_t up = 0;
        curl_easy_getinfo(c, CURLINFO_APPCONNECT_TIME_T, &up);
        if (up == 0)
            e->plain_http =
                eng_answers_plain_http(c, e->plain_where, sizeof e->plain_where) ? 1 : -1;
        if (e->plain_http != 1) { /* a slow TLS server: once more, with the caller's time */
            curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 0L);
            sb_buf_reset(out);
            rc = curl_easy_perform(c);
        }
    }
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    else if (e && tls && e->plain_http == 1)
        sb_err_set(err, "%s %s: the server at %s speaks plain HTTP, not TLS (use http://)", method,
                   url, e->plain_where);
    else if (rc == CURLE_WRITE_ERROR)
        sb_err_set(err, "%s %s: the reply is longer than %zu bytes; the transfer was stopped",
                   method, url, FETCH_MAX);
    else
        sb_err_set(err, "%s %s: %s: %s", method, url, curl_easy_strerror(rc),
                   errbuf[0] ? errbuf : "no detail");
    fetch_release(owner, c, kept);
    return (int)code;
}
