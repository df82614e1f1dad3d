/* SPDX-License-Identifier: Apache-2.0 */
/* test_tok_cache.c - the binary copy of a parsed tokenizer.json
 * (tokenizer/tok_cache.c) changes nothing but the load time: a tokenizer
 * loaded from the copy encodes, decodes and builds the random dataset exactly
 * as one parsed from the JSON with the cache off, for GPT-2 (gzip, ByteLevel
 * decode table) and Llama 3 (plain JSON); a copy that no longer fits its
 * tokenizer.json (other mtime, other bytes of the same size and mtime) or
 * is damaged (a flipped byte, cut short, another format) is not used and is
 * written anew; a racy copy settles; and with the cache off nothing is
 * written. Each test works in
 * its own temporary directory: a copy of the tokenizer files and a cache
 * directory named by SERVEBENCH_TOKENIZER_CACHE. */
#include "testutil.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "dataset/dataset.h"
#include "tokenizer/tok_internal.h"
#include "tokenizer/tokenizer.h"

typedef struct fx {
    char dir[64];    /* the temporary directory */
    char tokdir[96]; /* dir/tok: the tokenizer files */
    char cache[96];  /* dir/cache: SERVEBENCH_TOKENIZER_CACHE */
    char json[256];  /* the tokenizer.json (or .json.gz) in tokdir */
} fx;

static void copy_file(const char *from, const char *to)
{
    sb_buf b;
    sb_buf_init(&b);
    assert_int_equal(tu_read_file(from, &b), 0);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
    assert_int_equal(fclose(f), 0);
    sb_buf_free(&b);
}

/* A temporary copy of tests/data/tokenizers/<fam> (tokenizer files only),
 * its tokenizer.json uncompressed when plain. */
static fx *fx_new(const char *fam, bool plain)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sb_tokc_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->tokdir, sizeof f->tokdir, "%s/tok", f->dir);
    snprintf(f->cache, sizeof f->cache, "%s/cache", f->dir);
    assert_int_equal(mkdir(f->tokdir, 0755), 0);
    static const char *names[] = {"tokenizer.json", "tokenizer.json.gz", "tokenizer_config.json",
                                  "special_tokens_map.json"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char rel[128], to[256];
        snprintf(rel, sizeof rel, "tokenizers/%s/%s", fam, names[i]);
        char *from = tu_data_path(rel);
        if (access(from, R_OK) == 0) {
            snprintf(to, sizeof to, "%s/%s", f->tokdir, names[i]);
            copy_file(from, to);
            if (i < 2)
                snprintf(f->json, sizeof f->json, "%s", to);
        }
        free(from);
    }
    assert_true(f->json[0]);
    size_t jl = strlen(f->json);
    if (plain && jl > 3 && !strcmp(f->json + jl - 3, ".gz")) {
        char cmd[sizeof f->json + 16];
        snprintf(cmd, sizeof cmd, "gunzip '%s'", f->json);
        assert_int_equal(system(cmd), 0);
        f->json[jl - 3] = '\0';
    }
    setenv("SERVEBENCH_TOKENIZER_CACHE", f->cache, 1);
    return f;
}

static void fx_free(fx *f)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    unsetenv("SERVEBENCH_TOKENIZER_CACHE");
    free(f);
}

static tok *load(const fx *f)
{
    sb_err err = {{0}};
    tok *t = tok_load(f->tokdir, &err);
    if (!t)
        fail_msg("%s", err.msg);
    return t;
}

/* The tokenizer as parsed from the JSON, with the cache off. */
static tok *load_uncached(const fx *f)
{
    setenv("SERVEBENCH_TOKENIZER_CACHE", "off", 1);
    tok *t = load(f);
    assert_false(tok_from_cache(t));
    setenv("SERVEBENCH_TOKENIZER_CACHE", f->cache, 1);
    return t;
}

/* The one file in the cache directory, or "" when there is none. */
static void cache_file(const fx *f, char *out, size_t cap)
{
    sb_buf ls;
    sb_buf_init(&ls);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "ls '%s' 2>/dev/null", f->cache);
    tu_run(cmd, 0, &ls);
    out[0] = '\0';
    if (ls.len) {
        assert_null(memchr(ls.data, '\n', ls.len - 1)); /* one file */
        snprintf(out, cap, "%s/%.*s", f->cache, (int)ls.len - 1, ls.data);
    }
    sb_buf_free(&ls);
}

