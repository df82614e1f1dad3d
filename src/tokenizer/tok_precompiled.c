/* SPDX-License-Identifier: Apache-2.0 */
/* tok_precompiled.c - the SentencePiece `Precompiled` normalizer: the
 * precompiled_charsmap of a SentencePiece model (base64 in tokenizer.json),
 * applied as HF tokenizers' normalizers::precompiled does.
 *
 * The charsmap is a little-endian u32 byte size of a double-array trie
 * (darts-clone layout), the trie's u32 units, then NUL-terminated
 * replacement strings; a key's trie value is the byte offset of its
 * replacement. Normalization walks the text by extended grapheme clusters:
 * a cluster shorter than 6 bytes whose bytes start with a key is replaced
 * whole by the replacement of the SHORTEST such key (what the Rust library
 * does); otherwise each char of the cluster is looked up on its own the same
 * way and kept when nothing matches. Clusters come from utf8proc. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/b64.h"
#include "tokenizer/tok_internal.h"

struct tok_charsmap {
    uint32_t *units;
    size_t n_units;
    char *norm; /* replacement strings, NUL-terminated */
    size_t n_norm;
};

tok_charsmap *tok_charsmap_parse(json_t *j, const char *path, sb_err *err)
{
    json_t *cm = json_object_get(j, "precompiled_charsmap");
    if (!json_is_string(cm)) {
        sb_err_set(err, "%s: Precompiled normalizer without a \"precompiled_charsmap\" string",
                   path);
        return NULL;
    }
    sb_buf raw;
    sb_buf_init(&raw);
    if (sb_b64_decode(&raw, json_string_value(cm), json_string_length(cm)) < 0) {
        sb_buf_free(&raw);
        sb_err_set(err, "%s.precompiled_charsmap: not base64", path);
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)raw.data;
    uint32_t size = raw.len >= 4 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                                       (uint32_t)p[3] << 24
                                 : 0;
    if (raw.len < 4 || size % 4 != 0 || size == 0 || size > raw.len - 4) {
        sb_buf_free(&raw);
        sb_err_set(err, "%s.precompiled_charsmap: bad trie size", path);
        return NULL;
    }
    tok_charsmap *m = sb_xcalloc(1, sizeof *m);
    m->n_units = size / 4;
    m->units = sb_xmalloc(m->n_units * sizeof *m->units);
    for (size_t i = 0; i < m->n_units; i++) {
        const unsigned char *u = p + 4 + 4 * i;
        m->units[i] =
            (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
    }
    m->n_norm = raw.len - 4 - size;
    m->norm = sb_xmalloc(m->n_norm + 1);
    memcpy(m->norm, p + 4 + size, m->n_norm);
    m->norm[m->n_norm] = '\0'; /* the last string may lack its NUL */
    sb_buf_free(&raw);
    return m;
}

void tok_charsmap_free(tok_charsmap *m)
{
    if (!m)
        return;
    free(m->units);
    free(m->norm);
    free(m);
}

static uint32_t unit_offset(uint32_t u)
{
    return (u >> 10) << ((u & (1u << 9)) >> 6);
}

/* The replacement of the shortest key that s[0..n) starts with, or NULL.
 * A NUL byte ends the key, as in the Rust library. */
static const char *lookup(const tok_charsmap *m, const char *s, size_t n)
{
    size_t pos = unit_offset(m->units[0]);
    for (size_t i = 0; i < n && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        pos ^= c;
        if (pos >= m->n_units)
            return NULL;
        uint32_t u = m->units[pos];
        if ((u & ((1u << 31) | 0xFFu)) != c)
            return NULL;
        pos ^= unit_offset(u);
        if ((u >> 8) & 1) {
            if (pos >= m->n_units)
                return NULL;
            size_t v = m->units[pos] & 0x7FFFFFFFu;
            return v < m->n_norm ? m->norm + v : NULL;
        }
    }
    return NULL;
}

void tok_charsmap_apply(const tok_charsmap *m, const char *s, size_t n, sb_buf *out)
{
    size_t i = 0;
    while (i < n) {
        /* the cluster s[i..e) */
        utf8proc_int32_t prev, cp, state = 0;
        size_t e = i + tok_utf8_next(s + i, n - i, (uint32_t *)&prev);
        while (e < n) {
            size_t k = tok_utf8_next(s + e, n - e, (uint32_t *)&cp);
            if (utf8proc_grapheme_break_stateful(prev, cp, &state))
                break;
            prev = cp;
            e += k;
        }
        const char *r = e - i < 6 ? lookup(m, s + i, e - i) : NULL;
        if (r) {
            sb_buf_puts(out, r);
            i = e;
            continue;
        }
        while (i < e) {
            uint32_t c;
            size_t k = tok_utf8_next(s + i, e - i, &c);
            r = lookup(m, s + i, k);
            if (r)
                sb_buf_puts(out, r);
            else
                sb_buf_append(out, s + i, k);
            i += k;
        }
    }
}
