/* SPDX-License-Identifier: Apache-2.0 */
/* test_sim_faults.c - what a client sees from each injected fault (rate 1.0
 * makes each deterministic), malformed requests answered with 4xx JSON,
 * the --record ground truth against a raw-socket client's own timestamps,
 * and `servebench sim` as a process: listening line, SIGTERM, totals. */
#include "testutil.h"

#include <jansson.h>
#include <signal.h>
#include <sys/wait.h>

#include "sim/sim.h"
#include "test_sim_client.h"

static const char *stream_body =
    "{\"prompt\":\"a b c\",\"max_tokens\":6,\"stream\":true,\"ignore_eos\":true,"
    "\"stream_options\":{\"include_usage\":true}}";

static void assert_error_json(const sc_resp *r, int code)
{
    assert_int_equal(r->status, code);
    json_t *j = json_loads(r->body.data ? r->body.data : "", 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "object")), "error");
    assert_int_equal(json_integer_value(json_object_get(j, "code")), code);
    assert_true(json_is_string(json_object_get(j, "message")));
    json_decref(j);
}

static void fail_rate_gives_500_json(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--fail-rate 1");
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "POST", "/v1/completions", NULL, stream_body, &r), 0);
    assert_error_json(&r, 500);
    sc_resp_free(&r);
    sim_stop(s);
}

static void reject_rate_gives_429_json(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--reject-rate 1");
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "POST", "/v1/chat/completions", NULL,
                           "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", &r),
                     0);
    assert_error_json(&r, 429);
    sc_resp_free(&r);
    sim_stop(s);
}

static void reset_rate_resets_before_headers(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--reset-rate 1");
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "POST", "/v1/completions", NULL, stream_body, &r), -1);
    assert_int_equal(r.status, 0);
    assert_true(r.reset);
    assert_int_equal(r.body.len, 0);
    sc_resp_free(&r);
    sim_stop(s);
}

static void drop_rate_truncates_stream(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--drop-rate 1 --ttft-ms 1 --itl-ms 1");
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "POST", "/v1/completions", NULL, stream_body, &r), 0);
    assert_int_equal(r.status, 200);
    assert_false(r.complete); /* no terminating chunk */
    assert_null(strstr(r.body.data ? r.body.data : "", "[DONE]"));
    assert_non_null(strstr(r.body.data ? r.body.data : "", "\"text\"")); /* a token came first */
    sc_resp_free(&r);
    sim_stop(s);
}

static void malformed_rate_corrupts_one_chunk(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--malformed-rate 1 --ttft-ms 1 --itl-ms 1");
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "POST", "/v1/completions", NULL, stream_body, &r), 0);
    assert_int_equal(r.status, 200);
    char *ev[32];
    size_t n = sc_events(&r, ev, 32);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(ev[i], "data: [DONE]"))
            continue;
        json_t *j = json_loads(ev[i] + 6, 0, NULL);
        bad += j == NULL;
        json_decref(j);
    }
    assert_int_equal(bad, 1);
    sc_events_free(ev, n);
    sc_resp_free(&r);
    sim_stop(s);
}

static void stall_rate_pauses_mid_stream(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--stall-rate 1 --stall-ms 300 --ttft-ms 1 --itl-ms 1");
    sc_resp r;
    assert_int_equal(sc_do(sim_port(s), "POST", "/v1/completions", NULL, stream_body, &r), 0);
    assert_int_equal(r.status, 200);
    assert_true(r.complete);
    uint64_t widest = 0;
    for (size_t i = 1; i < r.nev; i++)
        if (r.ev_ns[i] - r.ev_ns[i - 1] > widest)
            widest = r.ev_ns[i] - r.ev_ns[i - 1];
    assert_true(widest >= 250 * SB_NS_PER_MS); /* one gap holds the stall */
    sc_resp_free(&r);
    sim_stop(s);
}

static void raw_request(int port, const char *bytes, size_t n, sc_resp *r)
{
    sc_resp_init(r);
    int fd = sc_connect(port);
    assert_true(fd >= 0);
    assert_int_equal(sc_send_all(fd, bytes, n), 0);
    sc_read(fd, r);
    close(fd);
}

