/* SPDX-License-Identifier: Apache-2.0 */
/* tok_bpe.c - the BPE model: a pre-token -> ids, as HF's BPE::tokenize.
 *
 * Symbols start as the characters of the piece (through the byte-level
 * alphabet for ByteLevel pieces, with continuing_subword_prefix /
 * end_of_word_suffix, byte_fallback to <0xXX> tokens, and (fused) unk), then
 * the lowest-ranked adjacent pair is merged until none is left; ties go to the
 * leftmost pair, which is the order HF's priority queue pops them in. Ranks of
 * adjacent pairs are kept in an array and only the two neighbours of a merge
 * are looked up again, so a merge costs one scan and no hashing. */
#include <stdio.h>
#include <string.h>

#include "tokenizer/tok_internal.h"

/* The GPT-2 byte -> char map: printable Latin-1 bytes stand for themselves,
 * the other 68 become U+0100.. in byte order. */
void tok_bytelevel_table(uint16_t map[256])
{
    uint16_t k = 0;
    for (unsigned b = 0; b < 256; b++)
        map[b] =
            ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174) ? (uint16_t)b : 256 + k++;
}

static void sym_reserve(tok_scratch *sc, size_t n)
{
    if (n <= sc->sym_cap)
        return;
    sc->sym_cap = n * 2;
    sc->sym = sb_xrealloc(sc->sym, sc->sym_cap * 2 * sizeof *sc->sym);
}

/* Initial symbols for the general case; returns their count. */
static size_t initial_symbols(const tok_model *m, const char *w, size_t n, tok_scratch *sc)
{
    int32_t *sym = sc->sym;
    size_t k = 0;
    int32_t unk_len = 0; /* pending unk (only its presence matters for ids) */
    size_t plen = m->cont_prefix ? strlen(m->cont_prefix) : 0;
    size_t slen = m->eow_suffix ? strlen(m->eow_suffix) : 0;
    char tmp[64];
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = tok_utf8_next(w + i, n - i, &cp);
        if (cp < 128 && !plen && !slen && m->ascii_ids[cp] >= 0) { /* common case */
            if (unk_len)
                sym[k++] = m->unk_id;
            unk_len = 0;
            sym[k++] = m->ascii_ids[cp];
            i += l;
            continue;
        }
        bool first = i == 0, last = i + l == n;
        size_t tl = 0;
        if (plen + slen + l > sizeof tmp) { /* affixes longer than any real one */
            i += l;
            continue;
        }
        if (plen && !first) {
            memcpy(tmp, m->cont_prefix, plen);
            tl = plen;
        }
        memcpy(tmp + tl, w + i, l);
        tl += l;
        if (slen && last) {
            memcpy(tmp + tl, m->eow_suffix, slen);
            tl += slen;
        }
        i += l;
        int32_t id = tok_smap_get(&m->vocab, tmp, tl);
        if (id >= 0) {
            if (unk_len)
                sym[k++] = m->unk_id;
            unk_len = 0;
            sym[k++] = id;
            continue;
        }
        if (m->byte_fallback) {
            bool ok = true;
            for (size_t b = 0; b < tl; b++)
                ok = ok && m->byte_ids[(uint8_t)tmp[b]] >= 0;
            if (ok) {
                for (size_t b = 0; b < tl; b++)
                    sym[k++] = m->byte_ids[(uint8_t)tmp[b]];
                continue;
            }
        }
        if (m->unk_id >= 0) {
            if (unk_len && !m->fuse_unk)
                sym[k++] = m->unk_id;
            unk_len = 1;
        }
    }
    if (unk_len)
        sym[k++] = m->unk_id;
    return k;
}

static int32_t pair_rank(const tok_model *m, int32_t a, int32_t b, int32_t *merged)
{
    int32_t r;
    if (a < 0 || b < 0 ||
        !tok_pmap_get(&m->merges, ((uint64_t)(uint32_t)a << 32) | (uint32_t)b, &r, merged))
        return INT32_MAX;
    return r;
}

