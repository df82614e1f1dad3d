/* SPDX-License-Identifier: Apache-2.0 */
/* test_mm.c - multimodal requests: base64, the random-mm option parsers and
 * plan checks, random-mm requests against a committed output of the Python
 * reference model (tests/gen/ds_ref_random_mm.py: numpy default_rng, Pillow
 * JPEG, Rust tokenizers), custom_image's image rule, custom_audio's WAV
 * bytes against python-soundfile's (tests/data/datasets/mm/audio_ref.txt),
 * and the chat body with parts after the text part (reference 3.4). */
#include "dsfx.h"
#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/pyjson.h"
#include "config/config.h"
#include "core/b64.h"
#include "dataset/dataset.h"
#include "dataset/ds_mm.h"
#include "run/run.h"

typedef dsfx fx;

static int load(fx *f, const char *backend, sb_dataset *ds, sb_err *err)
{
    sb_err_clear(err);
    return dataset_load(&f->cfg.ds, f->gpt2, backend, ds, err);
}

static void expect_error(fx *f, const char *backend, const char *needle)
{
    sb_dataset ds;
    sb_err err;
    assert_int_equal(load(f, backend, &ds, &err), -1);
    if (!strstr(err.msg, needle))
        fail_msg("error '%s' lacks '%s'", err.msg, needle);
    assert_int_equal(ds.n, 0);
}

/* ---------------- base64 ---------------- */

static void test_b64_rfc4648_vectors(void **state)
{
    (void)state;
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"};
    const size_t len[] = {0, 1, 2, 3, 4, 5, 6, 3};
    const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy", "//4A"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        sb_buf b;
        sb_buf_init(&b);
        sb_b64_encode(&b, in[i], len[i]);
        assert_string_equal(b.data ? b.data : "", want[i]);
        sb_buf_free(&b);
    }
}

/* ---------------- option parsing ---------------- */

