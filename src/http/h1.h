/* SPDX-License-Identifier: Apache-2.0 */
/* h1.h - the HTTP/1.1 wire format of the engine's own transport.
 *
 * Why the engine has a transport of its own: libcurl keeps ~11 KB per
 * stream in flight (easy handle, connection, buffers) and costs a state
 * machine walk per event; a plain http:// HTTP/1.1 stream needs a socket, a
 * few words of parser state and a receive buffer shared by all streams
 * (docs/engine.md "Own HTTP/1.1 transport"). libcurl stays for everything
 * else: https, HTTP/2, proxies, side requests.
 *
 * This module is the format only: no I/O, no clock, nothing allocated on the
 * hot path. h1_request_head writes what libcurl 7.88 would put on the wire
 * for the same transfer, so a server sees the same request either way. The
 * response parser is incremental and hands the body on in place (pointers
 * into the caller's receive buffer, chunked transfer coding removed). Every
 * length from the wire is bounded, so a hostile server gets a clear error,
 * never unbounded memory or time. */
#ifndef SB_H1_H
#define SB_H1_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* ---- URL ---- */

typedef struct h1_url {
    char host[256];      /* as written in the URL; an IPv6 literal without brackets */
    char authority[272]; /* host[:port] as the Host header carries it (brackets kept) */
    unsigned port;       /* 80 when the URL names none */
    const char *path;    /* into the parsed URL: path and query, never empty ("/") */
} h1_url;

/* Parses url for the own transport. False when the transport does not take
 * it, and the engine then uses libcurl: not "http://", user:password@, a
 * fragment, a port outside 1..65535, a host longer than the struct holds, or
 * a byte libcurl would rewrite (space, control, non-ASCII). u->path points
 * into url, which must outlive u. */
bool h1_url_parse(const char *url, h1_url *u);

/* A port as written after "host:" (n bytes of decimal digits, 1..65535). */
bool h1_port_parse(const char *p, size_t n, unsigned *port);

/* ---- request ---- */

/* Appends to out the request head libcurl 7.88 sends for a POST (post =
 * true, body_len bytes follow) or GET of u with these headers:
 *   "POST /path HTTP/1.1", Host, User-Agent (user_agent), Accept: * / *,
 *   the caller's headers in their order, then for a POST Content-Type
 *   (application/x-www-form-urlencoded unless the caller gave one) and
 *   Content-Length, then the empty line.
 * The caller's headers follow libcurl's rules: "Name: value" replaces a
 * default of that name (Host, User-Agent, Accept, Content-Type), "Name:"
 * with no value removes it and sends nothing, "Name;" sends "Name:" empty.
 * A caller's Content-Length or Transfer-Encoding is not sent (the body's
 * length is ours to state; curl would send the caller's). Expect:
 * 100-continue is never sent (curl adds it to a body over 1 MiB unless the
 * caller's "Expect:" removes it, as the engine's callers' headers do). */
void h1_request_head(sb_buf *out, const h1_url *u, bool post, size_t body_len,
                     const struct curl_slist *headers, const char *user_agent);

/* ---- response ---- */

#define H1_LINE_MAX 8192u  /* one status, header, chunk-size or trailer line */
#define H1_HEAD_MAX 65536u /* all header lines of one response (and its 1xx ones) */

typedef enum h1_rc {
    H1_MORE,  /* every byte was taken; the response goes on */
    H1_DONE,  /* the response ended */
    H1_ABORT, /* on_body returned nonzero */
    H1_ERROR  /* the bytes are not an HTTP/1.x response: msg says what and where */
} h1_rc;

typedef struct h1_sink {
    /* Once per response, when the final (non-1xx) head is complete, before
     * any body piece. */
    void (*on_status)(void *ud, int status);
    /* A piece of the body (chunk framing removed), pointing into the bytes
     * given to h1_resp_feed. Nonzero stops the parse with H1_ABORT. */
    int (*on_body)(void *ud, const char *p, size_t n);
} h1_sink;

typedef struct h1_resp {
    uint8_t state;     /* parser state (h1.c) */
    bool chunked;      /* Transfer-Encoding ends in chunked */
    bool has_len;      /* Content-Length given */
    bool close;        /* Connection: close, or HTTP/1.0 */
    bool to_eof;       /* body ends when the server closes */
    int status;        /* of the final head; 0 before it */
    uint64_t left;     /* body bytes left: of Content-Length, or of the chunk */
    uint64_t seen;     /* response bytes taken so far */
    uint32_t head_len; /* header bytes of this response so far */
    uint32_t line_len; /* bytes of a line split across feeds, held in line */
    uint32_t line_cap; /* allocated size of line */
    char *line;        /* that line; allocated only when a line spans feeds,
                        * and let go once a long one (> 256 bytes) is used */
} h1_resp;

/* Before each response (also to reuse r after H1_DONE or an error). r is
 * zeroed memory or a parser initialised before (what it holds is kept for
 * reuse: h1_resp_free lets it go). */
void h1_resp_init(h1_resp *r);
/* Frees what r holds; r may be initialised again. */
void h1_resp_free(h1_resp *r);

/* Feeds n received bytes. *used is the count taken (all n unless H1_DONE,
 * H1_ABORT or H1_ERROR came first). Bytes after a response's end are the
 * caller's concern (this client never pipelines: they are an error there).
 * msg (msgn bytes) gets one sentence on H1_ERROR, e.g. "bad chunk size line
 * \"zz\" at byte 812 of the response". */
h1_rc h1_resp_feed(h1_resp *r, const char *p, size_t n, size_t *used, const h1_sink *s, void *ud,
                   char *msg, size_t msgn);

/* The server closed the connection (recv returned 0). H1_DONE when that is
 * the end of a body delimited by the close, else H1_ERROR with msg saying
 * what was cut short ("the connection closed after 40 of 512 body bytes").
 * A response with no byte at all is an error too: h1_resp_seen tells it
 * apart (a reused connection the server had closed). */
h1_rc h1_resp_eof(h1_resp *r, const h1_sink *s, void *ud, char *msg, size_t msgn);

/* After H1_DONE: may this connection carry the next request? (HTTP/1.1,
 * no Connection: close, the body's end was not the close.) */
bool h1_resp_reusable(const h1_resp *r);

/* Response bytes taken so far (0: nothing arrived). */
static inline uint64_t h1_resp_seen(const h1_resp *r)
{
    return r->seen;
}

#endif
