/* SPDX-License-Identifier: Apache-2.0 */
/* test_sweep.c - the statistics behind sweep and compare (sweep/sstat.c),
 * the SLO parser (sweep/slo.c), result-file reading (sweep/result.c) and the
 * steady-state window (run/window.c). Reference values: Student-t quantiles
 * from printed tables; the Welch example is Wikipedia's "Welch's t-test"
 * example 1 (t = -2.46, df = 24.99, p = 0.021); Mann-Whitney p-values worked
 * out in the comments with the normal approximation, tie and continuity
 * corrections (as scipy.stats.mannwhitneyu's "asymptotic" method). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "metrics/record.h"
#include "run/window.h"
#include "sweep/result.h"
#include "sweep/slo.h"
#include "sweep/sstat.h"

static void check_near(double got, double want, double eps, const char *file, int line)
{
    if (got == want || fabs(got - want) <= eps)
        return;
    print_error("got %.17g, want %.17g (eps %g)\n", got, want, eps);
    _fail(file, line);
}
#define assert_near(got, want, eps) check_near((got), (want), (eps), __FILE__, __LINE__)

static void t_quantiles_match_tables(void **state)
{
    (void)state;
    assert_near(sweep_t_quantile(0.975, 1), 12.706204736, 1e-6);
    assert_near(sweep_t_quantile(0.975, 2), 4.302652730, 1e-7);
    assert_near(sweep_t_quantile(0.975, 5), 2.570581836, 1e-7);
    assert_near(sweep_t_quantile(0.975, 10), 2.228138852, 1e-7);
    assert_near(sweep_t_quantile(0.975, 30), 2.042272456, 1e-7);
    assert_near(sweep_t_quantile(0.025, 10), -2.228138852, 1e-7);
    assert_near(sweep_t_quantile(0.95, 1000), 1.646379, 1e-5);
    assert_near(sweep_t_cdf(0, 3), 0.5, 1e-12);
    /* two-sided p of t = 2 with 5 df is 0.10191 */
    assert_near(2 * (1 - sweep_t_cdf(2.0, 5)), 0.1019395, 1e-6);
}

static void summary_gives_sample_std_and_interval(void **state)
{
    (void)state;
    double v[] = {10, 12, 14, NAN};
    sweep_summary s;
    sweep_summarize(v, 4, &s);
    assert_int_equal(s.n, 3);
    assert_near(s.mean, 12, 1e-12);
    assert_near(s.std, 2, 1e-12);
    assert_near(s.cv, 2.0 / 12, 1e-12);
    assert_near(s.ci_half, 4.302652730 * 2 / sqrt(3), 1e-6);
    sweep_summarize(v, 1, &s);
    assert_int_equal(s.n, 1);
    assert_true(isnan(s.std) && isnan(s.ci_half) && isnan(s.cv));
}

static void welch_matches_worked_example(void **state)
{
    (void)state;
    double a[] = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
                  21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
    double b[] = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
                  24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
    sweep_test t;
    assert_int_equal(sweep_welch(b, 15, a, 15, &t), 0);
    assert_near(t.stat, -2.46, 0.005);
    assert_near(t.df, 24.9885, 1e-3);
    assert_near(t.p, 0.021, 0.001);
    double one[] = {1};
    assert_int_equal(sweep_welch(one, 1, a, 15, &t), -1);
    double c[] = {5, 5, 5}, d[] = {5, 5, 5}, e[] = {6, 6, 6};
    assert_int_equal(sweep_welch(c, 3, d, 3, &t), 0);
    assert_near(t.p, 1, 0);
    assert_int_equal(sweep_welch(c, 3, e, 3, &t), 0);
    assert_near(t.p, 0, 0);
}

