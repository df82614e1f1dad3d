/* SPDX-License-Identifier: Apache-2.0 */
/* test_dataset.c - the dataset loaders (src/dataset/) on real files with the
 * real GPT-2 tokenizer (tests/data/datasets/gpt2; gpt2chat adds a ChatML
 * chat template). Expected orders (shuffles, oversampling picks, pandas
 * sample rows, datasets' shuffle buffer) were computed with CPython's random
 * and numpy on the same fixtures; the fixtures make acceptance independent
 * of the tokenizer (prompts far below 4 or above 1024 tokens). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataset/dataset.h"
#include "dataset/ds_gen.h"

typedef struct fx {
    sb_config cfg;
    tok *gpt2, *chat;
} fx;

static tok *load_tok(const char *rel)
{
    char *p = tu_data_path(rel);
    sb_err err;
    sb_err_clear(&err);
    tok *t = tok_load(p, &err);
    if (!t)
        fail_msg("tok_load %s: %s", p, err.msg);
    free(p);
    return t;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    sb_config_defaults(&f->cfg);
    f->gpt2 = load_tok("datasets/gpt2");
    f->chat = load_tok("datasets/gpt2chat");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sb_config_free(&f->cfg);
    tok_free(f->gpt2);
    tok_free(f->chat);
    free(f);
    return 0;
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = v ? sb_xstrdup(v) : NULL;
}

static void set_path(sb_dataset_opts *o, const char *rel)
{
    char *p = tu_data_path(rel);
    set_str(&o->path, p);
    free(p);
}

static int load(fx *f, const tok *t, const char *backend, sb_dataset *ds, sb_err *err)
{
    sb_err_clear(err);
    return dataset_load(&f->cfg.ds, t, backend, ds, err);
}

static void load_ok(fx *f, const tok *t, sb_dataset *ds)
{
    sb_err err;
    if (load(f, t, NULL, ds, &err) != 0)
        fail_msg("dataset_load: %s", err.msg);
}

static void expect_error(fx *f, const tok *t, const char *needle1, const char *needle2)
{
    sb_dataset ds;
    sb_err err;
    assert_int_equal(load(f, t, NULL, &ds, &err), -1);
    if (!strstr(err.msg, needle1) || (needle2 && !strstr(err.msg, needle2)))
        fail_msg("error '%s' lacks '%s' / '%s'", err.msg, needle1, needle2 ? needle2 : "");
    assert_int_equal(ds.n, 0);
}

/* Prompts decoded from random ids may hold NUL bytes: count prompt_bytes. */
static int32_t count_bytes(const tok *t, const char *s, size_t len, bool special)
{
    tok_ids ids;
    tok_ids_init(&ids);
    sb_err err;
    assert_int_equal(tok_encode(t, s, len, special, &ids, &err), 0);
    int32_t n = (int32_t)ids.n;
    tok_ids_free(&ids);
    return n;
}

static int32_t count_tokens(const tok *t, const char *s, bool special)
{
    return count_bytes(t, s, strlen(s), special);
}

/* FNV-1a over every prompt and length: a fingerprint of the whole list. */
static uint64_t digest(const sb_dataset *ds)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < ds->n; i++) {
        const unsigned char *p = (const unsigned char *)ds->reqs[i].prompt;
        for (size_t k = 0; k <= ds->reqs[i].prompt_bytes; k++)
            h = (h ^ p[k]) * 1099511628211ull;
        int32_t lens[2] = {ds->reqs[i].prompt_len, ds->reqs[i].output_len};
        const unsigned char *b = (const unsigned char *)lens;
        for (size_t k = 0; k < sizeof lens; k++)
            h = (h ^ b[k]) * 1099511628211ull;
    }
    return h;
}

/* ---------------- random ---------------- */

static void random_opts(fx *f, long n, long in, long out, double ratio, long prefix, uint64_t seed)
{
    sb_dataset_opts *o = &f->cfg.ds;
    set_str(&o->name, "random");
    o->num_prompts = n;
    o->random_input_len = in;
    o->random_output_len = out;
    o->random_range_ratio_in = o->random_range_ratio_out = ratio;
    o->random_prefix_len = prefix;
    o->seed = seed;
}

static void test_random_lengths_reencode_exactly(void **state)
{
    fx *f = *state;
    random_opts(f, 64, 128, 32, 0.25, 0, 0);
    sb_dataset ds;
    load_ok(f, f->gpt2, &ds);
    assert_int_equal(ds.n, 64);
    assert_string_equal(ds.info, "Sampling input_len from [96, 160] and output_len from [24, 40]");
    /* gpt2 adds no special tokens: inputs lie in [floor(128*.75), ceil(128*1.25)]. */
    for (size_t i = 0; i < ds.n; i++) {
        const sb_request *r = &ds.reqs[i];
        assert_true(r->output_len >= 24 && r->output_len <= 40);
        assert_true(r->has_request_id);
        assert_int_equal(r->prompt[r->prompt_bytes], '\0');
        if (!ds.warning) {
            assert_true(r->prompt_len >= 96 && r->prompt_len <= 160);
            assert_int_equal(count_bytes(f->gpt2, r->prompt, r->prompt_bytes, false),
                             r->prompt_len);
        }
    }
    dataset_free(&ds);
}

