/* SPDX-License-Identifier: Apache-2.0 */
/* ds_sharegpt.c - the `sharegpt` dataset, vllm/benchmarks/datasets/datasets.py:
 * ShareGPTDataset.sample: a JSON list of {id, conversations: [{from, value}, ...]}; entries with >=
 * 2 turns are kept, shuffled with CPython random seeded by --seed, then walked until N requests
 * pass the length rules (prompt >= 4, output >= 4 unless fixed, prompt <= 1024, prompt + output <=
 * 2048).
 *
 * The real file is ~650 MB. Instead of building a document tree, pass 1
 * streams the file through YAJL's callback parser in fixed-size chunks and
 * keeps only each usable entry's byte range (so memory stays flat); pass 2
 * re-reads and parses just the entries the walk visits, in shuffled order,
 * and tokenizes only those (the reference also stops at N). Whether an
 * entry is kept depends on that entry alone, so visited entries are judged
 * in parallel batches and taken in order: the result equals a sequential
 * walk. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>

#include "dataset/ds_yajl.h"

#include "dataset/ds_internal.h"

#define SG_CHUNK (4u << 20)

typedef struct sg_entry {
    uint64_t start, end; /* byte range of the entry object in the file */
} sg_entry;

typedef struct sg_scan {
    yajl_handle h;
    uint64_t chunk_base;
    int depth;
    int top_is_list; /* 1 once the top-level '[' was seen */
    int in_conv_key; /* the last key at entry level was "conversations" */
    int conv_depth;  /* depth of the conversations array, 0 when outside */
    long conv_count;
    uint64_t entry_start;
    sg_entry *entries;
    size_t n, cap;
} sg_scan;

static uint64_t sg_pos(sg_scan *s)
{
    return s->chunk_base + yajl_get_bytes_consumed(s->h);
}

/* A value at the depth just inside the conversations array is one turn. */
static void sg_value(sg_scan *s)
{
    if (s->conv_depth && s->depth == s->conv_depth)
        s->conv_count++;
    if (s->depth == 2)
        s->in_conv_key = 0;
}

static int sg_null(void *ctx)
{
    sg_value(ctx);
    return 1;
}
static int sg_bool(void *ctx, int b)
{
    (void)b;
    sg_value(ctx);
    return 1;
}
static int sg_number(void *ctx, const char *v, size_t n)
{
    (void)v, (void)n;
    sg_value(ctx);
    return 1;
}
static int sg_string(void *ctx, const unsigned char *v, size_t n)
{
    (void)v, (void)n;
    sg_value(ctx);
    return 1;
}

static int sg_start_map(void *ctx)
{
    sg_scan *s = ctx;
    sg_value(s);
    if (s->depth == 1) {
        s->entry_start = sg_pos(s) - 1;
        s->conv_count = 0;
    }
    s->depth++;
    return 1;
}

static int sg_key(void *ctx, const unsigned char *k, size_t n)
{
    sg_scan *s = ctx;
    if (s->depth == 2)
        s->in_conv_key = n == 13 && memcmp(k, "conversations", 13) == 0;
    return 1;
}

static int sg_end_map(void *ctx)
{
    sg_scan *s = ctx;
    s->depth--;
    if (s->depth == 1 && s->conv_count >= 2) {
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 4096;
            s->entries = sb_xrealloc(s->entries, s->cap * sizeof *s->entries);
        }
        s->entries[s->n].start = s->entry_start;
        s->entries[s->n].end = sg_pos(s);
        s->n++;
    }
    return 1;
}

static int sg_start_array(void *ctx)
{
    sg_scan *s = ctx;
    if (s->depth == 0)
        s->top_is_list = 1;
    int conv = s->depth == 2 && s->in_conv_key;
    sg_value(s);
    s->depth++;
    if (conv) {
        /* A later duplicate "conversations" key wins, as in json.load. */
        s->conv_depth = s->depth;
        s->conv_count = 0;
    }
    return 1;
}

static int sg_end_array(void *ctx)
{
    sg_scan *s = ctx;
    if (s->conv_depth == s->depth)
        s->conv_depth = 0;
    s->depth--;
    return 1;
}

static const yajl_callbacks sg_callbacks = {
    .yajl_null = sg_null,
    .yajl_boolean = sg_bool,
    .yajl_number = sg_number,
    .yajl_string = sg_string,
    .yajl_start_map = sg_start_map,
    .yajl_map_key = sg_key,
    .yajl_end_map = sg_end_map,
    .yajl_start_array = sg_start_array,
    .yajl_end_array = sg_end_array,
};

static int sg_parse_error(sg_scan *s, const char *path, const unsigned char *chunk, size_t len,
                          sb_err *err)
{
    unsigned char *msg = yajl_get_error(s->h, 0, chunk, len);
    sb_err_set(err, "%s: byte %llu: not valid JSON: %s", path, (unsigned long long)sg_pos(s),
               (const char *)msg);
    yajl_free_error(s->h, msg);
    return -1;
}

