/* SPDX-License-Identifier: Apache-2.0 */
/* test_metrics.c - the reference formulas (doc section 6) on hand-made
 * record sets whose figures are worked out in the comments, and percentiles
 * checked against numpy (values computed with /usr/bin/python3 + numpy and
 * pasted below). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/clock.h"
#include "metrics/metrics.h"
#include "run/run.h"

#define MS SB_NS_PER_MS

/* This cmocka has no double assertion; say both values when it fails. */
static void check_near(double got, double want, double eps, const char *file, int line)
{
    if (got == want || fabs(got - want) <= eps)
        return;
    print_error("got %.17g, want %.17g (eps %g)\n", got, want, eps);
    _fail(file, line);
}
#define assert_near(got, want, eps) check_near((got), (want), (eps), __FILE__, __LINE__)

static long count_words(void *ctx, const char *text, size_t len)
{
    (*(int *)ctx)++;
    long n = 0;
    int in = 0;
    for (size_t i = 0; i < len; i++) {
        int sp = text[i] == ' ';
        n += !sp && !in;
        in = !sp;
    }
    return n;
}

static void set_req(rec_store *s, size_t i, uint64_t intended_ms, uint64_t start_ms,
                    uint64_t ttft_ms, uint64_t lat_ms, const uint64_t *itl_ms, uint32_t n_itl,
                    int32_t out_tokens, int32_t prompt)
{
    sb_record *r = &s->recs[i];
    rec_store_begin(s, i, n_itl + 1);
    r->intended_ns = intended_ms * MS;
    r->start_ns = start_ms * MS;
    r->ttft_ns = ttft_ms * MS;
    r->latency_ns = lat_ms * MS;
    for (uint32_t j = 0; j < n_itl; j++)
        rec_store_push_itl(s, i, itl_ms[j] * MS);
    r->output_tokens = out_tokens;
    r->prompt_len = prompt;
    r->n_chunks = (int32_t)n_itl + 1;
    r->success = r->done = true;
}

/* R0: start 0, ttft 100, e2el 400, itl 100,100,100, 4 tokens, prompt 10
 * R1: intended 400 but started 500, ttft 200, e2el 800, itl 300,300, 3 tokens, prompt 20
 * R2: start 1400, ttft 50, e2el 50, no usage -> text "x" re-tokenized = 1 token, prompt 5
 * R3: failed (connect) at 1500, prompt 30 (not counted)
 * duration 2 s. */
static rec_store *hand_store(void)
{
    rec_store *s = rec_store_new(4);
    s->bench_start_ns = 1000;
    s->bench_end_ns = 1000 + 2 * SB_NS_PER_S;
    set_req(s, 0, 0, 0, 100, 400, (uint64_t[]){100, 100, 100}, 3, 4, 10);
    set_req(s, 1, 400, 500, 200, 800, (uint64_t[]){300, 300}, 2, 3, 20);
    set_req(s, 2, 1400, 1400, 50, 50, NULL, 0, 0, 5);
    s->recs[2].text = strdup("x");
    s->recs[2].text_len = 1;
    s->recs[3].intended_ns = s->recs[3].start_ns = 1500 * MS;
    s->recs[3].prompt_len = 30;
    s->recs[3].done = true;
    rec_store_fail(s, 3, SB_FAIL_CONNECT, "Connection refused");
    return s;
}

