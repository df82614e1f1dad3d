/* SPDX-License-Identifier: Apache-2.0 */
/* sim_audio.c - the simulator's Whisper-style endpoints, POST
 * /v1/audio/transcriptions and /v1/audio/translations: a multipart/form-data
 * body (RFC 7578) with a "file" part and text fields, answered like a chat
 * completion (streamed chat deltas, same timing model, faults and usage).
 *
 * Fields read: file (required, non-empty), model (checked like the chat
 * endpoint), max_completion_tokens (or max_tokens), stream,
 * stream_include_usage, stream_continuous_usage_stats, ignore_eos,
 * min_tokens; booleans as Python's str() writes them (True/False) or
 * true/false/1/0; others (language, prompt, temperature, ...) are accepted
 * and ignored. Prompt tokens: 50 per second of audio (Whisper's encoder
 * frame rate), from the RIFF/WAVE header; a file that is not a WAV counts as
 * 16 kHz 16-bit mono (32000 bytes a second). At least 1.
 *
 * Malformed forms get vLLM's 400 error object naming what is wrong: no or
 * non-multipart Content-Type, no boundary, a part without the closing
 * delimiter or without a Content-Disposition name, no file, a field that is
 * not the number or boolean it must be. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/sim_internal.h"

typedef struct form_part {
    const char *name; /* points into the body; name_n bytes */
    size_t name_n;
    const char *data;
    size_t data_n;
} form_part;

typedef struct audio_args {
    const char *file;
    size_t file_n;
    const char *model;
    size_t model_n;
    long max_tokens, min_tokens;
    int stream, include_usage, continuous_usage, ignore_eos;
} audio_args;

static const char *find(const char *h, size_t hn, const char *n, size_t nn)
{
    if (nn == 0 || hn < nn)
        return NULL;
    for (const char *p = h; p + nn <= h + hn; p++) {
        p = memchr(p, n[0], (size_t)(h + hn - p));
        if (!p || p + nn > h + hn)
            return NULL;
        if (memcmp(p, n, nn) == 0)
            return p;
    }
    return NULL;
}

/* The boundary parameter of a multipart/form-data Content-Type (quotes
 * removed), or -1 with msg. */
static int boundary_of(sim_str ct, sim_str *b, char *msg, size_t cap)
{
    static const char mp[] = "multipart/form-data";
    if (ct.n < sizeof mp - 1 || strncasecmp(ct.p, mp, sizeof mp - 1) != 0) {
        snprintf(msg, cap, "Content-Type must be multipart/form-data (got '%.*s')",
                 (int)(ct.n > 100 ? 100 : ct.n), ct.p ? ct.p : "");
        return -1;
    }
    const char *p = ct.p + sizeof mp - 1, *end = ct.p + ct.n;
    for (; p + 9 <= end; p++) {
        if (strncasecmp(p, "boundary=", 9) != 0)
            continue;
        p += 9;
        const char *e = p;
        if (p < end && *p == '"') {
            p++;
            e = memchr(p, '"', (size_t)(end - p));
            if (!e)
                break;
        } else {
            while (e < end && *e != ';' && *e != ' ')
                e++;
        }
        if (e == p || e - p > 70)
            break;
        *b = (sim_str){p, (size_t)(e - p)};
        return 0;
    }
    snprintf(msg, cap, "multipart/form-data Content-Type without a valid boundary parameter");
    return -1;
}

/* name="..." of a part's Content-Disposition header block. */
static int part_name(const char *h, size_t hn, form_part *fp)
{
    const char *cd = NULL;
    for (const char *p = h; p + 20 <= h + hn; p++)
        if (strncasecmp(p, "content-disposition:", 20) == 0) {
            cd = p;
            break;
        }
    if (!cd)
        return -1;
    const char *eol = find(cd, (size_t)(h + hn - cd), "\r\n", 2);
    size_t cn = eol ? (size_t)(eol - cd) : (size_t)(h + hn - cd);
    for (const char *p = cd; p + 6 <= cd + cn; p++) {
        if (memcmp(p, "name=\"", 6) != 0 || (p > cd && p[-1] != ' ' && p[-1] != ';'))
            continue;
        const char *q = memchr(p + 6, '"', (size_t)(cd + cn - p - 6));
        if (!q)
            return -1;
        fp->name = p + 6;
        fp->name_n = (size_t)(q - p - 6);
        return 0;
    }
    return -1;
}

