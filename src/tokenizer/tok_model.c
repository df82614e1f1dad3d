/* SPDX-License-Identifier: Apache-2.0 */
/* tok_model.c - reads the "model" object of tokenizer.json (BPE, Unigram,
 * WordPiece, WordLevel) into the id <-> token tables and the merge map, and
 * dispatches encoding of one pre-token to the right algorithm. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

void tok_model_free(tok_model *m)
{
    tok_smap_free(&m->vocab);
    free((void *)m->id_tok); /* the strings live in the vocab map */
    tok_pmap_free(&m->merges);
    free(m->bl_pair);
    free(m->cont_prefix);
    free(m->eow_suffix);
    free(m->scores);
    tok_pmap_free(&m->trie);
    free(m->trie_id);
    memset(m, 0, sizeof *m);
}

/* Fills id_tok from the vocab map (pointers into its key blob). */
static int index_ids(tok_model *m, const char *path, sb_err *err)
{
    size_t max = 0, pos = 0, len;
    const char *k;
    int32_t v;
    while (tok_smap_next(&m->vocab, &pos, &k, &len, &v))
        if ((size_t)v + 1 > max)
            max = (size_t)v + 1;
    m->n_ids = max;
    m->id_tok = sb_xcalloc(max + 1, sizeof *m->id_tok);
    pos = 0;
    while (tok_smap_next(&m->vocab, &pos, &k, &len, &v))
        m->id_tok[v] = k; /* stays valid: the map is complete */
    m->vocab_size = m->vocab.n;
    (void)path;
    (void)err;
    return 0;
}

static int parse_vocab_obj(tok_model *m, json_t *j, const tok_span *sp, tok_maps *pre,
                           const char *path, sb_err *err)
{
    if (pre) {
        m->vocab = pre->vocab;
        memset(&pre->vocab, 0, sizeof pre->vocab);
        return index_ids(m, path, err);
    }
    if (sp && sp->n) {
        if (tok_jscan_vocab(sp, &m->vocab, err) < 0)
            return -1;
        return index_ids(m, path, err);
    }
    json_t *v = json_object_get(j, "vocab");
    if (!json_is_object(v))
        return sb_err_set(err, "%s.vocab: expected an object of token -> id", path);
    tok_smap_init(&m->vocab, json_object_size(v));
    const char *k;
    json_t *val;
    size_t klen;
    json_object_keylen_foreach(v, k, klen, val)
    {
        json_int_t id = json_integer_value(val);
        if (!json_is_integer(val) || id < 0 || id >= TOK_MAX_ID)
            return sb_err_set(err, "%s.vocab[\"%s\"]: id must be an integer in 0..%d", path, k,
                              TOK_MAX_ID - 1);
        tok_smap_put(&m->vocab, k, klen, (int32_t)id);
    }
    return index_ids(m, path, err);
}

static int32_t lookup(const tok_model *m, const char *s, size_t n)
{
    return tok_smap_get(&m->vocab, s, n);
}

static int add_merge(tok_model *m, const char *a, size_t al, const char *b, size_t bl, int32_t rank,
                     const char *path, sb_err *err)
{
    int32_t ia = lookup(m, a, al), ib = lookup(m, b, bl);
    if (ia < 0 || ib < 0)
        return sb_err_set(err, "%s[%d]: merge token \"%.*s\" is not in the vocabulary", path,
                          (int)rank, (int)(ia < 0 ? al : bl), ia < 0 ? a : b);
    size_t pl = m->cont_prefix ? strlen(m->cont_prefix) : 0;
    if (pl && bl >= pl && memcmp(b, m->cont_prefix, pl) == 0) {
        b += pl; /* HF: a + b without its continuing-subword prefix */
        bl -= pl;
    }
    char stack[256];
    char *cat = al + bl <= sizeof stack ? stack : sb_xmalloc(al + bl);
    memcpy(cat, a, al);
    memcpy(cat + al, b, bl);
    int32_t im = lookup(m, cat, al + bl);
    if (cat != stack)
        free(cat);
    if (im < 0)
        return sb_err_set(err, "%s[%d]: merged token \"%.*s%.*s\" is not in the vocabulary", path,
                          (int)rank, (int)al, a, (int)bl, b);
    /* HF collects the merges into a map, so a repeated pair keeps its last rank */
    tok_pmap_put(&m->merges, ((uint64_t)(uint32_t)ia << 32) | (uint32_t)ib, rank, im);
    return 0;
}

