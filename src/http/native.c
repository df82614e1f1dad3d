/* SPDX-License-Identifier: Apache-2.0 */
/* native.c - the engine's own HTTP/1.1 transport for plain http:// URLs
 * (docs/engine.md "Own HTTP/1.1 transport").
 *
 * Why: libcurl holds ~11 KB per stream in flight (easy handle, connection,
 * socket-hash entry, receive buffer) and walks its state machine on every
 * event. Here a stream is a socket, a parser state (h1.h) and the transfer:
 * every read goes into one receive buffer per engine, is parsed at once and
 * its body pieces are handed on in place, so nothing per stream holds
 * received bytes. libcurl keeps everything else (https, HTTP/2, proxies,
 * side requests, the poll loop, kernel receive stamps).
 *
 * What it promises, as the libcurl path does: a request's start is taken
 * right before its connect/write (eng_xfer_start connects and writes at
 * once, so requests leave in start order); every started request is one
 * request on the wire (nothing is ever resent) and ends in exactly one
 * on_done; failures map to the same reasons with messages naming the URL.
 * Failures found while a transfer starts are posted and reported by the next
 * eng_step: on_done never runs inside eng_xfer_start. */
#include "http/engine_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/net_tstamp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "http/h1.h"

#define NAT_RBUF (64u << 10) /* the engine's receive buffer */
#define NAT_READS 4          /* reads per event: a firehose stream cannot starve the rest */
#define NAT_ORIGINS 8        /* servers an engine talks to on its own (more go to libcurl) */
#define NAT_ADDRS 8          /* addresses per server, as eng_resolve pins them */
#define NAT_FD_MAX (1 << 20)
#define CONNECT_DEFAULT_NS (300 * SB_NS_PER_S) /* curl's default connect timeout */
#define MSG_MAX 768

typedef struct origin {
    char host[256]; /* as h1_url has it (an IPv6 literal without brackets) */
    unsigned port;
    int naddr;
    struct sockaddr_storage addr[NAT_ADDRS];
    socklen_t alen[NAT_ADDRS];
} origin;

enum { NC_CONNECTING, NC_SENDING, NC_RECEIVING, NC_IDLE };

struct nconn {
    int fd;
    uint8_t st;     /* NC_* */
    uint8_t origin; /* its server */
    uint8_t ai;     /* the address connected (or being connected) */
    bool reused;    /* carried an earlier response */
    uint32_t ev;    /* events registered with epoll (0: none yet) */
    uint64_t t_conn;
    eng_xfer *x;      /* the transfer on it; NULL when idle */
    nconn *next_idle; /* in the idle pool */
    h1_resp r;
};

struct nat {
    char *url;      /* the last URL judged (a copy: u points into it) */
    h1_url u;       /* it, parsed */
    int url_origin; /* its server, or -1: not taken */
    origin orig[NAT_ORIGINS];
    int norig;
    nconn **byfd; /* fd -> own connection, NULL for curl's sockets */
    int nbyfd;
    nconn *idle;                     /* idle keep-alive connections, newest first (reused LIFO) */
    int nconns;                      /* open, idle or busy */
    eng_xfer *wait_head, *wait_tail; /* waiting for a connection (max_conns), FIFO */
    eng_xfer *post_head, *post_tail; /* failed while starting: on_done at the next step */
    sb_buf head;                     /* a request head being built */
    char *rbuf;                      /* NAT_RBUF: every read goes here */
    uint64_t rx_t;                   /* receive time of the bytes being parsed */
    uint64_t rx_krx;                 /* their kernel stamp (rx_kernel), or 0 */
};

nat *nat_new(void)
{
    nat *n = sb_xcalloc(1, sizeof *n);
    n->url_origin = -1;
    sb_buf_init(&n->head);
    n->rbuf = sb_xmalloc(NAT_RBUF);
    return n;
}

static void conn_close(eng *e, nconn *c)
{
    nat *n = e->nat;
    if (c->fd >= 0) {
        if (c->fd < n->nbyfd)
            n->byfd[c->fd] = NULL;
        close(c->fd); /* also leaves the epoll set */
    }
    n->nconns--;
    h1_resp_free(&c->r);
    free(c);
}

