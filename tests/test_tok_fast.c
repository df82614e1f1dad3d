/* SPDX-License-Identifier: Apache-2.0 */
/* test_tok_fast.c - the tokenizer's shortcuts give the same output as the
 * plain path: the normalizers' copy-through of stretches that cannot change
 * (against utf8proc over the whole run, which is what they replaced), and the
 * large piece cache (against encoding without it, for real tokenizers and a
 * budget small enough to be dropped and refilled many times), the chunk and
 * sub-piece caches (tok_chunk.c, tok_bpe_long.c) against encoding without
 * any cache, and the ByteLevel decode table against the decoder chain; and
 * the gzip reader's cap on what a tokenizer file may inflate to. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <zlib.h>

#include "tokenizer/tok_internal.h"
#include "tokenizer/tok_unicode.h"
#include "tokenizer/tokenizer.h"

/* The previous normalizer: utf8proc over each run between chars HF lacks. */
static void whole_run(const char *s, size_t n, sb_buf *out, int opts)
{
    size_t from = 0;
    for (size_t i = 0; i <= n;) {
        uint32_t cp = 0;
        size_t l = i < n ? tok_utf8_next(s + i, n - i, &cp) : 0;
        if (i == n || tok_unicode_nfc_unknown(cp)) {
            utf8proc_uint8_t *d = NULL;
            utf8proc_ssize_t r =
                utf8proc_map((const utf8proc_uint8_t *)s + from, (utf8proc_ssize_t)(i - from), &d,
                             (utf8proc_option_t)(UTF8PROC_STABLE | opts));
            assert_true(r >= 0);
            sb_buf_append(out, d, (size_t)r);
            free(d);
            sb_buf_append(out, s + i, l);
            from = i + l;
        }
        if (i == n)
            break;
        i += l;
    }
}

/* xorshift32: the same sequence everywhere (rand_r is POSIX-only). */
static unsigned next_rand(unsigned *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s >> 1;
}

/* Chars from ranges where composition, reordering and decomposition happen:
 * marks, Hangul jamo and syllables, Indic two-part vowels, compat forms. */
static uint32_t tricky_char(unsigned *seed)
{
    static const uint32_t pool[][2] = {
        {0x20, 0x7e},     {0x300, 0x36f},   {0x1100, 0x1112},  {0x1161, 0x1175}, {0x11a7, 0x11c2},
        {0xac00, 0xac40}, {0xbb8, 0xbd7},   {0xc80, 0xcd6},    {0xd00, 0xd57},   {0x1b00, 0x1b44},
        {0x4e00, 0x4e40}, {0xc0, 0x17f},    {0x370, 0x3ff},    {0x1e00, 0x1eff}, {0x1f00, 0x1fff},
        {0x2000, 0x2100}, {0xf900, 0xfaff}, {0xfb00, 0xfb4f},  {0x7fd, 0x8d3},   {0x11100, 0x11134},
        {0x3040, 0x30ff}, {0xff00, 0xffef}, {0x1f000, 0x1f6ff}};
    size_t k = (size_t)next_rand(seed) % (sizeof pool / sizeof *pool);
    return pool[k][0] + (uint32_t)next_rand(seed) % (pool[k][1] - pool[k][0] + 1);
}

static void check_form(const char *name, int opts)
{
    char js[64];
    snprintf(js, sizeof js, "{\"type\":\"%s\"}", name);
    json_t *j = json_loads(js, 0, NULL);
    sb_err err;
    tok_norm *nm = tok_norm_parse(j, "normalizer", &err);
    assert_non_null(nm);
    tok_scratch sc;
    memset(&sc, 0, sizeof sc);
    sc.md = tok_rematch_new();
    unsigned seed = 7;
    sb_buf got, want;
    sb_buf_init(&got);
    sb_buf_init(&want);
    for (int it = 0; it < 40000; it++) {
        char s[16 * 4];
        size_t n = 0;
        for (int q = 1 + next_rand(&seed) % 14; q > 0; q--)
            n += tok_utf8_put(s + n, tricky_char(&seed));
        sb_buf_reset(&got);
        sb_buf_reset(&want);
        tok_norm_apply(nm, s, n, &got, &sc);
        whole_run(s, n, &want, opts);
        if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0)
            fail_msg("%s differs on string %d (%zu bytes)", name, it, n);
    }
    sb_buf_free(&got);
    sb_buf_free(&want);
    tok_rematch_free(sc.md);
    tok_norm_free(nm);
    json_decref(j);
}

