/* SPDX-License-Identifier: Apache-2.0 */
/* h1.c - HTTP/1.1 request heads and an incremental response parser (h1.h).
 *
 * The parser is a state machine over lines (status, headers, chunk sizes,
 * trailers) and counted runs of body bytes. A line is used in place when it
 * lies whole in the bytes fed; only a line cut by the end of a read is
 * copied, into a small buffer that grows to the line's length (at most
 * H1_LINE_MAX). Body bytes are never copied. */
#include "http/h1.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    S_STATUS,     /* the status line */
    S_HEADER,     /* header lines up to the empty one */
    S_BODY_LEN,   /* Content-Length bytes */
    S_BODY_EOF,   /* everything up to the close */
    S_CHUNK_SIZE, /* a chunk-size line */
    S_CHUNK_DATA, /* the chunk's bytes */
    S_CHUNK_END,  /* the line end after a chunk's bytes */
    S_TRAILER,    /* trailer lines after the last chunk */
    S_DONE
};

/* A held line longer than this is let go once used: a hostile server that
 * splits long lines must not leave H1_LINE_MAX bytes on every connection. */
#define LINE_KEEP 256u

/* ---- URL ---- */

/* Bytes libcurl 7.88 passes through unchanged in a path and query (RFC 3986
 * unreserved, sub-delims, ':', '@', '/', '?', '%'). Anything else (space,
 * controls, non-ASCII, '\\', '#', quotes, braces) curl may encode or refuse,
 * so such URLs go to curl. */
static bool path_byte_ok(unsigned char c)
{
    if (c >= 'a' && c <= 'z')
        return true;
    if (c >= 'A' && c <= 'Z')
        return true;
    if (c >= '0' && c <= '9')
        return true;
    return strchr("-._~!$&'()*+,;=:@/?%", c) != NULL && c != '\0';
}

/* curl removes "." and ".." segments (RFC 3986 5.2.4); a path with one is
 * left to curl rather than normalised here a second way. */
static bool has_dot_segment(const char *path, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (path[i] != '/' || i + 1 >= n || path[i + 1] != '.')
            continue;
        size_t j = i + 2;
        if (j < n && path[j] == '.')
            j++;
        if (j >= n || path[j] == '/' || path[j] == '?')
            return true;
    }
    return false;
}

static bool host_byte_ok(unsigned char c, bool v6)
{
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')
        return true;
    return v6 ? (c == ':' || (c >= 'A' && c <= 'F')) : c == '_';
}

