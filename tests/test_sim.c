/* SPDX-License-Identifier: Apache-2.0 */
/* test_sim.c - the simulator's endpoints over real sockets: stream shapes
 * (every chunk parsed with jansson), usage, non-streaming bodies, /v1/models,
 * /health, /metrics, max_tokens and ignore_eos, context-length errors,
 * keep-alive and 500 concurrent streams. Servers run in-process (sim_start
 * on --port 0). */
#include "testutil.h"

#include <jansson.h>
#include <poll.h>
#include <sys/resource.h>

#include "sim/sim.h"
#include "test_sim_client.h"

static json_t *parse_data(const char *ev)
{
    assert_true(strncmp(ev, "data: ", 6) == 0);
    json_error_t e;
    json_t *j = json_loads(ev + 6, 0, &e);
    if (!j)
        print_error("bad chunk JSON: %s (%s)\n", ev, e.text);
    assert_non_null(j);
    return j;
}

static void check_common(json_t *j, const char *object)
{
    assert_true(json_is_string(json_object_get(j, "id")));
    assert_string_equal(json_string_value(json_object_get(j, "object")), object);
    assert_true(json_is_integer(json_object_get(j, "created")));
    assert_string_equal(json_string_value(json_object_get(j, "model")), "sim");
    assert_true(json_is_array(json_object_get(j, "choices")));
}

static void check_usage(json_t *u, long prompt, long completion)
{
    assert_true(json_is_object(u));
    assert_int_equal(json_integer_value(json_object_get(u, "prompt_tokens")), prompt);
    assert_int_equal(json_integer_value(json_object_get(u, "completion_tokens")), completion);
    assert_int_equal(json_integer_value(json_object_get(u, "total_tokens")), prompt + completion);
}

static void completions_stream_has_vllm_shape(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--ttft-ms 5 --itl-ms 1");
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "POST", "/v1/completions", NULL,
                           "{\"model\":\"sim\",\"prompt\":\"one two three four\",\"max_tokens\":7,"
                           "\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                           "\"ignore_eos\":true}",
                           &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_true(r.complete);
    assert_non_null(strstr(sc_header(&r, "content-type"), "text/event-stream"));
    char *ev[64];
    size_t n = sc_events(&r, ev, 64);
    assert_int_equal(n, 7 + 2); /* 7 tokens, usage, [DONE] */
    for (size_t i = 0; i < 7; i++) {
        json_t *j = parse_data(ev[i]);
        check_common(j, "text_completion");
        json_t *c = json_array_get(json_object_get(j, "choices"), 0);
        assert_int_equal(json_integer_value(json_object_get(c, "index")), 0);
        const char *text = json_string_value(json_object_get(c, "text"));
        assert_non_null(text);
        assert_true(text[0] == ' ' && strlen(text) > 1);
        json_t *fr = json_object_get(c, "finish_reason");
        if (i < 6)
            assert_true(json_is_null(fr));
        else
            assert_string_equal(json_string_value(fr), "length");
        json_decref(j);
    }
    json_t *u = parse_data(ev[7]);
    check_common(u, "text_completion");
    assert_int_equal(json_array_size(json_object_get(u, "choices")), 0);
    check_usage(json_object_get(u, "usage"), 4, 7);
    json_decref(u);
    assert_string_equal(ev[8], "data: [DONE]");
    sc_events_free(ev, n);
    sc_resp_free(&r);
    sim_stop(s);
}

