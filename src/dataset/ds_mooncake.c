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
 * token ids (completions API), so the server sees input_length tokens.
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

typedef struct mc_slot {
    int64_t id;
    uint32_t used;   /* 0 = empty slot */
    uint32_t sent;   /* tokens of this block an earlier request sent */
    size_t off;      /* full block at pool[off] */
} mc_slot;

typedef struct mc_load {
    const dataset_ctx *c;
    sb_dataset *ds;
    const char *path;
    const int32_t *vocab;
    size_t n_vocab;
    size_t block;
    mc_slot *slots;
    size_t cap, n_slots;
    int32_t *pool;
    size_t pool_n, pool_cap;
    uint64_t total_tokens; /* kept in request prompts */
    tok_ids ids;           /* the prompt being built */
    tok_ids hist;          /* multi-round history */
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
    while (slots[i].used && slots[i].id != id)
        i = (i + 1) & (cap - 1);
    return i;
}

static void map_grow(mc_load *l)
{
    size_t cap = l->cap ? l->cap * 2 : 4096;
    mc_slot *slots = sb_xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < l->cap; i++)
        if (l->slots[i].used)
            slots[slot_of(slots, cap, l->slots[i].id)] = l->slots[i];
    free(l->slots);
    l->slots = slots;
    l->cap = cap;
}

/* The slot of hash id `id`, its full block drawn on first use. */
static mc_slot *block_of(mc_load *l, int64_t id, sb_err *err)
{
    if (2 * (l->n_slots + 1) > l->cap)
        map_grow(l);
    size_t i = slot_of(l->slots, l->cap, id);
    mc_slot *s = &l->slots[i];
    if (s->used)
        return s;
    if (l->pool_n + l->block > MC_MAX_TOKENS)
        return sb_err_set(err, "%s: the trace's distinct blocks exceed %llu tokens; use fewer "
                               "rows (--num-prompts) or a smaller --mooncake-block-size",
                          l->path, (unsigned long long)MC_MAX_TOKENS),
               NULL;
    if (l->pool_n + l->block > l->pool_cap) {
        l->pool_cap = (l->pool_n + l->block) * 2;
        l->pool = sb_xrealloc(l->pool, l->pool_cap * sizeof *l->pool);
    }
    draw(l, l->c->o->seed * 0xD1B54A32D192ED03ULL ^ (uint64_t)id, l->pool + l->pool_n, l->block);
    *s = (mc_slot){.id = id, .used = 1, .off = l->pool_n};
    l->pool_n += l->block;
    l->n_slots++;
    return s;
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

/* A JSON integer field in [lo, INT32_MAX]; 1 = present and valid. */
static int int_field(json_t *row, const char *name, long lo, long *out)
{
    json_t *v = json_object_get(row, name);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > INT32_MAX)
        return 0;
    *out = (long)json_integer_value(v);
    return 1;
}

/* Appends the row's blocks for in_len tokens to l->ids, counting in *shared
 * the tokens an earlier request already sent. */
static int add_blocks(mc_load *l, json_t *hash_ids, size_t in_len, uint64_t *shared, sb_err *err)
{
    size_t remaining = in_len;
    for (size_t k = 0; remaining > 0; k++) {
        size_t size = remaining < l->block ? remaining : l->block;
        mc_slot *s = block_of(l, json_integer_value(json_array_get(hash_ids, k)), err);
        if (!s)
            return -1;
        *shared += size < s->sent ? size : s->sent;
        if (size > s->sent)
            s->sent = (uint32_t)size;
        tok_ids_append(&l->ids, l->pool + s->off, size);
        remaining -= size;
    }
    return 0;
}