static bool name_is(const form_part *fp, const char *lit)
{
    return fp->name_n == strlen(lit) && memcmp(fp->name, lit, fp->name_n) == 0;
}

static int field_bool(const form_part *fp, int *out, char *msg, size_t cap)
{
    const char *t[] = {"true", "1", "false", "0"};
    for (int i = 0; i < 4; i++)
        if (fp->data_n == strlen(t[i]) && strncasecmp(fp->data, t[i], fp->data_n) == 0) {
            *out = i < 2;
            return 0;
        }
    snprintf(msg, cap, "form field '%.*s' must be a boolean (got '%.*s')", (int)fp->name_n,
             fp->name, (int)(fp->data_n > 40 ? 40 : fp->data_n), fp->data);
    return -1;
}

static int field_int(const form_part *fp, long lo, long *out, char *msg, size_t cap)
{
    char t[24];
    char *end = NULL;
    long v = 0;
    if (fp->data_n > 0 && fp->data_n < sizeof t) {
        memcpy(t, fp->data, fp->data_n);
        t[fp->data_n] = '\0';
        v = strtol(t, &end, 10);
    }
    if (!end || *end || v < lo) {
        snprintf(msg, cap, "form field '%.*s' must be an integer >= %ld (got '%.*s')",
                 (int)fp->name_n, fp->name, lo, (int)(fp->data_n > 40 ? 40 : fp->data_n), fp->data);
        return -1;
    }
    *out = v;
    return 0;
}

static int take_field(const form_part *fp, audio_args *a, char *msg, size_t cap)
{
    if (name_is(fp, "file")) {
        a->file = fp->data;
        a->file_n = fp->data_n;
    } else if (name_is(fp, "model")) {
        a->model = fp->data;
        a->model_n = fp->data_n;
    } else if (name_is(fp, "max_completion_tokens") || name_is(fp, "max_tokens")) {
        return field_int(fp, 1, &a->max_tokens, msg, cap);
    } else if (name_is(fp, "min_tokens")) {
        return field_int(fp, 0, &a->min_tokens, msg, cap);
    } else if (name_is(fp, "stream")) {
        return field_bool(fp, &a->stream, msg, cap);
    } else if (name_is(fp, "stream_include_usage")) {
        return field_bool(fp, &a->include_usage, msg, cap);
    } else if (name_is(fp, "stream_continuous_usage_stats")) {
        return field_bool(fp, &a->continuous_usage, msg, cap);
    } else if (name_is(fp, "ignore_eos")) {
        return field_bool(fp, &a->ignore_eos, msg, cap);
    }
    return 0;
}

/* Walks the parts of body (RFC 2046 5.1.1: the preamble before the first
 * delimiter is ignored; the close delimiter is required). */
