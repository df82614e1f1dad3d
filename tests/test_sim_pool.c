/* SPDX-License-Identifier: Apache-2.0 */
/* test_sim_pool.c - the simulator's pooling endpoints (src/sim/sim_pool.c)
 * over real sockets: vLLM's EmbeddingResponse and RerankResponse shapes,
 * usage counted per input (words here; the tokenizer path is covered by
 * tests/serve_pooling.sh), every accepted input form, 4xx errors naming the
 * field, the prefill-time latency model, --embedding-dim and the
 * malformed-answer fault. */
#include "testutil.h"

#include <jansson.h>

/* the shared client's SSE helpers are unused here (answers are not streamed) */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "test_sim_client.h"

static json_t *post_json(sim_server *s, const char *path, const char *body, int want_status)
{
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "POST", path, "x-request-id: t-1\r\n", body, &r), 0);
    if (r.status != want_status)
        fail_msg("%s: status %d (wanted %d): %.*s", path, r.status, want_status, (int)r.body.len,
                 r.body.data);
    const char *ct = sc_header(&r, "content-type");
    assert_true(ct && !strncmp(ct, "application/json\r\n", 18));
    json_error_t je;
    json_t *j = json_loadb(r.body.data, r.body.len, 0, &je);
    if (!j)
        fail_msg("%s: answer is not JSON: %s", path, je.text);
    sc_resp_free(&r);
    return j;
}

static json_int_t usage_prompt(json_t *j)
{
    return json_integer_value(json_object_get(json_object_get(j, "usage"), "prompt_tokens"));
}

static void embeddings_answer_one_vector_per_input(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--ttft-ms 1");
    json_t *j = post_json(s, "/v1/embeddings",
                          "{\"model\":\"sim\",\"input\":[\"a b c\",\"d e\",\"f\"],"
                          "\"truncate_prompt_tokens\":-1}",
                          200);
    assert_string_equal(json_string_value(json_object_get(j, "object")), "list");
    assert_string_equal(json_string_value(json_object_get(j, "model")), "sim");
    assert_true(!strncmp(json_string_value(json_object_get(j, "id")), "embd-", 5));
    json_t *data = json_object_get(j, "data");
    assert_int_equal(json_array_size(data), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *d = json_array_get(data, i);
        assert_int_equal(json_integer_value(json_object_get(d, "index")), (json_int_t)i);
        assert_string_equal(json_string_value(json_object_get(d, "object")), "embedding");
        assert_int_equal(json_array_size(json_object_get(d, "embedding")), 16);
    }
    assert_int_equal(usage_prompt(j), 6);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "usage"), "total_tokens")), 6);
    json_decref(j);
    /* one string, token ids, lists of token ids, chat messages */
    j = post_json(s, "/v1/embeddings", "{\"input\":\"one two\"}", 200);
    assert_int_equal(usage_prompt(j), 2);
    json_decref(j);
    j = post_json(s, "/v1/embeddings", "{\"input\":[5,6,7,8]}", 200);
    assert_int_equal(usage_prompt(j), 4);
    assert_int_equal(json_array_size(json_object_get(j, "data")), 1);
    json_decref(j);
    j = post_json(s, "/v1/embeddings", "{\"input\":[[1,2],[3]]}", 200);
    assert_int_equal(usage_prompt(j), 3);
    json_decref(j);
    j = post_json(s, "/v1/embeddings",
                  "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
                  "\"text\":\"x y z\"}]}]}",
                  200);
    assert_int_equal(usage_prompt(j), 3);
    json_decref(j);
    j = post_json(s, "/pooling", "{\"input\":\"p q\"}", 200);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(j, "data"), 0), "object")),
        "pooling");
    json_decref(j);
    sim_stop(s);
}

static void rerank_answer_sorted_results_with_documents(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--ttft-ms 1");
    const char *paths[] = {"/rerank", "/v1/rerank", "/v2/rerank"};
    for (int p = 0; p < 3; p++) {
        json_t *j = post_json(s, paths[p],
                              "{\"model\":\"sim\",\"query\":\"q r\",\"documents\":[\"a\","
                              "\"b \\\"c\\\"\",\"d e f\"],\"truncate_prompt_tokens\":-1}",
                              200);
        assert_true(!strncmp(json_string_value(json_object_get(j, "id")), "rerank-", 7));
        /* pairs: (2 + 1) + (2 + 2) + (2 + 3) */
        assert_int_equal(usage_prompt(j), 12);
        json_t *res = json_object_get(j, "results");
        assert_int_equal(json_array_size(res), 3);
        double prev = 2.0;
        int seen = 0;
        for (size_t i = 0; i < 3; i++) {
            json_t *x = json_array_get(res, i);
            double sc = json_real_value(json_object_get(x, "relevance_score"));
            assert_true(sc > 0 && sc < 1 && sc <= prev);
            prev = sc;
            json_int_t idx = json_integer_value(json_object_get(x, "index"));
            const char *want[] = {"a", "b \"c\"", "d e f"};
            assert_string_equal(
                json_string_value(json_object_get(json_object_get(x, "document"), "text")),
                want[idx]);
            seen |= 1 << idx;
        }
        assert_int_equal(seen, 7);
        json_decref(j);
    }
    json_t *j =
        post_json(s, "/rerank", "{\"query\":\"q\",\"documents\":[\"a\",\"b\"],\"top_n\":1}", 200);
    assert_int_equal(json_array_size(json_object_get(j, "results")), 1);
    json_decref(j);
    sim_stop(s);
}