/* Copies l->ids into a request of the dataset. */
static int push_request(mc_load *l, long out_len, double ts_s, sb_err *err)
{
    if (l->total_tokens + l->ids.n > MC_MAX_TOKENS)
        return sb_err_set(err, "%s: the prompts exceed %llu tokens in all; use fewer rows "
                               "(--num-prompts) or rounds",
                          l->path, (unsigned long long)MC_MAX_TOKENS);
    if (l->ids.n > INT32_MAX)
        return sb_err_set(err, "%s: a prompt of %zu tokens is too long", l->path, l->ids.n);
    l->total_tokens += l->ids.n;
    sb_request *r = dataset_push(l->ds);
    int32_t *ids = sb_arena_alloc(&l->ds->arena, (l->ids.n ? l->ids.n : 1) * sizeof *ids);
    memcpy(ids, l->ids.v, l->ids.n * sizeof *ids);
    r->prompt = "";
    r->prompt_bytes = 0;
    r->forms.ids = ids;
    r->forms.n_ids = (uint32_t)l->ids.n;
    r->prompt_len = (int32_t)l->ids.n;
    r->output_len = (int32_t)out_len;
    r->timestamp_s = ts_s;
    r->has_request_id = 1;
    l->ds->trace.prompt_tokens += l->ids.n;
    return 0;
}

