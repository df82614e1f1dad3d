/* SPDX-License-Identifier: Apache-2.0 */
/* test_tok_golden.c - every golden vector of the six real tokenizer families
 * (tests/data/tokenizers/<family>/golden*.jsonl, produced by the Rust
 * `tokenizers` library through its npm binding): encode with and without
 * special tokens, decode with and without skip_special_tokens, re-encode of
 * decoded text, and the pre-tokenizer's pieces with their char offsets. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"
#include "tokenizer/tokenizer.h"

/* One tokenizer and its vector files (relative to $SB_TEST_DATA/tokenizers);
 * extra: golden_extra.jsonl (tests/diff/make_extra.mjs: long texts for the
 * word-cut and cache fast paths). */
typedef struct gcase {
    const char *tok, *enc, *dec, *pre, *extra, *pair;
} gcase;

#define FAMILY(f, extra)                                                                           \
    {                                                                                              \
        f, f "/golden.jsonl", f "/golden_decode.jsonl", f "/golden_pretok.jsonl", extra, NULL      \
    }
#define SMALL(f)                                                                                   \
    {                                                                                              \
        "small/" f ".json", "small/" f ".golden.jsonl", "small/" f ".golden_decode.jsonl", NULL,   \
            NULL, NULL                                                                             \
    }
/* ... with pair vectors (small/NAME.golden_pair.jsonl: text, text_pair) */
#define SMALL_PAIR(f)                                                                              \
    {                                                                                              \
        "small/" f ".json", "small/" f ".golden.jsonl", "small/" f ".golden_decode.jsonl", NULL,   \
            NULL, "small/" f ".golden_pair.jsonl"                                                  \
    }
/* clang-format off */
static const gcase CASES[] = {
    FAMILY("gpt2", NULL),
    FAMILY("qwen3", "qwen3/golden_extra.jsonl"),
    FAMILY("llama3", "llama3/golden_extra.jsonl"),
    FAMILY("deepseek_v3", NULL),
    {"mistral", "mistral/golden.jsonl", "mistral/golden_decode.jsonl", NULL,
     "mistral/golden_extra.jsonl", NULL},
    FAMILY("gemma3", "gemma3/golden_extra.jsonl"),
    SMALL_PAIR("bert_wordpiece"),
    SMALL_PAIR("unigram_metaspace"),
    SMALL("unigram_plain"),
    SMALL_PAIR("bpe_suffix"),
    SMALL("bpe_prefix_split"),
    SMALL("wordlevel_ctc"),
    SMALL_PAIR("bytelevel_prefix"),
    SMALL_PAIR("unigram_nmt"),
    SMALL("unigram_precompiled"),
    {"small/unigram_scripts.json", "small/unigram_scripts.golden.jsonl",
     "small/unigram_scripts.golden_decode.jsonl", "small/unigram_scripts.golden_pretok.jsonl", NULL,
     NULL},
};
/* clang-format on */

static tok *load_case(const gcase *c)
{
    char rel[128];
    snprintf(rel, sizeof rel, "tokenizers/%s", c->tok);
    char *dir = tu_data_path(rel);
    sb_err err = {{0}};
    tok *t = tok_load_compat(dir, TOK_COMPAT_TOKENIZERS, &err); /* golden = Rust library */
    if (!t)
        print_error("%s\n", err.msg);
    assert_non_null(t);
    free(dir);
    return t;
}

/* Calls fn for every JSON line of tests/data/tokenizers/<fam>/<file>. */
static size_t each_line(const char *file, void (*fn)(const tok *, json_t *, size_t *), const tok *t,
                        size_t *bad)
{
    char rel[160];
    snprintf(rel, sizeof rel, "tokenizers/%s", file);
    char *path = tu_data_path(rel);
    sb_buf b;
    sb_buf_init(&b);
    assert_int_equal(tu_read_file(path, &b), 0);
    size_t lines = 0;
    for (char *p = b.data; p && *p;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_error_t je;
        json_t *j = json_loadb(p, n, JSON_ALLOW_NUL, &je);
        assert_non_null(j);
        fn(t, j, bad);
        json_decref(j);
        lines++;
        p = nl ? nl + 1 : NULL;
    }
    sb_buf_free(&b);
    free(path);
    return lines;
}

static bool ids_match(const tok_ids *ids, json_t *arr)
{
    if (ids->n != json_array_size(arr))
        return false;
    for (size_t i = 0; i < ids->n; i++)
        if (ids->v[i] != json_integer_value(json_array_get(arr, i)))
            return false;
    return true;
}

static void report(size_t *bad, const char *what, const char *text, size_t len)
{
    if ((*bad)++ < 5)
        print_message("  mismatch (%s) on: %.*s\n", what, (int)(len > 120 ? 120 : len), text);
}