static void metrics_hand_computed_figures(void **state)
{
    (void)state;
    rec_store *s = hand_store();
    sb_config cfg;
    sb_config_defaults(&cfg);
    int calls = 0;
    metrics_tok_cb cb = {count_words, &calls};
    sb_metrics m;
    sb_err err;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), &cb, &m, &err),
                     0);
    assert_int_equal(calls, 1); /* only R2 lacks a usage count */
    assert_int_equal(m.completed, 3);
    assert_int_equal(m.failed, 1);
    assert_int_equal(m.total_input, 35); /* 10+20+5, failures excluded */
    assert_int_equal(m.total_output, 8); /* 4+3+1 */
    assert_int_equal(m.output_lens[3], 0);
    assert_near(m.duration_s, 2.0, 1e-12);
    assert_near(m.request_throughput, 1.5, 1e-12);
    assert_near(m.output_throughput, 4.0, 1e-12);
    assert_near(m.total_token_throughput, 21.5, 1e-12); /* (35+8)/2 */
    assert_true(isnan(m.request_goodput));
    /* TTFT [100,200,50]: mean 116.667, median 100, std sqrt(11666.67/3) = 62.3610,
     * p99: sorted [50,100,200], h = 1.98 -> 100 + 100*0.98 = 198 */
    const metrics_stat *t = &m.stat[SB_M_TTFT];
    assert_near(t->mean_ms, 350.0 / 3, 1e-9);
    assert_near(t->median_ms, 100.0, 1e-9);
    assert_near(t->std_ms, sqrt(35000.0 / 9), 1e-9);
    assert_near(t->pct_ms[0], 198.0, 1e-9);
    /* TPOT: R0 (400-100)/3 = 100, R1 (800-200)/2 = 300, R2 has 1 token: excluded.
     * p99: h = 0.99 -> 100 + 200*0.99 = 298 */
    const metrics_stat *tp = &m.stat[SB_M_TPOT];
    assert_int_equal(tp->n, 2);
    assert_near(tp->mean_ms, 200.0, 1e-9);
    assert_near(tp->std_ms, 100.0, 1e-9);
    assert_near(tp->pct_ms[0], 298.0, 1e-9);
    /* ITL pooled [100,100,100,300,300]: mean 180, median 100, std sqrt(9600) */
    const metrics_stat *it = &m.stat[SB_M_ITL];
    assert_int_equal(it->n, 5);
    assert_near(it->mean_ms, 180.0, 1e-9);
    assert_near(it->median_ms, 100.0, 1e-9);
    assert_near(it->std_ms, sqrt(9600.0), 1e-9);
    assert_near(it->pct_ms[0], 300.0, 1e-9);
    /* E2EL [400,800,50]: p99 = 400 + 400*0.98 = 792 */
    assert_near(m.stat[SB_M_E2EL].pct_ms[0], 792.0, 1e-9);
    assert_near(m.stat[SB_M_E2EL].median_ms, 400.0, 1e-9);
    /* default selection ttft,tpot,itl */
    assert_true(m.selected[SB_M_TTFT] && m.selected[SB_M_TPOT] && m.selected[SB_M_ITL]);
    assert_false(m.selected[SB_M_E2EL]);
    metrics_free(&m);
    sb_config_free(&cfg);
    rec_store_free(s);
}

/* Token messages: R0 at 100,200,300,400 ms and R1 at 700 -> bucket 0 = 5;
 * R1 at 1000,1300 and R2 at 1450 -> bucket 1 = 3. max end 1450 ms ->
 * D = ceil(1.45) + 1 = 3 buckets. Concurrency buckets: R0 0..0, R1 0..1,
 * R2 1..1 -> [2,2,0], peak 2; the exact sweep sees at most 1 request open
 * ([0,400), [500,1300), [1400,1450)). */
static void metrics_peaks_use_reference_buckets(void **state)
{
    (void)state;
    rec_store *s = hand_store();
    sb_config cfg;
    sb_config_defaults(&cfg);
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    assert_int_equal(m.n_buckets, 3);
    assert_near(m.tokens_per_s[0], 5, 0);
    assert_near(m.tokens_per_s[1], 3, 0);
    assert_near(m.tokens_per_s[2], 0, 0);
    assert_near(m.max_output_tokens_per_s, 5.0, 0);
    assert_int_equal(m.concurrent_per_s[0], 2);
    assert_int_equal(m.concurrent_per_s[1], 2);
    assert_int_equal(m.concurrent_per_s[2], 0);
    assert_int_equal(m.max_concurrent_requests, 2);
    assert_int_equal(m.ext.max_concurrent_exact, 1);
    metrics_free(&m);
    sb_config_free(&cfg);
    rec_store_free(s);
}

