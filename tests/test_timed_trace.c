/* SPDX-License-Identifier: Apache-2.0 */
/* test_timed_trace.c - the timed_trace dataset (src/dataset/ds_timed_trace.c)
 * on real trace files with the real GPT-2 tokenizer: token ids (the values
 * below were printed by CPython under PYTHONHASHSEED=0 with the model in
 * tests/gen/ds_ref_timed_trace.py), shared prefixes from shared hash ids,
 * prompt_len, timestamps and their schedule, oversampling, bad input named
 * by file:line and field, the completions body and the JSON Lines export of
 * token-id and text-list prompts. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "cli/cli.h"
#include "dataset/dataset.h"
#include "dataset/ds_gen.h"
#include "sched/sched.h"
#include "run/run.h"

typedef struct fx {
    sb_config cfg;
    tok *gpt2;
    char tmp[64]; /* a scratch trace file */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    sb_config_defaults(&f->cfg);
    char *p = tu_data_path("tokenizers/gpt2");
    sb_err err;
    f->gpt2 = tok_load(p, &err);
    if (!f->gpt2)
        fail_msg("tok_load %s: %s", p, err.msg);
    free(p);
    free(f->cfg.ds.name);
    f->cfg.ds.name = sb_xstrdup("timed_trace");
    p = tu_data_path("datasets/timed_trace_small.jsonl");
    f->cfg.ds.path = p;
    f->cfg.ds.num_prompts = 6;
    f->cfg.ds.timed_trace_hash_seed = 0;
    snprintf(f->tmp, sizeof f->tmp, "/tmp/sb_tt_XXXXXX");
    int fd = mkstemp(f->tmp);
    assert_true(fd >= 0);
    close(fd);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    unlink(f->tmp);
    sb_config_free(&f->cfg);
    tok_free(f->gpt2);
    free(f);
    return 0;
}

static void load_ok(fx *f, sb_dataset *ds)
{
    sb_err err;
    sb_err_clear(&err);
    if (dataset_load(&f->cfg.ds, f->gpt2, "vllm", ds, &err) != 0)
        fail_msg("dataset_load: %s", err.msg);
}

static bool same_ids(const sb_request *a, const sb_request *b, size_t n)
{
    return a->forms.n_ids >= n && b->forms.n_ids >= n &&
           !memcmp(a->forms.ids, b->forms.ids, n * sizeof *a->forms.ids);
}

static void timed_trace_builds_id_prompts_like_python(void **state)
{
    fx *f = *state;
    sb_dataset ds;
    load_ok(f, &ds);
    assert_int_equal(ds.n, 6);
    /* request 0: hash ids 0, 1, 2 -> 16 + 16 + 8 ids; CPython's first ids */
    static const int32_t first[] = {13541, 17782, 16100, 15866, 37727, 42434, 825, 36395};
    assert_int_equal(ds.reqs[0].forms.n_ids, 40);
    assert_memory_equal(ds.reqs[0].forms.ids, first, sizeof first);
    static const int32_t r4[] = {24980, 15278, 36199, 4506, 31054, 31925, 25699};
    assert_int_equal(ds.reqs[4].forms.n_ids, 7);
    assert_memory_equal(ds.reqs[4].forms.ids, r4, sizeof r4);
    int32_t in[] = {40, 50, 40, 32, 7, 33}, out[] = {5, 3, 4, 2, 6, 1};
    double ts[] = {0, 0.25, 0.5, 1, 0.75, 1.5};
    for (size_t i = 0; i < ds.n; i++) {
        const sb_request *r = &ds.reqs[i];
        assert_string_equal(r->prompt, "");
        assert_int_equal(r->prompt_bytes, 0);
        assert_int_equal(r->prompt_len, in[i]);
        assert_int_equal(r->forms.n_ids, (uint32_t)r->prompt_len);
        assert_int_equal(r->output_len, out[i]);
        assert_true(r->timestamp_s == ts[i]);
        assert_true(r->has_request_id);
    }
    /* the non-monotonic line 5 is reported */
    assert_non_null(ds.warning);
    assert_non_null(strstr(ds.warning, "1 line(s)"));
    dataset_free(&ds);
}

