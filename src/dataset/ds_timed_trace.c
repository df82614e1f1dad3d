/* SPDX-License-Identifier: Apache-2.0 */
/* ds_timed_trace.c - the `timed_trace` dataset, vllm/benchmarks/datasets/datasets.py:
 * TimedTrace.sample: Mooncake / Qwen-Bailian style JSON Lines traces, one request per line with a
 * timestamp, an input length, an output length and a list of hash ids (field names from
 * --timed-trace-label-*).
 *
 * The prompt is a list of token ids, never text, so the server sees exactly
 * input_length tokens. Hash id h covers the next min(chunk, remaining) ids,
 * drawn as random.Random(hash(f"{h}:{size}") & 0xFFFFFFFF).choices(vocab,
 * k=size) over the sorted non-special vocabulary; equal (h, size) give equal
 * chunks, which is how traces express shared prefixes. Building stops when
 * input_length ids exist, so a short hash id list gives a shorter prompt and
 * prompt_len is the real count. hash() is CPython's salted str hash: the
 * reference repeats itself only with PYTHONHASHSEED fixed, and
 * --timed-trace-hash-seed (default $PYTHONHASHSEED, else 0) names that seed
 * here (core/pyhash.h).
 *
 * The first --num-prompts lines are used in file order (a trace keeps its
 * order); fewer are oversampled as every file dataset is. Send time is
 * timestamp x --timed-trace-sec-multiplier seconds after the start. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/pyfmt.h"
#include "core/pyhash.h"
#include "dataset/ds_internal.h"

/* Chunks already drawn. A chunk depends only on its random.Random seed
 * (the low 32 bits of the hash) and its size, so that pair is the key. */
typedef struct tt_slot {
    uint64_t key; /* seed32 << 32 | size, 0 = empty (size is never 0) */
    size_t off;   /* into tt_cache.pool */
} tt_slot;

typedef struct tt_cache {
    tt_slot *slots;
    size_t cap, used;
    int32_t *pool;
    size_t pool_n, pool_cap;
} tt_cache;

typedef struct tt_load {
    const dataset_ctx *c;
    sb_dataset *ds;
    const char *path;
    const int32_t *vocab;
    size_t n_vocab;
    pyhash_key key;
    tt_cache cache;
    tok_ids ids; /* the request being built */
    sb_buf text; /* hash key text */
    long want;   /* rows to read */
    double last_ts;
    size_t back_in_time; /* lines whose timestamp is before the previous one */
} tt_load;

static size_t slot_of(const tt_cache *c, uint64_t key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & (c->cap - 1);
    while (c->slots[i].key && c->slots[i].key != key)
        i = (i + 1) & (c->cap - 1);
    return i;
}

static void cache_grow(tt_cache *c)
{
    tt_slot *old = c->slots;
    size_t old_cap = c->cap;
    c->cap = c->cap ? c->cap * 2 : 1024;
    c->slots = sb_xcalloc(c->cap, sizeof *c->slots);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key)
            c->slots[slot_of(c, old[i].key)] = old[i];
    free(old);
}

/* Ids of the chunk for (seed, size): drawn once, then reused. */
static const int32_t *chunk(tt_load *l, uint32_t seed, size_t size)
{
    tt_cache *c = &l->cache;
    if (2 * (c->used + 1) > c->cap)
        cache_grow(c);
    uint64_t key = (uint64_t)seed << 32 | (uint64_t)size;
    size_t i = slot_of(c, key);
    if (c->slots[i].key)
        return c->pool + c->slots[i].off;
    if (c->pool_n + size > c->pool_cap) {
        c->pool_cap = (c->pool_n + size) * 2;
        c->pool = sb_xrealloc(c->pool, c->pool_cap * sizeof *c->pool);
    }
    size_t *idx = sb_xmalloc(size * sizeof *idx);
    py_random r;
    py_random_seed(&r, seed);
    py_random_choices(&r, l->n_vocab, size, idx);
    for (size_t j = 0; j < size; j++)
        c->pool[c->pool_n + j] = l->vocab[idx[j]];
    free(idx);
    c->slots[i] = (tt_slot){key, c->pool_n};
    c->pool_n += size;
    c->used++;
    return c->pool + c->slots[i].off;
}

static void cache_free(tt_cache *c)
{
    free(c->slots);
    free(c->pool);
}

