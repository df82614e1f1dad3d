/* SPDX-License-Identifier: Apache-2.0 */
/* tok_unigram.c - the Unigram model (SentencePiece): Viterbi over a byte trie
 * of the vocabulary, as HF's Unigram::encode_optimized.
 *
 * Scores are summed along the best path; a position no single-char piece
 * covers gets the unk score (min score - 10, HF's K_UNK_PENALTY). Unknown
 * runs are fused into one unk, and with byte_fallback they become <0xXX>
 * tokens. Ties keep the earlier candidate (HF compares with `>`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"

static int32_t trie_child(const tok_model *m, int32_t node, uint8_t b)
{
    int32_t c;
    if (!tok_pmap_get(&m->trie, ((uint64_t)(uint32_t)node << 8) | b, &c, NULL))
        return -1;
    return c;
}

static void trie_insert(tok_model *m, const char *s, size_t n, int32_t id)
{
    int32_t node = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t c = trie_child(m, node, (uint8_t)s[i]);
        if (c < 0) {
            c = (int32_t)m->trie_nodes++;
            m->trie_id = sb_xrealloc(m->trie_id, m->trie_nodes * sizeof *m->trie_id);
            m->trie_id[c] = -1;
            tok_pmap_put(&m->trie, ((uint64_t)(uint32_t)node << 8) | (uint8_t)s[i], c, 0);
        }
        node = c;
    }
    m->trie_id[node] = id;
}

int tok_unigram_parse(tok_model *m, json_t *j, const char *path, sb_err *err)
{
    json_t *v = json_object_get(j, "vocab");
    if (!json_is_array(v))
        return sb_err_set(err, "%s.vocab: expected an array of [piece, score]", path);
    size_t n = json_array_size(v);
    tok_smap_init(&m->vocab, n);
    m->id_tok = sb_xcalloc(n + 1, sizeof *m->id_tok);
    m->scores = sb_xcalloc(n + 1, sizeof *m->scores);
    m->n_ids = m->vocab_size = n;
    tok_pmap_init(&m->trie, n * 4);
    m->trie_nodes = 1;
    m->trie_id = sb_xmalloc(sizeof *m->trie_id);
    m->trie_id[0] = -1;
    m->min_score = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        json_t *p = json_array_get(e, 0), *sc = json_array_get(e, 1);
        if (!json_is_string(p) || !json_is_number(sc))
            return sb_err_set(err, "%s.vocab[%zu]: expected [piece, score]", path, i);
        size_t pl = json_string_length(p);
        tok_smap_put(&m->vocab, json_string_value(p), pl, (int32_t)i);
        m->scores[i] = json_number_value(sc);
        if (i == 0 || m->scores[i] < m->min_score)
            m->min_score = m->scores[i];
        if (pl)
            trie_insert(m, json_string_value(p), pl, (int32_t)i);
    }
    size_t pos = 0, kl;
    const char *k;
    int32_t id;
    while (tok_smap_next(&m->vocab, &pos, &k, &kl, &id))
        m->id_tok[id] = k;
    json_t *unk = json_object_get(j, "unk_id");
    m->unk_id = json_is_integer(unk) ? (int32_t)json_integer_value(unk) : -1;
    if (m->unk_id >= (int32_t)n)
        return sb_err_set(err, "%s.unk_id: %d is outside the vocabulary", path, m->unk_id);
    m->byte_fallback = json_is_true(json_object_get(j, "byte_fallback"));
    m->fuse_unk = true;
    for (int b = 0; b < 256; b++) {
        char tmp[8];
        snprintf(tmp, sizeof tmp, "<0x%02X>", b);
        m->byte_ids[b] = tok_smap_get(&m->vocab, tmp, 6);
    }
    return 0;
}

static void lattice_reserve(tok_scratch *sc, size_t n)
{
    if (n <= sc->lat_cap)
        return;
    sc->lat_cap = n * 2;
    sc->score = sb_xrealloc(sc->score, sc->lat_cap * sizeof *sc->score);
    sc->back = sb_xrealloc(sc->back, sc->lat_cap * 2 * sizeof *sc->back);
}

/* Pushes the ids of one Viterbi piece w[0..n) (HF: vocab, else bytes, else unk). */
static void emit(const tok_model *m, const char *w, size_t n, tok_ids *out)
{
    int32_t id = tok_smap_get(&m->vocab, w, n);
    if (id >= 0) {
        tok_ids_push(out, id);
        return;
    }
    if (m->byte_fallback) {
        bool ok = true;
        for (size_t i = 0; i < n; i++)
            ok = ok && m->byte_ids[(uint8_t)w[i]] >= 0;
        if (ok) {
            for (size_t i = 0; i < n; i++)
                tok_ids_push(out, m->byte_ids[(uint8_t)w[i]]);
            return;
        }
    }
    if (m->unk_id >= 0)
        tok_ids_push(out, m->unk_id);
}

