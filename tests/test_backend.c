/* SPDX-License-Identifier: Apache-2.0 */
/* test_backend.c - request bodies byte for byte (reference doc 3.3, 3.4,
 * 3.10, Python json.dumps style), URL suffix checks, and response decoding
 * into records (bk_stream): token rules, usage, failures. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/pyjson.h"
#include "backend/stream.h"
#include "config/config.h"
#include "run/run.h"

static char *body_for(sb_config *cfg, const char *backend_name, bool ignore_eos, const char *prompt)
{
    const backend *be = backend_find(backend_name);
    assert_non_null(be);
    bk_params p;
    sb_err err;
    assert_int_equal(
        bk_params_init(&p, be, run_bk_opts(cfg, &(bk_opts){0}), "m/x", ignore_eos, &err), 0);
    pyjson_obj scratch;
    pyjson_obj_init(&scratch);
    sb_buf out;
    sb_buf_init(&out);
    bk_req r = {
        .prompt = prompt, .prompt_bytes = strlen(prompt), .prompt_len = 7, .output_len = 16};
    bk_build_body(&p, &r, &scratch, &out);
    pyjson_obj_free(&scratch);
    bk_params_free(&p);
    return sb_buf_steal(&out);
}

static void body_completions_matches_reference(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    char *b = body_for(&cfg, "vllm", true, "Hi \"there\"\n");
    assert_string_equal(b, "{\"model\": \"m/x\", \"prompt\": \"Hi \\\"there\\\"\\n\", "
                           "\"repetition_penalty\": 1.0, \"max_tokens\": 16, \"logprobs\": null, "
                           "\"stream\": true, \"stream_options\": {\"include_usage\": true}, "
                           "\"ignore_eos\": true}");
    free(b);
    sb_config_free(&cfg);
}

static void body_sampling_then_extra_body_merge_like_dict_update(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.temperature = 0.7;
    cfg.top_k = 20;
    cfg.logprobs = 3;
    cfg.extra_body =
        sb_xstrdup("{\"max_tokens\": 5, \"temperature\": 0, \"x\": [1.5, \"\\u00e9\"]}");
    char *b = body_for(&cfg, "openai", false, "p");
    assert_string_equal(b, "{\"model\": \"m/x\", \"prompt\": \"p\", \"repetition_penalty\": 1.0, "
                           "\"max_tokens\": 5, \"logprobs\": 3, \"stream\": true, "
                           "\"stream_options\": {\"include_usage\": true}, \"top_k\": 20, "
                           "\"temperature\": 0, \"x\": [1.5, \"\\u00e9\"]}");
    free(b);
    sb_config_free(&cfg);
}

static void body_chat_content_is_a_list_of_parts(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    char *b = body_for(&cfg, "openai-chat", false, "caf\xc3\xa9 \xf0\x9f\x98\x80");
    assert_string_equal(b, "{\"model\": \"m/x\", \"messages\": [{\"role\": \"user\", \"content\": "
                           "[{\"type\": \"text\", \"text\": \"caf\\u00e9 \\ud83d\\ude00\"}]}], "
                           "\"max_completion_tokens\": 16, \"stream\": true, "
                           "\"stream_options\": {\"include_usage\": true}}");
    free(b);
    sb_config_free(&cfg);
}

static void body_legacy_backends(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    char *b = body_for(&cfg, "tgi", true, "q");
    assert_string_equal(b, "{\"inputs\": \"q\", \"parameters\": {\"max_new_tokens\": 16, "
                           "\"do_sample\": true, \"temperature\": 0.01, \"top_p\": 0.99, "
                           "\"truncate\": 7, \"ignore_eos_token\": true}}");
    free(b);
    b = body_for(&cfg, "tensorrt-llm", true, "q");
    assert_string_equal(b, "{\"accumulate_tokens\": true, \"text_input\": \"q\", "
                           "\"temperature\": 0.0, \"top_p\": 1.0, \"max_tokens\": 16, "
                           "\"stream\": true, \"min_length\": 16}");
    free(b);
    b = body_for(&cfg, "deepspeed-mii", false, "q");
    assert_string_equal(b, "{\"prompt\": \"q\", \"max_tokens\": 16, \"temperature\": 0.01, "
                           "\"top_p\": 1.0}");
    free(b);
    b = body_for(&cfg, "openai-embeddings", false, "q");
    assert_string_equal(b,
                        "{\"model\": \"m/x\", \"input\": \"q\", \"truncate_prompt_tokens\": -1}");
    free(b);
    sb_config_free(&cfg);
}

static void sampling_flags_rejected_for_legacy_backends(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.temperature = 0.5;
    bk_params p;
    sb_err err;
    assert_int_equal(
        bk_params_init(&p, backend_find("tgi"), run_bk_opts(&cfg, &(bk_opts){0}), "m", false, &err),
        -1);
    assert_non_null(strstr(err.msg, "--temperature"));
    free(cfg.extra_body);
    cfg.extra_body = sb_xstrdup("[1]");
    cfg.temperature = NAN;
    assert_int_equal(bk_params_init(&p, backend_find("openai"), run_bk_opts(&cfg, &(bk_opts){0}),
                                    "m", false, &err),
                     -1);
    assert_non_null(strstr(err.msg, "JSON object"));
    sb_config_free(&cfg);
}

static void url_suffix_check_uses_reference_message(void **state)
{
    (void)state;
    sb_err err;
    const backend *be = backend_find("openai-chat");
    assert_int_equal(backend_check_url(be, "http://h:1/v1/chat/completions", &err), 0);
    assert_int_equal(backend_check_url(be, "http://h:1/start_profile", &err), 0);
    assert_int_equal(backend_check_url(be, "http://h:1/v1/completions", &err), -1);
    assert_non_null(strstr(err.msg, "OpenAI Chat Completions API URL must end with one of: "
                                    "{'chat/completions', 'profile'}."));
    assert_null(backend_find("nope"));
}

static void python_float_repr(void **state)
{
    (void)state;
    struct {
        double v;
        const char *want;
    } c[] = {
        {1.0, "1.0"},
        {0.7, "0.7"},
        {100.0, "100.0"},
        {1e16, "1e+16"},
        {1.5e-7, "1.5e-07"},
        {0.0001, "0.0001"},
        {123456789.125, "123456789.125"},
        {-2.5, "-2.5"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1e15, "1000000000000000.0"},
        {INFINITY, "Infinity"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        sb_buf b;
        sb_buf_init(&b);
        pyfmt_json_number(&b, c[i].v);
        assert_string_equal(b.data, c[i].want);
        sb_buf_free(&b);
    }
}

static void python_string_escapes(void **state)
{
    (void)state;
    sb_buf b;
    sb_buf_init(&b);
    pyfmt_json_string(&b, "a\x01\t\\/\xff", 6);
    assert_string_equal(b.data, "\"a\\u0001\\t\\\\/\\ufffd\"");
    sb_buf_free(&b);
}

/* ---- response decoding ---- */

