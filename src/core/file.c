/* SPDX-License-Identifier: Apache-2.0 */
/* file.c - whole-file reading shared by the modules that load files (tokenizer,
 * datasets). Errors name the path; a directory is refused up front, since
 * fread on one fails late with a less helpful message. */
#include "core/file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int sb_read_file(const char *path, sb_buf *out, sb_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sb_err_set(err, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return sb_err_set(err, "%s is a directory, expected a file", path);
    }
    if (st.st_size > 0)
        sb_buf_reserve(out, (size_t)st.st_size + 1);
    char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sb_buf_append(out, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return sb_err_set(err, "reading %s failed", path);
    if (!out->data)
        sb_buf_append(out, "", 0);
    return 0;
}