static void norm_copy_through_matches_utf8proc(void **state)
{
    (void)state;
    check_form("NFC", UTF8PROC_COMPOSE);
    check_form("NFD", UTF8PROC_DECOMPOSE);
    check_form("NFKC", UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    check_form("NFKD", UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
}

static void nfc_composes_across_ascii_and_hangul(void **state)
{
    (void)state;
    json_t *j = json_loads("{\"type\":\"NFC\"}", 0, NULL);
    sb_err err;
    tok_norm *nm = tok_norm_parse(j, "normalizer", &err);
    assert_non_null(nm);
    tok_scratch sc;
    memset(&sc, 0, sizeof sc);
    static const char *cases[][2] = {
        {"\xe4\xb8\x80"
         "cafe\xcc\x81!",
         "\xe4\xb8\x80"
         "caf\xc3\xa9!"},                                         /* e + acute */
        {"\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8", "\xea\xb0\x81"}, /* L V T -> one syllable */
        {"\xe0\xaf\x86\xe0\xae\xbe", "\xe0\xaf\x8a"},             /* Tamil two-part vowel */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sb_buf out;
        sb_buf_init(&out);
        tok_norm_apply(nm, cases[i][0], strlen(cases[i][0]), &out, &sc);
        assert_int_equal(out.len, strlen(cases[i][1]));
        assert_memory_equal(out.data, cases[i][1], out.len);
        sb_buf_free(&out);
    }
    tok_norm_free(nm);
    json_decref(j);
}

/* Windows of consecutive ids, as the random dataset builds them. */
static void check_cache(const char *family, size_t budget)
{
    char *path = tu_data_path(family);
    sb_err err;
    tok *t = tok_load(path, &err);
    assert_non_null(t);
    tok_ctx *cached = tok_ctx_new(t), *plain = tok_ctx_new(t);
    tok_ctx_cache(cached, budget);
    size_t V = tok_vocab_size(t);
    unsigned seed = 11;
    sb_buf text;
    sb_buf_init(&text);
    tok_ids a, b;
    tok_ids_init(&a);
    tok_ids_init(&b);
    int32_t ids[400];
    for (int r = 0; r < 120; r++) {
        size_t off = (size_t)next_rand(&seed) % V;
        for (size_t j = 0; j < 400; j++)
            ids[j] = (int32_t)((off + j * (r % 3 == 2 ? 7 : 1)) % V);
        sb_buf_reset(&text);
        assert_int_equal(tok_decode(t, ids, 400, false, &text, &err), 0);
        for (int round = 0; round < 2; round++) {
            a.n = b.n = 0;
            assert_int_equal(tok_encode_ctx(t, cached, text.data, text.len, false, &a, &err), 0);
            assert_int_equal(tok_encode_ctx(t, plain, text.data, text.len, false, &b, &err), 0);
            assert_int_equal(a.n, b.n);
            assert_memory_equal(a.v, b.v, a.n * sizeof *a.v);
        }
    }
    tok_ids_free(&a);
    tok_ids_free(&b);
    sb_buf_free(&text);
    tok_ctx_free(cached);
    tok_ctx_free(plain);
    tok_free(t);
    free(path);
}

static void piece_cache_gives_plain_ids(void **state)
{
    (void)state;
    check_cache("tokenizers/qwen3", 64u << 20);
    check_cache("tokenizers/qwen3", 1u << 20); /* dropped and refilled */
    check_cache("tokenizers/llama3", 1u << 20);
    check_cache("tokenizers/gemma3", 1u << 20);
}

static void piece_cache_keys_on_bytes_and_flag(void **state)
{
    (void)state;
    tok_pcache *c = tok_pcache_new(1u << 20);
    int32_t one[] = {5}, two[] = {6, 7};
    size_t n = 0;
    assert_null(tok_pcache_get(c, "ab", 2, true, &n));
    tok_pcache_put(c, "ab", 2, true, one, 1);
    tok_pcache_put(c, "ab", 2, false, two, 2);
    const int32_t *g = tok_pcache_get(c, "ab", 2, true, &n);
    assert_non_null(g);
    assert_int_equal(n, 1);
    assert_int_equal(g[0], 5);
    g = tok_pcache_get(c, "ab", 2, false, &n);
    assert_non_null(g);
    assert_int_equal(n, 2);
    assert_int_equal(g[1], 7);
    assert_null(tok_pcache_get(c, "a", 1, true, &n));
    assert_null(tok_pcache_get(c, "abc", 3, true, &n));
    char key[32];
    for (int i = 0; i < 200000; i++) { /* more than fits: the cache drops, never grows */
        int k = snprintf(key, sizeof key, "k%d", i);
        tok_pcache_put(c, key, (size_t)k, false, two, 2);
    }
    g = tok_pcache_get(c, "k199999", 7, false, &n);
    assert_non_null(g);
    assert_int_equal(n, 2);
    tok_pcache_free(c);
}

/* Text fragments that meet at chunk cuts in every way that matters: letters
 * of several scripts, spaces, marks after letters and after spaces, digits,
 * contractions, punctuation, newlines and long space-less CJK / Thai runs
 * (which take tok_bpe_long's path). */
static const char *const frags[] = {
    "the",
    " cat",
    "'s",
    "'LL",
    " ",
    "  ",
    "\n",
    "\r\n",
    "\t",
    "7",
    "42",
    "1234",
    ".",
    ",",
    "!?",
    " (",
    ")",
    "\xcc\x81",
    "e\xcc\x81",
    " \xcc\x81",
    "\xd0\xbf\xd1\x80\xd0\xb8",
    " \xd0\xbc\xd0\xb8\xd1\x80",
    "\xce\xb1\xce\xb2",
    " \xce\xb3",
    "\xe4\xb8\x80\xe4\xba\x8c\xe4\xb8\x89\xe5\x9b\x9b\xe4\xba\x94\xe5\x85\xad\xe4\xb8\x83",
    "\xe3\x82\xab\xe3\x82\xbf\xe3\x83\xbb\xe3\x83\xbc",
    "\xe0\xb8\x81\xe0\xb8\xb2\xe0\xb8\xa3\xe0\xb8\x9e",
    "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4",
    "\xe1\x84\x80\xe1\x85\xa1",
    "\xef\xbc\x8c",
    "\xe3\x80\x82",
    "\xc2\xa0",
    "\xe2\x80\x83",
    "x",
    " y",
    "Z",
    "<think>",
    "<|im_start|>",
    "\xe2\x96\x81",
    "\xf0\x9f\x98\x80",
    "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7",
    " \xd8\xa7",
    "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d",
};

/* A random text of fragments; long space-less runs now and then. */
static void random_text(unsigned *seed, sb_buf *out)
{
    size_t nf = sizeof frags / sizeof *frags;
    int n = 50 + (int)(next_rand(seed) % 600);
    for (int i = 0; i < n; i++) {
        const char *f = frags[next_rand(seed) % nf];
        int rep = next_rand(seed) % 9 == 0 ? 2 + (int)(next_rand(seed) % 40) : 1;
        while (rep--)
            sb_buf_puts(out, f);
    }
}

static void expect_same(const tok *t, tok_ctx *fast, tok_ctx *plain, const sb_buf *text, tok_ids *a,
                        tok_ids *b, const char *what, int it)
{
    sb_err err;
    a->n = b->n = 0;
    assert_int_equal(tok_encode_ctx(t, fast, text->data, text->len, false, a, &err), 0);
    assert_int_equal(tok_encode_ctx(t, plain, text->data, text->len, false, b, &err), 0);
    if (a->n != b->n || memcmp(a->v, b->v, a->n * sizeof *a->v) != 0)
        fail_msg("%s: chunked encode differs from the plain one (%s %d, %zu bytes)", t->path, what,
                 it, text->len);
}

/* Random-dataset windows (and their cut and extended re-encodes) and
 * adversarial texts: chunked + cached == plain, with budgets small enough
 * that the caches are dropped and refilled. */
static void check_chunks(const char *family, bool eligible, size_t budget)
{
    char *path = tu_data_path(family);
    sb_err err;
    tok *t = tok_load(path, &err);
    assert_non_null(t);
    assert_int_equal(t->chunk_ok, eligible);
    tok_ctx *fast = tok_ctx_new(t), *plain = tok_ctx_new(t);
    tok_ctx_cache(fast, budget);
    tok_ctx_chunks(fast, budget);
    size_t V = tok_vocab_size(t);
    unsigned seed = 23;
    sb_buf text;
    sb_buf_init(&text);
    tok_ids a, b;
    tok_ids_init(&a);
    tok_ids_init(&b);
    int32_t ids[1200];
    for (int r = 0; r < 150; r++) {
        size_t off = (size_t)next_rand(&seed) % V, n = 300 + next_rand(&seed) % 900;
        for (size_t j = 0; j < n; j++)
            ids[j] = (int32_t)((off + j) % V);
        sb_buf_reset(&text);
        assert_int_equal(tok_decode(t, ids, n, false, &text, &err), 0);
        expect_same(t, fast, plain, &text, &a, &b, "window", r);
        /* the dataset's later rounds: the re-encode cut short, or extended */
        size_t cut = a.n * 3 / 4;
        sb_buf_reset(&text);
        assert_int_equal(tok_decode(t, a.v, cut, false, &text, &err), 0);
        expect_same(t, fast, plain, &text, &a, &b, "cut window", r);
    }
    for (int r = 0; r < 400; r++) {
        sb_buf_reset(&text);
        random_text(&seed, &text);
        expect_same(t, fast, plain, &text, &a, &b, "text", r);
    }
    tok_ids_free(&a);
    tok_ids_free(&b);
    sb_buf_free(&text);
    tok_ctx_free(fast);
    tok_ctx_free(plain);
    tok_free(t);
    free(path);
}

static void chunk_caches_give_plain_ids(void **state)
{
    (void)state;
    check_chunks("tokenizers/qwen3", true, 64u << 20);
    check_chunks("tokenizers/qwen3", true, 1u << 20);
    check_chunks("tokenizers/llama3", true, 1u << 20);
    check_chunks("tokenizers/gpt2", true, 1u << 20);
    check_chunks("tokenizers/deepseek_v3", true, 1u << 20);
    check_chunks("tokenizers/gemma3", false, 1u << 20);
    check_chunks("tokenizers/mistral", false, 1u << 20);
}

/* The decode table against the decoder chain on the same token strings. */
static void check_decode_table(const char *family)
{
    char *path = tu_data_path(family);
    sb_err err;
    tok *t = tok_load(path, &err);
    assert_non_null(t);
    assert_non_null(t->dec_blob);
    unsigned seed = 5;
    int32_t ids[300];
    const char *toks[300];
    sb_buf got, want;
    sb_buf_init(&got);
    sb_buf_init(&want);
    for (int r = 0; r < 300; r++) {
        size_t n = 1 + next_rand(&seed) % 300;
        bool skip = r % 2;
        size_t k = 0;
        for (size_t j = 0; j < n; j++) {
            ids[j] = (int32_t)(next_rand(&seed) % t->n_total);
            if (r % 5 == 0 && t->n_added && j % 7 == 0) /* added and special tokens */
                ids[j] = t->added[next_rand(&seed) % t->n_added].id;
            int32_t ai = t->added_by_id[ids[j]];
            const char *s = ai >= 0 ? (skip && t->added[ai].special ? NULL
                                       : t->added[ai].dec           ? t->added[ai].dec
                                                                    : t->added[ai].content)
                                    : t->model.id_tok[ids[j]];
            if (s)
                toks[k++] = s;
        }
        sb_buf_reset(&got);
        sb_buf_reset(&want);
        assert_int_equal(tok_decode(t, ids, n, skip, &got, &err), 0);
        tok_decoder_run(t->dec, toks, k, &want);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.data, want.data, got.len);
    }
    sb_buf_free(&got);
    sb_buf_free(&want);
    tok_free(t);
    free(path);
}

static void decode_table_matches_decoder(void **state)
{
    (void)state;
    check_decode_table("tokenizers/qwen3");
    check_decode_table("tokenizers/gpt2");
}

/* tok_window ranges of a vocabulary cycle == decode + plain encode of the
 * same ids, and every cut it reports splices exactly. */
static void check_window(const char *family)
{
    char *path = tu_data_path(family);
    sb_err err;
    /* the bare library: under transformers' decode clean-up (llama3) there
     * is no window (window_off_under_cleanup) */
    tok *t = tok_load_compat(path, TOK_COMPAT_TOKENIZERS, &err);
    assert_non_null(t);
    size_t V = tok_vocab_size(t), n = V + 1500;
    int32_t *cyc = malloc(n * sizeof *cyc);
    size_t m = 0;
    for (size_t id = 0; id < V; id++)
        if (t->added_by_id[id] < 0)
            cyc[m++] = (int32_t)id;
    for (size_t k = m; k < n; k++)
        cyc[k] = cyc[k - m];
    tok_ctx *ctx = tok_ctx_new(t), *plain = tok_ctx_new(t);
    tok_ctx_chunks(ctx, 1u << 20);
    tok_window *w = tok_window_new(t, ctx, cyc, n, &err);
    assert_non_null(w);
    unsigned seed = 41;
    sb_buf text, scratch;
    sb_buf_init(&text);
    sb_buf_init(&scratch);
    tok_ids a, b, cuts, tail;
    tok_ids_init(&a);
    tok_ids_init(&b);
    tok_ids_init(&cuts);
    tok_ids_init(&tail);
    for (int r = 0; r < 300; r++) {
        size_t s = (size_t)next_rand(&seed) % m, len = 1 + next_rand(&seed) % 1400;
        a.n = b.n = cuts.n = 0;
        assert_int_equal(tok_window_encode(w, ctx, s, s + len, &a, &cuts, &scratch, &err), 0);
        sb_buf_reset(&text);
        assert_int_equal(tok_decode(t, cyc + s, len, false, &text, &err), 0);
        assert_int_equal(tok_encode_ctx(t, plain, text.data, text.len, false, &b, &err), 0);
        if (a.n != b.n || memcmp(a.v, b.v, a.n * sizeof *a.v) != 0)
            fail_msg("%s: window [%zu, +%zu) differs from decode + encode", family, s, len);
        /* splice at a reported cut: the rest cut short by a quarter */
        if (cuts.n == 0)
            continue;
        size_t k = (size_t)cuts.v[next_rand(&seed) % cuts.n], end = k + (a.n - k) * 3 / 4 + 1;
        assert_true(k < a.n);
        if (end > a.n)
            end = a.n;
        sb_buf_reset(&text);
        assert_int_equal(tok_decode(t, a.v, end, false, &text, &err), 0);
        b.n = 0;
        assert_int_equal(tok_encode_ctx(t, plain, text.data, text.len, false, &b, &err), 0);
        sb_buf_reset(&text);
        assert_int_equal(tok_decode(t, a.v + k, end - k, false, &text, &err), 0);
        tail.n = 0;
        assert_int_equal(tok_encode_ctx(t, plain, text.data, text.len, false, &tail, &err), 0);
        assert_int_equal(b.n, k + tail.n);
        assert_memory_equal(b.v, a.v, k * sizeof *a.v);
        assert_memory_equal(b.v + k, tail.v, tail.n * sizeof *tail.v);
    }
    tok_ids_free(&a);
    tok_ids_free(&b);
    tok_ids_free(&cuts);
    tok_ids_free(&tail);
    sb_buf_free(&text);
    sb_buf_free(&scratch);
    tok_window_free(w);
    tok_ctx_free(ctx);
    tok_ctx_free(plain);
    free(cyc);
    tok_free(t);
    free(path);
}

static void window_ranges_give_plain_ids(void **state)
{
    (void)state;
    check_window("tokenizers/qwen3");
    check_window("tokenizers/llama3");
    check_window("tokenizers/gpt2");
    check_window("tokenizers/deepseek_v3");
}

/* transformers' clean-up can join text across a cut, so a tokenizer that
 * cleans up gives no window and reports no cuts. */
static void window_off_under_cleanup(void **state)
{
    (void)state;
    char *path = tu_data_path("tokenizers/llama3");
    sb_err err;
    tok *t = tok_load(path, &err);
    assert_non_null(t);
    assert_true(tok_cleans_up(t));
    int32_t ids[4] = {9906, 1174, 1917, 13};
    tok_ctx *ctx = tok_ctx_new(t);
    tok_ctx_chunks(ctx, 1u << 20);
    assert_null(tok_window_new(t, ctx, ids, 4, &err));
    sb_buf text;
    sb_buf_init(&text);
    unsigned x = 7; /* varied words, so the chunker finds its cuts */
    for (int i = 0; i < 3000; i++) {
        int len = 2 + (int)((x >> 16) % 6);
        for (int k = 0; k < len; k++) {
            x = x * 1103515245u + 12345u;
            sb_buf_putc(&text, (char)('a' + (x >> 16) % 26));
        }
        sb_buf_puts(&text, i % 7 == 3 ? " , " : " ");
    }
    tok_ids out, cuts;
    tok_ids_init(&out);
    tok_ids_init(&cuts);
    assert_int_equal(tok_encode_ctx_cuts(t, ctx, text.data, text.len, &out, &cuts, &err), 0);
    assert_true(out.n > 1000);
    assert_int_equal(cuts.n, 0);
    /* the same text under the bare library is cut */
    tok *raw = tok_load_compat(path, TOK_COMPAT_TOKENIZERS, &err);
    assert_non_null(raw);
    tok_ctx *rctx = tok_ctx_new(raw);
    tok_ctx_chunks(rctx, 1u << 20);
    tok_ids rout;
    tok_ids_init(&rout);
    assert_int_equal(tok_encode_ctx_cuts(raw, rctx, text.data, text.len, &rout, &cuts, &err), 0);
    assert_true(cuts.n > 0);
    assert_int_equal(rout.n, out.n);
    assert_memory_equal(rout.v, out.v, out.n * sizeof *out.v);
    tok_ids_free(&rout);
    tok_ctx_free(rctx);
    tok_free(raw);
    tok_ids_free(&out);
    tok_ids_free(&cuts);
    sb_buf_free(&text);
    tok_ctx_free(ctx);
    tok_free(t);
    free(path);
}

/* gzip of n zero bytes, as a gzip tokenizer.json would be compressed. */
static void gzip_zeros(size_t n, sb_buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    unsigned char *zeros = calloc(n, 1);
    assert_non_null(zeros);
    sb_buf_reserve(out, deflateBound(&z, (uLong)n));
    z.next_in = zeros;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->data;
    z.avail_out = (uInt)(out->cap - 1);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    out->len = z.total_out;
    deflateEnd(&z);
    free(zeros);
}

/* A small gzip file that inflates past the cap stops with a message instead
 * of growing without end; one under it inflates whole; a cut one is named. */
static void gunzip_is_capped(void **state)
{
    (void)state;
    sb_buf gz, out;
    sb_buf_init(&gz);
    sb_buf_init(&out);
    gzip_zeros((size_t)3 << 20, &gz);
    assert_true(gz.len < 16 << 10);
    sb_err err = {0};
    assert_int_equal(tok_gunzip("bomb.json.gz", &gz, (size_t)1 << 20, &out, &err), -1);
    assert_non_null(strstr(err.msg, "bomb.json.gz: gzip data inflates to more than 1 MiB"));
    assert_true(out.len <= (size_t)1 << 20);
    sb_buf_free(&out);
    sb_buf_init(&out);
    assert_int_equal(tok_gunzip("ok.json.gz", &gz, (size_t)4 << 20, &out, &err), 0);
    assert_int_equal(out.len, (size_t)3 << 20);
    sb_buf_free(&out);
    sb_buf_init(&out);
    gz.len /= 2;
    assert_int_equal(tok_gunzip("cut.json.gz", &gz, (size_t)4 << 20, &out, &err), -1);
    assert_non_null(strstr(err.msg, "cut.json.gz: corrupt gzip data"));
    sb_buf_free(&out);
    sb_buf_free(&gz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(norm_copy_through_matches_utf8proc),
        cmocka_unit_test(nfc_composes_across_ascii_and_hangul),
        cmocka_unit_test(piece_cache_gives_plain_ids),
        cmocka_unit_test(piece_cache_keys_on_bytes_and_flag),
        cmocka_unit_test(chunk_caches_give_plain_ids),
        cmocka_unit_test(decode_table_matches_decoder),
        cmocka_unit_test(window_ranges_give_plain_ids),
        cmocka_unit_test(window_off_under_cleanup),
        cmocka_unit_test(gunzip_is_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
