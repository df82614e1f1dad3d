/* SPDX-License-Identifier: Apache-2.0 */
/* pyfmt.c - Python's text forms that the result files must reproduce:
 * repr(float) and json.dumps(str) with ensure_ascii.
 *
 * repr(float) is the shortest decimal that reads back to the same double
 * (not %.17g): we try 1..17 significant digits with %.*e and keep the first
 * that round-trips, then lay the digits out as CPython's float_repr_style
 * "short" does (fixed notation while the decimal exponent is in [-4, 16),
 * else d.ddde+XX, always a ".0" on integral fixed values). */
#include "core/pyfmt.h"

#include <stdint.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

/* Shortest round-trip digits of |v| (no dot, no trailing zeros) and the
 * decimal exponent of the first digit. Whether p significant digits read
 * back to v is monotonic in p (more correctly rounded digits only get
 * closer), so the shortest p is found by bisection: 4-5 conversions instead
 * of up to 17. */
static void shortest_digits(double v, char *digits, int *exp10)
{
    char tmp[40], best[40];
    int lo = 1, hi = 17;
    snprintf(best, sizeof best, "%.16e", v);
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(tmp, sizeof tmp, "%.*e", mid - 1, v);
        if (strtod(tmp, NULL) == v) {
            hi = mid;
            memcpy(best, tmp, sizeof tmp);
        } else {
            lo = mid + 1;
        }
    }
    if (hi == 17)
        snprintf(best, sizeof best, "%.16e", v);
    char *e = strchr(best, 'e');
    *exp10 = (int)strtol(e + 1, NULL, 10);
    size_t n = 0;
    for (char *p = best; p < e; p++)
        if (*p >= '0' && *p <= '9')
            digits[n++] = *p;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
}

