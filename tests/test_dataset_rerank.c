/* SPDX-License-Identifier: Apache-2.0 */
/* test_dataset_rerank.c - list prompts (src/dataset/ds_random_rerank.c,
 * ds_batch.c) with the real GPT-2 tokenizer: random-rerank's
 * [query, documents...] layout, lengths and prompt_len formula (reference
 * 4.3), --no-reranker, --random-batch-size > 1 for random (4.1 step 8), and
 * the checks on the flags that combine them (cli validation). Request-by-
 * request agreement with the reference is tests/dataset_rerank_diff.sh. */
#include "dsfx.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dataset/dataset.h"

/* Taken once dataset_rerank_diff.sh had shown these requests identical to the
 * reference model: a change to the list is a change of behaviour. */
#define RERANK_DIGEST 0xe99d0da735ac071cull

typedef dsfx fx;

static void opts(fx *f, const char *name, long n, long in, long batch, bool no_reranker,
                 uint64_t seed)
{
    sb_dataset_opts *o = &f->cfg.ds;
    free(o->name);
    o->name = sb_xstrdup(name);
    o->num_prompts = n;
    o->random_input_len = in;
    o->random_output_len = 16;
    o->random_batch_size = batch;
    o->no_reranker = no_reranker;
    o->seed = seed;
}

static void load_ok(fx *f, sb_dataset *ds)
{
    sb_err err;
    sb_err_clear(&err);
    if (dataset_load(&f->cfg.ds, f->gpt2, "vllm-rerank", ds, &err) != 0)
        fail_msg("dataset_load: %s", err.msg);
}

static int32_t ntok(const tok *t, const char *s, size_t len)
{
    tok_ids ids;
    tok_ids_init(&ids);
    sb_err err;
    assert_int_equal(tok_encode(t, s, len, false, &ids, &err), 0);
    int32_t n = (int32_t)ids.n;
    tok_ids_free(&ids);
    return n;
}

/* FNV-1a over every text and length of the list: a fingerprint. */
static uint64_t digest(const sb_dataset *ds)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < ds->n; i++) {
        const sb_request *r = &ds->reqs[i];
        for (uint32_t k = 0; k < r->forms.n_texts; k++) {
            const unsigned char *p = (const unsigned char *)r->forms.texts[k];
            for (size_t b = 0; b <= r->forms.text_bytes[k]; b++)
                h = (h ^ p[b]) * 1099511628211ull;
        }
        int32_t lens[2] = {r->prompt_len, r->output_len};
        const unsigned char *b = (const unsigned char *)lens;
        for (size_t k = 0; k < sizeof lens; k++)
            h = (h ^ b[k]) * 1099511628211ull;
    }
    return h;
}

/* 10 documents, batch 3: [q, d0..d2], [q, d3..d5], [q, d6..d8], [q, d9];
 * query L/2 - 1 = 31 tokens, documents L - 31 - 1 = 32; prompt_len counts
 * one separator per pair. */
static void test_rerank_layout_and_prompt_len(void **state)
{
    fx *f = *state;
    opts(f, "random-rerank", 10, 64, 3, false, 0);
    sb_dataset ds;
    load_ok(f, &ds);
    assert_int_equal(ds.n, 4);
    const uint32_t want_texts[] = {4, 4, 4, 2};
    const char *query = ds.reqs[0].forms.texts[0];
    int32_t qlen = ntok(f->gpt2, query, ds.reqs[0].forms.text_bytes[0]);
    assert_int_equal(qlen, 31);
    for (size_t i = 0; i < ds.n; i++) {
        const sb_request *r = &ds.reqs[i];
        assert_int_equal(r->forms.n_texts, want_texts[i]);
        assert_string_equal(r->prompt, "");
        assert_int_equal(r->output_len, 0);
        assert_true(r->has_request_id);
        assert_memory_equal(r->forms.texts[0], query, ds.reqs[0].forms.text_bytes[0] + 1);
        int32_t sum = 0;
        for (uint32_t k = 1; k < r->forms.n_texts; k++) {
            int32_t d = ntok(f->gpt2, r->forms.texts[k], r->forms.text_bytes[k]);
            assert_int_equal(d, 32);
            sum += d;
        }
        assert_int_equal(r->prompt_len, (qlen + 1) * (int32_t)(r->forms.n_texts - 1) + sum);
    }
    /* every document is a different window (index i + 1) */
    assert_memory_not_equal(ds.reqs[0].forms.texts[1], ds.reqs[0].forms.texts[2], 8);
    assert_non_null(ds.info);
    assert_non_null(strstr(ds.info, "Sampling input_len from [31, 31] and output_len from [1, 1]"));
    assert_non_null(strstr(ds.info, "Sampling input_len from [32, 32] and output_len from [1, 1]"));
    dataset_free(&ds);
}