static int merge_cb(void *ctx, const char *a, size_t al, const char *b, size_t bl, int32_t rank,
                    sb_err *err)
{
    return add_merge(ctx, a, al, b, bl, rank, "model.merges", err);
}

static int parse_merges(tok_model *m, json_t *j, const tok_span *sp, tok_maps *pre,
                        const char *path, sb_err *err)
{
    if (pre) {
        m->merges = pre->merges;
        memset(&pre->merges, 0, sizeof pre->merges);
        /* the ids index id_tok when encoding: a copy naming others is refused */
        for (size_t i = 0; i <= m->merges.mask; i++) {
            const struct tok_pslot *e = &m->merges.slots[i];
            if (e->key && ((e->key - 1) >> 32 >= m->n_ids ||
                           ((e->key - 1) & 0xffffffffu) >= m->n_ids || (size_t)e->b >= m->n_ids))
                return sb_err_set(err,
                                  "%s.merges: the cached merge map names ids outside the "
                                  "vocabulary",
                                  path);
        }
        return 0;
    }
    if (sp && sp->n) {
        tok_pmap_init(&m->merges, sp->n / 24 + 16);
        return tok_jscan_merges(sp, merge_cb, m, err);
    }
    json_t *arr = json_object_get(j, "merges");
    char sub[512];
    snprintf(sub, sizeof sub, "%s.merges", path);
    if (!arr || json_is_null(arr)) {
        tok_pmap_init(&m->merges, 0);
        return 0;
    }
    if (!json_is_array(arr))
        return sb_err_set(err, "%s: expected an array", sub);
    size_t n = json_array_size(arr);
    tok_pmap_init(&m->merges, n);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        const char *a, *b;
        size_t al, bl;
        if (json_is_string(e)) {
            a = json_string_value(e);
            const char *sp = strchr(a, ' ');
            if (!sp)
                return sb_err_set(err, "%s[%zu]: \"%s\" is not \"a b\"", sub, i, a);
            al = (size_t)(sp - a);
            b = sp + 1;
            bl = json_string_length(e) - al - 1;
        } else if (json_is_array(e) && json_array_size(e) == 2 &&
                   json_is_string(json_array_get(e, 0)) && json_is_string(json_array_get(e, 1))) {
            a = json_string_value(json_array_get(e, 0));
            al = json_string_length(json_array_get(e, 0));
            b = json_string_value(json_array_get(e, 1));
            bl = json_string_length(json_array_get(e, 1));
        } else {
            return sb_err_set(err, "%s[%zu]: expected \"a b\" or [\"a\", \"b\"]", sub, i);
        }
        if (add_merge(m, a, al, b, bl, (int32_t)i, sub, err) < 0)
            return -1;
    }
    return 0;
}

static char *opt_affix(json_t *j, const char *k)
{
    const char *s = jstr(j, k);
    return s && *s ? sb_xstrdup(s) : NULL;
}

static void byte_tables(tok_model *m)
{
    tok_bytelevel_table(m->bl_cp);
    for (int b = 0; b < 256; b++) {
        char tmp[8];
        snprintf(tmp, sizeof tmp, "<0x%02X>", b);
        m->byte_ids[b] = lookup(m, tmp, 6);
        size_t l = tok_utf8_put(tmp, m->bl_cp[b]);
        m->bl_ids[b] = lookup(m, tmp, l);
        if (b < 128) {
            tmp[0] = (char)b;
            m->ascii_ids[b] = lookup(m, tmp, 1);
        }
    }
}

static int unk_from_token(tok_model *m, json_t *j, const char *path, sb_err *err)
{
    const char *unk = jstr(j, "unk_token");
    m->unk_id = -1;
    if (!unk)
        return 0;
    m->unk_id = lookup(m, unk, strlen(unk));
    if (m->unk_id < 0)
        return sb_err_set(err, "%s.unk_token: \"%s\" is not in the vocabulary", path, unk);
    return 0;
}