bool h1_port_parse(const char *p, size_t n, unsigned *port)
{
    if (n == 0 || n > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    if (v == 0 || v > 65535)
        return false;
    *port = v;
    return true;
}

bool h1_url_parse(const char *url, h1_url *u)
{
    if (strncasecmp(url, "http://", 7) != 0)
        return false;
    const char *a = url + 7;
    size_t an = strcspn(a, "/?#");
    if (a[an] == '?' || a[an] == '#' || memchr(a, '@', an) || an == 0)
        return false;
    bool v6 = a[0] == '[';
    const char *h = v6 ? a + 1 : a;
    const char *hend = v6 ? memchr(a, ']', an) : memchr(a, ':', an);
    if (!hend)
        hend = v6 ? NULL : a + an;
    if (!hend || hend == h || (size_t)(hend - h) >= sizeof u->host)
        return false;
    for (const char *c = h; c < hend; c++)
        if (!host_byte_ok((unsigned char)*c, v6))
            return false;
    const char *rest = v6 ? hend + 1 : hend; /* ":port" or the end of the authority */
    size_t rn = (size_t)(a + an - rest);
    u->port = 80;
    if (rn && (rest[0] != ':' || !h1_port_parse(rest + 1, rn - 1, &u->port)))
        return false;
    memcpy(u->host, h, (size_t)(hend - h));
    u->host[hend - h] = '\0';
    /* curl leaves the default port out of Host (http.c: Curl_http_host) */
    if (u->port == 80)
        snprintf(u->authority, sizeof u->authority, v6 ? "[%s]" : "%s", u->host);
    else
        snprintf(u->authority, sizeof u->authority, v6 ? "[%s]:%u" : "%s:%u", u->host, u->port);
    const char *path = a + an;
    size_t pn = strlen(path);
    for (size_t i = 0; i < pn; i++)
        if (!path_byte_ok((unsigned char)path[i]))
            return false;
    if (has_dot_segment(path, pn))
        return false;
    u->path = pn ? path : "/";
    return true;
}

/* ---- request ---- */

/* Does header line s name `name` (case-insensitive, followed by ':' or ';')? */
static bool names(const char *s, const char *name)
{
    size_t n = strlen(name);
    return strncasecmp(s, name, n) == 0 && (s[n] == ':' || s[n] == ';');
}

static const char *find_header(const struct curl_slist *h, const char *name)
{
    for (; h; h = h->next)
        if (names(h->data, name))
            return h->data;
    return NULL;
}

/* One caller header as curl's Curl_add_custom_headers sends it. */
static void put_custom(sb_buf *out, const char *s)
{
    if (names(s, "Host") || names(s, "Content-Length") || names(s, "Transfer-Encoding"))
        return; /* Host went first; the length is ours */
    const char *colon = strchr(s, ':');
    if (!colon) { /* "Name;" alone sends the header empty */
        const char *semi = strchr(s, ';');
        if (!semi || semi[1 + strspn(semi + 1, " \t")] != '\0')
            return;
        sb_buf_printf(out, "%.*s:\r\n", (int)(semi - s), s);
        return;
    }
    if (colon[1 + strspn(colon + 1, " \t")] == '\0')
        return; /* "Name:" removes the header */
    sb_buf_puts(out, s);
    sb_buf_puts(out, "\r\n");
}

void h1_request_head(sb_buf *out, const h1_url *u, bool post, size_t body_len,
                     const struct curl_slist *headers, const char *user_agent)
{
    sb_buf_printf(out, "%s %s HTTP/1.1\r\n", post ? "POST" : "GET", u->path);
    /* A caller's Host goes where curl's would, as its text after "Host:"
     * ("Host;" sends it empty); exactly "Host:" sends none. */
    const char *host = find_header(headers, "Host");
    if (!host)
        sb_buf_printf(out, "Host: %s\r\n", u->authority);
    else if (strcmp(host, "Host:") != 0)
        sb_buf_printf(out, "Host:%s\r\n", host + 5);
    if (user_agent && *user_agent && !find_header(headers, "User-Agent"))
        sb_buf_printf(out, "User-Agent: %s\r\n", user_agent);
    if (!find_header(headers, "Accept"))
        sb_buf_puts(out, "Accept: */*\r\n");
    for (const struct curl_slist *h = headers; h; h = h->next)
        put_custom(out, h->data);
    if (post) {
        sb_buf_printf(out, "Content-Length: %zu\r\n", body_len);
        if (!find_header(headers, "Content-Type"))
            sb_buf_puts(out, "Content-Type: application/x-www-form-urlencoded\r\n");
    }
    sb_buf_puts(out, "\r\n");
}

/* ---- response ---- */

void h1_resp_init(h1_resp *r)
{
    char *line = r->line;
    uint32_t cap = r->line_cap;
    memset(r, 0, sizeof *r);
    r->line = line;
    r->line_cap = cap;
    r->state = S_STATUS;
}

void h1_resp_free(h1_resp *r)
{
    free(r->line);
    r->line = NULL;
    r->line_cap = r->line_len = 0;
}

static h1_rc fail(char *msg, size_t msgn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static h1_rc fail(char *msg, size_t msgn, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (msgn)
        vsnprintf(msg, msgn, fmt, ap);
    va_end(ap);
    return H1_ERROR;
}

static void hold(h1_resp *r, const char *p, size_t n)
{
    size_t need = (size_t)r->line_len + n;
    if (need > r->line_cap) {
        size_t cap = r->line_cap ? r->line_cap : 64;
        while (cap < need)
            cap *= 2;
        r->line = sb_xrealloc(r->line, cap);
        r->line_cap = (uint32_t)cap;
    }
    memcpy(r->line + r->line_len, p, n);
    r->line_len += (uint32_t)n;
}

/* The result of take_line. */
typedef struct line {
    const char *p;
    size_t n;
} line;

/* Takes the next line from p[*i..n): 1 with ln set (its end, LF or CRLF,
 * removed), 0 when the bytes ran out first (the part is held), -1 when the
 * line would exceed max bytes. head: the line counts toward H1_HEAD_MAX. */
static int take_line(h1_resp *r, const char *p, size_t n, size_t *i, line *ln, size_t max)
{
    const char *s = p + *i;
    const char *nl = memchr(s, '\n', n - *i);
    size_t part = nl ? (size_t)(nl - s) : n - *i;
    if ((size_t)r->line_len + part > max)
        return -1;
    if (!nl) {
        hold(r, s, part);
        *i = n;
        return 0;
    }
    *i += part + 1;
    if (r->line_len) {
        hold(r, s, part);
        ln->p = r->line;
        ln->n = r->line_len;
        r->line_len = 0;
    } else {
        ln->p = s;
        ln->n = part;
    }
    if (ln->n && ln->p[ln->n - 1] == '\r')
        ln->n--;
    return 1;
}

/* After a held line was used: a long buffer is let go. */
static void trim_held(h1_resp *r)
{
    if (r->line_cap > LINE_KEEP && r->line_len == 0) {
        free(r->line);
        r->line = NULL;
        r->line_cap = 0;
    }
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* "HTTP/1.x SSS[ reason]" */
static h1_rc status_line(h1_resp *r, line ln, uint64_t at, char *msg, size_t msgn)
{
    const char *p = ln.p;
    if (ln.n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != ' ' ||
        p[9] < '1' || p[9] > '9' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
        (ln.n > 12 && p[12] != ' '))
        return fail(msg, msgn,
                    "not an HTTP/1.x status line: \"%.*s\" (at byte %llu of the response)",
                    (int)(ln.n < 60 ? ln.n : 60), p, (unsigned long long)at);
    r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    r->close = p[7] == '0'; /* HTTP/1.0: unless it says keep-alive */
    r->chunked = r->has_len = false;
    r->left = 0;
    return H1_MORE;
}

/* Does a comma-separated header value hold token tok (case-insensitive)? */
static bool has_token(const char *v, size_t n, const char *tok)
{
    size_t tn = strlen(tok);
    size_t i = 0;
    while (i < n) {
        while (i < n && (is_ows(v[i]) || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && is_ows(v[e - 1]))
            e--;
        if (e - s == tn && strncasecmp(v + s, tok, tn) == 0)
            return true;
    }
    return false;
}

/* The last coding of a Transfer-Encoding value must be chunked; codings
 * other than chunked and identity are not decoded by this client. */
static h1_rc transfer_encoding(h1_resp *r, const char *v, size_t n, char *msg, size_t msgn)
{
    size_t i = 0;
    bool chunked = false;
    while (i < n) {
        while (i < n && (is_ows(v[i]) || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',' && !is_ows(v[i]))
            i++;
        if (i == s)
            break;
        size_t tn = i - s;
        bool identity = tn == 8 && strncasecmp(v + s, "identity", 8) == 0;
        chunked = tn == 7 && strncasecmp(v + s, "chunked", 7) == 0;
        if (!chunked && !identity)
            return fail(msg, msgn, "Transfer-Encoding \"%.*s\" is not supported",
                        (int)(n < 60 ? n : 60), v);
    }
    r->chunked = chunked; /* chunked must be the last coding */
    return H1_MORE;
}

static h1_rc content_length(h1_resp *r, const char *v, size_t n, char *msg, size_t msgn)
{
    uint64_t len = 0;
    bool ok = n > 0 && n <= 18;
    for (size_t i = 0; ok && i < n; i++) {
        ok = v[i] >= '0' && v[i] <= '9';
        len = len * 10 + (uint64_t)(v[i] - '0');
    }
    if (!ok || (r->has_len && r->left != len))
        return fail(msg, msgn, "bad Content-Length \"%.*s\"", (int)(n < 40 ? n : 40), v);
    r->has_len = true;
    r->left = len;
    return H1_MORE;
}

/* One "Name: value" line of the head. Lines without a colon, or with space
 * before it, and folded lines are skipped, as lenient clients do. */
static h1_rc header_line(h1_resp *r, line ln, char *msg, size_t msgn)
{
    const char *colon = memchr(ln.p, ':', ln.n);
    if (!colon || colon == ln.p || is_ows(ln.p[0]) || is_ows(colon[-1]))
        return H1_MORE;
    size_t nn = (size_t)(colon - ln.p);
    const char *v = colon + 1;
    size_t vn = ln.n - nn - 1;
    while (vn && is_ows(*v))
        v++, vn--;
    while (vn && is_ows(v[vn - 1]))
        vn--;
    if (nn == 14 && strncasecmp(ln.p, "Content-Length", 14) == 0)
        return content_length(r, v, vn, msg, msgn);
    if (nn == 17 && strncasecmp(ln.p, "Transfer-Encoding", 17) == 0)
        return transfer_encoding(r, v, vn, msg, msgn);
    if (nn == 10 && strncasecmp(ln.p, "Connection", 10) == 0) {
        if (has_token(v, vn, "close"))
            r->close = true;
        else if (has_token(v, vn, "keep-alive"))
            r->close = false;
    }
    return H1_MORE;
}

/* The empty line: a 1xx head starts over; else the body's framing. */
static h1_rc head_end(h1_resp *r, const h1_sink *s, void *ud, char *msg, size_t msgn)
{
    if (r->status == 101)
        return fail(msg, msgn,
                    "the server switched protocols (101), which this client never asks for");
    if (r->status < 200) {
        r->state = S_STATUS;
        return H1_MORE;
    }
    s->on_status(ud, r->status);
    if (r->status == 204 || r->status == 304) {
        r->state = S_DONE;
        return H1_DONE;
    }
    if (r->chunked) {
        r->state = S_CHUNK_SIZE;
    } else if (r->has_len) {
        r->state = r->left ? S_BODY_LEN : S_DONE;
    } else {
        r->to_eof = true;
        r->close = true;
        r->state = S_BODY_EOF;
    }
    return r->state == S_DONE ? H1_DONE : H1_MORE;
}

/* "1a3f[;ext]" */
static h1_rc chunk_size(h1_resp *r, line ln, uint64_t at, char *msg, size_t msgn)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; i < ln.n && i < 16; i++) {
        char c = ln.p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            break;
        v = v * 16 + (uint64_t)d;
    }
    bool ok = i > 0 && i < 16 && (i == ln.n || is_ows(ln.p[i]) || ln.p[i] == ';');
    if (!ok)
        return fail(msg, msgn, "bad chunk size line \"%.*s\" (at byte %llu of the response)",
                    (int)(ln.n < 40 ? ln.n : 40), ln.p, (unsigned long long)at);
    r->left = v;
    r->state = v ? S_CHUNK_DATA : S_TRAILER;
    return H1_MORE;
}

/* Body bytes: at most r->left of them go to on_body. */
static h1_rc body_run(h1_resp *r, const char *p, size_t n, size_t *i, const h1_sink *s, void *ud)
{
    size_t take = n - *i;
    if (!r->to_eof && take > r->left)
        take = (size_t)r->left;
    const char *at = p + *i;
    *i += take;
    if (!r->to_eof)
        r->left -= take;
    if (take && s->on_body(ud, at, take) != 0)
        return H1_ABORT;
    return H1_MORE;
}

/* One line-shaped step (status, header, chunk size or end, trailer). */
static h1_rc line_step(h1_resp *r, const char *p, size_t n, size_t *i, const h1_sink *s, void *ud,
                       char *msg, size_t msgn)
{
    bool head = r->state == S_STATUS || r->state == S_HEADER || r->state == S_TRAILER;
    size_t start = *i, held = r->line_len;
    uint64_t at = r->seen + start - held;
    size_t room = !head ? H1_LINE_MAX : r->head_len >= H1_HEAD_MAX ? 0 : H1_HEAD_MAX - r->head_len;
    line ln;
    int got = take_line(r, p, n, i, &ln, room < H1_LINE_MAX ? room : H1_LINE_MAX);
    if (head && got > 0) /* a whole line, with its part held from earlier feeds */
        r->head_len += (uint32_t)(held + *i - start);
    if (got < 0)
        return fail(msg, msgn, "%s longer than %u bytes (at byte %llu of the response)",
                    head && room < H1_LINE_MAX ? "a response head" : "a line",
                    head && room < H1_LINE_MAX ? H1_HEAD_MAX : H1_LINE_MAX, (unsigned long long)at);
    if (got == 0)
        return H1_MORE;
    h1_rc rc = H1_MORE;
    switch (r->state) {
    case S_STATUS:
        rc = status_line(r, ln, at, msg, msgn);
        if (rc == H1_MORE)
            r->state = S_HEADER;
        break;
    case S_HEADER:
        rc = ln.n ? header_line(r, ln, msg, msgn) : head_end(r, s, ud, msg, msgn);
        break;
    case S_CHUNK_SIZE:
        rc = chunk_size(r, ln, at, msg, msgn);
        break;
    case S_CHUNK_END:
        if (ln.n)
            rc = fail(msg, msgn,
                      "a chunk is longer than its size line said (at byte %llu of the "
                      "response)",
                      (unsigned long long)at);
        r->state = S_CHUNK_SIZE;
        break;
    case S_TRAILER:
        if (!ln.n) {
            r->state = S_DONE;
            rc = H1_DONE;
        }
        break;
    default:
        break;
    }
    trim_held(r);
    return rc;
}

h1_rc h1_resp_feed(h1_resp *r, const char *p, size_t n, size_t *used, const h1_sink *s, void *ud,
                   char *msg, size_t msgn)
{
    size_t i = 0;
    h1_rc rc = H1_MORE;
    while (rc == H1_MORE && i < n && r->state != S_DONE) {
        switch (r->state) {
        case S_BODY_LEN:
        case S_BODY_EOF:
        case S_CHUNK_DATA:
            rc = body_run(r, p, n, &i, s, ud);
            if (r->left == 0 && !r->to_eof) {
                r->state = r->state == S_CHUNK_DATA ? S_CHUNK_END : S_DONE;
                if (r->state == S_DONE && rc == H1_MORE)
                    rc = H1_DONE;
            }
            break;
        default:
            rc = line_step(r, p, n, &i, s, ud, msg, msgn);
        }
    }
    if (rc == H1_MORE && r->state == S_DONE)
        rc = H1_DONE;
    r->seen += i;
    *used = i;
    return rc;
}

h1_rc h1_resp_eof(h1_resp *r, const h1_sink *s, void *ud, char *msg, size_t msgn)
{
    (void)s, (void)ud;
    unsigned long long seen = (unsigned long long)r->seen;
    switch (r->state) {
    case S_BODY_EOF:
    case S_DONE:
        r->state = S_DONE;
        return H1_DONE;
    case S_STATUS:
    case S_HEADER:
        if (r->seen == 0)
            return fail(msg, msgn, "the connection closed before any response byte");
        return fail(msg, msgn, "the connection closed inside the response head (after %llu bytes)",
                    seen);
    case S_BODY_LEN:
        return fail(msg, msgn,
                    "the connection closed %llu body bytes before the end the "
                    "Content-Length gave (after %llu response bytes)",
                    (unsigned long long)r->left, seen);
    default:
        return fail(msg, msgn,
                    "the connection closed inside the chunked body, before its last chunk "
                    "(after %llu response bytes)",
                    seen);
    }
}

bool h1_resp_reusable(const h1_resp *r)
{
    return r->state == S_DONE && !r->close && !r->to_eof;
}
