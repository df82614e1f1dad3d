/* SPDX-License-Identifier: Apache-2.0 */
/* test_backend_pool.c - the pooling backends' request bodies byte for byte
 * against json.dumps of the reference's payload dicts (reference 3.9):
 * vllm-rerank (query + documents, no ignore_eos nor --extra-body),
 * openai-embeddings with a list input, openai-embeddings-chat,
 * infinity-embeddings, vllm-pooling; their URL checks; and a rerank answer
 * decoded into a record (prompt_len from usage.prompt_tokens, TTFT = latency). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/stream.h"
#include "config/config.h"
#include "run/run.h"

static const char *const texts[] = {"q \"1\"", "d\xc3\xa9", "two\nlines"};
static const size_t text_bytes[] = {5, 3, 9};

/* The body of one request: texts when n_texts > 0, else prompt. */
static char *body(sb_config *cfg, const char *be_name, bool ignore_eos, const char *prompt,
                  uint32_t n_texts)
{
    const backend *be = backend_find(be_name);
    assert_non_null(be);
    bk_params p;
    sb_err err;
    if (bk_params_init(&p, be, run_bk_opts(cfg, &(bk_opts){0}), "m/x", ignore_eos, &err) != 0)
        fail_msg("bk_params_init: %s", err.msg);
    pyjson_obj scratch;
    pyjson_obj_init(&scratch);
    sb_buf out;
    sb_buf_init(&out);
    bk_req r = {.prompt = n_texts ? "" : prompt,
                .prompt_bytes = n_texts ? 0 : strlen(prompt),
                .prompt_len = 7,
                .output_len = 0,
                .forms.texts = n_texts ? texts : NULL,
                .forms.text_bytes = n_texts ? text_bytes : NULL,
                .forms.n_texts = n_texts};
    bk_build_body(&p, &r, &scratch, &out);
    pyjson_obj_free(&scratch);
    bk_params_free(&p);
    return sb_buf_steal(&out);
}

static void rerank_body_is_query_documents_without_extras(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.extra_body = sb_xstrdup("{\"top_n\": 2}");
    /* the reference's rerank function calls neither _update_payload_common
     * (ignore_eos, extra_body) */
    char *b = body(&cfg, "vllm-rerank", true, NULL, 3);
    assert_string_equal(b, "{\"model\": \"m/x\", \"query\": \"q \\\"1\\\"\", \"documents\": "
                           "[\"d\\u00e9\", \"two\\nlines\"], \"truncate_prompt_tokens\": -1}");
    free(b);
    sb_config_free(&cfg);
}

static void rerank_rejects_sampling_flags(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.temperature = 0.1;
    bk_params p;
    sb_err err;
    assert_int_equal(bk_params_init(&p, backend_find("vllm-rerank"),
                                    run_bk_opts(&cfg, &(bk_opts){0}), "m", false, &err),
                     -1);
    assert_non_null(strstr(err.msg, "--temperature"));
    sb_config_free(&cfg);
}

static void embeddings_list_input_then_common_fields(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.extra_body = sb_xstrdup("{\"dimensions\": 8, \"truncate_prompt_tokens\": 4}");
    char *b = body(&cfg, "openai-embeddings", true, NULL, 3);
    assert_string_equal(b, "{\"model\": \"m/x\", \"input\": [\"q \\\"1\\\"\", \"d\\u00e9\", "
                           "\"two\\nlines\"], \"truncate_prompt_tokens\": 4, \"ignore_eos\": true, "
                           "\"dimensions\": 8}");
    free(b);
    b = body(&cfg, "openai-embeddings", false, "one", 0);
    assert_string_equal(b,
                        "{\"model\": \"m/x\", \"input\": \"one\", \"truncate_prompt_tokens\": 4, "
                        "\"dimensions\": 8}");
    free(b);
    sb_config_free(&cfg);
}