/* SentencePiece-style vocabularies put U+2581 almost only at the start of
 * tokens. Collects the few chars that some token has right before a U+2581;
 * a word may then be cut before any U+2581 preceded by another char, since
 * no merge can produce a token spanning that point, and the short pieces hit
 * the word cache. Returns false when the set is empty-of-U+2581 or too big. */
static bool meta_cut_chars(tok_model *m)
{
    size_t pos = 0, len;
    const char *k;
    int32_t v;
    bool any = false;
    m->n_meta_after = 0;
    while (tok_smap_next(&m->vocab, &pos, &k, &len, &v)) {
        /* most tokens of most vocabularies have no U+2581 (GPT-2: none): one
         * memchr instead of a compare at every byte (1 ms at every load) */
        if (!memchr(k, 0xE2, len))
            continue;
        size_t i = 0;
        while (i + 3 <= len && memcmp(k + i, "\xE2\x96\x81", 3) == 0)
            i += 3;
        any = any || i > 0;
        for (size_t c = i; i + 3 <= len; i++) {
            if (((unsigned char)k[i] & 0xC0) != 0x80 && i > c &&
                memcmp(k + i, "\xE2\x96\x81", 3) == 0) {
                size_t s = i - 1;
                while (s > 0 && ((unsigned char)k[s] & 0xC0) == 0x80)
                    s--;
                uint32_t cp;
                tok_utf8_next(k + s, i - s, &cp);
                if (cp == 0x2581)
                    continue;
                size_t j = 0;
                while (j < m->n_meta_after && m->meta_after[j] != cp)
                    j++;
                if (j == m->n_meta_after) {
                    if (m->n_meta_after == 16)
                        return false;
                    m->meta_after[m->n_meta_after++] = cp;
                }
            }
        }
    }
    return any;
}

/* Every byte-level piece starts as one symbol per byte, so the first round
 * of pair lookups (a third of all of them) can come from a 512 KiB table that
 * stays in cache instead of the multi-MiB merges map. */
static void byte_pair_table(tok_model *m)
{
    for (int b = 0; b < 256; b++)
        if (m->bl_ids[b] < 0)
            return;
    m->bl_pair = sb_xmalloc(65536 * sizeof *m->bl_pair);
    for (uint32_t x = 0; x < 256; x++)
        for (uint32_t y = 0; y < 256; y++) {
            struct tok_bpair *e = &m->bl_pair[x << 8 | y];
            uint64_t key = (uint64_t)(uint32_t)m->bl_ids[x] << 32 | (uint32_t)m->bl_ids[y];
            if (!tok_pmap_get(&m->merges, key, &e->rank, &e->merged))
                e->rank = INT32_MAX, e->merged = -1;
        }
}

/* A byte-pair table read back (tok_cache.c) names only vocabulary ids. */
static bool bpair_ids_ok(const tok_model *m, const struct tok_bpair *t)
{
    for (size_t i = 0; i < 65536; i++)
        if (t[i].rank != INT32_MAX && (t[i].merged < 0 || (size_t)t[i].merged >= m->n_ids))
            return false;
    return true;
}

static int parse_bpe(tok_model *m, json_t *j, const tok_span *vsp, const tok_span *msp,
                     tok_maps *pre, const char *path, sb_err *err)
{
    m->cont_prefix = opt_affix(j, "continuing_subword_prefix");
    m->eow_suffix = opt_affix(j, "end_of_word_suffix");
    if ((m->cont_prefix && strlen(m->cont_prefix) > 24) ||
        (m->eow_suffix && strlen(m->eow_suffix) > 24))
        return sb_err_set(err,
                          "%s: continuing_subword_prefix/end_of_word_suffix longer than 24 "
                          "bytes is not supported",
                          path);
    m->byte_fallback = json_is_true(json_object_get(j, "byte_fallback"));
    m->fuse_unk = json_is_true(json_object_get(j, "fuse_unk"));
    m->ignore_merges = json_is_true(json_object_get(j, "ignore_merges"));
    if (parse_vocab_obj(m, j, vsp, pre, path, err) < 0 || unk_from_token(m, j, path, err) < 0)
        return -1;
    byte_tables(m);
    m->split_meta = !m->cont_prefix && !m->eow_suffix && meta_cut_chars(m);
    if (parse_merges(m, j, msp, pre, path, err) != 0)
        return -1;
    if (pre && pre->bl_pair && bpair_ids_ok(m, pre->bl_pair)) {
        m->bl_pair = pre->bl_pair;
        pre->bl_pair = NULL;
    } else {
        byte_pair_table(m);
    }
    return 0;
}