static const char *texts[] = {
    "Hello world! The quick brown fox jumps over the lazy dog.",
    "  leading spaces, tabs\tand\nnewlines\n\n",
    "Unicode: naïve café, 日本語のテキスト, emoji 🙂🚀, Ωmega",
    "<|endoftext|> special <|begin_of_text|> tokens <s></s>",
    "numbers 1234567890 3.14159 and code: for (int i = 0; i < n; i++) { x += y; }",
    "",
};

/* a and b give the same ids for every text and the same text for id runs
 * across the whole vocabulary. */
static void assert_same(const tok *a, const tok *b)
{
    assert_int_equal(tok_vocab_size(a), tok_vocab_size(b));
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        for (int sp = 0; sp < 2; sp++) {
            tok_ids x, y;
            tok_ids_init(&x);
            tok_ids_init(&y);
            sb_err err;
            assert_int_equal(tok_encode(a, texts[i], strlen(texts[i]), sp, &x, &err), 0);
            assert_int_equal(tok_encode(b, texts[i], strlen(texts[i]), sp, &y, &err), 0);
            assert_int_equal(x.n, y.n);
            assert_memory_equal(x.v, y.v, x.n * sizeof *x.v);
            tok_ids_free(&x);
            tok_ids_free(&y);
        }
    size_t n = tok_vocab_size(a);
    int32_t ids[64];
    for (size_t start = 0; start < n; start += 997) {
        size_t k = 0;
        for (; k < 64 && start + k * 13 < n; k++)
            ids[k] = (int32_t)(start + k * 13);
        sb_buf x, y;
        sb_buf_init(&x);
        sb_buf_init(&y);
        sb_err err;
        assert_int_equal(tok_decode(a, ids, k, false, &x, &err), 0);
        assert_int_equal(tok_decode(b, ids, k, false, &y, &err), 0);
        assert_int_equal(x.len, y.len);
        assert_memory_equal(x.data, y.data, x.len);
        sb_buf_free(&x);
        sb_buf_free(&y);
    }
}

