/* SPDX-License-Identifier: Apache-2.0 */
/* test_mpi.c - the MPI-free half of a multi-rank run (src/mpi/mpir_shard.c):
 * concurrency shares, shard sizes, the NTP-style offset estimate, and the
 * pack -> gather bytes -> merge round trip of records, which must give back
 * every field in request order (and refuse malformed bytes). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi/mpir.h"

static void shares_add_up_and_favour_low_ranks(void **state)
{
    (void)state;
    for (long c = 1; c < 40; c++)
        for (int n = 1; n <= 9; n++) {
            long sum = 0;
            for (int r = 0; r < n; r++) {
                long s = mpir_share(c, r, n);
                assert_true(s == c / n || s == c / n + 1);
                if (r > 0)
                    assert_true(s <= mpir_share(c, r - 1, n));
                sum += s;
            }
            assert_int_equal(sum, c);
        }
    assert_int_equal(mpir_share(0, 2, 4), 0); /* unlimited stays unlimited */
    assert_int_equal(mpir_share(10, 0, 4), 3);
    assert_int_equal(mpir_share(10, 3, 4), 2);
}

static void shard_lengths_cover_every_request_once(void **state)
{
    (void)state;
    for (size_t n = 0; n < 30; n++)
        for (int size = 1; size <= 7; size++) {
            size_t sum = 0;
            for (int r = 0; r < size; r++) {
                size_t cnt = 0;
                for (size_t i = 0; i < n; i++)
                    cnt += i % (size_t)size == (size_t)r;
                assert_int_equal(mpir_shard_len(n, r, size), cnt);
                sum += cnt;
            }
            assert_int_equal(sum, n);
        }
}

static void offset_comes_from_the_fastest_round_trip(void **state)
{
    (void)state;
    /* this clock = rank-0 clock - 1e6 (offset +1 ms); samples with an
     * asymmetric slow leg, and one clean 2 us round trip */
    uint64_t t1[3] = {1000000, 2000000, 3000000};
    uint64_t t4[3] = {1900000, 2002000, 3500000};
    uint64_t t2[3] = {t1[0] + 1000000 + 800000, t1[1] + 1000000 + 1000, t1[2] + 1000000 + 100};
    mpir_clock c;
    mpir_offset_estimate(t1, t2, t4, 3, &c);
    assert_int_equal(c.rtt_ns, 2000);
    assert_int_equal(c.uncertainty_ns, 1000);
    assert_int_equal(c.offset_ns, 1000000);
    assert_int_equal(c.samples, 3);
    /* no usable sample (clock went backwards): zero, not garbage */
    uint64_t a[1] = {10}, b[1] = {5}, d[1] = {3};
    mpir_offset_estimate(a, b, d, 1, &c);
    assert_int_equal(c.offset_ns, 0);
    assert_int_equal(c.rtt_ns, 0);
}

/* A store of n records with distinct values, as rank `rank` of `size` would hold. */
static rec_store *make_store(size_t n, int rank)
{
    rec_store *s = rec_store_new(n);
    for (size_t j = 0; j < n; j++) {
        sb_record *r = &s->recs[j];
        r->intended_ns = 1000 * j + (uint64_t)rank;
        r->queued_ns = r->intended_ns + 1;
        r->start_ns = r->intended_ns + 2;
        r->ttft_ns = 5000 + j;
        r->latency_ns = 9000 + j;
        r->prompt_len = (int32_t)(10 + j);
        r->output_tokens = (int32_t)(3 + j);
        r->output_len = (int32_t)(3 + j);
        r->n_chunks = 4;
        r->http_status = 200;
        r->done = true;
        r->success = j % 3 != 2;
        rec_store_begin(s, j, 4);
        rec_store_push_itl(s, j, 100 + j);
        rec_store_push_itl(s, j, j == 1 ? 5000000000ULL : 200); /* one > 4.29 s gap */
        if (!r->success) {
            rec_store_fail(s, j, SB_FAIL_HTTP_STATUS, "HTTP 500 on %zu", j);
        } else {
            r->text = malloc(15);
            memcpy(r->text, "hi\0there\0{\"a\"}", 15);
            /* embedded NUL survives; request 1 keeps tool-call arguments after a NUL */
            r->text_len = j == 1 ? 14 : 8;
            r->tool_args_len = j == 1 ? 5 : 0;
        }
        if (j == 0) {
            r->itl_tokens = calloc(2, sizeof *r->itl_tokens);
            r->itl_tokens[0] = 2;
            r->itl_tokens[1] = 1;
        }
    }
    return s;
}

