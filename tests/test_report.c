/* SPDX-License-Identifier: Apache-2.0 */
/* test_report.c - the result block against expected text written by the
 * reference's own Python format strings (tests/data/cli/gen_blocks.py), the
 * failure listing, Python float repr, and the result JSON parsed back with
 * jansson (key order, types) plus the file-name rules of section 8. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/clock.h"
#include "metrics/metrics.h"
#include "core/pyfmt.h"
#include "report/report.h"
#include "run/run.h"

#define MS SB_NS_PER_MS

static time_t fixed_time(void);

static void set_req(rec_store *s, size_t i, uint64_t start_ms, uint64_t ttft_ms, uint64_t lat_ms,
                    const uint64_t *itl_ms, uint32_t n_itl, int32_t out, int32_t prompt)
{
    sb_record *r = &s->recs[i];
    rec_store_begin(s, i, n_itl + 1);
    r->intended_ns = r->queued_ns = r->start_ns = start_ms * MS;
    r->ttft_ns = ttft_ms * MS;
    r->latency_ns = lat_ms * MS;
    for (uint32_t j = 0; j < n_itl; j++)
        rec_store_push_itl(s, i, itl_ms[j] * MS);
    r->output_tokens = out;
    r->prompt_len = prompt;
    r->n_chunks = (int32_t)n_itl + 1;
    r->success = r->done = true;
}

/* The set described in tests/data/cli/gen_blocks.py. */
static rec_store *hand_store(void)
{
    rec_store *s = rec_store_new(4);
    s->bench_end_ns = 2 * SB_NS_PER_S;
    set_req(s, 0, 0, 100, 400, (uint64_t[]){100, 100, 100}, 3, 4, 10);
    set_req(s, 1, 500, 200, 800, (uint64_t[]){300, 300}, 2, 3, 20);
    set_req(s, 2, 1400, 50, 50, NULL, 0, 1, 5);
    s->recs[2].text = strdup("é\"\n");
    s->recs[2].text_len = strlen(s->recs[2].text);
    s->recs[3].prompt_len = 30;
    rec_store_fail(s, 3, SB_FAIL_HTTP_STATUS, "Bad Request");
    return s;
}

static void set_pcts(sb_config *cfg, const double *p, size_t n)
{
    free(cfg->metric_percentiles);
    cfg->metric_percentiles = malloc(n * sizeof *p);
    memcpy(cfg->metric_percentiles, p, n * sizeof *p);
    cfg->n_metric_percentiles = n;
}

static void expect_block(sb_config *cfg, const char *expected_file)
{
    rec_store *s = hand_store();
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    sb_buf got, want;
    sb_buf_init(&got);
    sb_buf_init(&want);
    report_block(&got, run_report_opts(cfg, &(report_opts){0}), &m);
    char *path = tu_data_path(expected_file);
    assert_int_equal(tu_read_file(path, &want), 0);
    if (strcmp(got.data, want.data) != 0)
        print_error("got:\n%s\nwant:\n%s\n", got.data, want.data);
    assert_string_equal(got.data, want.data);
    free(path);
    sb_buf_free(&got);
    sb_buf_free(&want);
    metrics_free(&m);
    rec_store_free(s);
}

static void report_block_matches_seed_layout(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    expect_block(&cfg, "cli/block_default.txt");
    sb_config_free(&cfg);
}

static void report_block_with_concurrency_rate_goodput_and_e2el(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.max_concurrency = 10;
    cfg.request_rate = 8.0;
    cfg.goodput_set = true;
    cfg.goodput_ttft_ms = 150;
    cfg.percentile_metrics = strdup("ttft,tpot,itl,e2el");
    set_pcts(&cfg, (double[]){95, 99, 99.9}, 3);
    expect_block(&cfg, "cli/block_full.txt");
    sb_config_free(&cfg);
}

/* R1 (started at 500 ms) became due at 400: 100 ms of client queueing. */
static void report_block_queue_sections_need_a_concurrency_cap(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.max_concurrency = 2;
    cfg.request_rate = 4.0;
    cfg.percentile_metrics = strdup("e2el,client_queue_time,e2el_including_client_queue");
    set_pcts(&cfg, (double[]){50, 99}, 2);
    rec_store *s = hand_store();
    s->recs[1].queued_ns = 400 * MS;
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    sb_buf got, want;
    sb_buf_init(&got);
    sb_buf_init(&want);
    report_block(&got, run_report_opts(&cfg, &(report_opts){0}), &m);
    char *path = tu_data_path("cli/block_queue.txt");
    assert_int_equal(tu_read_file(path, &want), 0);
    if (strcmp(got.data, want.data) != 0)
        print_error("got:\n%s\n", got.data);
    assert_string_equal(got.data, want.data);
    sb_buf_reset(&got);
    report_ctx ctx = {.finished = fixed_time(), .client_cpu_pct = NAN};
    report_json(&got, run_report_opts(&cfg, &(report_opts){0}), &m, s, &ctx);
    assert_non_null(strstr(got.data, "\"mean_client_queue_time_ms\": 33.33333333333333"));
    assert_non_null(strstr(got.data, "\"median_e2el_including_client_queue_ms\": 400.0"));
    /* without a cap neither section nor key appears */
    cfg.max_concurrency = -1;
    sb_buf_reset(&got);
    report_block(&got, run_report_opts(&cfg, &(report_opts){0}), &m);
    assert_null(strstr(got.data, "Queue"));
    sb_buf_reset(&got);
    report_json(&got, run_report_opts(&cfg, &(report_opts){0}), &m, s, &ctx);
    assert_null(strstr(got.data, "client_queue"));
    free(path);
    sb_buf_free(&got);
    sb_buf_free(&want);
    metrics_free(&m);
    rec_store_free(s);
    sb_config_free(&cfg);
}

