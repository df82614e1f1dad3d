/* SPDX-License-Identifier: Apache-2.0 */
/* ds_fixlen.c - the reference's decode/encode loop that makes a random id
 * sequence decode to text which re-encodes to exactly the target length
 * (gen_prompt_decode_to_target_len, vllm/benchmarks/datasets/datasets.py:
 * gen_prompt_decode_to_target_len).
 *
 * Written as a resumable state machine: the loop only needs the RNG when the
 * re-encoded sequence is too short, so callers can run the expensive rounds
 * on worker threads and feed the extra ids from one shared RNG stream in
 * request order (what keeps prompts byte-identical to a sequential run).
 *
 * Splicing. After the first round, a round's ids are the last encode's output
 * cut short (too long) or with drawn ids appended (too short), so they share
 * a long prefix with that output. The chunked encoder reports where it cut
 * the text (tok_encode_ctx_cuts); the ids before such a cut are closed: the
 * next round's text encodes to them followed by the encoding of the rest. So
 * a round decodes and encodes only the ids after the last cut that lies
 * inside the shared prefix, and the result is the same as the whole round. */
#include <stdlib.h>
#include <string.h>

#include "dataset/ds_internal.h"

#define FIXLEN_MAX_RETRY 10

/* Piece cache per loop (one per worker thread): random prompts are windows
 * of consecutive vocabulary ids, so with ~100k of them every id is in
 * hundreds of prompts and nearly every piece is a hit after warm-up. */
#define DATASET_FIXLEN_CACHE ((size_t)64 << 20)
/* Chunk cache: the text of the whole allowed-id cycle is ~1 MB, so its
 * recurring chunks fit many times over. */
#define DATASET_FIXLEN_CHUNKS ((size_t)32 << 20)

void dataset_fixlen_init(dataset_fixlen *f)
{
    memset(f, 0, sizeof *f);
    tok_ids_init(&f->seq);
    tok_ids_init(&f->cuts);
    tok_ids_init(&f->last_in);
    sb_buf_init(&f->text);
}

void dataset_fixlen_budget(dataset_fixlen *f, size_t total_ids)
{
    /* ~100 bytes per cached piece and about one piece per id */
    size_t b = total_ids < DATASET_FIXLEN_CACHE / 128 ? total_ids * 128 : DATASET_FIXLEN_CACHE;
    f->cache_bytes = b < ((size_t)1 << 20) ? (size_t)1 << 20 : b;
}

void dataset_fixlen_free(dataset_fixlen *f)
{
    tok_ids_free(&f->seq);
    tok_ids_free(&f->cuts);
    tok_ids_free(&f->last_in);
    sb_buf_free(&f->text);
    tok_ctx_free(f->ctx);
    f->ctx = NULL;
}

static void ids_set(tok_ids *dst, const int32_t *v, size_t n)
{
    dst->n = 0;
    tok_ids_append(dst, v, n);
}

void dataset_fixlen_start(dataset_fixlen *f, const int32_t *ids, size_t n, int32_t target)
{
    ids_set(&f->seq, ids, n);
    f->retries = FIXLEN_MAX_RETRY;
    f->target = target;
    f->mismatch = 0;
    f->cuts.n = 0;
    f->common = 0;
    f->win = NULL;
}

void dataset_fixlen_start_window(dataset_fixlen *f, const tok_window *w, const int32_t *ids,
                                 size_t a, size_t b, int32_t target)
{
    dataset_fixlen_start(f, ids + a, b - a, target);
    f->win = w;
    f->win_a = a;
    f->win_b = b;
}

/* The largest cut inside the shared prefix (0 when none): ids before it are
 * kept, the rest is decoded and encoded again. cuts is trimmed to it. */
static size_t splice_point(dataset_fixlen *f)
{
    for (size_t i = f->cuts.n; i-- > 0;)
        if ((size_t)f->cuts.v[i] < f->common) {
            f->cuts.n = i + 1;
            return (size_t)f->cuts.v[i];
        }
    f->cuts.n = 0;
    return 0;
}