typedef struct fixture {
    rec_store *rs;
    bk_stream st;
} fixture;

static void run_stream(fixture *f, bk_mode mode, int status, const char *const *pieces,
                       const uint64_t *ts, sb_fail end_why)
{
    f->rs = rec_store_new(1);
    f->rs->recs[0].output_len = 4;
    f->rs->recs[0].prompt_len = 3;
    bk_stream_init(&f->st, mode);
    bk_stream_begin(&f->st, f->rs, 0, 1000);
    bk_stream_status(&f->st, status);
    int i = 0;
    for (; pieces[i]; i++)
        if (bk_stream_body(&f->st, pieces[i], strlen(pieces[i]), ts[i]) != 0)
            break;
    bk_stream_end(&f->st, end_why, end_why ? "transport" : NULL, ts[i]);
}

static void done(fixture *f)
{
    bk_stream_free(&f->st);
    rec_store_free(f->rs);
}

static void stream_completions_ttft_itl_latency_usage(void **state)
{
    (void)state;
    const char *p[] = {
        "data: {\"choices\":[{\"text\":\"He\"}]}\n\n",
        "data: {\"choices\":[{\"text\":\"llo\"}]}\n\ndata: {\"choices\":[{\"text\":null}]}\n\n",
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}\n\n",
        "data: [DONE]\n\n", NULL};
    uint64_t ts[] = {1500, 1700, 1900, 2000, 2100};
    fixture f;
    run_stream(&f, BK_MODE_COMPLETIONS, 200, p, ts, SB_FAIL_NONE);
    sb_record *r = &f.rs->recs[0];
    assert_true(r->success);
    assert_int_equal(r->ttft_ns, 500);
    assert_int_equal(r->n_itl, 2);
    assert_int_equal(r->itl[0], 200);
    assert_int_equal(r->itl[1], 0);
    assert_int_equal(r->latency_ns, 700); /* last token message, not usage or [DONE] */
    assert_int_equal(r->output_tokens, 3);
    assert_int_equal(r->prompt_len, 9);
    assert_int_equal(r->n_chunks, 3);
    assert_null(r->itl_tokens);
    done(&f);
}

