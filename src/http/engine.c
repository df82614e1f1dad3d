/* engine.c - libcurl multi + epoll event loop (see engine.h).
 *
 * Why socket_action + epoll: with thousands of streams in flight,
 * curl_multi_perform/curl_multi_poll walk every transfer on every wake-up
 * (O(in-flight) per event), while socket_action only touches the socket that
 * is ready. Why a timerfd: epoll_wait's timeout is in milliseconds, too
 * coarse for send deadlines at 10,000 req/s; an absolute CLOCK_MONOTONIC
 * timerfd wakes within microseconds. The body timestamp is read first thing
 * in curl's write callback, i.e. right after curl's recv() of that data. */
#include "http/engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"

#define EV_BATCH 256

struct eng {
    CURLM *multi;
    eng_opts o;
    int epfd, tfd;
    uint64_t curl_deadline_ns; /* 0 = curl wants no timeout call */
    uint64_t armed_ns;         /* what the timerfd is set to (0 = disarmed) */
    int running;
    int progressed;            /* transfers finished in this step */
    eng_xfer *active;          /* running transfers, for the stall check */
    uint64_t next_stall_check_ns;
};

struct eng_xfer {
    eng *e;
    CURL *easy;
    const eng_ops *ops;
    void *ud;
    const char *url;
    eng_xfer *prev, *next;     /* in e->active while running */
    uint64_t last_rx_ns;       /* start, then the newest body piece */
    bool active, status_sent, aborted;
    unsigned attempts;   /* requests curl put on the wire for this start */
    bool resend_refused; /* curl wanted to resend it: see attempt_cb */
    char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
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
    if (!socketp)
        curl_multi_assign(e->multi, s, e);
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

eng *eng_new(const eng_opts *o, sb_err *err)
{
    pthread_once(&curl_once, curl_init_once);
    eng *e = sb_xcalloc(1, sizeof *e);
    e->o = *o;
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    e->multi = curl_multi_init();
    if (e->epfd < 0 || e->tfd < 0 || !e->multi) {
        sb_err_set(err, "starting the HTTP engine: %s", strerror(errno));
        eng_free(e);
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = e->tfd};
    epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->tfd, &ev);
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
    return e;
}