/* --no-reranker: the query takes one prompt and one batch slot: 10 prompts,
 * batch 4 -> 9 documents in groups of 3; the query counts once, L tokens. */
static void test_rerank_no_reranker_counts_query_once(void **state)
{
    fx *f = *state;
    opts(f, "random-rerank", 10, 40, 4, true, 5);
    sb_dataset ds;
    load_ok(f, &ds);
    assert_int_equal(ds.n, 3);
    int32_t qlen = ntok(f->gpt2, ds.reqs[0].forms.texts[0], ds.reqs[0].forms.text_bytes[0]);
    assert_int_equal(qlen, 40);
    for (size_t i = 0; i < ds.n; i++) {
        const sb_request *r = &ds.reqs[i];
        assert_int_equal(r->forms.n_texts, 4);
        int32_t sum = 0;
        for (uint32_t k = 1; k < r->forms.n_texts; k++)
            sum += ntok(f->gpt2, r->forms.texts[k], r->forms.text_bytes[k]);
        assert_int_equal(r->prompt_len, qlen + sum);
    }
    dataset_free(&ds);
}

static void test_rerank_same_seed_same_list_digest_stable(void **state)
{
    fx *f = *state;
    opts(f, "random-rerank", 50, 256, 8, false, 1234);
    sb_dataset a, b;
    load_ok(f, &a);
    load_ok(f, &b);
    assert_int_equal(a.n, b.n);
    uint64_t h = digest(&a);
    assert_true(h == digest(&b));
    opts(f, "random-rerank", 50, 256, 8, false, 1235);
    sb_dataset c;
    load_ok(f, &c);
    assert_true(h != digest(&c));
    print_message("random-rerank digest %016llx\n", (unsigned long long)h);
    assert_true(h == RERANK_DIGEST);
    dataset_free(&a);
    dataset_free(&b);
    dataset_free(&c);
}

static void expect_load_error(fx *f, const char *needle)
{
    sb_dataset ds;
    sb_err err;
    sb_err_clear(&err);
    assert_int_equal(dataset_load(&f->cfg.ds, f->gpt2, "vllm-rerank", &ds, &err), -1);
    if (!strstr(err.msg, needle))
        fail_msg("error '%s' lacks '%s'", err.msg, needle);
}

static void test_rerank_rejects_what_the_reference_asserts(void **state)
{
    fx *f = *state;
    opts(f, "random-rerank", 1, 64, 4, true, 0);
    expect_load_error(f, "--no-reranker");
    opts(f, "random-rerank", 8, 64, 1, true, 0);
    expect_load_error(f, "--random-batch-size >= 2");
    opts(f, "random-rerank", 8, 64, 0, false, 0);
    expect_load_error(f, "--random-batch-size");
    opts(f, "random-rerank", 8, 64, 2, false, 0);
    f->cfg.ds.random_range_ratio_in = 1.0;
    expect_load_error(f, "--random-range-ratio");
    f->cfg.ds.random_range_ratio_in = 0.0;
}

/* Tiny L: the query parameter L // 2 - 1 goes to 0 and the documents take
 * the rest; an empty query is what the reference builds too. */
static void test_rerank_tiny_input_len(void **state)
{
    fx *f = *state;
    opts(f, "random-rerank", 3, 2, 2, false, 0);
    sb_dataset ds;
    load_ok(f, &ds);
    assert_int_equal(ds.n, 2);
    assert_int_equal(ds.reqs[0].forms.text_bytes[0], 0);
    /* documents: 2 - 0 - 1 = 1 token each; pairs (0 + 1) + 1 */
    assert_int_equal(ds.reqs[0].prompt_len, 4);
    assert_int_equal(ds.reqs[1].prompt_len, 2);
    dataset_free(&ds);
}

