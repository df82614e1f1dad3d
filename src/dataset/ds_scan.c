/* SPDX-License-Identifier: Apache-2.0 */
/* ds_scan.c - the rows of a JSON list or JSON Lines file as byte ranges,
 * so that a loader keeps only offsets and parses a row when it visits it.
 *
 * The whole file is still checked (a JSON list through YAJL's stream
 * parser in 4 MiB chunks, JSON Lines line by line), because a malformed file
 * is an error in the reference's `datasets` loader even when the bad row is
 * never sampled. Memory stays flat: one chunk, one line, the ranges. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>

#include "dataset/ds_yajl.h"

#include "dataset/ds_internal.h"

#define SCAN_CHUNK (4u << 20)

typedef struct scan_state {
    yajl_handle h;
    uint64_t chunk_base;
    int depth;
    uint64_t start; /* where the current top-level element began */
    dataset_scan *out;
} scan_state;

static void scan_push(dataset_scan *s, uint64_t start, uint64_t end, size_t line)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->rows = sb_xrealloc(s->rows, s->cap * sizeof *s->rows);
    }
    s->rows[s->n++] = (dataset_range){.start = start, .end = end, .line = line};
}

static uint64_t scan_pos(scan_state *s)
{
    return s->chunk_base + yajl_get_bytes_consumed(s->h);
}

/* A scalar element of the list: an empty range (read back as null, which
 * behaves as the old tree's scalar did: it has no fields). */
static void scan_scalar(scan_state *s)
{
    if (s->depth == 1)
        scan_push(s->out, 0, 0, 0);
}

static int scan_null(void *ctx)
{
    scan_scalar(ctx);
    return 1;
}
static int scan_bool(void *ctx, int b)
{
    (void)b;
    scan_scalar(ctx);
    return 1;
}
static int scan_number(void *ctx, const char *v, size_t n)
{
    (void)v, (void)n;
    scan_scalar(ctx);
    return 1;
}
static int scan_string(void *ctx, const unsigned char *v, size_t n)
{
    (void)v, (void)n;
    scan_scalar(ctx);
    return 1;
}

static int scan_open(void *ctx)
{
    scan_state *s = ctx;
    if (s->depth == 1)
        s->start = scan_pos(s) - 1; /* just past the '{' or '[' */
    s->depth++;
    return 1;
}

static int scan_close(void *ctx)
{
    scan_state *s = ctx;
    s->depth--;
    if (s->depth == 1)
        scan_push(s->out, s->start, scan_pos(s), 0);
    return 1;
}

static const yajl_callbacks scan_callbacks = {
    .yajl_null = scan_null,
    .yajl_boolean = scan_bool,
    .yajl_number = scan_number,
    .yajl_string = scan_string,
    .yajl_start_map = scan_open,
    .yajl_end_map = scan_close,
    .yajl_start_array = scan_open,
    .yajl_end_array = scan_close,
};

/* Line and column (in characters, like jansson's) of the byte before *at,
 * counted by re-reading the file; *at is cut to the bytes the file has. */
static void scan_line_col(int fd, uint64_t *at, size_t *line, size_t *col)
{
    enum { N = 65536 };
    unsigned char *buf = sb_xmalloc(N);
    uint64_t off = 0;
    *line = 1, *col = 0;
    while (off < *at) {
        size_t want = *at - off < N ? (size_t)(*at - off) : N;
        ssize_t got = pread(fd, buf, want, (off_t)off);
        if (got <= 0)
            break;
        for (ssize_t i = 0; i < got; i++)
            if (buf[i] == '\n')
                ++*line, *col = 0;
            else if ((buf[i] & 0xC0) != 0x80)
                ++*col;
        off += (uint64_t)got;
    }
    free(buf);
    *at = off; /* at the end of the file YAJL counts one byte past it */
}

/* "file:line:column (byte N): not valid JSON: ..." for a YAJL error, N
 * being the bytes YAJL consumed, the bad one included. */
static int scan_json_error(scan_state *s, const char *path, int fd, const unsigned char *chunk,
                           size_t len, sb_err *err)
{
    uint64_t at = scan_pos(s);
    size_t line, col;
    scan_line_col(fd, &at, &line, &col);
    unsigned char *msg = yajl_get_error(s->h, 0, chunk, len);
    size_t mlen = strlen((const char *)msg); /* YAJL ends it with a newline */
    while (mlen && (msg[mlen - 1] == '\n' || msg[mlen - 1] == ' '))
        mlen--;
    sb_err_set(err, "%s:%zu:%zu (byte %llu): not valid JSON: %.*s", path, line, col,
               (unsigned long long)at, (int)mlen, (const char *)msg);
    yajl_free_error(s->h, msg);
    return -1;
}

/* A JSON list: ranges of the top-level elements. buf already holds the
 * first nfirst bytes (read to tell the layout apart). */
static int scan_list(const char *path, int fd, unsigned char *buf, size_t nfirst, dataset_scan *out,
                     sb_err *err)
{
    scan_state s = {.out = out};
    s.h = yajl_alloc(&scan_callbacks, NULL, &s);
    int rc = 0;
    size_t got = nfirst;
    for (;;) {
        if (got == 0) {
            if (yajl_complete_parse(s.h) != yajl_status_ok)
                rc = scan_json_error(&s, path, fd, buf, 0, err);
            break;
        }
        if (yajl_parse(s.h, buf, got) != yajl_status_ok) {
            rc = scan_json_error(&s, path, fd, buf, got, err);
            break;
        }
        s.chunk_base += got;
        ssize_t r = read(fd, buf, SCAN_CHUNK);
        if (r < 0) {
            rc = sb_err_set(err, "reading %s: %s", path, strerror(errno));
            break;
        }
        got = (size_t)r;
    }
    yajl_free(s.h);
    return rc;
}

