/* SPDX-License-Identifier: Apache-2.0 */
/* test_sim_client.h - a minimal blocking HTTP/1.1 client for the sim tests.
 *
 * Raw sockets on purpose: the tests check the bytes the simulator sends
 * (status line, chunk framing, SSE events) and take their own receive
 * timestamps, so no HTTP library sits in between. Static functions only;
 * each test_sim*.c includes it. */
#ifndef SB_TEST_SIM_CLIENT_H
#define SB_TEST_SIM_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "sim/sim.h"
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"

typedef struct sc_resp {
    int status;        /* 0 when no status line came */
    int reset;         /* the read ended with ECONNRESET */
    int complete;      /* body framing finished (length reached / last chunk) */
    sb_buf head, body; /* raw header block, de-chunked body */
    uint64_t first_byte_ns;
    /* SSE events: receive time of the read that completed each event. */
    size_t nev;     /* events seen (ev_ns keeps the first 4096) */
    size_t scanned; /* body bytes already searched for events */
    uint64_t ev_ns[4096];
} sc_resp;

static int sc_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 15};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int sc_send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Sends a request with a JSON body (body may be NULL for GET). */
static int sc_send(int fd, const char *method, const char *path, const char *extra_headers,
                   const char *body)
{
    sb_buf b;
    sb_buf_init(&b);
    sb_buf_printf(&b, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s", method, path,
                  extra_headers ? extra_headers : "");
    if (body)
        sb_buf_printf(&b, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                      strlen(body), body);
    else
        sb_buf_puts(&b, "\r\n");
    int rc = sc_send_all(fd, b.data, b.len);
    sb_buf_free(&b);
    return rc;
}

static void sc_resp_init(sc_resp *r)
{
    memset(r, 0, sizeof *r);
    sb_buf_init(&r->head);
    sb_buf_init(&r->body);
}

static void sc_resp_free(sc_resp *r)
{
    sb_buf_free(&r->head);
    sb_buf_free(&r->body);
}

static const char *sc_header(const sc_resp *r, const char *name)
{
    if (!r->head.data)
        return NULL;
    size_t n = strlen(name);
    for (const char *p = r->head.data; (p = strchr(p, '\n')) != NULL;) {
        p++;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':')
            return p + n + 1 + strspn(p + n + 1, " ");
    }
    return NULL;
}

/* Counts events ("\n\n"-terminated) in the body bytes not yet scanned,
 * stamping new ones (linear over the whole response). */
static void sc_stamp_events(sc_resp *r, uint64_t t)
{
    size_t i = r->scanned ? r->scanned - 1 : 0;
    for (; i + 1 < r->body.len; i++)
        if (r->body.data[i] == '\n' && r->body.data[i + 1] == '\n') {
            if (r->nev < sizeof r->ev_ns / sizeof r->ev_ns[0])
                r->ev_ns[r->nev] = t;
            r->nev++;
            i++;
        }
    r->scanned = r->body.len;
}

/* De-chunks raw[*off..] into body; returns 1 when the last chunk was seen. */
static int sc_dechunk(sb_buf *raw, size_t *off, sb_buf *body)
{
    for (;;) {
        char *p = raw->data + *off;
        /* A bounded search: sanitizers make strstr O(rest of buffer) per call. */
        size_t avail = raw->len - *off;
        char *eol = memchr(p, '\r', avail < 32 ? avail : 32);
        if (!eol || (size_t)(eol - p) + 1 >= avail)
            return 0;
        size_t sz = strtoul(p, NULL, 16);
        size_t need = (size_t)(eol - p) + 2 + sz + 2;
        if (raw->len - *off < need)
            return 0;
        sb_buf_append(body, eol + 2, sz);
        *off += need;
        if (sz == 0)
            return 1;
    }
}

/* Reads one whole response (Content-Length, chunked or until close). */
static int sc_read(int fd, sc_resp *r)
{
    sb_buf raw;
    sb_buf_init(&raw);
    size_t hlen = 0, off = 0;
    long clen = -1;
    int chunked = 0;
    char tmp[65536];
    for (;;) {
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        uint64_t t = sb_now_ns();
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r->reset = n < 0 && errno == ECONNRESET;
            if (n == 0 && hlen && clen < 0 && !chunked)
                r->complete = 1;
            break;
        }
        if (!r->first_byte_ns)
            r->first_byte_ns = t;
        sb_buf_append(&raw, tmp, (size_t)n);
        if (!hlen) {
            char *e = strstr(raw.data, "\r\n\r\n");
            if (!e)
                continue;
            hlen = (size_t)(e - raw.data) + 4;
            sb_buf_append(&r->head, raw.data, hlen);
            r->status = atoi(raw.data + 9);
            const char *cl = sc_header(r, "content-length");
            const char *te = sc_header(r, "transfer-encoding");
            clen = cl ? atol(cl) : -1;
            chunked = te && strncasecmp(te, "chunked", 7) == 0;
            off = hlen;
        }
        if (chunked) {
            int done = sc_dechunk(&raw, &off, &r->body);
            sc_stamp_events(r, t);
            if (done) {
                r->complete = 1;
                break;
            }
        } else {
            sb_buf_append(&r->body, raw.data + off, raw.len - off);
            off = raw.len;
            sc_stamp_events(r, t);
            if (clen >= 0 && r->body.len >= (size_t)clen) {
                r->complete = 1;
                break;
            }
        }
    }
    sb_buf_free(&raw);
    return r->status ? 0 : -1;
}

/* One request on a fresh connection. */
static int sc_do(int port, const char *method, const char *path, const char *headers,
                 const char *body, sc_resp *r)
{
    sc_resp_init(r);
    int fd = sc_connect(port);
    if (fd < 0)
        return -1;
    int rc = sc_send(fd, method, path, headers, body) == 0 ? sc_read(fd, r) : -1;
    close(fd);
    return rc;
}

/* Occurrences of needle in the body, in one linear pass. */
__attribute__((unused)) static size_t sc_count(const sc_resp *r, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    for (size_t i = 0; i + k <= r->body.len; i++)
        if (r->body.data[i] == needle[0] && memcmp(r->body.data + i, needle, k) == 0)
            n++;
    return n;
}

/* Splits an SSE body into its "data: " payloads (malloc'd strings, n returned). */
__attribute__((unused)) static size_t sc_events(const sc_resp *r, char **out, size_t max)
{
    size_t n = 0;
    const char *p = r->body.data ? r->body.data : "";
    while (*p && n < max) {
        const char *e = strstr(p, "\n\n");
        size_t len = e ? (size_t)(e - p) : strlen(p);
        out[n++] = sb_xstrndup(p, len);
        if (!e)
            break;
        p = e + 2;
    }
    return n;
}

__attribute__((unused)) static void sc_events_free(char **ev, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ev[i]);
}

/* Starts an in-process simulator on an ephemeral port with extra options
 * (space-separated); fails the test if it does not start. */
static inline sim_server *sc_sim_start(const char *args)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "sim --port 0 --quiet %s", args ? args : "");
    char *argv[64];
    int argc = 0;
    for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " "))
        argv[argc++] = t;
    sb_err err;
    sb_err_clear(&err);
    sim_server *s = sim_start(argc, argv, &err);
    if (!s)
        print_error("sim_start: %s\n", err.msg);
    assert_non_null(s);
    return s;
}

#endif