static void report_block_without_tokenizer_drops_token_lines(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.skip_tokenizer_init = true;
    cfg.percentile_metrics = strdup("ttft,e2el");
    set_pcts(&cfg, (double[]){50, 12.5}, 2);
    expect_block(&cfg, "cli/block_notok.txt");
    sb_config_free(&cfg);
}

/* The block printed by a real reference run (shared/reference/
 * seed-commands.md, copied verbatim into block_seed.txt; the doc lost the
 * trailing spaces of "{:<10}", so lines are compared without them), rendered
 * from the same figures. */
static void report_block_reproduces_real_reference_output(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    sb_metrics m = {0};
    double pcts[] = {99}, p_ttft[] = {196.95}, p_tpot[] = {6.79}, p_itl[] = {7.33}, p_e[] = {0};
    m.pcts = pcts;
    m.n_pcts = 1;
    m.completed = 5;
    m.total_input = m.total_output = 5120;
    m.duration_s = 7.0;
    m.request_throughput = 0.71;
    m.output_throughput = 731.76;
    m.max_output_tokens_per_s = 765;
    m.max_concurrent_requests = 5;
    m.total_token_throughput = 1463.53;
    m.has_tokenizer = true;
    m.selected[SB_M_TTFT] = m.selected[SB_M_TPOT] = m.selected[SB_M_ITL] = true;
    m.stat[SB_M_TTFT] = (metrics_stat){.mean_ms = 140.16, .median_ms = 186.10, .pct_ms = p_ttft};
    m.stat[SB_M_TPOT] = (metrics_stat){.mean_ms = 6.69, .median_ms = 6.65, .pct_ms = p_tpot};
    m.stat[SB_M_ITL] = (metrics_stat){.mean_ms = 6.69, .median_ms = 6.64, .pct_ms = p_itl};
    m.stat[SB_M_E2EL] = (metrics_stat){.pct_ms = p_e};
    sb_buf got, want, stripped;
    sb_buf_init(&got);
    sb_buf_init(&want);
    sb_buf_init(&stripped);
    report_block(&got, run_report_opts(&cfg, &(report_opts){0}), &m);
    for (char *line = got.data; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = (size_t)(nl - line);
        while (len && line[len - 1] == ' ')
            len--;
        sb_buf_append(&stripped, line, len);
        sb_buf_putc(&stripped, '\n');
        line = nl + 1;
    }
    char *path = tu_data_path("cli/block_seed.txt");
    assert_int_equal(tu_read_file(path, &want), 0);
    assert_string_equal(stripped.data, want.data);
    free(path);
    sb_buf_free(&got);
    sb_buf_free(&want);
    sb_buf_free(&stripped);
    sb_config_free(&cfg);
}

/* Pooling backends: no output-token lines, E2EL by default, and the JSON's
 * shorter pooling key set (reference doc sections 7 and 8). */
static void report_pooling_block_and_json(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    free(cfg.backend);
    cfg.backend = strdup("openai-embeddings");
    cfg.model = strdup("e5");
    expect_block(&cfg, "cli/block_pooling.txt");
    rec_store *s = hand_store();
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    report_ctx ctx = {.finished = fixed_time(), .client_cpu_pct = NAN};
    sb_buf b;
    sb_buf_init(&b);
    metrics_set_input_sequences(&m, 6); /* the run counts them from its dataset */
    report_json(&b, run_report_opts(&cfg, &(report_opts){0}), &m, s, &ctx);
    assert_non_null(strstr(b.data,
                           "\"max_concurrency\": null, \"duration\": 2.0, "
                           "\"completed\": 3, \"total_input_tokens\": 35, "
                           "\"total_input_sequences\": 6, \"request_throughput\": 1.5, "
                           "\"input_sequence_throughput\": 3.0, \"total_token_throughput\": "
                           "17.5, \"latencies\": [0.4, 0.8, 0.05, 0.0], \"queue_times\": "));
    assert_null(strstr(b.data, "\"failed\""));
    assert_null(strstr(b.data, "ttft_ms"));
    cfg.save_detailed = true;
    sb_buf_reset(&b);
    report_json(&b, run_report_opts(&cfg, &(report_opts){0}), &m, s, &ctx);
    assert_non_null(strstr(b.data, "\"total_token_throughput\": 17.5, \"input_lens\": [10, 20, 5, "
                                   "30], \"latencies\": "));
    assert_non_null(strstr(b.data, "], \"errors\": [\"\", \"\", \"\", \"Bad Request\"], "
                                   "\"mean_e2el_ms\""));
    sb_buf_free(&b);
    metrics_free(&m);
    rec_store_free(s);
    sb_config_free(&cfg);
}

/* Counters chosen to give the figures of a real reference run's block
 * (a published "Speculative Decoding" section: 73.47 %, 3.20, 6393 drafts,
 * 19179 draft tokens, 14090 accepted, positions 83.42 / 72.91 / 64.07);
 * the expected lines are that block's, trailing spaces restored. */
