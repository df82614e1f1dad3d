/* SPDX-License-Identifier: Apache-2.0 */
/* engine.h - the HTTP engine: its own HTTP/1.1 transport for plain http://
 * (native.c, h1.c) and libcurl's multi interface for the rest, on one event
 * loop. A transfer runs on the own transport when it can (docs/engine.md
 * "Own HTTP/1.1 transport"); the callbacks and failure reasons are the same
 * either way.
 *
 * One eng owns one curl multi handle (made the first time a transfer goes
 * through libcurl, which is opened then: core/curl_dl.h; connections are
 * pooled and reused across requests, capped at max_conns) and one epoll set
 * driven through
 * curl_multi_socket_action (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION), with a
 * timerfd giving nanosecond wake-ups for the caller's send deadlines. A
 * curl_multi_poll loop is kept as an alternative (eng_opts.use_poll) so the
 * two can be measured (bench/engine.md).
 *
 * A transfer (eng_xfer) is a reusable slot (its easy handle made the first
 * time it goes through libcurl): the caller starts it with a URL, headers
 * and a body, and gets callbacks: the status line, every body piece with the
 * monotonic time taken right after the read of it (curl's write callback on
 * libcurl) before any parsing, and the end with a mapped failure reason. Nothing here knows an
 * API's JSON. Single-threaded: all calls from the loop's thread. */
#ifndef SB_ENGINE_H
#define SB_ENGINE_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "metrics/record.h"

typedef struct eng eng;
typedef struct eng_xfer eng_xfer;

/* libcurl path: receive buffer per transfer (libcurl's, allocated when the transfer starts
 * and freed when it ends). 16 KiB reads a fast stream in fewer recv() calls;
 * 1 KiB (curl's minimum) holds a few token messages and keeps a stream's
 * client memory under 8 KB. With many streams in flight each one is slow
 * (the server shares its output among them), so the big buffer goes to the
 * first ENG_BIG_BUFS only: at most 1 MiB per engine. */
#define ENG_RECV_BIG 16384L
#define ENG_RECV_SMALL 1024L
#define ENG_BIG_BUFS 64

typedef struct eng_opts {
    long max_conns;           /* CURLMOPT_MAX_TOTAL_CONNECTIONS; 0 = unlimited */
    bool http2;               /* ask for HTTP/2 (ALPN on https, h2c upgrade on http) */
    bool insecure;            /* skip TLS peer and host verification */
    const char *ca_bundle;    /* CURLOPT_CAINFO: PEM file of trusted CAs; NULL = curl's default */
    double timeout_s;         /* whole-request timeout; 0 = none */
    double stall_s;           /* abort a transfer that receives nothing this long; 0 = none */
    double connect_timeout_s; /* 0 = curl's default */
    long recv_buffer_bytes;   /* CURLOPT_BUFFERSIZE; 0 = ENG_RECV_BIG for the first
                               * ENG_BIG_BUFS transfers in flight, ENG_RECV_SMALL beyond */
    bool use_poll;            /* curl_multi_poll loop instead of epoll + socket_action */
    /* Kernel receive stamps (--rx-timestamps kernel; plain HTTP/1.1, epoll
     * loop): every connection asks for SO_TIMESTAMPING software receive
     * stamps; the own transport reads each with its data (recvmsg), and on
     * libcurl, before curl reads a readable socket, the engine peeks
     * (MSG_PEEK, nothing consumed) for the stamp of the newest data queued
     * on it; curl's happy-eyeballs timer is set to 0 (it would make curl read
     * a socket out of turn 200 ms into a stream). docs/engine.md "Receive
     * timestamps" says what the stamp means. */
    bool rx_kernel;
    /* Every transfer through libcurl (--http-client curl), never the own
     * HTTP/1.1 transport (docs/engine.md "Own HTTP/1.1 transport"). */
    bool curl_only;
} eng_opts;

typedef struct eng_ops {
    void (*on_status)(void *ud, int status);
    /* Returns 0 to continue, -1 to abort the transfer (ends with why = NONE
     * from the engine's side: the callback already recorded its reason).
     * krx_ns: with eng_opts.rx_kernel, the kernel's receive time
     * (CLOCK_MONOTONIC, <= t_ns) of the newest segment of the read that
     * brought this piece (own transport), or of the newest segment queued on
     * the socket when the engine peeked it before curl read this piece
     * (libcurl); 0 when not asked for, when the kernel gave none, or when
     * curl may have read data that arrived after the peek (never a stamp
     * from before the data arrived). */
    int (*on_body)(void *ud, const char *p, size_t n, uint64_t t_ns, uint64_t krx_ns);
    /* why: SB_FAIL_NONE for a complete response (any status), otherwise the
     * transport failure with a message naming the URL. aborted: on_body
     * asked to stop. */
    void (*on_done)(void *ud, sb_fail why, const char *msg, bool aborted, uint64_t t_ns);
} eng_ops;

