/* SPDX-License-Identifier: Apache-2.0 */
/* test_sim_model.c - the timing model seen from outside: never early against
 * its plan (TTFT, ITL, prefill, per-sequence ITL growth), continuous batching
 * with a waiting queue, tokens per chunk, and firehose delivering everything.
 * Bounds are one-sided ("no earlier than planned"), so a loaded machine can
 * only make them easier to meet, never flaky. */
#include "testutil.h"

#include <jansson.h>
#include <pthread.h>

#include "sim/sim.h"
#include "test_sim_client.h"

typedef struct server {
    sim_server *s;
    char path[64];
} server;

static void start(server *sv, const char *args)
{
    strcpy(sv->path, "/tmp/sb_sim_modelXXXXXX");
    int fd = mkstemp(sv->path);
    assert_true(fd >= 0);
    close(fd);
    char buf[1024];
    snprintf(buf, sizeof buf, "sim --port 0 --quiet --record %s %s", sv->path, args);
    char *argv[64];
    int argc = 0;
    for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " "))
        argv[argc++] = t;
    sb_err err;
    sv->s = sim_start(argc, argv, &err);
    if (!sv->s)
        print_error("sim_start: %s\n", err.msg);
    assert_non_null(sv->s);
}

/* Stops the server and returns its record lines as a JSON array. */
static json_t *stop(server *sv)
{
    sim_stop(sv->s);
    json_t *all = tu_read_jsonl(sv->path);
    unlink(sv->path);
    return all;
}

static uint64_t u(json_t *o, const char *k)
{
    return (uint64_t)json_integer_value(json_object_get(o, k));
}

static void post(int port, const char *body, sc_resp *r)
{
    assert_int_equal(sc_do(port, "POST", "/v1/completions", NULL, body, r), 0);
    assert_int_equal(r->status, 200);
}

static void emissions_never_precede_their_plan(void **state)
{
    (void)state;
    server sv;
    start(&sv, "--ttft-ms 30 --itl-ms 4 --itl-per-seq-us 1000 --prefill-tok-per-s 1000");
    sc_resp r;
    /* 20 prompt words: prefill adds 20 ms. */
    post(sim_port(sv.s),
         "{\"prompt\":\"a b c d e f g h i j k l m n o p q r s t\",\"max_tokens\":12,"
         "\"stream\":true,\"ignore_eos\":true}",
         &r);
    sc_resp_free(&r);
    json_t *rec = stop(&sv);
    assert_int_equal(json_array_size(rec), 1);
    json_t *j = json_array_get(rec, 0);
    uint64_t start = u(j, "start_ns");
    json_t *emit = json_object_get(j, "emit_ns");
    assert_int_equal(json_array_size(emit), 12);
    /* TTFT 30 ms + 20 tokens / 1000 per s; then (4 ms + 1 ms x 1 running) per token. */
    for (size_t k = 0; k < 12; k++) {
        uint64_t planned = start + 50 * SB_NS_PER_MS + k * 5 * SB_NS_PER_MS;
        assert_true((uint64_t)json_integer_value(json_array_get(emit, k)) >= planned);
    }
    json_decref(rec);
}

typedef struct job {
    int port;
    sc_resp r;
} job;

static void *run_job(void *arg)
{
    job *jb = arg;
    sc_do(jb->port, "POST", "/v1/completions", NULL,
          "{\"prompt\":\"x\",\"max_tokens\":8,\"stream\":true,\"ignore_eos\":true}", &jb->r);
    return NULL;
}

static void max_num_seqs_queues_the_rest(void **state)
{
    (void)state;
    server sv;
    start(&sv, "--max-num-seqs 1 --ttft-ms 20 --itl-ms 5");
    job jobs[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        jobs[i].port = sim_port(sv.s);
        pthread_create(&t[i], NULL, run_job, &jobs[i]);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].r.status, 200);
        assert_true(jobs[i].r.complete);
        sc_resp_free(&jobs[i].r);
    }
    json_t *rec = stop(&sv);
    assert_int_equal(json_array_size(rec), 3);
    /* One at a time: each starts no earlier than the previous one ended, and
     * waiting shows up as start_ns > arrival_ns for the later ones. */
    uint64_t prev_end = 0;
    int waited = 0;
    for (size_t i = 0; i < 3; i++) {
        json_t *j = json_array_get(rec, i);
        assert_true(u(j, "start_ns") >= prev_end);
        waited += u(j, "start_ns") > u(j, "arrival_ns") + 10 * SB_NS_PER_MS;
        prev_end = u(j, "end_ns");
    }
    assert_true(waited >= 1);
    json_decref(rec);
}

