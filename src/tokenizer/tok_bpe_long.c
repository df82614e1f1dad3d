/* SPDX-License-Identifier: Apache-2.0 */
/* tok_bpe_long.c - exact BPE of long byte-level pieces from cached pieces of
 * them.
 *
 * Random prompts are windows of consecutive vocabulary ids; where the
 * vocabulary holds runs of CJK or other space-less scripts, one pre-token can
 * be kilobytes long, and each window starts or ends inside such a run, so the
 * whole piece is new to every cache and plain BPE of it (heap merges, a rank
 * lookup per pair) dominated the random dataset's cost.
 *
 * Merge-rank BPE has a property (stated and proved in the README of GitHub's
 * rust-gems `bpe` crate, and checked here by tests against the whole-piece
 * encode): if E is the BPE of text X and F the BPE of text Y, then E ++ F is
 * the BPE of X ++ Y whenever the last id of E and the first id of F are
 * "compatible", i.e. BPE(bytes(a) ++ bytes(b)) = [a, b]. So a long piece is
 * cut at places chosen by its bytes (the same places in every window that
 * holds them), each part is encoded through a cache, and a junction that is
 * not compatible merges its two parts, which are then encoded together; what
 * comes out is always the BPE of the whole piece. */
#include <string.h>

#include "tokenizer/tok_internal.h"

/* Pieces shorter than this go to plain BPE. Longer than any vocabulary token
 * in practice, so HF's ignore_merges (whole piece is a token) cannot apply. */
#define LONG_PIECE 128
#define COMPAT_SLOTS 65536

/* Bytes of a byte-level token: one per character of its vocabulary string. */
static size_t token_bytes(const tok_model *m, int32_t id)
{
    const char *s = id >= 0 && (size_t)id < m->n_ids ? m->id_tok[id] : NULL;
    size_t n = 0;
    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* BPE of the junction bytes is exactly [a, b]? j = bytes of a then b. */
static bool compatible(const tok_model *m, tok_scratch *sc, int32_t a, int32_t b, const uint8_t *j,
                       size_t n)
{
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b | 1ULL << 63;
    if (!sc->compat)
        sc->compat = sb_xcalloc(COMPAT_SLOTS, sizeof *sc->compat);
    struct tok_pair_ok *e = &sc->compat[(key * 0x9e3779b97f4a7c15ULL) >> 48];
    if (e->key == key)
        return e->ok;
    sc->sub.n = 0;
    tok_bpe_bytes(m, j, n, sc, &sc->sub);
    e->key = key;
    e->ok = sc->sub.n == 2 && sc->sub.v[0] == a && sc->sub.v[1] == b;
    return e->ok;
}

/* Appends the BPE of w[0..n) through the sub-piece cache. */
static void encode_part(const tok_model *m, const uint8_t *w, size_t n, tok_scratch *sc,
                        tok_ids *out)
{
    size_t k;
    const int32_t *hit = tok_pcache_get(sc->scache, (const char *)w, n, true, &k);
    if (hit) {
        tok_ids_append(out, hit, k);
        return;
    }
    size_t before = out->n;
    tok_bpe_bytes(m, w, n, sc, out);
    tok_pcache_put(sc->scache, (const char *)w, n, true, out->v + before, out->n - before);
}

/* Next cut after `from`: a character start picked by a hash of the 8 bytes
 * around it, about one in 16; none within 16 bytes of either end. */
static size_t next_cut(const uint8_t *w, size_t n, size_t from)
{
    for (size_t q = from + 16; q + 16 <= n; q++) {
        if ((w[q] & 0xc0) == 0x80)
            continue;
        uint64_t x;
        memcpy(&x, w + q - 4, sizeof x);
        if (((x * 0x9e3779b97f4a7c15ULL) >> 60) == 0)
            return q;
    }
    return n;
}

bool tok_bpe_long(const tok_model *m, const uint8_t *w, size_t n, tok_scratch *sc, tok_ids *out)
{
    if (n < LONG_PIECE || !sc->scache || !m->bl_pair)
        return false;
    for (size_t i = 0; i < n; i++)
        if (m->bl_ids[w[i]] < 0)
            return false;
    /* Parts kept so far: byte start and first id index of each (a stack, so
     * a failed junction can merge backwards). */
    size_t cap = 64, np = 0;
    size_t *pstart = sb_xmalloc(cap * sizeof *pstart), *pid = sb_xmalloc(cap * sizeof *pid);
    size_t a = 0;
    while (a < n) {
        size_t b = next_cut(w, n, a);
        size_t s = a, at; /* the part being added: bytes [s, b), ids from at */
        for (;;) {
            at = out->n;
            encode_part(m, w + s, b - s, sc, out);
            if (np == 0)
                break;
            int32_t left = out->v[at - 1], right = out->v[at];
            size_t ll = token_bytes(m, left), rl = token_bytes(m, right);
            if (ll <= s && s + rl <= n && compatible(m, sc, left, right, w + s - ll, ll + rl))
                break;
            /* Not compatible: drop this part and the one before, encode both as one. */
            np--;
            s = pstart[np];
            out->n = pid[np];
        }
        if (np == cap) {
            cap *= 2;
            pstart = sb_xrealloc(pstart, cap * sizeof *pstart);
            pid = sb_xrealloc(pid, cap * sizeof *pid);
        }
        pstart[np] = s;
        pid[np] = at;
        np++;
        a = b;
    }
    free(pstart);
    free(pid);
    return true;
}
