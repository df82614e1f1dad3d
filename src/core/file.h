/* SPDX-License-Identifier: Apache-2.0 */
/* file.h - reading whole files into memory. */
#ifndef SB_FILE_H
#define SB_FILE_H

#include "core/buf.h"
#include "core/err.h"

/* Appends the whole file at path to out (out->data is never NULL on success).
 * Returns 0, or -1 with err naming the path and the reason. */
int sb_read_file(const char *path, sb_buf *out, sb_err *err);

#endif