static int parse_wordpiece(tok_model *m, json_t *j, const tok_span *vsp, const char *path,
                           sb_err *err)
{
    const char *p = jstr(j, "continuing_subword_prefix");
    m->cont_prefix = sb_xstrdup(p ? p : "##");
    json_t *mx = json_object_get(j, "max_input_chars_per_word");
    m->max_chars = json_is_integer(mx) ? (size_t)json_integer_value(mx) : 100;
    if (parse_vocab_obj(m, j, vsp, NULL, path, err) < 0 || unk_from_token(m, j, path, err) < 0)
        return -1;
    if (m->kind == TOK_MODEL_WORDPIECE && m->unk_id < 0)
        return sb_err_set(err, "%s.unk_token: WordPiece needs an unk token in the vocabulary",
                          path);
    return 0;
}

int tok_model_parse(tok_model *m, json_t *j, const tok_span *vocab, const tok_span *merges,
                    tok_maps *pre, const char *path, sb_err *err)
{
    memset(m, 0, sizeof *m);
    m->unk_id = -1;
    if (!json_is_object(j))
        return sb_err_set(err, "%s: missing or not an object", path);
    const char *type = jstr(j, "type");
    if (!type) { /* very old files: infer from the fields */
        if (json_object_get(j, "merges"))
            type = "BPE";
        else if (json_is_array(json_object_get(j, "vocab")))
            type = "Unigram";
        else if (json_object_get(j, "continuing_subword_prefix"))
            type = "WordPiece";
        else
            type = "WordLevel";
    }
    if (strcmp(type, "BPE") == 0) {
        m->kind = TOK_MODEL_BPE;
        return parse_bpe(m, j, vocab, merges, pre, path, err);
    }
    if (pre)
        return sb_err_set(err, "%s.type: \"%s\", but the cached maps are a BPE model's", path,
                          type);
    if (strcmp(type, "Unigram") == 0) {
        m->kind = TOK_MODEL_UNIGRAM;
        return tok_unigram_parse(m, j, path, err);
    }
    if (strcmp(type, "WordPiece") == 0 || strcmp(type, "WordLevel") == 0) {
        m->kind = type[4] == 'P' ? TOK_MODEL_WORDPIECE : TOK_MODEL_WORDLEVEL;
        return parse_wordpiece(m, j, vocab, path, err);
    }
    return sb_err_set(err, "%s.type: unknown model type \"%s\"", path, type);
}

/* Words repeat (prose reuses a few thousand), so a small direct-mapped
 * cache per thread turns most BPE words into one L2 hit: 4096 lines of 128
 * bytes, words up to 55 bytes with up to 16 ids. Results are the model's, so
 * exactness is unaffected. */
#define WCACHE_SLOTS 4096

static void bpe_pcached(const tok_model *m, const tok_piece *pc, const char *buf, tok_scratch *sc,
                        tok_ids *out)
{
    const char *w = buf + pc->off;
    size_t nids;
    const int32_t *hit = tok_pcache_get(sc->pcache, w, pc->len, pc->bytelevel, &nids);
    if (hit) {
        tok_ids_append(out, hit, nids);
        return;
    }
    size_t before = out->n;
    if (!(pc->bytelevel && tok_bpe_long(m, (const uint8_t *)w, pc->len, sc, out)))
        tok_bpe_encode(m, pc, buf, sc, out);
    tok_pcache_put(sc->pcache, w, pc->len, pc->bytelevel, out->v + before, out->n - before);
}