/* ---- long words: a heap, as HF's BPE::merge_word ----------------------- *
 * Pieces of thousands of symbols happen (Gemma's pre-tokenizer never splits
 * after its normalizer has replaced the spaces), and the scan below is
 * quadratic. The heap pops (rank, position) in the same order the scan
 * picks pairs; stale entries are recognised as HF does (the left symbol is
 * gone, or the pair at that position is no longer the one pushed). */
typedef struct hent {
    int32_t rank, pos;
    int32_t left, right, merged; /* the pair when pushed: checks staleness */
} hent;

static bool hless(hent a, hent b)
{
    return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos);
}

static void hpush(hent *h, size_t *n, hent e)
{
    size_t i = (*n)++;
    while (i > 0 && hless(e, h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = e;
}

static hent hpop(hent *h, size_t *n)
{
    hent top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && hless(h[c + 1], h[c]))
            c++;
        if (!hless(h[c], last))
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = last;
    return top;
}

/* Rank of the pair at sym[i], sym[i+1] before any merge: from the byte-pair
 * table when the symbols are still the bytes of a byte-level piece. */
static int32_t first_rank(const tok_model *m, const int32_t *sym, const uint8_t *bytes, size_t i,
                          int32_t *merged)
{
    if (bytes) {
        const struct tok_bpair *e = &m->bl_pair[(uint32_t)bytes[i] << 8 | bytes[i + 1]];
        *merged = e->merged;
        return e->rank;
    }
    return pair_rank(m, sym[i], sym[i + 1], merged);
}

static void hpush_pair(const tok_model *m, hent *h, size_t *hn, const int32_t *sym, int32_t p,
                       int32_t q)
{
    int32_t merged, r = pair_rank(m, sym[p], sym[q], &merged);
    if (r != INT32_MAX)
        hpush(h, hn, (hent){r, p, sym[p], sym[q], merged});
}

/* A popped entry is live when its pair is still there: a rank names one
 * pair, so "same two ids at p" is HF's "same rank at p" without a lookup. */
static void merge_heap(const tok_model *m, int32_t *sym, size_t k, const uint8_t *bytes,
                       tok_ids *out)
{
    int32_t *next = sb_xmalloc(k * sizeof *next), *prev = sb_xmalloc(k * sizeof *prev);
    hent *heap = sb_xmalloc(3 * k * sizeof *heap); /* k-1 pairs + 2 per merge */
    size_t hn = 0;
    int32_t merged;
    for (size_t i = 0; i < k; i++) {
        next[i] = i + 1 < k ? (int32_t)i + 1 : -1;
        prev[i] = (int32_t)i - 1;
        if (i + 1 < k) {
            int32_t r = first_rank(m, sym, bytes, i, &merged);
            if (r != INT32_MAX)
                hpush(heap, &hn, (hent){r, (int32_t)i, sym[i], sym[i + 1], merged});
        }
    }
    while (hn) {
        hent e = hpop(heap, &hn);
        int32_t p = e.pos, q = next[p];
        if (sym[p] != e.left || q < 0 || sym[q] != e.right)
            continue;
        sym[p] = e.merged;
        sym[q] = -1; /* gone */
        next[p] = next[q];
        if (next[q] >= 0)
            prev[next[q]] = p;
        if (prev[p] >= 0)
            hpush_pair(m, heap, &hn, sym, prev[p], p);
        if (next[p] >= 0)
            hpush_pair(m, heap, &hn, sym, p, next[p]);
    }
    for (int32_t i = 0; i >= 0; i = next[i])
        tok_ids_push(out, sym[i]);
    free(next);
    free(prev);
    free(heap);
}

static void merge_all(const tok_model *m, int32_t *sym, int32_t *rank, size_t k,
                      const uint8_t *bytes, tok_ids *out)
{
    if (k > 64) {
        merge_heap(m, sym, k, bytes, out);
        return;
    }
    int32_t merged;
    for (size_t i = 0; i + 1 < k; i++)
        rank[i] = first_rank(m, sym, bytes, i, &merged);
    while (k > 1) {
        size_t best = 0;
        for (size_t i = 1; i + 1 < k; i++)
            if (rank[i] < rank[best])
                best = i;
        if (rank[best] == INT32_MAX)
            break;
        pair_rank(m, sym[best], sym[best + 1], &merged);
        sym[best] = merged;
        memmove(sym + best + 1, sym + best + 2, (k - best - 2) * sizeof *sym);
        memmove(rank + best + 1, rank + best + 2, (k - best - 2) * sizeof *rank);
        k--;
        if (best > 0)
            rank[best - 1] = pair_rank(m, sym[best - 1], sym[best], &merged);
        if (best + 1 < k)
            rank[best] = pair_rank(m, sym[best], sym[best + 1], &merged);
    }
    for (size_t i = 0; i < k; i++)
        tok_ids_push(out, sym[i]);
}

/* BPE of bytes that all have a byte-level id: one symbol per byte. */
static void merge_bytes(const tok_model *m, const uint8_t *w, size_t n, tok_scratch *sc,
                        tok_ids *out)
{
    sym_reserve(sc, n + 1);
    for (size_t i = 0; i < n; i++)
        sc->sym[i] = m->bl_ids[w[i]];
    merge_all(m, sc->sym, sc->sym + sc->sym_cap, n, m->bl_pair ? w : NULL, out);
}

void tok_bpe_encode(const tok_model *m, const tok_piece *pc, const char *buf, tok_scratch *sc,
                    tok_ids *out)
{
    const char *w = buf + pc->off;
    size_t n = pc->len;
    bool simple = !(m->cont_prefix && *m->cont_prefix) && !(m->eow_suffix && *m->eow_suffix);
    if (pc->bytelevel) {
        bool direct = simple;
        for (size_t i = 0; i < n && direct; i++)
            direct = m->bl_ids[(uint8_t)w[i]] >= 0;
        if (!direct || m->ignore_merges) { /* map to the byte alphabet as text */
            sb_buf_reset(&sc->word);
            for (size_t i = 0; i < n; i++)
                tok_buf_put_cp(&sc->word, m->bl_cp[(uint8_t)w[i]]);
            if (m->ignore_merges) {
                int32_t id = tok_smap_get(&m->vocab, sc->word.data, sc->word.len);
                if (id >= 0) {
                    tok_ids_push(out, id);
                    return;
                }
            }
        }
        if (direct) {
            merge_bytes(m, (const uint8_t *)w, n, sc, out);
            return;
        }
        w = sc->word.data;
        n = sc->word.len;
    } else if (m->ignore_merges) {
        int32_t id = tok_smap_get(&m->vocab, w, n);
        if (id >= 0) {
            tok_ids_push(out, id);
            return;
        }
    }
    size_t plen = m->cont_prefix ? strlen(m->cont_prefix) : 0;
    size_t slen = m->eow_suffix ? strlen(m->eow_suffix) : 0;
    sym_reserve(sc, n * (plen + 4) + slen + 8); /* byte fallback: one id per byte */
    size_t k = initial_symbols(m, w, n, sc);
    merge_all(m, sc->sym, sc->sym + sc->sym_cap, k, NULL, out);
}

bool tok_bpe_bytes(const tok_model *m, const uint8_t *w, size_t n, tok_scratch *sc, tok_ids *out)
{
    if (!m->bl_pair || (m->cont_prefix && *m->cont_prefix) || (m->eow_suffix && *m->eow_suffix))
        return false;
    for (size_t i = 0; i < n; i++)
        if (m->bl_ids[w[i]] < 0)
            return false;
    merge_bytes(m, w, n, sc, out);
    return true;
}