static double goodput_with(double ttft, double tpot, double e2el)
{
    rec_store *s = hand_store();
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.goodput_set = true;
    cfg.goodput_ttft_ms = ttft;
    cfg.goodput_tpot_ms = tpot;
    cfg.goodput_e2el_ms = e2el;
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    double g = m.request_goodput;
    metrics_free(&m);
    sb_config_free(&cfg);
    rec_store_free(s);
    return g;
}

/* Good requests over 2 s: ttft<=150 -> R0, R2 (1.0/s); tpot<=150 -> R0 (100)
 * and R2 (tpot' = 0 with one token) -> 1.0/s; e2el<=300 -> R2 only (0.5/s);
 * ttft<=200 and tpot<=301 -> all three (1.5/s); bounds are inclusive, in
 * seconds as the reference: R1's tpot (0.8-0.2)/2 is 0.30000000000000004 s,
 * just above a 300 ms SLO, so tpot<=300 keeps only R0 and R2 (1.0/s). */
static void metrics_goodput_counts_requests_meeting_every_slo(void **state)
{
    (void)state;
    assert_near(goodput_with(150, NAN, NAN), 1.0, 1e-12);
    assert_near(goodput_with(NAN, 150, NAN), 1.0, 1e-12);
    assert_near(goodput_with(NAN, NAN, 300), 0.5, 1e-12);
    assert_near(goodput_with(200, 301, NAN), 1.5, 1e-12);
    assert_near(goodput_with(200, 300, NAN), 1.0, 1e-12);
    assert_near(goodput_with(0, NAN, NAN), 0.0, 1e-12);
}

/* Ours: R1 was due at 400 and started at 500. Corrected TTFT [100,300,50]
 * mean 150; send lag over all four sent [0,100,0,0]: p50 0, p99 h=2.97 ->
 * 0 + 100*0.97 = 97, max 100. One connect failure. Concurrency unlimited ->
 * 4 requests, so per-client speed = 4 tok/s / 4. */
static void metrics_corrected_latency_and_send_lag(void **state)
{
    (void)state;
    rec_store *s = hand_store();
    sb_config cfg;
    sb_config_defaults(&cfg);
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    assert_near(m.ext.ttft_corrected.mean_ms, 150.0, 1e-9);
    assert_near(m.ext.send_lag_p50_ms, 0.0, 1e-9);
    assert_near(m.ext.send_lag_p99_ms, 97.0, 1e-9);
    assert_near(m.ext.send_lag_max_ms, 100.0, 1e-9);
    assert_int_equal(m.ext.fail_by_reason[SB_FAIL_CONNECT], 1);
    assert_int_equal(m.ext.concurrency_used, 4);
    assert_near(m.ext.generate_speed_per_client, 1.0, 1e-12);
    assert_int_equal(m.ext.token_events, 8); /* messages: 4 + 3 + 1 */
    metrics_free(&m);
    sb_config_free(&cfg);
    rec_store_free(s);
}

/* v_i = ((i*7919) % 1000)*1000003 + i*17 ns, i < 1001. numpy (pasted):
 *   np.percentile(v, [0,12.5,50,90,99,99.9,100])/1e6 = 0.0, 124.003704,
 *   499.015454, 899.009854, 989.011994, 998.0139080000001, 999.008454
 *   mean 499.010996003996, std 288.96278893051164.
 * Same values through the per-request path (as TTFT) and the radix ITL path. */