static void bpe_cached(const tok_model *m, const tok_piece *pc, const char *buf, tok_scratch *sc,
                       tok_ids *out)
{
    const char *w = buf + pc->off;
    size_t n = pc->len;
    if (sc->pcache) {
        bpe_pcached(m, pc, buf, sc, out);
        return;
    }
    if (n >= sizeof sc->cache->key) {
        tok_bpe_encode(m, pc, buf, sc, out);
        return;
    }
    if (sc->no_cache) {
        tok_bpe_encode(m, pc, buf, sc, out);
        return;
    }
    if (!sc->cache)
        sc->cache = sb_xcalloc(WCACHE_SLOTS, sizeof *sc->cache);
    char key[sizeof sc->cache->key];
    memcpy(key, w, n);
    key[n] = pc->bytelevel ? 1 : 2;
    struct tok_wcache *e = &sc->cache[tok_hash(key, n + 1) & (WCACHE_SLOTS - 1)];
    if (e->len == n + 1 && memcmp(e->key, key, n + 1) == 0) {
        for (uint32_t i = 0; i < e->nids; i++)
            tok_ids_push(out, e->ids[i]);
        return;
    }
    size_t before = out->n;
    tok_bpe_encode(m, pc, buf, sc, out);
    size_t k = out->n - before;
    if (k > 16)
        return;
    e->len = (uint32_t)n + 1;
    e->nids = (uint32_t)k;
    memcpy(e->key, key, n + 1);
    memcpy(e->ids, out->v + before, k * sizeof *e->ids);
}

/* May the word be cut before the U+2581 at w[i]? Only when the char before
 * it is an ordinary one-char token that no token puts before a U+2581 (an
 * unknown char becomes <0xXX> or unk symbols, which are not the text). */
static bool meta_cut_ok(const tok_model *m, const char *w, size_t i)
{
    size_t s = i - 1;
    while (s > 0 && ((unsigned char)w[s] & 0xC0) == 0x80)
        s--;
    uint32_t cp;
    tok_utf8_next(w + s, i - s, &cp);
    if (cp == 0x2581)
        return false;
    for (size_t j = 0; j < m->n_meta_after; j++)
        if (m->meta_after[j] == cp)
            return false;
    if (cp < 128)
        return m->ascii_ids[cp] >= 0;
    return tok_smap_get(&m->vocab, w + s, i - s) >= 0;
}

/* Cuts a long non-byte-level piece before each U+2581 where meta_cut_ok. */
static void bpe_split_meta(const tok_model *m, const tok_piece *pc, const char *buf,
                           tok_scratch *sc, tok_ids *out)
{
    const char *w = buf + pc->off;
    tok_piece sub = *pc;
    size_t start = 0;
    for (size_t i = 1; i + 3 <= pc->len; i++) {
        if (memcmp(w + i, "\xE2\x96\x81", 3) != 0 || !meta_cut_ok(m, w, i))
            continue;
        sub.off = pc->off + (uint32_t)start;
        sub.len = (uint32_t)(i - start);
        bpe_cached(m, &sub, buf, sc, out);
        start = i;
        i += 2;
    }
    sub.off = pc->off + (uint32_t)start;
    sub.len = pc->len - (uint32_t)start;
    bpe_cached(m, &sub, buf, sc, out);
}

void tok_model_encode(const tok_model *m, const tok_piece *pc, const char *buf, tok_scratch *sc,
                      tok_ids *out)
{
    switch (m->kind) {
    case TOK_MODEL_BPE:
        if (m->split_meta && !pc->bytelevel && pc->len > 16)
            bpe_split_meta(m, pc, buf, sc, out);
        else
            bpe_cached(m, pc, buf, sc, out);
        break;
    case TOK_MODEL_UNIGRAM:
        tok_unigram_encode(m, pc, buf, sc, out);
        break;
    case TOK_MODEL_WORDPIECE:
    case TOK_MODEL_WORDLEVEL:
        tok_wordpiece_encode(m, pc, buf, out);
        break;
    }
}