static int parse_form(const char *body, size_t n, sim_str bnd, audio_args *a, char *msg, size_t cap)
{
    char delim[80];
    int dn = snprintf(delim, sizeof delim, "\r\n--%.*s", (int)bnd.n, bnd.p);
    /* the first delimiter may start the body without the leading CRLF */
    const char *p;
    if (n >= (size_t)dn - 2 && memcmp(body, delim + 2, (size_t)dn - 2) == 0) {
        p = body + dn - 2;
    } else if ((p = find(body, n, delim, (size_t)dn)) != NULL) {
        p += dn;
    } else {
        snprintf(msg, cap, "multipart body has no '--%.*s' delimiter", (int)bnd.n, bnd.p);
        return -1;
    }
    const char *end = body + n;
    for (int k = 0;; k++) {
        if (end - p >= 2 && memcmp(p, "--", 2) == 0)
            return 0; /* close delimiter */
        if (end - p < 2 || memcmp(p, "\r\n", 2) != 0) {
            snprintf(msg, cap, "multipart part %d: the delimiter line does not end in CRLF", k);
            return -1;
        }
        p += 2;
        const char *he = find(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!he) {
            snprintf(msg, cap, "multipart part %d: headers do not end (no blank line)", k);
            return -1;
        }
        form_part fp = {0};
        if (part_name(p, (size_t)(he - p), &fp) != 0) {
            snprintf(msg, cap, "multipart part %d: no Content-Disposition with a name", k);
            return -1;
        }
        fp.data = he + 4;
        const char *next = find(fp.data, (size_t)(end - fp.data), delim, (size_t)dn);
        if (!next) {
            snprintf(msg, cap, "multipart part %d ('%.*s'): no closing '--%.*s' delimiter", k,
                     (int)fp.name_n, fp.name, (int)bnd.n, bnd.p);
            return -1;
        }
        fp.data_n = (size_t)(next - fp.data);
        if (take_field(&fp, a, msg, cap) != 0)
            return -1;
        p = next + dn;
    }
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Seconds of audio: byte rate and data size from a RIFF/WAVE file, else
 * the file's size at 32000 bytes a second. */
static double audio_seconds(const unsigned char *f, size_t n)
{
    uint32_t byte_rate = 0;
    if (n >= 12 && memcmp(f, "RIFF", 4) == 0 && memcmp(f + 8, "WAVE", 4) == 0) {
        for (size_t off = 12; off + 8 <= n;) {
            uint32_t sz = le32(f + off + 4);
            if (memcmp(f + off, "fmt ", 4) == 0 && sz >= 16 && off + 8 + 12 <= n)
                byte_rate = le32(f + off + 8 + 8);
            if (memcmp(f + off, "data", 4) == 0 && byte_rate > 0) {
                size_t have = n - off - 8;
                return (double)(sz < have ? sz : have) / byte_rate;
            }
            off += 8 + (size_t)sz + (sz & 1);
        }
    }
    return (double)n / 32000.0;
}

static int audio_path(sim_str p)
{
    return sim_str_eq(p, "/v1/audio/transcriptions") || sim_str_eq(p, "/v1/audio/translations");
}

int sim_audio_handle(sim_conn *c, const sim_http_req *hr)
{
    if (!audio_path(hr->path))
        return 0;
    if (!sim_str_eq(hr->method, "POST")) {
        sim_api_respond(c, 405, "application/json", "{\"detail\":\"Method Not Allowed\"}", 31);
        return 1;
    }
    sim_api_init_req(c, SIM_API_CHAT, hr);
    char msg[512] = "";
    sim_str bnd;
    audio_args a = {.max_tokens = -1};
    if (boundary_of(hr->content_type, &bnd, msg, sizeof msg) != 0 ||
        parse_form(hr->body, hr->body_len, bnd, &a, msg, sizeof msg) != 0) {
        sim_api_bad_request(c, msg);
        return 1;
    }
    if (!a.file || a.file_n == 0) {
        sim_api_bad_request(c, "the form has no non-empty 'file' part (the audio)");
        return 1;
    }
    sim_req *r = &c->req;
    r->stream = a.stream;
    r->include_usage = a.stream && a.include_usage;
    r->continuous_usage = a.stream && a.continuous_usage;
    double secs = audio_seconds((const unsigned char *)a.file, a.file_n);
    long pt = (long)ceil(secs * 50.0);
    char model[256];
    if (a.model)
        snprintf(model, sizeof model, "%.*s", (int)a.model_n, a.model);
    sim_api_admit(c, a.model ? model : NULL, pt < 1 ? 1 : pt, a.max_tokens, a.min_tokens,
                  a.ignore_eos);
    return 1;
}