static void metrics_percentiles_match_numpy(void **state)
{
    (void)state;
    double pcts[] = {0, 12.5, 50, 90, 99, 99.9, 100};
    double want[] = {0.0,        124.003704,        499.015454, 899.009854,
                     989.011994, 998.0139080000001, 999.008454};
    rec_store *s = rec_store_new(1001);
    s->bench_end_ns = SB_NS_PER_S;
    rec_store_begin(s, 0, 1002);
    for (size_t i = 0; i < 1001; i++) {
        uint64_t v = ((i * 7919) % 1000) * 1000003 + i * 17;
        s->recs[i].success = s->recs[i].done = true;
        s->recs[i].ttft_ns = s->recs[i].latency_ns = v;
        s->recs[i].output_tokens = 1;
        rec_store_push_itl(s, 0, v);
    }
    sb_config cfg;
    sb_config_defaults(&cfg);
    free(cfg.metric_percentiles);
    cfg.metric_percentiles = malloc(sizeof pcts);
    memcpy(cfg.metric_percentiles, pcts, sizeof pcts);
    cfg.n_metric_percentiles = 7;
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    for (int k = 0; k < 2; k++) {
        const metrics_stat *st = &m.stat[k == 0 ? SB_M_TTFT : SB_M_ITL];
        for (size_t i = 0; i < 7; i++)
            assert_near(st->pct_ms[i], want[i], 1e-9);
        assert_near(st->mean_ms, 499.010996003996, 1e-9);
        assert_near(st->median_ms, 499.015454, 1e-9);
        assert_near(st->std_ms, 288.96278893051164, 1e-9);
    }
    metrics_free(&m);
    sb_config_free(&cfg);
    rec_store_free(s);
}

/* Gaps of 4.29 s and more live in the overflow table; numpy on the first
 * 1000 values above plus 5e9, 7.5e9 and 4294967295 ns (pasted):
 *   p50 501.004546, p99 991.9927410800001, p99.9 4998.589934590113,
 *   p100 7500.0, mean 514.7606752691923, std 407.76025959114537 (ms). */
/* A request that got fewer tokens than reserved keeps 4 bytes per gap after
 * rec_store_trim; gaps (an overflowing one included) read back unchanged. */
static void record_trim_keeps_only_received_gaps(void **state)
{
    (void)state;
    rec_store *s = rec_store_new(2);
    rec_store_begin(s, 0, 1000);
    assert_true(s->recs[0].cap_itl >= 999);
    rec_store_push_itl(s, 0, 5);
    rec_store_push_itl(s, 0, (uint64_t)5 << 32);
    rec_store_push_itl(s, 0, 7);
    rec_store_trim(s, 0);
    assert_int_equal(s->recs[0].cap_itl, 3);
    assert_int_equal(s->recs[0].n_itl, 3);
    assert_int_equal(rec_store_itl_ns(s, 0, 0), 5);
    assert_int_equal(rec_store_itl_ns(s, 0, 1), (uint64_t)5 << 32);
    assert_int_equal(rec_store_itl_ns(s, 0, 2), 7);
    rec_store_begin(s, 1, 50);
    rec_store_trim(s, 1); /* no gap at all: nothing kept */
    assert_null(s->recs[1].itl);
    assert_int_equal(s->recs[1].cap_itl, 0);
    rec_store_free(s);
}

static void metrics_itl_percentiles_include_overflow_gaps(void **state)
{
    (void)state;
    rec_store *s = rec_store_new(2);
    s->bench_end_ns = SB_NS_PER_S;
    rec_store_begin(s, 0, 1000);
    rec_store_begin(s, 1, 4);
    for (size_t i = 0; i < 1000; i++)
        rec_store_push_itl(s, 0, ((i * 7919) % 1000) * 1000003 + i * 17);
    rec_store_push_itl(s, 1, 5000000000ull);
    rec_store_push_itl(s, 1, 7500000000ull);
    rec_store_push_itl(s, 1, 4294967295ull);
    for (int i = 0; i < 2; i++) {
        s->recs[i].success = true;
        s->recs[i].output_tokens = 1;
    }
    sb_config cfg;
    sb_config_defaults(&cfg);
    double pcts[] = {50, 99, 99.9, 100};
    free(cfg.metric_percentiles);
    cfg.metric_percentiles = malloc(sizeof pcts);
    memcpy(cfg.metric_percentiles, pcts, sizeof pcts);
    cfg.n_metric_percentiles = 4;
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    const metrics_stat *st = &m.stat[SB_M_ITL];
    assert_int_equal(st->n, 1003);
    assert_near(st->pct_ms[0], 501.004546, 1e-9);
    assert_near(st->pct_ms[1], 991.9927410800001, 1e-9);
    assert_near(st->pct_ms[2], 4998.589934590113, 1e-7);
    assert_near(st->pct_ms[3], 7500.0, 1e-9);
    assert_near(st->mean_ms, 514.7606752691923, 1e-9);
    assert_near(st->std_ms, 407.76025959114537, 1e-7);
    metrics_free(&m);
    sb_config_free(&cfg);
    rec_store_free(s);
}

