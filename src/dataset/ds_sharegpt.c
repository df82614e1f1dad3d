/* ds_sharegpt.c - the `sharegpt` dataset, reference section 4.4: a JSON list
 * of {id, conversations: [{from, value}, ...]}; entries with >= 2 turns are
 * kept, shuffled with CPython random seeded by --seed, then walked until N
 * requests pass the length rules (prompt >= 4, output >= 4 unless fixed,
 * prompt <= 1024, prompt + output <= 2048).
 *
 * The real file is ~650 MB. Instead of building a document tree, pass 1
 * streams the file through YAJL's callback parser in fixed-size chunks and
 * keeps only each usable entry's byte range (so memory stays flat); pass 2
 * re-reads and parses just the entries the walk visits, in shuffled order,
 * and tokenizes only those (the reference also stops at N). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>

#include "dataset/ds_internal.h"

#define SG_CHUNK (4u << 20)

typedef struct sg_entry {
    uint64_t start, end; /* byte range of the entry object in the file */
} sg_entry;

typedef struct sg_scan {
    yajl_handle h;
    uint64_t chunk_base;
    int depth;
    int top_is_list;     /* 1 once the top-level '[' was seen */
    int in_conv_key;     /* the last key at entry level was "conversations" */
    int conv_depth;      /* depth of the conversations array, 0 when outside */
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
    sb_err_set(err, "%s: byte %llu: not valid JSON: %s", path,
               (unsigned long long)sg_pos(s), (const char *)msg);
    yajl_free_error(s->h, msg);
    return -1;
}

/* Pass 1: byte ranges of the entries with a conversations list of >= 2 turns. */
static int sg_scan_file(const char *path, int fd, sg_scan *s, sb_err *err)
{
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

typedef struct sg_walk {
    const dataset_ctx *c;
    const char *path;
    int fd;
    sb_buf slice;
    tok_ids scratch;
} sg_walk;

static const char *turn_text(json_t *turn, const char *field)
{
    json_t *v = json_is_object(turn) ? json_object_get(turn, field) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Copies every turn of conv into the request (kept for multi-turn use). */
static void keep_turns(sb_dataset *ds, sb_request *r, json_t *conv)
{
    size_t n = json_array_size(conv);
    const char **turns = sb_arena_alloc(&ds->arena, n * sizeof *turns);
    const char **roles = sb_arena_alloc(&ds->arena, n * sizeof *roles);
    for (size_t k = 0; k < n; k++) {
        const char *v = turn_text(json_array_get(conv, k), "value");
        const char *f = turn_text(json_array_get(conv, k), "from");
        turns[k] = sb_arena_strdup(&ds->arena, v ? v : "");
        roles[k] = sb_arena_strdup(&ds->arena, f ? f : "");
    }
    r->turns = turns;
    r->roles = roles;
    r->n_turns = (uint32_t)n;
}

static int sg_load_entry(sg_walk *w, const sg_entry *e, json_t **out, sb_err *err)
{
    size_t len = (size_t)(e->end - e->start);
    sb_buf_reset(&w->slice);
    sb_buf_reserve(&w->slice, len + 1);
    ssize_t got = pread(w->fd, w->slice.data, len, (off_t)e->start);
    if (got != (ssize_t)len)
        return sb_err_set(err, "%s: re-reading the entry at byte %llu failed", w->path,
                          (unsigned long long)e->start);
    w->slice.len = len;
    w->slice.data[len] = '\0';
    json_error_t je;
    *out = json_loadb(w->slice.data, len, JSON_ALLOW_NUL, &je);
    if (!*out)
        return sb_err_set(err, "%s: entry at byte %llu: %s", w->path,
                          (unsigned long long)e->start, je.text);
    return 0;
}

/* One entry of the walk: 1 accepted, 0 rejected by the length rules, -1 error. */
static int sg_try(sg_walk *w, const sg_entry *e, sb_dataset *ds, sb_err *err)
{
    json_t *root;
    if (sg_load_entry(w, e, &root, err) != 0)
        return -1;
    json_t *conv = json_object_get(root, "conversations");
    const char *prompt = turn_text(json_array_get(conv, 0), "value");
    const char *reply = turn_text(json_array_get(conv, 1), "value");
    int rc = 0;
    if (!prompt || !reply) {
        rc = sb_err_set(err, "%s: entry at byte %llu: conversations[%d] has no string "
                             "\"value\"", w->path, (unsigned long long)e->start, prompt ? 1 : 0);
        goto done;
    }
    long fixed = w->c->o->output_len >= 0 ? w->c->o->output_len : w->c->o->sharegpt_output_len;
    int32_t plen, olen = (int32_t)fixed;
    if (dataset_count_tokens(w->c->t, prompt, strlen(prompt), true, &w->scratch, &plen, err) ||
        (fixed < 0 &&
         dataset_count_tokens(w->c->t, reply, strlen(reply), true, &w->scratch, &olen, err))) {
        rc = -1;
        goto done;
    }
    /* is_valid_sequence: min 4, prompt <= 1024, total <= 2048. */
    if (plen < 4 || (fixed < 0 && olen < 4) || plen > 1024 || (long)plen + olen > 2048)
        goto done;
    sb_request *r = dataset_push(ds);
    dataset_set_prompt(ds, r, prompt, strlen(prompt));
    r->prompt_len = plen;
    r->output_len = olen;
    keep_turns(ds, r, conv);
    rc = 1;
done:
    json_decref(root);
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
        py_random r;
        py_random_seed(&r, c->o->seed);
        py_random_shuffle(&r, s.entries, s.n, sizeof *s.entries);
    }
    sg_walk w = {.c = c, .path = path, .fd = fd};
    sb_buf_init(&w.slice);
    tok_ids_init(&w.scratch);
    for (size_t i = 0; rc == 0 && i < s.n && (long)ds->n < c->o->num_prompts; i++)
        if (sg_try(&w, &s.entries[i], ds, err) < 0)
            rc = -1;
    sb_buf_free(&w.slice);
    tok_ids_free(&w.scratch);
    free(s.entries);
    close(fd);
    if (rc == 0 && s.n == 0)
        return sb_err_set(err, "%s: no entry has a \"conversations\" list with at least 2 turns",
                          path);
    if (rc == 0)
        rc = dataset_oversample(ds, c->o->num_prompts, c->o->seed, c->o->no_oversample,
                                "sharegpt", err);
    return rc;
}
