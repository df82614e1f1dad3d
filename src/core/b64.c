/* SPDX-License-Identifier: Apache-2.0 */
/* b64.c - base64 for multimodal request parts and tokenizer files (see b64.h). Writes
 * straight into the reserved buffer: a 720p image is ~0.7 MB of output. */
#include "core/b64.h"

#include <stdint.h>

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sb_b64_encode(sb_buf *out, const void *p, size_t n)
{
    const uint8_t *s = p;
    if (n == 0)
        return;
    size_t add = (n + 2) / 3 * 4;
    sb_buf_reserve(out, add);
    char *d = out->data + out->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3, d += 4) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        d[0] = b64_alphabet[v >> 18];
        d[1] = b64_alphabet[(v >> 12) & 63];
        d[2] = b64_alphabet[(v >> 6) & 63];
        d[3] = b64_alphabet[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
        d[0] = b64_alphabet[v >> 18];
        d[1] = b64_alphabet[(v >> 12) & 63];
        d[2] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
        d[3] = '=';
    }
    out->len += add;
    out->data[out->len] = '\0';
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int sb_b64_decode(sb_buf *out, const char *s, size_t n)
{
    while (n && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return -1;
    sb_buf_reserve(out, n / 4 * 3 + 3);
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->data[out->len++] = (char)((acc >> bits) & 0xFF);
        }
    }
    out->data[out->len] = '\0';
    return 0;
}