/* With o->rx_kernel, fails (err set) when this kernel refuses
 * SO_TIMESTAMPING software receive stamps on a TCP socket. */
eng *eng_new(const eng_opts *o, sb_err *err);
/* The options e was made with (to make a sibling engine for another loop). */
const eng_opts *eng_options(const eng *e);
void eng_free(eng *e);

eng_xfer *eng_xfer_new(eng *e);
void eng_xfer_free(eng_xfer *x);
/* Starts a POST (body != NULL) or GET. url, headers and body must stay valid
 * until on_done. Returns the monotonic time just before the connect/write
 * (own transport, done inside this call) or the hand-over to curl (the
 * request's start), or 0 if curl refused it (on_done not called). on_done
 * never runs inside this call: a failure found here comes from eng_step. */
uint64_t eng_xfer_start(eng_xfer *x, const char *url, const struct curl_slist *headers,
                        const char *body, size_t body_len, const eng_ops *ops, void *ud);
/* Drives transfers that curl wants to run now (those just started): the
 * caller records a request's start, starts it and kicks, so its connection
 * is opened and its bytes written before the next request is even set up
 * (the first request of a burst goes out first, not after all of them). */
void eng_kick(eng *e);
/* Resolves url's host once (getaddrinfo) and pins the addresses for every
 * transfer created afterwards (CURLOPT_RESOLVE), so no request pays a name
 * look-up or a resolver thread inside its timing. A host that does not
 * resolve is left to curl (the requests then fail with curl's reason).
 * Returns -1 only for a URL without a readable host. */
int eng_resolve(eng *e, const char *url, sb_err *err);
/* Before a run, after eng_resolve: when url goes through libcurl (https://,
 * --http2, a proxy, --http-client curl), opens libcurl now (outside the
 * timed part: it is loaded on first use, core/curl_dl.h) and makes the
 * multi handle. -1 with err naming libcurl and what needs it when it cannot
 * be loaded. A plain http:// URL on the own transport: 0, nothing loaded. */
int eng_curl_prepare(eng *e, const char *url, sb_err *err);
/* Sockets (connections) open now, idle or busy, on both paths. */
int eng_open_conns(const eng *e);
/* Aborts a running transfer; on_done is called with why (e.g. CANCELLED). */
void eng_xfer_cancel(eng_xfer *x, sb_fail why, const char *msg);

/* Runs the loop until something happened (a transfer ended or data moved),
 * deadline_ns passed (0 = no deadline), or a signal interrupted the wait.
 * Returns the number of transfers still running. */
int eng_step(eng *e, uint64_t deadline_ns);
int eng_running(const eng *e);

/* Blocking helper for one-off requests outside the timed run (model list,
 * /metrics, profiler): GET or POST url, body into out. Returns the HTTP status,
 * or -1 with err set on a transport failure. Plain http:// that the own
 * transport takes goes over it (nat_fetch.c; no libcurl); the rest over
 * libcurl. Safe from another thread than the loop's (e is only read, but
 * for its one kept connection, under a lock). */
int eng_fetch(eng *e, const char *method, const char *url, const struct curl_slist *headers,
              const char *body, sb_buf *out, double timeout_s, sb_err *err);

/* Before a run against an https:// URL: one TLS handshake (connect only, at
 * most connect_s seconds) with the options' verification settings, so an
 * expired, self-signed or wrong-host certificate, or a plain-HTTP port,
 * stops the run at once with one clear message instead of failing every
 * request. The message names host and port, never the URL's user:password.
 * 0, or -1 with err. (http/tls_check.c) */
int eng_tls_check(const eng_opts *o, const char *url, double connect_s, sb_err *err);

/* Within http/ only: does the server easy is connected to answer a plain
 * "HEAD / HTTP/1.0" on a new connection (at most 1.5 s)? Writes "ip:port"
 * to where. (http/engine.c) */
bool eng_answers_plain_http(CURL *easy, char *where, size_t wn);

#endif