static void chat_stream_starts_with_role_chunk(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--ttft-ms 5 --itl-ms 1");
    sc_resp r;
    assert_int_equal(
        sc_do(sim_port(s), "POST", "/v1/chat/completions", NULL,
              "{\"model\":\"sim\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
              "\"text\":\"a b c\"}]}],\"max_completion_tokens\":5,\"stream\":true,"
              "\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true}",
              &r),
        0);
    assert_int_equal(r.status, 200);
    char *ev[64];
    size_t n = sc_events(&r, ev, 64);
    assert_int_equal(n, 1 + 5 + 2);
    json_t *j = parse_data(ev[0]);
    check_common(j, "chat.completion.chunk");
    json_t *d = json_object_get(json_array_get(json_object_get(j, "choices"), 0), "delta");
    assert_string_equal(json_string_value(json_object_get(d, "role")), "assistant");
    assert_string_equal(json_string_value(json_object_get(d, "content")), "");
    json_decref(j);
    for (size_t i = 1; i <= 5; i++) {
        j = parse_data(ev[i]);
        check_common(j, "chat.completion.chunk");
        json_t *c = json_array_get(json_object_get(j, "choices"), 0);
        const char *text =
            json_string_value(json_object_get(json_object_get(c, "delta"), "content"));
        assert_non_null(text);
        assert_true(strlen(text) > 1);
        if (i == 5)
            assert_string_equal(json_string_value(json_object_get(c, "finish_reason")), "length");
        json_decref(j);
    }
    j = parse_data(ev[6]);
    assert_int_equal(json_array_size(json_object_get(j, "choices")), 0);
    check_usage(json_object_get(j, "usage"), 3, 5);
    json_decref(j);
    assert_string_equal(ev[7], "data: [DONE]");
    sc_events_free(ev, n);
    sc_resp_free(&r);
    sim_stop(s);
}

static void continuous_usage_is_on_every_chunk(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--ttft-ms 1 --itl-ms 1");
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "POST", "/v1/completions", NULL,
                           "{\"prompt\":\"x y\",\"max_tokens\":4,\"stream\":true,\"ignore_eos\":"
                           "true,\"stream_options\":{\"include_usage\":true,"
                           "\"continuous_usage_stats\":true}}",
                           &r),
                     0);
    char *ev[64];
    size_t n = sc_events(&r, ev, 64);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < 4; i++) {
        json_t *j = parse_data(ev[i]);
        check_usage(json_object_get(j, "usage"), 2, (long)i + 1);
        json_decref(j);
    }
    sc_events_free(ev, n);
    sc_resp_free(&r);
    sim_stop(s);
}

static void no_usage_chunk_unless_asked(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--ttft-ms 1 --itl-ms 1");
    sc_resp r;
    assert_int_equal(
        sc_do(sim_port(s), "POST", "/v1/completions", NULL,
              "{\"prompt\":\"x\",\"max_tokens\":3,\"stream\":true,\"ignore_eos\":true}", &r),
        0);
    char *ev[64];
    size_t n = sc_events(&r, ev, 64);
    assert_int_equal(n, 4);
    json_t *j = parse_data(ev[2]);
    assert_true(json_is_null(json_object_get(j, "usage")));
    json_decref(j);
    assert_string_equal(ev[3], "data: [DONE]");
    sc_events_free(ev, n);
    sc_resp_free(&r);
    sim_stop(s);
}

static void non_streaming_bodies(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--ttft-ms 1 --itl-ms 1");
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "POST", "/v1/completions", NULL,
                           "{\"prompt\":\"p q r\",\"max_tokens\":6,\"ignore_eos\":true}", &r),
                     0);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body.data, 0, NULL);
    assert_non_null(j);
    check_common(j, "text_completion");
    json_t *c = json_array_get(json_object_get(j, "choices"), 0);
    assert_string_equal(json_string_value(json_object_get(c, "finish_reason")), "length");
    check_usage(json_object_get(j, "usage"), 3, 6);
    json_decref(j);
    sc_resp_free(&r);
    assert_int_equal(sc_do(sim_port(s), "POST", "/v1/chat/completions", NULL,
                           "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                           "\"max_completion_tokens\":2,\"ignore_eos\":true}",
                           &r),
                     0);
    j = json_loads(r.body.data, 0, NULL);
    assert_non_null(j);
    check_common(j, "chat.completion");
    c = json_array_get(json_object_get(j, "choices"), 0);
    json_t *m = json_object_get(c, "message");
    assert_string_equal(json_string_value(json_object_get(m, "role")), "assistant");
    assert_true(strlen(json_string_value(json_object_get(m, "content"))) > 2);
    check_usage(json_object_get(j, "usage"), 1, 2);
    json_decref(j);
    sc_resp_free(&r);
    sim_stop(s);
}