static void test_random_same_seed_same_bytes(void **state)
{
    fx *f = *state;
    random_opts(f, 200, 256, 64, 0.5, 16, 1234);
    sb_dataset a, b;
    load_ok(f, f->gpt2, &a);
    load_ok(f, f->gpt2, &b);
    assert_int_equal(a.n, 200);
    assert_true(digest(&a) == digest(&b));
    f->cfg.ds.seed = 1235;
    sb_dataset c;
    load_ok(f, f->gpt2, &c);
    assert_true(digest(&a) != digest(&c));
    dataset_free(&a);
    dataset_free(&b);
    dataset_free(&c);
}

/* The parallel pass plus sequential draws must equal a one-thread run. */
static void test_random_thread_count_does_not_change_prompts(void **state)
{
    fx *f = *state;
    random_opts(f, 300, 200, 16, 0.3, 8, 7);
    sb_dataset a, b;
    setenv("SB_THREADS", "1", 1);
    load_ok(f, f->gpt2, &a);
    setenv("SB_THREADS", "3", 1);
    load_ok(f, f->gpt2, &b);
    unsetenv("SB_THREADS");
    assert_true(digest(&a) == digest(&b));
    dataset_free(&a);
    dataset_free(&b);
}

/* Fixed flags -> a committed fingerprint (catches any change of algorithm). */
static void test_random_digest_is_stable(void **state)
{
    fx *f = *state;
    random_opts(f, 100, 1024, 128, 0.0, 0, 0);
    sb_dataset ds;
    load_ok(f, f->gpt2, &ds);
    uint64_t h = digest(&ds);
    print_message("random digest %016llx\n", (unsigned long long)h);
    assert_true(h == 0x07fd418fc53cdb7eull);
    dataset_free(&ds);
}

static void test_random_rejects_bad_flags(void **state)
{
    fx *f = *state;
    random_opts(f, 10, 100, 10, 1.0, 0, 0);
    expect_error(f, f->gpt2, "--random-range-ratio", NULL);
    random_opts(f, 10, 0, 10, 0.0, 0, 0);
    expect_error(f, f->gpt2, "--random-input-len", NULL);
    random_opts(f, 10, 100, 10, 0.0, 0, 0);
    set_path(&f->cfg.ds, "datasets/custom_small.jsonl");
    expect_error(f, f->gpt2, "--dataset-path", NULL);
    set_str(&f->cfg.ds.path, NULL);
}

/* ---------------- sharegpt ---------------- */

static void sharegpt_opts(fx *f, long n, uint64_t seed)
{
    set_str(&f->cfg.ds.name, "sharegpt");
    set_path(&f->cfg.ds, "datasets/sharegpt_small.json");
    f->cfg.ds.num_prompts = n;
    f->cfg.ds.seed = seed;
}

/* Prompts of the fixture start "Question number K:"; returns K or -1. */
static int qnum(const char *prompt)
{
    int k;
    return sscanf(prompt, "Question number %d:", &k) == 1 ? k : -1;
}

static void expect_order(const sb_dataset *ds, const int *want, size_t n)
{
    assert_true(ds->n >= n);
    for (size_t i = 0; i < n; i++)
        if (qnum(ds->reqs[i].prompt) != want[i])
            fail_msg("request %zu: got question %d, want %d", i, qnum(ds->reqs[i].prompt), want[i]);
}

static void test_sharegpt_filters_and_shuffles_like_reference(void **state)
{
    fx *f = *state;
    sharegpt_opts(f, 11, 0);
    sb_dataset ds;
    load_ok(f, f->gpt2, &ds);
    const int want0[] = {1, 9, 5, 11, 2, 8, 4, 0, 12, 6, 13};
    assert_int_equal(ds.n, 11);
    expect_order(&ds, want0, 11);
    for (size_t i = 0; i < ds.n; i++) {
        const sb_request *r = &ds.reqs[i];
        assert_int_equal(r->prompt_len, count_tokens(f->gpt2, r->prompt, true));
        assert_string_equal(r->turns[0], r->prompt);
        assert_string_equal(r->roles[1], "gpt");
        assert_int_equal(r->output_len, count_tokens(f->gpt2, r->turns[1], true));
        /* every fourth conversation has four turns, all kept */
        assert_int_equal(r->n_turns, qnum(r->prompt) % 4 == 0 ? 4 : 2);
    }
    assert_non_null(strstr(ds.reqs[0].prompt, "caf\xc3\xa9 \"quoted\"\n\tand"));
    dataset_free(&ds);
    sharegpt_opts(f, 3, 42);
    load_ok(f, f->gpt2, &ds);
    const int want42[] = {8, 12, 6};
    assert_int_equal(ds.n, 3);
    expect_order(&ds, want42, 3);
    dataset_free(&ds);
}