static void report_spec_decode_section_from_prometheus(void **state)
{
    (void)state;
    const char *before =
        "# HELP x\nvllm:spec_decode_num_drafts_total{engine=\"0\"} 100.0\n"
        "vllm:spec_decode_num_draft_tokens_total{engine=\"0\"} 300.0\n"
        "vllm:spec_decode_num_accepted_tokens_total{engine=\"0\"} 200.0\n"
        "vllm:spec_decode_num_accepted_tokens_per_pos_total{engine=\"0\",position=\"0\"} 90\n"
        "vllm:spec_decode_num_accepted_tokens_per_pos_total{engine=\"0\",position=\"1\"} 70\n"
        "vllm:spec_decode_num_accepted_tokens_per_pos_total{engine=\"0\",position=\"2\"} 40\n"
        "vllm:num_requests_running 3\n";
    /* after: two engines whose sums are before + the run's deltas */
    const char *after = "vllm:spec_decode_num_drafts_total{engine=\"0\"} 3000.0\n"
                        "vllm:spec_decode_num_drafts_total{engine=\"1\"} 3493\n"
                        "vllm:spec_decode_num_draft_tokens_total 19479\n"
                        "vllm:spec_decode_num_accepted_tokens_total 14290\n"
                        "vllm:spec_decode_num_accepted_tokens_per_pos_total{position=\"0\"} 5423\n"
                        "vllm:spec_decode_num_accepted_tokens_per_pos_total{position=\"1\"} 4731\n"
                        "vllm:spec_decode_num_accepted_tokens_per_pos_total{position=\"2\"} 4136\n"
                        "garbage line\n";
    specdec_counts a, b;
    specdec_parse(before, strlen(before), &a);
    specdec_parse(after, strlen(after), &b);
    assert_true(a.found && b.found);
    sb_config cfg;
    sb_config_defaults(&cfg);
    rec_store *s = hand_store();
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    specdec_delta(&a, &b, &m.spec);
    sb_buf out;
    sb_buf_init(&out);
    report_block(&out, run_report_opts(&cfg, &(report_opts){0}), &m);
    const char *want = "---------------Speculative Decoding---------------\n"
                       "Acceptance rate (%):                     73.47     \n"
                       "Acceptance length:                       3.20      \n"
                       "Drafts:                                  6393      \n"
                       "Draft tokens:                            19179     \n"
                       "Accepted tokens:                         14090     \n"
                       "Per-position acceptance (%):\n"
                       "  Position 0:                            83.42     \n"
                       "  Position 1:                            72.91     \n"
                       "  Position 2:                            64.07     \n"
                       "==================================================\n";
    assert_non_null(strstr(out.data, want));
    sb_buf_reset(&out);
    report_ctx ctx = {.finished = fixed_time(), .client_cpu_pct = NAN};
    report_json(&out, run_report_opts(&cfg, &(report_opts){0}), &m, s, &ctx);
    assert_non_null(strstr(out.data,
                           "\"spec_decode_num_drafts\": 6393, \"spec_decode_draft_tokens\": "
                           "19179, \"spec_decode_accepted_tokens\": 14090, "
                           "\"spec_decode_per_position_acceptance_rates\": [0.834193"));
    /* one snapshot without the counters: no section */
    specdec_parse("vllm:other 1\n", 13, &a);
    specdec_delta(&a, &b, &m.spec);
    assert_false(m.spec.present);
    sb_buf_free(&out);
    metrics_free(&m);
    rec_store_free(s);
    sb_config_free(&cfg);
}

static void report_failures_cap_at_ten(void **state)
{
    (void)state;
    rec_store *s = rec_store_new(12);
    for (size_t i = 0; i < 12; i++)
        rec_store_fail(s, i, SB_FAIL_CONNECT, "err %zu", i);
    sb_buf b;
    sb_buf_init(&b);
    report_failures(&b, s);
    assert_non_null(strstr(b.data,
                           "Failed requests during benchmark run detected (capping to 10):\n"
                           "Error 0: err 0\n"));
    assert_non_null(strstr(b.data, "Error 9: err 9\n"));
    assert_null(strstr(b.data, "Error 10"));
    sb_buf_free(&b);
    rec_store_free(s);
    /* nothing at all when everything succeeded */
    rec_store *ok = hand_store();
    ok->recs[3].success = true;
    sb_buf_init(&b);
    report_failures(&b, ok);
    assert_int_equal(b.len, 0);
    sb_buf_free(&b);
    rec_store_free(ok);
}