static void test_bucket_literal_forms(void **state)
{
    (void)state;
    mm_bucket *b;
    size_t n;
    sb_err err;
    /* NULL = the reference default, video bucket at 0 included. */
    assert_int_equal(mm_parse_buckets(NULL, &b, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_true(b[2].h == 720 && b[2].w == 1280 && b[2].t == 16 && b[2].p == 0.0);
    free(b);
    /* String keys, int values, trailing commas, a repeated key (first place, last value). */
    assert_int_equal(
        mm_parse_buckets(" { '(1, 2, 1)': 1, (3,4,1,): \"0.5\", (1 ,2, 1): 0.25, } ", &b, &n, &err),
        0);
    assert_int_equal(n, 2);
    assert_true(b[0].h == 1 && b[0].w == 2 && b[0].t == 1 && b[0].p == 0.25);
    assert_true(b[1].h == 3 && b[1].w == 4 && b[1].p == 0.5);
    sb_buf r;
    sb_buf_init(&r);
    mm_buckets_repr(b, n, &r);
    assert_string_equal(r.data, "{(1, 2, 1): 0.25, (3, 4, 1): 0.5}");
    sb_buf_free(&r);
    free(b);
    const char *bad[][2] = {{"[(1, 2, 1)]", "must parse to a dict"},
                            {"{(1, 2): 0.5}", "between the tuple's three integers"},
                            {"{(1, 2, 3, 4): 0.5}", "exactly three ints"},
                            {"{(1, 2, 1.5): 0.5}", "not an integer"},
                            {"{'x': 0.5}", "expected '('"},
                            {"{(1, 2, 1): 'half'}", "could not convert string to float"},
                            {"{(1, 2, 1): 0.5", "',' or '}'"},
                            {"{(1, 2, 1): 0.5} x", "end of the dict"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sb_err_clear(&err);
        assert_int_equal(mm_parse_buckets(bad[i][0], &b, &n, &err), -1);
        if (!strstr(err.msg, bad[i][1]) || !strstr(err.msg, "--random-mm-bucket-config"))
            fail_msg("'%s': error '%s' lacks '%s'", bad[i][0], err.msg, bad[i][1]);
    }
}

static void mm_opts(fx *f, const char *buckets, const char *limits, long base, double ratio)
{
    sb_dataset_opts *o = &f->cfg.ds;
    dsfx_set_str(&o->name, "random-mm");
    dsfx_set_str(&o->random_mm_bucket_config, buckets);
    dsfx_set_str(&o->random_mm_limit_mm_per_prompt, limits);
    o->random_mm_base_items_per_request = base;
    o->random_mm_num_mm_items_range_ratio = ratio;
}

static void test_plan_checks_and_item_range(void **state)
{
    fx *f = *state;
    sb_dataset ds = {0};
    mm_plan p;
    sb_err err;
    /* Limits of modalities without buckets do not count: max = min(3, ceil(2 * 1.5)). */
    mm_opts(f, "{(8, 8, 1): 1, (8, 8, 4): 0}", "{\"image\": 3, \"video\": 9}", 2, 0.5);
    assert_int_equal(mm_plan_build(&f->cfg.ds, &ds, &p, &err), 0);
    assert_int_equal(p.lo, 1);
    assert_int_equal(p.hi, 3);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.limit_video, -1);
    assert_non_null(strstr(ds.info, "Sampling number of multimodal items from [1, 3]"));
    mm_plan_free(&p);
    dataset_free(&ds);
    /* Limits and base counts at the ends of their types (fuzz_mm_config found
     * the limits' sum and the range's casts overflowing): Python's ints
     * saturate here, max = min(sum, ceil(base * 2)). */
    const struct {
        long base;
        long lo, hi;
    } huge[] = {{LONG_MAX, LONG_MAX, LONG_MAX}, {3, 0, 6}, {LONG_MIN, 0, -1}};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        mm_opts(f, "{(8, 8, 1): 1, (8, 8, 4): 1}",
                "{\"image\": 9223372036854775807, \"video\": 9223372036854775807}", huge[i].base,
                huge[i].base == 3 ? 1.0 : 0.0);
        memset(&ds, 0, sizeof ds);
        sb_err_clear(&err);
        int rc = mm_plan_build(&f->cfg.ds, &ds, &p, &err);
        if (huge[i].lo > huge[i].hi) {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err.msg, "min num mm items is greater than max"));
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(p.lo, huge[i].lo);
            assert_int_equal(p.hi, huge[i].hi);
            mm_plan_free(&p);
        }
        dataset_free(&ds);
    }
    const struct {
        const char *buckets, *limits;
        long base;
        double ratio;
        const char *needle;
    } bad[] = {
        {NULL, NULL, 1, 1.5, "must be in [0, 1]"},
        {"{(8, 8, 4): 1}", "{\"image\": 1}", 1, 0, "modality video is not in"},
        {"{(8, 8, 0): 1}", NULL, 1, 0, "invalid multimodal item configuration: (8, 8, 0)"},
        {"{(8, 8, 1): 0}", NULL, 1, 0, "must be non-zero"},
        {"{(8, 8, 1): -1, (4, 4, 1): 2}", NULL, 1, 0, "must be non-negative"},
        /* fuzz_mm_config: NaN probabilities (the reference raises; the draw took bucket 0) */
        {"{(8, 8, 1): 1e999, (4, 4, 1): 1}", NULL, 1, 0, "must be finite"},
        {"{(8, 8, 1): 'nan'}", NULL, 1, 0, "must be finite"},
        {"{(8, 8, 1): 1e308, (4, 4, 1): 1e308}", NULL, 1, 0, "sum is not finite"},
        {"{(8, 8, 1): 1}", "{\"image\": 2}", 5, 0, "5 > 2"},
        {NULL, "[1]", 1, 0, "must be a JSON object"},
        {NULL, "{\"image\": \"3\"}", 1, 0, "must be an integer"},
        {NULL, "{\"image\": ", 1, 0, "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mm_opts(f, bad[i].buckets, bad[i].limits, bad[i].base, bad[i].ratio);
        memset(&ds, 0, sizeof ds);
        sb_err_clear(&err);
        assert_int_equal(mm_plan_build(&f->cfg.ds, &ds, &p, &err), -1);
        if (!strstr(err.msg, bad[i].needle))
            fail_msg("case %zu: error '%s' lacks '%s'", i, err.msg, bad[i].needle);
        dataset_free(&ds);
    }
}

/* ---------------- random-mm ---------------- */

/* The flags the committed reference output was made with (see
 * tests/mm_media_diff.sh for the same comparison made live). */
