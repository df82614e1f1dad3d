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

/* Formats the message into err (NULL err is allowed and ignored). Returns -1
 * so callers can write `return sb_err_set(err, ...);`. */
int sb_err_set(sb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends context ("loading x.json: ") to an existing message. Returns -1. */
int sb_err_prefix(sb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Empty message. */
void sb_err_clear(sb_err *err);

#endif
