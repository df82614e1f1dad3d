/* SPDX-License-Identifier: Apache-2.0 */
/* engine_int.h - the engine's private parts, shared by engine.c (libcurl and
 * the event loop) and native.c (the own HTTP/1.1 transport). Not for callers
 * outside src/http: they see engine.h only. */
#ifndef SB_ENGINE_INT_H
#define SB_ENGINE_INT_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "http/engine.h"
#include "http/h1.h"

struct addrinfo;
typedef struct nat nat;
typedef struct nconn nconn;

struct eng {
    CURLM *multi;
    eng_opts o;
    int epfd, tfd;
    uint64_t curl_deadline_ns; /* 0 = curl wants no timeout call */
    uint64_t armed_ns;         /* what the timerfd is set to (0 = disarmed) */
    int running;               /* transfers started and not ended, both paths */
    int active_own;            /* of them on the own transport */
    int progressed;            /* transfers finished in this step */
    eng_xfer *active;          /* running transfers, for the stall and timeout check */
    uint64_t next_check_ns;    /* of check_stalls */
    uint64_t check_every_ns;   /* its period (docs/engine.md "Own HTTP/1.1 transport") */
    int open_socks;            /* sockets curl holds open: connections, idle or busy */
    int plain_http;            /* https URL, plain server: 0 not probed, 1 yes, -1 no */
    char plain_where[80];      /* its address, when 1 */
    curl_socket_t fresh[16];   /* sockets new since the last kick that wait to be writable */
    int n_fresh;
    struct curl_slist *resolve; /* CURLOPT_RESOLVE entry from eng_resolve, or NULL */
    bool resolve_tried;         /* eng_resolve ran (or was tried lazily) */
    nat *nat;                   /* the own transport's engine-wide state (native.c) */
    /* eng_fetch's easy handle, kept so side requests reuse one keep-alive
     * connection (the /tokenize check sends 8 in a row before t0). The
     * scraper thread fetches too: whoever finds it locked uses a new one. */
    pthread_mutex_t fetch_mu;
    CURL *fetch_easy;       /* libcurl's (https, proxies) */
    int fetch_fd;           /* the own transport's (nat_fetch), -1 none */
    char fetch_origin[272]; /* its server, as h1_url.authority */
    /* rx_kernel: the newest peek of each socket (indexed by fd; cleared when
     * the fd is opened or closed). Every socket readable at a wake-up is
     * peeked before curl reads any of them, because curl also runs transfers
     * whose timers expired, while it handles another socket or a timeout,
     * and they read their own sockets out of turn. */
    struct krx_pre {
        uint64_t ns, bytes; /* stamp; tcpi_bytes_received just before it was taken */
    } * krx_pre;
    int n_krx_pre;
    int64_t krx_rm; /* realtime - monotonic (real_minus_mono) */
};

/* What only a transfer that goes through libcurl needs: allocated the first
 * time its slot uses libcurl, so an own-transport slot never holds an easy
 * handle (5 KB) or curl's error buffer. */
typedef struct xcurl {
    CURL *easy;
    char *url_copy;      /* the URL set on the easy handle */
    unsigned attempts;   /* requests curl put on the wire for this start */
    bool resend_refused; /* curl wanted to resend it: see attempt_cb */
    long recv_buf;       /* CURLOPT_BUFFERSIZE now set (0 = curl's default) */
    int fd;              /* rx_kernel: the socket curl last registered for it (-1 none) */
    char errbuf[CURL_ERROR_SIZE];
} xcurl;