static void ref_opts(fx *f)
{
    mm_opts(f, "{(8, 8, 1): 0.25, (5, 3, 1): 0.5, \"(16, 24, 1)\": 0.25, (32, 32, 16): 0.0}",
            "{\"image\": 3, \"video\": 1}", 2, 1.0);
    sb_dataset_opts *o = &f->cfg.ds;
    o->num_prompts = 6;
    o->random_input_len = 24;
    o->random_output_len = 6;
    o->random_range_ratio_in = o->random_range_ratio_out = 0.25;
    o->random_prefix_len = 3;
    o->seed = 5;
}

static void test_random_mm_matches_reference_model(void **state)
{
    fx *f = *state;
    ref_opts(f);
    sb_dataset ds;
    sb_err err;
    if (load(f, "openai-chat", &ds, &err) != 0)
        fail_msg("random-mm: %s", err.msg);
    char *path = tu_data_path("datasets/mm/random_mm_ref.jsonl");
    sb_buf text;
    sb_buf_init(&text);
    assert_int_equal(tu_read_file(path, &text), 0);
    size_t i = 0, with_parts = 0, without = 0;
    for (char *line = strtok(text.data, "\n"); line; line = strtok(NULL, "\n"), i++) {
        json_t *row = json_loads(line, 0, NULL);
        assert_non_null(row);
        assert_true(i < ds.n);
        const sb_request *r = &ds.reqs[i];
        assert_string_equal(r->prompt, json_string_value(json_object_get(row, "prompt")));
        assert_int_equal(r->prompt_len, json_integer_value(json_object_get(row, "prompt_len")));
        assert_int_equal(r->output_len, json_integer_value(json_object_get(row, "output_tokens")));
        json_t *parts = json_object_get(row, "mm_parts");
        if (parts) {
            assert_non_null(r->forms.mm_parts);
            assert_int_equal(r->forms.mm_parts_bytes, json_string_length(parts));
            assert_memory_equal(r->forms.mm_parts, json_string_value(parts),
                                r->forms.mm_parts_bytes);
            with_parts++;
        } else {
            assert_null(r->forms.mm_parts);
            without++;
        }
        json_decref(row);
    }
    assert_int_equal(i, ds.n);
    /* The fixture covers both requests with images and with none (ratio 1 allows 0). */
    assert_true(with_parts > 0 && without > 0);
    sb_buf_free(&text);
    free(path);
    dataset_free(&ds);
}

/* One thread and a flush after every request give the same bytes as the
 * default batches on every core. */
static void test_random_mm_threads_and_batches_do_not_change_output(void **state)
{
    fx *f = *state;
    ref_opts(f);
    dsfx_set_str(&f->cfg.ds.random_mm_bucket_config, "{(40, 30, 1): 0.5, (7, 9, 1): 0.5}");
    f->cfg.ds.num_prompts = 24;
    sb_dataset a, b;
    sb_err err;
    if (load(f, "openai-chat", &a, &err) != 0)
        fail_msg("random-mm: %s", err.msg);
    setenv("SB_THREADS", "1", 1);
    setenv("SB_MM_BATCH_BYTES", "1", 1);
    int rc = load(f, "openai-chat", &b, &err);
    unsetenv("SB_THREADS");
    unsetenv("SB_MM_BATCH_BYTES");
    if (rc != 0)
        fail_msg("random-mm: %s", err.msg);
    assert_int_equal(a.n, b.n);
    size_t images = 0;
    for (size_t i = 0; i < a.n; i++) {
        assert_string_equal(a.reqs[i].prompt, b.reqs[i].prompt);
        assert_int_equal(a.reqs[i].forms.mm_parts_bytes, b.reqs[i].forms.mm_parts_bytes);
        if (a.reqs[i].forms.mm_parts) {
            assert_memory_equal(a.reqs[i].forms.mm_parts, b.reqs[i].forms.mm_parts,
                                a.reqs[i].forms.mm_parts_bytes);
            for (const char *q = a.reqs[i].forms.mm_parts; (q = strstr(q, "image_url\": {")); q++)
                images++;
        }
    }
    assert_true(images > 20);
    dataset_free(&a);
    dataset_free(&b);
}

