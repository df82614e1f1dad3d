/* SPDX-License-Identifier: Apache-2.0 */
/* ds_mooncake.c - the `mooncake` dataset: Mooncake (FAST'25) traces as SGLang's
 * bench_serving (--dataset-name mooncake) and AIPerf (mooncake_trace) read them.
 *
 * One JSON object per line: "timestamp" (ms since the trace began),
 * "input_length" and "output_length" (tokens), "hash_ids" (integers). Hash id
 * k of a row covers tokens [k*B, min((k+1)*B, input_length)) of its prompt,
 * B = --mooncake-block-size (AIPerf's default 512). Equal ids mean equal
 * tokens in every request: each id's block is drawn once, B ids from the
 * tokenizer's non-special vocabulary with splitmix64 seeded by (--seed, id),
 * and a partial last block is the first tokens of its full block, so a prefix
 * cache sees exactly the sharing the trace describes. The prompt is sent as
 * token ids (completions API), so the server sees input_length tokens. A
 * chat-only server (OpenAI-compatible servers often have no completions API,
 * nor token-id prompts) gets the ids' decoded text as one user message
 * (--backend openai-chat, or openai-responses' input), as AIPerf sends its
 * mooncake prompts: equal ids still give equal text prefixes, but the server
 * counts its own tokens, chat template included.
 *
 * Timing follows SGLang (bench_serving.py: get_mooncake_request_over_time):
 * a row is sent (timestamp - first timestamp) / 1000 x
 * --mooncake-slowdown-factor seconds after the start, the first --num-prompts
 * rows are used and never oversampled, and --mooncake-num-rounds > 1 sends
 * each row as a burst of rounds, round r resending round r-1's prompt plus a
 * placeholder reply of output_length tokens, then the row's blocks again.
 * SGLang sorts rows by timestamp; rows here keep file order (a row earlier
 * than the one before it is sent right after it, and counted in a warning).
 *
 * Bad rows (blank, not JSON, a missing or mistyped field, too few hash ids)
 * are skipped and counted with the first reasons kept for the warning;
 * --strict makes the first one fatal. Lines are split here rather than with
 * dataset_jsonl_each, which passes over blank lines silently. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "dataset/ds_internal.h"

/* Token ids kept for prompts (4 bytes each) past which the load stops and
 * asks for fewer rows: the request bodies cost several times more again. */
#define MC_MAX_TOKENS ((uint64_t)1 << 30)
#define MC_REASONS 3 /* bad-row reasons quoted in the warning */

#define MC_DENSE_MAX ((int64_t)1 << 24) /* ids below index an array (8 bytes each) */

typedef struct mc_block {
    uint32_t idx1; /* 1 + index of its full block in the pool; 0 = not drawn yet */
    uint32_t sent; /* tokens of this block an earlier request sent */
} mc_block;

typedef struct mc_slot {
    int64_t id;
    mc_block b;
} mc_slot;

typedef struct mc_hash {
    int64_t *v;
    size_t n, cap;
} mc_hash;

static void mc_hash_push(mc_hash *h, int64_t v)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->v = sb_xrealloc(h->v, h->cap * sizeof *h->v);
    }
    h->v[h->n++] = v;
}

typedef struct mc_load {
    const dataset_ctx *c;
    sb_dataset *ds;
    const char *path;
    const int32_t *vocab;
    size_t n_vocab;
    size_t block;
    mc_block *dense; /* ids 0 .. dense_cap-1 */
    size_t dense_cap;
    mc_slot *slots; /* other ids: open addressing */
    size_t cap, n_slots;
    int32_t *pool;
    size_t pool_n, pool_cap;
    uint64_t total_tokens; /* kept in request prompts */
    mc_hash hash;          /* the row's hash ids */
    double first_ms, last_ms;
    size_t back_in_time;
    size_t skipped;
    char *reasons[MC_REASONS];
} mc_load;

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* n ids drawn uniformly from the vocabulary (modulo: the bias is below
 * 2^-40 for any real vocabulary) from stream state s. */