static void test_sharegpt_fixed_output_len_skips_min_output_rule(void **state)
{
    fx *f = *state;
    sharegpt_opts(f, 12, 0);
    f->cfg.ds.sharegpt_output_len = 100;
    sb_dataset ds;
    load_ok(f, f->gpt2, &ds);
    f->cfg.ds.sharegpt_output_len = -1;
    assert_int_equal(ds.n, 12);
    assert_int_equal(ds.reqs[1].output_len, 100);
    assert_string_equal(ds.reqs[1].prompt, "Please answer with a single word only.");
    dataset_free(&ds);
}

static void test_sharegpt_oversamples_with_random_choice(void **state)
{
    fx *f = *state;
    sharegpt_opts(f, 15, 0);
    sb_dataset ds;
    load_ok(f, f->gpt2, &ds);
    const int want[] = {1, 9, 5, 11, 2, 8, 4, 0, 12, 6, 13, 4, 4, 1, 2};
    assert_int_equal(ds.n, 15);
    expect_order(&ds, want, 15);
    assert_non_null(strstr(ds.warning, "only 11 requests passed the filters; 4 copies"));
    assert_string_equal(ds.info, "Oversampled requests to reach 15 total samples.");
    dataset_free(&ds);
    f->cfg.ds.no_oversample = true;
    load_ok(f, f->gpt2, &ds);
    f->cfg.ds.no_oversample = false;
    assert_int_equal(ds.n, 11);
    assert_non_null(strstr(ds.warning, "only 11 of 15"));
    dataset_free(&ds);
}

static void test_sharegpt_bad_input_is_named(void **state)
{
    fx *f = *state;
    sharegpt_opts(f, 5, 0);
    set_str(&f->cfg.ds.path, "/nonexistent/sharegpt.json");
    expect_error(f, f->gpt2, "/nonexistent/sharegpt.json", "No such file");
    set_path(&f->cfg.ds, "datasets/sharegpt_bad.json");
    expect_error(f, f->gpt2, "sharegpt_bad.json: byte 13", "not valid JSON");
    set_path(&f->cfg.ds, "datasets/sharegpt_not_list.json");
    expect_error(f, f->gpt2, "expected a JSON list", NULL);
    set_path(&f->cfg.ds, "datasets/burstgpt_small.csv"); /* wrong format */
    expect_error(f, f->gpt2, "burstgpt_small.csv: byte", "not valid JSON");
    /* every entry rejected by the 2048 total rule -> nothing to oversample */
    sharegpt_opts(f, 5, 0);
    f->cfg.ds.sharegpt_output_len = 5000;
    expect_error(f, f->gpt2, "no request survived filtering", NULL);
    f->cfg.ds.sharegpt_output_len = -1;
}

/* ---------------- burstgpt ---------------- */

static void burst_opts(fx *f, long n, uint64_t seed)
{
    set_str(&f->cfg.ds.name, "burstgpt");
    set_path(&f->cfg.ds, "datasets/burstgpt_small.csv");
    f->cfg.ds.num_prompts = n;
    f->cfg.ds.seed = seed;
}

static void expect_burst(fx *f, long n, uint64_t seed, const int *req, const int *resp)
{
    burst_opts(f, n, seed);
    sb_dataset ds;
    load_ok(f, f->gpt2, &ds);
    assert_int_equal(ds.n, n);
    for (long i = 0; i < n; i++) {
        assert_int_equal(ds.reqs[i].prompt_len, req[i]);
        assert_int_equal(ds.reqs[i].output_len, resp[i]);
        assert_true(ds.reqs[i].timestamp_s < 0);
    }
    dataset_free(&ds);
}

static void test_burstgpt_samples_like_pandas(void **state)
{
    fx *f = *state;
    const int r0[] = {145, 71, 211, 293, 137}, s0[] = {63, 157, 17, 75, 111};
    expect_burst(f, 5, 0, r0, s0);
    const int r7[] = {79, 38, 116, 248, 137, 182, 145, 5, 211, 112};
    const int s7[] = {109, 80, 162, 70, 111, 116, 63, 3, 17, 186};
    expect_burst(f, 10, 7, r7, s7);
    /* 40 > 23 matching rows: with replacement (randint) */
    const int rr[] = {182, 104, 211, 5, 227, 227, 223, 34, 100, 211};
    const int sr[] = {116, 34, 17, 3, 121, 121, 145, 104, 58, 17};
    burst_opts(f, 40, 0);
    sb_dataset ds;
    load_ok(f, f->gpt2, &ds);
    assert_int_equal(ds.n, 40);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(ds.reqs[i].prompt_len, rr[i]);
        assert_int_equal(ds.reqs[i].output_len, sr[i]);
    }
    assert_non_null(strstr(ds.warning, "with replacement"));
    dataset_free(&ds);
}