static void stream_chat_role_chunk_counts_and_usage_does_not_extend(void **state)
{
    (void)state;
    const char *p[] = {
        "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
        "data: {\"choices\":[{\"delta\":{\"content\":\"x\\u00e9\"}}]}\n\n",
        "data: {\"choices\":[],\"usage\":{\"completion_tokens\":2}}\n\ndata: [DONE]\n\n", NULL};
    uint64_t ts[] = {1100, 1300, 5000, 6000};
    fixture f;
    f.st.keep_text = false;
    run_stream(&f, BK_MODE_CHAT, 200, p, ts, SB_FAIL_NONE);
    sb_record *r = &f.rs->recs[0];
    assert_true(r->success);
    assert_int_equal(r->ttft_ns, 100);
    assert_int_equal(r->latency_ns, 300);
    assert_int_equal(r->output_tokens, 2);
    assert_memory_equal(f.st.text.data, "x\xc3\xa9", 3);
    done(&f);
}

static void stream_continuous_usage_gives_tokens_per_gap(void **state)
{
    (void)state;
    const char *p[] = {
        "data: {\"choices\":[{\"text\":\"a\"}],\"usage\":{\"completion_tokens\":1}}\n\n",
        "data: {\"choices\":[{\"text\":\"bc\"}],\"usage\":{\"completion_tokens\":3}}\n\n",
        "data: {\"choices\":[{\"text\":\"d\"}],\"usage\":{\"completion_tokens\":4}}\n\n", NULL};
    uint64_t ts[] = {1100, 1300, 1400, 1500};
    fixture f;
    run_stream(&f, BK_MODE_COMPLETIONS, 200, p, ts, SB_FAIL_NONE);
    sb_record *r = &f.rs->recs[0];
    assert_true(r->success);
    assert_int_equal(r->n_itl, 2);
    assert_non_null(r->itl_tokens);
    assert_int_equal(r->itl_tokens[0], 2);
    assert_int_equal(r->itl_tokens[1], 1);
    assert_int_equal(r->output_tokens, 0); /* only a usage-only chunk sets it (reference) */
    assert_string_equal(r->text, "abcd");  /* kept: no server count */
    done(&f);
}

static void stream_done_without_token_fails_with_reference_text(void **state)
{
    (void)state;
    const char *p[] = {"data: {\"choices\":[]}\n\ndata: [DONE]\n\n", NULL};
    uint64_t ts[] = {1100, 1200};
    fixture f;
    run_stream(&f, BK_MODE_COMPLETIONS, 200, p, ts, SB_FAIL_NONE);
    sb_record *r = &f.rs->recs[0];
    assert_false(r->success);
    assert_int_equal(r->fail, SB_FAIL_NO_TOKEN);
    assert_string_equal(r->error, BK_NO_TOKEN_MSG);
    done(&f);
    const char *q[] = {": keepalive\n\n", NULL};
    run_stream(&f, BK_MODE_CHAT, 200, q, ts, SB_FAIL_NONE);
    assert_int_equal(f.rs->recs[0].fail, SB_FAIL_EARLY_END);
    done(&f);
}

static void stream_early_end_after_a_token_is_success(void **state)
{
    (void)state;
    const char *p[] = {"data: {\"choices\":[{\"text\":\"a\"}]}\n\n", NULL};
    uint64_t ts[] = {1100, 1200};
    fixture f;
    run_stream(&f, BK_MODE_COMPLETIONS, 200, p, ts, SB_FAIL_NONE);
    assert_true(f.rs->recs[0].success);
    done(&f);
}

static void stream_malformed_json_fails_and_aborts(void **state)
{
    (void)state;
    const char *p[] = {"data: {\"choices\":[{\"text\":\"a\"}]}\n\n",
                       "data: {\"choices\":[{\"te\n\n",
                       "data: {\"choices\":[{\"text\":\"b\"}]}\n\n", NULL};
    uint64_t ts[] = {1100, 1200, 1300, 1400};
    fixture f;
    run_stream(&f, BK_MODE_COMPLETIONS, 200, p, ts, SB_FAIL_NONE);
    sb_record *r = &f.rs->recs[0];
    assert_false(r->success);
    assert_int_equal(r->fail, SB_FAIL_MALFORMED);
    assert_non_null(strstr(r->error, "malformed stream message 2"));
    done(&f);
    const char *q[] = {"data: 42\n\n", NULL};
    run_stream(&f, BK_MODE_COMPLETIONS, 200, q, ts, SB_FAIL_NONE);
    assert_int_equal(f.rs->recs[0].fail, SB_FAIL_MALFORMED);
    done(&f);
}