/* Pass 1: byte ranges of the entries with a conversations list of >= 2 turns. */
static int sg_scan_file(const char *path, int fd, sg_scan *s, sb_err *err)
{
    if (ds_yajl_ready(err) != 0)
        return sb_err_prefix(err, "%s: ", path);
    s->h = yajl_alloc(&sg_callbacks, NULL, s);
    unsigned char *buf = sb_xmalloc(SG_CHUNK);
    int rc = 0;
    for (;;) {
        ssize_t got = read(fd, buf, SG_CHUNK);
        if (got < 0) {
            rc = sb_err_set(err, "reading %s: %s", path, strerror(errno));
            break;
        }
        if (got == 0) {
            if (yajl_complete_parse(s->h) != yajl_status_ok)
                rc = sg_parse_error(s, path, buf, 0, err);
            break;
        }
        if (yajl_parse(s->h, buf, (size_t)got) != yajl_status_ok) {
            rc = sg_parse_error(s, path, buf, (size_t)got, err);
            break;
        }
        s->chunk_base += (uint64_t)got;
    }
    free(buf);
    yajl_free(s->h);
    if (rc == 0 && !s->top_is_list)
        rc = sb_err_set(err, "%s: expected a JSON list of conversations (ShareGPT layout)", path);
    return rc;
}

/* One visited entry, judged on a worker thread. */
typedef struct sg_judged {
    int status; /* 1 accepted, 0 rejected by the length rules, -1 error, 2 bad conversation
                   (--multi-turn: err holds where and why) */
    int32_t plen, olen;
    json_t *root; /* kept for accepted entries (their turns are copied) */
    sb_err err;
    char why[256]; /* status 2: what is wrong with the conversation */
} sg_judged;

/* 1-based line of byte off in the file (for naming a bad conversation; the
 * rare case, so it re-reads the file's head rather than keeping line starts). */
static size_t sg_line_of(int fd, uint64_t off)
{
    char buf[1 << 16];
    size_t line = 1;
    for (uint64_t at = 0; at < off;) {
        size_t want = off - at < sizeof buf ? (size_t)(off - at) : sizeof buf;
        ssize_t got = pread(fd, buf, want, (off_t)at);
        if (got <= 0)
            break;
        for (ssize_t i = 0; i < got; i++)
            line += buf[i] == '\n';
        at += (uint64_t)got;
    }
    return line;
}

typedef struct sg_walk {
    const dataset_ctx *c;
    const char *path;
    int fd;
    const sg_entry *batch;
    sg_judged *out;
    size_t n, stride, first;
} sg_walk;

