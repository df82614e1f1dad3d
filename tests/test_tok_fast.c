/* test_tok_fast.c - the tokenizer's shortcuts give the same output as the
 * plain path: the normalizers' copy-through of stretches that cannot change
 * (against utf8proc over the whole run, which is what they replaced), and the
 * large piece cache (against encoding without it, for real tokenizers and a
 * budget small enough to be dropped and refilled many times). */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

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
            utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s + from,
                                              (utf8proc_ssize_t)(i - from), &d,
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
        {0x20, 0x7e},     {0x300, 0x36f},   {0x1100, 0x1112}, {0x1161, 0x1175},
        {0x11a7, 0x11c2}, {0xac00, 0xac40}, {0xbb8, 0xbd7},   {0xc80, 0xcd6},
        {0xd00, 0xd57},   {0x1b00, 0x1b44}, {0x4e00, 0x4e40}, {0xc0, 0x17f},
        {0x370, 0x3ff},   {0x1e00, 0x1eff}, {0x1f00, 0x1fff}, {0x2000, 0x2100},
        {0xf900, 0xfaff}, {0xfb00, 0xfb4f}, {0x7fd, 0x8d3},   {0x11100, 0x11134},
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
        {"\xe4\xb8\x80" "cafe\xcc\x81!", "\xe4\xb8\x80" "caf\xc3\xa9!"}, /* e + acute */
        {"\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8", "\xea\xb0\x81"},       /* L V T -> one syllable */
        {"\xe0\xaf\x86\xe0\xae\xbe", "\xe0\xaf\x8a"},                   /* Tamil two-part vowel */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(norm_copy_through_matches_utf8proc),
        cmocka_unit_test(nfc_composes_across_ascii_and_hangul),
        cmocka_unit_test(piece_cache_gives_plain_ids),
        cmocka_unit_test(piece_cache_keys_on_bytes_and_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
