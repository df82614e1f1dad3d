/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_tok_chunk.c - libFuzzer target for the tokenizer's shortcuts: they
 * must give exactly the ids of the plain path (tokenizer.h promises it).
 *
 * Byte 0 picks the check:
 *  - text (even): the rest, used as is or made valid UTF-8 by the lossy
 *    repair, and optionally repeated to a few KiB (so chunk cuts exist and
 *    chunks recur), is encoded with a tok_ctx that has tok_ctx_cache +
 *    tok_ctx_chunks and with a plain one; the ids must be equal. The fast
 *    context lives across inputs with small budgets, so its caches fill,
 *    get dropped and refill as in a long run.
 *  - window (odd): the rest, read as 16-bit values, gives a small list of
 *    ids below tok_vocab_size, repeated into a cycle; tok_window ranges of
 *    it must equal decode + plain encode, and the cuts it reports must be
 *    ascending and inside the ids.
 * A difference abort()s. The tokenizer is qwen3 from tests/data
 * (FUZZ_TOKENIZER overrides; run from the source root):
 *   build-fuzz/tests/fuzz/fuzz_tok_chunk -max_total_time=60 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"
#include "tokenizer/tokenizer.h"

static tok *g_tok;
static tok_ctx *g_fast, *g_plain;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *spec = getenv("FUZZ_TOKENIZER");
    sb_err err;
    g_tok = tok_load(spec ? spec : "tests/data/tokenizers/qwen3", &err);
    if (!g_tok) {
        fprintf(stderr, "fuzz_tok_chunk: %s (run from the source root)\n", err.msg);
        abort();
    }
    g_fast = tok_ctx_new(g_tok);
    g_plain = tok_ctx_new(g_tok);
    tok_ctx_cache(g_fast, 64u << 10);
    tok_ctx_chunks(g_fast, 64u << 10);
    return 0;
}

static void same_or_die(const tok_ids *a, const tok_ids *b, const char *what)
{
    if (a->n != b->n || (a->n && memcmp(a->v, b->v, a->n * sizeof *a->v) != 0)) {
        fprintf(stderr, "fuzz_tok_chunk: %s: %zu ids vs %zu plain\n", what, a->n, b->n);
        abort();
    }
}

static void check_text(unsigned mode, const unsigned char *d, size_t n)
{
    sb_buf text;
    sb_buf_init(&text);
    if (mode & 2)
        tok_utf8_lossy(&text, (const char *)d, n);
    else
        sb_buf_append(&text, d, n);
    if ((mode & 4) && text.len) {
        size_t one = text.len; /* copied: appending may move text.data */
        char *piece = malloc(one);
        memcpy(piece, text.data, one);
        while (text.len < 4096)
            sb_buf_append(&text, piece, one);
        free(piece);
    }
    bool special = mode & 8;
    tok_ids a, b;
    tok_ids_init(&a);
    tok_ids_init(&b);
    sb_err err;
    int ra = tok_encode_ctx(g_tok, g_fast, text.data ? text.data : "", text.len, special, &a, &err);
    int rb =
        tok_encode_ctx(g_tok, g_plain, text.data ? text.data : "", text.len, special, &b, &err);
    if (ra != rb)
        abort();
    same_or_die(&a, &b, "chunked + cached encode");
    tok_ids_free(&a);
    tok_ids_free(&b);
    sb_buf_free(&text);
}

/* One range [s, e) of the window against decode + plain encode. */
static void check_range(const tok_window *w, const int32_t *cyc, size_t s, size_t e)
{
    tok_ids a, b, cuts;
    tok_ids_init(&a);
    tok_ids_init(&b);
    tok_ids_init(&cuts);
    sb_buf text, scratch;
    sb_buf_init(&text);
    sb_buf_init(&scratch);
    sb_err err;
    if (tok_window_encode(w, g_fast, s, e, &a, &cuts, &scratch, &err) != 0 ||
        tok_decode(g_tok, cyc + s, e - s, false, &text, &err) != 0 ||
        tok_encode_ctx(g_tok, g_plain, text.data ? text.data : "", text.len, false, &b, &err) != 0)
        abort(); /* in-range ids never fail */
    same_or_die(&a, &b, "tok_window range");
    for (size_t i = 0; i < cuts.n; i++)
        if (cuts.v[i] < 0 || (size_t)cuts.v[i] >= a.n || (i && cuts.v[i] <= cuts.v[i - 1]))
            abort();
    tok_ids_free(&a);
    tok_ids_free(&b);
    tok_ids_free(&cuts);
    sb_buf_free(&text);
    sb_buf_free(&scratch);
}

static void check_window(const unsigned char *d, size_t n)
{
    size_t m = n / 2, V = tok_vocab_size(g_tok);
    if (m == 0 || V == 0)
        return;
    if (m > 96)
        m = 96;         /* small, so that many cycles run a second */
    size_t len = m * 8; /* the cycle, repeated */
    int32_t *cyc = malloc(len * sizeof *cyc);
    for (size_t i = 0; i < m; i++)
        cyc[i] = (int32_t)(((size_t)d[2 * i] << 8 | d[2 * i + 1]) * 2654435761u % V);
    for (size_t i = m; i < len; i++)
        cyc[i] = cyc[i - m];
    sb_err err;
    tok_window *w = tok_window_new(g_tok, g_fast, cyc, len, &err);
    if (w) {
        /* a few ranges: every start of the first cycle, lengths from the input */
        for (size_t s = 0; s < m && s < 8; s++) {
            size_t l = 1 + (size_t)d[(2 * s) % n] * 7 % (len - s);
            check_range(w, cyc, s, s + l);
        }
        check_range(w, cyc, 0, len);
        tok_window_free(w);
    }
    free(cyc);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        check_window(data + 1, size - 1);
    else
        check_text(data[0], data + 1, size - 1);
    return 0;
}