/* The random dataset (what `serve` sends first) is byte-identical. */
static void assert_same_random(const tok *a, const tok *b)
{
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.ds.num_prompts = 12;
    cfg.ds.random_input_len = 200;
    cfg.ds.random_output_len = 8;
    cfg.ds.random_range_ratio_in = 0.5;
    sb_dataset x, y;
    sb_err err;
    if (dataset_load(&cfg.ds, a, "openai", &x, &err) != 0)
        fail_msg("%s", err.msg);
    if (dataset_load(&cfg.ds, b, "openai", &y, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(x.n, y.n);
    for (size_t i = 0; i < x.n; i++) {
        assert_int_equal(x.reqs[i].prompt_bytes, y.reqs[i].prompt_bytes);
        assert_memory_equal(x.reqs[i].prompt, y.reqs[i].prompt, x.reqs[i].prompt_bytes);
        assert_int_equal(x.reqs[i].prompt_len, y.reqs[i].prompt_len);
        assert_int_equal(x.reqs[i].output_len, y.reqs[i].output_len);
    }
    dataset_free(&x);
    dataset_free(&y);
    sb_config_free(&cfg);
}

static void miss_then_hit(const char *fam, bool plain)
{
    fx *f = fx_new(fam, plain);
    tok *ref = load_uncached(f);
    char file[256];
    cache_file(f, file, sizeof file);
    assert_string_equal(file, ""); /* off: nothing written */
    tok *miss = load(f);
    assert_false(tok_from_cache(miss));
    cache_file(f, file, sizeof file);
    assert_true(file[0]);
    tok *hit = load(f);
    assert_true(tok_from_cache(hit));
    assert_same(ref, miss);
    assert_same(ref, hit);
    assert_same_random(ref, hit);
    /* the letters table read back is the one this build computes */
    assert_int_equal(ref->chunk_ok, hit->chunk_ok);
    if (hit->chunk_ok) {
        assert_true(hit->cache_map && (char *)hit->letters >= (char *)hit->cache_map &&
                    (char *)hit->letters < (char *)hit->cache_map + hit->cache_map_len);
        assert_memory_equal(ref->letters, hit->letters, TOK_LETTERS_BYTES);
    }
    tok_free(ref);
    tok_free(miss);
    tok_free(hit);
    fx_free(f);
}

static void test_gpt2_from_the_copy_is_the_parsed_tokenizer(void **state)
{
    (void)state;
    miss_then_hit("gpt2", false);
}

static void test_llama3_from_the_copy_is_the_parsed_tokenizer(void **state)
{
    (void)state;
    miss_then_hit("llama3", true);
}

/* Loads twice: the first must not use the copy (and rewrites it), the
 * second must, and both equal ref. */
static void assert_rebuilt(const fx *f, const tok *ref)
{
    tok *t = load(f);
    assert_false(tok_from_cache(t));
    assert_same(ref, t);
    tok_free(t);
    t = load(f);
    assert_true(tok_from_cache(t));
    assert_same(ref, t);
    tok_free(t);
}

static void test_a_newer_tokenizer_json_is_not_served_from_the_old_copy(void **state)
{
    (void)state;
    fx *f = fx_new("gpt2", false);
    tok *t = load(f);
    tok_free(t);
    struct stat st;
    assert_int_equal(stat(f->json, &st), 0);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    ts[1].tv_sec += 10;
    assert_int_equal(utimensat(AT_FDCWD, f->json, ts, 0), 0);
    tok *ref = load_uncached(f);
    assert_rebuilt(f, ref);
    tok_free(ref);
    fx_free(f);
}

/* Other bytes, same size and mtime: only the content hash can tell. A
 * merge is moved (one line swapped with the next), which changes ranks. */
static void test_other_bytes_of_the_same_size_and_mtime_are_detected(void **state)
{
    (void)state;
    fx *f = fx_new("llama3", true);
    tok *before = load(f);
    tok_free(before);
    struct stat st;
    assert_int_equal(stat(f->json, &st), 0);
    sb_buf b;
    sb_buf_init(&b);
    assert_int_equal(tu_read_file(f->json, &b), 0);
    char *m = strstr(b.data, "\"merges\"");
    assert_non_null(m);
    /* the first two merges "x y" of the list: swap them when equally long */
    char *q1 = strchr(m + 8, '"'), *e1 = q1 ? strchr(q1 + 1, '"') : NULL;
    char *q2 = e1 ? strchr(e1 + 1, '"') : NULL, *e2 = q2 ? strchr(q2 + 1, '"') : NULL;
    assert_non_null(e2);
    size_t l1 = (size_t)(e1 - q1), l2 = (size_t)(e2 - q2);
    if (l1 == l2 && memcmp(q1, q2, l1) != 0) {
        char tmp[256];
        assert_true(l1 < sizeof tmp);
        memcpy(tmp, q1, l1);
        memcpy(q1, q2, l1);
        memcpy(q2, tmp, l1);
    } else { /* else one byte of whitespace before the list */
        assert_true(m[-1] == ' ' || m[-1] == '\n');
        m[-1] = m[-1] == ' ' ? '\n' : ' ';
    }
    FILE *w = fopen(f->json, "wb");
    assert_non_null(w);
    assert_int_equal(fwrite(b.data, 1, b.len, w), b.len);
    assert_int_equal(fclose(w), 0);
    sb_buf_free(&b);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, f->json, ts, 0), 0);
    tok *ref = load_uncached(f);
    assert_rebuilt(f, ref);
    tok_free(ref);
    fx_free(f);
}

/* Rewrites the cache file: how(data, len) edits it in place and returns the
 * new length. */
static void damage(const fx *f, size_t (*how)(char *, size_t))
{
    char file[256];
    cache_file(f, file, sizeof file);
    assert_true(file[0]);
    sb_buf b;
    sb_buf_init(&b);
    assert_int_equal(tu_read_file(file, &b), 0);
    size_t n = how(b.data, b.len);
    FILE *w = fopen(file, "wb");
    assert_non_null(w);
    assert_int_equal(fwrite(b.data, 1, n, w), n);
    assert_int_equal(fclose(w), 0);
    sb_buf_free(&b);
}

