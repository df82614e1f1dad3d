/* SPDX-License-Identifier: Apache-2.0 */
/* tok_encode.c - the encode and decode pipelines and the small accessors.
 *
 * encode: invalid UTF-8 is first repaired lossily (HF takes Rust strings,
 * which are always valid; a caller with bytes would have done the same), then
 * added tokens are cut out of the raw text, each remaining run is normalized,
 * normalized added tokens are cut out of that, and what is left goes through
 * the pre-tokenizer and the model. A tok_scratch per call keeps the pipeline
 * free of per-token allocation; tok_encode_sc lets a thread reuse one. */
#include <stdlib.h>
#include <string.h>

#include "core/datadir.h"
#include "tokenizer/tok_internal.h"

void tok_ids_init(tok_ids *ids)
{
    memset(ids, 0, sizeof *ids);
}

void tok_ids_free(tok_ids *ids)
{
    free(ids->v);
    memset(ids, 0, sizeof *ids);
}

void tok_ids_append(tok_ids *ids, const int32_t *v, size_t n)
{
    if (ids->n + n > ids->cap) {
        size_t cap = ids->cap ? ids->cap : 64;
        while (cap < ids->n + n)
            cap *= 2;
        ids->v = sb_xrealloc(ids->v, cap * sizeof *ids->v);
        ids->cap = cap;
    }
    if (n)
        memcpy(ids->v + ids->n, v, n * sizeof *v);
    ids->n += n;
}

void tok_ids_push(tok_ids *ids, int32_t id)
{
    if (ids->n == ids->cap) {
        ids->cap = ids->cap ? ids->cap * 2 : 64;
        ids->v = sb_xrealloc(ids->v, ids->cap * sizeof *ids->v);
    }
    ids->v[ids->n++] = id;
}

void tok_scratch_init(tok_scratch *sc, const tok *t)
{
    (void)t;
    memset(sc, 0, sizeof *sc);
    sc->md = tok_rematch_new();
}

void tok_scratch_free(tok_scratch *sc)
{
    free(sc->a.v);
    free(sc->b.v);
    sb_buf_free(&sc->a.buf);
    sb_buf_free(&sc->b.buf);
    sb_buf_free(&sc->norm);
    sb_buf_free(&sc->tmp);
    sb_buf_free(&sc->word);
    tok_rematch_free(sc->md);
    tok_pcache_free(sc->pcache);
    tok_pcache_free(sc->ccache);
    tok_pcache_free(sc->scache);
    free(sc->compat);
    free(sc->sub.v);
    sb_buf_free(&sc->head_key);
    free(sc->head_ids.v);
    free(sc->segs);
    free(sc->sym);
    free(sc->cache);
    free(sc->score);
    free(sc->back);
    free(sc->ends);
    memset(sc, 0, sizeof *sc);
}

typedef struct enc_ctx {
    const tok *t;
    tok_scratch *sc;
    tok_ids *out;
    bool first_run; /* the run being processed starts at offset 0 of the text */
    tok_ids *cuts;  /* where chunks start, as ids counts from out_base, or NULL */
    size_t out_base;
} enc_ctx;

/* A run with no added tokens left: pre-tokenize and run the model. */
static void model_run(enc_ctx *c, const char *s, size_t n, size_t src)
{
    tok_scratch *sc = c->sc;
    sc->a.n = 0;
    sb_buf_reset(&sc->a.buf);
    tok_pieces_push(&sc->a, s, n, (uint32_t)src, (uint32_t)(src + n), false,
                    c->first_run && src == 0);
    if (c->t->pre)
        tok_pretok_apply(c->t->pre, sc);
    for (size_t i = 0; i < sc->a.n; i++)
        tok_model_encode(&c->t->model, &sc->a.v[i], sc->a.buf.data, sc, c->out);
}

static void norm_seg(void *ctx, const char *s, size_t n, size_t src, int32_t idx)
{
    enc_ctx *c = ctx;
    if (idx >= 0)
        tok_ids_push(c->out, c->t->added[idx].id);
    else
        model_run(c, s, n, src);
}

