/* SPDX-License-Identifier: Apache-2.0 */
/* err.h - the error value every library function fills instead of printing.
 *
 * Library code never prints or exits: it returns -1 (or NULL) and writes one
 * human sentence into an sb_err that names the thing and the place (file,
 * line, JSON path, byte offset, URL). Only main/cli print it. */
#ifndef SB_ERR_H
#define SB_ERR_H

#include <stddef.h>

typedef struct sb_err {
    char msg[1024];
} sb_err;

/* Formats the message into err (NULL err is allowed and ignored). Is -1, so
 * callers can write `return sb_err_set(err, ...);`. A macro so that the -1 is
 * in every caller's sight: the compiler and the static analyzers then know
 * that `if (f(..., &out) != 0) return -1;` leaves out unread on failure (they
 * do not look into a variadic function, even an inline one). The statement
 * expression keeps `sb_err_set(err, ...);` as a statement free of
 * unused-value warnings. */
#define sb_err_set(err, ...)                                                                       \
    (__extension__({                                                                               \
        sb_err_format((err), __VA_ARGS__);                                                         \
        -1;                                                                                        \
    }))

/* Prepends context ("loading x.json: ") to an existing message. Is -1, as
 * sb_err_set. */
#define sb_err_prefix(err, ...)                                                                    \
    (__extension__({                                                                               \
        sb_err_prefix_format((err), __VA_ARGS__);                                                  \
        -1;                                                                                        \
    }))

/* The functions behind the two macros. */
void sb_err_format(sb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_err_prefix_format(sb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Empty message. */
void sb_err_clear(sb_err *err);

#endif