void nat_free(nat *n)
{
    if (!n)
        return;
    for (int fd = 0; fd < n->nbyfd; fd++)
        if (n->byfd[fd]) {
            close(fd);
            h1_resp_free(&n->byfd[fd]->r);
            free(n->byfd[fd]);
        }
    free(n->byfd);
    free(n->url);
    sb_buf_free(&n->head);
    free(n->rbuf);
    free(n);
}

int nat_open_conns(const eng *e)
{
    return e->nat->nconns;
}

/* ---- which URLs: eligibility ---- */

/* Does no_proxy (curl's syntax: comma-separated names, a leading dot
 * optional, "*" for all) exempt host? Anything else (CIDR, ports) counts as
 * no match, so libcurl decides: never wrong, only slower. */
static bool no_proxy_matches(const char *list, const char *host)
{
    size_t hl = strlen(host);
    for (const char *p = list; *p;) {
        p += strspn(p, ", \t");
        size_t l = strcspn(p, ", \t");
        const char *w = p;
        p += l;
        if (l == 1 && *w == '*')
            return true;
        if (l && *w == '.')
            w++, l--;
        if (!l || l > hl)
            continue;
        if (strncasecmp(host + hl - l, w, l) == 0 && (l == hl || host[hl - l - 1] == '.'))
            return true;
    }
    return false;
}

/* libcurl sends an http:// request through a proxy named by http_proxy or
 * all_proxy (upper or lower case) unless no_proxy exempts the host; the own
 * transport speaks to the server directly, so then libcurl carries it. */
static bool proxy_applies(const char *host)
{
    static const char *const vars[] = {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"};
    bool any = false;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        any = any || (v && *v);
    }
    if (!any)
        return false;
    const char *np = getenv("no_proxy");
    if (!np || !*np)
        np = getenv("NO_PROXY");
    return !(np && no_proxy_matches(np, host));
}

static int find_origin(const nat *n, const char *host, unsigned port)
{
    for (int i = 0; i < n->norig; i++)
        if (n->orig[i].port == port && strcasecmp(n->orig[i].host, host) == 0)
            return i;
    return -1;
}

static origin *add_origin(nat *n, const char *host, unsigned port)
{
    if (n->norig == NAT_ORIGINS || strlen(host) >= sizeof n->orig[0].host)
        return NULL;
    origin *o = &n->orig[n->norig++];
    memset(o, 0, sizeof *o);
    snprintf(o->host, sizeof o->host, "%s", host);
    o->port = port;
    return o;
}

void nat_pin(eng *e, const char *host, unsigned port, const struct addrinfo *res)
{
    nat *n = e->nat;
    char h[256];
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') /* curl writes IPv6 in brackets */
        snprintf(h, sizeof h, "%.*s", (int)(hl - 2), host + 1);
    else
        snprintf(h, sizeof h, "%s", host);
    int i = find_origin(n, h, port);
    origin *o = i >= 0 ? &n->orig[i] : add_origin(n, h, port);
    if (!o)
        return;
    o->naddr = 0;
    for (const struct addrinfo *a = res; a && o->naddr < NAT_ADDRS; a = a->ai_next)
        if (a->ai_socktype == SOCK_STREAM && a->ai_addrlen <= sizeof o->addr[0]) {
            memcpy(&o->addr[o->naddr], a->ai_addr, a->ai_addrlen);
            o->alen[o->naddr++] = a->ai_addrlen;
        }
}

/* A numeric host needs no look-up: its address is the name. */
static int numeric_origin(nat *n, const h1_url *u)
{
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)u->port)};
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)u->port)};
    bool v4 = inet_pton(AF_INET, u->host, &a4.sin_addr) == 1;
    if (!v4 && inet_pton(AF_INET6, u->host, &a6.sin6_addr) != 1)
        return -1;
    origin *o = add_origin(n, u->host, u->port);
    if (!o)
        return -1;
    o->naddr = 1;
    if (v4) {
        memcpy(&o->addr[0], &a4, sizeof a4);
        o->alen[0] = sizeof a4;
    } else {
        memcpy(&o->addr[0], &a6, sizeof a6);
        o->alen[0] = sizeof a6;
    }
    return (int)(o - n->orig);
}