static void test_burstgpt_prompt_is_decode_of_consecutive_ids(void **state)
{
    fx *f = *state;
    burst_opts(f, 3, 0);
    sb_dataset ds;
    load_ok(f, f->gpt2, &ds);
    for (size_t i = 0; i < ds.n; i++) {
        int32_t *ids = malloc((size_t)ds.reqs[i].prompt_len * sizeof *ids);
        for (int32_t j = 0; j < ds.reqs[i].prompt_len; j++)
            ids[j] = (int32_t)((i + (size_t)j) % tok_vocab_size(f->gpt2));
        sb_buf b;
        sb_buf_init(&b);
        sb_err err;
        assert_int_equal(tok_decode(f->gpt2, ids, (size_t)ds.reqs[i].prompt_len, false, &b, &err),
                         0);
        assert_int_equal(ds.reqs[i].prompt_bytes, b.len);
        assert_memory_equal(ds.reqs[i].prompt, b.data, b.len);
        sb_buf_free(&b);
        free(ids);
    }
    dataset_free(&ds);
}

static void test_burstgpt_timestamps_replay_in_order(void **state)
{
    fx *f = *state;
    burst_opts(f, 10, 7);
    f->cfg.ds.burstgpt_use_timestamps = true;
    sb_dataset ds;
    load_ok(f, f->gpt2, &ds);
    f->cfg.ds.burstgpt_use_timestamps = false;
    assert_true(ds.reqs[0].timestamp_s == 0.0);
    for (size_t i = 1; i < ds.n; i++)
        assert_true(ds.reqs[i].timestamp_s >= ds.reqs[i - 1].timestamp_s);
    dataset_free(&ds);
}

static void test_burstgpt_bad_csv_is_named(void **state)
{
    fx *f = *state;
    burst_opts(f, 5, 0);
    set_path(&f->cfg.ds, "datasets/burstgpt_missing_col.csv");
    expect_error(f, f->gpt2, "burstgpt_missing_col.csv:1", "\"Response tokens\"");
    set_path(&f->cfg.ds, "datasets/custom_small.jsonl");
    expect_error(f, f->gpt2, "no \"Timestamp\" column", NULL);
}

/* ---------------- custom / spec_bench ---------------- */

static void custom_opts(fx *f, const char *rel, long n, uint64_t seed, long out)
{
    set_str(&f->cfg.ds.name, "custom");
    set_path(&f->cfg.ds, rel);
    f->cfg.ds.num_prompts = n;
    f->cfg.ds.seed = seed;
    f->cfg.ds.custom_output_len = out;
}

static int custom_num(const char *prompt)
{
    const char *p = strstr(prompt, "Custom prompt ");
    return p ? atoi(p + 14) : -1;
}

static void test_custom_shuffles_templates_and_counts(void **state)
{
    fx *f = *state;
    custom_opts(f, "datasets/custom_small.jsonl", 0, 0, -1);
    sb_dataset ds;
    load_ok(f, f->chat, &ds);
    const int want[] = {4, 1, 5, 2, 0, 3, 7, 6};
    assert_int_equal(ds.n, 8);
    for (size_t i = 0; i < 8; i++) {
        const sb_request *r = &ds.reqs[i];
        assert_int_equal(custom_num(r->prompt), want[i]);
        assert_int_equal(r->output_len, 10 + want[i]);
        assert_true(strncmp(r->prompt, "<|im_start|>user\n", 17) == 0);
        assert_non_null(strstr(r->prompt, "<|im_end|>\n<|im_start|>assistant\n"));
        assert_int_equal(r->prompt_len, count_tokens(f->chat, r->prompt, true));
    }
    dataset_free(&ds);
    custom_opts(f, "datasets/custom_small.jsonl", 3, 3, 77);
    f->cfg.ds.skip_chat_template = true;
    load_ok(f, f->gpt2, &ds);
    f->cfg.ds.skip_chat_template = false;
    assert_int_equal(ds.n, 3);
    assert_string_equal(ds.reqs[1].prompt, "Custom prompt 5: tell me about item 5.");
    assert_int_equal(ds.reqs[2].output_len, 77);
    dataset_free(&ds);
}

static void test_custom_bad_input_is_named(void **state)
{
    fx *f = *state;
    custom_opts(f, "datasets/custom_bad.jsonl", 0, 0, 10);
    expect_error(f, f->chat, "custom_bad.jsonl:3:", "not valid JSON");
    custom_opts(f, "datasets/custom_noout.jsonl", 0, 0, -1);
    f->cfg.ds.disable_shuffle = true;
    expect_error(f, f->chat, "custom_noout.jsonl:2", "output_tokens");
    /* out of a count's range: no usable count (1e300 reached a float-to-long cast, UB) */
    custom_opts(f, "datasets/custom_bigout.jsonl", 0, 0, -1);
    expect_error(f, f->chat, "custom_bigout.jsonl:2", "output_tokens");
    f->cfg.ds.disable_shuffle = false;
    custom_opts(f, "datasets/custom_noprompt.jsonl", 0, 0, 10);
    expect_error(f, f->chat, "custom_noprompt.jsonl:2", "\"prompt\"");
    custom_opts(f, "datasets/sharegpt_small.json", 0, 0, 10);
    expect_error(f, f->chat, "JSON Lines only", NULL);
    /* a template is needed and gpt2's tokenizer_config has none */
    custom_opts(f, "datasets/custom_small.jsonl", 0, 0, 10);
    expect_error(f, f->gpt2, "no chat template", NULL);
}