static void mann_whitney_normal_approximation(void **state)
{
    (void)state;
    /* a = {1,2,3}, b = {4,5,6}: U_a = 0, mean 4.5, var 3*3*7/12 = 5.25,
     * |U - mean| - 0.5 = 4, z = 4/sqrt(5.25) = 1.74574, p = 0.080856 */
    double a[] = {3, 1, 2}, b[] = {6, 4, 5};
    sweep_test t;
    assert_int_equal(sweep_mann_whitney(a, 3, b, 3, &t), 0);
    assert_near(t.stat, 1.7457431, 1e-6); /* b larger: positive */
    assert_near(t.p, 0.0808556, 1e-6);
    /* ties: a = {1,2,2}, b = {2,3,4}: the three 2s share rank 3; R_a = 7,
     * U = 1, tie term 24/(6*5) = 0.8, var = 9/12*(7-0.8) = 4.65,
     * z = 3/sqrt(4.65) = 1.391217, p = 0.164160 */
    double c[] = {2, 1, 2}, d[] = {4, 2, 3};
    assert_int_equal(sweep_mann_whitney(c, 3, d, 3, &t), 0);
    assert_near(t.stat, 1.3912167, 1e-6);
    assert_near(t.p, 0.1641597, 1e-6);
    double e[] = {1, 1}, f[] = {1, 1};
    assert_int_equal(sweep_mann_whitney(e, 2, f, 2, &t), 0);
    assert_near(t.p, 1, 0);
    assert_int_equal(sweep_mann_whitney(e, 0, f, 2, &t), -1);
}

static void slo_items_parse_and_check(void **state)
{
    (void)state;
    sweep_slo s[SWEEP_SLO_MAX];
    sb_err err;
    int n = sweep_slo_parse("ttft:p99<=500,tpot:p99.9<50, e2el:mean<=2000ms,"
                            "output_throughput>=100,goodput>=0.95",
                            s, SWEEP_SLO_MAX, &err);
    assert_int_equal(n, 5);
    assert_string_equal(s[0].key, "p99_ttft_ms");
    assert_true(s[0].upper && !s[0].strict && s[0].limit == 500 && s[0].pct == 99);
    assert_string_equal(s[1].key, "p99.9_tpot_ms");
    assert_true(s[1].strict && s[1].pct == 99.9);
    assert_string_equal(s[2].key, "mean_e2el_ms");
    assert_true(isnan(s[2].pct));
    assert_string_equal(s[3].key, "output_throughput");
    assert_false(s[3].upper);
    assert_string_equal(s[4].key, "goodput");
    assert_true(sweep_slo_meets(&s[0], 500) && !sweep_slo_meets(&s[0], 500.1));
    assert_true(!sweep_slo_meets(&s[1], 50) && sweep_slo_meets(&s[1], 49));
    assert_true(sweep_slo_meets(&s[3], 100) && !sweep_slo_meets(&s[3], NAN));
    assert_int_equal(sweep_slo_parse("ttft:p99=500", s, SWEEP_SLO_MAX, &err), -1);
    assert_non_null(strstr(err.msg, "ttft:p99=500"));
    assert_int_equal(sweep_slo_parse("ttfx:p99<=5", s, SWEEP_SLO_MAX, &err), -1);
    assert_non_null(strstr(err.msg, "ttfx"));
    assert_int_equal(sweep_slo_parse("ttft:p99>=5", s, SWEEP_SLO_MAX, &err), -1);
    assert_int_equal(sweep_slo_parse("goodput>=2", s, SWEEP_SLO_MAX, &err), -1);
    assert_int_equal(sweep_slo_parse("ttft:p99<=abc", s, SWEEP_SLO_MAX, &err), -1);
    assert_int_equal(sweep_slo_parse("", s, SWEEP_SLO_MAX, &err), -1);
}

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/test_sweep_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void result_files_load_with_nan_and_lines(void **state)
{
    (void)state;
    json_t *objs;
    sweep_file_kind kind;
    bool tail;
    sb_err err;
    char *p = write_tmp("{\"duration\": 1.5, \"completed\": 3, \"x\": NaN, \"y\": -Infinity, "
                        "\"s\": \"NaN inside\"}\n");
    assert_int_equal(sweep_json_load(p, false, &objs, &kind, &tail, &err), 0);
    assert_int_equal(kind, SWEEP_FILE_RESULT);
    json_t *o = json_array_get(objs, 0);
    assert_true(json_is_null(json_object_get(o, "x")) && json_is_null(json_object_get(o, "y")));
    assert_string_equal(json_string_value(json_object_get(o, "s")), "NaN inside");
    assert_near(sweep_json_num(o, "duration"), 1.5, 0);
    assert_true(isnan(sweep_json_num(o, "x")));
    json_decref(objs);
    unlink(p);
    free(p);
    /* JSON Lines, the last line cut by a killed writer */
    p = write_tmp("{\"type\": \"sweep\"}\n{\"type\": \"run\"}\n{\"type\": \"ru");
    assert_int_equal(sweep_json_load(p, false, &objs, &kind, &tail, &err), -1);
    assert_non_null(strstr(err.msg, "line 3"));
    assert_int_equal(sweep_json_load(p, true, &objs, &kind, &tail, &err), 0);
    assert_true(tail);
    assert_int_equal(kind, SWEEP_FILE_SWEEP);
    assert_int_equal(json_array_size(objs), 2);
    json_decref(objs);
    unlink(p);
    free(p);
    p = write_tmp("[1, 2]");
    assert_int_equal(sweep_json_load(p, false, &objs, &kind, &tail, &err), -1);
    assert_non_null(strstr(err.msg, "a JSON list"));
    unlink(p);
    free(p);
}