/* True when the line is one valid JSON object, checked by YAJL without a
 * tree (jansson building and freeing one per line doubled the scan). */
static bool scan_line_is_object(const char *p, size_t len, size_t q)
{
    if (p[q] != '{')
        return false;
    yajl_handle h = yajl_alloc(NULL, NULL, NULL);
    bool ok = yajl_parse(h, (const unsigned char *)p, len) == yajl_status_ok &&
              yajl_complete_parse(h) == yajl_status_ok;
    yajl_free(h);
    return ok;
}

/* One JSON Lines line (without its '\n'): kept as a range when it is an
 * object; otherwise judged by the parser and messages of dataset_jsonl_each. */
static int scan_line(const char *path, const char *p, size_t len, uint64_t start, size_t line_no,
                     dataset_scan *out, sb_err *err)
{
    size_t q = 0;
    while (q < len && (p[q] == ' ' || p[q] == '\t' || p[q] == '\r'))
        q++;
    if (q == len)
        return 0;
    if (scan_line_is_object(p, len, q)) {
        scan_push(out, start, start + len, line_no);
        return 0;
    }
    json_error_t je;
    json_t *row = json_loadb(p, len, JSON_ALLOW_NUL, &je);
    if (!row)
        return sb_err_set(err, "%s:%zu:%d: not valid JSON: %s", path, line_no, je.column, je.text);
    int is_obj = json_is_object(row);
    json_decref(row);
    if (!is_obj)
        return sb_err_set(err, "%s:%zu: expected a JSON object per line", path, line_no);
    scan_push(out, start, start + len, line_no);
    return 0;
}

/* JSON Lines: a line may span chunks, so it is gathered in `line`. */
static int scan_lines(const char *path, int fd, unsigned char *buf, size_t nfirst,
                      dataset_scan *out, sb_err *err)
{
    sb_buf line;
    sb_buf_init(&line);
    uint64_t base = 0, line_start = 0;
    size_t line_no = 0, got = nfirst;
    int rc = 0;
    while (rc == 0 && got > 0) {
        size_t at = 0;
        while (rc == 0 && at < got) {
            unsigned char *nl = memchr(buf + at, '\n', got - at);
            size_t end = nl ? (size_t)(nl - buf) : got;
            sb_buf_append(&line, (const char *)buf + at, end - at);
            at = end;
            if (!nl)
                break;
            at++;
            rc = scan_line(path, line.data, line.len, line_start, ++line_no, out, err);
            line_start = base + at;
            sb_buf_reset(&line);
        }
        base += got;
        ssize_t r = rc ? 0 : read(fd, buf, SCAN_CHUNK);
        if (r < 0)
            rc = sb_err_set(err, "reading %s: %s", path, strerror(errno));
        got = r > 0 ? (size_t)r : 0;
    }
    if (rc == 0 && line.len)
        rc = scan_line(path, line.data, line.len, line_start, ++line_no, out, err);
    sb_buf_free(&line);
    return rc;
}

int dataset_scan_rows(const char *path, int fd, dataset_scan *out, sb_err *err)
{
    memset(out, 0, sizeof *out);
    if (ds_yajl_ready(err) != 0)
        return sb_err_prefix(err, "%s: ", path);
    unsigned char *buf = sb_xmalloc(SCAN_CHUNK);
    ssize_t got = read(fd, buf, SCAN_CHUNK);
    int rc = 0;
    if (got < 0)
        rc = sb_err_set(err, "reading %s: %s", path, strerror(errno));
    size_t i = 0;
    while (rc == 0 && i < (size_t)got && strchr(" \n\r\t", buf[i]) && buf[i])
        i++;
    /* The old rule: a file whose first non-blank byte is '[' is a JSON list. */
    out->is_list = rc == 0 && i < (size_t)got && buf[i] == '[';
    if (rc == 0)
        rc = out->is_list ? scan_list(path, fd, buf, (size_t)got, out, err)
                          : scan_lines(path, fd, buf, (size_t)got, out, err);
    free(buf);
    if (rc != 0)
        dataset_scan_free(out);
    return rc;
}

int dataset_scan_load(const char *path, int fd, const dataset_range *r, sb_buf *slice, json_t **row,
                      sb_err *err)
{
    if (r->end == r->start) {
        *row = json_null();
        return 0;
    }
    size_t len = (size_t)(r->end - r->start);
    sb_buf_reset(slice);
    sb_buf_reserve(slice, len + 1);
    ssize_t got = pread(fd, slice->data, len, (off_t)r->start);
    if (got != (ssize_t)len)
        return sb_err_set(err, "%s: re-reading the row at byte %llu failed", path,
                          (unsigned long long)r->start);
    slice->len = len;
    slice->data[len] = '\0';
    json_error_t je;
    *row = json_loadb(slice->data, len, JSON_ALLOW_NUL, &je);
    if (!*row) /* checked by the scan, so only a file changed meanwhile gets here */
        return sb_err_set(err, "%s: row at byte %llu: not valid JSON: %s", path,
                          (unsigned long long)r->start, je.text);
    return 0;
}

void dataset_scan_free(dataset_scan *s)
{
    free(s->rows);
    s->rows = NULL;
    s->n = s->cap = 0;
}
