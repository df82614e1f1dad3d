/* SPDX-License-Identifier: Apache-2.0 */
/* test_burst.c - the burst bench's logic (bench/burst.c) at N = 200, against
 * `servebench sim --record` in its own process.
 *
 * Asserts only what load cannot change: every request is accounted for (sent,
 * finished, successful, recorded exactly once by the server), requests start
 * in schedule order, a recorded start is never after the server's arrival
 * time of that request nor a first token before the server wrote it (both
 * sides read CLOCK_MONOTONIC), and --preconnect leaves one open connection per
 * request of the first wave at t0. No timing bound: the figures are the
 * bench's. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "http/engine.h"
#include "run/loop.h"

#define N 200
#define BODY                                                                                       \
    "{\"model\": \"sim\", \"prompt\": \"hello world\", \"max_tokens\": 4, \"ignore_eos\": true, "  \
    "\"stream\": true}"

typedef struct truth {
    uint64_t arrival, first_emit;
    int seen;
} truth;

/* Runs N requests through loop_run on a fresh simulator; returns the store
 * after checking the invariants below. */
static rec_store *run_loops(bool preconnect, const uint64_t *offsets, long workers, long cap,
                            loop_stats *st)
{
    char rec[] = "/tmp/sb_burst_t_XXXXXX";
    close(mkstemp(rec));
    char args[256];
    snprintf(args, sizeof args, "--quiet --ttft-ms 30 --itl-ms 1 --max-num-seqs %d --record %s",
             2 * N, rec);
    tu_sim sim;
    assert_int_equal(tu_sim_start(&sim, args), 0);
    char url[128];
    snprintf(url, sizeof url, "%s/v1/completions", sim.url);

    sb_err err;
    eng_opts eo = {0};
    eng *e = eng_new(&eo, &err);
    assert_non_null(e);
    static loop_req reqs[N];
    for (int i = 0; i < N; i++)
        reqs[i] = (loop_req){BODY, strlen(BODY), i, NULL};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    loop_opts lo = {.url = url,
                    .headers = h,
                    .id_prefix = "b-",
                    .mode = BK_MODE_COMPLETIONS,
                    .preconnect = preconnect,
                    .num_workers = workers,
                    .max_concurrency = cap};
    rec_store *rs = rec_store_new(N);
    for (int i = 0; i < N; i++)
        rs->recs[i].output_len = 4;
    sched_plan plan = {.offset_ns = (uint64_t *)offsets, .n = N};
    assert_int_equal(loop_run(e, &lo, reqs, offsets ? &plan : NULL, N, rs, st, &err), 0);
    assert_int_equal(tu_sim_stop(&sim, NULL), 0); /* flushes the record */

    assert_int_equal(st->sent, N);
    assert_int_equal(st->finished, N);
    assert_int_equal(st->workers, workers > 1 ? (size_t)workers : 1);
    if (preconnect && workers <= 1 && !cap)
        assert_int_equal(st->preconnected, offsets ? 1 : N);
    static truth tr[N];
    memset(tr, 0, sizeof tr);
    FILE *f = fopen(rec, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t line_cap = 0;
    int lines = 0;
    while (getline(&line, &line_cap, f) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        assert_non_null(j);
        const char *id = json_string_value(json_object_get(j, "request_id"));
        assert_non_null(id);
        assert_memory_equal(id, "b-", 2);
        int i = atoi(id + 2);
        assert_true(i >= 0 && i < N);
        assert_int_equal(tr[i].seen, 0); /* once each: no hidden resend */
        tr[i].seen = 1;
        tr[i].arrival = (uint64_t)json_integer_value(json_object_get(j, "arrival_ns"));
        tr[i].first_emit =
            (uint64_t)json_integer_value(json_array_get(json_object_get(j, "emit_ns"), 0));
        lines++;
        json_decref(j);
    }
    free(line);
    fclose(f);
    unlink(rec);
    assert_int_equal(lines, N);

    uint64_t prev_start = 0;
    for (int i = 0; i < N; i++) {
        sb_record *r = &rs->recs[i];
        assert_true(r->success);
        assert_int_equal(tr[i].seen, 1);
        /* schedule order: started in index order (within one loop), never
         * before its time */
        if (workers <= 1) {
            assert_true(r->start_ns >= prev_start);
            prev_start = r->start_ns;
        }
        assert_true(r->start_ns >= r->intended_ns);
        uint64_t start = rs->bench_start_ns + r->start_ns;
        assert_true(start <= tr[i].arrival);
        assert_true(start + r->ttft_ns >= tr[i].first_emit);
    }
    curl_slist_free_all(h);
    eng_free(e);
    return rs;
}

static void run_burst(bool preconnect, const uint64_t *offsets)
{
    loop_stats st;
    rec_store_free(run_loops(preconnect, offsets, 1, 0, &st));
}

static void burst_200_accounted_in_order(void **state)
{
    (void)state;
    run_burst(false, NULL);
}

static void burst_200_preconnected(void **state)
{
    (void)state;
    run_burst(true, NULL);
}

/* A schedule that is not a burst: the first wave is the requests due in the
 * first second (here only the first), the rest arrive 10 ms apart. */
static void schedule_200_spaced_in_order(void **state)
{
    (void)state;
    static uint64_t off[N];
    for (int i = 0; i < N; i++)
        off[i] = i ? SB_NS_PER_S + (uint64_t)i * 2 * SB_NS_PER_MS : 0;
    run_burst(true, off);
}

/* Two event loops against one: the same requests, each once, with the same
 * schedule times and the same per-request outcome (status, token messages,
 * lengths, success); only the timings differ. */
static void two_loops_match_one(void **state)
{
    (void)state;
    static uint64_t off[N];
    for (int i = 0; i < N; i++)
        off[i] = (uint64_t)i * SB_NS_PER_MS / 2; /* 2,000 requests/s */
    loop_stats s1, s2;
    rec_store *a = run_loops(false, off, 1, 40, &s1);
    rec_store *b = run_loops(true, off, 2, 40, &s2);
    assert_int_equal(a->n, b->n);
    assert_int_equal(s1.finished, s2.finished);
    assert_int_equal(s1.messages, s2.messages);
    assert_int_equal(s2.workers, 2);
    for (int i = 0; i < N; i++) {
        sb_record *x = &a->recs[i], *y = &b->recs[i];
        assert_int_equal(x->intended_ns, y->intended_ns);
        assert_int_equal(x->success, y->success);
        assert_int_equal(x->http_status, y->http_status);
        assert_int_equal(x->n_chunks, y->n_chunks);
        assert_int_equal(x->n_itl, y->n_itl);
        assert_int_equal(x->output_tokens, y->output_tokens);
        assert_int_equal(x->prompt_len, y->prompt_len);
        assert_int_equal(x->output_len, y->output_len);
    }
    rec_store_free(a);
    rec_store_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(burst_200_accounted_in_order),
        cmocka_unit_test(burst_200_preconnected),
        cmocka_unit_test(schedule_200_spaced_in_order),
        cmocka_unit_test(two_loops_match_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