static void draw(const mc_load *l, uint64_t s, int32_t *out, size_t n)
{
    for (size_t j = 0; j < n; j++)
        out[j] = l->vocab[splitmix64(&s) % l->n_vocab];
}

static size_t slot_of(const mc_slot *slots, size_t cap, int64_t id)
{
    size_t i = (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ULL) >> 17) & (cap - 1);
    while (slots[i].b.idx1 && slots[i].id != id)
        i = (i + 1) & (cap - 1);
    return i;
}

static void map_grow(mc_load *l)
{
    size_t cap = l->cap ? l->cap * 2 : 4096;
    mc_slot *slots = sb_xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < l->cap; i++)
        if (l->slots[i].b.idx1)
            slots[slot_of(slots, cap, l->slots[i].id)] = l->slots[i];
    free(l->slots);
    l->slots = slots;
    l->cap = cap;
}

/* Where id's block is kept. Traces number their blocks 0, 1, 2, ...: such
 * ids index a flat array (consecutive ids share cache lines, which a hash
 * table's scattered probes do not: 3x faster on a 1M-row trace); an id far
 * beyond the ids seen so far, or negative, goes to the hash table. */
static mc_block *find_block(mc_load *l, int64_t id)
{
    if (id >= 0 && (uint64_t)id < l->dense_cap)
        return &l->dense[id];
    if (id >= 0 && id < MC_DENSE_MAX && (uint64_t)id < 2 * l->dense_cap + 65536) {
        size_t cap = l->dense_cap ? l->dense_cap : 65536;
        while (cap <= (uint64_t)id)
            cap *= 2;
        l->dense = sb_xrealloc(l->dense, cap * sizeof *l->dense);
        memset(l->dense + l->dense_cap, 0, (cap - l->dense_cap) * sizeof *l->dense);
        l->dense_cap = cap;
        return &l->dense[id];
    }
    if (2 * (l->n_slots + 1) > l->cap)
        map_grow(l);
    mc_slot *s = &l->slots[slot_of(l->slots, l->cap, id)];
    if (!s->b.idx1) {
        s->id = id;
        l->n_slots++;
    }
    return &s->b;
}

/* Block of hash id `id`, drawn on first use. */
static mc_block *block_of(mc_load *l, int64_t id, sb_err *err)
{
    mc_block *b = find_block(l, id);
    if (b->idx1)
        return b;
    if (l->pool_n + l->block > MC_MAX_TOKENS)
        return sb_err_set(err,
                          "%s: the trace's distinct blocks exceed %llu tokens; use fewer "
                          "rows (--num-prompts) or a smaller --mooncake-block-size",
                          l->path, (unsigned long long)MC_MAX_TOKENS),
               NULL;
    if (l->pool_n + l->block > l->pool_cap) {
        l->pool_cap = (l->pool_n + l->block) * 2;
        l->pool = sb_xrealloc(l->pool, l->pool_cap * sizeof *l->pool);
    }
    draw(l, l->c->o->seed * 0xD1B54A32D192ED03ULL ^ (uint64_t)id, l->pool + l->pool_n, l->block);
    b->idx1 = (uint32_t)(l->pool_n / l->block) + 1;
    l->pool_n += l->block;
    return b;
}