static const char *turn_text(json_t *turn, const char *field)
{
    json_t *v = json_is_object(turn) ? json_object_get(turn, field) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int sg_load_entry(const sg_walk *w, const sg_entry *e, sb_buf *slice, json_t **out,
                         sb_err *err)
{
    size_t len = (size_t)(e->end - e->start);
    sb_buf_reset(slice);
    sb_buf_reserve(slice, len + 1);
    ssize_t got = pread(w->fd, slice->data, len, (off_t)e->start);
    if (got != (ssize_t)len)
        return sb_err_set(err, "%s: re-reading the entry at byte %llu failed", w->path,
                          (unsigned long long)e->start);
    slice->len = len;
    slice->data[len] = '\0';
    json_error_t je;
    *out = json_loadb(slice->data, len, JSON_ALLOW_NUL, &je);
    if (!*out)
        return sb_err_set(err, "%s: entry at byte %llu: %s", w->path, (unsigned long long)e->start,
                          je.text);
    return 0;
}

/* The reference's per-entry decision (is_valid_sequence: prompt >= 4,
 * output >= 4 unless fixed, prompt <= 1024, total <= 2048). It depends on
 * the entry alone, so entries can be judged in parallel and taken in order. */
static void sg_judge(const sg_walk *w, const sg_entry *e, sb_buf *slice, tok_ids *scratch,
                     sg_judged *j)
{
    j->root = NULL;
    j->status = -1;
    if (sg_load_entry(w, e, slice, &j->root, &j->err) != 0)
        return;
    json_t *conv = json_object_get(j->root, "conversations");
    char why[256];
    if (w->c->o->multi_turn && dataset_conv_check(conv, why, sizeof why) != 0) {
        sb_err_set(&j->err, "%s:%zu", w->path, sg_line_of(w->fd, e->start));
        snprintf(j->why, sizeof j->why, "%s", why);
        j->status = 2;
        return;
    }
    const char *prompt = turn_text(json_array_get(conv, 0), "value");
    const char *reply = turn_text(json_array_get(conv, 1), "value");
    if (!prompt || !reply) {
        sb_err_set(&j->err, "%s: entry at byte %llu: conversations[%d] has no string \"value\"",
                   w->path, (unsigned long long)e->start, prompt ? 1 : 0);
        return;
    }
    const sb_dataset_opts *o = w->c->o;
    long fixed = o->output_len >= 0 ? o->output_len : o->sharegpt_output_len;
    j->olen = (int32_t)fixed;
    if (dataset_count_tokens(w->c->t, prompt, strlen(prompt), true, scratch, &j->plen, &j->err))
        return;
    j->status = 0;
    /* The reply is counted only when the prompt alone does not already fail
     * (same decision as the reference, which always counts it). */
    if (j->plen < 4 || j->plen > 1024)
        return;
    if (fixed < 0 &&
        dataset_count_tokens(w->c->t, reply, strlen(reply), true, scratch, &j->olen, &j->err)) {
        j->status = -1;
        return;
    }
    if ((fixed < 0 && j->olen < 4) || (long)j->plen + j->olen > 2048)
        return;
    j->status = 1;
}

static void *sg_judge_thread(void *arg)
{
    sg_walk *w = arg;
    sb_buf slice;
    sb_buf_init(&slice);
    tok_ids scratch;
    tok_ids_init(&scratch);
    for (size_t i = w->first; i < w->n; i += w->stride)
        sg_judge(w, &w->batch[i], &slice, &scratch, &w->out[i]);
    sb_buf_free(&slice);
    tok_ids_free(&scratch);
    return NULL;
}

static size_t sg_threads(void)
{
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env = getenv("SB_THREADS");
    if (env && strtol(env, NULL, 10) > 0)
        nc = strtol(env, NULL, 10);
    return nc < 1 ? 1 : nc > 32 ? 32 : (size_t)nc;
}

/* Judges batch[0..n) on nt threads. */
static void sg_judge_batch(const sg_walk *proto, const sg_entry *batch, size_t n, sg_judged *out,
                           size_t nt)
{
    sg_walk ws[32];
    pthread_t th[32];
    size_t started = 0;
    for (size_t t = 0; t < nt; t++) {
        ws[t] = *proto;
        ws[t].batch = batch;
        ws[t].out = out;
        ws[t].n = n;
        ws[t].stride = nt;
        ws[t].first = t;
    }
    for (size_t t = 1; t < nt; t++) {
        if (pthread_create(&th[t], NULL, sg_judge_thread, &ws[t]) != 0)
            break;
        started = t;
    }
    /* Work of threads that could not start is done here. */
    for (size_t t = started + 1; t < nt; t++)
        sg_judge_thread(&ws[t]);
    sg_judge_thread(&ws[0]);
    for (size_t t = 1; t <= started; t++)
        pthread_join(th[t], NULL);
}

/* Walks entries in (shuffled) order until N are accepted. */
static int sg_walk_entries(const sg_walk *proto, const sg_entry *e, size_t n_entries, long want,
                           sb_dataset *ds, sb_err *err)
{
    size_t nt = sg_threads(), chunk = 16 * nt;
    sg_judged *out = sb_xcalloc(chunk, sizeof *out);
    int rc = 0;
    size_t n = 0;
    for (size_t at = 0; at < n_entries && (long)ds->n < want && rc == 0; at += n) {
        /* never judge many more entries than could still be needed */
        size_t need = (size_t)(want - (long)ds->n);
        n = need < chunk ? (need < nt ? nt : need) : chunk;
        if (n > n_entries - at)
            n = n_entries - at;
        sg_judge_batch(proto, e + at, n, out, nt);
        for (size_t i = 0; i < n; i++) {
            if ((long)ds->n < want && rc == 0) {
                if (out[i].status < 0) {
                    *err = out[i].err;
                    rc = -1;
                } else if (out[i].status == 2) {
                    rc = dataset_conv_skip(proto->c->o, ds, out[i].err.msg, out[i].why, err);
                } else if (out[i].status == 1) {
                    json_t *conv = json_object_get(out[i].root, "conversations");
                    const char *prompt = turn_text(json_array_get(conv, 0), "value");
                    sb_request *r = dataset_push(ds);
                    dataset_set_prompt(ds, r, prompt, strlen(prompt));
                    r->prompt_len = out[i].plen;
                    r->output_len = out[i].olen;
                    dataset_keep_turns(ds, r, conv);
                }
            }
            json_decref(out[i].root);
        }
    }
    free(out);
    return rc;
}

int dataset_sharegpt(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    const char *path = c->o->path;
    if (!path)
        return sb_err_set(err, "--dataset-name sharegpt needs --dataset-path "
                               "(ShareGPT_V3_unfiltered_cleaned_split.json)");
    if (!c->t)
        return sb_err_set(err, "sharegpt dataset needs a tokenizer");
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return sb_err_set(err, "cannot open %s: %s", path, strerror(errno));
    sg_scan s = {0};
    int rc = sg_scan_file(path, fd, &s, err);
    if (rc == 0 && !c->o->disable_shuffle) {
        py_random_seed(c->py_global, c->o->seed);
        py_random_shuffle(c->py_global, s.entries, s.n, sizeof *s.entries);
    }
    sg_walk w = {.c = c, .path = path, .fd = fd};
    if (rc == 0)
        rc = sg_walk_entries(&w, s.entries, s.n, c->o->num_prompts, ds, err);
    free(s.entries);
    close(fd);
    if (rc == 0 && s.n == 0)
        return sb_err_set(err, "%s: no entry has a \"conversations\" list with at least 2 turns",
                          path);
    if (rc == 0)
        rc = dataset_oversample(ds, c->o->num_prompts, c->o->seed, c->o->no_oversample, "sharegpt",
                                err);
    return rc;
}