static void other_pooling_bodies_follow_reference_key_order(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    char *b = body(&cfg, "openai-embeddings-chat", false, "h\xc3\xa9", 0);
    assert_string_equal(b, "{\"model\": \"m/x\", \"messages\": [{\"role\": \"user\", \"content\": "
                           "[{\"type\": \"text\", \"text\": \"h\\u00e9\"}]}], "
                           "\"truncate_prompt_tokens\": -1}");
    free(b);
    b = body(&cfg, "infinity-embeddings", false, "p", 0);
    assert_string_equal(b, "{\"model\": \"m/x\", \"input\": \"p\"}");
    free(b);
    b = body(&cfg, "infinity-embeddings", true, NULL, 2);
    assert_string_equal(b, "{\"model\": \"m/x\", \"input\": [\"q \\\"1\\\"\", \"d\\u00e9\"], "
                           "\"ignore_eos\": true}");
    free(b);
    b = body(&cfg, "vllm-pooling", false, "p", 0);
    assert_string_equal(b,
                        "{\"model\": \"m/x\", \"truncate_prompt_tokens\": -1, \"input\": \"p\"}");
    free(b);
    sb_config_free(&cfg);
}

static void pooling_backends_check_url_endings(void **state)
{
    (void)state;
    sb_err err;
    const backend *rr = backend_find("vllm-rerank");
    assert_int_equal(backend_check_url(rr, "http://h/rerank", &err), 0);
    assert_int_equal(backend_check_url(rr, "http://h/v2/rerank", &err), 0);
    assert_int_equal(backend_check_url(rr, "http://h/v1/embeddings", &err), -1);
    assert_non_null(strstr(err.msg, "vLLM score API URL must end with one of"));
    assert_int_equal(backend_check_url(backend_find("vllm-pooling"), "http://h/pooling", &err), 0);
    assert_int_equal(
        backend_check_url(backend_find("infinity-embeddings"), "http://h/embeddings", &err), 0);
    assert_int_equal(backend_check_url(backend_find("openai-embeddings-chat"),
                                       "http://h/v1/chat/completions", &err),
                     -1);
    assert_true(rr->pooling && rr->takes_lists && rr->no_extra_body);
    assert_false(backend_find("openai-embeddings-chat")->takes_lists);
    assert_non_null(strstr(backend_names(), "vllm-rerank"));
    assert_non_null(strstr(backend_names(), "infinity-embeddings"));
}

static void rerank_answer_gives_prompt_len_from_usage_ttft_latency(void **state)
{
    (void)state;
    rec_store *rs = rec_store_new(1);
    rs->recs[0].prompt_len = 99;
    bk_stream st;
    bk_stream_init(&st, backend_find("vllm-rerank")->mode);
    bk_stream_begin(&st, rs, 0, 1000);
    bk_stream_status(&st, 200);
    const char *a = "{\"id\":\"rerank-1\",\"model\":\"m\",\"usage\":{\"prompt_tokens\":41,"
                    "\"total_tokens\":41},\"results\":[{\"index\":1,\"document\":{\"text\":"
                    "\"x \\\"y\\\"\",\"multi_modal\":null},\"relevance_score\":0.9}]}";
    assert_int_equal(bk_stream_body(&st, a, 40, 1500), 0);
    assert_int_equal(bk_stream_body(&st, a + 40, strlen(a) - 40, 1700), 0);
    bk_stream_end(&st, SB_FAIL_NONE, NULL, 1800);
    assert_true(rs->recs[0].success);
    assert_int_equal(rs->recs[0].prompt_len, 41);
    assert_int_equal(rs->recs[0].latency_ns, 700);
    assert_int_equal(rs->recs[0].ttft_ns, 700); /* the reference's ttft = latency */
    bk_stream_free(&st);
    rec_store_free(rs);
}

/* One body of an image request (one image_url part) with an optional id. */
static char *mm_body(const char *be_name, const char *prompt, const char *request_id)
{
    static const char part[] =
        "{\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/jpeg;base64,QQ==\"}}";
    sb_config cfg;
    sb_config_defaults(&cfg);
    bk_params p;
    sb_err err;
    if (bk_params_init(&p, backend_find(be_name), run_bk_opts(&cfg, &(bk_opts){0}), "m", false,
                       &err) != 0)
        fail_msg("bk_params_init: %s", err.msg);
    pyjson_obj scratch;
    pyjson_obj_init(&scratch);
    sb_buf out;
    sb_buf_init(&out);
    bk_req r = {.prompt = prompt,
                .prompt_bytes = strlen(prompt),
                .forms.mm_parts = part,
                .forms.mm_parts_bytes = sizeof part - 1,
                .request_id = request_id};
    bk_build_body(&p, &r, &scratch, &out);
    pyjson_obj_free(&scratch);
    bk_params_free(&p);
    sb_config_free(&cfg);
    return sb_buf_steal(&out);
}