static void stream_http_error_keeps_status_and_body_excerpt(void **state)
{
    (void)state;
    char big[400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *p[] = {"{\"error\":\"overloaded\"}", big, NULL};
    uint64_t ts[] = {1100, 1200, 1300};
    fixture f;
    run_stream(&f, BK_MODE_COMPLETIONS, 503, p, ts, SB_FAIL_NONE);
    sb_record *r = &f.rs->recs[0];
    assert_int_equal(r->fail, SB_FAIL_HTTP_STATUS);
    assert_int_equal(r->http_status, 503);
    assert_non_null(
        strstr(r->error, "HTTP 503 Service Unavailable: {\"error\":\"overloaded\"}xxx"));
    assert_true(strlen(r->error) < 240);
    done(&f);
}

static void stream_transport_failure_overrides_partial_tokens(void **state)
{
    (void)state;
    const char *p[] = {"data: {\"choices\":[{\"text\":\"a\"}]}\n\n", NULL};
    uint64_t ts[] = {1100, 1200};
    fixture f;
    run_stream(&f, BK_MODE_COMPLETIONS, 200, p, ts, SB_FAIL_RESET);
    assert_int_equal(f.rs->recs[0].fail, SB_FAIL_RESET);
    assert_false(f.rs->recs[0].success);
    done(&f);
}

static void stream_tgi_and_whole_body_modes(void **state)
{
    (void)state;
    const char *p[] = {"data:{\"token\":{\"text\":\"a\"},\"generated_text\":null}\n\n",
                       "data:{\"token\":{\"text\":\"b\"},\"generated_text\":\"ab\"}\n\n", NULL};
    uint64_t ts[] = {1100, 1400, 1500};
    fixture f;
    run_stream(&f, BK_MODE_TGI, 200, p, ts, SB_FAIL_NONE);
    sb_record *r = &f.rs->recs[0];
    assert_true(r->success);
    assert_int_equal(r->ttft_ns, 100);
    assert_int_equal(r->latency_ns, 400);
    assert_string_equal(r->text, "ab");
    assert_int_equal(r->output_tokens, 0); /* no ignore_eos: re-tokenized later */
    done(&f);
    const char *q[] = {"{\"data\":[{\"embedding\":[0.1]}],", "\"usage\":{\"prompt_tokens\":12}}",
                       NULL};
    uint64_t tq[] = {1100, 1800, 1900};
    run_stream(&f, BK_MODE_WHOLE, 200, q, tq, SB_FAIL_NONE);
    r = &f.rs->recs[0];
    assert_true(r->success);
    assert_int_equal(r->latency_ns, 800);
    assert_int_equal(r->prompt_len, 12);
    done(&f);
}

static void stream_tgi_ignore_eos_counts_requested_length(void **state)
{
    (void)state;
    fixture f;
    f.rs = rec_store_new(1);
    f.rs->recs[0].output_len = 4;
    bk_stream_init(&f.st, BK_MODE_TGI);
    f.st.count_requested = true;
    bk_stream_begin(&f.st, f.rs, 0, 1000);
    bk_stream_status(&f.st, 200);
    const char *m = "data:{\"token\":{\"text\":\"a\"},\"generated_text\":\"a\"}\n\n";
    bk_stream_body(&f.st, m, strlen(m), 1100);
    bk_stream_end(&f.st, SB_FAIL_NONE, NULL, 1200);
    assert_true(f.rs->recs[0].success);
    assert_int_equal(f.rs->recs[0].output_tokens, 4);
    done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(body_completions_matches_reference),
        cmocka_unit_test(body_sampling_then_extra_body_merge_like_dict_update),
        cmocka_unit_test(body_chat_content_is_a_list_of_parts),
        cmocka_unit_test(body_legacy_backends),
        cmocka_unit_test(sampling_flags_rejected_for_legacy_backends),
        cmocka_unit_test(url_suffix_check_uses_reference_message),
        cmocka_unit_test(python_float_repr),
        cmocka_unit_test(python_string_escapes),
        cmocka_unit_test(stream_completions_ttft_itl_latency_usage),
        cmocka_unit_test(stream_chat_role_chunk_counts_and_usage_does_not_extend),
        cmocka_unit_test(stream_continuous_usage_gives_tokens_per_gap),
        cmocka_unit_test(stream_done_without_token_fails_with_reference_text),
        cmocka_unit_test(stream_early_end_after_a_token_is_success),
        cmocka_unit_test(stream_malformed_json_fails_and_aborts),
        cmocka_unit_test(stream_http_error_keeps_status_and_body_excerpt),
        cmocka_unit_test(stream_transport_failure_overrides_partial_tokens),
        cmocka_unit_test(stream_tgi_and_whole_body_modes),
        cmocka_unit_test(stream_tgi_ignore_eos_counts_requested_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