struct eng_xfer {
    eng *e;
    const eng_ops *ops;
    void *ud;
    const char *url;
    eng_xfer *prev, *next; /* in e->active while running */
    uint64_t start_ns;     /* the request's recorded start */
    uint64_t last_rx_ns;   /* start, then the newest data received */
    bool active, status_sent, aborted;
    bool own;  /* this start runs on the own transport (native.c) */
    xcurl *cu; /* libcurl part, NULL until first needed */
    /* own transport, valid while own && active */
    nconn *conn;         /* its connection; NULL while waiting for one */
    eng_xfer *next_wait; /* in the FIFO of transfers waiting for a connection / to end */
    const char *body;    /* the caller's, until on_done */
    size_t body_len;     /* of body */
    char *head;          /* request head not yet sent (owned), or NULL */
    uint32_t head_len;   /* of the whole head */
    uint64_t sent;       /* head + body bytes written */
    uint8_t origin;      /* index of its server in the own transport's table */
    uint8_t pend_why;    /* sb_fail of a failure found while starting (posted) */
    char *pend_msg;      /* its message (owned) */
};

/* A side request's reply (eng_fetch: metrics scrape, probe, /v1/models) is
 * held whole, so capped. */
#define FETCH_MAX ((size_t)64 << 20)

/* engine.c: libcurl 7.88's curl_easy_strerror text of rc, for the codes the
 * own transport's messages use (so they read as the libcurl path's without
 * loading libcurl). */
const char *eng_curl_text(CURLcode rc);

/* engine.c: keeps e->active and e->running. */
void eng_link_active(eng *e, eng_xfer *x);
void eng_unlink_active(eng *e, eng_xfer *x);

/* ---- native.c: the own HTTP/1.1 transport ---- */

nat *nat_new(void);
/* Closes every connection; no transfer may be running. */
void nat_free(nat *n);
/* Pins the addresses eng_resolve found for host:port (res: a getaddrinfo
 * list) so that URLs naming that server run on the own transport. */
void nat_pin(eng *e, const char *host, unsigned port, const struct addrinfo *res);
/* Would the own transport take url with options o (NULL: defaults)? Parses
 * it into u: plain http:// that h1_url_parse reads, no proxy applies, not
 * --http-client curl / --http2 / the poll loop. No engine state: any thread. */
bool nat_url_ok(const eng_opts *o, const char *url, h1_url *u);
/* eng_fetch over the own transport (nat_url_ok was true; GET without body or
 * POST with one): blocking, on the caller's thread (nat_fetch.c). */
int nat_fetch(eng *e, const char *method, const char *url, const h1_url *u,
              const struct curl_slist *headers, const char *body, sb_buf *out, double timeout_s,
              sb_err *err);
/* Does the own transport take url? (Eligibility: docs/engine.md "Own HTTP/1.1
 * transport".) Cached for the last URL; may resolve the host once. */
bool nat_takes(eng *e, const char *url);
/* Starts x on the own transport (nat_takes(x->url) was just true): builds the head,
 * takes the start time, connects or reuses and writes. Returns the start. */
uint64_t nat_start(eng_xfer *x, const struct curl_slist *headers, const char *body,
                   size_t body_len);
/* Is fd an own connection? */
bool nat_owns(const eng *e, int fd);
/* An epoll event on fd: true when fd is an own connection (handled). */
bool nat_event(eng *e, int fd, uint32_t events);
/* Ends transfers whose failure was found while they were starting (on_done
 * is never called from inside eng_xfer_start). Returns how many. */
int nat_flush(eng *e);
bool nat_has_posted(const eng *e);
/* The periodic check: request and connect timeouts of x. True when x
 * timed out (on_done was called). */
bool nat_check(eng_xfer *x, uint64_t now);
/* Takes x off the own transport without on_done (cancel, free): closes its
 * connection, drops it from the queues. The caller unlinks x, then calls
 * nat_after_drop so a waiting transfer may take the freed place. */
void nat_drop(eng_xfer *x);
void nat_after_drop(eng *e);
int nat_open_conns(const eng *e);

/* recvmsg on fd with the SO_TIMESTAMPING control message (engine.c): the
 * count recvmsg returns; *krx the kernel's software receive stamp of the
 * data read (or, with MSG_PEEK, of the newest queued), moved to
 * CLOCK_MONOTONIC with rm (realtime - monotonic); 0 when there was none or
 * it is not after the epoch of that clock. */
ssize_t eng_recv_stamped(int fd, void *buf, size_t len, int flags, int64_t rm, uint64_t *krx);

#endif