/* A bad row: fatal with --strict, else counted and its reason kept. */
static int bad_row(mc_load *l, size_t line_no, sb_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad_row(mc_load *l, size_t line_no, sb_err *err, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (l->c->o->strict)
        return sb_err_set(err, "%s:%zu: %s (--strict)", l->path, line_no, why);
    if (l->skipped < MC_REASONS) {
        sb_buf b;
        sb_buf_init(&b);
        sb_buf_printf(&b, "%s:%zu: %s", l->path, line_no, why);
        l->reasons[l->skipped] = b.data;
    }
    l->skipped++;
    return 0;
}

/* One row's fields, from the fast scanner or from jansson. */
typedef struct mc_fields {
    double ts_ms;
    long in_len, out_len;
    size_t n_ids;
} mc_fields;

/* Writes the row's blocks for in_len tokens to out, counting in *shared the
 * tokens an earlier request already sent. */
static int add_blocks(mc_load *l, size_t in_len, int32_t *out, uint64_t *shared, sb_err *err)
{
    size_t remaining = in_len;
    for (size_t k = 0; remaining > 0; k++) {
        size_t size = remaining < l->block ? remaining : l->block;
        mc_block *s = block_of(l, l->hash.v[k], err);
        if (!s)
            return -1;
        *shared += size < s->sent ? size : s->sent;
        if (size > s->sent)
            s->sent = (uint32_t)size;
        memcpy(out, l->pool + (size_t)(s->idx1 - 1) * l->block, size * sizeof *out);
        out += size;
        remaining -= size;
    }
    return 0;
}

/* A request of n ids; their room is in the dataset's arena, for the caller
 * to fill. */
static int32_t *push_request(mc_load *l, size_t n, long out_len, double ts_s, sb_err *err)
{
    if (l->total_tokens + n > MC_MAX_TOKENS || n > INT32_MAX)
        return sb_err_set(err,
                          "%s: the prompts exceed %llu tokens in all; use fewer rows "
                          "(--num-prompts) or rounds",
                          l->path, (unsigned long long)MC_MAX_TOKENS),
               NULL;
    l->total_tokens += n;
    sb_request *r = dataset_push(l->ds);
    int32_t *ids = sb_arena_alloc(&l->ds->arena, (n ? n : 1) * sizeof *ids);
    r->prompt = "";
    r->prompt_bytes = 0;
    r->forms.ids = ids;
    r->forms.n_ids = (uint32_t)n;
    r->prompt_len = (int32_t)n;
    r->output_len = (int32_t)out_len;
    r->timestamp_s = ts_s;
    l->ds->trace.prompt_tokens += n;
    return ids;
}

/* A checked row (its hash ids in l->hash): its requests, one per round. */
static int use_row(mc_load *l, const mc_fields *f, size_t line_no, sb_err *err)
{
    const sb_dataset_opts *o = l->c->o;
    size_t need = ((size_t)f->in_len + l->block - 1) / l->block;
    if (f->n_ids < need)
        return bad_row(l, line_no, err,
                       "input_length %ld needs %zu hash ids of %zu tokens "
                       "(--mooncake-block-size), the row has %zu",
                       f->in_len, need, l->block, f->n_ids);
    if (l->ds->trace.rows_used == 0)
        l->first_ms = l->last_ms = f->ts_ms;
    if (f->ts_ms < l->last_ms)
        l->back_in_time++;
    l->last_ms = f->ts_ms;
    double ts_s = f->ts_ms > l->first_ms
                      ? (f->ts_ms - l->first_ms) / 1000.0 * o->mooncake_slowdown_factor
                      : 0;
    size_t user_n = (size_t)f->in_len;
    int32_t *user = push_request(l, user_n, f->out_len, ts_s, err);
    uint64_t shared = 0;
    if (!user || add_blocks(l, user_n, user, &shared, err) != 0)
        return -1;
    l->ds->trace.shared_tokens += shared;
    l->ds->trace.rows_used++;
    /* Rounds 2..N: the previous prompt (all sent before), a placeholder reply
     * (never sent, so never shared), then the row's blocks again (shared). */
    const int32_t *prev = user;
    size_t prev_n = user_n;
    for (long r = 1; r < o->mooncake_num_rounds; r++) {
        size_t n = prev_n + (size_t)f->out_len + user_n;
        int32_t *ids = push_request(l, n, f->out_len, ts_s, err);
        if (!ids)
            return -1;
        memcpy(ids, prev, prev_n * sizeof *ids);
        uint64_t st = o->seed ^ ((uint64_t)line_no << 20) ^ (uint64_t)r;
        draw(l, splitmix64(&st), ids + prev_n, (size_t)f->out_len);
        memcpy(ids + prev_n + f->out_len, user, user_n * sizeof *ids);
        l->ds->trace.shared_tokens += prev_n + user_n;
        prev = ids;
        prev_n = n;
    }
    return 0;
}

/* A JSON integer field in [lo, INT32_MAX]; 1 = present and valid. */
static int int_field(json_t *row, const char *name, long lo, long *out)
{
    json_t *v = json_object_get(row, name);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > INT32_MAX)
        return 0;
    *out = (long)json_integer_value(v);
    return 1;
}

