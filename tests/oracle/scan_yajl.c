/* SPDX-License-Identifier: Apache-2.0 */
/* scan_yajl.c - the previous, YAJL event-driven field extraction, kept as
 * the oracle of tests/test_scan_diff.c and the "before" of bench/ingest.c
 * (scan.c is the hand-written scanner the decoders use now).
 *
 * Same fields, same path rules as scan.c (see scan.h). The path
 * to each value is tracked with a small fixed stack: a key id per object
 * level and an element index per array level, deep enough for
 * choices[0].delta.content. */
#include "oracle/scan_yajl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "core/buf.h"

enum {
    K_OTHER,
    K_CHOICES,
    K_TEXT,
    K_DELTA,
    K_CONTENT,
    K_USAGE,
    K_COMPLETION,
    K_PROMPT,
    K_GENERATED,
    K_TEXT_OUTPUT,
    K_ERROR
};

#define MAXD 8

struct bk_yscan {
    yajl_handle h;
    int depth;              /* containers open */
    char kind[MAXD + 1];    /* 'm' object, 'a' array at each depth */
    uint8_t key[MAXD + 1];  /* current key id at object depths */
    int32_t elem[MAXD + 1]; /* current element index at array depths */
    int values;             /* top-level values completed in this message */
    bk_msg *out;
    sb_buf *text, *gen;
};

static int key_id(const unsigned char *k, size_t n)
{
#define K(s, id)                                                                                   \
    if (n == sizeof(s) - 1 && memcmp(k, s, n) == 0)                                                \
    return id
    K("choices", K_CHOICES);
    K("text", K_TEXT);
    K("delta", K_DELTA);
    K("content", K_CONTENT);
    K("usage", K_USAGE);
    K("completion_tokens", K_COMPLETION);
    K("prompt_tokens", K_PROMPT);
    K("generated_text", K_GENERATED);
    K("text_output", K_TEXT_OUTPUT);
    K("error", K_ERROR);
#undef K
    return K_OTHER;
}

/* Registers a new value at the current depth (advances array indices, counts
 * choices elements and truthy usage). Returns the parent depth. */
static int on_value(bk_yscan *s)
{
    int d = s->depth;
    if (d == 0)
        return 0;
    if (d <= MAXD && s->kind[d] == 'a') { /* depth first: kind[] has MAXD + 1 slots */
        s->elem[d]++;
        if (d == 2 && s->kind[1] == 'm' && s->key[1] == K_CHOICES)
            s->out->n_choices++;
    }
    return d;
}

/* Path predicates on the current parent depth d. */
static bool at_choice0(const bk_yscan *s)
{
    return s->kind[1] == 'm' && s->key[1] == K_CHOICES && s->kind[2] == 'a' && s->elem[2] == 0 &&
           s->kind[3] == 'm';
}

static void value_done(bk_yscan *s)
{
    if (s->depth == 0)
        s->values++;
}

static int cb_null(void *ctx)
{
    bk_yscan *s = ctx;
    on_value(s);
    value_done(s);
    return 1;
}

static int cb_bool(void *ctx, int v)
{
    (void)v;
    return cb_null(ctx);
}

static int cb_int(void *ctx, long long v)
{
    bk_yscan *s = ctx;
    int d = on_value(s);
    if (d == 2 && s->kind[1] == 'm' && s->key[1] == K_USAGE && s->kind[2] == 'm') {
        if (s->key[2] == K_COMPLETION)
            s->out->completion_tokens = v;
        else if (s->key[2] == K_PROMPT)
            s->out->prompt_tokens = v;
    }
    value_done(s);
    return 1;
}

static int cb_double(void *ctx, double v)
{
    (void)v;
    return cb_null(ctx);
}

static int cb_string(void *ctx, const unsigned char *v, size_t n)
{
    bk_yscan *s = ctx;
    int d = on_value(s);
    sb_buf *t = s->text;
    if (d == 1 && s->kind[1] == 'm') {
        if (s->key[1] == K_TEXT_OUTPUT && t)
            sb_buf_append(t, v, n);
        else if (s->key[1] == K_GENERATED) {
            s->out->has_generated_text = true;
            if (s->gen) {
                sb_buf_reset(s->gen);
                sb_buf_append(s->gen, v, n);
            }
        }
    } else if (d == 2 && s->kind[1] == 'm' && s->key[1] == K_TEXT && s->kind[2] == 'a' &&
               s->elem[2] == 0 && t) {
        sb_buf_append(t, v, n); /* deepspeed-mii: "text": ["..."] */
    } else if (d == 3 && at_choice0(s) && s->key[3] == K_TEXT && t) {
        sb_buf_append(t, v, n);
    } else if (d == 4 && at_choice0(s) && s->key[3] == K_DELTA && s->kind[4] == 'm' &&
               s->key[4] == K_CONTENT && t) {
        sb_buf_append(t, v, n);
    }
    value_done(s);
    return 1;
}

