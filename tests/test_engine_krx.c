/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine_krx.c - --rx-timestamps kernel (eng_opts.rx_kernel) against
 * `servebench sim --record` in its own process, over real sockets.
 *
 * Asserts orderings only, never magnitudes: token messages have a kernel
 * stamp; each one is no later than the user-space stamp of the same message,
 * no earlier than the request's start nor than the simulator's emission of
 * that token (both sides read CLOCK_MONOTONIC; the simulator stamps before
 * send()); stamps within a stream never go back. Connections are reused
 * (--max-concurrency below the request count), since a reused connection's
 * socket must be matched to its new transfer.
 *
 * Both paths: the own HTTP/1.1 transport reads each stamp with its data
 * (recvmsg); libcurl's is peeked before curl reads. "Every token" with one
 * allowance on libcurl: data that arrived after the engine's
 * last peek of its socket and before curl read it has no stamp and is
 * counted as missing, never given a stamp from before it arrived (the
 * ordering asserts below failed under load before that rule, and before the
 * wall-clock offset was read without a preemption in the middle). That needs a
 * client descheduled at the wrong moment (none on an idle machine; up to 12
 * of 720 with six CPU hogs on two cores), so more than 1 in 20 is a failure. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "http/engine.h"
#include "metrics/krx.h"
#include "run/loop.h"

#define N 60
#define TOKENS 12
#define BODY                                                                                       \
    "{\"model\": \"sim\", \"prompt\": \"hello world\", \"max_tokens\": 12, \"ignore_eos\": "       \
    "true, \"stream\": true}"

typedef struct truth {
    uint64_t emit[TOKENS];
    size_t n_emit;
    int seen;
} truth;

static truth tr[N];

static void read_truth(const char *path)
{
    memset(tr, 0, sizeof tr);
    json_t *all = tu_read_jsonl(path);
    assert_int_equal(json_array_size(all), N);
    for (size_t k = 0; k < json_array_size(all); k++) {
        json_t *j = json_array_get(all, k);
        const char *id = json_string_value(json_object_get(j, "request_id"));
        assert_non_null(id);
        int i = atoi(id + 2);
        assert_true(i >= 0 && i < N);
        assert_int_equal(tr[i].seen, 0);
        tr[i].seen = 1;
        json_t *em = json_object_get(j, "emit_ns");
        tr[i].n_emit = json_array_size(em) < TOKENS ? json_array_size(em) : TOKENS;
        for (size_t t = 0; t < tr[i].n_emit; t++)
            tr[i].emit[t] = (uint64_t)json_integer_value(json_array_get(em, t));
    }
    json_decref(all);
}

/* Runs N streamed requests, cap at a time, with kernel stamps, on the own
 * HTTP/1.1 transport or (curl) on libcurl. */
static rec_store *run_kernel(long cap, long workers, bool curl)
{
    char rec[] = "/tmp/sb_krx_t_XXXXXX";
    close(mkstemp(rec));
    char args[256];
    snprintf(args, sizeof args, "--quiet --ttft-ms 5 --itl-ms 2 --record %s", rec);
    tu_sim sim;
    assert_int_equal(tu_sim_start(&sim, args), 0);
    char url[128];
    snprintf(url, sizeof url, "%s/v1/completions", sim.url);
    sb_err err;
    eng_opts eo = {.rx_kernel = true, .curl_only = curl};
    eng *e = eng_new(&eo, &err);
    assert_non_null(e);
    static loop_req reqs[N];
    for (int i = 0; i < N; i++)
        reqs[i] = (loop_req){BODY, strlen(BODY), i, NULL};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    loop_opts lo = {.url = url,
                    .headers = h,
                    .id_prefix = "k-",
                    .mode = BK_MODE_COMPLETIONS,
                    .max_concurrency = cap,
                    .num_workers = workers};
    rec_store *rs = rec_store_new(N);
    rs->krx = krx_new(N);
    for (int i = 0; i < N; i++)
        rs->recs[i].output_len = TOKENS;
    loop_stats st;
    assert_int_equal(loop_run(e, &lo, reqs, NULL, N, rs, &st, &err), 0);
    assert_int_equal(tu_sim_stop(&sim, NULL), 0);
    read_truth(rec);
    unlink(rec);
    curl_slist_free_all(h);
    eng_free(e);
    return rs;
}