static void timed_trace_shared_hash_ids_share_prefixes(void **state)
{
    fx *f = *state;
    sb_dataset ds;
    load_ok(f, &ds);
    const sb_request *q = ds.reqs;
    assert_true(same_ids(&q[0], &q[2], 40));  /* same hash ids, same length */
    assert_true(same_ids(&q[0], &q[1], 32));  /* hash ids 0, 1 shared */
    assert_false(same_ids(&q[0], &q[1], 33)); /* 2:8 vs 3:16 differ */
    assert_true(same_ids(&q[0], &q[3], 16));  /* hash id 0 */
    assert_false(same_ids(&q[0], &q[3], 17)); /* 1:16 vs 5:16 */
    assert_int_equal(q[3].prompt_len, 32);    /* 100 asked, 2 hash ids */
    dataset_free(&ds);
    /* another hash seed: other ids, same sharing */
    f->cfg.ds.timed_trace_hash_seed = 12345;
    sb_dataset d2;
    load_ok(f, &d2);
    assert_int_not_equal(d2.reqs[0].forms.ids[0], 13541);
    assert_true(same_ids(&d2.reqs[0], &d2.reqs[1], 32));
    assert_false(same_ids(&d2.reqs[0], &d2.reqs[1], 33));
    dataset_free(&d2);
}

static void timed_trace_chunk_size_and_multiplier(void **state)
{
    fx *f = *state;
    f->cfg.ds.timed_trace_chunk_hash_size = 4;
    f->cfg.ds.timed_trace_sec_multiplier = 0.001;
    sb_dataset ds;
    load_ok(f, &ds);
    /* 3 hash ids x 4 ids: capped by the ids, not input_length 40 */
    assert_int_equal(ds.reqs[0].prompt_len, 12);
    assert_int_equal(ds.reqs[4].prompt_len, 4);
    assert_true(ds.reqs[3].timestamp_s == 1 * 0.001);
    assert_true(ds.reqs[5].timestamp_s == 1.5 * 0.001);
    /* chunk 0:4 is not a prefix of chunk 0:16 (different key) */
    sb_dataset big;
    f->cfg.ds.timed_trace_chunk_hash_size = 16;
    load_ok(f, &big);
    assert_false(same_ids(&ds.reqs[0], &big.reqs[0], 4));
    dataset_free(&ds);
    dataset_free(&big);
}

static void timed_trace_first_lines_then_oversampling(void **state)
{
    fx *f = *state;
    sb_dataset ds;
    f->cfg.ds.num_prompts = 2;
    load_ok(f, &ds);
    assert_int_equal(ds.n, 2);
    assert_int_equal(ds.reqs[1].prompt_len, 50);
    dataset_free(&ds);
    f->cfg.ds.num_prompts = 10;
    load_ok(f, &ds);
    assert_int_equal(ds.n, 10);
    for (size_t i = 6; i < 10; i++) { /* copies of earlier requests */
        bool found = false;
        for (size_t j = 0; j < 6; j++)
            found |= ds.reqs[i].forms.ids == ds.reqs[j].forms.ids &&
                     ds.reqs[i].timestamp_s == ds.reqs[j].timestamp_s;
        assert_true(found);
    }
    dataset_free(&ds);
    f->cfg.ds.no_oversample = true;
    load_ok(f, &ds);
    assert_int_equal(ds.n, 6);
    dataset_free(&ds);
}

/* Trace self-timing: the schedule is the timestamps as absolute offsets, not
 * rescaled to the request rate, and a step back in time is sent right after
 * the previous request. */
static void timed_trace_timestamps_are_the_schedule(void **state)
{
    fx *f = *state;
    sb_dataset ds;
    f->cfg.ds.timed_trace_sec_multiplier = 2;
    load_ok(f, &ds);
    double *ts = malloc(ds.n * sizeof *ts);
    for (size_t i = 0; i < ds.n; i++)
        ts[i] = ds.reqs[i].timestamp_s;
    f->cfg.request_rate = 3; /* ignored by a self-timed plan */
    sched_plan p;
    sb_err err;
    sched_opts so = {.request_rate = f->cfg.request_rate, .burstiness = f->cfg.burstiness};
    assert_int_equal(sched_plan_build(&so, ds.n, NULL, ts, &p, &err), 0);
    uint64_t want[] = {0, 500000000, 1000000000, 2000000000, 2000000000, 3000000000};
    for (size_t i = 0; i < ds.n; i++)
        assert_int_equal(p.offset_ns[i], want[i]);
    assert_true(p.offset_s[4] == 1.5); /* the trace's own value is kept */
    assert_int_equal(sched_deadline_ns(&p, 5, 1000), 1000 + 3000000000ULL);
    sched_plan_free(&p);
    free(ts);
    dataset_free(&ds);
}