static int origin_of(eng *e, const char *url, const h1_url *u)
{
    nat *n = e->nat;
    int i = find_origin(n, u->host, u->port);
    if (i < 0)
        i = numeric_origin(n, u);
    if (i < 0 && !e->resolve_tried) { /* before the start time is taken: never inside it */
        sb_err err;
        if (eng_resolve(e, url, &err) == 0)
            i = find_origin(n, u->host, u->port);
    }
    return i >= 0 && n->orig[i].naddr > 0 ? i : -1;
}

bool nat_url_ok(const eng_opts *o, const char *url, h1_url *u)
{
    if (o && (o->use_poll || o->http2 || o->curl_only))
        return false;
    return h1_url_parse(url, u) && !proxy_applies(u->host);
}

bool nat_takes(eng *e, const char *url)
{
    nat *n = e->nat;
    if (e->o.use_poll || e->o.http2 || e->o.curl_only)
        return false;
    if (n->url && strcmp(n->url, url) == 0)
        return n->url_origin >= 0;
    free(n->url);
    n->url = sb_xstrdup(url);
    n->url_origin = -1;
    if (nat_url_ok(&e->o, n->url, &n->u))
        n->url_origin = origin_of(e, n->url, &n->u);
    return n->url_origin >= 0;
}

/* ---- connections ---- */

static void watch(eng *e, nconn *c, uint32_t events)
{
    if (c->ev == events)
        return;
    struct epoll_event ev = {.events = events, .data.fd = c->fd};
    epoll_ctl(e->epfd, c->ev ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev);
    c->ev = events;
}

static bool track_fd(nat *n, int fd, nconn *c)
{
    if (fd >= NAT_FD_MAX)
        return false;
    if (fd >= n->nbyfd) {
        int m = fd + 256;
        n->byfd = sb_xrealloc(n->byfd, (size_t)m * sizeof *n->byfd);
        memset(n->byfd + n->nbyfd, 0, (size_t)(m - n->nbyfd) * sizeof *n->byfd);
        n->nbyfd = m;
    }
    n->byfd[fd] = c;
    return true;
}

/* Options as the libcurl path sets them (engine.c eng_xfer_new): no Nagle
 * delay on a request's last bytes; keep-alive probes find a peer that
 * vanished without a FIN (30 s idle, then every 10 s). */
static void sock_opts(int fd)
{
    int one = 1, idle = 30, intvl = 10;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
}

/* Connects c to its server's address c->ai: 0 connected, 1 in progress, -1
 * failed (errno). */
static int connect_addr(eng *e, nconn *c)
{
    const origin *o = &e->nat->orig[c->origin];
    const struct sockaddr *a = (const struct sockaddr *)&o->addr[c->ai];
    c->fd = socket(a->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    c->ev = 0;
    if (!track_fd(e->nat, c->fd, c)) {
        close(c->fd);
        c->fd = -1;
        errno = EMFILE;
        return -1;
    }
    sock_opts(c->fd);
    int stamp = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
    if (e->o.rx_kernel &&
        setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPING, &stamp, sizeof stamp) != 0) {
        int er = errno; /* eng_new checked that it works: fail this connection, not silently */
        e->nat->byfd[c->fd] = NULL;
        close(c->fd);
        c->fd = -1;
        errno = er;
        return -1;
    }
    if (connect(c->fd, a, o->alen[c->ai]) == 0)
        return 0;
    if (errno == EINPROGRESS)
        return 1;
    int er = errno;
    e->nat->byfd[c->fd] = NULL;
    close(c->fd);
    c->fd = -1;
    errno = er;
    return -1;
}