static void test_spec_bench_category_and_seed_zero(void **state)
{
    fx *f = *state;
    set_str(&f->cfg.ds.name, "spec_bench");
    set_path(&f->cfg.ds, "datasets/spec_bench_question.jsonl");
    set_str(&f->cfg.ds.spec_bench_category, "math");
    f->cfg.ds.num_prompts = 3;
    f->cfg.ds.seed = 99; /* ignored: the reference shuffles spec_bench with 0 */
    sb_dataset ds;
    load_ok(f, f->chat, &ds);
    set_str(&f->cfg.ds.spec_bench_category, NULL);
    const int want[] = {1, 5, 3};
    assert_int_equal(ds.n, 3);
    for (int i = 0; i < 3; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "Spec question %d?", want[i]);
        assert_non_null(strstr(ds.reqs[i].prompt, needle));
        assert_int_equal(ds.reqs[i].output_len, 256);
    }
    dataset_free(&ds);
}

static void test_speed_bench_subset_and_category(void **state)
{
    fx *f = *state;
    set_str(&f->cfg.ds.name, "speed_bench");
    set_path(&f->cfg.ds, "datasets/speed_bench");
    set_str(&f->cfg.ds.speed_bench_category, "coding");
    f->cfg.ds.num_prompts = 2;
    sb_dataset ds;
    load_ok(f, f->chat, &ds);
    set_str(&f->cfg.ds.speed_bench_category, NULL);
    assert_int_equal(ds.n, 2);
    assert_non_null(strstr(ds.reqs[0].prompt, "user\nSpeed question 1?<|im_end|>"));
    assert_non_null(strstr(ds.reqs[1].prompt, "user\nSpeed question 3?<|im_end|>"));
    assert_int_equal(ds.reqs[0].output_len, 4096);
    dataset_free(&ds);
    set_str(&f->cfg.ds.speed_bench_dataset_subset, "throughput_1k");
    expect_error(f, f->chat, "speed_bench/throughput_1k.jsonl", "No such file");
    set_str(&f->cfg.ds.speed_bench_dataset_subset, NULL);
}

/* ---------------- hf (local copy) ---------------- */

static int gsm_num(const char *prompt)
{
    const char *p = strstr(prompt, "What is ");
    return p ? atoi(p + 8) : -1;
}

static void test_hf_gsm8k_local_shuffle_buffer(void **state)
{
    fx *f = *state;
    set_str(&f->cfg.ds.name, "hf");
    set_path(&f->cfg.ds, "datasets/gsm8k");
    set_str(&f->cfg.ds.hf_subset, "main");
    set_str(&f->cfg.ds.hf_split, "test");
    set_str(&f->cfg.ds.hf_name, "openai/gsm8k");
    f->cfg.ds.num_prompts = 6;
    f->cfg.ds.seed = 0;
    sb_dataset ds;
    load_ok(f, f->chat, &ds);
    const int stream[] = {850, 636, 511, 269, 307, 40};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(gsm_num(ds.reqs[i].prompt), stream[i]);
        assert_int_equal(ds.reqs[i].output_len, 256);
        assert_int_equal(ds.reqs[i].prompt_len, count_tokens(f->chat, ds.reqs[i].prompt, true));
    }
    dataset_free(&ds);
    f->cfg.ds.no_stream = true;
    load_ok(f, f->chat, &ds);
    f->cfg.ds.no_stream = false;
    const int perm[] = {1861, 799, 68, 458, 1476, 1631};
    for (int i = 0; i < 6; i++)
        assert_int_equal(gsm_num(ds.reqs[i].prompt), perm[i]);
    dataset_free(&ds);
    f->cfg.ds.num_prompts = 1600;
    f->cfg.ds.seed = 5;
    f->cfg.ds.skip_chat_template = true;
    load_ok(f, f->gpt2, &ds);
    f->cfg.ds.skip_chat_template = false;
    assert_int_equal(gsm_num(ds.reqs[1597].prompt), 9);
    assert_int_equal(gsm_num(ds.reqs[1598].prompt), 1760);
    assert_int_equal(gsm_num(ds.reqs[1599].prompt), 2158);
    dataset_free(&ds);
    set_str(&f->cfg.ds.hf_subset, NULL);
    set_str(&f->cfg.ds.hf_split, NULL);
    set_str(&f->cfg.ds.hf_name, NULL);
}