/* Writes text to the scratch trace and expects an error holding both needles. */
static void bad(fx *f, const char *text, const char *n1, const char *n2)
{
    FILE *fp = fopen(f->tmp, "w");
    fputs(text, fp);
    fclose(fp);
    free(f->cfg.ds.path);
    f->cfg.ds.path = sb_xstrdup(f->tmp);
    sb_dataset ds;
    sb_err err;
    sb_err_clear(&err);
    if (dataset_load(&f->cfg.ds, f->gpt2, "vllm", &ds, &err) == 0)
        fail_msg("accepted: %s", text);
    if (!strstr(err.msg, n1) || (n2 && !strstr(err.msg, n2)))
        fail_msg("message '%s' lacks '%s' / '%s'", err.msg, n1, n2 ? n2 : "");
}

static void timed_trace_bad_input_names_line_and_field(void **state)
{
    fx *f = *state;
    const char *ok = "{\"timestamp\": 0, \"input_length\": 4, \"output_length\": 1, "
                     "\"hash_ids\": [1]}\n";
    char buf[512];
    snprintf(buf, sizeof buf, "%s{\"timestamp\": 1, \"output_length\": 1, \"hash_ids\": [1]}\n",
             ok);
    bad(f, buf, ":2: no \"input_length\" field", "--timed-trace-label-input-length");
    snprintf(buf, sizeof buf,
             "%s%s{\"timestamp\": 1, \"input_length\": \"4\", \"output_length\": 1, "
             "\"hash_ids\": [1]}\n",
             ok, ok);
    bad(f, buf, ":3: \"input_length\" must be a non-negative integer", NULL);
    bad(f, "{\"timestamp\": 0, \"input_length\": 4, \"output_length\": -2, \"hash_ids\": []}\n",
        ":1: \"output_length\" must be a non-negative integer", NULL);
    bad(f, "{\"timestamp\": 0, \"input_length\": 4.5, \"output_length\": 2, \"hash_ids\": []}\n",
        "\"input_length\" must be", NULL);
    bad(f, "{\"timestamp\": -1, \"input_length\": 4, \"output_length\": 2, \"hash_ids\": []}\n",
        ":1: \"timestamp\" must be a number >= 0", NULL);
    bad(f, "{\"timestamp\": \"0\", \"input_length\": 4, \"output_length\": 2, \"hash_ids\": []}\n",
        "\"timestamp\" must be a number", NULL);
    bad(f, "{\"timestamp\": 0, \"input_length\": 4, \"output_length\": 2, \"hash_ids\": 7}\n",
        ":1: no \"hash_ids\" list", NULL);
    bad(f,
        "{\"timestamp\": 0, \"input_length\": 40, \"output_length\": 2, \"hash_ids\": [1, null]}\n",
        ":1: \"hash_ids\"[1] must be a number or a string", NULL);
    bad(f, "\n  \n", "the trace has no requests", NULL);
    bad(f, "{\"timestamp\": 0,\n", ":1:", "not valid JSON");
    bad(f, "[1, 2]\n", ":1: expected a JSON object", NULL);
    f->cfg.ds.timed_trace_chunk_hash_size = 0;
    bad(f, ok, "--timed-trace-chunk-hash-size 0: must be >= 1", NULL);
    f->cfg.ds.timed_trace_chunk_hash_size = 16;
    free(f->cfg.ds.timed_trace_label_timestamp);
    f->cfg.ds.timed_trace_label_timestamp = sb_xstrdup("ts");
    bad(f, ok, ":1: no \"ts\" field", "--timed-trace-label-timestamp");
}