/* Tries the server's addresses from c->ai on; as connect_addr. */
static int connect_next(eng *e, nconn *c)
{
    const origin *o = &e->nat->orig[c->origin];
    int rc = -1;
    while (c->ai < o->naddr && (rc = connect_addr(e, c)) < 0)
        c->ai++;
    return rc;
}

static void connect_msg(eng *e, const eng_xfer *x, int er, char *msg, size_t mn)
{
    const origin *o = &e->nat->orig[x->origin];
    snprintf(msg, mn, "%s: Failed to connect to %s port %u after %llu ms: %s (%s)",
             eng_curl_text(CURLE_COULDNT_CONNECT), o->host, o->port,
             (unsigned long long)((sb_now_ns() - x->start_ns) / SB_NS_PER_MS), strerror(er),
             x->url);
}

/* A pooled connection of this server that the server has not closed, or
 * NULL. A closed one (recv sees the end or an error) or one with bytes
 * nobody asked for is closed here, as curl checks a connection before reuse. */
static nconn *take_idle(eng *e, int org)
{
    nat *n = e->nat;
    for (nconn **pp = &n->idle; *pp;) {
        nconn *c = *pp;
        if (c->origin != org) {
            pp = &c->next_idle;
            continue;
        }
        *pp = c->next_idle;
        char b;
        ssize_t r = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return c;
        conn_close(e, c);
    }
    return NULL;
}

/* Room for one more connection: under max_conns, or an idle connection of
 * another server closed to make it. */
static bool room(eng *e)
{
    nat *n = e->nat;
    if (e->o.max_conns <= 0 || n->nconns < e->o.max_conns)
        return true;
    nconn **pp = &n->idle;
    if (!*pp)
        return false;
    while ((*pp)->next_idle) /* the oldest */
        pp = &(*pp)->next_idle;
    nconn *c = *pp;
    *pp = NULL;
    conn_close(e, c);
    return true;
}

/* ---- ending a transfer ---- */

static void dequeue(eng *e);

/* The transfer ends: its connection goes back to the pool (keep) or is
 * closed, a waiting transfer may take the freed place, then on_done. */
static void x_end(eng *e, eng_xfer *x, sb_fail why, const char *msg, bool keep)
{
    uint64_t t = sb_now_ns();
    nconn *c = x->conn;
    nat *n = e->nat;
    x->conn = NULL;
    if (c && keep) {
        c->x = NULL;
        c->st = NC_IDLE;
        c->reused = true;
        h1_resp_free(&c->r);
        h1_resp_init(&c->r);
        c->next_idle = n->idle;
        n->idle = c;
        watch(e, c, EPOLLIN); /* a close by the server shows as readable */
    } else if (c) {
        conn_close(e, c);
    }
    free(x->head);
    x->head = NULL;
    eng_unlink_active(e, x);
    dequeue(e);
    if (x->aborted)
        x->ops->on_done(x->ud, SB_FAIL_NONE, NULL, true, t);
    else
        x->ops->on_done(x->ud, why, msg, false, t);
}

/* A failure found while x starts: reported by the next eng_step. */
static void post(eng *e, eng_xfer *x, sb_fail why, const char *msg)
{
    nat *n = e->nat;
    x->pend_why = (uint8_t)why;
    x->pend_msg = sb_xstrdup(msg);
    x->next_wait = NULL;
    if (n->post_tail)
        n->post_tail->next_wait = x;
    else
        n->post_head = x;
    n->post_tail = x;
}

bool nat_owns(const eng *e, int fd)
{
    const nat *n = e->nat;
    return fd >= 0 && fd < n->nbyfd && n->byfd[fd];
}

bool nat_has_posted(const eng *e)
{
    return e->nat->post_head != NULL;
}