static void test_random_mm_rejects_other_backends_and_video(void **state)
{
    fx *f = *state;
    ref_opts(f);
    expect_error(f, "openai", "not supported on backend 'openai'");
    expect_error(f, "openai-embeddings", "not supported on backend");
    /* Videos are encoded (tests/test_mm_video.c) unless OpenCV could not open them. */
    mm_opts(f, "{(8, 8, 1): 0.5, (8, 1, 4): 0.5}", NULL, 1, 0);
    expect_error(f, "openai-chat", "video bucket (8, 1, 4) needs 2 <= H, W");
    mm_opts(f, "{(8, 0, 1): 1}", NULL, 1, 0);
    expect_error(f, "openai-chat", "needs 1 <= H, W");
    ref_opts(f);
    f->cfg.ds.random_batch_size = 2;
    expect_error(f, "openai-chat", "--random-batch-size");
    f->cfg.ds.random_batch_size = 1;
}

/* ---------------- chat body ---------------- */

static void test_chat_body_parts_follow_text(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    const backend *be = backend_find("openai-chat");
    bk_params p;
    sb_err err;
    assert_int_equal(bk_params_init(&p, be, run_bk_opts(&cfg, &(bk_opts){0}), "m", false, &err), 0);
    pyjson_obj scratch;
    pyjson_obj_init(&scratch);
    sb_buf out;
    sb_buf_init(&out);
    const char *parts = "{\"type\": \"image_url\", \"image_url\": {\"url\": \"file://a.jpg\"}}, "
                        "{\"type\": \"image_url\", \"image_url\": {\"url\": \"http://b\"}}";
    /* An empty prompt keeps its text part, as the reference's _get_chat_content does. */
    bk_req r = {.prompt = "",
                .prompt_bytes = 0,
                .output_len = 5,
                .forms.mm_parts = parts,
                .forms.mm_parts_bytes = strlen(parts)};
    bk_build_body(&p, &r, &scratch, &out);
    assert_string_equal(out.data,
                        "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": "
                        "[{\"type\": \"text\", \"text\": \"\"}, {\"type\": \"image_url\", "
                        "\"image_url\": {\"url\": \"file://a.jpg\"}}, {\"type\": \"image_url\", "
                        "\"image_url\": {\"url\": \"http://b\"}}]}], \"max_completion_tokens\": 5, "
                        "\"stream\": true, \"stream_options\": {\"include_usage\": true}}");
    /* A prompt that already was a list of parts is the content as it is. */
    const char *whole = "{\"text\": \"hi\", \"type\": \"text\"}";
    bk_req w = {.prompt = "hi",
                .prompt_bytes = 2,
                .output_len = 5,
                .forms.mm_parts = whole,
                .forms.mm_parts_bytes = strlen(whole),
                .forms.mm_content_only = true};
    sb_buf_reset(&out);
    bk_build_body(&p, &w, &scratch, &out);
    assert_non_null(strstr(out.data, "\"content\": [{\"text\": \"hi\", \"type\": \"text\"}]}]"));
    sb_buf_free(&out);
    pyjson_obj_free(&scratch);
    bk_params_free(&p);
    sb_config_free(&cfg);
}

/* ---------------- custom_image ---------------- */