static long completion_tokens(int port, const char *body)
{
    sc_resp r;
    assert_int_equal(sc_do(port, "POST", "/v1/completions", NULL, body, &r), 0);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body.data, 0, NULL);
    assert_non_null(j);
    long n =
        (long)json_integer_value(json_object_get(json_object_get(j, "usage"), "completion_tokens"));
    json_decref(j);
    sc_resp_free(&r);
    return n;
}

static void max_tokens_bounds_output_and_eos_is_seeded(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--ttft-ms 0 --itl-ms 0 --seed 7");
    int shorter = 0;
    long first[20];
    for (int i = 0; i < 20; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"prompt\":\"x\",\"max_tokens\":%d}", 10 + i);
        long n = completion_tokens(sim_port(s), body);
        assert_true(n >= 1 && n <= 10 + i);
        shorter += n < 10 + i;
        first[i] = n;
    }
    assert_true(shorter > 0); /* without ignore_eos an EOS comes early */
    assert_int_equal(completion_tokens(sim_port(s), "{\"prompt\":\"x\",\"max_tokens\":33,"
                                                    "\"ignore_eos\":true}"),
                     33);
    sim_stop(s);
    /* Same seed, same arrival order: the same draws. */
    s = sc_sim_start("--ttft-ms 0 --itl-ms 0 --seed 7");
    for (int i = 0; i < 20; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"prompt\":\"x\",\"max_tokens\":%d}", 10 + i);
        assert_int_equal(completion_tokens(sim_port(s), body), first[i]);
    }
    sim_stop(s);
}

static void models_and_health(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--model my-model");
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "GET", "/v1/models", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body.data, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "object")), "list");
    json_t *m = json_array_get(json_object_get(j, "data"), 0);
    assert_string_equal(json_string_value(json_object_get(m, "id")), "my-model");
    assert_string_equal(json_string_value(json_object_get(m, "root")), "my-model");
    assert_string_equal(json_string_value(json_object_get(m, "object")), "model");
    json_decref(j);
    sc_resp_free(&r);
    assert_int_equal(sc_do(sim_port(s), "GET", "/health", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    sc_resp_free(&r);
    /* A request naming another model is vLLM's 404. */
    assert_int_equal(sc_do(sim_port(s), "POST", "/v1/completions", NULL,
                           "{\"model\":\"other\",\"prompt\":\"x\"}", &r),
                     0);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body.data, "does not exist"));
    sc_resp_free(&r);
    sim_stop(s);
}

