/* SPDX-License-Identifier: Apache-2.0 */
/* sim_http.c - HTTP/1.1 request parsing for the simulator.
 *
 * Stateless: the connection keeps bytes until a whole request (headers and
 * Content-Length body) is present and calls this again after each read. That
 * re-scans headers on partial reads, which costs nothing at LLM request sizes
 * and keeps the parser a pure function the fuzzer can drive. Only the headers
 * the simulator acts on are extracted; everything else is syntax-checked and
 * skipped. Chunked request bodies are refused with 411 (no client the
 * benchmark talks to sends them). */
#include "sim/sim_http.h"

#include <string.h>

static int fail(sim_http_req *req, int status, const char *why)
{
    req->status = status;
    req->error = why;
    return SIM_HTTP_ERROR;
}

int sim_str_eq(sim_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

/* RFC 9110 tchar: the characters a method or header name may contain. */
static int is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static const char *find_crlf(const char *p, const char *end)
{
    for (; p + 1 < end; p++)
        if (p[0] == '\r' && p[1] == '\n')
            return p;
    return NULL;
}

/* Finds the blank line ending the header block; returns its offset + 4 or 0. */
static size_t header_end(const char *buf, size_t len)
{
    for (size_t i = 0; i + 3 < len; i++)
        if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n')
            return i + 4;
    return 0;
}

static int parse_request_line(const char *p, const char *eol, sim_http_req *req)
{
    const char *s = p;
    while (p < eol && is_tchar((unsigned char)*p))
        p++;
    if (p == s || p >= eol || *p != ' ')
        return fail(req, 400, "malformed request line: bad method");
    req->method = (sim_str){s, (size_t)(p - s)};
    s = ++p;
    while (p < eol && *p != ' ') {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f)
            return fail(req, 400, "malformed request line: control character in target");
        p++;
    }
    if (p == s || p >= eol || *s != '/')
        return fail(req, 400, "malformed request line: target must start with '/'");
    const char *q = memchr(s, '?', (size_t)(p - s));
    req->path = (sim_str){s, (size_t)((q ? q : p) - s)};
    s = ++p;
    req->version = (sim_str){s, (size_t)(eol - s)};
    if (sim_str_eq(req->version, "HTTP/1.1"))
        req->keep_alive = 1;
    else if (sim_str_eq(req->version, "HTTP/1.0"))
        req->keep_alive = 0;
    else
        return fail(req, 505, "unsupported HTTP version (HTTP/1.0 or HTTP/1.1 expected)");
    return 0;
}

static int parse_content_length(sim_str v, size_t *out, sim_http_req *req)
{
    if (v.n == 0 || v.n > 18)
        return fail(req, 400, "invalid Content-Length");
    size_t n = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return fail(req, 400, "invalid Content-Length");
        n = n * 10 + (size_t)(v.p[i] - '0');
    }
    *out = n;
    return 0;
}

static int contains_token(sim_str v, const char *tok)
{
    size_t n = strlen(tok);
    for (size_t i = 0; i + n <= v.n; i++)
        if (strncasecmp(v.p + i, tok, n) == 0)
            return 1;
    return 0;
}