void eng_free(eng *e)
{
    if (!e)
        return;
    if (e->multi)
        curl_multi_cleanup(e->multi);
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
    x->last_rx_ns = t;
    if (!x->status_sent) {
        long code = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
        x->status_sent = true;
        x->ops->on_status(x->ud, (int)code);
    }
    if (x->ops->on_body(x->ud, p, n, t) != 0) {
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
    if (++x->attempts == 1)
        return CURL_PREREQFUNC_OK;
    x->resend_refused = true;
    return CURL_PREREQFUNC_ABORT;
}

static void link_active(eng *e, eng_xfer *x)
{
    x->prev = NULL;
    x->next = e->active;
    if (e->active)
        e->active->prev = x;
    e->active = x;
    x->active = true;
    e->running++;
}

static void unlink_active(eng *e, eng_xfer *x)
{
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

eng_xfer *eng_xfer_new(eng *e)
{
    eng_xfer *x = sb_xcalloc(1, sizeof *x);
    x->e = e;
    x->easy = curl_easy_init();
    CURL *c = x->easy;
    curl_easy_setopt(c, CURLOPT_PRIVATE, x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
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
    if (e->o.recv_buffer_bytes > 0)
        curl_easy_setopt(c, CURLOPT_BUFFERSIZE, e->o.recv_buffer_bytes);
    return x;
}

void eng_xfer_free(eng_xfer *x)
{
    if (!x)
        return;
    if (x->active) {
        curl_multi_remove_handle(x->e->multi, x->easy);
        unlink_active(x->e, x);
    }
    curl_easy_cleanup(x->easy);
    free(x);
}

uint64_t eng_xfer_start(eng_xfer *x, const char *url, const struct curl_slist *headers,
                        const char *body, size_t body_len, const eng_ops *ops, void *ud)
{
    CURL *c = x->easy;
    x->ops = ops;
    x->ud = ud;
    x->url = url;
    x->status_sent = x->aborted = x->resend_refused = false;
    x->attempts = 0;
    x->errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    uint64_t t = sb_now_ns();
    if (curl_multi_add_handle(x->e->multi, c) != CURLM_OK)
        return 0;
    x->last_rx_ns = t;
    link_active(x->e, x);
    return t;
}

static sb_fail map_code(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK: return SB_FAIL_NONE;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return SB_FAIL_CONNECT;
    case CURLE_OPERATION_TIMEDOUT: return SB_FAIL_TIMEOUT;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return SB_FAIL_RESET;
    default: return SB_FAIL_OTHER;
    }
}

static void finish(eng_xfer *x, CURLcode rc)
{
    eng *e = x->e;
    uint64_t t = sb_now_ns();
    curl_multi_remove_handle(e->multi, x->easy);
    unlink_active(e, x);
    if (!x->status_sent) {
        long code = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
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
    if (x->resend_refused) {
        why = SB_FAIL_RESET;
        snprintf(msg, sizeof msg,
                 "connection reset: the reused connection closed before the response (not "
                 "resent: every attempt is one request) (%s)",
                 x->url);
    } else if (why != SB_FAIL_NONE)
        snprintf(msg, sizeof msg, "%s: %s (%s)", curl_easy_strerror(rc),
                 x->errbuf[0] ? x->errbuf : "no detail", x->url);
    x->ops->on_done(x->ud, why, why == SB_FAIL_NONE ? NULL : msg, false, t);
}

void eng_xfer_cancel(eng_xfer *x, sb_fail why, const char *msg)
{
    if (!x->active)
        return;
    eng *e = x->e;
    curl_multi_remove_handle(e->multi, x->easy);
    unlink_active(e, x);
    x->ops->on_done(x->ud, why, msg, false, sb_now_ns());
}

static void drain_done(eng *e)
{
    CURLMsg *m;
    int left;
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
static void check_stalls(eng *e, uint64_t now)
{
    uint64_t stall = (uint64_t)(e->o.stall_s * 1e9);
    for (eng_xfer *x = e->active, *nx; x; x = nx) {
        nx = x->next;
        if (now - x->last_rx_ns >= stall) {
            char msg[600];
            snprintf(msg, sizeof msg, "stall timeout: nothing received for %.3f s (%s)",
                     e->o.stall_s, x->url);
            eng_xfer_cancel(x, SB_FAIL_TIMEOUT, msg);
        }
    }
    uint64_t every = stall / 10;
    if (every > 100 * SB_NS_PER_MS)
        every = 100 * SB_NS_PER_MS;
    e->next_stall_check_ns = now + every;
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
    curl_multi_poll(e->multi, NULL, 0, (int)ms, &nfds);
    curl_multi_perform(e->multi, &running);
    drain_done(e);
    return e->running;
}

int eng_step(eng *e, uint64_t deadline_ns)
{
    e->progressed = 0;
    uint64_t now = sb_now_ns();
    if (e->o.stall_s > 0 && e->running && now >= e->next_stall_check_ns)
        check_stalls(e, now);
    if (e->o.stall_s > 0 && e->running)
        deadline_ns = earliest(deadline_ns, e->next_stall_check_ns);
    if (e->o.use_poll)
        return step_poll(e, deadline_ns);
    uint64_t wake = earliest(e->curl_deadline_ns, deadline_ns);
    int timeout = -1;
    if (wake && wake <= now) {
        timeout = 0;
    } else {
        arm_timer(e, wake);
        if (!wake && e->running == 0)
            return 0; /* nothing can ever wake us */
    }
    struct epoll_event evs[EV_BATCH];
    int n = epoll_wait(e->epfd, evs, EV_BATCH, timeout);
    int running = 0;
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if (fd == e->tfd) {
            uint64_t ticks;
            if (read(e->tfd, &ticks, sizeof ticks) < 0) { /* spurious: nothing to do */ }
            e->armed_ns = 0;
            continue;
        }
        int flags = ((evs[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                    ((evs[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                    ((evs[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
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

static size_t fetch_write(char *p, size_t size, size_t nmemb, void *ud)
{
    sb_buf_append(ud, p, size * nmemb);
    return size * nmemb;
}

int eng_fetch(eng *e, const char *method, const char *url, const struct curl_slist *headers,
              const char *body, sb_buf *out, double timeout_s, sb_err *err)
{
    pthread_once(&curl_once, curl_init_once);
    CURL *c = curl_easy_init();
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
    CURLcode rc = curl_easy_perform(c);
    long code = -1;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    else
        sb_err_set(err, "%s %s: %s: %s", method, url, curl_easy_strerror(rc),
                   errbuf[0] ? errbuf : "no detail");
    curl_easy_cleanup(c);
    return (int)code;
}