/* 201 percentiles spread over far more than one pass's worth of histogram
 * bins: the radix ITL path (several resolve passes) and the quickselect path
 * must agree on every one, from the same values. */
static void metrics_many_percentiles_agree_between_paths(void **state)
{
    (void)state;
    size_t n = 5000;
    rec_store *s = rec_store_new(n);
    s->bench_end_ns = SB_NS_PER_S;
    rec_store_begin(s, 0, (uint32_t)n + 1);
    uint64_t x = 99;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t v = x % 3000000000ull; /* up to 3 s: ~45000 distinct high halves */
        s->recs[i].success = s->recs[i].done = true;
        s->recs[i].ttft_ns = s->recs[i].latency_ns = v;
        s->recs[i].output_tokens = 1;
        rec_store_push_itl(s, 0, v);
    }
    sb_config cfg;
    sb_config_defaults(&cfg);
    free(cfg.metric_percentiles);
    cfg.n_metric_percentiles = 201;
    cfg.metric_percentiles = malloc(201 * sizeof(double));
    for (size_t i = 0; i < 201; i++)
        cfg.metric_percentiles[i] = (double)i / 2;
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    for (size_t i = 0; i < 201; i++)
        assert_near(m.stat[SB_M_ITL].pct_ms[i], m.stat[SB_M_TTFT].pct_ms[i], 1e-9);
    assert_near(m.stat[SB_M_ITL].median_ms, m.stat[SB_M_TTFT].median_ms, 1e-9);
    assert_near(m.stat[SB_M_ITL].std_ms, m.stat[SB_M_TTFT].std_ms, 1e-6);
    metrics_free(&m);
    sb_config_free(&cfg);
    rec_store_free(s);
}

static void metrics_all_failed_and_empty_give_zeros(void **state)
{
    (void)state;
    for (size_t n = 0; n <= 3; n += 3) {
        rec_store *s = rec_store_new(n);
        s->bench_end_ns = SB_NS_PER_S;
        for (size_t i = 0; i < n; i++)
            rec_store_fail(s, i, SB_FAIL_HTTP_STATUS, "HTTP 500");
        sb_config cfg;
        sb_config_defaults(&cfg);
        cfg.goodput_set = true;
        cfg.goodput_ttft_ms = 10;
        sb_metrics m;
        assert_int_equal(
            metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL), 0);
        assert_int_equal(m.completed, 0);
        assert_int_equal(m.failed, (long)n);
        assert_int_equal(m.ext.fail_by_reason[SB_FAIL_HTTP_STATUS], (long)n);
        assert_near(m.request_goodput, 0.0, 0);
        for (int k = 0; k < SB_M_COUNT_; k++) {
            assert_near(m.stat[k].mean_ms, 0.0, 0);
            assert_near(m.stat[k].median_ms, 0.0, 0);
            assert_near(m.stat[k].pct_ms[0], 0.0, 0);
        }
        assert_int_equal(m.n_buckets, 0);
        assert_near(m.max_output_tokens_per_s, 0.0, 0);
        assert_int_equal(m.max_concurrent_requests, 0);
        metrics_free(&m);
        sb_config_free(&cfg);
        rec_store_free(s);
    }
}

