/* SPDX-License-Identifier: Apache-2.0 */
/* buf.c - growable buffer and aborting allocators (see buf.h). */
#include "core/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "servebench: out of memory allocating %zu bytes\n", n);
    abort();
}

void *sb_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *sb_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *sb_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *sb_xstrdup(const char *s)
{
    return sb_xstrndup(s, strlen(s));
}

char *sb_xstrndup(const char *s, size_t n)
{
    char *p = sb_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void sb_buf_init(sb_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void sb_buf_free(sb_buf *b)
{
    free(b->data);
    sb_buf_init(b);
}

void sb_buf_reset(sb_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void sb_buf_reserve(sb_buf *b, size_t extra)
{
    /* Sizes come from input (lengths read off the wire or a file): an
     * overflowing sum or doubling must fail loudly, never wrap to a small
     * buffer that the caller then writes past. */
    if (extra > SIZE_MAX - 1 - b->len)
        oom(SIZE_MAX);
    size_t need = b->len + extra + 1;
    if (b->data && need <= b->cap) /* no data means no room, whatever cap says */
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = sb_xrealloc(b->data, cap);
    b->cap = cap;
}

void sb_buf_append(sb_buf *b, const void *p, size_t n)
{
    sb_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sb_buf_puts(sb_buf *b, const char *s)
{
    sb_buf_append(b, s, strlen(s));
}

void sb_buf_putc(sb_buf *b, char c)
{
    sb_buf_append(b, &c, 1);
}

void sb_buf_vprintf(sb_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    sb_buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void sb_buf_printf(sb_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void sb_buf_consume(sb_buf *b, size_t n)
{
    if (n >= b->len) {
        sb_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

char *sb_buf_steal(sb_buf *b)
{
    if (!b->data)
        sb_buf_reserve(b, 0), b->data[0] = '\0';
    char *p = b->data;
    sb_buf_init(b);
    return p;
}
