/* SPDX-License-Identifier: Apache-2.0 */
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

static void write_value(sb_buf *b, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        bool first = true;
        sb_buf_putc(b, '{');
        json_object_foreach(v, k, x)
        {
            if (!first)
                sb_buf_puts(b, ", ");
            first = false;
            pyfmt_json_string(b, k, strlen(k));
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
        json_array_foreach(v, i, x)
        {
            if (i)
                sb_buf_puts(b, ", ");
            write_value(b, x);
        }
        sb_buf_putc(b, ']');
        break;
    }
    case JSON_STRING:
        pyfmt_json_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        sb_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        pyfmt_json_number(b, json_real_value(v));
        break;
    case JSON_TRUE:
        sb_buf_puts(b, "true");
        break;
    case JSON_FALSE:
        sb_buf_puts(b, "false");
        break;
    case JSON_NULL:
        sb_buf_puts(b, "null");
        break;
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
        pyfmt_json_string(b, o->kv[i].key, strlen(o->kv[i].key));
        sb_buf_puts(b, ": ");
        sb_buf_append(b, o->vals.data + o->kv[i].val_off, o->kv[i].val_len);
    }
    sb_buf_putc(b, '}');
}
