/* SPDX-License-Identifier: Apache-2.0 */
/* sse.c - SSE framing (see sse.h for the rules and the timestamp choice).
 *
 * The fast path handles whole lines straight out of the piece: memchr finds
 * each line end and only the data payload is copied (into d->data). Only a
 * line cut by the end of a piece is copied into d->line, to be completed by
 * the next piece. Field handling is the standard's: "data" appends, every
 * other field ("event", "id", "retry") and comments are ignored. */
#include "backend/sse.h"

#include <string.h>

void sse_init(sse_dec *d)
{
    memset(d, 0, sizeof *d);
    d->max_line = SSE_MAX_LINE;
    sb_buf_init(&d->line);
    sb_buf_init(&d->data);
}

void sse_free(sse_dec *d)
{
    sb_buf_free(&d->line);
    sb_buf_free(&d->data);
}

void sse_reset(sse_dec *d)
{
    sb_buf_reset(&d->line);
    sb_buf_reset(&d->data);
    d->line_ts = d->data_ts = 0;
    d->have_data = d->skip_lf = d->bom_checked = false;
    d->bom_n = 0;
    d->offset = 0;
    d->n_msgs = 0;
}

static int dispatch(sse_dec *d, sse_msg_fn fn, void *ud)
{
    if (!d->have_data)
        return 0;
    d->have_data = false;
    d->n_msgs++;
    sb_buf_append(&d->data, "", 0); /* never hand out NULL for "data:" alone */
    int rc = fn(ud, d->data.data, d->data.len, d->data_ts);
    sb_buf_reset(&d->data);
    return rc;
}

/* One complete line (terminator removed) whose last byte arrived at ts. */
static int on_line(sse_dec *d, const char *s, size_t n, uint64_t ts, sse_msg_fn fn, void *ud)
{
    if (n == 0)
        return dispatch(d, fn, ud);
    if (s[0] == ':')
        return 0; /* comment / keep-alive */
    if (n < 5 || memcmp(s, "data", 4) != 0 || (s[4] != ':'))
        return 0; /* "event:", "id:", "retry:", unknown fields, "data" without colon */
    s += 5, n -= 5;
    if (n && s[0] == ' ')
        s++, n--;
    if (d->data.len + n + 1 > d->max_line)
        return SSE_TOO_LONG;
    if (d->have_data)
        sb_buf_putc(&d->data, '\n');
    sb_buf_append(&d->data, s, n);
    d->have_data = true;
    d->data_ts = ts;
    return 0;
}

/* Position of the first CR or LF in p[0..n), or n. */
static size_t find_eol(const char *p, size_t n)
{
    const char *lf = memchr(p, '\n', n);
    size_t lim = lf ? (size_t)(lf - p) : n;
    const char *cr = memchr(p, '\r', lim);
    return cr ? (size_t)(cr - p) : lim;
}

static const char sse_bom[3] = {'\xEF', '\xBB', '\xBF'};

/* A UTF-8 BOM may open the stream (standard), possibly split over pieces:
 * matching bytes are held back; on a mismatch the held ones start the first
 * line (they hold no line end). Advances p and n past what it consumed. */
static void skip_bom(sse_dec *d, const char **p, size_t *n, uint64_t t_ns)
{
    while (*n && !d->bom_checked) {
        if (**p == sse_bom[d->bom_n]) {
            (*p)++, (*n)--, d->offset++;
            d->bom_checked = ++d->bom_n == 3;
            continue;
        }
        d->bom_checked = true;
        if (d->bom_n) {
            sb_buf_append(&d->line, sse_bom, d->bom_n);
            d->line_ts = t_ns;
        }
    }
}

int sse_feed(sse_dec *d, const char *p, size_t n, uint64_t t_ns, sse_msg_fn fn, void *ud)
{
    if (!d->bom_checked)
        skip_bom(d, &p, &n, t_ns);
    d->offset += n;
    if (d->skip_lf && n) {
        d->skip_lf = false;
        if (p[0] == '\n')
            p++, n--;
    }
    while (n) {
        size_t e = find_eol(p, n);
        if (e == n) { /* cut line: keep it for the next piece */
            if (d->line.len + n > d->max_line)
                return SSE_TOO_LONG;
            sb_buf_append(&d->line, p, n);
            d->line_ts = t_ns;
            return 0;
        }
        int rc;
        if (d->line.len) {
            uint64_t ts = e ? t_ns : d->line_ts;
            if (d->line.len + e > d->max_line)
                return SSE_TOO_LONG;
            sb_buf_append(&d->line, p, e);
            rc = on_line(d, d->line.data, d->line.len, ts, fn, ud);
            sb_buf_reset(&d->line);
        } else {
            rc = on_line(d, p, e, t_ns, fn, ud);
        }
        if (rc != 0)
            return rc == SSE_TOO_LONG ? SSE_TOO_LONG : -1;
        if (p[e] == '\r') {
            if (e + 1 == n) {
                d->skip_lf = true;
                return 0;
            }
            if (p[e + 1] == '\n')
                e++;
        }
        p += e + 1;
        n -= e + 1;
    }
    return 0;
}

int sse_finish(sse_dec *d, sse_msg_fn fn, void *ud)
{
    if (!d->bom_checked && d->bom_n) /* the stream was only a BOM prefix */
        sb_buf_append(&d->line, sse_bom, d->bom_n);
    d->bom_checked = true;
    if (d->line.len) {
        int rc = on_line(d, d->line.data, d->line.len, d->line_ts, fn, ud);
        sb_buf_reset(&d->line);
        if (rc != 0)
            return rc == SSE_TOO_LONG ? SSE_TOO_LONG : -1;
    }
    return dispatch(d, fn, ud) != 0 ? -1 : 0;
}
