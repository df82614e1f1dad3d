/* SPDX-License-Identifier: Apache-2.0 */
/* test_audio.c - the openai-audio backend (reference 3.8): its table row
 * (URL endings, multipart Content-Type, no sampling flags), Python str()
 * forms of form values (vectors from CPython's str(json.loads(v))), the
 * exact multipart bytes of a small request, and custom_audio's Whisper
 * style: WAV bytes equal to python-soundfile's (the committed
 * tests/data/datasets/mm/audio_ref.txt), durations as soundfile.info
 * reports them, and the errors for a wrong backend or no tokenizer.
 * Byte-for-byte checks against the real aiohttp FormData run in
 * tests/audio_serve.sh. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "config/config.h"
#include "core/b64.h"
#include "dataset/dataset.h"
#include "run/run.h"

static void test_backend_row_and_urls(void **state)
{
    (void)state;
    const backend *be = backend_find("openai-audio");
    assert_non_null(be);
    assert_true(be->multipart);
    assert_false(be->openai_compat);
    assert_int_equal(be->mode, BK_MODE_AUDIO);
    assert_string_equal(backend_content_type(be),
                        "multipart/form-data; boundary=" BK_FORM_BOUNDARY);
    assert_string_equal(backend_content_type(backend_find("openai-chat")), "application/json");
    assert_non_null(strstr(backend_names(), "openai-audio"));
    sb_err err;
    assert_int_equal(backend_check_url(be, "http://h/v1/audio/transcriptions", &err), 0);
    assert_int_equal(backend_check_url(be, "http://h/v1/audio/translations", &err), 0);
    assert_int_equal(backend_check_url(be, "http://h/start_profile", &err), 0);
    assert_int_equal(backend_check_url(be, "http://h/v1/chat/completions", &err), -1);
    assert_non_null(strstr(err.msg, "OpenAI Audio API URL must end with one of: "
                                    "{'transcriptions', 'translations', 'profile'}."));
}

static void test_sampling_flags_rejected(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.temperature = 0.0;
    bk_params p;
    sb_err err;
    assert_int_equal(bk_params_init(&p, backend_find("openai-audio"),
                                    run_bk_opts(&cfg, &(bk_opts){0}), "m", false, &err),
                     -1);
    assert_non_null(strstr(err.msg, "only supported by openai-compatible backends"));
    sb_config_free(&cfg);
}

static void test_py_str_forms(void **state)
{
    (void)state;
    /* rendered JSON value -> str(json.loads(value)) in CPython 3.11 */
    const char *v[][2] = {
        {"\"en\"", "en"},
        {"true", "True"},
        {"false", "False"},
        {"null", "None"},
        {"0.5", "0.5"},
        {"1e+16", "1e+16"},
        {"42", "42"},
        {"\"tab\\there\"", "tab\there"},
        {"[\"a\", \"it's\", \"\\u00e9\", \"q\\\"'\"]", "['a', \"it's\", '\xc3\xa9', 'q\"\\'']"},
        {"{\"k\": null, \"on\": false, \"n\": [1, 2.0]}",
         "{'k': None, 'on': False, 'n': [1, 2.0]}"},
        {"[\"\\u0085\\n\"]", "['\\x85\\n']"},
        {"[]", "[]"},
        {"{}", "{}"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        sb_buf b;
        sb_buf_init(&b);
        bk_py_str(&b, v[i][0], strlen(v[i][0]));
        if (strcmp(b.data ? b.data : "", v[i][1]) != 0)
            fail_msg("str(%s): got [%s], want [%s]", v[i][0], b.data ? b.data : "", v[i][1]);
        sb_buf_free(&b);
    }
}

#define PART(ct)                                                                                   \
    "--" BK_FORM_BOUNDARY "\r\nContent-Type: " ct "\r\nContent-Disposition: form-data; "
#define TEXT(name, value) PART("text/plain; charset=utf-8") "name=\"" name "\"\r\n\r\n" value "\r\n"

static void test_form_bytes(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.extra_body = sb_xstrdup("{\"language\": \"de\", \"a\\\"b\": [1]}");
    bk_params p;
    sb_err err;
    if (bk_params_init(&p, backend_find("openai-audio"), run_bk_opts(&cfg, &(bk_opts){0}),
                       "whisper", true, &err) != 0)
        fail_msg("%s", err.msg);
    static const unsigned char wav[] = {'R', 'I', 'F', 'F', 0, 1, '\r', '\n'};
    bk_req r = {
        .prompt = "", .output_len = 7, .forms.audio_wav = wav, .forms.audio_wav_bytes = sizeof wav};
    pyjson_obj scratch;
    pyjson_obj_init(&scratch);
    sb_buf out;
    sb_buf_init(&out);
    bk_build_body(&p, &r, &scratch, &out);
    static const char want[] =
        PART("audio/wav") "name=\"file\"; filename=\"audio.wav\"\r\n\r\nRIFF\0\1\r\n\r\n" TEXT(
            "model", "whisper") TEXT("max_completion_tokens", "7") TEXT("stream", "True")
            TEXT("language", "de") TEXT("stream_include_usage", "True")
                TEXT("stream_continuous_usage_stats", "True") TEXT("ignore_eos", "True")
                    TEXT("a\\\"b", "[1]") "--" BK_FORM_BOUNDARY "--\r\n";
    assert_int_equal(out.len, sizeof want - 1);
    assert_memory_equal(out.data, want, sizeof want - 1);
    sb_buf_free(&out);
    pyjson_obj_free(&scratch);
    bk_params_free(&p);
    sb_config_free(&cfg);
}