/* Ten requests, request i starts at i*100 ms and takes 150 ms; the run ends
 * at 1050 ms. */
static rec_store *ten(void)
{
    rec_store *s = rec_store_new(10);
    s->bench_start_ns = 1000 * SB_NS_PER_MS;
    s->bench_end_ns = s->bench_start_ns + 1050 * SB_NS_PER_MS;
    for (size_t i = 0; i < 10; i++) {
        sb_record *r = &s->recs[i];
        r->done = r->success = true;
        r->start_ns = r->intended_ns = i * 100 * SB_NS_PER_MS;
        r->ttft_ns = 10 * SB_NS_PER_MS;
        r->latency_ns = 150 * SB_NS_PER_MS;
        r->output_len = (int32_t)i;
        rec_store_begin(s, i, 4);
        rec_store_push_itl(s, i, 1000);
        if (i == 7)
            rec_store_push_itl(s, i, 5 * SB_NS_PER_S); /* kept in the overflow table */
    }
    return s;
}

static void window_trims_by_time_and_count(void **state)
{
    (void)state;
    rec_store *s = ten();
    run_window_opts o = {.warmup_s = 0.25, .cooldown_s = 0.2};
    run_window_info wi;
    sb_err err;
    /* window [250, 850] ms: starts 300..700 finish by 850 (700+150) */
    assert_int_equal(run_window_apply(s, &o, &wi, &err), 0);
    assert_int_equal(wi.counted, 5);
    assert_int_equal(wi.excluded_head, 3);
    assert_int_equal(wi.excluded_tail, 2);
    assert_near(wi.duration_s, 0.6, 1e-9);
    assert_int_equal(s->n, 5);
    assert_int_equal(s->recs[0].output_len, 3);
    assert_int_equal(s->recs[0].start_ns, 50 * SB_NS_PER_MS);
    assert_int_equal(s->n_overflow, 1);
    assert_int_equal(s->overflow[0].req, 4); /* request 7 is now the fifth */
    assert_int_equal(rec_store_itl_ns(s, 4, 1), 5 * SB_NS_PER_S);
    rec_store_free(s);

    s = ten();
    run_window_opts c = {.warmup_requests = 2, .cooldown_requests = 3};
    assert_int_equal(run_window_apply(s, &c, &wi, &err), 0);
    assert_int_equal(wi.counted, 5);
    assert_int_equal(wi.excluded_head, 2);
    assert_int_equal(wi.excluded_tail, 3);
    assert_near(wi.duration_s, 0.55, 1e-9); /* first kept start 200, last finish 750 */
    assert_int_equal(s->recs[0].output_len, 2);
    assert_int_equal(s->n_overflow, 0);
    rec_store_free(s);

    s = ten();
    run_window_opts all = {.warmup_s = 2};
    assert_int_equal(run_window_apply(s, &all, &wi, &err), -1);
    assert_non_null(strstr(err.msg, "window is empty"));
    assert_int_equal(s->n, 10);
    run_window_opts none = {.warmup_requests = 6, .cooldown_requests = 6};
    assert_int_equal(run_window_apply(s, &none, &wi, &err), -1);
    assert_non_null(strstr(err.msg, "holds no request"));
    assert_int_equal(s->n, 10);
    rec_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_quantiles_match_tables),
        cmocka_unit_test(summary_gives_sample_std_and_interval),
        cmocka_unit_test(welch_matches_worked_example),
        cmocka_unit_test(mann_whitney_normal_approximation),
        cmocka_unit_test(slo_items_parse_and_check),
        cmocka_unit_test(result_files_load_with_nan_and_lines),
        cmocka_unit_test(window_trims_by_time_and_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