static void tokens_per_chunk_groups_tokens(void **state)
{
    (void)state;
    server sv;
    start(&sv, "--tokens-per-chunk 3 --ttft-ms 1 --itl-ms 1");
    sc_resp r;
    post(sim_port(sv.s),
         "{\"prompt\":\"x\",\"max_tokens\":10,\"stream\":true,\"ignore_eos\":true,"
         "\"stream_options\":{\"include_usage\":true}}",
         &r);
    char *ev[32];
    size_t n = sc_events(&r, ev, 32);
    assert_int_equal(n, 4 + 2);
    const size_t words[4] = {3, 3, 3, 1};
    for (size_t i = 0; i < 4; i++) {
        json_t *j = json_loads(ev[i] + 6, 0, NULL);
        const char *text = json_string_value(
            json_object_get(json_array_get(json_object_get(j, "choices"), 0), "text"));
        size_t spaces = 0;
        for (const char *p = text; *p; p++)
            spaces += *p == ' ';
        assert_int_equal(spaces, words[i]);
        json_decref(j);
    }
    assert_non_null(strstr(ev[4], "\"completion_tokens\":10"));
    sc_events_free(ev, n);
    sc_resp_free(&r);
    json_t *rec = stop(&sv);
    json_t *j = json_array_get(rec, 0);
    assert_int_equal(u(j, "tokens_per_chunk"), 3);
    assert_int_equal(json_array_size(json_object_get(j, "emit_ns")), 4);
    json_decref(rec);
}

static void firehose_delivers_every_token(void **state)
{
    (void)state;
    server sv;
    start(&sv, "--firehose --ttft-ms 10000 --itl-ms 10000");
    sc_resp r;
    uint64_t t0 = sb_now_ns();
    post(sim_port(sv.s),
         "{\"prompt\":\"x\",\"max_tokens\":20000,\"stream\":true,\"ignore_eos\":true}", &r);
    assert_true(r.complete);
    assert_true(sb_now_ns() - t0 < 10 * SB_NS_PER_S); /* the 10 s TTFT was not applied */
    size_t n = sc_count(&r, "\"text\":");
    assert_int_equal(n, 20000);
    sc_resp_free(&r);
    json_decref(stop(&sv));
}

/* A client that stops reading: the server parks the stream on EPOLLOUT
 * instead of buffering without bound, then resumes and loses nothing. */
static void firehose_waits_for_a_slow_reader(void **state)
{
    (void)state;
    server sv;
    start(&sv, "--firehose");
    int fd = sc_connect(sim_port(sv.s));
    int small = 256 << 10; /* above one loopback MSS, or window updates crawl */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    assert_int_equal(sc_send(fd, "POST", "/v1/completions", NULL,
                             "{\"prompt\":\"x\",\"max_tokens\":100000,\"stream\":true,"
                             "\"ignore_eos\":true}"),
                     0);
    usleep(300000); /* the socket buffers fill; the server must wait */
    sc_resp m;
    assert_int_equal(sc_do(sim_port(sv.s), "GET", "/metrics", NULL, NULL, &m), 0);
    const char *g = strstr(m.body.data, "\nvllm:generation_tokens_total{");
    assert_non_null(g);
    double generated = atof(strchr(g, ' ') + 1);
    assert_true(generated > 0 && generated < 100000); /* parked, not buffered whole */
    sc_resp_free(&m);
    sc_resp r;
    sc_resp_init(&r);
    assert_int_equal(sc_read(fd, &r), 0);
    close(fd);
    assert_true(r.complete);
    size_t n = sc_count(&r, "\"text\":");
    assert_int_equal(n, 100000);
    sc_resp_free(&r);
    json_t *rec = stop(&sv);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rec, 0), "outcome")),
                        "ok");
    json_decref(rec);
}

static size_t count_bytes(void *ctx, const char *text, size_t len)
{
    (void)text;
    *(int *)ctx += 1;
    return len * 2;
}

/* The prompt-token hook the lead wires to --tokenizer: its count is what
 * usage.prompt_tokens reports, for completions and chat alike. */