/* Expected strings are Python 3's repr() of the same doubles. */
static void report_py_float_is_python_repr(void **state)
{
    (void)state;
    struct {
        double v;
        const char *want;
    } cases[] = {
        {0.1, "0.1"},
        {10.0, "10.0"},
        {1e16, "1e+16"},
        {1234567890123456.0, "1234567890123456.0"},
        {1e-5, "1e-05"},
        {0.0001, "0.0001"},
        {1.0 / 3, "0.3333333333333333"},
        {2.5e-07, "2.5e-07"},
        {123456789012345678.0, "1.2345678901234568e+17"},
        {0.1 + 0.2, "0.30000000000000004"},
        {-1.5, "-1.5"},
        {1e22, "1e+22"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {INFINITY, "inf"},
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {731.7621, "731.7621"},
        {1e15, "1000000000000000.0"},
        {0.00012, "0.00012"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(py_float_repr(buf, sizeof buf, cases[i].v), cases[i].want);
}

/* json.dumps('a"b\\\n\t\x01é😀\xff'.encode... ) with ensure_ascii; the
 * invalid byte \xff becomes U+FFFD. */
static void report_json_strings_are_ascii_escaped(void **state)
{
    (void)state;
    const char in[] = "a\"b\\\n\t\x01\xc3\xa9\xf0\x9f\x98\x80\x7f\xff";
    sb_buf b;
    sb_buf_init(&b);
    pyfmt_json_string(&b, in, sizeof in - 1);
    assert_string_equal(b.data, "\"a\\\"b\\\\\\n\\t\\u0001\\u00e9\\ud83d\\ude00\\u007f\\ufffd\"");
    sb_buf_free(&b);
}

/* The ns fast path prints exactly what repr(ns / 1e9) does; checked against
 * the general shortest-repr path on a spread of values. */
static void report_ns_seconds_match_float_repr(void **state)
{
    (void)state;
    uint64_t x = 0x12345678abcdefull;
    sb_buf a, b;
    sb_buf_init(&a);
    sb_buf_init(&b);
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t ns = x % (i % 3 == 0   ? 100000ull
                           : i % 3 == 1 ? 20000000000ull
                                        : 999999999999999ull);
        if (i % 7 == 0)
            ns = ns / 1000 * 1000; /* trailing zeros */
        sb_buf_reset(&a);
        sb_buf_reset(&b);
        pyfmt_json_ns_as_s(&a, ns);
        pyfmt_json_number(&b, (double)ns / 1e9);
        if (strcmp(a.data, b.data))
            print_error("ns %llu: %s vs %s\n", (unsigned long long)ns, a.data, b.data);
        assert_string_equal(a.data, b.data);
    }
    /* repr(12345/1e9) == '1.2345e-05', repr(1.5) == '1.5' */
    sb_buf_reset(&a);
    pyfmt_json_ns_as_s(&a, 12345);
    assert_string_equal(a.data, "1.2345e-05");
    sb_buf_reset(&a);
    pyfmt_json_ns_as_s(&a, 1500000000);
    assert_string_equal(a.data, "1.5");
    sb_buf_free(&a);
    sb_buf_free(&b);
}

static time_t fixed_time(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    return (time_t)1767323045; /* 2026-01-02 03:04:05 UTC */
}

static void report_result_file_names(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.model = strdup("Qwen/Qwen3-4B");
    report_ctx ctx = {.finished = fixed_time(), .client_cpu_pct = NAN};
    char *p = report_result_path(run_report_opts(&cfg, &(report_opts){0}), &ctx);
    assert_string_equal(p, "openai-infqps-Qwen3-4B-20260102-030405.json");
    free(p);
    cfg.request_rate = 10;
    cfg.max_concurrency = 8;
    cfg.label = strdup("mylabel");
    cfg.result_dir = strdup("out/dir");
    p = report_result_path(run_report_opts(&cfg, &(report_opts){0}), &ctx);
    assert_string_equal(p, "out/dir/mylabel-10.0qps-concurrency8-Qwen3-4B-20260102-030405.json");
    free(p);
    cfg.ramp_up = SB_RAMP_EXPONENTIAL;
    cfg.ramp_up_start_rps = 1;
    cfg.ramp_up_end_rps = 20;
    p = report_result_path(run_report_opts(&cfg, &(report_opts){0}), &ctx);
    assert_string_equal(
        p, "out/dir/"
           "mylabel-ramp-up-exponential-1qps-20qps-concurrency8-Qwen3-4B-20260102-030405.json");
    free(p);
    cfg.result_filename = strdup("r.json");
    p = report_result_path(run_report_opts(&cfg, &(report_opts){0}), &ctx);
    assert_string_equal(p, "out/dir/r.json");
    free(p);
    sb_config_free(&cfg);
}

static const char *const ref_keys[] = {"date",
                                       "endpoint_type",
                                       "backend",
                                       "label",
                                       "model_id",
                                       "tokenizer_id",
                                       "num_prompts",
                                       "gpu",
                                       "request_rate",
                                       "burstiness",
                                       "max_concurrency",
                                       "duration",
                                       "completed",
                                       "failed",
                                       "total_input_tokens",
                                       "total_output_tokens",
                                       "request_throughput",
                                       "request_goodput",
                                       "output_throughput",
                                       "total_token_throughput",
                                       "input_lens",
                                       "output_lens",
                                       "ttfts",
                                       "itls",
                                       "latencies",
                                       "start_times",
                                       "queue_times",
                                       "generated_texts",
                                       "errors",
                                       "max_output_tokens_per_s",
                                       "max_concurrent_requests",
                                       "rtfx",
                                       "mean_ttft_ms",
                                       "median_ttft_ms",
                                       "std_ttft_ms",
                                       "p99_ttft_ms",
                                       "p99.9_ttft_ms",
                                       "mean_e2el_ms",
                                       "median_e2el_ms",
                                       "std_e2el_ms",
                                       "p99_e2el_ms",
                                       "p99.9_e2el_ms",
                                       "servebench"};

static void report_json_keys_order_and_types(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.model = strdup("org/m");
    cfg.save_detailed = true;
    cfg.percentile_metrics = strdup("ttft,e2el");
    set_pcts(&cfg, (double[]){99, 99.9}, 2);
    cfg.metadata = calloc(1, sizeof *cfg.metadata);
    cfg.metadata[0] = (sb_kv){strdup("gpu"), strdup("H100")};
    cfg.n_metadata = 1;
    rec_store *s = hand_store();
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    report_ctx ctx = {.finished = fixed_time(), .client_cpu_pct = 12.5, .fingerprint = "ab12"};
    sb_buf b;
    sb_buf_init(&b);
    report_json(&b, run_report_opts(&cfg, &(report_opts){0}), &m, s, &ctx);
    /* Python separators */
    assert_non_null(
        strstr(b.data, "{\"date\": \"20260102-030405\", \"endpoint_type\": \"openai\""));
    assert_non_null(strstr(b.data, "\"request_rate\": \"inf\", \"burstiness\": 1.0, "
                                   "\"max_concurrency\": null"));
    assert_non_null(strstr(b.data, "\"ttfts\": [0.1, 0.2, 0.05, 0.0]"));
    assert_non_null(strstr(b.data, "\"itls\": [[0.1, 0.1, 0.1], [0.3, 0.3], [], []]"));
    assert_non_null(strstr(b.data, "\"generated_texts\": [\"\", \"\", \"\\u00e9\\\"\\n\", \"\"]"));
    assert_non_null(strstr(b.data, "\"errors\": [\"\", \"\", \"\", \"Bad Request\"]"));
    json_error_t je;
    json_t *root = json_loads(b.data, 0, &je);
    assert_non_null(root);
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v)
    {
        assert_true(i < sizeof ref_keys / sizeof ref_keys[0]);
        assert_string_equal(k, ref_keys[i]);
        i++;
    }
    assert_int_equal(i, sizeof ref_keys / sizeof ref_keys[0]);
    assert_true(json_is_null(json_object_get(root, "label")));
    assert_string_equal(json_string_value(json_object_get(root, "tokenizer_id")), "org/m");
    assert_true(json_is_null(json_object_get(root, "request_goodput")));
    assert_true(json_is_integer(json_object_get(root, "completed")));
    assert_true(json_is_integer(json_object_get(root, "max_concurrent_requests")));
    assert_true(json_is_real(json_object_get(root, "duration")));
    assert_true(json_is_real(json_object_get(root, "max_output_tokens_per_s")));
    assert_string_equal(json_string_value(json_object_get(root, "gpu")), "H100");
    json_t *ours = json_object_get(root, "servebench");
    assert_string_equal(json_string_value(json_object_get(ours, "workload_fingerprint")), "ab12");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(ours, "failures_by_reason"),
                                                        "http_status")),
                     1);
    json_decref(root);
    sb_buf_free(&b);
    metrics_free(&m);
    rec_store_free(s);
    sb_config_free(&cfg);
}