static void raw_seg(void *ctx, const char *s, size_t n, size_t src, int32_t idx)
{
    enc_ctx *c = ctx;
    if (idx >= 0) {
        tok_ids_push(c->out, c->t->added[idx].id);
        return;
    }
    const tok *t = c->t;
    const char *ns = s;
    size_t nn = n;
    if (t->norm) {
        /* sc->norm is free here: later stages use sc->tmp and sc->word */
        tok_norm_apply(t->norm, s, n, &c->sc->norm, c->sc);
        ns = c->sc->norm.data;
        nn = c->sc->norm.len;
    }
    c->first_run = src == 0;
    /* offsets inside a normalized run are not original offsets; only "starts
     * at 0" matters downstream (Metaspace prepend_scheme first) */
    tok_added_split(t, &t->trie_norm, ns, nn, 0, norm_seg, c);
}

static void encode_plain(enc_ctx *c, const char *s, size_t n)
{
    c->first_run = true;
    tok_added_split(c->t, &c->t->trie_raw, s, n, 0, raw_seg, c);
}

/* Texts shorter than this are encoded whole: cutting would not pay. */
#define CHUNK_MIN_TEXT 256

/* Encodes s as chunks cut at tok_chunk_next (exact: see tok_chunk.c). The
 * first and last chunk depend on where the text starts and ends, so only the
 * chunks between two cuts, which recur, go through the chunk cache. */
static void encode_chunked(enc_ctx *c, const char *s, size_t n)
{
    tok_scratch *sc = c->sc;
    tok_pcache *cc = sc->ccache;
    size_t a = tok_chunk_next(c->t->letters, s, n, 0);
    if (a < n && sc->head_key.len == a && memcmp(sc->head_key.data, s, a) == 0) {
        tok_ids_append(c->out, sc->head_ids.v, sc->head_ids.n);
    } else {
        size_t before = c->out->n;
        encode_plain(c, s, a);
        if (a < n) {
            sb_buf_reset(&sc->head_key);
            sb_buf_append(&sc->head_key, s, a);
            sc->head_ids.n = 0;
            tok_ids_append(&sc->head_ids, c->out->v + before, c->out->n - before);
        }
    }
    while (a < n) {
        if (c->cuts)
            tok_ids_push(c->cuts, (int32_t)(c->out->n - c->out_base));
        size_t b = tok_chunk_next(c->t->letters, s, n, a + 1);
        if (b == n) {
            encode_plain(c, s + a, n - a);
            break;
        }
        size_t k;
        const int32_t *ids = tok_pcache_get(cc, s + a, b - a, false, &k);
        if (ids) {
            tok_ids_append(c->out, ids, k);
        } else {
            size_t before = c->out->n;
            encode_plain(c, s + a, b - a);
            tok_pcache_put(cc, s + a, b - a, false, c->out->v + before, c->out->n - before);
        }
        a = b;
    }
}

static int encode_sc(const tok *t, tok_scratch *sc, const char *text, size_t len, bool add_special,
                     tok_ids *out, tok_ids *cuts, sb_err *err)
{
    (void)err;
    sb_buf fixed;
    sb_buf_init(&fixed);
    if (!tok_utf8_valid(text, len)) {
        tok_utf8_lossy(&fixed, text, len);
        text = fixed.data;
        len = fixed.len;
    }
    if (add_special)
        for (size_t i = 0; i < t->n_post_pre; i++)
            tok_ids_push(out, t->post_pre[i]);
    /* decode's clean-up breaks the cut guarantee (a clean-up can join text
     * across a cut), so no cuts are reported under it */
    enc_ctx c = {t, sc, out, true, add_special || t->cleanup ? NULL : cuts, out->n};
    if (len && sc->ccache && t->chunk_ok && len >= CHUNK_MIN_TEXT)
        encode_chunked(&c, text, len);
    else if (len)
        tok_added_split(t, &t->trie_raw, text, len, 0, raw_seg, &c);
    if (add_special)
        for (size_t i = 0; i < t->n_post_post; i++)
            tok_ids_push(out, t->post_post[i]);
    sb_buf_free(&fixed);
    return 0;
}

int tok_encode_pair(const tok *t, const char *a, size_t alen, const char *b, size_t blen,
                    bool add_special, tok_ids *out, sb_err *err)
{
    if (!add_special)
        return tok_encode(t, a, alen, false, out, err) || tok_encode(t, b, blen, false, out, err)
                   ? -1
                   : 0;
    if (t->pair_err)
        return sb_err_set(err, "%s: pair encoding through %s is not supported yet", t->path,
                          t->pair_err);
    for (size_t i = 0; i < t->n_post_pair; i++) {
        int32_t v = t->post_pair[i];
        if (v >= 0)
            tok_ids_push(out, v);
        else if (tok_encode(t, v == TOK_PAIR_A ? a : b, v == TOK_PAIR_A ? alen : blen, false, out,
                            err) != 0)
            return -1;
    }
    return 0;
}

