/* SPDX-License-Identifier: Apache-2.0 */
/* tok_added.c - finding added tokens in text the way HF's AddedVocabulary
 * does: a leftmost-longest scan (HF uses aho-corasick LeftmostLongest),
 * single_word boundaries, lstrip/rstrip swallowing whitespace.
 *
 * The tokens live in a byte trie; a 256-bit set of first bytes lets the scan
 * skip most positions with one table lookup, so plain prose costs almost
 * nothing here even with gemma3's 6415 added tokens. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenizer/tok_internal.h"

void tok_trie_init(tok_trie *t)
{
    memset(t, 0, sizeof *t);
    tok_pmap_init(&t->edges, 64);
    t->cap_nodes = 64;
    t->term = sb_xmalloc(t->cap_nodes * sizeof *t->term);
    t->term[0] = -1;
    t->n_nodes = 1;
    t->empty = true;
}

void tok_trie_free(tok_trie *t)
{
    tok_pmap_free(&t->edges);
    free(t->term);
    memset(t, 0, sizeof *t);
}

static int32_t child(const tok_trie *t, int32_t node, uint8_t b)
{
    int32_t c;
    return tok_pmap_get(&t->edges, ((uint64_t)(uint32_t)node << 8) | b, &c, NULL) ? c : -1;
}

void tok_trie_add(tok_trie *t, const char *s, size_t len, int32_t idx)
{
    if (len == 0)
        return;
    int32_t node = 0;
    for (size_t i = 0; i < len; i++) {
        int32_t c = child(t, node, (uint8_t)s[i]);
        if (c < 0) {
            if (t->n_nodes == t->cap_nodes) {
                t->cap_nodes *= 2;
                t->term = sb_xrealloc(t->term, t->cap_nodes * sizeof *t->term);
            }
            c = (int32_t)t->n_nodes++;
            t->term[c] = -1;
            tok_pmap_put(&t->edges, ((uint64_t)(uint32_t)node << 8) | (uint8_t)s[i], c, 0);
        }
        node = c;
    }
    if (t->term[node] < 0) /* the first token with this content wins, as in HF */
        t->term[node] = idx;
    t->first[(uint8_t)s[0] >> 3] |= (uint8_t)(1u << ((uint8_t)s[0] & 7));
    t->empty = false;
}

/* Longest token starting at s[i]; returns its length (0 = none). */
static size_t longest_at(const tok_trie *t, const char *s, size_t n, size_t i, int32_t *idx)
{
    int32_t node = 0;
    size_t best = 0;
    for (size_t k = i; k < n; k++) {
        node = child(t, node, (uint8_t)s[k]);
        if (node < 0)
            break;
        if (t->term[node] >= 0) {
            best = k + 1 - i;
            *idx = t->term[node];
        }
    }
    return best;
}

/* HF tests single_word boundaries with the regex crate's \w: Alphabetic,
 * marks, decimal digits, connector punctuation, ZWNJ/ZWJ (so '½' is not a
 * word char, though char::is_alphanumeric says it is). */
static bool is_word_char(uint32_t cp)
{
    if (cp == '_' || cp == 0x200C || cp == 0x200D)
        return true;
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME) || c == UTF8PROC_CATEGORY_ND ||
           c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_PC;
}

static uint32_t last_cp(const char *s, size_t n)
{
    size_t k = n - 1;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    uint32_t cp;
    tok_utf8_next(s + k, n - k, &cp);
    return cp;
}

/* Start of the whitespace run that ends at s[n]. */
static size_t ws_run_start(const char *s, size_t lo, size_t n)
{
    while (n > lo) {
        size_t k = n - 1;
        while (k > lo && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        uint32_t cp;
        tok_utf8_next(s + k, n - k, &cp);
        if (!tok_is_whitespace(cp))
            break;
        n = k;
    }
    return n;
}

static size_t ws_run_end(const char *s, size_t i, size_t n)
{
    while (i < n) {
        uint32_t cp;
        size_t l = tok_utf8_next(s + i, n - i, &cp);
        if (!tok_is_whitespace(cp))
            break;
        i += l;
    }
    return i;
}

void tok_added_split(const tok *t, const tok_trie *trie, const char *s, size_t n, size_t src0,
                     tok_seg_fn fn, void *ctx)
{
    size_t done = 0; /* HF start_offset: end of the last emitted token */
    for (size_t i = 0; !trie->empty && i < n;) {
        uint8_t b = (uint8_t)s[i];
        int32_t idx = -1;
        size_t len = (trie->first[b >> 3] >> (b & 7)) & 1 ? longest_at(trie, s, n, i, &idx) : 0;
        if (!len) {
            i++;
            continue;
        }
        size_t start = i, stop = i + len;
        i = stop; /* the scan resumes after the raw match */
        const tok_added *a = &t->added[idx];
        if (start < done)
            continue;
        if (a->single_word) {
            bool start_ok = start == 0 || !is_word_char(last_cp(s, start));
            uint32_t nx = 0;
            bool stop_ok = stop == n || (tok_utf8_next(s + stop, n - stop, &nx), !is_word_char(nx));
            if (!start_ok || !stop_ok)
                continue;
        }
        if (a->lstrip)
            start = ws_run_start(s, done, start);
        if (a->rstrip)
            stop = ws_run_end(s, stop, n);
        if (done < start)
            fn(ctx, s + done, start - done, src0 + done, -1);
        fn(ctx, s + start, stop - start, src0 + start, idx);
        done = stop;
        if (i < stop)
            i = stop;
    }
    if (done < n)
        fn(ctx, s + done, n - done, src0 + done, -1);
}