/* One row: its requests (one per round), or a skipped bad row. */
static int mc_row(mc_load *l, json_t *row, size_t line_no, sb_err *err)
{
    const sb_dataset_opts *o = l->c->o;
    if (!json_is_object(row))
        return bad_row(l, line_no, err, "not a JSON object");
    json_t *tsv = json_object_get(row, "timestamp");
    if (!tsv)
        return bad_row(l, line_no, err, "no \"timestamp\" field");
    if (!json_is_number(tsv) || !(json_number_value(tsv) >= 0))
        return bad_row(l, line_no, err, "\"timestamp\" must be a number >= 0 (milliseconds)");
    long in_len, out_len;
    if (!int_field(row, "input_length", 1, &in_len))
        return bad_row(l, line_no, err, "%s", json_object_get(row, "input_length")
                                                  ? "\"input_length\" must be an integer >= 1"
                                                  : "no \"input_length\" field");
    if (!int_field(row, "output_length", 1, &out_len))
        return bad_row(l, line_no, err, "%s", json_object_get(row, "output_length")
                                                  ? "\"output_length\" must be an integer >= 1"
                                                  : "no \"output_length\" field");
    json_t *hash_ids = json_object_get(row, "hash_ids");
    if (!json_is_array(hash_ids))
        return bad_row(l, line_no, err, "%s", hash_ids ? "\"hash_ids\" must be a list"
                                                       : "no \"hash_ids\" field");
    size_t need = ((size_t)in_len + l->block - 1) / l->block;
    if (json_array_size(hash_ids) < need)
        return bad_row(l, line_no, err,
                       "input_length %ld needs %zu hash ids of %zu tokens "
                       "(--mooncake-block-size), the row has %zu",
                       in_len, need, l->block, json_array_size(hash_ids));
    for (size_t k = 0; k < json_array_size(hash_ids); k++)
        if (!json_is_integer(json_array_get(hash_ids, k)))
            return bad_row(l, line_no, err, "\"hash_ids\"[%zu] is not an integer", k);

    double ms = json_number_value(tsv);
    if (l->ds->trace.rows_used == 0)
        l->first_ms = l->last_ms = ms;
    if (ms < l->last_ms)
        l->back_in_time++;
    l->last_ms = ms;
    double ts_s = ms > l->first_ms ? (ms - l->first_ms) / 1000.0 * o->mooncake_slowdown_factor : 0;

    l->ids.n = 0;
    uint64_t shared = 0;
    if (add_blocks(l, hash_ids, (size_t)in_len, &shared, err) != 0)
        return -1;
    size_t user_n = l->ids.n;
    l->ds->trace.shared_tokens += shared;
    if (push_request(l, out_len, ts_s, err) != 0)
        return -1;
    /* Rounds 2..N: the previous prompt (all sent before), a placeholder reply
     * (never sent, so never shared), then the row's blocks again (shared). */
    l->hist.n = 0;
    tok_ids_append(&l->hist, l->ids.v, user_n);
    for (long r = 1; r < o->mooncake_num_rounds; r++) {
        size_t prev = l->hist.n;
        if (prev + (size_t)out_len + user_n > INT32_MAX)
            return sb_err_set(err, "%s:%zu: round %ld's prompt is too long", l->path, line_no,
                              r + 1);
        size_t at = l->hist.n;
        for (long j = 0; j < out_len; j++)
            tok_ids_push(&l->hist, 0);
        uint64_t s = o->seed ^ ((uint64_t)line_no << 20) ^ (uint64_t)r;
        draw(l, splitmix64(&s), l->hist.v + at, (size_t)out_len);
        tok_ids_append(&l->hist, l->ids.v, user_n);
        l->ds->trace.shared_tokens += prev + user_n;
        l->ids.n = 0;
        tok_ids_append(&l->ids, l->hist.v, l->hist.n);
        if (push_request(l, out_len, ts_s, err) != 0)
            return -1;
        /* keep only this round's user blocks at the front of ids for the next round */
        memmove(l->ids.v, l->ids.v + l->ids.n - user_n, user_n * sizeof *l->ids.v);
        l->ids.n = user_n;
    }
    l->ds->trace.rows_used++;
    return 0;
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
        if (b == t) {
            if (!nl && line_no > 1) /* the newline that ends the last line */
                break;
            rc = bad_row(l, line_no, err, "empty line");
        } else {
            json_error_t je;
            json_t *row = json_loadb(b, (size_t)(t - b), JSON_REJECT_DUPLICATES, &je);
            if (!row)
                rc = bad_row(l, line_no, err, "not JSON: %s (column %d)", je.text, je.column);
            else
                rc = mc_row(l, row, line_no, err);
            json_decref(row);
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int check_opts(const dataset_ctx *c, sb_err *err)
{
    const sb_dataset_opts *o = c->o;
    if (!o->path)
        return sb_err_set(err, "--dataset-name mooncake needs --dataset-path (a .jsonl trace)");
    if (strcmp(c->backend, "vllm") != 0 && strcmp(c->backend, "openai") != 0)
        return sb_err_set(err,
                          "--dataset-name mooncake sends token-id prompts to the completions "
                          "API: use --backend vllm or openai (got %s; chat is not supported yet)",
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
    tok_ids_init(&l.ids);
    tok_ids_init(&l.hist);
    ds->trace = (sb_dataset_trace){.present = true};
    sb_buf data;
    sb_buf_init(&data);
    int rc = l.n_vocab ? 0 : sb_err_set(err, "mooncake: the tokenizer has no non-special ids");
    if (rc == 0)
        rc = sb_read_file(l.path, &data, err);
    if (rc == 0)
        rc = read_rows(&l, &data, err);
    ds->trace.rows_skipped = l.skipped;
    if (rc == 0 && ds->n == 0)
        rc = sb_err_set(err, "%s: the trace has no usable rows (%zu skipped%s%s)", l.path,
                        l.skipped, l.skipped ? "; first: " : "", l.skipped ? l.reasons[0] : "");
    if (rc == 0) {
        report_skips(&l);
        if (c->o->num_prompts > 0 && ds->trace.rows_used < (size_t)c->o->num_prompts)
            dataset_info(ds, "mooncake: the trace has %zu usable rows, fewer than --num-prompts "
                             "%ld; all are used (no oversampling, as SGLang)",
                         ds->trace.rows_used, c->o->num_prompts);
    }
    sb_buf_free(&data);
    for (size_t i = 0; i < MC_REASONS; i++)
        free(l.reasons[i]);
    free(l.slots);
    free(l.pool);
    tok_ids_free(&l.ids);
    tok_ids_free(&l.hist);
    free(vocab);
    return rc;
}