int tok_encode_sc(const tok *t, tok_scratch *sc, const char *text, size_t len, bool add_special,
                  tok_ids *out, sb_err *err)
{
    return encode_sc(t, sc, text, len, add_special, out, NULL, err);
}

int tok_encode(const tok *t, const char *text, size_t len, bool add_special, tok_ids *out,
               sb_err *err)
{
    tok_scratch sc;
    tok_scratch_init(&sc, t);
    sc.no_cache = len < 32768;
    int rc = tok_encode_sc(t, &sc, text, len, add_special, out, err);
    tok_scratch_free(&sc);
    return rc;
}

tok_ctx *tok_ctx_new(const tok *t)
{
    tok_ctx *c = sb_xmalloc(sizeof *c);
    tok_scratch_init(c, t);
    return c;
}

void tok_ctx_free(tok_ctx *c)
{
    if (!c)
        return;
    tok_scratch_free(c);
    free(c);
}

void tok_ctx_cache(tok_ctx *c, size_t bytes)
{
    tok_pcache_free(c->pcache);
    c->pcache = bytes ? tok_pcache_new(bytes) : NULL;
}

void tok_ctx_chunks(tok_ctx *c, size_t bytes)
{
    tok_pcache_free(c->ccache);
    tok_pcache_free(c->scache);
    c->ccache = bytes ? tok_pcache_new(bytes) : NULL;
    c->scache = bytes ? tok_pcache_new(bytes) : NULL;
}

int tok_encode_ctx(const tok *t, tok_ctx *c, const char *text, size_t len, bool add_special,
                   tok_ids *out, sb_err *err)
{
    return tok_encode_sc(t, c, text, len, add_special, out, err);
}

int tok_encode_ctx_cuts(const tok *t, tok_ctx *c, const char *text, size_t len, tok_ids *out,
                        tok_ids *cuts, sb_err *err)
{
    return encode_sc(t, c, text, len, false, out, cuts, err);
}

const char *tok_default_spec(void)
{
    return sb_data_path("tokenizers/gpt2");
}

void tok_pretokenize(const tok *t, const char *text, size_t len, tok_scratch *sc)
{
    sc->a.n = 0;
    sb_buf_reset(&sc->a.buf);
    tok_pieces_push(&sc->a, text, len, 0, (uint32_t)len, false, true);
    if (t->pre)
        tok_pretok_apply(t->pre, sc);
}

/* The string tok_decode hands the decoder for id, or NULL when none. */
static const char *decode_str(const tok *t, int32_t id, bool skip_special)
{
    int32_t a = t->added_by_id[id];
    if (a >= 0)
        return skip_special && t->added[a].special ? NULL
               : t->added[a].dec                   ? t->added[a].dec
                                                   : t->added[a].content;
    return (size_t)id < t->model.n_ids ? t->model.id_tok[id] : NULL;
}

void tok_decode_table(tok *t)
{
    sb_buf blob;
    sb_buf_init(&blob);
    uint32_t *off = sb_xmalloc((t->n_total + 1) * sizeof *off);
    for (size_t id = 0; id < t->n_total; id++) {
        off[id] = (uint32_t)blob.len;
        const char *s = decode_str(t, (int32_t)id, false);
        if (s && !tok_decoder_token_bytes(t->dec, s, strlen(s), &blob)) {
            free(off);
            sb_buf_free(&blob);
            return;
        }
    }
    off[t->n_total] = (uint32_t)blob.len;
    t->dec_off = off;
    t->dec_blob = blob.data ? blob.data : sb_xstrdup("");
    t->dec_clean = sb_xcalloc(t->n_total / 8 + 1, 1);
    for (size_t id = 0; id < t->n_total; id++)
        if (tok_utf8_valid(t->dec_blob + off[id], off[id + 1] - off[id]))
            t->dec_clean[id >> 3] |= (uint8_t)(1u << (id & 7));
}