static void packed_records_merge_in_request_order(void **state)
{
    (void)state;
    const int size = 3;
    const size_t n_global = 8; /* ranks hold 3, 3, 2 */
    sb_buf all;
    sb_buf_init(&all);
    size_t lens[3];
    for (int r = 0; r < size; r++) {
        rec_store *s = make_store(mpir_shard_len(n_global, r, size), r);
        mpir_health h = {.rank = r, .sent = s->n, .planned = s->n, .cpu_pct = 10.0 * r};
        mpir_health_lag(&h, s);
        size_t before = all.len;
        mpir_pack(&all, &h, s, r, size);
        lens[r] = all.len - before;
        rec_store_free(s);
    }
    mpir_health hs[3];
    sb_err err;
    rec_store *m = mpir_merge(all.data, lens, size, n_global, hs, &err);
    assert_non_null(m);
    assert_int_equal(m->n, n_global);
    for (size_t g = 0; g < n_global; g++) {
        const sb_record *r = &m->recs[g];
        size_t j = g / size;
        int rank = (int)(g % size);
        assert_int_equal(r->intended_ns, 1000 * j + (uint64_t)rank);
        assert_int_equal(r->start_ns, r->intended_ns + 2);
        assert_int_equal(r->ttft_ns, 5000 + j);
        assert_int_equal(r->prompt_len, 10 + j);
        assert_int_equal(r->output_len, 3 + j);
        assert_int_equal(r->n_itl, 2);
        assert_int_equal(rec_store_itl_ns(m, g, 0), 100 + j);
        assert_int_equal(rec_store_itl_ns(m, g, 1), j == 1 ? 5000000000ULL : 200);
        assert_int_equal(r->success, j % 3 != 2);
        if (r->success) {
            assert_int_equal(r->text_len, j == 1 ? 14 : 8);
            assert_memory_equal(r->text, "hi\0there", 8);
            assert_int_equal(r->tool_args_len, j == 1 ? 5 : 0);
            assert_int_equal(rec_text_answer_len(r, r->text_len), 8);
            if (j == 1)
                assert_memory_equal(r->text + 9, "{\"a\"}", 5);
        } else {
            assert_int_equal(r->fail, SB_FAIL_HTTP_STATUS);
            char want[32];
            snprintf(want, sizeof want, "HTTP 500 on %zu", j);
            assert_string_equal(r->error, want);
        }
        assert_true((r->itl_tokens != NULL) == (j == 0));
    }
    assert_int_equal(hs[2].rank, 2);
    assert_int_equal(hs[2].sent, 2);
    assert_true(fabs(hs[1].lag_p99_ms - 0.000002) < 1e-9);
    rec_store_free(m);

    /* A truncated pack is refused with the rank named, not read past. */
    lens[2] -= 3;
    m = mpir_merge(all.data, lens, size, n_global, hs, &err);
    assert_null(m);
    assert_non_null(strstr(err.msg, "rank 2"));
    /* An index beyond the run is refused too. */
    lens[2] += 3;
    m = mpir_merge(all.data, lens, size, 4, hs, &err);
    assert_null(m);
    sb_buf_free(&all);
}

static void health_json_names_what_is_unaccounted(void **state)
{
    (void)state;
    mpir_health h[2] = {{.rank = 0, .planned = 5, .sent = 5, .cpu_pct = NAN},
                        {.rank = 1, .planned = 5, .sent = 2, .offset_ns = -7, .uncertainty_ns = 3}};
    strcpy(h[0].host, "a\"b");
    sb_buf j;
    sb_buf_init(&j);
    mpir_health_json(&j, h, 2, 0.2);
    assert_non_null(strstr(j.data, "\"requests_unaccounted\": 3"));
    assert_non_null(strstr(j.data, "\"host\": \"ab\""));
    assert_non_null(strstr(j.data, "\"client_cpu_pct\": null"));
    assert_non_null(strstr(j.data, "\"clock_offset_ns\": -7, \"clock_uncertainty_ns\": 3"));
    sb_buf_free(&j);
    sb_buf t;
    sb_buf_init(&t);
    bool limited = true;
    h[1].cpu_pct = 95.0;
    mpir_health_text(&t, h, 2, &limited);
    assert_true(limited);
    assert_non_null(strstr(t.data, "WARNING"));
    sb_buf_free(&t);
}

/* Open MPI's kill sequence after Ctrl-C on mpirun: the time from its
 * SIGTERM to its SIGKILL, as mpirun passes --mca on to the ranks. */
static void kill_timeout_comes_from_mpiruns_setting(void **state)
{
    (void)state;
    const char *name = "OMPI_MCA_odls_base_sigkill_timeout";
    unsetenv(name);
    assert_true(mpir_kill_after_s() == 1.0); /* Open MPI's default */
    setenv(name, "20", 1);
    assert_true(mpir_kill_after_s() == 20.0);
    setenv(name, "soon", 1);
    assert_true(mpir_kill_after_s() == 1.0);
    setenv(name, "-3", 1);
    assert_true(mpir_kill_after_s() == 1.0);
    unsetenv(name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shares_add_up_and_favour_low_ranks),
        cmocka_unit_test(shard_lengths_cover_every_request_once),
        cmocka_unit_test(offset_comes_from_the_fastest_round_trip),
        cmocka_unit_test(packed_records_merge_in_request_order),
        cmocka_unit_test(health_json_names_what_is_unaccounted),
        cmocka_unit_test(kill_timeout_comes_from_mpiruns_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