/* The general path: any row jansson reads, with a reason for each flaw. */
static int json_row(mc_load *l, json_t *row, size_t line_no, sb_err *err)
{
    mc_fields f = {0};
    if (!json_is_object(row))
        return bad_row(l, line_no, err, "not a JSON object");
    json_t *tsv = json_object_get(row, "timestamp");
    if (!tsv)
        return bad_row(l, line_no, err, "no \"timestamp\" field");
    if (!json_is_number(tsv) || !(json_number_value(tsv) >= 0))
        return bad_row(l, line_no, err, "\"timestamp\" must be a number >= 0 (milliseconds)");
    f.ts_ms = json_number_value(tsv);
    if (!int_field(row, "input_length", 1, &f.in_len))
        return bad_row(l, line_no, err, "%s",
                       json_object_get(row, "input_length")
                           ? "\"input_length\" must be an integer >= 1"
                           : "no \"input_length\" field");
    if (!int_field(row, "output_length", 1, &f.out_len))
        return bad_row(l, line_no, err, "%s",
                       json_object_get(row, "output_length")
                           ? "\"output_length\" must be an integer >= 1"
                           : "no \"output_length\" field");
    json_t *hash_ids = json_object_get(row, "hash_ids");
    if (!json_is_array(hash_ids))
        return bad_row(l, line_no, err, "%s",
                       hash_ids ? "\"hash_ids\" must be a list" : "no \"hash_ids\" field");
    l->hash.n = 0;
    for (size_t k = 0; k < json_array_size(hash_ids); k++) {
        json_t *h = json_array_get(hash_ids, k);
        if (!json_is_integer(h))
            return bad_row(l, line_no, err, "\"hash_ids\"[%zu] is not an integer", k);
        mc_hash_push(&l->hash, json_integer_value(h));
    }
    f.n_ids = l->hash.n;
    return use_row(l, &f, line_no, err);
}

/* The fast path below reads the common shape only: a flat object of the four
 * plain keys, integer values and one list of integers. Anything else, every
 * flaw included, goes through jansson for its verdict and message, so both
 * paths accept the same rows. */
static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* A JSON integer of at most 18 digits (no fraction, exponent or leading
 * zero), or NULL. */