static double metric(int port, const char *name)
{
    sc_resp r;
    assert_int_equal(sc_do(port, "GET", "/metrics", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    const char *p = r.body.data;
    double v = -1;
    size_t n = strlen(name);
    while ((p = strstr(p, name)) != NULL) {
        if ((p == r.body.data || p[-1] == '\n') && (p[n] == '{' || p[n] == ' ')) {
            const char *sp = strchr(p, ' ');
            v = atof(sp + 1);
            break;
        }
        p += n;
    }
    sc_resp_free(&r);
    return v;
}

static void metrics_counters_follow_requests(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--ttft-ms 1 --itl-ms 1");
    int port = sim_port(s);
    assert_true(metric(port, "vllm:generation_tokens_total") == 0);
    assert_true(metric(port, "vllm:num_requests_running") == 0);
    completion_tokens(port, "{\"prompt\":\"a b c d e\",\"max_tokens\":9,\"ignore_eos\":true}");
    assert_true(metric(port, "vllm:generation_tokens_total") == 9);
    assert_true(metric(port, "vllm:prompt_tokens_total") == 5);
    assert_true(metric(port, "vllm:time_to_first_token_seconds_count") == 1);
    assert_true(metric(port, "vllm:inter_token_latency_seconds_count") == 8);
    assert_true(metric(port, "vllm:request_success_total") == 1);
    assert_true(metric(port, "vllm:num_requests_waiting") == 0);
    assert_true(metric(port, "vllm:kv_cache_usage_perc") == 0);
    sim_stop(s);
}

static void max_model_len_gives_vllm_400(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--max-model-len 10");
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "POST", "/v1/completions", NULL,
                           "{\"prompt\":\"a b c d\",\"max_tokens\":7}", &r),
                     0);
    assert_int_equal(r.status, 400);
    json_t *j = json_loads(r.body.data, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "object")), "error");
    assert_string_equal(json_string_value(json_object_get(j, "type")), "BadRequestError");
    assert_true(json_is_null(json_object_get(j, "param")));
    assert_int_equal(json_integer_value(json_object_get(j, "code")), 400);
    assert_non_null(strstr(json_string_value(json_object_get(j, "message")),
                           "maximum context length is 10 tokens"));
    json_decref(j);
    sc_resp_free(&r);
    /* 4 + 6 fits exactly. */
    assert_int_equal(completion_tokens(sim_port(s), "{\"prompt\":\"a b c d\",\"max_tokens\":6,"
                                                    "\"ignore_eos\":true}"),
                     6);
    sim_stop(s);
}

static void keep_alive_serves_two_requests_on_one_connection(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--ttft-ms 1 --itl-ms 1");
    int fd = sc_connect(sim_port(s));
    assert_true(fd >= 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sc_send(fd, "POST", "/v1/completions", NULL,
                                 "{\"prompt\":\"x\",\"max_tokens\":3,\"stream\":true,"
                                 "\"ignore_eos\":true}"),
                         0);
        sc_resp r;
        sc_resp_init(&r);
        assert_int_equal(sc_read(fd, &r), 0);
        assert_int_equal(r.status, 200);
        assert_true(r.complete);
        assert_non_null(strstr(r.body.data, "data: [DONE]"));
        sc_resp_free(&r);
    }
    /* And a pipelined pair: both answered, in order. */
    const char *two =
        "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(sc_send_all(fd, two, strlen(two)), 0);
    sb_buf all;
    sb_buf_init(&all);
    char tmp[4096];
    while (!strstr(all.data ? all.data : "", "}]}]}")) {
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        assert_true(n > 0);
        sb_buf_append(&all, tmp, (size_t)n);
    }
    const char *second = strstr(all.data + 1, "HTTP/1.1 200 OK");
    assert_true(strncmp(all.data, "HTTP/1.1 200 OK", 15) == 0);
    assert_non_null(second);
    assert_true(strstr(all.data, "\"object\":\"list\"") > second); /* answered in order */
    sb_buf_free(&all);
    close(fd);
    sim_stop(s);
}

static void tgi_and_tensorrt_streams(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--ttft-ms 1 --itl-ms 1");
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "POST", "/generate_stream", NULL,
                           "{\"inputs\":\"a b\",\"parameters\":{\"max_new_tokens\":4,"
                           "\"ignore_eos_token\":true}}",
                           &r),
                     0);
    char *ev[16];
    size_t n = sc_events(&r, ev, 16);
    assert_int_equal(n, 4);
    sb_buf all;
    sb_buf_init(&all);
    for (size_t i = 0; i < n; i++) {
        assert_true(strncmp(ev[i], "data:{", 6) == 0);
        json_t *j = json_loads(ev[i] + 5, 0, NULL);
        assert_non_null(j);
        json_t *tok = json_object_get(j, "token");
        sb_buf_puts(&all, json_string_value(json_object_get(tok, "text")));
        json_t *gen = json_object_get(j, "generated_text");
        if (i < 3)
            assert_true(json_is_null(gen));
        else
            assert_string_equal(json_string_value(gen), all.data);
        json_decref(j);
    }
    sb_buf_free(&all);
    sc_events_free(ev, n);
    sc_resp_free(&r);
    assert_int_equal(sc_do(sim_port(s), "POST", "/v2/models/ensemble/generate_stream", NULL,
                           "{\"text_input\":\"a\",\"max_tokens\":3,\"min_length\":3,"
                           "\"stream\":true}",
                           &r),
                     0);
    n = sc_events(&r, ev, 16);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        json_t *j = parse_data(ev[i]);
        assert_true(json_is_string(json_object_get(j, "text_output")));
        assert_string_equal(json_string_value(json_object_get(j, "model_name")), "ensemble");
        json_decref(j);
    }
    sc_events_free(ev, n);
    sc_resp_free(&r);
    sim_stop(s);
}