#define IMG "{\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/jpeg;base64,QQ==\"}}"

/* _preprocess_clip: an image blanks the text; the chat content keeps the
 * text part first. */
static void clip_blanks_text_of_image_requests(void **state)
{
    (void)state;
    char *b = mm_body("openai-embeddings-clip", "a cat", "bench-1");
    assert_string_equal(b, "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": "
                           "[{\"type\": \"text\", \"text\": \"\"}, " IMG
                           "]}], \"truncate_prompt_tokens\": -1}");
    free(b);
}

/* _preprocess_vlm2vec: image first; even ids (and no id) image-only text, odd
 * ids the question form; the number is the id's trailing digits. */
static void vlm2vec_alternates_instruction_by_request_number(void **state)
{
    (void)state;
    const char *head = "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [" IMG
                       ", {\"type\": \"text\", \"text\": ";
    const char *tail = "}]}], \"truncate_prompt_tokens\": -1}";
    struct {
        const char *id, *text;
    } cases[] = {
        {"bench-ab12cd34-10", "\"Represent the given image.\""},
        {"bench-ab12cd34-7", "\"Represent the given image with the following question: a cat\""},
        {NULL, "\"Represent the given image.\""},
        {"run-x", "\"Represent the given image.\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *b = mm_body("openai-embeddings-vlm2vec", "a cat", cases[i].id);
        char want[512];
        snprintf(want, sizeof want, "%s%s%s", head, cases[i].text, tail);
        assert_string_equal(b, want);
        free(b);
    }
}

/* infinity-embeddings-clip: the image's URL as input with its modality. */
static void infinity_clip_sends_image_url_and_modality(void **state)
{
    (void)state;
    char *b = mm_body("infinity-embeddings-clip", "a cat", NULL);
    assert_string_equal(b, "{\"model\": \"m\", \"input\": \"data:image/jpeg;base64,QQ==\", "
                           "\"modality\": \"image\"}");
    free(b);
    b = mm_body("infinity-embeddings", "a cat", NULL); /* text kept without clip */
    assert_string_equal(b, "{\"model\": \"m\", \"input\": \"a cat\"}");
    free(b);
}

/* A --lora-modules pick replaces "model"; --best-of is a sampling field. */
static void lora_model_and_best_of_in_body(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.best_of = 3;
    bk_params p;
    sb_err err;
    if (bk_params_init(&p, backend_find("openai-embeddings"), run_bk_opts(&cfg, &(bk_opts){0}), "m",
                       false, &err) == 0)
        fail_msg("best_of accepted for a pooling backend");
    if (bk_params_init(&p, backend_find("openai"), run_bk_opts(&cfg, &(bk_opts){0}), "m", false,
                       &err) != 0)
        fail_msg("bk_params_init: %s", err.msg);
    pyjson_obj scratch;
    pyjson_obj_init(&scratch);
    sb_buf out;
    sb_buf_init(&out);
    bk_req r = {.prompt = "hi", .prompt_bytes = 2, .output_len = 4, .model = "lora-b"};
    bk_build_body(&p, &r, &scratch, &out);
    assert_non_null(strstr(out.data, "{\"model\": \"lora-b\", \"prompt\": \"hi\""));
    assert_non_null(strstr(out.data, "\"best_of\": 3"));
    sb_buf_free(&out);
    pyjson_obj_free(&scratch);
    bk_params_free(&p);
    sb_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rerank_body_is_query_documents_without_extras),
        cmocka_unit_test(clip_blanks_text_of_image_requests),
        cmocka_unit_test(vlm2vec_alternates_instruction_by_request_number),
        cmocka_unit_test(infinity_clip_sends_image_url_and_modality),
        cmocka_unit_test(lora_model_and_best_of_in_body),
        cmocka_unit_test(rerank_rejects_sampling_flags),
        cmocka_unit_test(embeddings_list_input_then_common_fields),
        cmocka_unit_test(other_pooling_bodies_follow_reference_key_order),
        cmocka_unit_test(pooling_backends_check_url_endings),
        cmocka_unit_test(rerank_answer_gives_prompt_len_from_usage_ttft_latency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