static void expect_error(sim_server *s, const char *path, const char *body, int status,
                         const char *needle)
{
    json_t *j = post_json(s, path, body, status);
    const char *m = json_string_value(json_object_get(j, "message"));
    assert_non_null(m);
    if (!strstr(m, needle))
        fail_msg("%s %s: message '%s' lacks '%s'", path, body, m, needle);
    assert_string_equal(json_string_value(json_object_get(j, "object")), "error");
    json_decref(j);
}

static void bad_pooling_requests_get_4xx_naming_the_field(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--ttft-ms 1 --max-model-len 4");
    expect_error(s, "/v1/embeddings", "{\"inpt\":\"x\"}", 400, "input");
    expect_error(s, "/v1/embeddings", "{\"input\":[]}", 400, "input");
    expect_error(s, "/v1/embeddings", "{\"input\":[\"a\",3]}", 400, "input");
    expect_error(s, "/v1/embeddings", "[1]", 400, "JSON object");
    expect_error(s, "/v1/embeddings", "{\"input\":", 400, "invalid JSON");
    expect_error(s, "/v1/embeddings", "{\"model\":\"other\",\"input\":\"x\"}", 404, "other");
    expect_error(s, "/v1/embeddings", "{\"input\":\"a b c d e\"}", 400, "maximum context");
    expect_error(s, "/rerank", "{\"documents\":[\"a\"]}", 400, "query");
    expect_error(s, "/rerank", "{\"query\":\"q\",\"documents\":[]}", 400, "documents");
    expect_error(s, "/rerank", "{\"query\":\"q\",\"documents\":[\"a\",1]}", 400, "documents[1]");
    /* truncate_prompt_tokens: the server cuts instead of refusing */
    json_t *j = post_json(s, "/v1/embeddings",
                          "{\"input\":\"a b c d e\",\"truncate_prompt_tokens\":-1}", 200);
    assert_int_equal(usage_prompt(j), 4);
    json_decref(j);
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "GET", "/v1/embeddings", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 405);
    sc_resp_free(&r);
    sim_stop(s);
}

/* Latency: a TTFT draw plus prompt tokens at --prefill-tok-per-s. The answer
 * is planned no earlier than 200 words at 1000 tok/s = 200 ms after arrival,
 * so the client can never see it sooner: a lower bound only (no upper one). */
static void latency_grows_with_prefill(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--ttft-ms 1 --prefill-tok-per-s 1000 --embedding-dim 3");
    sb_buf big;
    sb_buf_init(&big);
    sb_buf_puts(&big, "{\"input\":\"");
    for (int i = 0; i < 200; i++)
        sb_buf_puts(&big, "w ");
    sb_buf_puts(&big, "\"}");
    uint64_t t0 = sb_now_ns();
    json_t *j = post_json(s, "/v1/embeddings", big.data, 200);
    uint64_t took = sb_now_ns() - t0;
    assert_int_equal(usage_prompt(j), 200);
    json_t *vec = json_object_get(json_array_get(json_object_get(j, "data"), 0), "embedding");
    assert_int_equal(json_array_size(vec), 3); /* --embedding-dim */
    json_decref(j);
    assert_true(took >= 200 * SB_NS_PER_MS);
    sb_buf_free(&big);
    sim_stop(s);
}

static void malformed_fault_cuts_the_answer(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--ttft-ms 1 --malformed-rate 1");
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "POST", "/rerank", NULL,
                           "{\"query\":\"q\",\"documents\":[\"a\",\"b\"]}", &r),
                     0);
    assert_int_equal(r.status, 200);
    json_error_t je;
    json_t *j = json_loadb(r.body.data, r.body.len, 0, &je);
    assert_null(j);
    sc_resp_free(&r);
    sim_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(embeddings_answer_one_vector_per_input),
        cmocka_unit_test(rerank_answer_sorted_results_with_documents),
        cmocka_unit_test(bad_pooling_requests_get_4xx_naming_the_field),
        cmocka_unit_test(latency_grows_with_prefill),
        cmocka_unit_test(malformed_fault_cuts_the_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