/* ---------------- custom_audio, Whisper style ---------------- */

typedef struct fx {
    sb_config cfg;
    tok *gpt2;
    char *path;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    sb_config_defaults(&f->cfg);
    char *p = tu_data_path("datasets/gpt2");
    sb_err err;
    f->gpt2 = tok_load(p, &err);
    free(p);
    if (!f->gpt2)
        return -1;
    char *a = tu_data_path("datasets/mm/tone16.wav");
    char *b = tu_data_path("datasets/mm/stereo_float.wav");
    f->path = sb_xstrdup("/tmp/sb_test_audio_XXXXXX.jsonl");
    int fd = mkstemps(f->path, 6);
    FILE *fp = fdopen(fd, "w");
    fprintf(fp,
            "{\"prompt\": \"Transcribe.\", \"audio\": \"%s\"}\n"
            "{\"prompt\": \"And this?\", \"audio\": \"%s\", \"output_tokens\": 9}\n",
            a, b);
    fclose(fp);
    free(a);
    free(b);
    free(f->cfg.ds.name);
    f->cfg.ds.name = sb_xstrdup("custom_audio");
    free(f->cfg.ds.path);
    f->cfg.ds.path = sb_xstrdup(f->path);
    f->cfg.ds.disable_shuffle = true;
    f->cfg.ds.num_prompts = 3;
    f->cfg.ds.custom_output_len = 40;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    unlink(f->path);
    free(f->path);
    sb_config_free(&f->cfg);
    tok_free(f->gpt2);
    free(f);
    return 0;
}

static void test_whisper_rows_carry_soundfile_wav(void **state)
{
    fx *f = *state;
    sb_dataset ds;
    sb_err err;
    if (dataset_load(&f->cfg.ds, f->gpt2, "openai-audio", &ds, &err) != 0)
        fail_msg("custom_audio: %s", err.msg);
    assert_int_equal(ds.n, 3); /* 2 rows, one oversampled */
    char *ref_path = tu_data_path("datasets/mm/audio_ref.txt");
    sb_buf ref;
    sb_buf_init(&ref);
    assert_int_equal(tu_read_file(ref_path, &ref), 0);
    char *line = strtok(ref.data, "\n");
    /* soundfile.info(path).duration of the two files */
    const double secs[] = {0.05, 0.01875};
    const char *prompts[] = {"Transcribe.", "And this?"};
    for (size_t i = 0; i < 2; i++, line = strtok(NULL, "\n")) {
        assert_non_null(line);
        const sb_request *r = &ds.reqs[i];
        sb_buf b64;
        sb_buf_init(&b64);
        sb_b64_encode(&b64, r->forms.audio_wav, r->forms.audio_wav_bytes);
        assert_string_equal(b64.data, line);
        sb_buf_free(&b64);
        assert_true(fabs(r->audio_duration_s - secs[i]) < 1e-12);
        /* gpt2 has no chat template: the plain prompt, as the reference */
        assert_string_equal(r->prompt, prompts[i]);
        assert_int_equal(r->output_len, 40);
        assert_null(r->forms.mm_parts);
    }
    assert_non_null(ds.reqs[2].forms.audio_wav);
    dataset_free(&ds);
    sb_buf_free(&ref);
    free(ref_path);
}

static void test_whisper_needs_backend_and_tokenizer(void **state)
{
    fx *f = *state;
    sb_dataset ds;
    sb_err err;
    assert_int_equal(dataset_load(&f->cfg.ds, f->gpt2, "openai-chat", &ds, &err), -1);
    assert_non_null(strstr(err.msg, "needs --backend openai-audio (got openai-chat)"));
    assert_int_equal(dataset_load(&f->cfg.ds, NULL, "openai-audio", &ds, &err), -1);
    assert_non_null(strstr(err.msg, "needs a tokenizer"));
    f->cfg.ds.enable_multimodal_chat = true;
    assert_int_equal(dataset_load(&f->cfg.ds, f->gpt2, "openai-audio", &ds, &err), -1);
    assert_non_null(strstr(err.msg, "needs --backend openai-chat"));
    f->cfg.ds.enable_multimodal_chat = false;
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_backend_row_and_urls),
        cmocka_unit_test(test_sampling_flags_rejected),
        cmocka_unit_test(test_py_str_forms),
        cmocka_unit_test(test_form_bytes),
        cmocka_unit_test_setup_teardown(test_whisper_rows_carry_soundfile_wav, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whisper_needs_backend_and_tokenizer, setup, teardown),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
