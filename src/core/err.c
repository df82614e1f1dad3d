/* SPDX-License-Identifier: Apache-2.0 */
/* err.c - formatting of sb_err messages (see err.h). */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sb_err_format(sb_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

void sb_err_prefix_format(sb_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char head[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    size_t hl = strlen(head), ol = strlen(err->msg);
    if (hl >= sizeof err->msg)
        hl = sizeof err->msg - 1;
    if (hl + ol >= sizeof err->msg)
        ol = sizeof err->msg - 1 - hl;
    memmove(err->msg + hl, err->msg, ol);
    memcpy(err->msg, head, hl);
    err->msg[hl + ol] = '\0';
}

void sb_err_clear(sb_err *err)
{
    if (err)
        err->msg[0] = '\0';
}