int nat_flush(eng *e)
{
    nat *n = e->nat;
    /* At most those posted before this call: one that an on_done starts and
     * fails is reported by the next step, so this loop always ends. Popped
     * from the live list, so an on_done that cancels or frees another posted
     * transfer (nat_drop unlists it) is safe. */
    int due = 0, k = 0;
    for (const eng_xfer *y = n->post_head; y; y = y->next_wait)
        due++;
    while (n->post_head && k < due) {
        eng_xfer *x = n->post_head;
        n->post_head = x->next_wait;
        if (!n->post_head)
            n->post_tail = NULL;
        char *msg = x->pend_msg;
        sb_fail why = (sb_fail)x->pend_why;
        x->pend_msg = NULL;
        x->pend_why = 0;
        x_end(e, x, why, msg, false);
        free(msg);
        k++;
    }
    return k;
}

/* The message for a failure on a reused connection that the server had
 * closed before this request's response began: the libcurl path's words
 * (engine.c finish), since both refuse to resend. */
static void reused_msg(const eng_xfer *x, char *msg, size_t mn)
{
    snprintf(msg, mn,
             "connection reset: the reused connection closed before the response (not "
             "resent: every attempt is one request) (%s)",
             x->url);
}

/* ---- sending ---- */

/* Writes what is left of head and body (head: x->head when kept, else
 * scratch). 0: all written or the rest waits for EPOLLOUT; -1: errno. */
static int send_some(eng *e, nconn *c, const char *scratch)
{
    eng_xfer *x = c->x;
    uint64_t total = (uint64_t)x->head_len + x->body_len;
    const char *h = x->head ? x->head : scratch;
    while (x->sent < total) {
        struct iovec iov[2];
        int k = 0;
        if (x->sent < x->head_len)
            iov[k++] = (struct iovec){(char *)h + x->sent, x->head_len - (size_t)x->sent};
        size_t boff = x->sent > x->head_len ? (size_t)(x->sent - x->head_len) : 0;
        if (boff < x->body_len)
            iov[k++] = (struct iovec){(char *)x->body + boff, x->body_len - boff};
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)k};
        ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w < 0)
            return -1;
        x->sent += (uint64_t)w;
    }
    if (x->sent < total) {
        if (!x->head && x->sent < x->head_len) /* the scratch is reused by the next start */
            x->head = sb_xstrndup(scratch, x->head_len);
        c->st = NC_SENDING;
        watch(e, c, EPOLLIN | EPOLLOUT);
        return 0;
    }
    free(x->head);
    x->head = NULL;
    c->st = NC_RECEIVING;
    watch(e, c, EPOLLIN);
    return 0;
}

static void send_failed(eng *e, nconn *c, int er, bool posted)
{
    eng_xfer *x = c->x;
    char msg[MSG_MAX];
    if (c->reused && h1_resp_seen(&c->r) == 0 && (er == EPIPE || er == ECONNRESET))
        reused_msg(x, msg, sizeof msg);
    else
        snprintf(msg, sizeof msg, "%s: Send failure: %s (%s)", eng_curl_text(CURLE_SEND_ERROR),
                 strerror(er), x->url);
    if (posted) {
        x->conn = NULL;
        conn_close(e, c);
        post(e, x, SB_FAIL_RESET, msg);
    } else {
        x_end(e, x, SB_FAIL_RESET, msg, false);
    }
}

/* Gives x a connection (pooled, else new) and writes its request. False
 * when there is no room (max_conns): x waits. A failure is posted. */