static void layout(char *out, size_t size, int neg, const char *dg, int exp10)
{
    int nd = (int)strlen(dg);
    int decpt = exp10 + 1; /* digits are 0.d1d2.. x 10^decpt */
    char body[64];
    if (decpt <= -4 || decpt > 16) {
        int w = snprintf(body, sizeof body, "%c", dg[0]);
        if (nd > 1)
            w += snprintf(body + w, sizeof body - (size_t)w, ".%s", dg + 1);
        snprintf(body + w, sizeof body - (size_t)w, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
    } else if (decpt <= 0) {
        snprintf(body, sizeof body, "0.%0*d%s", -decpt, 0, dg);
        if (decpt == 0)
            snprintf(body, sizeof body, "0.%s", dg);
    } else if (decpt >= nd) {
        snprintf(body, sizeof body, "%s%0*d.0", dg, decpt - nd, 0);
        if (decpt == nd)
            snprintf(body, sizeof body, "%s.0", dg);
    } else {
        snprintf(body, sizeof body, "%.*s.%s", decpt, dg, dg + decpt);
    }
    snprintf(out, size, "%s%s", neg ? "-" : "", body);
}

char *py_float_repr(char *buf, size_t size, double v)
{
    if (isnan(v))
        snprintf(buf, size, "nan");
    else if (isinf(v))
        snprintf(buf, size, v < 0 ? "-inf" : "inf");
    else if (v == 0.0)
        snprintf(buf, size, signbit(v) ? "-0.0" : "0.0");
    else {
        char dg[24];
        int e;
        shortest_digits(fabs(v), dg, &e);
        layout(buf, size, signbit(v) != 0, dg, e);
    }
    return buf;
}

/* repr(ns / 1e9) without float formatting. The IEEE quotient and strtod of
 * the decimal "ns x 10^-9" both round the same rational, so that decimal
 * (trailing zeros dropped) reads back exactly. It is also the shortest while
 * ns has at most 15 digits: distinct decimals of <= 15 significant digits
 * (DBL_DIG) never round to the same double, so no shorter one can. */
void pyfmt_json_ns_as_s(sb_buf *out, uint64_t ns)
{
    if (ns == 0 || ns >= 1000000000000000ull) {
        pyfmt_json_number(out, (double)ns / 1e9);
        return;
    }
    char dg[24];
    int n = 0;
    for (uint64_t v = ns; v; v /= 10)
        dg[n++] = (char)('0' + v % 10);
    for (int i = 0; i < n / 2; i++) { /* most significant first */
        char c = dg[i];
        dg[i] = dg[n - 1 - i];
        dg[n - 1 - i] = c;
    }
    int decpt = n - 9, nd = n;
    while (nd > 1 && dg[nd - 1] == '0')
        nd--;
    dg[nd] = '\0';
    if (decpt <= -4) { /* below 1e-4 s Python switches to exponent form */
        char b[64];
        layout(b, sizeof b, 0, dg, decpt - 1);
        sb_buf_puts(out, b);
        return;
    }
    /* fixed notation written in place: this runs once per saved ITL gap */
    sb_buf_reserve(out, 32);
    char *w = out->data + out->len, *start = w;
    if (decpt <= 0) {
        *w++ = '0';
        *w++ = '.';
        for (int i = 0; i < -decpt; i++)
            *w++ = '0';
        memcpy(w, dg, (size_t)nd);
        w += nd;
    } else if (decpt >= nd) {
        memcpy(w, dg, (size_t)nd);
        w += nd;
        for (int i = nd; i < decpt; i++)
            *w++ = '0';
        *w++ = '.';
        *w++ = '0';
    } else {
        memcpy(w, dg, (size_t)decpt);
        w += decpt;
        *w++ = '.';
        memcpy(w, dg + decpt, (size_t)(nd - decpt));
        w += nd - decpt;
    }
    out->len += (size_t)(w - start);
    out->data[out->len] = '\0';
}

void pyfmt_json_number(sb_buf *out, double v)
{
    char tmp[40];
    if (isnan(v))
        sb_buf_puts(out, "NaN");
    else if (isinf(v))
        sb_buf_puts(out, v < 0 ? "-Infinity" : "Infinity");
    else
        sb_buf_puts(out, py_float_repr(tmp, sizeof tmp, v));
}

static void put_u16(sb_buf *b, unsigned v)
{
    sb_buf_printf(b, "\\u%04x", v & 0xffffu);
}

void pyfmt_json_string(sb_buf *b, const char *s, size_t n)
{
    pyfmt_json_string_as(b, s, n, true);
}

void pyfmt_json_string_as(sb_buf *b, const char *s, size_t n, bool ensure_ascii)
{
    const unsigned char *p = (const unsigned char *)s;
    sb_buf_reserve(b, n + 2);
    sb_buf_putc(b, '"');
    size_t run = 0; /* bytes written as they are, waiting to be copied at once */
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && (c < 0x7F || !ensure_ascii)) {
            run++;
            continue;
        }
        sb_buf_append(b, p + i - run, run);
        run = 0;
        switch (c) {
        case '"':
            sb_buf_puts(b, "\\\"");
            continue;
        case '\\':
            sb_buf_puts(b, "\\\\");
            continue;
        case '\n':
            sb_buf_puts(b, "\\n");
            continue;
        case '\r':
            sb_buf_puts(b, "\\r");
            continue;
        case '\t':
            sb_buf_puts(b, "\\t");
            continue;
        case '\b':
            sb_buf_puts(b, "\\b");
            continue;
        case '\f':
            sb_buf_puts(b, "\\f");
            continue;
        default:
            break;
        }
        if (c < 0x80) {
            put_u16(b, c);
            continue;
        }
        uint32_t cp;
        size_t len = sb_utf8_decode(s + i, n - i, &cp);
        if (!len) {
            put_u16(b, 0xFFFD);
            continue;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            put_u16(b, 0xD800 + (cp >> 10));
            put_u16(b, 0xDC00 + (cp & 0x3FF));
        } else {
            put_u16(b, cp);
        }
        i += len - 1;
    }
    sb_buf_append(b, p + n - run, run);
    sb_buf_putc(b, '"');
}

void pyfmt_pct_word(char *buf, size_t size, double p)
{
    if (p == floor(p) && fabs(p) < 1e15)
        snprintf(buf, size, "%ld", (long)p);
    else
        py_float_repr(buf, size, p);
}