static void test_custom_image_rule_shuffle_and_counts(void **state)
{
    fx *f = *state;
    sb_dataset_opts *o = &f->cfg.ds;
    dsfx_set_str(&o->name, "custom_image");
    char *p = tu_data_path("datasets/mm/images.jsonl");
    dsfx_set_str(&o->path, p);
    free(p);
    o->num_prompts = 6; /* 4 rows: 2 oversampled copies */
    o->seed = 0;
    o->custom_output_len = 33;
    sb_dataset ds;
    sb_err err;
    if (load(f, "openai-chat", &ds, &err) != 0)
        fail_msg("custom_image: %s", err.msg);
    assert_int_equal(ds.n, 6);
    /* random.seed(0); random.shuffle(range(4)) == [2, 0, 1, 3] */
    const char *prompts[] = {"Describe the cat.", "Compare them.", "Which \"one\" is red?", ""};
    const char *want[] = {
        "{\"type\": \"image_url\", \"image_url\": {\"url\": \"file://photos/cat.jpg\"}}",
        ("{\"type\": \"image_url\", \"image_url\": {\"url\": \"https://example.com/a.png\"}}, "
         "{\"type\": \"image_url\", \"image_url\": {\"url\": \"file:///srv/b.png\"}}, "
         "{\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/png;base64,"
         "iVBORw0KGgo=\"}}"),
        ("{\"type\": \"image_url\", \"image_url\": {\"url\": \"file:///abs/path/red.webp\"}}, "
         "{\"type\": \"image_url\", \"image_url\": {\"url\": \"http://host/x.gif\"}}"),
        "{\"type\": \"image_url\", \"image_url\": {\"url\": \"file://empty_prompt.jpg\"}}"};
    const int order[] = {2, 0, 1, 3};
    for (size_t i = 0; i < 4; i++) {
        const sb_request *r = &ds.reqs[i];
        assert_string_equal(r->prompt, prompts[order[i]]);
        assert_string_equal(r->forms.mm_parts, want[order[i]]);
        assert_int_equal(r->output_len, 33);
        /* tokenizer(prompt) with special tokens, no chat template */
        tok_ids ids;
        tok_ids_init(&ids);
        assert_int_equal(tok_encode(f->gpt2, r->prompt, strlen(r->prompt), true, &ids, &err), 0);
        assert_int_equal(r->prompt_len, (int32_t)ids.n);
        tok_ids_free(&ids);
    }
    for (size_t i = 4; i < 6; i++)
        assert_non_null(ds.reqs[i].forms.mm_parts);
    dataset_free(&ds);
    o->num_prompts = 1;
    expect_error(f, "openai", "needs --backend openai-chat");
    o->custom_ensure_client_side_data = true;
    /* the rows name files that do not exist: inlining them fails, naming the URL */
    expect_error(f, "openai-chat", "Invalid image URL: file://");
    o->custom_ensure_client_side_data = false;
}

/* Writes lines into a temp .jsonl and points --dataset-path at it. */
static char *temp_jsonl(fx *f, const char *text)
{
    char *path = sb_xstrdup("/tmp/sb_test_mm_XXXXXX.jsonl");
    int fd = mkstemps(path, 6);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fputs(text, fp);
    fclose(fp);
    dsfx_set_str(&f->cfg.ds.path, path);
    return path;
}