static void check_encode(const tok *t, json_t *j, size_t *bad)
{
    json_t *jt = json_object_get(j, "text");
    const char *text = json_string_value(jt);
    size_t len = json_string_length(jt);
    for (int special = 0; special < 2; special++) {
        tok_ids ids;
        tok_ids_init(&ids);
        assert_int_equal(tok_encode(t, text, len, special, &ids, NULL), 0);
        if (!ids_match(&ids, json_object_get(j, special ? "ids_special" : "ids")))
            report(bad, special ? "ids_special" : "ids", text, len);
        tok_ids_free(&ids);
    }
}

/* text + text_pair, both special-token modes. */
static void check_pair(const tok *t, json_t *j, size_t *bad)
{
    json_t *ja = json_object_get(j, "text"), *jb = json_object_get(j, "text_pair");
    for (int special = 0; special < 2; special++) {
        tok_ids ids;
        tok_ids_init(&ids);
        assert_int_equal(tok_encode_pair(t, json_string_value(ja), json_string_length(ja),
                                         json_string_value(jb), json_string_length(jb), special,
                                         &ids, NULL),
                         0);
        if (!ids_match(&ids, json_object_get(j, special ? "ids_special" : "ids")))
            report(bad, special ? "pair ids_special" : "pair ids", json_string_value(ja),
                   json_string_length(ja));
        tok_ids_free(&ids);
    }
}

static void check_decode(const tok *t, json_t *j, size_t *bad)
{
    json_t *arr = json_object_get(j, "ids");
    size_t n = json_array_size(arr);
    int32_t *ids = malloc((n + 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = (int32_t)json_integer_value(json_array_get(arr, i));
    for (int skip = 0; skip < 2; skip++) {
        json_t *want = json_object_get(j, skip ? "text_skip" : "text");
        sb_buf out;
        sb_buf_init(&out);
        assert_int_equal(tok_decode(t, ids, n, skip, &out, NULL), 0);
        if (out.len != json_string_length(want) ||
            memcmp(out.data, json_string_value(want), out.len) != 0)
            report(bad, skip ? "text_skip" : "text", out.data, out.len);
        if (!skip && json_object_get(j, "reencoded")) {
            tok_ids re;
            tok_ids_init(&re);
            tok_encode(t, out.data, out.len, false, &re, NULL);
            if (!ids_match(&re, json_object_get(j, "reencoded")))
                report(bad, "reencoded", out.data, out.len);
            tok_ids_free(&re);
        }
        sb_buf_free(&out);
    }
    free(ids);
}

static void check_pretok(const tok *t, json_t *j, size_t *bad)
{
    json_t *jt = json_object_get(j, "text");
    const char *text = json_string_value(jt);
    size_t len = json_string_length(jt);
    json_t *want = json_object_get(j, "pieces");
    tok_scratch sc;
    tok_scratch_init(&sc, t);
    tok_pretokenize(t, text, len, &sc);
    bool ok = sc.a.n == json_array_size(want);
    for (size_t i = 0; ok && i < sc.a.n; i++) {
        const tok_piece *pc = &sc.a.v[i];
        sb_buf s;
        sb_buf_init(&s);
        if (pc->bytelevel)
            for (size_t k = 0; k < pc->len; k++)
                tok_buf_put_cp(&s, t->model.bl_cp[(uint8_t)sc.a.buf.data[pc->off + k]]);
        else
            sb_buf_append(&s, sc.a.buf.data + pc->off, pc->len);
        json_t *w = json_array_get(want, i);
        json_t *ws = json_array_get(w, 0);
        ok =
            s.len == json_string_length(ws) && memcmp(s.data, json_string_value(ws), s.len) == 0 &&
            (json_int_t)tok_utf8_count(text, pc->src) == json_integer_value(json_array_get(w, 1)) &&
            (json_int_t)tok_utf8_count(text, pc->src_end) ==
                json_integer_value(json_array_get(w, 2));
        sb_buf_free(&s);
    }
    if (!ok)
        report(bad, "pieces", text, len);
    tok_scratch_free(&sc);
}

static void run_file(const tok *t, const char *file, void (*fn)(const tok *, json_t *, size_t *))
{
    if (!file)
        return;
    size_t bad = 0;
    size_t lines = each_line(file, fn, t, &bad);
    print_message("%s: %zu lines, %zu mismatches\n", file, lines, bad);
    assert_true(lines > 0);
    assert_int_equal(bad, 0);
}

/* Encode (both special-token modes), decode (both skip modes) + re-encode,
 * and pre-tokenizer pieces, all against the Rust library's answers. */
static void golden_vectors_match_hf(void **state)
{
    const gcase *c = *state;
    tok *t = load_case(c);
    run_file(t, c->enc, check_encode);
    run_file(t, c->dec, check_decode);
    run_file(t, c->pre, check_pretok);
    run_file(t, c->extra, check_encode);
    run_file(t, c->pair, check_pair);
    tok_free(t);
}

int main(void)
{
    struct CMUnitTest tests[sizeof CASES / sizeof *CASES];
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++)
        tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(golden_vectors_match_hf,
                                                                (void *)&CASES[i]);
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++)
        tests[i].name = CASES[i].tok; /* one named test per tokenizer */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
