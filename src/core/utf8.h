/* SPDX-License-Identifier: Apache-2.0 */
/* utf8.h - the one UTF-8 decoder and encoder every module uses.
 *
 * Strict Unicode ch. 3 decoding (table 3-7): no overlong forms, no
 * surrogates, nothing above U+10FFFF. What a caller does with an ill-formed
 * sequence differs (the tokenizer writes one U+FFFD per maximal subpart as
 * Rust's String::from_utf8_lossy; json.dumps output writes \ufffd per byte;
 * hash() reports an error), so that choice stays with the caller.
 * Inline because the tokenizer and the stream scanner call it per character. */
#ifndef SB_UTF8_H
#define SB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of the well-formed sequence at s (n >= 1 bytes left), 1-4, with
 * its scalar value in *cp; 0 when the sequence is ill-formed or cut short
 * (then *cp is untouched and sb_utf8_bad_len says how far it reaches). */
static inline size_t sb_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, v = c & 0x0F, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, v = c & 0x07, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (n < len || u[1] < lo || u[1] > hi)
        return 0;
    v = v << 6 | (u[1] & 0x3F);
    for (size_t i = 2; i < len; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (u[i] & 0x3F);
    }
    *cp = v;
    return len;
}

/* For an ill-formed sequence at s (sb_utf8_decode returned 0): the length
 * of its maximal subpart (>= 1), the bytes one U+FFFD replaces in Rust's
 * String::from_utf8_lossy and Python's decode(errors="replace"). */
static inline size_t sb_utf8_bad_len(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 1;
    size_t i = 1;
    for (; i <= need && i < n; i++) {
        if (u[i] < lo || u[i] > hi)
            break;
        lo = 0x80, hi = 0xBF;
    }
    return i;
}

/* Writes cp (<= U+10FFFF) as UTF-8 into out (room for 4); returns bytes. A
 * surrogate is written in its 3-byte form (as JSON's lone \ud800 becomes). */
static inline size_t sb_utf8_encode(char *out, uint32_t cp)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

#endif