/* random with batch 4: the same prompts as unbatched, grouped 4, 4, 2. */
static void test_random_batches_group_consecutive_prompts(void **state)
{
    fx *f = *state;
    opts(f, "random", 10, 48, 1, false, 9);
    sb_dataset one;
    load_ok(f, &one);
    assert_int_equal(one.n, 10);
    opts(f, "random", 10, 48, 4, false, 9);
    sb_dataset b;
    load_ok(f, &b);
    assert_int_equal(b.n, 3);
    const uint32_t want[] = {4, 4, 2};
    size_t src = 0;
    for (size_t i = 0; i < b.n; i++) {
        const sb_request *r = &b.reqs[i];
        assert_int_equal(r->forms.n_texts, want[i]);
        assert_int_equal(r->output_len, 0);
        assert_string_equal(r->prompt, "");
        int32_t sum = 0;
        for (uint32_t k = 0; k < r->forms.n_texts; k++, src++) {
            assert_int_equal(r->forms.text_bytes[k], one.reqs[src].prompt_bytes);
            assert_memory_equal(r->forms.texts[k], one.reqs[src].prompt,
                                one.reqs[src].prompt_bytes);
            sum += one.reqs[src].prompt_len;
        }
        assert_int_equal(r->prompt_len, sum);
    }
    dataset_free(&one);
    dataset_free(&b);
}

static int parse_line(const char *line, sb_err *err)
{
    char *buf = strdup(line);
    char *argv[64];
    int argc = 0;
    argv[argc++] = "serve";
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    argv[argc] = NULL;
    sb_config cfg;
    sb_buf notes;
    sb_buf_init(&notes);
    sb_err_clear(err);
    int rc = cli_parse_serve(argc, argv, &cfg, &notes, err);
    if (rc == CLI_PARSED)
        sb_config_free(&cfg);
    sb_buf_free(&notes);
    free(buf);
    return rc;
}

static void expect_parse_error(const char *line, const char *needle)
{
    sb_err err;
    int rc = parse_line(line, &err);
    if (rc == CLI_PARSED || !strstr(err.msg, needle))
        fail_msg("'%s': rc %d, error '%s' (wanted '%s')", line, rc, err.msg, needle);
}

static void test_cli_lists_only_for_backends_that_take_them(void **state)
{
    (void)state;
    sb_err err;
    expect_parse_error("--model m --random-batch-size 4", "--random-batch-size 4");
    expect_parse_error("--model m --backend openai-chat --random-batch-size 2", "openai-chat");
    expect_parse_error("--model m --backend openai-embeddings-chat --random-batch-size 2",
                       "openai-embeddings-chat");
    expect_parse_error("--model m --dataset-name random-rerank", "--backend vllm-rerank");
    expect_parse_error("--model m --backend vllm-rerank", "--dataset-name random-rerank");
    expect_parse_error("--model m --backend openai-embeddings --random-batch-size 0",
                       "--random-batch-size must be >= 1");
    assert_int_equal(
        parse_line("--model m --backend openai-embeddings --random-batch-size 4", &err),
        CLI_PARSED);
    assert_int_equal(
        parse_line("--model m --backend vllm-rerank --dataset-name random-rerank", &err),
        CLI_PARSED);
    assert_int_equal(
        parse_line("--model m --backend vllm-pooling --dataset-name random-rerank", &err),
        CLI_PARSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rerank_layout_and_prompt_len),
        cmocka_unit_test(test_rerank_no_reranker_counts_query_once),
        cmocka_unit_test(test_rerank_same_seed_same_list_digest_stable),
        cmocka_unit_test(test_rerank_rejects_what_the_reference_asserts),
        cmocka_unit_test(test_rerank_tiny_input_len),
        cmocka_unit_test(test_random_batches_group_consecutive_prompts),
        cmocka_unit_test(test_cli_lists_only_for_backends_that_take_them),
    };
    return cmocka_run_group_tests(tests, dsfx_setup, dsfx_teardown);
}