static void five_hundred_concurrent_streams(void **state)
{
    (void)state;
    enum { N = 500 };
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 4 * N && rl.rlim_max >= 4 * N) {
        rl.rlim_cur = 4 * N;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    sim_server *s = sc_sim_start("--ttft-ms 20 --itl-ms 2 --max-num-seqs 1000");
    static struct pollfd pf[N];
    static sb_buf got[N];
    const char *body = "{\"prompt\":\"x y\",\"max_tokens\":10,\"stream\":true,\"ignore_eos\":true}";
    for (int i = 0; i < N; i++) {
        pf[i].fd = sc_connect(sim_port(s));
        assert_true(pf[i].fd >= 0);
        pf[i].events = POLLIN;
        sb_buf_init(&got[i]);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(sc_send(pf[i].fd, "POST", "/v1/completions", NULL, body), 0);
    int open = N;
    uint64_t deadline = sb_now_ns() + 15 * SB_NS_PER_S;
    while (open > 0 && sb_now_ns() < deadline) {
        assert_true(poll(pf, N, 1000) >= 0);
        for (int i = 0; i < N; i++) {
            if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP)))
                continue;
            char tmp[8192];
            ssize_t n = recv(pf[i].fd, tmp, sizeof tmp, 0);
            if (n > 0)
                sb_buf_append(&got[i], tmp, (size_t)n);
            if (n <= 0 ||
                (got[i].len >= 5 && !memcmp(got[i].data + got[i].len - 5, "0\r\n\r\n", 5))) {
                close(pf[i].fd);
                pf[i].fd = -1;
                open--;
            }
        }
    }
    assert_int_equal(open, 0);
    for (int i = 0; i < N; i++) {
        const char *p = got[i].data;
        int tokens = 0;
        while ((p = strstr(p, "\"text\":")) != NULL) {
            tokens++;
            p++;
        }
        assert_int_equal(tokens, 10);
        assert_non_null(strstr(got[i].data, "data: [DONE]"));
        sb_buf_free(&got[i]);
    }
    sim_halt(s);
    sim_totals t;
    sim_get_totals(s, &t);
    assert_int_equal(t.requests, N);
    assert_int_equal(t.ok, N);
    assert_int_equal(t.output_tokens, 10 * N);
    sim_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(completions_stream_has_vllm_shape),
        cmocka_unit_test(chat_stream_starts_with_role_chunk),
        cmocka_unit_test(continuous_usage_is_on_every_chunk),
        cmocka_unit_test(no_usage_chunk_unless_asked),
        cmocka_unit_test(non_streaming_bodies),
        cmocka_unit_test(max_tokens_bounds_output_and_eos_is_seeded),
        cmocka_unit_test(models_and_health),
        cmocka_unit_test(metrics_counters_follow_requests),
        cmocka_unit_test(max_model_len_gives_vllm_400),
        cmocka_unit_test(keep_alive_serves_two_requests_on_one_connection),
        cmocka_unit_test(tgi_and_tensorrt_streams),
        cmocka_unit_test(five_hundred_concurrent_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