static bool attach(eng *e, eng_xfer *x, const char *scratch)
{
    nconn *c = take_idle(e, x->origin);
    if (!c && !room(e))
        return false;
    if (!c) {
        c = sb_xcalloc(1, sizeof *c);
        c->fd = -1;
        c->origin = x->origin;
        c->t_conn = sb_now_ns();
        h1_resp_init(&c->r);
        e->nat->nconns++;
        int rc = connect_next(e, c);
        if (rc < 0) {
            char msg[MSG_MAX];
            connect_msg(e, x, errno, msg, sizeof msg);
            conn_close(e, c);
            post(e, x, SB_FAIL_CONNECT, msg);
            return true;
        }
        c->st = NC_CONNECTING;
        c->x = x;
        x->conn = c;
        /* A non-blocking connect() answers EINPROGRESS even when, as on
         * loopback, the handshake is done by the time it returns: write at
         * once if the socket is writable (poll(0), as curl checks), else
         * wait for EPOLLOUT (an error comes that way too). */
        struct pollfd p = {.fd = c->fd, .events = POLLOUT};
        if (rc == 1 && (poll(&p, 1, 0) != 1 || p.revents != POLLOUT)) {
            if (!x->head)
                x->head = sb_xstrndup(scratch, x->head_len);
            watch(e, c, EPOLLOUT);
            return true;
        }
    }
    c->x = x;
    x->conn = c;
    c->st = NC_SENDING;
    if (send_some(e, c, scratch) != 0) {
        int er = errno;
        if (er != EPIPE && er != ECONNRESET) {
            send_failed(e, c, er, true);
            return true;
        }
        /* The server closed, maybe after an early answer (a 413 to a body
         * still going out): the next step reads what came before the close
         * (nat_event reads first; the error keeps the socket ready). */
        if (!x->head && x->sent < x->head_len)
            x->head = sb_xstrndup(scratch, x->head_len);
        watch(e, c, EPOLLIN | EPOLLOUT);
    }
    return true;
}

/* Transfers waiting for a connection take the places that freed up. */
static void dequeue(eng *e)
{
    nat *n = e->nat;
    while (n->wait_head) {
        eng_xfer *x = n->wait_head;
        n->wait_head = x->next_wait;
        if (!n->wait_head)
            n->wait_tail = NULL;
        if (!attach(e, x, NULL)) {
            x->next_wait = n->wait_head;
            n->wait_head = x;
            if (!n->wait_tail)
                n->wait_tail = x;
            return;
        }
    }
}

uint64_t nat_start(eng_xfer *x, const struct curl_slist *headers, const char *body, size_t body_len)
{
    eng *e = x->e;
    nat *n = e->nat;
    x->own = true;
    x->origin = (uint8_t)n->url_origin;
    x->body = body;
    x->body_len = body ? body_len : 0;
    x->sent = 0;
    x->conn = NULL;
    x->next_wait = NULL;
    free(x->head);
    x->head = NULL;
    sb_buf_reset(&n->head);
    h1_request_head(&n->head, &n->u, body != NULL, x->body_len, headers, "servebench/" SB_VERSION);
    x->head_len = (uint32_t)n->head.len;
    uint64_t t = sb_now_ns(); /* the start: connect and write follow at once */
    x->start_ns = x->last_rx_ns = t;
    eng_link_active(e, x);
    if (!attach(e, x, n->head.data)) {
        x->head = sb_xstrndup(n->head.data, x->head_len);
        if (n->wait_tail)
            n->wait_tail->next_wait = x;
        else
            n->wait_head = x;
        n->wait_tail = x;
    }
    return t;
}

/* ---- receiving ---- */

static void sink_status(void *ud, int status)
{
    eng_xfer *x = ud;
    x->status_sent = true;
    x->ops->on_status(x->ud, status);
}

static int sink_body(void *ud, const char *p, size_t n)
{
    eng_xfer *x = ud;
    if (x->ops->on_body(x->ud, p, n, x->e->nat->rx_t, x->e->nat->rx_krx) == 0)
        return 0;
    x->aborted = true;
    return 1;
}

static const h1_sink sink = {sink_status, sink_body};

/* Parses r bytes of the receive buffer. False when the transfer ended. */
static bool feed(eng *e, nconn *c, size_t r)
{
    eng_xfer *x = c->x;
    char msg[MSG_MAX], why[512];
    size_t used = 0;
    h1_rc rc = h1_resp_feed(&c->r, e->nat->rbuf, r, &used, &sink, x, why, sizeof why);
    switch (rc) {
    case H1_MORE:
        return true;
    case H1_DONE: {
        /* bytes after the end would be a pipelined answer nobody asked for */
        bool keep =
            used == r && h1_resp_reusable(&c->r) && x->sent == (uint64_t)x->head_len + x->body_len;
        x_end(e, x, SB_FAIL_NONE, NULL, keep);
        return false;
    }
    case H1_ABORT:
        x_end(e, x, SB_FAIL_NONE, NULL, false);
        return false;
    case H1_ERROR:
    default:
        /* as libcurl's CURLE_WEIRD_SERVER_REPLY, which maps to OTHER */
        snprintf(msg, sizeof msg, "%s: %s (%s)", eng_curl_text(CURLE_WEIRD_SERVER_REPLY), why,
                 x->url);
        x_end(e, x, SB_FAIL_OTHER, msg, false);
        return false;
    }
}