static void count_tokens_hook_sets_prompt_tokens(void **state)
{
    (void)state;
    int calls = 0;
    sim_opts o;
    sim_opts_default(&o);
    o.port = 0;
    o.ttft_ms = o.itl_ms = 0;
    o.count_tokens = count_bytes;
    o.count_ctx = &calls;
    sb_err err;
    sim_server *s = sim_start_opts(&o, &err);
    assert_non_null(s);
    sc_resp r;
    post(sim_port(s), "{\"prompt\":\"hello\",\"max_tokens\":1}", &r);
    assert_non_null(strstr(r.body.data, "\"prompt_tokens\":10"));
    sc_resp_free(&r);
    assert_int_equal(sc_do(sim_port(s), "POST", "/v1/chat/completions", NULL,
                           "{\"messages\":[{\"role\":\"system\",\"content\":\"ab\"},"
                           "{\"role\":\"user\",\"content\":\"cd\"}],\"max_tokens\":1}",
                           &r),
                     0);
    assert_non_null(strstr(r.body.data, "\"prompt_tokens\":10")); /* "ab\ncd" */
    sc_resp_free(&r);
    sim_stop(s);
    assert_int_equal(calls, 2);
}

static long tokens_for(int port, const char *rid)
{
    char hdr[128];
    snprintf(hdr, sizeof hdr, "x-request-id: %s\r\n", rid);
    sc_resp r;
    assert_int_equal(
        sc_do(port, "POST", "/v1/completions", hdr, "{\"prompt\":\"x\",\"max_tokens\":1000}", &r),
        0);
    const char *p = strstr(r.body.data, "\"completion_tokens\":");
    assert_non_null(p);
    long n = atol(p + 20);
    sc_resp_free(&r);
    return n;
}

/* With x-request-id the draws follow the request, not the arrival order. */
static void request_id_fixes_draws_whatever_the_order(void **state)
{
    (void)state;
    const char *ids[] = {"a", "b", "c", "d"};
    long fwd[4];
    server sv;
    start(&sv, "--ttft-ms 0 --itl-ms 0 --seed 3");
    for (int i = 0; i < 4; i++)
        fwd[i] = tokens_for(sim_port(sv.s), ids[i]);
    json_decref(stop(&sv));
    start(&sv, "--ttft-ms 0 --itl-ms 0 --seed 3");
    for (int i = 3; i >= 0; i--)
        assert_int_equal(tokens_for(sim_port(sv.s), ids[i]), fwd[i]);
    json_decref(stop(&sv));
    start(&sv, "--ttft-ms 0 --itl-ms 0 --seed 4");
    int same = 0;
    for (int i = 0; i < 4; i++)
        same += tokens_for(sim_port(sv.s), ids[i]) == fwd[i];
    assert_true(same < 4); /* another seed, other draws */
    json_decref(stop(&sv));
}

/* --ttft-std-ms draws differ per request (never below zero). */
static void ttft_std_spreads_first_tokens(void **state)
{
    (void)state;
    server sv;
    start(&sv, "--ttft-ms 20 --ttft-std-ms 15 --itl-ms 0");
    for (int i = 0; i < 8; i++) {
        sc_resp r;
        post(sim_port(sv.s), "{\"prompt\":\"x\",\"max_tokens\":1}", &r);
        sc_resp_free(&r);
    }
    json_t *rec = stop(&sv);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < json_array_size(rec); i++) {
        json_t *j = json_array_get(rec, i);
        uint64_t ttft = u(j, "first_token_ns") - u(j, "start_ns");
        lo = ttft < lo ? ttft : lo;
        hi = ttft > hi ? ttft : hi;
    }
    assert_true(hi - lo > 2 * SB_NS_PER_MS);
    json_decref(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(emissions_never_precede_their_plan),
        cmocka_unit_test(max_num_seqs_queues_the_rest),
        cmocka_unit_test(tokens_per_chunk_groups_tokens),
        cmocka_unit_test(firehose_delivers_every_token),
        cmocka_unit_test(firehose_waits_for_a_slow_reader),
        cmocka_unit_test(count_tokens_hook_sets_prompt_tokens),
        cmocka_unit_test(request_id_fixes_draws_whatever_the_order),
        cmocka_unit_test(ttft_std_spreads_first_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