static void timed_trace_only_completions_backends(void **state)
{
    fx *f = *state;
    sb_dataset ds;
    sb_err err;
    assert_int_equal(dataset_load(&f->cfg.ds, f->gpt2, "openai-chat", &ds, &err), -1);
    assert_non_null(strstr(err.msg, "use --backend vllm or openai (got openai-chat)"));
    assert_int_equal(dataset_load(&f->cfg.ds, NULL, "openai", &ds, &err), -1);
    assert_non_null(strstr(err.msg, "needs a tokenizer"));
    assert_int_equal(dataset_load(&f->cfg.ds, f->gpt2, "openai", &ds, &err), 0);
    dataset_free(&ds);
}

static char *completions_body(const sb_config *cfg, const bk_req *r)
{
    bk_params p;
    sb_err err;
    assert_int_equal(
        bk_params_init(&p, backend_find("vllm"), run_bk_opts(cfg, &(bk_opts){0}), "m", true, &err),
        0);
    pyjson_obj scratch;
    pyjson_obj_init(&scratch);
    sb_buf out;
    sb_buf_init(&out);
    bk_build_body(&p, r, &scratch, &out);
    pyjson_obj_free(&scratch);
    bk_params_free(&p);
    return sb_buf_steal(&out);
}

/* json.dumps of the reference's body: a list prompt with ", " separators. */
static void completions_body_sends_list_prompts(void **state)
{
    fx *f = *state;
    int32_t ids[] = {1, 20, 300};
    bk_req r = {.prompt = "", .forms.ids = ids, .forms.n_ids = 3, .prompt_len = 3, .output_len = 8};
    char *b = completions_body(&f->cfg, &r);
    assert_string_equal(b, "{\"model\": \"m\", \"prompt\": [1, 20, 300], \"repetition_penalty\": "
                           "1.0, \"max_tokens\": 8, \"logprobs\": null, \"stream\": true, "
                           "\"stream_options\": {\"include_usage\": true}, \"ignore_eos\": true}");
    free(b);
    const char *texts[] = {"a", "caf\xc3\xa9"};
    size_t lens[] = {1, 5};
    bk_req t = {.prompt = "",
                .forms.texts = texts,
                .forms.text_bytes = lens,
                .forms.n_texts = 2,
                .output_len = 1};
    b = completions_body(&f->cfg, &t);
    assert_non_null(strstr(b, "\"prompt\": [\"a\", \"caf\\u00e9\"], "));
    free(b);
}

static void export_writes_list_prompts(void **state)
{
    fx *f = *state;
    sb_dataset ds;
    load_ok(f, &ds);
    const char *texts[] = {"x", "y z"};
    size_t lens[] = {1, 3};
    ds.reqs[5].forms.ids = NULL; /* a batch-style request, as another dataset makes */
    ds.reqs[5].forms.texts = texts;
    ds.reqs[5].forms.text_bytes = lens;
    ds.reqs[5].forms.n_texts = 2;
    FILE *fp = fopen(f->tmp, "w");
    sb_err err;
    assert_int_equal(dataset_write_jsonl(&ds, fp, &err), 0);
    fclose(fp);
    fp = fopen(f->tmp, "r");
    char line[4096];
    for (size_t i = 0; i < ds.n && fgets(line, sizeof line, fp); i++) {
        json_error_t je;
        json_t *row = json_loads(line, 0, &je);
        assert_non_null(row);
        json_t *p = json_object_get(row, "prompt");
        assert_true(json_is_array(p));
        if (i < 5) {
            assert_int_equal(json_array_size(p), ds.reqs[i].forms.n_ids);
            for (size_t j = 0; j < json_array_size(p); j++)
                assert_int_equal(json_integer_value(json_array_get(p, j)), ds.reqs[i].forms.ids[j]);
            assert_true(json_real_value(json_object_get(row, "timestamp")) ==
                        ds.reqs[i].timestamp_s);
        } else {
            assert_string_equal(json_string_value(json_array_get(p, 1)), "y z");
        }
        assert_int_equal(json_integer_value(json_object_get(row, "prompt_len")),
                         ds.reqs[i].prompt_len);
        json_decref(row);
    }
    fclose(fp);
    dataset_len_stats in, out, tot;
    dataset_stats(&ds, &in, &out, &tot);
    assert_true(in.min == 7 && in.max == 50); /* prompt_len, not the empty text */
    dataset_free(&ds);
}