static void on_eof(eng *e, nconn *c)
{
    eng_xfer *x = c->x;
    char msg[MSG_MAX], why[512];
    h1_rc rc = h1_resp_eof(&c->r, &sink, x, why, sizeof why);
    if (rc == H1_DONE) {
        x_end(e, x, SB_FAIL_NONE, NULL, false);
        return;
    }
    if (rc == H1_ABORT) {
        x_end(e, x, SB_FAIL_NONE, NULL, false);
        return;
    }
    if (c->reused && h1_resp_seen(&c->r) == 0)
        reused_msg(x, msg, sizeof msg);
    else
        snprintf(msg, sizeof msg, "connection closed: %s (%s)", why, x->url);
    x_end(e, x, SB_FAIL_RESET, msg, false);
}

static void on_rx_error(eng *e, nconn *c, int er)
{
    eng_xfer *x = c->x;
    char msg[MSG_MAX];
    if (c->reused && h1_resp_seen(&c->r) == 0)
        reused_msg(x, msg, sizeof msg);
    else
        snprintf(msg, sizeof msg, "%s: Recv failure: %s (%s)", eng_curl_text(CURLE_RECV_ERROR),
                 strerror(er), x->url);
    x_end(e, x, SB_FAIL_RESET, msg, false);
}

/* Reads and parses at once; the time is taken right after each recv
 * returns, before any parsing (the same point as curl's write callback). */
/* With --rx-timestamps kernel each read is a recvmsg that hands over the
 * SO_TIMESTAMPING stamp of the newest segment it copied (TCP keeps the
 * stamp of the last skb read), i.e. of exactly the data read, so every
 * piece has one (the libcurl path peeks before curl reads and must drop
 * stamps it cannot vouch for). */
static bool readable(eng *e, nconn *c)
{
    nat *n = e->nat;
    for (int i = 0; i < NAT_READS; i++) {
        uint64_t krx = 0;
        ssize_t r = e->o.rx_kernel ? eng_recv_stamped(c->fd, n->rbuf, NAT_RBUF, 0, e->krx_rm, &krx)
                                   : recv(c->fd, n->rbuf, NAT_RBUF, 0);
        uint64_t t = sb_now_ns();
        if (r > 0) {
            n->rx_t = c->x->last_rx_ns = t;
            n->rx_krx = krx <= t ? krx : 0;
            if (!feed(e, c, (size_t)r))
                return false;
            if ((size_t)r < NAT_RBUF)
                return true; /* the socket is most likely drained */
            continue;
        }
        if (r == 0) {
            on_eof(e, c);
            return false;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            on_rx_error(e, c, errno);
            return false;
        }
        return true;
    }
    return true;
}

static void connected(eng *e, nconn *c)
{
    eng_xfer *x = c->x;
    int er = 0;
    socklen_t l = sizeof er;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &er, &l) != 0)
        er = errno;
    if (er) { /* the next address, if the server has one */
        e->nat->byfd[c->fd] = NULL;
        close(c->fd);
        c->fd = -1;
        c->ai++;
        int rc = connect_next(e, c);
        if (rc == 1) {
            watch(e, c, EPOLLOUT);
            return;
        }
        if (rc < 0) {
            char msg[MSG_MAX];
            connect_msg(e, x, er, msg, sizeof msg);
            x_end(e, x, SB_FAIL_CONNECT, msg, false);
            return;
        }
    }
    c->st = NC_SENDING;
    if (send_some(e, c, NULL) != 0)
        send_failed(e, c, errno, false);
}