static void test_hf_conversation_by_column(void **state)
{
    fx *f = *state;
    set_str(&f->cfg.ds.name, "hf");
    set_path(&f->cfg.ds, "datasets/sharegpt_small.json");
    f->cfg.ds.num_prompts = 4;
    f->cfg.ds.seed = 0;
    f->cfg.ds.disable_shuffle = true;
    sb_dataset ds;
    load_ok(f, f->gpt2, &ds);
    f->cfg.ds.disable_shuffle = false;
    /* file order, with the ShareGPT pruning: e3 (too short) is skipped */
    const int want[] = {0, 1, 2, 4};
    expect_order(&ds, want, 4);
    assert_int_equal(ds.reqs[0].n_turns, 4);
    assert_string_equal(ds.reqs[0].turns[2], "follow-up 0");
    dataset_free(&ds);
}

static void hf_local(fx *f, const char *rel, const char *hf_name)
{
    set_str(&f->cfg.ds.name, "hf");
    set_path(&f->cfg.ds, rel);
    set_str(&f->cfg.ds.hf_name, hf_name);
    f->cfg.ds.num_prompts = 3;
    f->cfg.ds.disable_shuffle = true;
}

static void test_hf_text_classes(void **state)
{
    fx *f = *state;
    sb_dataset ds;
    /* AIMO, found by its path: no template, output = solution tokens, "Hi" pruned */
    hf_local(f, "datasets/aimo-validation-aime", NULL);
    load_ok(f, f->gpt2, &ds);
    assert_int_equal(ds.n, 3);
    assert_string_equal(ds.reqs[0].prompt, "Find the sum of the first 10 positive integers.");
    assert_int_equal(ds.reqs[2].output_len,
                     count_tokens(f->gpt2,
                                  "The sum is n(n+1)/2 = 78. The sum is n(n+1)/2 = 78. "
                                  "The sum is n(n+1)/2 = 78. ",
                                  true));
    dataset_free(&ds);
    /* InstructCoder, a JSON list named by --hf-name: templated, output 200 */
    hf_local(f, "datasets/instructcoder.json", "likaixin/InstructCoder");
    load_ok(f, f->chat, &ds);
    assert_int_equal(ds.n, 3);
    assert_non_null(strstr(ds.reqs[1].prompt,
                           "user\nx = 1\nprint(x)\n\nRename variable x to y in snippet 1. Just "
                           "output the code, do not include any explanation.<|im_end|>"));
    assert_int_equal(ds.reqs[1].output_len, 200);
    dataset_free(&ds);
    /* MTBench: turns[0], output from --hf-output-len */
    hf_local(f, "datasets/mt_bench.jsonl", "philschmid/mt-bench");
    f->cfg.ds.hf_output_len = 33;
    load_ok(f, f->chat, &ds);
    f->cfg.ds.hf_output_len = -1;
    assert_non_null(strstr(ds.reqs[2].prompt, "Write a haiku about 2 cats."));
    assert_int_equal(ds.reqs[2].output_len, 33);
    dataset_free(&ds);
    /* a set servebench cannot place */
    hf_local(f, "datasets/custom_small.jsonl", NULL);
    expect_error(f, f->chat, "unknown hf dataset", "--hf-name");
    hf_local(f, "datasets/mt_bench.jsonl", "openai/gsm8k");
    expect_error(f, f->chat, "row 1 has no question field", NULL);
    f->cfg.ds.disable_shuffle = false;
    set_str(&f->cfg.ds.hf_name, NULL);
}

/* A temporary hf file: rows (JSON text) joined as a JSON list or as JSON
 * Lines; pad bytes of an unused "pad" field make rows span read chunks. */