/* f"{h}" of a hash id as Python formats the value json.loads gave it. */
static int hash_id_text(tt_load *l, json_t *h, size_t line_no, size_t k, sb_err *err)
{
    char f[64];
    sb_buf_reset(&l->text);
    if (json_is_integer(h))
        sb_buf_printf(&l->text, "%lld", (long long)json_integer_value(h));
    else if (json_is_real(h))
        sb_buf_puts(&l->text, py_float_repr(f, sizeof f, json_real_value(h)));
    else if (json_is_string(h))
        sb_buf_append(&l->text, json_string_value(h), json_string_length(h));
    else
        return sb_err_set(err, "%s:%zu: \"%s\"[%zu] must be a number or a string", l->path, line_no,
                          l->c->o->timed_trace_label_hash_ids, k);
    return 0;
}

/* The prompt ids of one line (vllm/benchmarks/datasets/datasets.py: TimedTrace.sample), into
 * l->ids. */
static int build_ids(tt_load *l, json_t *hash_ids, long input_len, size_t line_no, sb_err *err)
{
    size_t chunk_size = (size_t)l->c->o->timed_trace_chunk_hash_size;
    size_t remaining = (size_t)input_len, k;
    json_t *h;
    l->ids.n = 0;
    json_array_foreach(hash_ids, k, h)
    {
        if (remaining == 0)
            break;
        size_t size = remaining < chunk_size ? remaining : chunk_size;
        if (hash_id_text(l, h, line_no, k, err) != 0)
            return -1;
        sb_buf_printf(&l->text, ":%zu", size);
        int64_t hv;
        if (pyhash_str(&l->key, l->text.data, l->text.len, &hv, err) != 0)
            return sb_err_prefix(err, "%s:%zu: \"%s\"[%zu]: ", l->path, line_no,
                                 l->c->o->timed_trace_label_hash_ids, k);
        const int32_t *ids = chunk(l, (uint32_t)hv, size); /* hash & 0xFFFFFFFF */
        for (size_t j = 0; j < size; j++)
            tok_ids_push(&l->ids, ids[j]);
        remaining -= size;
    }
    return 0;
}

/* A non-negative integer field of the line (a JSON integer, as the
 * reference's min() and choices(k=...) need). */
static int int_field(tt_load *l, json_t *row, const char *label, const char *flag, size_t line_no,
                     long *out, sb_err *err)
{
    json_t *v = json_object_get(row, label);
    if (!v)
        return sb_err_set(err, "%s:%zu: no \"%s\" field (--timed-trace-label-%s)", l->path, line_no,
                          label, flag);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
        return sb_err_set(err, "%s:%zu: \"%s\" must be a non-negative integer", l->path, line_no,
                          label);
    *out = (long)json_integer_value(v);
    return 0;
}

static int timestamp_field(tt_load *l, json_t *row, size_t line_no, double *out, sb_err *err)
{
    const char *label = l->c->o->timed_trace_label_timestamp;
    json_t *v = json_object_get(row, label);
    if (!v)
        return sb_err_set(err, "%s:%zu: no \"%s\" field (--timed-trace-label-timestamp)", l->path,
                          line_no, label);
    if (!json_is_number(v) || json_number_value(v) < 0)
        return sb_err_set(err, "%s:%zu: \"%s\" must be a number >= 0", l->path, line_no, label);
    *out = json_number_value(v) * l->c->o->timed_trace_sec_multiplier;
    if (l->ds->n && *out < l->last_ts)
        l->back_in_time++;
    l->last_ts = *out;
    return 0;
}

static int trace_row(void *ctx, json_t *row, size_t line_no, sb_err *err)
{
    tt_load *l = ctx;
    const sb_dataset_opts *o = l->c->o;
    long in_len = 0, out_len = 0;
    double ts = 0;
    if (int_field(l, row, o->timed_trace_label_input_length, "input-length", line_no, &in_len,
                  err) ||
        int_field(l, row, o->timed_trace_label_output_length, "output-length", line_no, &out_len,
                  err) ||
        timestamp_field(l, row, line_no, &ts, err))
        return -1;
    json_t *hash_ids = json_object_get(row, o->timed_trace_label_hash_ids);
    if (!json_is_array(hash_ids))
        return sb_err_set(err, "%s:%zu: no \"%s\" list (--timed-trace-label-hash-ids)", l->path,
                          line_no, o->timed_trace_label_hash_ids);
    if (build_ids(l, hash_ids, in_len, line_no, err) != 0)
        return -1;
    sb_request *r = dataset_push(l->ds);
    int32_t *ids = sb_arena_alloc(&l->ds->arena, (l->ids.n ? l->ids.n : 1) * sizeof *ids);
    if (l->ids.n)
        memcpy(ids, l->ids.v, l->ids.n * sizeof *ids);
    r->prompt = "";
    r->prompt_bytes = 0;
    r->forms.ids = ids;
    r->forms.n_ids = (uint32_t)l->ids.n;
    r->prompt_len = (int32_t)l->ids.n;
    r->output_len = (int32_t)out_len;
    r->timestamp_s = ts;
    return (long)l->ds->n >= l->want ? 1 : 0; /* 1 stops reading: enough lines */
}