/* One round: seq = encode(decode(seq)), spliced when it can be. */
static int one_round(dataset_fixlen *f, const tok *t, sb_err *err)
{
    if (f->ctx_tok != t) {
        tok_ctx_free(f->ctx);
        f->ctx = tok_ctx_new(t);
        tok_ctx_cache(f->ctx, f->cache_bytes ? f->cache_bytes : DATASET_FIXLEN_CACHE);
        tok_ctx_chunks(f->ctx, f->cache_bytes ? f->cache_bytes / 2 : DATASET_FIXLEN_CHUNKS);
        f->ctx_tok = t;
    }
    /* last_in keeps this round's input; seq keeps its first k ids and
     * receives the encoding of the rest in place. */
    ids_set(&f->last_in, f->seq.v, f->seq.n);
    size_t k = splice_point(f), c0 = f->cuts.n;
    if (f->win) { /* first round of a window: the window does decode + encode */
        f->text_whole = false;
        f->seq.n = 0;
        if (tok_window_encode(f->win, f->ctx, f->win_a, f->win_b, &f->seq, &f->cuts, &f->text,
                              err) != 0)
            return -1;
        f->win = NULL;
    } else {
        sb_buf_reset(&f->text);
        if (tok_decode(t, f->seq.v + k, f->seq.n - k, false, &f->text, err) != 0)
            return -1;
        f->text_whole = k == 0;
        f->seq.n = k;
        if (tok_encode_ctx_cuts(t, f->ctx, f->text.data ? f->text.data : "", f->text.len, &f->seq,
                                &f->cuts, err) != 0)
            return -1;
    }
    for (size_t i = c0; i < f->cuts.n; i++) /* the tail's cuts count from k */
        f->cuts.v[i] += (int32_t)k;
    f->common = f->seq.n;
    return 0;
}

/* The prompt is the text the last round decoded (what the reference returns). */
static int finish(dataset_fixlen *f, const tok *t, sb_err *err)
{
    if (f->text_whole)
        return 0;
    sb_buf_reset(&f->text);
    f->text_whole = true;
    return tok_decode(t, f->last_in.v, f->last_in.n, false, &f->text, err) != 0 ? -1 : 0;
}

long dataset_fixlen_run(dataset_fixlen *f, const tok *t, sb_err *err)
{
    for (;;) {
        if (one_round(f, t, err) != 0)
            return -1;
        int32_t len = (int32_t)f->seq.n;
        if (f->retries <= 0) {
            f->mismatch = len - f->target;
            return finish(f, t, err);
        }
        if (len == f->target)
            return finish(f, t, err);
        if (len < f->target)
            return f->target - len; /* caller draws, feeds, and we go round again */
        f->seq.n = (size_t)f->target;
        f->common = f->seq.n;
        f->retries--;
    }
}

void dataset_fixlen_feed(dataset_fixlen *f, const int64_t *ids, size_t k)
{
    f->common = f->seq.n;
    for (size_t i = 0; i < k; i++)
        tok_ids_push(&f->seq, (int32_t)ids[i]);
    f->retries--;
}

void dataset_fixlen_save(const dataset_fixlen *f, dataset_fixlen_saved *s)
{
    s->n = f->seq.n;
    s->ids = sb_xmalloc((s->n ? s->n : 1) * sizeof *s->ids);
    if (s->n) /* (memcpy from a NULL vector is undefined even for 0 bytes) */
        memcpy(s->ids, f->seq.v, s->n * sizeof *s->ids);
    s->n_cuts = f->cuts.n;
    s->cuts = sb_xmalloc((s->n_cuts ? s->n_cuts : 1) * sizeof *s->cuts);
    if (s->n_cuts)
        memcpy(s->cuts, f->cuts.v, s->n_cuts * sizeof *s->cuts);
    s->common = f->common;
    s->retries = f->retries;
    s->target = f->target;
}

void dataset_fixlen_restore(dataset_fixlen *f, const dataset_fixlen_saved *s)
{
    dataset_fixlen_start(f, s->ids, s->n, s->target);
    ids_set(&f->cuts, s->cuts, s->n_cuts);
    f->common = s->common;
    f->retries = s->retries;
}

void dataset_fixlen_saved_free(dataset_fixlen_saved *s)
{
    free(s->ids);
    free(s->cuts);
    memset(s, 0, sizeof *s);
}