/* Ramp-up keys sit after max_concurrency, events after the peaks; goodput is
 * a number when --goodput was given. */
static void report_json_ramp_up_and_goodput(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.model = strdup("m");
    cfg.ramp_up = SB_RAMP_LINEAR;
    cfg.ramp_up_start_rps = 1;
    cfg.ramp_up_end_rps = 3;
    cfg.max_concurrency = 2;
    cfg.goodput_set = true;
    cfg.goodput_ttft_ms = 150;
    rec_store *s = hand_store();
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    long rps[] = {1, 2};
    const char *ts[] = {"2026-01-02T03:04:05.000001", "2026-01-02T03:04:06.5"};
    report_ctx ctx = {.finished = fixed_time(),
                      .client_cpu_pct = NAN,
                      .rps_event_rps = rps,
                      .rps_event_ts = ts,
                      .n_rps_events = 2};
    sb_buf b;
    sb_buf_init(&b);
    report_json(&b, run_report_opts(&cfg, &(report_opts){0}), &m, s, &ctx);
    assert_non_null(strstr(b.data, "\"max_concurrency\": 2, \"ramp_up_strategy\": \"linear\", "
                                   "\"ramp_up_start_rps\": 1, \"ramp_up_end_rps\": 3, "
                                   "\"duration\": 2.0"));
    assert_non_null(strstr(b.data, "\"request_goodput\": 1.0,"));
    assert_non_null(strstr(b.data,
                           "\"rtfx\": 0.0, \"rps_change_events\": [{\"rps\": 1, "
                           "\"timestamp\": \"2026-01-02T03:04:05.000001\"}, {\"rps\": 2, "));
    json_t *root = json_loads(b.data, 0, NULL);
    assert_non_null(root);
    assert_null(json_object_get(root, "ttfts")); /* no --save-detailed */
    json_decref(root);
    sb_buf_free(&b);
    metrics_free(&m);
    rec_store_free(s);
    sb_config_free(&cfg);
}

/* report/ takes its own options: a caller with no sb_config at all gets the
 * header keys, the --metadata echo and the file name from report_opts. */
static void report_takes_its_own_options_without_a_config(void **state)
{
    (void)state;
    sb_kv meta[] = {{"gpu", "H100"}, {"run", "7"}};
    report_opts ro = {.backend = "vllm",
                      .model = "org/m",
                      .num_prompts = 4,
                      .metadata = meta,
                      .n_metadata = 2,
                      .request_rate = 2.5,
                      .burstiness = 1.0,
                      .max_concurrency = -1,
                      .ramp_up_strategy = NULL,
                      .result_dir = "d/"};
    rec_store *s = hand_store();
    sb_metrics m;
    metrics_opts mo = {.backend = "vllm", .max_concurrency = -1};
    assert_int_equal(metrics_compute(s, &mo, NULL, &m, NULL), 0);
    report_ctx ctx = {.finished = fixed_time(), .client_cpu_pct = NAN};
    sb_buf b;
    sb_buf_init(&b);
    report_json(&b, &ro, &m, s, &ctx);
    assert_non_null(strstr(b.data, "\"endpoint_type\": \"vllm\", \"backend\": \"vllm\", "
                                   "\"label\": null, \"model_id\": \"org/m\", "
                                   "\"tokenizer_id\": \"org/m\", \"num_prompts\": 4, "
                                   "\"gpu\": \"H100\", \"run\": \"7\", \"request_rate\": 2.5, "
                                   "\"burstiness\": 1.0, \"max_concurrency\": null, \"duration\""));
    char *p = report_result_path(&ro, &ctx);
    assert_string_equal(p, "d/vllm-2.5qps-m-20260102-030405.json");
    free(p);
    sb_buf_free(&b);
    metrics_free(&m);
    rec_store_free(s);
}