/* --timed-trace-hash-seed, else $PYTHONHASHSEED when it is a number, else 0. */
static uint32_t hash_seed(const sb_dataset_opts *o, sb_dataset *ds)
{
    if (o->timed_trace_hash_seed >= 0)
        return (uint32_t)o->timed_trace_hash_seed;
    const char *env = getenv("PYTHONHASHSEED");
    if (!env || !*env)
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(env, &end, 10);
    if (*end || errno || env[0] < '0' || env[0] > '9' || v > PYHASH_SEED_MAX) {
        dataset_warn(ds,
                     "timed_trace: PYTHONHASHSEED=%s is not a seed number; hashing with "
                     "seed 0 (set --timed-trace-hash-seed to the reference run's seed)",
                     env);
        return 0;
    }
    return (uint32_t)v;
}

static int check_opts(const dataset_ctx *c, sb_err *err)
{
    if (!c->o->path)
        return sb_err_set(err, "--dataset-name timed_trace needs --dataset-path (a .jsonl trace)");
    if (strcmp(c->backend, "vllm") != 0 && strcmp(c->backend, "openai") != 0)
        return sb_err_set(err,
                          "--dataset-name timed_trace sends token-id prompts to the "
                          "completions API: use --backend vllm or openai (got %s)",
                          c->backend);
    if (!c->t)
        return sb_err_set(err, "timed_trace dataset needs a tokenizer (its vocabulary)");
    if (c->o->timed_trace_chunk_hash_size < 1)
        return sb_err_set(err, "--timed-trace-chunk-hash-size must be >= 1 (got %ld)",
                          c->o->timed_trace_chunk_hash_size);
    double m = c->o->timed_trace_sec_multiplier;
    if (!(m >= 0) || m > 1e12)
        return sb_err_set(err, "--timed-trace-sec-multiplier must be a finite number >= 0");
    return 0;
}

static int read_trace(tt_load *l, sb_err *err)
{
    sb_buf data;
    sb_buf_init(&data);
    int rc = sb_read_file(l->path, &data, err);
    if (rc == 0)
        rc = dataset_jsonl_each(l->path, &data, trace_row, l, err);
    sb_buf_free(&data);
    if (rc > 0)
        rc = 0; /* stopped after --num-prompts lines */
    if (rc == 0 && l->ds->n == 0)
        rc = sb_err_set(err, "%s: the trace has no requests", l->path);
    if (rc == 0 && l->back_in_time)
        dataset_warn(l->ds,
                     "timed_trace: %zu line(s) of %s have a timestamp before the "
                     "previous line's; they are sent right after it (the reference "
                     "sends in file order)",
                     l->back_in_time, l->path);
    return rc;
}

int dataset_timed_trace(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    if (check_opts(c, err) != 0)
        return -1;
    tt_load l = {.c = c,
                 .ds = ds,
                 .path = c->o->path,
                 .want = c->o->num_prompts > 0 ? c->o->num_prompts : LONG_MAX};
    pyhash_key_from_seed(&l.key, hash_seed(c->o, ds));
    int32_t *vocab = dataset_non_special_vocab(c->t, &l.n_vocab);
    l.vocab = vocab;
    tok_ids_init(&l.ids);
    sb_buf_init(&l.text);
    int rc = l.n_vocab ? 0 : sb_err_set(err, "timed_trace: the tokenizer has no non-special ids");
    if (rc == 0)
        rc = read_trace(&l, err);
    if (rc == 0)
        rc = dataset_oversample(ds, c->o->num_prompts, c->o->seed, c->o->no_oversample,
                                "timed_trace", err);
    cache_free(&l.cache);
    tok_ids_free(&l.ids);
    sb_buf_free(&l.text);
    free(vocab);
    return rc;
}
