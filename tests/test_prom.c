/* SPDX-License-Identifier: Apache-2.0 */
/* test_prom.c - the Prometheus text parser (src/telemetry/prom.c) on the
 * format's corner cases: labels with escapes and trailing commas, # TYPE
 * covering histogram suffixes, timestamps, NaN/+Inf, CRLF, blank and comment
 * lines; and its errors, each naming the line. Then the name map: vLLM's two
 * KV-usage names counted once, label sets summed, a DCGM body averaged. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "telemetry/prom.h"
#include "telemetry/telemetry.h"

typedef struct seen {
    size_t n;
    char names[16][64];
    double values[16];
    prom_type types[16];
    bool has_ts[16];
    char job[64];
} seen;

static int collect(void *ud, const prom_sample *s)
{
    seen *x = ud;
    if (x->n == 16)
        return 7;
    snprintf(x->names[x->n], 64, "%.*s", (int)s->name_len, s->name);
    x->values[x->n] = s->value;
    x->types[x->n] = s->type;
    x->has_ts[x->n] = s->has_ts;
    sb_buf b;
    sb_buf_init(&b);
    if (prom_label_get(s, "job", &b))
        snprintf(x->job, sizeof x->job, "%s", b.data);
    sb_buf_free(&b);
    x->n++;
    return 0;
}

static void parses_the_format(void **state)
{
    (void)state;
    const char *text = "# HELP http_requests_total The total.\r\n"
                       "# TYPE http_requests_total counter\n"
                       "http_requests_total{method=\"post\",code=\"200\",} 1027 1395066363000\n"
                       "\n"
                       "   # a comment\n"
                       "# TYPE lat histogram\n"
                       "lat_bucket{le=\"0.5\"} 3\n"
                       "lat_bucket{le=\"+Inf\"} 4\n"
                       "lat_sum 2.5e-1\n"
                       "lat_count 4\n"
                       "odd{job=\"a \\\"q\\\" \\\\ b\\nc\"} NaN\n"
                       "inf_metric +Inf\n"
                       "spaced_name {x=\"1\"} -Inf\n"
                       "plain 7\n";
    seen x = {0};
    sb_err err;
    assert_int_equal(prom_parse(text, strlen(text), collect, &x, &err), 0);
    assert_int_equal(x.n, 9);
    assert_string_equal(x.names[0], "http_requests_total");
    assert_true(x.values[0] == 1027 && x.has_ts[0] && x.types[0] == PROM_COUNTER);
    assert_true(x.types[1] == PROM_HISTOGRAM && x.types[3] == PROM_HISTOGRAM &&
                x.types[4] == PROM_HISTOGRAM);
    assert_true(x.values[3] == 0.25);
    assert_true(isnan(x.values[5]) && x.types[5] == PROM_UNTYPED);
    assert_string_equal(x.job, "a \"q\" \\ b\nc");
    assert_true(isinf(x.values[6]) && x.values[6] > 0);
    assert_string_equal(x.names[7], "spaced_name");
    assert_true(isinf(x.values[7]) && x.values[7] < 0);
    assert_true(x.values[8] == 7);
}

static void errors_name_the_line(void **state)
{
    (void)state;
    struct {
        const char *text, *msg;
    } bad[] = {
        {"ok 1\n9bad 1\n", "line 2: a metric name was expected"},
        {"m{a=\"x} 1\n", "line 1: unterminated label value"},
        {"m{a=x} 1\n", "line 1: a label value must be in double quotes"},
        {"m{a=\"\\t\"} 1\n", "escape"},
        {"m 12abc\n", "line 1: a value is not a number"},
        {"m\n", "line 1: a blank was expected before the value"},
        {"m{a=\"1\"b=\"2\"} 1\n", "',' or '}' was expected"},
        {"m 1 x\n", "the timestamp is not an integer"},
        {"m 1 17 x\n", "text after the timestamp"},
        {"# TYPE m frobnicator\n", "# TYPE names no known type"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        seen x = {0};
        sb_err err;
        assert_int_equal(prom_parse(bad[i].text, strlen(bad[i].text), collect, &x, &err), -1);
        if (!strstr(err.msg, bad[i].msg))
            fail_msg("%s: got '%s'", bad[i].text, err.msg);
    }
    /* the callback's stop value comes back */
    sb_buf many;
    sb_buf_init(&many);
    for (int i = 0; i < 20; i++)
        sb_buf_printf(&many, "m%d 1\n", i);
    seen x = {0};
    assert_int_equal(prom_parse(many.data, many.len, collect, &x, NULL), 7);
    sb_buf_free(&many);
}

static void names_map_once_summed_or_averaged(void **state)
{
    (void)state;
    tm_series s = {0};
    const char *vllm = "vllm:kv_cache_usage_perc{engine=\"0\"} 0.5\n"
                       "vllm:kv_cache_usage_perc{engine=\"1\"} 0.7\n"
                       "vllm:gpu_cache_usage_perc{engine=\"0\"} 0.9\n"
                       "vllm:num_requests_running{engine=\"0\"} 3\n"
                       "vllm:num_requests_running{engine=\"1\"} 4\n"
                       "vllm:prefix_cache_queries_total 100\n"
                       "vllm:prefix_cache_hits_total 20\n";
    tm_series_add_body(&s, 0, vllm, strlen(vllm));
    const char *later = "vllm:kv_cache_usage_perc 0.2\nvllm:num_requests_running 1\n"
                        "vllm:prefix_cache_queries_total 300\nvllm:prefix_cache_hits_total 120\n";
    tm_series_add_body(&s, 2000000000, later, strlen(later));
    tm_series_add_body(&s, 3000000000, "garbage here\n", 13);
    assert_int_equal(s.n_rows, 2);
    assert_int_equal(s.n_gaps, 1);
    assert_non_null(strstr(s.gaps[0].why, "line 1"));
    assert_string_equal(s.source, "vllm");
    assert_true(fabs(s.rows[0].v[TM_KV_USAGE] - 0.6) < 1e-12); /* mean; the older name unused */
    assert_true(s.rows[0].v[TM_RUNNING] == 7);                 /* summed */
    tm_summary sum;
    tm_summarize(&s, 10000000000, &sum);
    assert_true(fabs(sum.kv_peak - 0.6) < 1e-12 && fabs(sum.kv_mean - 0.4) < 1e-12);
    assert_true(sum.prefix_hit_rate == 0.5); /* (120 - 20) / (300 - 100) */
    assert_true(isnan(sum.preemptions));
    sb_buf j;
    sb_buf_init(&j);
    tm_write_json(&j, "server_metrics", &s, &sum);
    assert_non_null(strstr(j.data, "\"prefix_cache_hits_per_s\": [null, 50.0]"));
    assert_non_null(strstr(j.data, "\"gaps\": [{\"t_s\": 3.0, \"error\": "));
    sb_buf_free(&j);
    tm_series_free(&s);
    const char *dcgm = "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 50\nDCGM_FI_DEV_GPU_UTIL{gpu=\"1\"} 100\n"
                       "DCGM_FI_DEV_FB_USED{gpu=\"0\"} 1000\nDCGM_FI_DEV_FB_USED{gpu=\"1\"} 3000\n";
    tm_series_add_body(&s, 0, dcgm, strlen(dcgm));
    assert_string_equal(s.source, "dcgm");
    assert_true(s.rows[0].v[TM_GPU_UTIL] == 75 && s.rows[0].v[TM_GPU_MEM_USED] == 4000);
    tm_series_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_the_format),
        cmocka_unit_test(errors_name_the_line),
        cmocka_unit_test(names_map_once_summed_or_averaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