static void idle_event(eng *e, nconn *c)
{
    nat *n = e->nat;
    for (nconn **pp = &n->idle; *pp; pp = &(*pp)->next_idle)
        if (*pp == c) {
            *pp = c->next_idle;
            break;
        }
    conn_close(e, c); /* closed by the server, or bytes nobody asked for */
    dequeue(e);
}

bool nat_event(eng *e, int fd, uint32_t events)
{
    nat *n = e->nat;
    nconn *c = fd >= 0 && fd < n->nbyfd ? n->byfd[fd] : NULL;
    if (!c)
        return false;
    if (c->st == NC_IDLE) {
        idle_event(e, c);
        return true;
    }
    if (c->st == NC_CONNECTING) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            connected(e, c);
        return true;
    }
    /* Read before writing, as libcurl does: a server that answers early (a
     * 413 while the body is still going out) and closes gets its answer
     * reported, not the send failure its close causes. */
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !readable(e, c))
        return true; /* the transfer ended */
    if (c->st == NC_SENDING && (events & EPOLLOUT) && send_some(e, c, NULL) != 0)
        send_failed(e, c, errno, false);
    return true;
}

/* ---- timeouts, cancel ---- */

static void unlist(eng_xfer **head, eng_xfer **tail, eng_xfer *x);

bool nat_check(eng_xfer *x, uint64_t now)
{
    eng *e = x->e;
    if (x->pend_why)
        return false; /* already ended, reported at the next step */
    nconn *c = x->conn;
    uint64_t ct =
        e->o.connect_timeout_s > 0 ? (uint64_t)(e->o.connect_timeout_s * 1e9) : CONNECT_DEFAULT_NS;
    char msg[MSG_MAX];
    if (e->o.timeout_s > 0 && now - x->start_ns >= (uint64_t)(e->o.timeout_s * 1e9)) {
        snprintf(msg, sizeof msg,
                 "%s: Operation timed out after %llu milliseconds with %llu bytes received (%s)",
                 eng_curl_text(CURLE_OPERATION_TIMEDOUT),
                 (unsigned long long)((now - x->start_ns) / SB_NS_PER_MS),
                 (unsigned long long)(c ? h1_resp_seen(&c->r) : 0), x->url);
        if (!c) /* still waiting for a connection: it must never take one now */
            unlist(&e->nat->wait_head, &e->nat->wait_tail, x);
        x_end(e, x, SB_FAIL_TIMEOUT, msg, false);
        return true;
    }
    if (c && c->st == NC_CONNECTING && now - c->t_conn >= ct) {
        snprintf(msg, sizeof msg, "%s: Connection timed out after %llu milliseconds (%s)",
                 eng_curl_text(CURLE_OPERATION_TIMEDOUT),
                 (unsigned long long)((now - c->t_conn) / SB_NS_PER_MS), x->url);
        x_end(e, x, SB_FAIL_TIMEOUT, msg, false);
        return true;
    }
    return false;
}

static void unlist(eng_xfer **head, eng_xfer **tail, eng_xfer *x)
{
    eng_xfer *prev = NULL;
    for (eng_xfer *y = *head; y; prev = y, y = y->next_wait)
        if (y == x) {
            if (prev)
                prev->next_wait = x->next_wait;
            else
                *head = x->next_wait;
            if (*tail == x)
                *tail = prev;
            return;
        }
}

void nat_drop(eng_xfer *x)
{
    eng *e = x->e;
    nat *n = e->nat;
    if (x->pend_why) {
        unlist(&n->post_head, &n->post_tail, x);
        free(x->pend_msg);
        x->pend_msg = NULL;
        x->pend_why = 0;
    } else if (x->conn) {
        conn_close(e, x->conn);
        x->conn = NULL;
    } else {
        unlist(&n->wait_head, &n->wait_tail, x);
    }
    free(x->head);
    x->head = NULL;
}

void nat_after_drop(eng *e)
{
    dequeue(e);
}
