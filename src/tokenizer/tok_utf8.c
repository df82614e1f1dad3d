/* SPDX-License-Identifier: Apache-2.0 */
/* tok_utf8.c - UTF-8 decoding, Rust-compatible lossy repair, and the Rust
 * `char` predicates the HF components are written with.
 *
 * Decoding itself is core/utf8.h's. Lossy repair follows Rust's
 * String::from_utf8_lossy exactly (one U+FFFD per "maximal subpart" of an
 * ill-formed sequence, Unicode ch. 3), because decoded texts with U+FFFD are
 * compared byte for byte with the Rust library. */
#include "tokenizer/tok_internal.h"

#include <string.h>
#include <utf8proc.h>

#include "core/utf8.h"

size_t tok_utf8_next(const char *s, size_t n, uint32_t *cp)
{
    size_t k = sb_utf8_decode(s, n, cp);
    if (k)
        return k;
    *cp = 0xFFFD;
    return 1;
}

size_t tok_utf8_put(char *out, uint32_t cp)
{
    return sb_utf8_encode(out, cp);
}

void tok_buf_put_cp(sb_buf *b, uint32_t cp)
{
    char tmp[4];
    sb_buf_append(b, tmp, tok_utf8_put(tmp, cp));
}

/* Where the first ill-formed sequence at or after i starts (n when none):
 * eight ASCII bytes at a time, then sb_utf8_decode. */
static size_t next_bad(const char *s, size_t i, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    while (i < n) {
        uint64_t w;
        if (i + 8 <= n && (memcpy(&w, u + i, 8), (w & 0x8080808080808080ULL) == 0)) {
            i += 8;
            continue;
        }
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = sb_utf8_decode(s + i, n - i, &cp);
        if (!k)
            return i;
        i += k;
    }
    return n;
}

void tok_utf8_lossy(sb_buf *out, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = next_bad(s, 0, n); i < n; i = next_bad(s, run, n)) {
        size_t bad = sb_utf8_bad_len(s + i, n - i); /* what one U+FFFD replaces */
        sb_buf_append(out, s + run, i - run);
        sb_buf_append(out, "\xEF\xBF\xBD", 3);
        run = i + bad;
    }
    sb_buf_append(out, s + run, n - run);
}

bool tok_utf8_valid(const char *s, size_t n)
{
    return next_bad(s, 0, n) == n;
}

size_t tok_utf8_count(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

bool tok_is_whitespace(uint32_t cp)
{
    /* Unicode White_Space, which Rust's char::is_whitespace implements. */
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

bool tok_is_numeric(uint32_t cp)
{
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

bool tok_is_punct(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
               (cp >= 123 && cp <= 126);
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_PO;
}

bool tok_is_mark(uint32_t cp)
{
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME;
}

bool tok_is_control(uint32_t cp)
{
    /* HF bert `is_control`: \t \n \r are whitespace, not control. */
    if (cp == '\t' || cp == '\n' || cp == '\r')
        return false;
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF || c == UTF8PROC_CATEGORY_CN ||
           c == UTF8PROC_CATEGORY_CO;
}

bool tok_is_cjk(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}
