/* SPDX-License-Identifier: Apache-2.0 */
/* sim_http.h - the simulator's HTTP/1.1 request parser.
 *
 * A pure function over a byte buffer (no sockets, no allocation) so the
 * connection code can call it after every read and the fuzzer can call it on
 * arbitrary bytes. Views point into the caller's buffer. */
#ifndef SB_SIM_HTTP_H
#define SB_SIM_HTTP_H

#include <stddef.h>

typedef struct sim_str {
    const char *p;
    size_t n;
} sim_str;

typedef struct sim_http_req {
    sim_str method, path, version;
    sim_str request_id; /* x-request-id header, empty when absent */
    sim_str session_id; /* x-session-id header (a client's session affinity), empty when absent */
    sim_str content_type;
    const char *body; /* Content-Length bytes after the headers */
    size_t body_len;
    size_t total_len;  /* header + body bytes this request used */
    int keep_alive;    /* HTTP/1.1 default on; Connection: close turns it off */
    int status;        /* on SIM_HTTP_ERROR: the 4xx/5xx to answer */
    const char *error; /* on SIM_HTTP_ERROR: a static sentence saying what is wrong */
} sim_http_req;

enum { SIM_HTTP_INCOMPLETE = 0, SIM_HTTP_DONE = 1, SIM_HTTP_ERROR = -1 };

/* Parses one request from buf[0..len). Returns SIM_HTTP_DONE with req
 * filled (req->total_len bytes consumed), SIM_HTTP_INCOMPLETE when more bytes
 * are needed, or SIM_HTTP_ERROR with req->status and req->error set. Header
 * blocks over max_header bytes answer 431, bodies over max_body 413, chunked
 * request bodies 411. */
int sim_http_parse(const char *buf, size_t len, size_t max_header, size_t max_body,
                   sim_http_req *req);

/* Case-insensitive comparison of a view with a NUL-terminated string. */
int sim_str_eq(sim_str s, const char *lit);

#endif
