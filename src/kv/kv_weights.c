/* SPDX-License-Identifier: Apache-2.0 */
/* kv_weights.c - the size of a model's weights from the files beside its
 * config.json, without reading the tensors: the index's metadata.total_size
 * when the checkpoint is sharded, else each .safetensors header (an 8-byte
 * little-endian length, then JSON with every tensor's data_offsets). */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/file.h"
#include "kv/kv.h"

/* A header larger than this is not a safetensors file we can trust. */
#define KV_MAX_HEADER_BYTES (100u << 20)

static int64_t from_index(const char *dir, sb_err *err)
{
    sb_buf path, text;
    sb_buf_init(&path);
    sb_buf_init(&text);
    sb_buf_printf(&path, "%s/model.safetensors.index.json", dir);
    int64_t total = 0;
    sb_err ignore;
    if (sb_read_file(path.data, &text, &ignore) == 0) {
        json_error_t je;
        json_t *root = json_loadb(text.data, text.len, 0, &je);
        json_t *size = json_object_get(json_object_get(root, "metadata"), "total_size");
        if (!json_is_integer(size) || json_integer_value(size) <= 0)
            total = sb_err_set(err, "%s: no positive metadata.total_size", path.data);
        else
            total = json_integer_value(size);
        json_decref(root);
    }
    sb_buf_free(&path);
    sb_buf_free(&text);
    return total;
}

/* Sum of one file's tensor byte ranges; -1 with err when malformed. */
static int64_t header_bytes(const char *path, sb_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sb_err_set(err, "cannot open %s: %s", path, strerror(errno));
    unsigned char le[8];
    uint64_t n = 0;
    int64_t total = -1;
    if (fread(le, 1, 8, f) == 8) {
        for (int i = 7; i >= 0; i--)
            n = n << 8 | le[i];
    }
    char *hdr = n > 0 && n <= KV_MAX_HEADER_BYTES ? malloc(n) : NULL;
    json_t *root = hdr && fread(hdr, 1, n, f) == n ? json_loadb(hdr, n, 0, NULL) : NULL;
    if (json_is_object(root)) {
        total = 0;
        const char *k;
        json_t *v;
        json_object_foreach(root, k, v)
        {
            json_t *off = json_object_get(v, "data_offsets");
            if (!strcmp(k, "__metadata__"))
                continue;
            json_int_t a = json_integer_value(json_array_get(off, 0)),
                       b = json_integer_value(json_array_get(off, 1));
            if (json_array_size(off) != 2 || b < a) {
                total = -1;
                break;
            }
            total += b - a;
        }
    }
    if (total < 0)
        sb_err_set(err, "%s: not a safetensors file (bad header)", path);
    json_decref(root);
    free(hdr);
    fclose(f);
    return total;
}

int64_t kv_weights_bytes(const char *dir, sb_err *err)
{
    int64_t total = from_index(dir, err);
    if (total != 0)
        return total;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 12 || strcmp(e->d_name + n - 12, ".safetensors") != 0)
            continue;
        sb_buf p;
        sb_buf_init(&p);
        sb_buf_printf(&p, "%s/%s", dir, e->d_name);
        int64_t one = header_bytes(p.data, err);
        sb_buf_free(&p);
        if (one < 0) {
            total = -1;
            break;
        }
        total += one;
    }
    if (d)
        closedir(d);
    return total;
}
