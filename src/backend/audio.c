/* SPDX-License-Identifier: Apache-2.0 */
/* audio.c - the openai-audio backend (Whisper-style transcription and
 * translation), vllm/benchmarks/lib/endpoint_request_func.py: async_request_openai_audio: a
 * multipart/form-data body written byte for byte as aiohttp's FormData writes it.
 *
 * The reference builds a dict (model, max_completion_tokens, stream,
 * language, stream_include_usage, stream_continuous_usage_stats, then
 * ignore_eos and --extra-body merged with dict.update), adds the WAV bytes as
 * field "file" (filename audio.wav, audio/wav) and then every dict entry as a
 * form field holding Python's str() of the value. So the body builder fills
 * the same ordered dict the JSON backends fill (bk_build_audio), and
 * bk_form_write turns its rendered values into str() forms: strings as they
 * are, True/False/None, numbers as repr, lists and dicts as Python repr.
 *
 * aiohttp draws a random uuid4().hex boundary per request; servebench uses
 * the fixed BK_FORM_BOUNDARY (same length and alphabet) so that the header
 * is shared by every request and bodies are reproducible. A WAV holding the
 * 34-byte delimiter by chance is as likely as aiohttp's random boundary
 * colliding (2^-128 per position) and is not checked. */
#include "backend/backend.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

/* Python str.isprintable() is false for these non-ASCII code points too
 * (C1 controls, NBSP, soft hyphen, line/paragraph separators, the common
 * format characters); repr() escapes them. Rarer unprintable code points
 * (unassigned, private use) are written as they are: a documented gap. */
static bool py_unprintable(uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0xad || (c >= 0x200b && c <= 0x200f) ||
           (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x2064) || c == 0xfeff ||
           (c >= 0xd800 && c <= 0xdfff);
}

/* Python repr() of a str: single quotes unless the text holds ' and no ". */
static void py_repr_str(sb_buf *b, const char *s, size_t n)
{
    char q = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
    sb_buf_putc(b, q);
    for (size_t i = 0; i < n;) {
        uint32_t c = 0xFFFD; /* jansson strings are valid UTF-8; a stray byte stays as it is */
        size_t len = sb_utf8_decode(s + i, n - i, &c);
        len += !len;
        if (c == '\\' || c == (uint32_t)q)
            sb_buf_printf(b, "\\%c", (char)c);
        else if (c == '\t')
            sb_buf_puts(b, "\\t");
        else if (c == '\n')
            sb_buf_puts(b, "\\n");
        else if (c == '\r')
            sb_buf_puts(b, "\\r");
        else if (py_unprintable(c))
            sb_buf_printf(b, c < 0x100 ? "\\x%02x" : "\\u%04x", (unsigned)c);
        else
            sb_buf_append(b, s + i, len);
        i += len;
    }
    sb_buf_putc(b, q);
}

/* Python repr() of a JSON value (a list or dict element). */
static void py_repr(sb_buf *b, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        bool first = true;
        sb_buf_putc(b, '{');
        json_object_foreach(v, k, x)
        {
            sb_buf_puts(b, first ? "" : ", ");
            first = false;
            py_repr_str(b, k, strlen(k));
            sb_buf_puts(b, ": ");
            py_repr(b, x);
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
            sb_buf_puts(b, i ? ", " : "");
            py_repr(b, x);
        }
        sb_buf_putc(b, ']');
        break;
    }
    case JSON_STRING:
        py_repr_str(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        sb_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL: {
        char t[40];
        sb_buf_puts(b, py_float_repr(t, sizeof t, json_real_value(v)));
        break;
    }
    case JSON_TRUE:
        sb_buf_puts(b, "True");
        break;
    case JSON_FALSE:
        sb_buf_puts(b, "False");
        break;
    case JSON_NULL:
        sb_buf_puts(b, "None");
        break;
    }
}

void bk_py_str(sb_buf *b, const char *json, size_t n)
{
    json_t *v = json_loadb(json, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!v) { /* cannot happen for values rendered by pyjson; keep the text */
        sb_buf_append(b, json, n);
        return;
    }
    if (json_is_string(v))
        sb_buf_append(b, json_string_value(v), json_string_length(v));
    else
        py_repr(b, v);
    json_decref(v);
}

/* The name parameter of Content-Disposition as aiohttp quotes it: a 7-bit
 * quoted-string with " and \ escaped, else RFC 2231 name*=utf-8''%XX. */
static void disposition_name(sb_buf *b, const char *name)
{
    bool ascii = true;
    for (const char *p = name; *p; p++)
        if (!((*p >= 0x20 && *p < 0x7f) || *p == '\t'))
            ascii = false;
    if (ascii) {
        sb_buf_puts(b, "name=\"");
        for (const char *p = name; *p; p++) {
            if (*p == '"' || *p == '\\')
                sb_buf_putc(b, '\\');
            sb_buf_putc(b, *p);
        }
        sb_buf_putc(b, '"');
        return;
    }
    sb_buf_puts(b, "name*=utf-8''");
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '_' || *p == '.' || *p == '-' || *p == '~')
            sb_buf_putc(b, (char)*p);
        else
            sb_buf_printf(b, "%%%02X", *p);
    }
}

static void part_head(sb_buf *b, const char *ctype)
{
    sb_buf_puts(b, "--" BK_FORM_BOUNDARY "\r\nContent-Type: ");
    sb_buf_puts(b, ctype);
    sb_buf_puts(b, "\r\nContent-Disposition: form-data; ");
}

void bk_form_write(const pyjson_obj *o, const bk_req *r, sb_buf *out)
{
    sb_buf_reserve(out, r->forms.audio_wav_bytes + 256 + 160 * o->n);
    part_head(out, "audio/wav");
    sb_buf_puts(out, "name=\"file\"; filename=\"audio.wav\"\r\n\r\n");
    if (r->forms.audio_wav_bytes)
        sb_buf_append(out, r->forms.audio_wav, r->forms.audio_wav_bytes);
    sb_buf_puts(out, "\r\n");
    for (size_t i = 0; i < o->n; i++) {
        part_head(out, "text/plain; charset=utf-8");
        disposition_name(out, o->kv[i].key);
        sb_buf_puts(out, "\r\n\r\n");
        bk_py_str(out, o->vals.data + o->kv[i].val_off, o->kv[i].val_len);
        sb_buf_puts(out, "\r\n");
    }
    sb_buf_puts(out, "--" BK_FORM_BOUNDARY "--\r\n");
}

void bk_build_audio(const bk_params *p, const bk_req *r, pyjson_obj *o)
{
    bk_set_str(o, "model", bk_model(p, r), strlen(bk_model(p, r)));
    bk_set_int(o, "max_completion_tokens", r->output_len);
    bk_set_raw(o, "stream", "true");
    bk_set_str(o, "language", "en", 2);
    /* flattened stream_options: multipart has no nesting */
    bk_set_raw(o, "stream_include_usage", "true");
    bk_set_raw(o, "stream_continuous_usage_stats", "true");
    if (p->ignore_eos)
        bk_set_raw(o, "ignore_eos", "true");
}
