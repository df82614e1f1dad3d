/* SPDX-License-Identifier: Apache-2.0 */
/* tok_json.c - reads tokenizer.json / tokenizer_config.json, plain or
 * gzip-compressed (detected by the magic bytes, not the name), and parses it
 * with jansson. NUL is allowed in strings (vocabularies contain U+0000).
 * Parse errors name the file, line, column and byte offset. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/file.h"
#include "tokenizer/tok_internal.h"

/* The most a gzip tokenizer may inflate to. The largest real tokenizer.json
 * files are a few tens of MB; a small hostile file that inflates without end
 * must stop with a message, not fill memory. */
#define TOK_GZIP_MAX ((size_t)512 << 20)

int tok_gunzip(const char *path, const sb_buf *in, size_t cap, sb_buf *out, sb_err *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return sb_err_set(err, "%s: zlib init failed", path);
    z.next_in = (Bytef *)in->data;
    if (in->len > (uInt)-1) {
        inflateEnd(&z);
        return sb_err_set(err, "%s: gzip file over 4 GiB", path);
    }
    z.avail_in = (uInt)in->len;
    sb_buf_reserve(out, in->len < cap / 4 ? in->len * 4 : cap);
    int rc;
    do {
        if (out->len >= cap) {
            inflateEnd(&z);
            return sb_err_set(err, "%s: gzip data inflates to more than %zu MiB", path, cap >> 20);
        }
        size_t room = cap - out->len < ((size_t)1 << 20) ? cap - out->len : (size_t)1 << 20;
        sb_buf_reserve(out, room);
        z.next_out = (Bytef *)out->data + out->len;
        z.avail_out = (uInt)room;
        rc = inflate(&z, Z_NO_FLUSH);
        out->len = (size_t)((char *)z.next_out - out->data);
    } while (rc == Z_OK);
    out->data[out->len] = '\0';
    inflateEnd(&z);
    if (rc != Z_STREAM_END)
        return sb_err_set(err, "%s: corrupt gzip data near compressed byte %lu", path,
                          (unsigned long)z.total_in);
    return 0;
}

int tok_text_of(const char *path, sb_buf *raw, sb_buf *out, sb_err *err)
{
    if (raw->len >= 2 && (unsigned char)raw->data[0] == 0x1f &&
        (unsigned char)raw->data[1] == 0x8b) {
        int rc = tok_gunzip(path, raw, TOK_GZIP_MAX, out, err);
        sb_buf_free(raw);
        return rc;
    }
    *out = *raw;
    sb_buf_init(raw);
    return 0;
}

/* Whole file, decompressed when it is gzip. */
int tok_file_read(const char *path, sb_buf *out, sb_err *err)
{
    sb_buf raw;
    sb_buf_init(&raw);
    if (sb_read_file(path, &raw, err) < 0) {
        sb_buf_free(&raw);
        return -1;
    }
    return tok_text_of(path, &raw, out, err);
}

json_t *tok_json_load_file(const char *path, size_t flags, sb_err *err)
{
    sb_buf b;
    sb_buf_init(&b);
    if (tok_file_read(path, &b, err) < 0) {
        sb_buf_free(&b);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(b.data ? b.data : "", b.len, JSON_ALLOW_NUL | flags, &je);
    sb_buf_free(&b);
    if (!j)
        sb_err_set(err, "%s: malformed JSON at line %d, column %d (byte %d): %s", path, je.line,
                   je.column, je.position, je.text);
    return j;
}