static int open_container(bk_yscan *s, char kind)
{
    on_value(s);
    s->depth++;
    if (s->depth <= MAXD) {
        s->kind[s->depth] = kind;
        s->key[s->depth] = K_OTHER;
        s->elem[s->depth] = -1;
    }
    if (s->depth == 1 && kind == 'm')
        s->out->is_object = true;
    if (s->depth == 2 && s->kind[1] == 'm' && s->key[1] == K_CHOICES && kind == 'a')
        s->out->n_choices = 0;
    return 1;
}

static int cb_start_map(void *ctx)
{
    return open_container(ctx, 'm');
}

static int cb_start_array(void *ctx)
{
    return open_container(ctx, 'a');
}

static int cb_end(void *ctx)
{
    bk_yscan *s = ctx;
    if (s->depth <= MAXD)
        s->kind[s->depth] = 0;
    s->depth--;
    value_done(s);
    return 1;
}

static int cb_key(void *ctx, const unsigned char *k, size_t n)
{
    bk_yscan *s = ctx;
    int d = s->depth;
    if (d > MAXD)
        return 1;
    s->key[d] = (uint8_t)key_id(k, n);
    if (d == 1 && s->key[1] == K_ERROR)
        s->out->has_error = true;
    if (d == 2 && s->kind[1] == 'm' && s->key[1] == K_USAGE)
        s->out->usage_truthy = true;
    return 1;
}

static const yajl_callbacks callbacks = {
    cb_null,      cb_bool, cb_int, cb_double,      NULL,   cb_string,
    cb_start_map, cb_key,  cb_end, cb_start_array, cb_end,
};

static void fresh_handle(bk_yscan *s)
{
    if (s->h)
        yajl_free(s->h);
    s->h = yajl_alloc(&callbacks, NULL, s);
    yajl_config(s->h, yajl_allow_multiple_values, 1);
}

bk_yscan *bk_yscan_new(void)
{
    bk_yscan *s = sb_xcalloc(1, sizeof *s);
    fresh_handle(s);
    return s;
}

void bk_yscan_free(bk_yscan *s)
{
    if (!s)
        return;
    yajl_free(s->h);
    free(s);
}

int bk_yscan_parse(bk_yscan *s, const char *json, size_t len, bk_msg *out, sb_buf *text,
                   sb_buf *gen_text, char *why, size_t why_size)
{
    *out = (bk_msg){.n_choices = -1, .completion_tokens = -1, .prompt_tokens = -1};
    s->out = out;
    s->text = text;
    s->gen = gen_text;
    s->depth = 0;
    s->values = 0;
    memset(s->kind, 0, sizeof s->kind);
    yajl_status st = yajl_parse(s->h, (const unsigned char *)json, len);
    if (st == yajl_status_ok && s->values == 1 && s->depth == 0)
        return 0;
    if (st != yajl_status_ok) {
        unsigned char *e = yajl_get_error(s->h, 0, (const unsigned char *)json, len);
        snprintf(why, why_size, "%s", (const char *)e);
        yajl_free_error(s->h, e);
    } else {
        snprintf(why, why_size,
                 s->values == 0 ? "incomplete JSON value"
                                : "more than one JSON value in one message");
    }
    fresh_handle(s);
    return -1;
}

int bk_yscan_parse_strict(bk_yscan *s, const char *json, size_t len, bk_msg *out, sb_buf *text,
                          sb_buf *gen_text, char *why, size_t why_size)
{
    fresh_handle(s);
    *out = (bk_msg){.n_choices = -1, .completion_tokens = -1, .prompt_tokens = -1};
    s->out = out;
    s->text = text;
    s->gen = gen_text;
    s->depth = 0;
    s->values = 0;
    memset(s->kind, 0, sizeof s->kind);
    yajl_status st = yajl_parse(s->h, (const unsigned char *)json, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(s->h); /* flushes a trailing number */
    if (st == yajl_status_ok && s->values == 1 && s->depth == 0)
        return 0;
    if (st != yajl_status_ok) {
        unsigned char *e = yajl_get_error(s->h, 0, (const unsigned char *)json, len);
        snprintf(why, why_size, "%s", (const char *)e);
        yajl_free_error(s->h, e);
    } else {
        snprintf(why, why_size, "%s",
                 s->values == 0 ? "incomplete JSON value" : "more than one JSON value");
    }
    return -1;
}