static void malformed_requests_get_4xx_json(void **state)
{
    (void)state;
    sim_server *s = sc_sim_start("--max-body-bytes 1000 --max-header-bytes 4096");
    int port = sim_port(s);
    sc_resp r;
    const struct {
        const char *body;
        int code;
    } bodies[] = {
        {"{not json", 400},
        {"[1,2]", 400},
        {"{\"prompt\":5}", 400},
        {"{\"prompt\":\"x\",\"max_tokens\":\"7\"}", 400},
        {"{\"prompt\":\"x\",\"max_tokens\":0}", 400},
        {"{\"prompt\":\"x\",\"stream\":\"yes\"}", 400},
        {"{\"prompt\":\"x\",\"stream_options\":{\"include_usage\":true}}", 400},
        {"{\"prompt\":\"x\",\"n\":2}", 400},
        {"{\"prompt\":[\"a\",\"b\"]}", 400},
        {"{\"prompt\":\"x\",\"max_tokens\":99999999,\"stream\":true}", 400},
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        assert_int_equal(sc_do(port, "POST", "/v1/completions", NULL, bodies[i].body, &r), 0);
        assert_error_json(&r, bodies[i].code);
        sc_resp_free(&r);
    }
    assert_int_equal(sc_do(port, "POST", "/v1/chat/completions", NULL,
                           "{\"messages\":[{\"content\":\"x\"}]}", &r),
                     0);
    assert_error_json(&r, 400);
    sc_resp_free(&r);
    const struct {
        const char *raw;
        int code;
    } raws[] = {
        {"GARBAGE\r\n\r\n", 400},
        {"GET nopath HTTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/2.0\r\n\r\n", 505},
        {"POST /v1/completions HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400},
        {"POST /v1/completions HTTP/1.1\r\nTransfer-Encoding: "
         "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
         411},
        {"POST /v1/completions HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 413},
        {"POST /v1/completions HTTP/1.1\r\nBad Header\r\n\r\n", 400},
    };
    for (size_t i = 0; i < sizeof raws / sizeof raws[0]; i++) {
        raw_request(port, raws[i].raw, strlen(raws[i].raw), &r);
        assert_error_json(&r, raws[i].code);
        sc_resp_free(&r);
    }
    /* An endless header block: 431 once it passes the limit. */
    sb_buf big;
    sb_buf_init(&big);
    sb_buf_puts(&big, "GET /health HTTP/1.1\r\n");
    while (big.len < 8192)
        sb_buf_puts(&big, "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    raw_request(port, big.data, big.len, &r);
    assert_error_json(&r, 431);
    sc_resp_free(&r);
    sb_buf_free(&big);
    /* Unknown path and wrong method: FastAPI-style details. */
    assert_int_equal(sc_do(port, "GET", "/nope", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 404);
    sc_resp_free(&r);
    assert_int_equal(sc_do(port, "GET", "/v1/completions", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 405);
    sc_resp_free(&r);
    /* Still serving after all that. */
    assert_int_equal(sc_do(port, "GET", "/health", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    sc_resp_free(&r);
    sim_stop(s);
}

static void record_matches_client_timestamps(void **state)
{
    (void)state;
    char path[] = "/tmp/sb_sim_recordXXXXXX";
    int tfd = mkstemp(path);
    assert_true(tfd >= 0);
    close(tfd);
    char args[256];
    snprintf(args, sizeof args, "--ttft-ms 30 --itl-ms 10 --record %s", path);
    sim_server *s = sc_sim_start(args);
    sc_resp r;
    uint64_t sent = sb_now_ns();
    assert_int_equal(
        sc_do(sim_port(s), "POST", "/v1/completions", "x-request-id: req-42\r\n", stream_body, &r),
        0);
    assert_int_equal(r.status, 200);
    sim_stop(s);
    sb_buf rec;
    sb_buf_init(&rec);
    assert_int_equal(tu_read_file(path, &rec), 0);
    unlink(path);
    json_t *j = json_loads(rec.data, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "request_id")), "req-42");
    assert_string_equal(json_string_value(json_object_get(j, "outcome")), "ok");
    assert_int_equal(json_integer_value(json_object_get(j, "prompt_tokens")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "output_tokens")), 6);
    assert_int_equal(json_integer_value(json_object_get(j, "tokens_per_chunk")), 1);
    uint64_t arrival = (uint64_t)json_integer_value(json_object_get(j, "arrival_ns"));
    uint64_t first = (uint64_t)json_integer_value(json_object_get(j, "first_token_ns"));
    json_t *emit = json_object_get(j, "emit_ns");
    assert_int_equal(json_array_size(emit), 6);
    /* Same clock: the server's times sit between the client's send and the
     * client's receive of each event, and TTFT is at least the configured 30 ms. */
    assert_true(arrival >= sent);
    assert_true(first >= arrival + 29 * SB_NS_PER_MS);
    assert_int_equal(r.nev, 6 + 2);
    for (size_t i = 0; i < 6; i++) {
        uint64_t e = (uint64_t)json_integer_value(json_array_get(emit, i));
        assert_true(e <= r.ev_ns[i]);
        assert_true(r.ev_ns[i] - e < 500 * SB_NS_PER_MS);
        if (i)
            assert_true(e > (uint64_t)json_integer_value(json_array_get(emit, i - 1)));
    }
    json_decref(j);
    sb_buf_free(&rec);
    sc_resp_free(&r);
}

/* Runs `servebench sim` as a child with stdout on a pipe (testutil's
 * tu_sim_start closes that pipe for pids >= 1024, so the totals printed at
 * exit would meet SIGPIPE; see the report). */
static pid_t spawn_sim(const char *args, int *out_fd, int *port)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        char cmd[512];
        snprintf(cmd, sizeof cmd, "exec '%s' sim --port 0 %s", getenv("SB_BIN"), args);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[256];
    size_t n = 0;
    while (n + 1 < sizeof line && read(fds[0], &line[n], 1) == 1 && line[n] != '\n')
        n++;
    line[n] = '\0';
    assert_true(strncmp(line, "servebench sim listening on http://127.0.0.1:", 45) == 0);
    *port = atoi(line + 45);
    *out_fd = fds[0];
    return pid;
}

static void sigterm_stops_cleanly_with_totals(void **state)
{
    (void)state;
    tu_env("SB_BIN");
    int fd, port;
    pid_t pid = spawn_sim("--ttft-ms 1 --itl-ms 1", &fd, &port);
    sc_resp r;
    assert_int_equal(sc_do(port, "POST", "/v1/completions", NULL, stream_body, &r), 0);
    assert_int_equal(r.status, 200);
    sc_resp_free(&r);
    /* A connection left open mid-stream must not stop the shutdown. */
    int idle = sc_connect(port);
    assert_int_equal(sc_send(idle, "POST", "/v1/completions", NULL,
                             "{\"prompt\":\"x\",\"max_tokens\":100000,\"stream\":true}"),
                     0);
    usleep(50000);
    kill(pid, SIGTERM);
    sb_buf out;
    sb_buf_init(&out);
    char tmp[4096];
    ssize_t n;
    while ((n = read(fd, tmp, sizeof tmp)) > 0)
        sb_buf_append(&out, tmp, (size_t)n);
    close(fd);
    int st;
    waitpid(pid, &st, 0);
    close(idle);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_non_null(strstr(out.data, "SIGTERM"));
    assert_non_null(strstr(out.data, "2 requests (1 ok"));
    assert_non_null(strstr(out.data, "1 abandoned"));
    sb_buf_free(&out);
}

static void command_line_errors_exit_2(void **state)
{
    (void)state;
    sb_buf out;
    sb_buf_init(&out);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' sim --fail-rate 2", tu_env("SB_BIN"));
    assert_int_equal(tu_run(cmd, 1, &out), 2);
    assert_non_null(strstr(out.data, "--fail-rate"));
    sb_buf_reset(&out);
    snprintf(cmd, sizeof cmd, "'%s' sim --bogus", tu_env("SB_BIN"));
    assert_int_equal(tu_run(cmd, 1, &out), 2);
    assert_non_null(strstr(out.data, "--bogus"));
    sb_buf_reset(&out);
    snprintf(cmd, sizeof cmd, "'%s' sim --help", tu_env("SB_BIN"));
    assert_int_equal(tu_run(cmd, 0, &out), 0);
    assert_non_null(strstr(out.data, "--tokens-per-chunk"));
    sb_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fail_rate_gives_500_json),
        cmocka_unit_test(reject_rate_gives_429_json),
        cmocka_unit_test(reset_rate_resets_before_headers),
        cmocka_unit_test(drop_rate_truncates_stream),
        cmocka_unit_test(malformed_rate_corrupts_one_chunk),
        cmocka_unit_test(stall_rate_pauses_mid_stream),
        cmocka_unit_test(malformed_requests_get_4xx_json),
        cmocka_unit_test(record_matches_client_timestamps),
        cmocka_unit_test(sigterm_stops_cleanly_with_totals),
        cmocka_unit_test(command_line_errors_exit_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