static size_t flip_middle(char *d, size_t n)
{
    d[n / 2] ^= 0x20;
    return n;
}

static size_t flip_last(char *d, size_t n)
{
    d[n - 1] ^= 0x01;
    return n;
}

static size_t cut_short(char *d, size_t n)
{
    (void)d;
    return n - 4096;
}

static size_t other_version(char *d, size_t n)
{
    d[8] ^= 0x7f; /* the version field after the 8-byte magic */
    return n;
}

static size_t empty(char *d, size_t n)
{
    (void)d;
    (void)n;
    return 0;
}

static void test_a_damaged_copy_is_detected_and_rebuilt(void **state)
{
    (void)state;
    size_t (*hows[])(char *, size_t) = {flip_middle, flip_last, cut_short, other_version, empty};
    fx *f = fx_new("gpt2", false);
    tok *ref = load_uncached(f);
    tok *t = load(f);
    tok_free(t);
    for (size_t i = 0; i < sizeof hows / sizeof *hows; i++) {
        damage(f, hows[i]);
        assert_rebuilt(f, ref);
    }
    tok_free(ref);
    fx_free(f);
}

/* A copy made within 2 s of its tokenizer.json's last change is "racy"
 * (tok_cache.c): its loads check the content hash until one finds the file
 * settled and writes the copy anew. After that the copy is stable: later
 * loads use it and leave it as it is. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void read_cache_file(const fx *f, sb_buf *out)
{
    char file[256];
    cache_file(f, file, sizeof file);
    assert_true(file[0]);
    sb_buf_init(out);
    assert_int_equal(tu_read_file(file, out), 0);
}

static void test_a_racy_copy_settles(void **state)
{
    (void)state;
    fx *f = fx_new("gpt2", false);
    tok *ref = load_uncached(f);
    double t0 = now_s();
    /* the file changes now: a copy written within 2 s of this is racy */
    assert_int_equal(utimensat(AT_FDCWD, f->json, NULL, 0), 0);
    tok *t = load(f);
    assert_false(tok_from_cache(t));
    tok_free(t);
    bool racy = now_s() - t0 < 1.5; /* else the machine was too slow to tell */
    sb_buf a, b, c;
    read_cache_file(f, &a);
    sleep(3); /* past the racy window: the next hit settles it */
    t = load(f);
    assert_true(tok_from_cache(t));
    assert_same(ref, t);
    tok_free(t);
    read_cache_file(f, &b);
    if (racy) /* written anew (a later write time) */
        assert_true(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
    t = load(f);
    assert_true(tok_from_cache(t));
    assert_same(ref, t);
    tok_free(t);
    read_cache_file(f, &c); /* settled: left as it is */
    assert_int_equal(b.len, c.len);
    assert_memory_equal(b.data, c.data, b.len);
    sb_buf_free(&a);
    sb_buf_free(&b);
    sb_buf_free(&c);
    tok_free(ref);
    fx_free(f);
}

static void test_an_unwritable_cache_directory_only_costs_time(void **state)
{
    (void)state;
    fx *f = fx_new("gpt2", false);
    /* a regular file where the directory should be: nothing can be written */
    FILE *w = fopen(f->cache, "w");
    assert_non_null(w);
    fclose(w);
    tok *ref = load_uncached(f);
    for (int i = 0; i < 2; i++) {
        tok *t = load(f);
        assert_false(tok_from_cache(t));
        assert_same(ref, t);
        tok_free(t);
    }
    tok_free(ref);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpt2_from_the_copy_is_the_parsed_tokenizer),
        cmocka_unit_test(test_llama3_from_the_copy_is_the_parsed_tokenizer),
        cmocka_unit_test(test_a_newer_tokenizer_json_is_not_served_from_the_old_copy),
        cmocka_unit_test(test_other_bytes_of_the_same_size_and_mtime_are_detected),
        cmocka_unit_test(test_a_damaged_copy_is_detected_and_rebuilt),
        cmocka_unit_test(test_an_unwritable_cache_directory_only_costs_time),
        cmocka_unit_test(test_a_racy_copy_settles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