static char *hf_tmp_file(bool list, const char *const *rows, size_t n, size_t pad)
{
    char *path = sb_xstrdup("/tmp/sb_test_hf_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    assert_non_null(fp);
    fputs(list ? "[\n" : "", fp);
    for (size_t i = 0; i < n; i++) {
        fputs(list && i ? ",\n" : "", fp);
        if (pad && rows[i][0] == '{') {
            fputs("{\"pad\": \"", fp);
            for (size_t k = 0; k < pad; k++)
                fputc('x', fp);
            fprintf(fp, "\", %s", rows[i] + 1);
        } else {
            fputs(rows[i], fp);
        }
        fputs(list ? "" : "\n", fp);
    }
    fputs(list ? "\n]\n" : "", fp);
    assert_int_equal(fclose(fp), 0);
    return path;
}

#define HF_CONV_ROW(q)                                                                             \
    "{\"conversations\": [{\"from\": \"human\", \"value\": \"Question number " #q                  \
    ": please explain topic " #q " in detail.\"}, {\"from\": \"gpt\", \"value\": \"answer " #q     \
    " goes on for a few words here.\"}]}"

/* Rows are kept as byte ranges and parsed when visited; the file is still
 * checked whole, so a bad row after the visited ones fails the load as it
 * did when every row was parsed (and as the reference's loader does). */
static void test_hf_rows_streamed_bad_row_still_fails(void **state)
{
    fx *f = *state;
    const char *rows[] = {HF_CONV_ROW(0), "7",
                          HF_CONV_ROW(2), HF_CONV_ROW(3),
                          HF_CONV_ROW(4), "{\"conversations\": [}"};
    set_str(&f->cfg.ds.name, "hf");
    set_str(&f->cfg.ds.hf_name, "Aeala/ShareGPT_Vicuna_unfiltered");
    f->cfg.ds.num_prompts = 3;
    f->cfg.ds.disable_shuffle = true;
    sb_dataset ds;
    for (int list = 0; list < 2; list++)
        for (size_t pad = 0; pad <= (3u << 20); pad += 3u << 20) {
            /* good rows (a scalar list element is skipped as a row without
             * conversations; JSON Lines has no scalar rows), rows spanning chunks */
            const char *good[] = {rows[0], rows[2], rows[3], rows[4]};
            char *path = list ? hf_tmp_file(true, rows, 5, pad) : hf_tmp_file(false, good, 4, pad);
            set_str(&f->cfg.ds.path, path);
            load_ok(f, f->gpt2, &ds);
            const int want[] = {0, 2, 3};
            expect_order(&ds, want, 3);
            assert_int_equal(ds.n, 3);
            dataset_free(&ds);
            unlink(path);
            free(path);
            /* the same with a malformed last row, never visited */
            const char *bad[] = {rows[0], rows[2], rows[3], rows[4], rows[5]};
            path = list ? hf_tmp_file(true, rows, 6, pad) : hf_tmp_file(false, bad, 5, pad);
            set_str(&f->cfg.ds.path, path);
            /* JSON list: line:column of the bad byte; JSON Lines: file:line */
            expect_error(f, f->gpt2, list ? ":7:" : ":5:", "not valid JSON");
            unlink(path);
            free(path);
        }
    /* a JSON Lines row that is valid JSON but not an object, never visited */
    const char *notobj[] = {rows[0], rows[2], rows[3], "[1, 2]"};
    char *path = hf_tmp_file(false, notobj, 4, 0);
    set_str(&f->cfg.ds.path, path);
    expect_error(f, f->gpt2, ":4: expected a JSON object per line", NULL);
    unlink(path);
    free(path);
    f->cfg.ds.disable_shuffle = false;
    set_str(&f->cfg.ds.hf_name, NULL);
}

/* ---------------- sonnet ---------------- */

static void test_sonnet_fits_input_len(void **state)
{
    fx *f = *state;
    set_str(&f->cfg.ds.name, "sonnet");
    set_str(&f->cfg.ds.path, NULL); /* the bundled data/sonnet.txt */
    f->cfg.ds.num_prompts = 20;
    f->cfg.ds.seed = 0;
    sb_dataset ds, raw;
    load_ok(f, f->chat, &ds);
    sb_err err;
    assert_int_equal(load(f, f->chat, "openai-chat", &raw, &err), 0);
    assert_int_equal(ds.n, 20);
    for (size_t i = 0; i < ds.n; i++) {
        assert_true(ds.reqs[i].prompt_len <= 550);
        assert_int_equal(ds.reqs[i].output_len, 150);
        assert_int_equal(ds.reqs[i].prompt_len, count_tokens(f->chat, ds.reqs[i].prompt, true));
        assert_true(strncmp(ds.reqs[i].prompt, "<|im_start|>user\nPick as many lines", 35) == 0);
        /* the same draw, sent raw to chat backends */
        assert_true(strncmp(raw.reqs[i].prompt, "Pick as many lines", 18) == 0);
        assert_non_null(strstr(ds.reqs[i].prompt, raw.reqs[i].prompt));
    }
    dataset_free(&ds);
    dataset_free(&raw);
    expect_error(f, f->gpt2, "no chat template", NULL);
    f->cfg.ds.sonnet_input_len = 10;
    expect_error(f, f->chat, "must be higher than the base prompt length", NULL);
    /* a prefix longer than the input can never fit: the reference spins forever */
    f->cfg.ds.sonnet_input_len = 100;
    f->cfg.ds.sonnet_prefix_len = 400;
    expect_error(f, f->chat, "draws in a row exceeded --sonnet-input-len", NULL);
    f->cfg.ds.sonnet_input_len = 550;
    f->cfg.ds.sonnet_prefix_len = 200;
}

/* ---------------- prefix_repetition ---------------- */

static void test_prefix_repetition_shape(void **state)
{
    fx *f = *state;
    set_str(&f->cfg.ds.name, "prefix_repetition");
    f->cfg.ds.num_prompts = 25;
    f->cfg.ds.prefix_repetition_num_prefixes = 4;
    f->cfg.ds.prefix_repetition_prefix_len = 32;
    f->cfg.ds.prefix_repetition_suffix_len = 16;
    f->cfg.ds.seed = 3;
    sb_dataset ds;
    load_ok(f, f->gpt2, &ds);
    assert_int_equal(ds.n, 24); /* 4 * floor(25 / 4) */
    for (size_t i = 0; i < ds.n; i++) {
        assert_int_equal(ds.reqs[i].has_request_id, 0);
        assert_int_equal(ds.reqs[i].output_len, 128);
        if (!ds.warning)
            assert_int_equal(ds.reqs[i].prompt_len, 48);
    }
    dataset_free(&ds);
    f->cfg.ds.num_prompts = 3;
    expect_error(f, f->gpt2, "at least --prefix-repetition-num-prefixes", NULL);
}

/* ---------------- generate + stats ---------------- */

static void test_generate_norm_dist_exact_lengths(void **state)
{
    fx *f = *state;
    dataset_gen_opts go = {.dist = DATASET_GEN_NORM,
                           .num_requests = 50,
                           .seed = 0,
                           .input_mean = 64,
                           .input_stdev = 0,
                           .output_mean = 16,
                           .output_stdev = 4};
    sb_dataset ds;
    sb_err err;
    assert_int_equal(dataset_generate(&go, f->gpt2, &ds, &err), 0);
    assert_int_equal(ds.n, 50);
    int spread = 0;
    for (size_t i = 0; i < ds.n; i++) {
        if (!ds.warning)
            assert_int_equal(
                count_bytes(f->gpt2, ds.reqs[i].prompt, ds.reqs[i].prompt_bytes, false), 64);
        spread |= ds.reqs[i].output_len != 16;
        assert_true(ds.reqs[i].output_len >= 1);
    }
    assert_true(spread);
    dataset_len_stats in, out, tot;
    dataset_stats(&ds, &in, &out, &tot);
    assert_true(in.min == 64 && in.max == 64 && in.p99 == 64);
    assert_true(tot.avg == in.avg + out.avg);
    dataset_free(&ds);
}

static void test_stats_percentiles_are_linear(void **state)
{
    (void)state;
    sb_dataset ds;
    memset(&ds, 0, sizeof ds);
    sb_request reqs[5];
    memset(reqs, 0, sizeof reqs);
    int32_t lens[5] = {10, 40, 20, 50, 30};
    for (int i = 0; i < 5; i++) {
        reqs[i].prompt_len = lens[i];
        reqs[i].output_len = 1;
    }
    ds.reqs = reqs;
    ds.n = 5;
    dataset_len_stats in, out, tot;
    dataset_stats(&ds, &in, &out, &tot);
    /* numpy: percentile([10,20,30,40,50], [50,90,95,99]) = 30, 46, 48, 49.6 */
    assert_true(in.min == 10 && in.max == 50 && in.avg == 30);
    assert_true(in.p50 == 30 && in.p90 == 46 && in.p95 == 48);
    assert_true(in.p99 > 49.59 && in.p99 < 49.61);
    assert_true(tot.p50 == 31);
}

static void test_unknown_and_unsupported_names(void **state)
{
    fx *f = *state;
    set_str(&f->cfg.ds.name, "nope");
    expect_error(f, f->gpt2, "unknown --dataset-name 'nope'", "sharegpt");
    set_str(&f->cfg.ds.name, "custom_mm");
    expect_error(f, f->gpt2, "not supported", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_lengths_reencode_exactly),
        cmocka_unit_test(test_random_same_seed_same_bytes),
        cmocka_unit_test(test_random_thread_count_does_not_change_prompts),
        cmocka_unit_test(test_random_digest_is_stable),
        cmocka_unit_test(test_random_rejects_bad_flags),
        cmocka_unit_test(test_sharegpt_filters_and_shuffles_like_reference),
        cmocka_unit_test(test_sharegpt_fixed_output_len_skips_min_output_rule),
        cmocka_unit_test(test_sharegpt_oversamples_with_random_choice),
        cmocka_unit_test(test_sharegpt_bad_input_is_named),
        cmocka_unit_test(test_burstgpt_samples_like_pandas),
        cmocka_unit_test(test_burstgpt_prompt_is_decode_of_consecutive_ids),
        cmocka_unit_test(test_burstgpt_timestamps_replay_in_order),
        cmocka_unit_test(test_burstgpt_bad_csv_is_named),
        cmocka_unit_test(test_custom_shuffles_templates_and_counts),
        cmocka_unit_test(test_custom_bad_input_is_named),
        cmocka_unit_test(test_spec_bench_category_and_seed_zero),
        cmocka_unit_test(test_speed_bench_subset_and_category),
        cmocka_unit_test(test_hf_gsm8k_local_shuffle_buffer),
        cmocka_unit_test(test_hf_conversation_by_column),
        cmocka_unit_test(test_hf_text_classes),
        cmocka_unit_test(test_hf_rows_streamed_bad_row_still_fails),
        cmocka_unit_test(test_sonnet_fits_input_len),
        cmocka_unit_test(test_prefix_repetition_shape),
        cmocka_unit_test(test_generate_norm_dist_exact_lengths),
        cmocka_unit_test(test_stats_percentiles_are_linear),
        cmocka_unit_test(test_unknown_and_unsupported_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