static const char *scan_int(const char *p, const char *e, int64_t *out)
{
    bool neg = p < e && *p == '-';
    p += neg;
    const char *d = p;
    uint64_t v = 0;
    while (p < e && *p >= '0' && *p <= '9' && p - d < 18)
        v = v * 10 + (uint64_t)(*p++ - '0');
    if (p == d || (p - d > 1 && *d == '0') ||
        (p < e && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E')))
        return NULL;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return p;
}

/* 1 with *f and l->hash filled, 0 when the row needs jansson. */
static int fast_row(mc_load *l, const char *p, const char *e, mc_fields *f)
{
    enum { TS = 1, IN = 2, OUT = 4, IDS = 8 };
    int have = 0;
    if (p == e || *p++ != '{')
        return 0;
    l->hash.n = 0;
    for (;;) {
        p = skip_ws(p, e);
        if (p == e || *p++ != '"')
            return 0;
        const char *k = p;
        while (p < e && *p != '"' && *p != '\\')
            p++;
        if (p == e || *p != '"')
            return 0;
        size_t kn = (size_t)(p++ - k);
        p = skip_ws(p, e);
        if (p == e || *p++ != ':')
            return 0;
        p = skip_ws(p, e);
        int bit = kn == 9 && !memcmp(k, "timestamp", 9)         ? TS
                  : kn == 12 && !memcmp(k, "input_length", 12)  ? IN
                  : kn == 13 && !memcmp(k, "output_length", 13) ? OUT
                  : kn == 8 && !memcmp(k, "hash_ids", 8)        ? IDS
                                                                : 0;
        if (!bit || (have & bit))
            return 0; /* other keys and duplicates: jansson decides */
        have |= bit;
        int64_t v;
        if (bit == IDS) {
            if (p == e || *p++ != '[')
                return 0;
            p = skip_ws(p, e);
            if (p < e && *p == ']')
                p++;
            else
                for (;;) {
                    if (!(p = scan_int(skip_ws(p, e), e, &v)))
                        return 0;
                    mc_hash_push(&l->hash, v);
                    p = skip_ws(p, e);
                    if (p < e && *p == ',') {
                        p++;
                        continue;
                    }
                    if (p == e || *p++ != ']')
                        return 0;
                    break;
                }
        } else {
            if (!(p = scan_int(p, e, &v)))
                return 0;
            if (bit == TS) {
                if (v < 0)
                    return 0;
                f->ts_ms = (double)v;
            } else {
                if (v < 1 || v > INT32_MAX)
                    return 0;
                *(bit == IN ? &f->in_len : &f->out_len) = (long)v;
            }
        }
        p = skip_ws(p, e);
        if (p < e && *p == ',') {
            p++;
            continue;
        }
        if (p == e || *p++ != '}')
            return 0;
        break;
    }
    f->n_ids = l->hash.n;
    return have == (TS | IN | OUT | IDS) && p == e;
}

static int read_rows(mc_load *l, const sb_buf *data, sb_err *err)
{
    long want = l->c->o->num_prompts > 0 ? l->c->o->num_prompts : LONG_MAX;
    const char *p = data->data ? data->data : "", *end = p + data->len;
    size_t line_no = 0;
    while (p < end && (long)l->ds->trace.rows_used < want) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        line_no++;
        const char *b = p, *t = e;
        while (b < t && (*b == ' ' || *b == '\t' || *b == '\r'))
            b++;
        while (t > b && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
            t--;
        p = nl ? nl + 1 : end;
        int rc;
        mc_fields f = {0};
        if (b == t) {
            rc = bad_row(l, line_no, err, "empty line");
        } else if (fast_row(l, b, t, &f)) {
            rc = use_row(l, &f, line_no, err);
        } else {
            json_error_t je;
            json_t *row = json_loadb(b, (size_t)(t - b), JSON_REJECT_DUPLICATES, &je);
            if (!row)
                rc = bad_row(l, line_no, err, "not JSON: %s (column %d)", je.text, je.column);
            else
                rc = json_row(l, row, line_no, err);
            json_decref(row);
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Backends that send the prompt as text rather than token ids. */
static bool as_text(const dataset_ctx *c)
{
    return !strcmp(c->backend, "openai-chat") || !strcmp(c->backend, "openai-responses");
}

/* Every request's ids become its prompt text (in the arena); prompt_len stays
 * the trace's input_length. */
static int decode_prompts(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    sb_buf text;
    sb_buf_init(&text);
    int rc = 0;
    for (size_t i = 0; i < ds->n && rc == 0; i++) {
        sb_request *r = &ds->reqs[i];
        sb_buf_reset(&text);
        rc = tok_decode(c->t, r->forms.ids, r->forms.n_ids, false, &text, err);
        if (rc == 0) {
            r->prompt = sb_arena_strndup(&ds->arena, text.data ? text.data : "", text.len);
            r->prompt_bytes = text.len;
            r->forms.ids = NULL;
            r->forms.n_ids = 0;
        }
    }
    sb_buf_free(&text);
    return rc == 0 ? 0 : sb_err_prefix(err, "mooncake: decoding a prompt: ");
}

static int check_opts(const dataset_ctx *c, sb_err *err)
{
    const sb_dataset_opts *o = c->o;
    if (!o->path)
        return sb_err_set(err, "--dataset-name mooncake needs --dataset-path (a .jsonl trace)");
    if (strcmp(c->backend, "vllm") != 0 && strcmp(c->backend, "openai") != 0 && !as_text(c))
        return sb_err_set(err,
                          "--dataset-name mooncake sends token-id prompts to the completions "
                          "API (--backend vllm or openai) or their text to openai-chat or "
                          "openai-responses (got %s)",
                          c->backend);
    if (!c->t)
        return sb_err_set(err, "mooncake dataset needs a tokenizer (its vocabulary)");
    if (o->mooncake_block_size < 1 || o->mooncake_block_size > (1L << 20))
        return sb_err_set(err, "--mooncake-block-size must be in 1..1048576 (got %ld)",
                          o->mooncake_block_size);
    if (!(o->mooncake_slowdown_factor >= 0) || o->mooncake_slowdown_factor > 1e9)
        return sb_err_set(err, "--mooncake-slowdown-factor must be a finite number >= 0");
    if (o->mooncake_num_rounds < 1 || o->mooncake_num_rounds > 1000)
        return sb_err_set(err, "--mooncake-num-rounds must be in 1..1000 (got %ld)",
                          o->mooncake_num_rounds);
    return 0;
}

static void report_skips(mc_load *l)
{
    if (l->skipped) {
        sb_buf b;
        sb_buf_init(&b);
        sb_buf_printf(&b,
                      "mooncake: skipped %zu bad row(s) of %s (--strict stops at the first "
                      "instead):",
                      l->skipped, l->path);
        for (size_t i = 0; i < MC_REASONS && i < l->skipped; i++)
            sb_buf_printf(&b, "\n  %s", l->reasons[i]);
        if (l->skipped > MC_REASONS)
            sb_buf_printf(&b, "\n  ...");
        dataset_warn(l->ds, "%s", b.data);
        sb_buf_free(&b);
    }
    if (l->back_in_time)
        dataset_warn(l->ds,
                     "mooncake: %zu row(s) of %s have a timestamp before the previous row's; "
                     "they are sent right after it (file order; SGLang sorts by timestamp)",
                     l->back_in_time, l->path);
}

int dataset_mooncake(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    if (check_opts(c, err) != 0)
        return -1;
    mc_load l = {.c = c, .ds = ds, .path = c->o->path, .block = (size_t)c->o->mooncake_block_size};
    int32_t *vocab = dataset_non_special_vocab(c->t, &l.n_vocab);
    l.vocab = vocab;
    ds->trace = (sb_dataset_trace){.present = true};
    sb_buf data;
    sb_buf_init(&data);
    int rc = l.n_vocab ? 0 : sb_err_set(err, "mooncake: the tokenizer has no non-special ids");
    if (rc == 0)
        rc = sb_read_file(l.path, &data, err);
    if (rc == 0)
        rc = read_rows(&l, &data, err);
    if (rc == 0 && as_text(c))
        rc = decode_prompts(c, ds, err);
    ds->trace.rows_skipped = l.skipped;
    if (rc == 0 && ds->n == 0)
        rc = sb_err_set(err, "%s: the trace has no usable rows (%zu skipped%s%s)", l.path,
                        l.skipped, l.skipped ? "; first: " : "", l.skipped ? l.reasons[0] : "");
    if (rc == 0) {
        report_skips(&l);
        if (c->o->num_prompts > 0 && ds->trace.rows_used < (size_t)c->o->num_prompts)
            dataset_info(ds,
                         "mooncake: the trace has %zu usable rows, fewer than --num-prompts "
                         "%ld; all are used (no oversampling, as SGLang)",
                         ds->trace.rows_used, c->o->num_prompts);
    }
    sb_buf_free(&data);
    for (size_t i = 0; i < MC_REASONS; i++)
        free(l.reasons[i]);
    free(l.slots);
    free(l.dense);
    free(l.pool);
    free(l.hash.v);
    free(vocab);
    return rc;
}
