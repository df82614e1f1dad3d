/* tok_utf8.c - UTF-8 decoding, Rust-compatible lossy repair, and the Rust
 * `char` predicates the HF components are written with.
 *
 * Lossy repair follows Rust's String::from_utf8_lossy exactly (one U+FFFD per
 * "maximal subpart" of an ill-formed sequence, Unicode ch. 3), because decoded
 * texts with U+FFFD are compared byte for byte with the Rust library. */
#include "tokenizer/tok_internal.h"

#include <string.h>
#include <utf8proc.h>

/* Length of the valid sequence starting at s (0 when ill-formed), and the
 * length of the maximal subpart to replace when ill-formed (*bad). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp, size_t *bad)
{
    unsigned char c = s[0];
    *bad = 1;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n)
            return 0;
        unsigned char d = s[i];
        if (d < lo || d > hi)
            return 0;
        lo = 0x80;
        hi = 0xBF;
        v = (v << 6) | (d & 0x3F);
        *bad = i + 1;
    }
    *cp = v;
    return need + 1;
}

size_t tok_utf8_next(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    /* Fast paths for ASCII and well-formed 2- and 3-byte sequences (nearly
     * all text); everything else takes the full check. */
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if (u[0] >= 0xC2 && u[0] <= 0xDF && n >= 2 && (u[1] & 0xC0) == 0x80) {
        *cp = (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
        return 2;
    }
    if ((u[0] & 0xF0) == 0xE0 && n >= 3 && (u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80 &&
        (u[0] != 0xE0 || u[1] >= 0xA0) && (u[0] != 0xED || u[1] <= 0x9F)) {
        *cp = (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
        return 3;
    }
    size_t bad;
    size_t k = utf8_seq((const unsigned char *)s, n, cp, &bad);
    if (k)
        return k;
    *cp = 0xFFFD;
    return 1;
}

size_t tok_utf8_put(char *out, uint32_t cp)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

void tok_buf_put_cp(sb_buf *b, uint32_t cp)
{
    char tmp[4];
    sb_buf_append(b, tmp, tok_utf8_put(tmp, cp));
}

/* Where the first ill-formed sequence at or after i starts (n when none):
 * eight ASCII bytes at a time, then tok_utf8_next's fast paths. */
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
        size_t k = tok_utf8_next(s + i, n - i, &cp);
        if (cp == 0xFFFD && (k != 3 || memcmp(u + i, "\xEF\xBF\xBD", 3) != 0))
            return i; /* tok_utf8_next's stand-in for an ill-formed byte */
        i += k;
    }
    return n;
}

void tok_utf8_lossy(sb_buf *out, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = next_bad(s, 0, n); i < n; i = next_bad(s, run, n)) {
        uint32_t cp;
        size_t bad;
        utf8_seq((const unsigned char *)s + i, n - i, &cp, &bad); /* what one U+FFFD replaces */
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