static void check_orderings(const rec_store *rs)
{
    uint32_t missing = 0;
    for (int i = 0; i < N; i++) {
        const sb_record *r = &rs->recs[i];
        const krx_req *q = &rs->krx->reqs[i];
        assert_true(r->success);
        assert_int_equal(tr[i].seen, 1);
        assert_int_equal(r->n_chunks, TOKENS);
        /* a kernel stamp for every token message but the rare one that
         * arrived after the peek (header comment) */
        assert_int_equal(q->stamped + q->missing, (uint32_t)r->n_chunks);
        missing += q->missing;
        if (q->missing)
            continue;
        assert_true(q->has_ttft);
        assert_int_equal(q->n_itl, r->n_itl);
        /* absolute stamps of message j: start + TTFT + the gaps before j */
        uint64_t start = rs->bench_start_ns + r->start_ns;
        uint64_t k = start + q->ttft_ns, u = start + r->ttft_ns;
        for (uint32_t j = 0; j < (uint32_t)r->n_chunks; j++) {
            if (j) {
                k += q->itl[j - 1];
                u += rec_store_itl_ns(rs, (size_t)i, j - 1);
            }
            assert_true(k >= start);
            assert_true(k <= u);
            if (j < tr[i].n_emit)
                assert_true(k >= tr[i].emit[j]);
        }
    }
    if (missing)
        print_message(
            "note: %u of %d token messages without a kernel stamp (data after the peek)\n", missing,
            N * TOKENS);
    assert_true(missing <= N * TOKENS / 20);
}

static void kernel_stamps_every_token_in_order(void **state)
{
    (void)state;
    for (int curl = 0; curl < 2; curl++) {
        rec_store *rs = run_kernel(6, 1, curl);
        check_orderings(rs);
        rec_store_free(rs);
    }
}

/* Two event loops, each with its own engine and sockets, write one store. */
static void kernel_stamps_with_two_loops(void **state)
{
    (void)state;
    rec_store *rs = run_kernel(8, 2, false);
    check_orderings(rs);
    rec_store_free(rs);
}

/* After an interrupt the kept records move to the front: their kernel
 * stamps move with them. */
static void kernel_stamps_follow_kept_records(void **state)
{
    (void)state;
    rec_store *rs = rec_store_new(3);
    rs->krx = krx_new(3);
    for (size_t i = 0; i < 3; i++) {
        krx_begin(rs->krx, i, 2);
        krx_token(rs->krx, i, 1000, 1000 + 10 * (i + 1), true);
        krx_token(rs->krx, i, 1000, 1100 + 10 * (i + 1), false);
    }
    krx_token(rs->krx, 2, 1000, 5, false); /* before the start: missing, chain broken */
    krx_token(rs->krx, 2, 1000, 1200, false);
    assert_int_equal(rs->krx->reqs[2].missing, 1);
    assert_int_equal(rs->krx->reqs[2].n_itl, 1);
    unsigned char keep[3] = {0, 1, 1};
    rec_store_keep(rs, keep);
    assert_int_equal(rs->krx->n, 2);
    assert_int_equal(rs->krx->reqs[0].ttft_ns, 20);
    assert_int_equal(rs->krx->reqs[0].itl[0], 100);
    assert_int_equal(rs->krx->reqs[1].ttft_ns, 30);
    krx_trim(rs->krx, 1);
    assert_int_equal(rs->krx->reqs[1].cap_itl, 1);
    rec_store_free(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kernel_stamps_every_token_in_order),
        cmocka_unit_test(kernel_stamps_with_two_loops),
        cmocka_unit_test(kernel_stamps_follow_kept_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