static void test_custom_image_bad_rows_are_named(void **state)
{
    fx *f = *state;
    dsfx_set_str(&f->cfg.ds.name, "custom_image");
    f->cfg.ds.num_prompts = 1;
    const char *bad[][2] = {
        {"{\"content\": []}\n", ":1: 'content' must contain at least one item"},
        {"{\"content\": \"x\"}\n", ":1: 'content' must be a list"},
        {"{\"content\": [{\"type\": \"text\", \"text\": 3}]}\n", "content[0]: text content"},
        {"{\"content\": [{\"type\": \"text\", \"text\": \"a\"}, {\"type\": \"video\"}]}\n",
         "content[1]: content parts must have type"},
        {"{\"content\": [{\"type\": \"image_url\", \"image_url\": {\"detail\": 1}}]}\n",
         "content[0]: image URL content parts"},
        {"{\"content\": [7]}\n", "content[0]: each item in 'content' must be a dictionary"},
        {"{\"prompt\": \"x\"}\n", ":1: each custom image dataset line"},
        {"\n{\"prompt\": \"x\", \"image_files\": []}\n", ":2: 'image_files' must be a non-empty"},
        {"{\"prompt\": 3, \"image_files\": [\"a\"]}\n", "'prompt' must be a string"},
        {"{\"prompt\": \"x\", \"image_files\": [\"a\", 7]}\n", "image_files[1] must be a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *path = temp_jsonl(f, bad[i][0]);
        expect_error(f, "openai-chat", bad[i][1]);
        unlink(path);
        free(path);
    }
}

/* "content" rows and --enable-multimodal-chat: the parts are the whole
 * content (reference [newest] _get_chat_content / _is_chat_messages). */
static void test_custom_image_content_rows_and_chat_form(void **state)
{
    fx *f = *state;
    dsfx_set_str(&f->cfg.ds.name, "custom_image");
    f->cfg.ds.num_prompts = 2;
    f->cfg.ds.disable_shuffle = true;
    char *path = temp_jsonl(
        f, "{\"content\": [{\"type\": \"text\", \"text\": \"Compare \"}, {\"type\": \"image\", "
           "\"image\": \"a.png\"}, {\"type\": \"text\", \"text\": \"and\"}, {\"type\": "
           "\"image_url\", \"image_url\": {\"detail\": \"high\", \"url\": \"http://x/b.png\"}}, "
           "{\"type\": \"image_url\", \"image_url\": \"c.png\", \"ignored\": 1}]}\n"
           "{\"prompt\": \"Look\", \"image_files\": [\"d.png\"]}\n");
    sb_dataset ds;
    sb_err err;
    if (load(f, "openai-chat", &ds, &err) != 0)
        fail_msg("custom_image: %s", err.msg);
    assert_int_equal(ds.n, 2);
    assert_true(ds.reqs[0].forms.mm_content_only);
    assert_string_equal(ds.reqs[0].prompt, "Compare and");
    assert_int_equal(ds.reqs[0].prompt_len, 2);
    assert_string_equal(
        ds.reqs[0].forms.mm_parts,
        "{\"type\": \"text\", \"text\": \"Compare \"}, {\"type\": \"image_url\", "
        "\"image_url\": {\"url\": \"file://a.png\"}}, {\"type\": \"text\", \"text\": "
        "\"and\"}, {\"type\": \"image_url\", \"image_url\": {\"url\": \"http://x/b.png\", "
        "\"detail\": \"high\"}}, {\"type\": \"image_url\", \"image_url\": {\"url\": "
        "\"file://c.png\"}}");
    assert_false(ds.reqs[1].forms.mm_content_only);
    dataset_free(&ds);
    /* --enable-multimodal-chat: {"text", "type"} part first, content only. */
    f->cfg.ds.enable_multimodal_chat = true;
    if (load(f, "openai-chat", &ds, &err) != 0)
        fail_msg("custom_image: %s", err.msg);
    assert_true(ds.reqs[1].forms.mm_content_only);
    assert_string_equal(ds.reqs[1].forms.mm_parts,
                        "{\"text\": \"Look\", \"type\": \"text\"}, {\"type\": \"image_url\", "
                        "\"image_url\": {\"url\": \"file://d.png\"}}");
    dataset_free(&ds);
    /* random-mm too, and a request without items keeps its text part. */
    ref_opts(f);
    if (load(f, "openai-chat", &ds, &err) != 0)
        fail_msg("random-mm: %s", err.msg);
    for (size_t i = 0; i < ds.n; i++) {
        assert_true(ds.reqs[i].forms.mm_content_only);
        assert_memory_equal(ds.reqs[i].forms.mm_parts, "{\"text\": ", 9);
    }
    dataset_free(&ds);
    f->cfg.ds.enable_multimodal_chat = false;
    f->cfg.ds.disable_shuffle = false;
    unlink(path);
    free(path);
}

/* ---------------- custom_audio ---------------- */

static void test_custom_audio_wav_matches_soundfile(void **state)
{
    fx *f = *state;
    char *a = tu_data_path("datasets/mm/tone16.wav");
    char *b = tu_data_path("datasets/mm/stereo_float.wav");
    sb_buf rows;
    sb_buf_init(&rows);
    sb_buf_printf(&rows,
                  "{\"prompt\": \"Transcribe.\", \"audio\": \"%s\"}\n"
                  "{\"prompt\": \"And this?\", \"audio\": \"%s\", \"output_tokens\": 9}\n",
                  a, b);
    dsfx_set_str(&f->cfg.ds.name, "custom_audio");
    char *path = temp_jsonl(f, rows.data);
    f->cfg.ds.enable_multimodal_chat = true;
    f->cfg.ds.disable_shuffle = true;
    f->cfg.ds.num_prompts = 2;
    f->cfg.ds.custom_output_len = -1;
    sb_dataset ds;
    sb_err err;
    /* Row 1 has no output_tokens and --custom-output-len is -1. */
    expect_error(f, "openai-chat", ":1: if no output length is provided");
    f->cfg.ds.custom_output_len = 40;
    if (load(f, "openai-chat", &ds, &err) != 0)
        fail_msg("custom_audio: %s", err.msg);
    char *ref_path = tu_data_path("datasets/mm/audio_ref.txt");
    sb_buf ref;
    sb_buf_init(&ref);
    assert_int_equal(tu_read_file(ref_path, &ref), 0);
    char *line = strtok(ref.data, "\n");
    for (size_t i = 0; i < 2; i++, line = strtok(NULL, "\n")) {
        assert_non_null(line);
        sb_buf want;
        sb_buf_init(&want);
        sb_buf_printf(&want,
                      "{\"type\": \"input_audio\", \"input_audio\": {\"data\": \"%s\", "
                      "\"format\": \"wav\"}}",
                      line);
        assert_string_equal(ds.reqs[i].forms.mm_parts, want.data);
        assert_int_equal(ds.reqs[i].output_len, 40);
        sb_buf_free(&want);
    }
    dataset_free(&ds);
    f->cfg.ds.enable_multimodal_chat = false;
    expect_error(f, "openai-chat", "needs --backend openai-audio");
    f->cfg.ds.enable_multimodal_chat = true;
    unlink(path);
    free(path);
    path = temp_jsonl(f, "{\"prompt\": \"x\", \"audio\": \"/nonexistent/a.wav\"}\n");
    expect_error(f, "openai-chat", "/nonexistent/a.wav: cannot read audio");
    unlink(path);
    free(path);
    f->cfg.ds.disable_shuffle = false;
    f->cfg.ds.enable_multimodal_chat = false;
    sb_buf_free(&ref);
    sb_buf_free(&rows);
    free(ref_path);
    free(a);
    free(b);
}

/* "output_tokens" out of a count's range is no usable count (fuzz_dataset_rows
 * found 1e300 reaching a float-to-long cast, UB); in range it is int(). */
static void test_custom_audio_output_tokens_out_of_range(void **state)
{
    fx *f = *state;
    char *wav = tu_data_path("datasets/mm/tone16.wav");
    const char *bad[] = {"1e300", "-1e300", "99999999999", "-3", "\"7\""};
    dsfx_set_str(&f->cfg.ds.name, "custom_audio");
    f->cfg.ds.enable_multimodal_chat = true;
    f->cfg.ds.custom_output_len = -1;
    f->cfg.ds.num_prompts = 1;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sb_buf rows;
        sb_buf_init(&rows);
        sb_buf_printf(&rows, "{\"prompt\": \"x\", \"audio\": \"%s\", \"output_tokens\": %s}\n", wav,
                      bad[i]);
        char *path = temp_jsonl(f, rows.data);
        expect_error(f, "openai-chat", ":1: if no output length is provided");
        unlink(path);
        free(path);
        sb_buf_free(&rows);
    }
    sb_buf rows;
    sb_buf_init(&rows);
    sb_buf_printf(&rows, "{\"prompt\": \"x\", \"audio\": \"%s\", \"output_tokens\": 7.9}\n", wav);
    char *path = temp_jsonl(f, rows.data);
    sb_dataset ds;
    sb_err err;
    if (load(f, "openai-chat", &ds, &err) != 0)
        fail_msg("custom_audio: %s", err.msg);
    assert_int_equal(ds.reqs[0].output_len, 7);
    dataset_free(&ds);
    unlink(path);
    free(path);
    sb_buf_free(&rows);
    f->cfg.ds.enable_multimodal_chat = false;
    free(wav);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64_rfc4648_vectors),
        cmocka_unit_test(test_bucket_literal_forms),
        cmocka_unit_test(test_plan_checks_and_item_range),
        cmocka_unit_test(test_random_mm_matches_reference_model),
        cmocka_unit_test(test_random_mm_threads_and_batches_do_not_change_output),
        cmocka_unit_test(test_random_mm_rejects_other_backends_and_video),
        cmocka_unit_test(test_chat_body_parts_follow_text),
        cmocka_unit_test(test_custom_image_rule_shuffle_and_counts),
        cmocka_unit_test(test_custom_image_bad_rows_are_named),
        cmocka_unit_test(test_custom_image_content_rows_and_chat_form),
        cmocka_unit_test(test_custom_audio_wav_matches_soundfile),
        cmocka_unit_test(test_custom_audio_output_tokens_out_of_range),
    };
    return cmocka_run_group_tests(tests, dsfx_setup, dsfx_teardown);
}