static bool id_clean(const tok *t, int32_t id)
{
    return t->dec_clean[id >> 3] >> (id & 7) & 1;
}

/* tok_decode for a lone ByteLevel decoder: copy each id's bytes straight
 * into out; only text that is not valid UTF-8 takes the repair pass. */
static void decode_table(const tok *t, const int32_t *ids, size_t n, bool skip_special, sb_buf *out)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += t->dec_off[ids[i] + 1] - t->dec_off[ids[i]];
    sb_buf_reserve(out, total);
    char *dst = out->data + out->len;
    size_t at = 0, run = SIZE_MAX; /* start of the current run of unclean ids */
    bool valid = true;
    for (size_t i = 0; i < n; i++) {
        int32_t a = t->added_by_id[ids[i]];
        if (a >= 0 && skip_special && t->added[a].special)
            continue;
        /* A clean id starts on a char boundary and ends a whole char, so
         * only runs of unclean ids can make the text ill-formed. */
        bool clean = id_clean(t, ids[i]);
        if (clean && run != SIZE_MAX) {
            valid = valid && tok_utf8_valid(dst + run, at - run);
            run = SIZE_MAX;
        } else if (!clean && run == SIZE_MAX) {
            run = at;
        }
        size_t len = t->dec_off[ids[i] + 1] - t->dec_off[ids[i]];
        memcpy(dst + at, t->dec_blob + t->dec_off[ids[i]], len);
        at += len;
    }
    if (run != SIZE_MAX)
        valid = valid && tok_utf8_valid(dst + run, at - run);
    if (valid) {
        out->len += at;
        out->data[out->len] = '\0';
        return;
    }
    char *raw = sb_xmalloc(at + 1);
    memcpy(raw, dst, at);
    tok_utf8_lossy(out, raw, at);
    free(raw);
}

int tok_decode(const tok *t, const int32_t *ids, size_t n, bool skip_special, sb_buf *out,
               sb_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= t->n_total)
            return sb_err_set(err,
                              "token id %d at position %zu is outside the vocabulary "
                              "(0..%zu)",
                              ids[i], i, t->n_total - 1);
    size_t from = out->len;
    if (t->dec_blob) {
        decode_table(t, ids, n, skip_special, out);
        if (!out->data)
            sb_buf_puts(out, "");
        if (t->cleanup)
            tok_compat_cleanup(out, from);
        return 0;
    }
    const char **toks = sb_xmalloc((n + 1) * sizeof *toks);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = decode_str(t, ids[i], skip_special);
        if (s)
            toks[k++] = s;
    }
    tok_decoder_run(t->dec, toks, k, out);
    if (!out->data)
        sb_buf_puts(out, "");
    if (t->cleanup)
        tok_compat_cleanup(out, from);
    free(toks);
    return 0;
}

size_t tok_vocab_size(const tok *t)
{
    return t->model.vocab_size;
}

size_t tok_vocab_size_with_added(const tok *t)
{
    return t->n_total;
}

size_t tok_num_special_to_add(const tok *t)
{
    return t->n_post_pre + t->n_post_post;
}

size_t tok_special_ids(const tok *t, const int32_t **ids)
{
    *ids = t->special_ids;
    return t->n_special;
}

size_t tok_added_special_ids(const tok *t, int32_t *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n_added; i++)
        if (t->added[i].special) {
            if (k < cap)
                out[k] = t->added[i].id;
            k++;
        }
    return k;
}

const char *tok_id_to_token(const tok *t, int32_t id)
{
    if (id < 0 || (size_t)id >= t->n_total)
        return NULL;
    if (t->added_by_id[id] >= 0)
        return t->added[t->added_by_id[id]].content;
    return (size_t)id < t->model.n_ids ? t->model.id_tok[id] : NULL;
}

int32_t tok_token_to_id(const tok *t, const char *token)
{
    size_t n = strlen(token);
    int32_t a = t->n_added ? tok_smap_get(&t->added_map, token, n) : -1;
    if (a >= 0)
        return t->added[a].id;
    return tok_smap_get(&t->model.vocab, token, n);
}

const char *tok_chat_template(const tok *t)
{
    return t->chat_template;
}

const char *tok_bos_token(const tok *t)
{
    return t->bos;
}

const char *tok_eos_token(const tok *t)
{
    return t->eos;
}

const char *tok_source_path(const tok *t)
{
    return t->path;
}