/* One "Name: value" line; acts on the few headers the simulator uses. */
static int parse_header(const char *p, const char *eol, sim_http_req *req, long *clen)
{
    const char *s = p;
    while (p < eol && is_tchar((unsigned char)*p))
        p++;
    if (p == s || p >= eol || *p != ':')
        return fail(req, 400, "malformed header line (expected 'Name: value')");
    sim_str name = {s, (size_t)(p - s)};
    p++;
    while (p < eol && (*p == ' ' || *p == '\t'))
        p++;
    const char *e = eol;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    for (const char *c = p; c < e; c++)
        if ((unsigned char)*c < ' ' && *c != '\t')
            return fail(req, 400, "control character in header value");
    sim_str v = {p, (size_t)(e - p)};
    if (sim_str_eq(name, "content-length")) {
        size_t n;
        if (parse_content_length(v, &n, req) != 0)
            return -1;
        if (*clen >= 0 && (size_t)*clen != n)
            return fail(req, 400, "conflicting Content-Length headers");
        *clen = (long)n;
    } else if (sim_str_eq(name, "transfer-encoding")) {
        return fail(req, 411, "chunked request bodies are not supported; send Content-Length");
    } else if (sim_str_eq(name, "connection")) {
        if (contains_token(v, "close"))
            req->keep_alive = 0;
        else if (contains_token(v, "keep-alive"))
            req->keep_alive = 1;
    } else if (sim_str_eq(name, "x-request-id")) {
        req->request_id = v;
    } else if (sim_str_eq(name, "x-session-id")) {
        req->session_id = v;
    } else if (sim_str_eq(name, "content-type")) {
        req->content_type = v;
    }
    return 0;
}

/* Whether buf[0..len), with no complete header block yet, can still begin a
 * valid request line ("METHOD /target HTTP/1.x\r\n"). Bytes that cannot
 * (a TLS ClientHello on the plain port, binary garbage, bare-LF lines) are
 * refused at once instead of waiting for the header limit or a timeout. */
static int line_prefix_ok(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && is_tchar((unsigned char)buf[i]))
        i++;
    if (i == len)
        return 1;
    if (i == 0 || buf[i] != ' ')
        return 0;
    size_t t = ++i;
    while (i < len && buf[i] != ' ') {
        if ((unsigned char)buf[i] <= ' ' || (unsigned char)buf[i] == 0x7f)
            return 0;
        i++;
    }
    if (t < len && buf[t] != '/')
        return 0;
    if (i == len)
        return 1;
    i++;
    static const char v[] = "HTTP/1.";
    for (size_t k = 0; i < len && k < sizeof v - 1; k++, i++)
        if ((buf[i] | 0x20) != (v[k] | 0x20))
            return 0;
    if (i < len && buf[i] != '0' && buf[i] != '1')
        return 0;
    if (++i < len && buf[i] != '\r')
        return 0;
    if (++i < len && buf[i] != '\n')
        return 0;
    return 1;
}

int sim_http_parse(const char *buf, size_t len, size_t max_header, size_t max_body,
                   sim_http_req *req)
{
    memset(req, 0, sizeof *req);
    size_t scan = len < max_header ? len : max_header;
    size_t hlen = header_end(buf, scan);
    if (hlen == 0) {
        const char *eol = find_crlf(buf, buf + scan);
        if (!line_prefix_ok(buf, eol ? (size_t)(eol - buf) + 2 : scan))
            return fail(req, 400, "malformed request line (not an HTTP/1.x request)");
        if (len >= max_header)
            return fail(req, 431, "request header block too large");
        return SIM_HTTP_INCOMPLETE;
    }
    const char *end = buf + hlen - 2; /* the final CRLF belongs to no header */
    const char *eol = find_crlf(buf, end);
    if (!eol || parse_request_line(buf, eol, req) != 0)
        return req->status ? SIM_HTTP_ERROR : fail(req, 400, "malformed request line");
    long clen = -1;
    for (const char *p = eol + 2; p < end; p = eol + 2) {
        eol = find_crlf(p, end + 2);
        if (*p == ' ' || *p == '\t')
            return fail(req, 400, "obsolete header line folding");
        if (parse_header(p, eol, req, &clen) != 0)
            return SIM_HTTP_ERROR;
    }
    size_t blen = clen < 0 ? 0 : (size_t)clen;
    if (blen > max_body)
        return fail(req, 413, "request body too large");
    if (len - hlen < blen)
        return SIM_HTTP_INCOMPLETE;
    req->body = buf + hlen;
    req->body_len = blen;
    req->total_len = hlen + blen;
    return SIM_HTTP_DONE;
}
