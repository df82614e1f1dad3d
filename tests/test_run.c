/* SPDX-License-Identifier: Apache-2.0 */
/* test_run.c - run_serve end to end against the in-process simulator
 * (--sim): the seed command lines of reference/seed-commands.md (small
 * --num-prompts, our simulator instead of a GPU server) must print the
 * reference's block; plus fault accounting and Ctrl-C partial results.
 *
 * run_serve is called in a forked child with stdout/stderr captured in a
 * file: it prints, installs a SIGINT handler and owns its process. */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"
#include "core/clock.h"
#include "run/run.h"

/* Splits a command line on blanks (no quoting needed by these tests). */
static int split(char *s, char **argv, int max)
{
    int n = 0;
    argv[n++] = "serve";
    for (char *t = strtok(s, " \n"); t && n < max - 1; t = strtok(NULL, " \n"))
        argv[n++] = t;
    argv[n] = NULL;
    return n;
}

/* Runs `serve <args>` in a child; output into out; returns exit status.
 * sigint_after_ms > 0 sends SIGINT to the child after that long. */
static int serve(const char *args, sb_buf *out, int sigint_after_ms)
{
    char path[] = "/tmp/sb_test_run_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        char *copy = strdup(args), *argv[128];
        int argc = split(copy, argv, 128);
        sb_config cfg;
        sb_buf notes;
        sb_err err;
        sb_buf_init(&notes);
        if (cli_parse_serve(argc, argv, &cfg, &notes, &err) != CLI_PARSED) {
            printf("parse error: %s\n", err.msg);
            fflush(stdout);
            _exit(99);
        }
        int st = run_serve(&cfg);
        sb_config_free(&cfg);
        fflush(stdout);
        _exit(st);
    }
    if (sigint_after_ms > 0) {
        sb_sleep_until_ns(sb_now_ns() + (uint64_t)sigint_after_ms * SB_NS_PER_MS);
        kill(pid, SIGINT);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    close(fd);
    sb_buf_reset(out);
    tu_read_file(path, out);
    unlink(path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static long field_long(const char *text, const char *label)
{
    const char *p = strstr(text, label);
    if (!p)
        fail_msg("no line '%s' in:\n%s", label, text);
    return atol(p + strlen(label));
}

static void check_block(const char *out, long want_ok)
{
    assert_non_null(strstr(out, "============ Serving Benchmark Result ============"));
    assert_int_equal(field_long(out, "Successful requests:"), want_ok);
    assert_non_null(strstr(out, "Mean TTFT (ms):"));
    assert_non_null(strstr(out, "---------------Inter-token Latency----------------"));
    assert_non_null(strstr(out, "\n==================================================\n"));
}

static void seed1_old_script_random_with_concurrency_cap(void **state)
{
    (void)state;
    sb_buf out;
    sb_buf_init(&out);
    int st = serve("--sim --sim-arg --ttft-ms=5 --sim-arg --itl-ms=1 --backend vllm "
                   "--dataset-name random --max-concurrency 10 --num-prompts 30 --seed 3 "
                   "--random-input-len 64 --random-output-len 32 --ignore-eos --disable-tqdm",
                   &out, 0);
    if (st != 0)
        fail_msg("exit %d:\n%s", st, out.data);
    if (!strstr(out.data, "Successful requests:                     30"))
        fail_msg("%s", out.data);
    check_block(out.data, 30);
    assert_int_equal(field_long(out.data, "Failed requests:"), 0);
    assert_int_equal(field_long(out.data, "Maximum request concurrency:"), 10);
    assert_int_equal(field_long(out.data, "Total generated tokens:"), 30 * 32);
    assert_non_null(strstr(out.data, "Starting initial single prompt test run...\n"));
    assert_non_null(strstr(out.data, "Traffic request rate: inf\n"));
    assert_non_null(strstr(out.data, "Burstiness factor: 1.0 (Poisson process)\n"));
    assert_non_null(strstr(out.data, "Maximum request concurrency: 10\n"));
    sb_buf_free(&out);
}

static void seed2_chat_with_rate_and_percentiles(void **state)
{
    (void)state;
    sb_buf out;
    sb_buf_init(&out);
    int st = serve("--sim --sim-arg --ttft-ms=5 --sim-arg --itl-ms=1 --backend openai-chat "
                   "--endpoint /v1/chat/completions --dataset-name random --random-input-len 32 "
                   "--random-output-len 8 --percentile-metrics ttft,tpot,itl,e2el "
                   "--metric-percentiles 95,99 --num-prompts 16 --request-rate 200 "
                   "--disable-tqdm",
                   &out, 0);
    if (st != 0)
        fail_msg("exit %d:\n%s", st, out.data);
    check_block(out.data, 16);
    assert_non_null(strstr(out.data, "P95 TTFT (ms):"));
    assert_non_null(strstr(out.data, "Mean E2EL (ms):"));
    assert_non_null(strstr(out.data, "Traffic request rate: 200.0\n"));
    assert_non_null(strstr(out.data, "Request rate configured (RPS):"));
    sb_buf_free(&out);
}

static void seed3_model_from_v1_models(void **state)
{
    (void)state;
    sb_buf out;
    sb_buf_init(&out);
    int st = serve("--sim --sim-arg --ttft-ms=2 --sim-arg --itl-ms=1 --random-input-len 32 "
                   "--random-output-len 16 --num-prompts 5 --disable-tqdm",
                   &out, 0);
    if (st != 0)
        fail_msg("exit %d:\n%s", st, out.data);
    assert_non_null(strstr(out.data, "Model not specified, fetching first model from server...\n"
                                     "First model name: sim, first model id: sim\n"));
    check_block(out.data, 5);
    sb_buf_free(&out);
}

static void faults_are_all_accounted_for(void **state)
{
    (void)state;
    sb_buf out;
    sb_buf_init(&out);
    int st = serve("--sim --sim-arg --ttft-ms=2 --sim-arg --itl-ms=1 --sim-arg --fail-rate=0.1 "
                   "--sim-arg --reject-rate=0.1 --sim-arg --reset-rate=0.1 "
                   "--sim-arg --drop-rate=0.1 --sim-arg --malformed-rate=0.1 "
                   "--random-input-len 16 --random-output-len 8 --num-prompts 100 "
                   "--max-concurrency 20 --disable-tqdm",
                   &out, 0);
    if (st != 0)
        fail_msg("exit %d:\n%s", st, out.data);
    long ok = field_long(out.data, "Successful requests:");
    long bad = field_long(out.data, "Failed requests:");
    assert_int_equal(ok + bad, 100);
    assert_true(bad > 20 && ok > 20);
    assert_non_null(strstr(out.data, "Failed requests during benchmark run detected"));
    /* 500 and 429 -> http_status; RST and mid-stream close -> reset; cut JSON -> malformed */
    assert_non_null(strstr(out.data, "\nhttp_status:"));
    assert_non_null(strstr(out.data, "\nreset:"));
    assert_non_null(strstr(out.data, "\nmalformed_stream:"));
    sb_buf_free(&out);
}

static void refused_connection_fails_every_request_without_hanging(void **state)
{
    (void)state;
    sb_buf out;
    sb_buf_init(&out);
    int st = serve("--model m --tokenizer " SB_DATA_DIR "/tokenizers/gpt2 --port 1 "
                   "--random-input-len 16 --random-output-len 8 --num-prompts 4 --disable-tqdm",
                   &out, 0);
    assert_int_equal(st, 1);
    assert_int_equal(field_long(out.data, "Failed requests:"), 4);
    assert_non_null(strstr(out.data, "All requests failed"));
    assert_non_null(strstr(out.data, "Couldn't connect"));
    sb_buf_free(&out);
}

static void sigint_gives_partial_result(void **state)
{
    (void)state;
    sb_buf out;
    sb_buf_init(&out);
    /* 2 req/s for 100 requests would take 50 s; interrupt after 3 s */
    int st = serve("--sim --sim-arg --ttft-ms=2 --sim-arg --itl-ms=1 --random-input-len 16 "
                   "--random-output-len 4 --num-prompts 100 --request-rate 2 "
                   "--burstiness inf --disable-tqdm",
                   &out, 3000);
    if (st != 130) /* an interrupted run must not look complete to a script */
        fail_msg("exit %d (want 130):\n%s", st, out.data);
    assert_non_null(strstr(out.data, "results below are partial"));
    assert_non_null(strstr(out.data, "PARTIAL (interrupted):"));
    long ok = field_long(out.data, "Successful requests:");
    assert_true(ok >= 1 && ok < 100);
    assert_int_equal(field_long(out.data, "Failed requests:"), 0);
    sb_buf_free(&out);
}

static void legacy_tgi_and_trtllm_backends_against_the_simulator(void **state)
{
    (void)state;
    sb_buf out;
    sb_buf_init(&out);
    int st = serve("--sim --sim-arg --ttft-ms=2 --sim-arg --itl-ms=1 --backend tgi "
                   "--endpoint /generate_stream --model sim --random-input-len 16 "
                   "--random-output-len 8 --num-prompts 5 --ignore-eos --disable-tqdm",
                   &out, 0);
    if (st != 0)
        fail_msg("exit %d:\n%s", st, out.data);
    check_block(out.data, 5);
    assert_int_equal(field_long(out.data, "Total generated tokens:"), 40);
    st = serve("--sim --sim-arg --ttft-ms=2 --sim-arg --itl-ms=1 --backend tensorrt-llm "
               "--endpoint /v2/models/ensemble/generate_stream --model sim --random-input-len 16 "
               "--random-output-len 8 --num-prompts 5 --ignore-eos --disable-tqdm",
               &out, 0);
    if (st != 0)
        fail_msg("exit %d:\n%s", st, out.data);
    check_block(out.data, 5);
    sb_buf_free(&out);
}

/* --http2 on http:// asks for an h2c upgrade; an HTTP/1.1-only server (the
 * simulator) answers in HTTP/1.1 and the run goes on. */
static void http2_flag_falls_back_to_http11(void **state)
{
    (void)state;
    sb_buf out;
    sb_buf_init(&out);
    int st = serve("--sim --sim-arg --ttft-ms=2 --sim-arg --itl-ms=1 --http2 --model sim "
                   "--random-input-len 16 --random-output-len 4 --num-prompts 4 --disable-tqdm",
                   &out, 0);
    if (st != 0)
        fail_msg("exit %d:\n%s", st, out.data);
    check_block(out.data, 4);
    sb_buf_free(&out);
}

static void ready_check_and_warmups_print_reference_lines(void **state)
{
    (void)state;
    sb_buf out;
    sb_buf_init(&out);
    int st = serve("--sim --sim-arg --ttft-ms=2 --sim-arg --itl-ms=1 --random-input-len 16 "
                   "--random-output-len 4 --num-prompts 4 --ready-check-timeout-sec 5 "
                   "--num-warmups 3 --disable-tqdm",
                   &out, 0);
    if (st != 0)
        fail_msg("exit %d:\n%s", st, out.data);
    const char *a = strstr(out.data, "Waiting for endpoint to become up in 5 seconds\n");
    const char *b = strstr(out.data, "Initial test run completed.\n");
    const char *c = strstr(out.data, "Warming up with 3 requests...\nWarmup run completed.\n");
    const char *d = strstr(out.data, "Starting main benchmark run...\n");
    assert_true(a && b && c && d && a < b && b < c && c < d);
    check_block(out.data, 4);
    sb_buf_free(&out);
}

/* A server process killed in the middle of the run: every request ends
 * (failed or not), nothing hangs. */
static void server_killed_mid_run_never_hangs(void **state)
{
    (void)state;
    tu_sim sim;
    assert_int_equal(tu_sim_start(&sim, "--ttft-ms 50 --itl-ms 20 --quiet"), 0);
    char args[512];
    snprintf(args, sizeof args,
             "--model sim --tokenizer %s/tokenizers/gpt2 --port %d --random-input-len 16 "
             "--random-output-len 200 --num-prompts 20 --disable-tqdm",
             SB_DATA_DIR, sim.port);
    pid_t killer = fork();
    if (killer == 0) {
        sb_sleep_until_ns(sb_now_ns() + 1500 * SB_NS_PER_MS);
        kill(sim.pid, SIGKILL);
        _exit(0);
    }
    sb_buf out;
    sb_buf_init(&out);
    uint64_t t0 = sb_now_ns();
    serve(args, &out, 0);
    waitpid(killer, NULL, 0);
    tu_sim_stop(&sim, NULL);
    assert_true(sb_now_ns() - t0 < 15 * SB_NS_PER_S);
    long ok = field_long(out.data, "Successful requests:");
    long bad = field_long(out.data, "Failed requests:");
    assert_int_equal(ok + bad, 20);
    assert_true(bad > 0);
    sb_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed1_old_script_random_with_concurrency_cap),
        cmocka_unit_test(seed2_chat_with_rate_and_percentiles),
        cmocka_unit_test(seed3_model_from_v1_models),
        cmocka_unit_test(faults_are_all_accounted_for),
        cmocka_unit_test(refused_connection_fails_every_request_without_hanging),
        cmocka_unit_test(sigint_gives_partial_result),
        cmocka_unit_test(ready_check_and_warmups_print_reference_lines),
        cmocka_unit_test(http2_flag_falls_back_to_http11),
        cmocka_unit_test(legacy_tgi_and_trtllm_backends_against_the_simulator),
        cmocka_unit_test(server_killed_mid_run_never_hangs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
