/* SPDX-License-Identifier: Apache-2.0 */
/* tok_window.c - encode(decode(ids[a..b))) for many ranges of one long id
 * list (the random dataset's windows of the vocabulary cycle) with work only
 * near a and b.
 *
 * The list's text is cut before every token that starts with a space and
 * follows a letter; such a cut is safe for the chunked encoder whatever text
 * surrounds it (tok_chunk.c), and here it is also a token boundary, so a
 * range's text is its head tokens' text, then whole chunks of the list's
 * text, then its tail tokens' text. Each chunk is encoded once, up front;
 * a range then costs the decode and encode of its head and tail and a copy of
 * the chunks' ids. Needs the ByteLevel decode table (decode is then a copy of
 * each token's bytes, and a chunk, which starts with an ASCII space and ends
 * after a whole char, decodes the same inside any range) and chunk_ok. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"

struct tok_window {
    const tok *t;
    const int32_t *ids; /* the caller's list, borrowed */
    size_t n;
    size_t *cut;     /* token index of each cut, ascending */
    size_t *cut_ids; /* ids of the chunks before each cut, from the first cut */
    size_t n_cuts;
    int32_t *chunk_ids; /* encodings of the chunks between cuts, in order */
};

static size_t token_len(const tok *t, int32_t id)
{
    return t->dec_off[id + 1] - t->dec_off[id];
}

/* Cut before token i: tok_chunk.c's rule, at a token boundary. */
static bool is_cut(const tok *t, const char *raw, const size_t *off, const int32_t *ids, size_t i)
{
    return token_len(t, ids[i]) > 0 && tok_chunk_cut_at(t->letters, raw, off[i]);
}

tok_window *tok_window_new(const tok *t, tok_ctx *ctx, const int32_t *ids, size_t n, sb_err *err)
{
    if (!t->chunk_ok || !t->dec_blob || t->cleanup || n < 2) /* clean-up: see encode_sc */
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= t->n_total || t->added_by_id[ids[i]] >= 0)
            return NULL; /* added tokens decode by their own rules; keep it plain */
    size_t *off = sb_xmalloc((n + 1) * sizeof *off);
    sb_buf raw;
    sb_buf_init(&raw);
    for (size_t i = 0; i < n; i++) {
        off[i] = raw.len;
        sb_buf_append(&raw, t->dec_blob + t->dec_off[ids[i]], token_len(t, ids[i]));
    }
    off[n] = raw.len;
    tok_window *w = sb_xcalloc(1, sizeof *w);
    w->t = t;
    w->ids = ids;
    w->n = n;
    w->cut = sb_xmalloc(n * sizeof *w->cut);
    w->cut_ids = sb_xmalloc(n * sizeof *w->cut_ids);
    tok_ids all;
    tok_ids_init(&all);
    int rc = 0;
    for (size_t i = 1; i < n && rc == 0; i++) {
        if (!is_cut(t, raw.data, off, ids, i))
            continue;
        if (w->n_cuts > 0) { /* the chunk from the previous cut to this one */
            size_t a = off[w->cut[w->n_cuts - 1]];
            rc = tok_encode_ctx(t, ctx, raw.data + a, off[i] - a, false, &all, err);
        }
        w->cut[w->n_cuts] = i;
        w->cut_ids[w->n_cuts++] = all.n;
    }
    w->chunk_ids = all.v;
    free(off);
    sb_buf_free(&raw);
    if (rc != 0) {
        tok_window_free(w);
        return NULL;
    }
    return w;
}

void tok_window_free(tok_window *w)
{
    if (!w)
        return;
    free(w->cut);
    free(w->cut_ids);
    free(w->chunk_ids);
    free(w);
}

/* First cut index j with cut[j] >= i (n_cuts when none). */
static size_t first_cut_at(const tok_window *w, size_t i)
{
    size_t lo = 0, hi = w->n_cuts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->cut[mid] < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Appends encode(decode(ids[a..b))) to out, and its cuts counted from
 * origin (the start of the caller's output). */
static int encode_range(const tok_window *w, tok_ctx *ctx, size_t a, size_t b, tok_ids *out,
                        tok_ids *cuts, sb_buf *text, size_t origin, sb_err *err)
{
    sb_buf_reset(text);
    if (tok_decode(w->t, w->ids + a, b - a, false, text, err) != 0)
        return -1;
    size_t start = out->n, c0 = cuts->n;
    if (tok_encode_ctx_cuts(w->t, ctx, text->data ? text->data : "", text->len, out, cuts, err))
        return -1;
    for (size_t i = c0; i < cuts->n; i++)
        cuts->v[i] += (int32_t)(start - origin);
    return 0;
}

int tok_window_encode(const tok_window *w, tok_ctx *ctx, size_t a, size_t b, tok_ids *out,
                      tok_ids *cuts, sb_buf *text, sb_err *err)
{
    size_t base = out->n;
    size_t j1 = first_cut_at(w, a), j2 = first_cut_at(w, b + 1);
    if (j1 >= j2 || j2 - 1 == j1) /* fewer than two cuts in [a, b]: no whole chunk */
        return encode_range(w, ctx, a, b, out, cuts, text, base, err);
    j2--; /* the last cut <= b */
    if (encode_range(w, ctx, a, w->cut[j1], out, cuts, text, base, err) != 0)
        return -1;
    size_t head = out->n - base;
    for (size_t j = j1; j < j2; j++)
        if (head + w->cut_ids[j] - w->cut_ids[j1] > 0)
            tok_ids_push(cuts, (int32_t)(head + w->cut_ids[j] - w->cut_ids[j1]));
    tok_ids_append(out, w->chunk_ids + w->cut_ids[j1], w->cut_ids[j2] - w->cut_ids[j1]);
    if (w->cut[j2] < b)
        tok_ids_push(cuts, (int32_t)(out->n - base));
    return encode_range(w, ctx, w->cut[j2], b, out, cuts, text, base, err);
}