static void report_save_creates_dir_and_appends_json_lines(void **state)
{
    (void)state;
    char dir[] = "/tmp/sbrepXXXXXX";
    assert_non_null(mkdtemp(dir));
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.model = strdup("m");
    cfg.append_result = true;
    sb_buf d;
    sb_buf_init(&d);
    sb_buf_printf(&d, "%s/a/b", dir);
    cfg.result_dir = sb_buf_steal(&d);
    cfg.result_filename = strdup("res.json");
    rec_store *s = hand_store();
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    report_ctx ctx = {.finished = fixed_time(), .client_cpu_pct = NAN};
    char *path = NULL;
    sb_err err;
    assert_int_equal(
        report_save(run_report_opts(&cfg, &(report_opts){0}), &m, s, &ctx, &path, &err), 0);
    assert_int_equal(report_save(run_report_opts(&cfg, &(report_opts){0}), &m, s, &ctx, NULL, &err),
                     0);
    sb_buf f;
    sb_buf_init(&f);
    assert_int_equal(tu_read_file(path, &f), 0);
    char *nl = strchr(f.data, '\n');
    assert_non_null(nl);
    assert_null(strchr(nl + 1, '\n')); /* no trailing newline, one separator */
    *nl = '\0';
    json_t *a = json_loads(f.data, 0, NULL), *b = json_loads(nl + 1, 0, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(json_is_null(json_object_get(json_object_get(a, "servebench"), "client_cpu_pct")));
    json_decref(a);
    json_decref(b);
    /* a result dir that cannot be created is an error naming it */
    free(cfg.result_dir);
    cfg.result_dir = strdup("/proc/no/such/dir");
    assert_int_equal(report_save(run_report_opts(&cfg, &(report_opts){0}), &m, s, &ctx, NULL, &err),
                     -1);
    assert_non_null(strstr(err.msg, "/proc/no"));
    unlink(path);
    free(path);
    sb_buf_free(&f);
    metrics_free(&m);
    rec_store_free(s);
    sb_config_free(&cfg);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* report_save hands the buffer to the file every 1 MiB while writing the
 * per-request arrays: a --save-detailed result of 40,000 requests (over 3 MiB)
 * crosses that several times, and the file must equal report_json's text
 * byte for byte (also after a JSON Lines separator). */
/* A text of request i: escapes, non-ASCII, empty ones, and three long ones
 * (past the 256 KiB write buffer and the 1 MiB read window of
 * record_spill.c). */
static size_t spill_text(size_t i, sb_buf *t)
{
    sb_buf_reset(t);
    if (i % 97 == 5)
        return 0;
    size_t reps = i == 3 ? 30000 : i == 40 ? 25000 : i == 41 ? 120000 : 1 + i % 23;
    for (size_t k = 0; k < reps; k++)
        sb_buf_printf(t, "%zu \"q\"\u00e9\n\t", i + k);
    return t->len;
}

static long count_bytes(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    long n = 0;
    for (size_t k = 0; k < len; k++)
        n += text[k] == '"';
    return n + 1;
}

/* The same requests, texts set in a scrambled completion order, once held
 * in memory and once partly spilled to a file: the same output lengths
 * (texts counted for the requests without usage) and byte-identical result
 * JSON; then with a spill directory that cannot be used, the texts stay in
 * memory and the store says why. */
static void report_spilled_texts_equal_texts_in_memory(void **state)
{
    (void)state;
    char dir[] = "/tmp/sbspillXXXXXX";
    assert_non_null(mkdtemp(dir));
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.model = strdup("m");
    cfg.save_detailed = true;
    cfg.result_dir = strdup(dir);
    cfg.result_filename = strdup("spilled.json");
    enum { N = 3000 };
    rec_store *st[3];
    for (int v = 0; v < 3; v++) {
        st[v] = rec_store_new(N);
        st[v]->bench_end_ns = 900 * SB_NS_PER_S;
    }
    rec_store_spill_setup(st[1], dir, 100000); /* the first ~100 kB stay in memory */
    rec_store_spill_setup(st[2], "/nonexistent/sbspill", 0);
    sb_buf t;
    sb_buf_init(&t);
    for (size_t k = 0; k < N; k++) {
        size_t i = (k * 1237) % N; /* completion order, not request order */
        uint64_t itl[3] = {3 + i % 7, 4, 5};
        size_t len = spill_text(i, &t);
        for (int v = 0; v < 3; v++) {
            set_req(st[v], i, i * 20, 30 + i % 50, 200 + i % 90, itl, 3, i % 4 ? 4 : 0,
                    (int32_t)(10 + i % 40));
            rec_store_set_text(st[v], i, t.data ? t.data : "", len);
        }
    }
    rec_store_fail(st[0], 17, SB_FAIL_HTTP_STATUS, "Bad Request");
    rec_store_fail(st[1], 17, SB_FAIL_HTTP_STATUS, "Bad Request");
    rec_store_fail(st[2], 17, SB_FAIL_HTTP_STATUS, "Bad Request");
    assert_null(rec_store_spill_error(st[0]));
    assert_null(rec_store_spill_error(st[1]));
    assert_true(rec_store_spilled_bytes(st[1]) > (size_t)2 << 20);
    assert_non_null(rec_store_spill_error(st[2]));
    assert_non_null(strstr(rec_store_spill_error(st[2]), "/nonexistent/sbspill"));
    assert_int_equal(rec_store_spilled_bytes(st[2]), 0);
    for (size_t i = 0; i < N; i += 211) { /* read back in any order */
        size_t len = spill_text(i, &t), got_len;
        sb_err err;
        const char *got = rec_store_text(st[1], i, &got_len, &err);
        assert_non_null(got);
        assert_int_equal(got_len, len);
        assert_memory_equal(got, t.data ? t.data : "", len);
    }
    metrics_tok_cb cb = {.count = count_bytes};
    const report_opts *ro = run_report_opts(&cfg, &(report_opts){0});
    report_ctx ctx = {.finished = fixed_time(), .client_cpu_pct = NAN};
    sb_metrics m[3];
    sb_buf want, got;
    sb_buf_init(&want);
    sb_buf_init(&got);
    for (int v = 0; v < 3; v++) {
        sb_err err;
        assert_int_equal(
            metrics_compute(st[v], run_metrics_opts(&cfg, &(metrics_opts){0}), &cb, &m[v], &err),
            0);
        assert_memory_equal(m[v].output_lens, m[0].output_lens, N * sizeof *m[0].output_lens);
    }
    report_json(&want, ro, &m[0], st[0], &ctx);
    assert_in_range(want.len, (size_t)4 << 20, (size_t)64 << 20);
    for (int v = 1; v < 3; v++) {
        char *path = NULL;
        sb_err err;
        assert_int_equal(report_save(ro, &m[v], st[v], &ctx, &path, &err), 0);
        assert_int_equal(tu_read_file(path, &got), 0);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.data, want.data, want.len);
        unlink(path);
        free(path);
        sb_buf_reset(&got);
    }
    /* the steady-state window's and an interrupt's compaction moves the
     * spilled texts' offsets with their records */
    unsigned char *keep = calloc(N, 1);
    for (size_t i = 0; i < N; i++)
        keep[i] = i % 3 != 1;
    rec_store_keep(st[1], keep);
    size_t j = 0;
    for (size_t i = 0; i < N; i++) {
        if (!keep[i])
            continue;
        size_t len = spill_text(i, &t), got_len;
        sb_err err;
        const char *g = rec_store_text(st[1], j++, &got_len, &err);
        assert_non_null(g);
        assert_int_equal(got_len, len);
        assert_memory_equal(g, t.data ? t.data : "", len);
    }
    free(keep);
    for (int v = 0; v < 3; v++) {
        metrics_free(&m[v]);
        rec_store_free(st[v]);
    }
    rmdir(dir);
    sb_buf_free(&t);
    sb_buf_free(&want);
    sb_buf_free(&got);
    sb_config_free(&cfg);
}

static void report_save_streams_large_detailed_result(void **state)
{
    (void)state;
    char dir[] = "/tmp/sbrepXXXXXX";
    assert_non_null(mkdtemp(dir));
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.model = strdup("m");
    cfg.save_detailed = true;
    cfg.append_result = true;
    cfg.result_dir = strdup(dir);
    cfg.result_filename = strdup("big.json");
    enum { N = 40000 };
    rec_store *s = rec_store_new(N);
    s->bench_end_ns = 900 * SB_NS_PER_S;
    for (size_t i = 0; i < N; i++) {
        uint64_t itl[5] = {3 + i % 7, 4, 5 + i % 3, 6, 7};
        set_req(s, i, i * 20, 30 + i % 50, 200 + i % 90, itl, 5, 6, (int32_t)(10 + i % 40));
        char t[64];
        int tl = snprintf(t, sizeof t, "answer %zu \"q\" \u00e9", i);
        s->recs[i].text = strndup(t, (size_t)tl);
        s->recs[i].text_len = (size_t)tl;
    }
    rec_store_fail(s, 17, SB_FAIL_HTTP_STATUS, "Bad Request");
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    report_ctx ctx = {.finished = fixed_time(), .client_cpu_pct = NAN};
    const report_opts *ro = run_report_opts(&cfg, &(report_opts){0});
    sb_buf want, got;
    sb_buf_init(&want);
    sb_buf_init(&got);
    report_json(&want, ro, &m, s, &ctx);
    assert_in_range(want.len, (size_t)3 << 20, (size_t)64 << 20);
    char *path = NULL;
    sb_err err;
    assert_int_equal(report_save(ro, &m, s, &ctx, &path, &err), 0);
    assert_int_equal(report_save(ro, &m, s, &ctx, NULL, &err), 0);
    assert_int_equal(tu_read_file(path, &got), 0);
    assert_int_equal(got.len, 2 * want.len + 1);
    assert_memory_equal(got.data, want.data, want.len);
    assert_int_equal(got.data[want.len], '\n');
    assert_memory_equal(got.data + want.len + 1, want.data, want.len);
    unlink(path);
    rmdir(dir);
    free(path);
    sb_buf_free(&want);
    sb_buf_free(&got);
    metrics_free(&m);
    rec_store_free(s);
    sb_config_free(&cfg);
}

static void report_plot_and_extras_render(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    rec_store *s = hand_store();
    sb_metrics m;
    assert_int_equal(metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL),
                     0);
    sb_buf b;
    sb_buf_init(&b);
    report_plot(&b, &m, 60, 4);
    /* 3 buckets, 6 characters each: tokens [5,3,0]; only the 5 reaches the
     * top row, 3 reaches rows 2 and below (3/5*4 = 2.4) */
    assert_non_null(strstr(b.data, "Output tokens per second (peak 5, 3 s)\n"
                                   "       5 |######            \n"
                                   "         |######            \n"
                                   "         |############      \n"));
    assert_non_null(strstr(b.data, "Concurrent requests per second (peak 2, 3 s)\n"
                                   "       2 |############      \n"));
    assert_non_null(strstr(b.data, "       0 +------------------\n          0 s"));
    sb_buf_reset(&b);
    report_ctx ctx = {.client_cpu_pct = 95.0, .fingerprint = "f00d"};
    report_console(&b, run_report_opts(&cfg, &(report_opts){0}), &m, s, &ctx);
    /* reference order: failures, plot, block, then ours */
    char *fail = strstr(b.data, "Failed requests during"),
         *plot = strstr(b.data, "Output tokens per");
    char *block = strstr(b.data, "= Serving Benchmark Result ="),
         *ours = strstr(b.data, "servebench additions");
    assert_true(fail && plot && block && ours && fail < plot && plot < block && block < ours);
    assert_non_null(strstr(b.data, "============== servebench additions ==============\n"));
    assert_non_null(strstr(b.data, "http_status:                             1"));
    assert_non_null(strstr(b.data, "Workload fingerprint (sha256):           f00d\n"));
    assert_non_null(strstr(b.data, "WARNING: the client"));
    sb_buf_free(&b);
    metrics_free(&m);
    rec_store_free(s);
    sb_config_free(&cfg);
}

