/* SPDX-License-Identifier: Apache-2.0 */
/* pyhash.c - CPython 3.11+ str hashing (see pyhash.h for why it exists).
 *
 * Written from the behaviour of CPython (Python/pyhash.c, Python/bootstrap_hash.c,
 * Objects/unicodeobject.c) and the SipHash paper, and checked against a live
 * interpreter in tests/pyhash_live.sh:
 *  - the secret is 24 bytes; SipHash uses its first 16 as two little-endian
 *    64-bit words k0, k1;
 *  - PYTHONHASHSEED=0 zeroes the secret, N > 0 fills it with the MSVC-style
 *    LCG x = x*214013 + 2531011 taking byte (x >> 16) & 0xff each step;
 *  - SipHash-1-3: one compression round per 8-byte word, three finalization
 *    rounds, the length in the top byte of the last word;
 *  - a str is hashed over its PEP 393 storage: 1, 2 or 4 bytes per code point
 *    chosen by the largest code point, so "é" hashes its latin-1 byte. */
#include <string.h>

#include "core/buf.h"
#include "core/pyhash.h"
#include "core/utf8.h"

void pyhash_key_from_seed(pyhash_key *k, uint32_t seed)
{
    unsigned char secret[24] = {0};
    if (seed != 0) {
        uint32_t x = seed;
        for (size_t i = 0; i < sizeof secret; i++) {
            x = x * 214013u + 2531011u; /* modulo 2^32, as C unsigned int */
            secret[i] = (unsigned char)((x >> 16) & 0xff);
        }
    }
    k->k0 = k->k1 = 0;
    for (int i = 7; i >= 0; i--) {
        k->k0 = (k->k0 << 8) | secret[i];
        k->k1 = (k->k1 << 8) | secret[8 + i];
    }
}

static inline uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

typedef struct sip {
    uint64_t v0, v1, v2, v3;
} sip;

static inline void sip_round(sip *s)
{
    s->v0 += s->v1;
    s->v1 = rotl(s->v1, 13) ^ s->v0;
    s->v0 = rotl(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotl(s->v3, 16) ^ s->v2;
    s->v0 += s->v3;
    s->v3 = rotl(s->v3, 21) ^ s->v0;
    s->v2 += s->v1;
    s->v1 = rotl(s->v1, 17) ^ s->v2;
    s->v2 = rotl(s->v2, 32);
}

static uint64_t load_le(const unsigned char *p, size_t n)
{
    uint64_t w = 0;
    for (size_t i = n; i > 0; i--)
        w = (w << 8) | p[i - 1];
    return w;
}

uint64_t pyhash_siphash13(const pyhash_key *k, const void *data, size_t len)
{
    const unsigned char *in = data;
    sip s = {k->k0 ^ 0x736f6d6570736575ULL, k->k1 ^ 0x646f72616e646f6dULL,
             k->k0 ^ 0x6c7967656e657261ULL, k->k1 ^ 0x7465646279746573ULL};
    size_t left = len;
    for (; left >= 8; in += 8, left -= 8) {
        uint64_t m = load_le(in, 8);
        s.v3 ^= m;
        sip_round(&s);
        s.v0 ^= m;
    }
    uint64_t b = ((uint64_t)len << 56) | load_le(in, left);
    s.v3 ^= b;
    sip_round(&s);
    s.v0 ^= b;
    s.v2 ^= 0xff;
    sip_round(&s);
    sip_round(&s);
    sip_round(&s);
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

int64_t pyhash_bytes(const pyhash_key *k, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    int64_t h = (int64_t)pyhash_siphash13(k, data, len);
    return h == -1 ? -2 : h; /* -1 means "error" to CPython */
}

/* Decodes utf8 into code points (appended to cps as uint32_t); returns the
 * largest one, or -1 with err set at the first invalid byte. */
static int32_t decode_utf8(const char *utf8, size_t len, sb_buf *cps, sb_err *err)
{
    int32_t max = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t u;
        size_t n = sb_utf8_decode(utf8 + i, len - i, &u);
        if (!n)
            return sb_err_set(err, "hash(): invalid UTF-8 at byte %zu", i);
        sb_buf_append(cps, &u, sizeof u);
        if ((int32_t)u > max)
            max = (int32_t)u;
        i += n;
    }
    return max;
}

int pyhash_str(const pyhash_key *k, const char *utf8, size_t len, int64_t *out, sb_err *err)
{
    sb_buf cps, form;
    sb_buf_init(&cps);
    sb_buf_init(&form);
    int32_t max = decode_utf8(utf8, len, &cps, err);
    if (max < 0) {
        sb_buf_free(&cps);
        return -1;
    }
    size_t width = max < 0x100 ? 1 : max < 0x10000 ? 2 : 4; /* PEP 393 kind */
    size_t n = cps.len / sizeof(uint32_t);
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, cps.data + i * sizeof u, sizeof u);
        unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                              (unsigned char)(u >> 24)};
        sb_buf_append(&form, b, width);
    }
    *out = pyhash_bytes(k, form.data, form.len);
    sb_buf_free(&cps);
    sb_buf_free(&form);
    return 0;
}