static void metrics_rejects_percentile_out_of_range(void **state)
{
    (void)state;
    rec_store *s = rec_store_new(1);
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.metric_percentiles[0] = 101;
    sb_metrics m;
    sb_err err;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, &err),
                     -1);
    assert_non_null(strstr(err.msg, "101"));
    sb_config_free(&cfg);
    rec_store_free(s);
}

static void metrics_skip_tokenizer_counts_one_token(void **state)
{
    (void)state;
    rec_store *s = hand_store();
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.skip_tokenizer_init = true;
    free(cfg.percentile_metrics);
    cfg.percentile_metrics = strdup("e2el,bogus");
    int calls = 0;
    metrics_tok_cb cb = {count_words, &calls};
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), &cb, &m, NULL),
                     0);
    assert_int_equal(calls, 0);
    assert_int_equal(m.output_lens[2], 1);
    assert_true(m.selected[SB_M_E2EL]);
    assert_false(m.selected[SB_M_TTFT]);
    metrics_free(&m);
    sb_config_free(&cfg);
    rec_store_free(s);
}

/* Two gaps of 30 ms carrying 3 and 1 tokens, one of 10 ms carrying 2:
 * per-token times 10, 30, 5 ms -> mean 15, median 10. The reference ITL
 * (one sample per message) stays 30, 30, 10. */
static void metrics_token_accurate_itl_divides_gaps(void **state)
{
    (void)state;
    rec_store *s = rec_store_new(1);
    s->bench_end_ns = SB_NS_PER_S;
    set_req(s, 0, 0, 0, 10, 80, (uint64_t[]){30, 30, 10}, 3, 7, 1);
    s->recs[0].itl_tokens = calloc(3, sizeof(uint16_t));
    s->recs[0].itl_tokens[0] = 3;
    s->recs[0].itl_tokens[1] = 1;
    s->recs[0].itl_tokens[2] = 2;
    sb_config cfg;
    sb_config_defaults(&cfg);
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    assert_true(m.ext.has_itl_token);
    assert_near(m.ext.itl_token.mean_ms, 15.0, 1e-9);
    assert_near(m.ext.itl_token.median_ms, 10.0, 1e-9);
    assert_near(m.stat[SB_M_ITL].mean_ms, 70.0 / 3, 1e-9);
    metrics_free(&m);
    sb_config_free(&cfg);
    rec_store_free(s);
}

/* Without usage and without kept text, the engine's own count is used. */
static void metrics_uses_engine_output_len_without_text(void **state)
{
    (void)state;
    rec_store *s = hand_store();
    s->recs[2].output_len = 9;
    free(s->recs[2].text);
    s->recs[2].text = NULL;
    sb_config cfg;
    sb_config_defaults(&cfg);
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    assert_int_equal(m.output_lens[2], 9);
    assert_int_equal(m.total_output, 16);
    metrics_free(&m);
    sb_config_free(&cfg);
    rec_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_hand_computed_figures),
        cmocka_unit_test(metrics_peaks_use_reference_buckets),
        cmocka_unit_test(metrics_goodput_counts_requests_meeting_every_slo),
        cmocka_unit_test(metrics_corrected_latency_and_send_lag),
        cmocka_unit_test(metrics_percentiles_match_numpy),
        cmocka_unit_test(metrics_itl_percentiles_include_overflow_gaps),
        cmocka_unit_test(record_trim_keeps_only_received_gaps),
        cmocka_unit_test(metrics_many_percentiles_agree_between_paths),
        cmocka_unit_test(metrics_all_failed_and_empty_give_zeros),
        cmocka_unit_test(metrics_rejects_percentile_out_of_range),
        cmocka_unit_test(metrics_skip_tokenizer_counts_one_token),
        cmocka_unit_test(metrics_token_accurate_itl_divides_gaps),
        cmocka_unit_test(metrics_uses_engine_output_len_without_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