/* Hostile bytes (invalid UTF-8, NULs, lone continuation bytes, truncated
 * sequences, Prometheus-looking fragments) go through the JSON string
 * escaper and the /metrics parser without crashing; the escaper's output is
 * always valid JSON that jansson reads back. */
static void report_random_bytes_never_break_escaping_or_metrics_parse(void **state)
{
    (void)state;
    static const char *const frags[] = {"vllm:spec_decode_num_drafts_total",
                                        "{position=\"",
                                        "\"} ",
                                        "1e308",
                                        "nan",
                                        "\n",
                                        "#",
                                        " ",
                                        "\xf0\x9f",
                                        "\xc3",
                                        "\x80",
                                        "\xed\xa0\x80",
                                        "}",
                                        "{"};
    uint64_t x = 0xdeadbeefcafef00dull;
    char buf[512];
    for (int it = 0; it < 20000; it++) {
        size_t len = 0, want = (size_t)((x >> 7) % 200);
        while (len < want) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (x % 3 == 0) {
                const char *f = frags[(x >> 8) % (sizeof frags / sizeof frags[0])];
                size_t fl = strlen(f);
                if (len + fl >= sizeof buf)
                    break;
                memcpy(buf + len, f, fl);
                len += fl;
            } else {
                buf[len++] = (char)(x >> 16);
            }
        }
        sb_buf out;
        sb_buf_init(&out);
        pyfmt_json_string(&out, buf, len);
        json_t *j = json_loads(out.data, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        assert_non_null(j);
        json_decref(j);
        sb_buf_free(&out);
        specdec_counts c;
        specdec_parse(buf, len, &c);
        assert_true(c.n_pos <= SPECDEC_MAX_POS);
    }
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Hand store: R0 gaps 100,100,100 ms, R1 300,300, R2 none. With 25,50 every
 * gap is slow and runs merge: 3 TTFT rects + 1 + 1. With 150,400 R0's gaps
 * are fast and R1's in between. */
static void report_timeline_merges_same_coloured_gaps(void **state)
{
    (void)state;
    sb_config cfg;
    sb_config_defaults(&cfg);
    rec_store *s = hand_store();
    sb_buf b;
    sb_err err;
    sb_buf_init(&b);
    assert_int_equal(report_timeline_html(&b, run_report_opts(&cfg, &(report_opts){0}), s, &err),
                     0);
    assert_int_equal(count(b.data, "<rect"), 5);
    assert_int_equal(count(b.data, "fill=\"#c0392b\""), 2);
    assert_non_null(strstr(b.data, "3 successful requests over 1.450 s"));
    free(cfg.timeline_itl_thresholds);
    cfg.timeline_itl_thresholds = strdup("150,400");
    sb_buf_reset(&b);
    assert_int_equal(report_timeline_html(&b, run_report_opts(&cfg, &(report_opts){0}), s, &err),
                     0);
    assert_int_equal(count(b.data, "fill=\"#4c9a2a\""), 1);
    assert_int_equal(count(b.data, "fill=\"#e8a317\""), 1);
    /* a gap equal to a threshold is in the class above it, as plot.py's
     * itl_type (itl < t0, then itl < t1): 100 ms is mid, 300 ms is slow */
    free(cfg.timeline_itl_thresholds);
    cfg.timeline_itl_thresholds = strdup("100,300");
    sb_buf_reset(&b);
    assert_int_equal(report_timeline_html(&b, run_report_opts(&cfg, &(report_opts){0}), s, &err),
                     0);
    assert_int_equal(count(b.data, "fill=\"#4c9a2a\""), 0);
    assert_int_equal(count(b.data, "fill=\"#e8a317\""), 1);
    assert_int_equal(count(b.data, "fill=\"#c0392b\""), 1);
    free(cfg.timeline_itl_thresholds);
    cfg.timeline_itl_thresholds = strdup("x");
    assert_int_equal(report_timeline_html(&b, run_report_opts(&cfg, &(report_opts){0}), s, &err),
                     -1);
    assert_non_null(strstr(err.msg, "--timeline-itl-thresholds"));
    free(cfg.timeline_itl_thresholds);
    cfg.timeline_itl_thresholds = strdup("25,50");
    char dir[] = "/tmp/sbtlXXXXXX";
    assert_non_null(mkdtemp(dir));
    cfg.result_dir = strdup(dir);
    cfg.result_filename = strdup("run.json");
    report_ctx ctx = {.finished = fixed_time(), .client_cpu_pct = NAN};
    char *written = NULL;
    assert_int_equal(
        report_save_timeline(run_report_opts(&cfg, &(report_opts){0}), s, &ctx, &written, &err), 0);
    assert_non_null(strstr(written, "/run.timeline.html"));
    sb_buf f;
    sb_buf_init(&f);
    assert_int_equal(tu_read_file(written, &f), 0);
    assert_non_null(strstr(f.data, "<svg"));
    unlink(written);
    rmdir(dir);
    free(written);
    sb_buf_free(&f);
    char *p = report_sibling_path("out/a.b/r.json", ".timeline.html");
    assert_string_equal(p, "out/a.b/r.timeline.html");
    free(p);
    p = report_sibling_path("out.d/noext", ".timeline.html");
    assert_string_equal(p, "out.d/noext.timeline.html");
    free(p);
    sb_buf_free(&b);
    rec_store_free(s);
    sb_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(report_block_matches_seed_layout),
        cmocka_unit_test(report_block_with_concurrency_rate_goodput_and_e2el),
        cmocka_unit_test(report_block_without_tokenizer_drops_token_lines),
        cmocka_unit_test(report_block_queue_sections_need_a_concurrency_cap),
        cmocka_unit_test(report_block_reproduces_real_reference_output),
        cmocka_unit_test(report_pooling_block_and_json),
        cmocka_unit_test(report_spec_decode_section_from_prometheus),
        cmocka_unit_test(report_failures_cap_at_ten),
        cmocka_unit_test(report_py_float_is_python_repr),
        cmocka_unit_test(report_json_strings_are_ascii_escaped),
        cmocka_unit_test(report_random_bytes_never_break_escaping_or_metrics_parse),
        cmocka_unit_test(report_ns_seconds_match_float_repr),
        cmocka_unit_test(report_result_file_names),
        cmocka_unit_test(report_json_keys_order_and_types),
        cmocka_unit_test(report_json_ramp_up_and_goodput),
        cmocka_unit_test(report_takes_its_own_options_without_a_config),
        cmocka_unit_test(report_save_creates_dir_and_appends_json_lines),
        cmocka_unit_test(report_save_streams_large_detailed_result),
        cmocka_unit_test(report_spilled_texts_equal_texts_in_memory),
        cmocka_unit_test(report_plot_and_extras_render),
        cmocka_unit_test(report_timeline_merges_same_coloured_gaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