static int parse_seed(const char *value, sb_config *cfg, sb_err *err)
{
    char *argv[] = {"serve", "--model", "m", "--timed-trace-hash-seed", (char *)value, NULL};
    sb_buf notes;
    sb_buf_init(&notes);
    int rc = cli_parse_serve(value ? 5 : 3, argv, cfg, &notes, err);
    sb_buf_free(&notes);
    return rc;
}

static void hash_seed_flag_accepts_pythonhashseed_values_only(void **state)
{
    (void)state;
    sb_config cfg;
    sb_err err;
    assert_int_equal(parse_seed(NULL, &cfg, &err), CLI_PARSED);
    assert_true(cfg.ds.timed_trace_hash_seed == -1); /* $PYTHONHASHSEED, else 0, at load */
    sb_buf s;
    sb_buf_init(&s);
    cli_serve_summary(&cfg, &s);
    assert_non_null(strstr(s.data, "timed_trace_hash_seed=None"));
    sb_config_free(&cfg);
    assert_int_equal(parse_seed("4294967295", &cfg, &err), CLI_PARSED);
    assert_true(cfg.ds.timed_trace_hash_seed == 4294967295LL);
    sb_buf_reset(&s);
    cli_serve_summary(&cfg, &s);
    assert_non_null(strstr(s.data, "timed_trace_hash_seed=4294967295"));
    sb_buf_free(&s);
    sb_config_free(&cfg);
    assert_int_equal(parse_seed("random", &cfg, &err), -1);
    assert_non_null(strstr(err.msg, "cannot be reproduced"));
    const char *bad[] = {"4294967296", "-1", "7x", "", "1e3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse_seed(bad[i], &cfg, &err), -1);
        assert_non_null(strstr(err.msg, "--timed-trace-hash-seed: invalid value"));
    }
}

/* Without the flag the hash seed is $PYTHONHASHSEED when it is a number. */
static void hash_seed_defaults_to_pythonhashseed(void **state)
{
    fx *f = *state;
    f->cfg.ds.timed_trace_hash_seed = -1;
    sb_dataset a, b;
    setenv("PYTHONHASHSEED", "12345", 1);
    load_ok(f, &a);
    f->cfg.ds.timed_trace_hash_seed = 12345;
    load_ok(f, &b);
    assert_memory_equal(a.reqs[0].forms.ids, b.reqs[0].forms.ids, 40 * sizeof *a.reqs[0].forms.ids);
    dataset_free(&a);
    dataset_free(&b);
    f->cfg.ds.timed_trace_hash_seed = -1;
    setenv("PYTHONHASHSEED", "random", 1);
    load_ok(f, &a); /* seed 0, with a warning */
    assert_int_equal(a.reqs[0].forms.ids[0], 13541);
    assert_non_null(strstr(a.warning, "PYTHONHASHSEED=random is not a seed number"));
    dataset_free(&a);
    unsetenv("PYTHONHASHSEED");
    load_ok(f, &a);
    assert_int_equal(a.reqs[0].forms.ids[0], 13541);
    dataset_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(timed_trace_builds_id_prompts_like_python, setup, teardown),
        cmocka_unit_test_setup_teardown(timed_trace_shared_hash_ids_share_prefixes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(timed_trace_chunk_size_and_multiplier, setup, teardown),
        cmocka_unit_test_setup_teardown(timed_trace_first_lines_then_oversampling, setup, teardown),
        cmocka_unit_test_setup_teardown(timed_trace_timestamps_are_the_schedule, setup, teardown),
        cmocka_unit_test_setup_teardown(timed_trace_bad_input_names_line_and_field, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(timed_trace_only_completions_backends, setup, teardown),
        cmocka_unit_test_setup_teardown(completions_body_sends_list_prompts, setup, teardown),
        cmocka_unit_test_setup_teardown(export_writes_list_prompts, setup, teardown),
        cmocka_unit_test(hash_seed_flag_accepts_pythonhashseed_values_only),
        cmocka_unit_test_setup_teardown(hash_seed_defaults_to_pythonhashseed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
