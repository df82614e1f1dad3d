/* pyjson.c - Python json.dumps-compatible writing (see pyjson.h).
 *
 * Only request bodies go through here, once per request before the run
 * starts, so clarity wins over speed. --extra-body is parsed with jansson
 * (which keeps key order) and written back value by value. */
#include "backend/pyjson.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_u16(sb_buf *b, unsigned v)
{
    sb_buf_printf(b, "\\u%04x", v & 0xffffu);
}

/* Decodes one UTF-8 sequence at s (n bytes left); returns its length, or 0
 * for an invalid sequence (the caller writes U+FFFD and skips one byte). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0xC2 || c > 0xF4)
        return 0;
    if (c < 0xE0)
        len = 2, v = c & 0x1F, min = 0x80;
    else if (c < 0xF0)
        len = 3, v = c & 0x0F, min = 0x800;
    else
        len = 4, v = c & 0x07, min = 0x10000;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

void pyjson_str(sb_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    sb_buf_reserve(b, n + 2);
    sb_buf_putc(b, '"');
    size_t run = 0; /* plain ASCII bytes waiting to be copied at once */
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            run++;
            continue;
        }
        sb_buf_append(b, p + i - run, run);
        run = 0;
        switch (c) {
        case '"': sb_buf_puts(b, "\\\""); continue;
        case '\\': sb_buf_puts(b, "\\\\"); continue;
        case '\n': sb_buf_puts(b, "\\n"); continue;
        case '\r': sb_buf_puts(b, "\\r"); continue;
        case '\t': sb_buf_puts(b, "\\t"); continue;
        case '\b': sb_buf_puts(b, "\\b"); continue;
        case '\f': sb_buf_puts(b, "\\f"); continue;
        default: break;
        }
        if (c < 0x80) {
            put_u16(b, c);
            continue;
        }
        uint32_t cp;
        size_t len = utf8_next(p + i, n - i, &cp);
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

void pyjson_float(sb_buf *b, double v)
{
    if (isnan(v)) {
        sb_buf_puts(b, "NaN");
        return;
    }
    if (isinf(v)) {
        sb_buf_puts(b, v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    char e[40];
    int prec = 1;
    for (; prec <= 17; prec++) { /* shortest digits that read back to v */
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* e is [-]d[.ddd]e[+-]xx: split digits and exponent. */
    const char *q = e;
    bool neg = *q == '-';
    if (neg)
        q++;
    char digits[20];
    int nd = 0;
    for (; *q && *q != 'e'; q++)
        if (*q != '.')
            digits[nd++] = *q;
    int exp = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (neg)
        sb_buf_putc(b, '-');
    if (exp >= -4 && exp < 16) { /* repr's fixed-point range */
        if (exp < 0) {
            sb_buf_puts(b, "0.");
            for (int i = 0; i < -exp - 1; i++)
                sb_buf_putc(b, '0');
            sb_buf_append(b, digits, (size_t)nd);
            return;
        }
        for (int i = 0; i <= exp; i++)
            sb_buf_putc(b, i < nd ? digits[i] : '0');
        sb_buf_putc(b, '.');
        if (nd > exp + 1)
            sb_buf_append(b, digits + exp + 1, (size_t)(nd - exp - 1));
        else
            sb_buf_putc(b, '0');
        return;
    }
    sb_buf_putc(b, digits[0]);
    if (nd > 1) {
        sb_buf_putc(b, '.');
        sb_buf_append(b, digits + 1, (size_t)(nd - 1));
    }
    sb_buf_printf(b, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

static void write_value(sb_buf *b, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        bool first = true;
        sb_buf_putc(b, '{');
        json_object_foreach(v, k, x) {
            if (!first)
                sb_buf_puts(b, ", ");
            first = false;
            pyjson_str(b, k, strlen(k));
            sb_buf_puts(b, ": ");
            write_value(b, x);
        }
        sb_buf_putc(b, '}');
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        sb_buf_putc(b, '[');
        json_array_foreach(v, i, x) {
            if (i)
                sb_buf_puts(b, ", ");
            write_value(b, x);
        }
        sb_buf_putc(b, ']');
        break;
    }
    case JSON_STRING: pyjson_str(b, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: sb_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_REAL: pyjson_float(b, json_real_value(v)); break;
    case JSON_TRUE: sb_buf_puts(b, "true"); break;
    case JSON_FALSE: sb_buf_puts(b, "false"); break;
    case JSON_NULL: sb_buf_puts(b, "null"); break;
    }
}

int pyjson_reformat(sb_buf *b, const char *json, sb_err *err)
{
    json_error_t je;
    json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v)
        return sb_err_set(err, "invalid JSON at line %d, column %d (byte %d): %s", je.line,
                          je.column, je.position, je.text);
    write_value(b, v);
    json_decref(v);
    return 0;
}

void pyjson_obj_init(pyjson_obj *o)
{
    o->n = 0;
    sb_buf_init(&o->vals);
}

void pyjson_obj_free(pyjson_obj *o)
{
    sb_buf_free(&o->vals);
}

void pyjson_obj_reset(pyjson_obj *o)
{
    o->n = 0;
    sb_buf_reset(&o->vals);
}

void pyjson_obj_set(pyjson_obj *o, const char *key, const char *val, size_t len)
{
    size_t off = o->vals.len;
    sb_buf_append(&o->vals, val, len);
    for (size_t i = 0; i < o->n; i++) {
        if (strcmp(o->kv[i].key, key) == 0) {
            o->kv[i].val_off = off;
            o->kv[i].val_len = len;
            return;
        }
    }
    if (o->n == sizeof o->kv / sizeof o->kv[0])
        return; /* bodies have a dozen keys; extra-body is capped by the builder */
    o->kv[o->n++] = (pyjson_kv){key, off, len};
}

void pyjson_obj_write(const pyjson_obj *o, sb_buf *b)
{
    sb_buf_putc(b, '{');
    for (size_t i = 0; i < o->n; i++) {
        if (i)
            sb_buf_puts(b, ", ");
        pyjson_str(b, o->kv[i].key, strlen(o->kv[i].key));
        sb_buf_puts(b, ": ");
        sb_buf_append(b, o->vals.data + o->kv[i].val_off, o->kv[i].val_len);
    }
    sb_buf_putc(b, '}');
}