void tok_unigram_encode(const tok_model *m, const tok_piece *pc, const char *buf, tok_scratch *sc,
                        tok_ids *out)
{
    const char *w = buf + pc->off;
    size_t n = pc->len;
    lattice_reserve(sc, n + 1);
    double *best = sc->score;
    int32_t *from = sc->back, *bid = sc->back + sc->lat_cap;
    for (size_t i = 0; i <= n; i++)
        from[i] = -1;
    best[0] = 0;
    double unk_score = m->min_score - 10.0;
    for (size_t s = 0; s < n;) {
        uint32_t cp;
        size_t cl = tok_utf8_next(w + s, n - s, &cp);
        bool single = false;
        int32_t node = 0;
        for (size_t e = s; e < n; e++) {
            node = trie_child(m, node, (uint8_t)w[e]);
            if (node < 0)
                break;
            int32_t id = m->trie_id[node];
            if (id < 0)
                continue;
            double cand = best[s] + m->scores[id];
            if (from[e + 1] < 0 || cand > best[e + 1]) {
                best[e + 1] = cand;
                from[e + 1] = (int32_t)s;
                bid[e + 1] = id;
            }
            single = single || e + 1 - s == cl;
        }
        if (!single) {
            double cand = best[s] + unk_score;
            if (from[s + cl] < 0 || cand > best[s + cl]) {
                best[s + cl] = cand;
                from[s + cl] = (int32_t)s;
                bid[s + cl] = m->unk_id;
            }
        }
        s += cl;
    }
    /* Backtrack into (start, end) pairs, right to left; bit 62 marks unk. */
    size_t k = 0, cnt = 0;
    for (size_t p = n; p > 0; p = (size_t)from[p])
        cnt++;
    if (2 * (cnt + 1) > sc->ends_cap) {
        sc->ends_cap = 4 * (cnt + 1);
        sc->ends = sb_xrealloc(sc->ends, sc->ends_cap * sizeof *sc->ends);
    }
    size_t *ends = sc->ends;
    for (size_t p = n; p > 0; p = (size_t)from[p]) {
        ends[2 * k] = (size_t)from[p];
        ends[2 * k + 1] = p;
        bool unk = m->unk_id >= 0 && bid[p] == m->unk_id;
        ends[2 * k] |= unk ? (size_t)1 << 62 : 0;
        k++;
    }
    /* ends[] runs right to left; fuse adjacent unks, emit left to right. */
    for (size_t i = k; i-- > 0;) {
        size_t s = ends[2 * i] & ~((size_t)1 << 62), en = ends[2 * i + 1];
        bool unk = ends[2 * i] >> 62;
        while (unk && i > 0 && (ends[2 * (i - 1)] >> 62)) {
            i--;
            en = ends[2 * i + 1];
        }
        emit(m, w + s, en - s, out);
    }
}
