/* SPDX-License-Identifier: Apache-2.0 */
/* buf.h - a growable byte buffer, always NUL-terminated after its contents.
 *
 * The owner of an sb_buf calls sb_buf_free once. Growth doubles, so appending
 * n bytes one at a time costs O(n). Allocation failure aborts (servebench
 * treats out-of-memory as fatal; see docs/ARCHITECTURE.md). */
#ifndef SB_BUF_H
#define SB_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sb_buf {
    char *data; /* NULL until the first append; then data[len] == '\0' */
    size_t len;
    size_t cap;
} sb_buf;

void sb_buf_init(sb_buf *b);
void sb_buf_free(sb_buf *b);
void sb_buf_reset(sb_buf *b); /* len = 0, keeps the memory */
void sb_buf_reserve(sb_buf *b, size_t extra);
void sb_buf_append(sb_buf *b, const void *p, size_t n);
void sb_buf_puts(sb_buf *b, const char *s);
void sb_buf_putc(sb_buf *b, char c);
void sb_buf_printf(sb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_buf_vprintf(sb_buf *b, const char *fmt, va_list ap);
/* Removes the first n bytes (n <= len). */
void sb_buf_consume(sb_buf *b, size_t n);
/* Hands the memory to the caller (NUL-terminated, never NULL) and resets b. */
char *sb_buf_steal(sb_buf *b);

/* Allocation helpers that abort with a message on failure. */
void *sb_xmalloc(size_t n);
void *sb_xcalloc(size_t n, size_t size);
void *sb_xrealloc(void *p, size_t n);
char *sb_xstrdup(const char *s);
char *sb_xstrndup(const char *s, size_t n);

#endif
