/* SPDX-License-Identifier: Apache-2.0 */
/* test_chart.c - the chart model and its two renderers, and the readers
 * behind `servebench report`/`plot`: SVG output parsed back with expat (well
 * formed, escaped text restored, every mark inside the view box), PNG output
 * decoded with libpng (size, not blank, series colour present), result and
 * sweep files read back (NaN/Infinity, nested keys, per-request arrays, bad
 * input named), the Pareto front and the HTML page's chart list. */
#include "testutil.h"

#include <expat.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chart/chart.h"
#include "report/html.h"
#include "report/rcharts.h"
#include "report/rdata.h"

/* ---- SVG parsed back ---- */

typedef struct svgstat {
    int depth, svg, polylines, rects, paths, texts, bad_coords;
    double w, h;
    sb_buf text; /* all <text> contents, '|' separated */
    bool in_text;
} svgstat;

static const char *attr(const char **a, const char *name)
{
    for (; a && a[0]; a += 2)
        if (!strcmp(a[0], name))
            return a[1];
    return NULL;
}

static void check_xy(svgstat *st, double x, double y)
{
    if (!(x >= -0.05 && x <= st->w + 0.05 && y >= -0.05 && y <= st->h + 0.05))
        st->bad_coords++;
}

static void on_start(void *ud, const char *name, const char **a)
{
    svgstat *st = ud;
    st->depth++;
    if (!strcmp(name, "svg")) {
        st->svg++;
        st->w = atof(attr(a, "width"));
        st->h = atof(attr(a, "height"));
    } else if (!strcmp(name, "polyline")) {
        st->polylines++;
        const char *p = attr(a, "points");
        double x, y;
        int n;
        while (p && sscanf(p, "%lf,%lf%n", &x, &y, &n) == 2) {
            check_xy(st, x, y);
            p += n;
        }
    } else if (!strcmp(name, "rect")) {
        st->rects++;
        if (attr(a, "x"))
            check_xy(st, atof(attr(a, "x")), atof(attr(a, "y")));
    } else if (!strcmp(name, "path")) {
        st->paths++;
        const char *d = attr(a, "d");
        double x, y;
        int n;
        while (d && sscanf(d, "M%lf %lfh0%n", &x, &y, &n) == 2) {
            check_xy(st, x, y);
            d += n;
        }
    } else if (!strcmp(name, "text")) {
        st->texts++;
        st->in_text = true;
    }
}

static void on_end(void *ud, const char *name)
{
    svgstat *st = ud;
    st->depth--;
    if (!strcmp(name, "text")) {
        st->in_text = false;
        sb_buf_putc(&st->text, '|');
    }
}

static void on_chars(void *ud, const char *s, int len)
{
    svgstat *st = ud;
    if (st->in_text)
        sb_buf_append(&st->text, s, (size_t)len);
}

static int parse_svg(const char *xml, size_t len, svgstat *st)
{
    memset(st, 0, sizeof *st);
    sb_buf_init(&st->text);
    XML_Parser p = XML_ParserCreate("UTF-8");
    XML_SetUserData(p, st);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_chars);
    int ok = XML_Parse(p, xml, (int)len, 1) == XML_STATUS_OK;
    if (!ok)
        fprintf(stderr, "expat: %s at line %lu\n", XML_ErrorString(XML_GetErrorCode(p)),
                XML_GetCurrentLineNumber(p));
    XML_ParserFree(p);
    return ok ? 0 : -1;
}

static chart *sample_chart(void)
{
    chart *c = chart_new("demo", "Demo <chart> & co", "TTFT (ms)", "requests");
    double x[5] = {10, 20, 30, 40, 50}, y[5] = {1, 4, 9, 16, 25};
    chart_series *b = chart_add(c, CHART_BARS, NULL, 0, x, y, 5);
    b->bar_w = 9;
    chart_add(c, CHART_LINE, "line \"a\"", 1, x, y, 5);
    double px[3] = {12, 33, 1e9}, py[3] = {3, 7, NAN}; /* NaN: not drawn */
    chart_add(c, CHART_POINTS, "dots", 2, px, py, 3);
    chart_add_marker(c, CHART_VLINE, 1, 45, "p99 45");
    chart_add_marker(c, CHART_VLINE, 1, 70, "right"); /* markers widen the x range */
    chart_add_marker(c, CHART_HLINE, 4, 20, "SLO <= 20");
    chart_set_note(c, "%d values above %s", 3, "p99.9");
    c->x_inf = 60; /* an unbounded load drawn at 60 */
    return c;
}

static void svg_parses_back_with_escaped_text_and_marks_inside(void **state)
{
    (void)state;
    chart *c = sample_chart();
    sb_buf out;
    sb_buf_init(&out);
    chart_svg(&out, c, 600, 400, true);
    svgstat st;
    assert_int_equal(parse_svg(out.data, out.len, &st), 0);
    assert_int_equal(st.svg, 1);
    assert_true(st.w == 600 && st.h == 400);
    assert_int_equal(st.bad_coords, 0);
    /* 5 bars + background + legend panel + the swatch of the dots (a line's is a line) */
    assert_int_equal(st.rects, 5 + 1 + 1 + 1);
    assert_int_equal(st.paths, 1);          /* one dots path (the NaN point left out) */
    assert_true(st.polylines >= 1 + 2 + 1); /* frame, 2 markers, 1 SLO line, grid, line */
    const char *t = st.text.data;
    assert_non_null(strstr(t, "|Demo <chart> & co|") ? strstr(t, "|Demo <chart> & co|")
                                                     : strstr(t, "Demo <chart> & co|"));
    assert_non_null(strstr(t, "|TTFT (ms)|"));
    assert_non_null(strstr(t, "|requests|"));
    assert_non_null(strstr(t, "|p99 45|"));
    assert_non_null(strstr(t, "|SLO <= 20|"));
    assert_non_null(strstr(t, "|line \"a\"|"));
    assert_non_null(strstr(t, "|3 values above p99.9|"));
    assert_non_null(strstr(t, "|inf|"));
    assert_null(strstr(t, "|60|")); /* the tick under "inf" gives way */
    /* the dots path holds exactly the 2 finite points */
    const char *d = strstr(out.data, "class=\"dt");
    assert_non_null(d);
    int m = 0;
    for (const char *q = strstr(d, " d=\""); q && *q && *q != '/'; q++)
        m += *q == 'M';
    assert_int_equal(m, 2);
    sb_buf_free(&st.text);
    sb_buf_free(&out);
    chart_free(c);
}

static void svg_of_an_empty_chart_says_no_data(void **state)
{
    (void)state;
    chart *c = chart_new("empty", "Empty", "x (s)", "y");
    sb_buf out;
    sb_buf_init(&out);
    chart_svg(&out, c, 300, 200, false);
    svgstat st;
    assert_int_equal(parse_svg(out.data, out.len, &st), 0);
    assert_non_null(strstr(st.text.data, "no data"));
    assert_false(chart_has_data(c));
    sb_buf_free(&st.text);
    sb_buf_free(&out);
    chart_free(c);
}

/* ---- PNG decoded with libpng ---- */

static void png_is_the_asked_size_not_blank_and_has_the_series_colour(void **state)
{
    (void)state;
    chart *c = sample_chart();
    char path[] = "/tmp/sb_chart_XXXXXX.png";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    sb_err err;
    const chart *list[4] = {c, c, c, c};
    assert_int_equal(chart_png(path, list, 4, 2, 400, 300, &err), 0);
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_file(&img, path));
    assert_int_equal(img.width, 800);
    assert_int_equal(img.height, 600);
    img.format = PNG_FORMAT_RGB;
    png_bytep px = malloc(PNG_IMAGE_SIZE(img));
    assert_true(png_image_finish_read(&img, NULL, px, 0, NULL));
    size_t n = (size_t)img.width * img.height, ink = 0, blue = 0;
    for (size_t i = 0; i < n; i++) {
        png_bytep p = px + 3 * i;
        ink += p[0] < 200 || p[1] < 200 || p[2] < 200;
        blue += p[0] == 0x1f && p[1] == 0x77 && p[2] == 0xb4; /* series 0: the bars */
    }
    assert_true(ink > n / 100);
    assert_true(blue > 500);
    /* the top-left pixel is the white background */
    assert_true(px[0] == 255 && px[1] == 255 && px[2] == 255);
    free(px);
    if (getenv("SB_KEEP_PNG"))
        printf("kept %s\n", path);
    else
        unlink(path);
    /* drawing again after the caches were freed loads them again */
    chart_png_shutdown();
    assert_int_equal(chart_png(path, list, 1, 1, 400, 300, &err), 0);
    chart_png_shutdown();
    assert_int_equal(chart_png("/nonexistent-dir/x.png", list, 1, 1, 400, 300, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.png"));
    assert_int_equal(chart_png(path, list, 1, 1, 50, 300, &err), -1);
    assert_non_null(strstr(err.msg, "out of range"));
    chart_png_shutdown();
    chart_free(c);
}

/* ---- result files ---- */

static char *write_tmp(const char *text)
{
    char *path = sb_xstrdup("/tmp/sb_rdata_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static const char result_json[] =
    "{\"date\": \"20261203-080000\", \"backend\": \"openai\", \"model_id\": \"m\", "
    "\"request_rate\": \"inf\", \"max_concurrency\": null, \"duration\": 2.5, \"completed\": 2, "
    "\"failed\": 1, \"rtfx\": NaN, \"max_output_tokens_per_s\": Infinity, "
    "\"input_lens\": [10, 20, 30], \"output_lens\": [3, 0, 2], "
    "\"ttfts\": [0.1, 0.0, 0.2], \"itls\": [[0.01, 0.02], [], [0.03]], "
    "\"start_times\": [100.0, 100.5, 101.0], \"generated_texts\": [\"a NaN\", \"\", \"b\"], "
    "\"errors\": [\"\", \"HTTP 500: Infinity\", \"\"], \"mean_ttft_ms\": 150.0, "
    "\"median_ttft_ms\": 150.0, \"p99_ttft_ms\": 199.0, \"p99.9_ttft_ms\": 199.9, "
    "\"servebench\": {\"workload_fingerprint\": \"abc\", \"partial\": true, "
    "\"requests_sent\": 3, \"requests_planned\": 10, \"scheduler_lag_p99_ms\": 25.0, "
    "\"client_cpu_pct\": 95.0, "
    "\"ttft_from_intended\": {\"n\": 2}}}\n{\"second\": 1}\n";

static void result_json_is_read_with_nan_infinity_nested_keys_and_arrays(void **state)
{
    (void)state;
    char *path = write_tmp(result_json);
    report_run r;
    sb_err err;
    assert_int_equal(report_run_load(&r, path, &err), 0);
    assert_string_equal(report_run_get(&r, "backend"), "openai");
    assert_true(isnan(report_run_num(&r, "rtfx")));
    assert_true(isinf(report_run_num(&r, "max_output_tokens_per_s")));
    assert_true(isinf(report_run_num(&r, "request_rate")));
    assert_true(report_run_num(&r, "p99.9_ttft_ms") == 199.9);
    assert_string_equal(report_run_get(&r, "servebench.workload_fingerprint"), "abc");
    assert_null(report_run_get(&r, "servebench.n")); /* deeper objects are not flattened */
    assert_null(report_run_get(&r, "second"));       /* only the first JSON Lines object */
    assert_int_equal(report_run_requests(&r), 3);
    assert_true(r.ttfts.v[2] == 0.2 && r.input_lens.v[1] == 20);
    assert_int_equal(r.itls.n, 3);
    assert_int_equal(r.itl_off.n, 4);
    assert_true(r.itl_off.v[1] == 2 && r.itl_off.v[2] == 2 && r.itl_off.v[3] == 3);
    assert_true(r.failed.v[0] == 0 && r.failed.v[1] == 1 && r.failed.v[2] == 0);
    assert_string_equal(report_client_health(&r), "client-limited");
    {
        report_charts none = {0};
        report_inputs in = {&r, 1, NULL, 0, &none};
        sb_buf html;
        sb_buf_init(&html);
        report_html(&html, &in);
        assert_non_null(strstr(html.data, "<b class=\"bad\">partial</b> (3 of 10 sent)"));
        assert_non_null(strstr(html.data, "<td class=\"h-client-limited\">client-limited</td>"));
        sb_buf_free(&html);
    }

    report_charts cs = {0};
    report_charts_run(&cs, &r, "");
    static const char *const ids[] = {
        "ttft-hist",       "ttft-cdf",         "tpot-hist",          "tpot-cdf",
        "itl-hist",        "itl-cdf",          "e2el-hist",          "e2el-cdf",
        "throughput-time", "concurrency-time", "scatter-ttft-input", "scatter-e2el-output"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        assert_non_null(report_charts_find(&cs, ids[i]));
    /* the printed markers: mean, median, p99, p99.9 of TTFT */
    const chart *h = report_charts_find(&cs, "ttft-hist");
    int marks = 0;
    for (size_t i = 0; i < h->n; i++)
        if (h->s[i].kind == CHART_VLINE)
            marks += (int)h->s[i].n;
    assert_int_equal(marks, 4);
    /* two successes drawn in the scatter, the failure left out */
    const chart *sc = report_charts_find(&cs, "scatter-ttft-input");
    assert_int_equal(sc->s[0].n, 2);
    assert_true(sc->s[0].x[1] == 30 && fabs(sc->s[0].y[1] - 200) < 1e-9);
    report_charts_free(&cs);
    report_run_free(&r);
    unlink(path);
    free(path);
}

/* What `vllm bench serve --save-result --save-detailed` writes (newest
 * keys: latencies, queue_times; perf_counter start times; no "servebench"). */
static const char reference_json[] =
    "{\"date\": \"20261203-080000\", \"endpoint_type\": \"vllm\", \"backend\": \"vllm\", "
    "\"label\": null, \"model_id\": \"Qwen/Qwen3-4B\", \"tokenizer_id\": \"Qwen/Qwen3-4B\", "
    "\"num_prompts\": 2, \"request_rate\": \"inf\", \"burstiness\": 1.0, "
    "\"max_concurrency\": null, \"duration\": 1.5, \"completed\": 2, \"failed\": 0, "
    "\"total_input_tokens\": 30, \"total_output_tokens\": 5, \"request_throughput\": 1.33, "
    "\"request_goodput\": null, \"output_throughput\": 3.3, \"total_token_throughput\": 23.3, "
    "\"input_lens\": [10, 20], \"output_lens\": [3, 2], \"ttfts\": [0.1, 0.2], "
    "\"itls\": [[0.05, 0.05], [0.1]], \"latencies\": [0.4, 0.5], "
    "\"start_times\": [81234.5, 81234.75], \"queue_times\": [0.0, 0.0], "
    "\"generated_texts\": [\"a\", \"b\"], \"errors\": [\"\", \"\"], "
    "\"max_output_tokens_per_s\": 4.0, \"max_concurrent_requests\": 2, \"rtfx\": 0.0, "
    "\"mean_ttft_ms\": 150.0, \"median_ttft_ms\": 150.0, \"std_ttft_ms\": 50.0, "
    "\"p99_ttft_ms\": 199.0}";

static void reference_result_uses_its_latencies_and_has_unknown_health(void **state)
{
    (void)state;
    char *path = write_tmp(reference_json);
    report_run r;
    sb_err err;
    assert_int_equal(report_run_load(&r, path, &err), 0);
    assert_string_equal(report_client_health(&r), "unknown");
    report_charts cs = {0};
    report_charts_run(&cs, &r, "");
    /* E2EL from "latencies" (0.4 s), not TTFT + ITLs (0.2 s) */
    const chart *sc = report_charts_find(&cs, "scatter-e2el-output");
    assert_int_equal(sc->s[0].n, 2);
    assert_true(fabs(sc->s[0].y[0] - 400) < 1e-9);
    /* concurrency over time from perf_counter start times: both in flight at t=0 */
    const chart *cc = report_charts_find(&cs, "concurrency-time");
    assert_true(cc->n >= 1 && cc->s[0].kind == CHART_LINE && cc->s[0].y[0] == 2);
    report_charts_free(&cs);
    report_run_free(&r);
    unlink(path);
    free(path);
}

/* Values no writer produces (negative, null, huge) are left out or land at
 * the edges; nothing is cast out of range (UBSan) or allocated from them. */
static void odd_values_draw_without_harm(void **state)
{
    (void)state;
    char *path =
        write_tmp("{\"duration\": 1, \"completed\": 3, \"ttfts\": [null, -5, 0.1], "
                  "\"itls\": [[NaN], [-1e300, 1e300], []], \"output_lens\": [2, 3, 1e300], "
                  "\"input_lens\": [1, 2, 3], \"start_times\": [NaN, -1e300, 5], "
                  "\"latencies\": [Infinity, -1, 0.2]}");
    report_run r;
    sb_err err;
    assert_int_equal(report_run_load(&r, path, &err), 0);
    report_charts cs = {0};
    report_charts_run(&cs, &r, "");
    assert_int_equal(cs.n, 12);
    const chart *tp = report_charts_find(&cs, "throughput-time");
    assert_non_null(tp->note); /* the start times span ~1e300 s: not drawn, said so */
    sb_buf svg;
    sb_buf_init(&svg);
    for (size_t i = 0; i < cs.n; i++)
        chart_svg(&svg, cs.c[i], 400, 300, false);
    assert_null(strstr(svg.data, "nan"));
    assert_null(strstr(svg.data, "inf\""));
    sb_buf_free(&svg);
    report_charts_free(&cs);
    report_run_free(&r);
    unlink(path);
    free(path);
}

static void bad_result_files_are_named_with_the_reason(void **state)
{
    (void)state;
    struct {
        const char *text, *want;
    } cases[] = {
        {"", "empty file"},
        {"{\"duration\": 1.0, \"completed\": 3, \"ttfts\": [0.1, ", "truncated"},
        {"{\"a\": 1}", "not a benchmark result JSON"},
        {"{\"duration\": 1, \"completed\": 2, \"ttfts\": [0.1, 0.2], \"input_lens\": [1]}",
         "differ in length"},
        {"{\"duration\": 1, oops}", "not valid JSON"},
        {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "nested deeper"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = write_tmp(cases[i].text);
        report_run r;
        sb_err err;
        assert_int_equal(report_run_load(&r, path, &err), -1);
        if (!strstr(err.msg, cases[i].want) || !strstr(err.msg, path))
            fail_msg("case %zu: '%s'", i, err.msg);
        report_run_free(&r);
        unlink(path);
        free(path);
    }
    report_run r;
    sb_err err;
    assert_int_equal(report_run_load(&r, "/nonexistent/r.json", &err), -1);
    assert_non_null(strstr(err.msg, "cannot open /nonexistent/r.json"));
    report_run_free(&r);
}

/* The reader is strict JSON plus the bare NaN/Infinity Python writes:
 * escapes and surrogate pairs decoded, long and exponent numbers through
 * strtod, and every grammar error named with its byte. */
static void json_reader_decodes_escapes_and_rejects_what_json_rejects(void **state)
{
    (void)state;
    char *path = write_tmp(
        "{\"duration\": 1, \"completed\": 1, \"s\": \"a\\u00e9\\ud83d\\ude00\\n\\\"/\\/\", "
        "\"lone\": \"\\udc00x\", \"utf8\": \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\", "
        "\"e\": 1.5e3, \"neg\": -0.25, \"big\": 123456789012345678901234, "
        "\"long\": 0.00000000000000000000000000000000000000000000000000000000000000000000001, "
        "\"ninf\": -Infinity, \"t\": true, \"o\": {\"x\": [1, {\"y\": []}]}, "
        "\"ttfts\": [0.012345678901234567, 1E-3, 0, -0.0]}\n{\"second\": 1}");
    report_run r;
    sb_err err;
    assert_int_equal(report_run_load(&r, path, &err), 0);
    assert_string_equal(report_run_get(&r, "s"), "a\xc3\xa9\xf0\x9f\x98\x80\n\"//");
    assert_string_equal(report_run_get(&r, "lone"), "\xef\xbf\xbdx");
    assert_string_equal(report_run_get(&r, "utf8"), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    assert_true(report_run_num(&r, "e") == 1500 && report_run_num(&r, "neg") == -0.25);
    assert_true(report_run_num(&r, "big") == 123456789012345678901234.0);
    assert_true(report_run_num(&r, "long") == 1e-71);
    assert_true(isinf(report_run_num(&r, "ninf")) && report_run_num(&r, "ninf") < 0);
    assert_string_equal(report_run_get(&r, "t"), "true");
    assert_null(report_run_get(&r, "o"));
    assert_int_equal(r.ttfts.n, 4);
    assert_true(r.ttfts.v[0] == strtod("0.012345678901234567", NULL) || /* within an ulp */
                fabs(r.ttfts.v[0] - 0.012345678901234567) < 1e-17);
    assert_true(r.ttfts.v[1] == 1e-3 && r.ttfts.v[2] == 0 && signbit(r.ttfts.v[3]));
    report_run_free(&r);
    unlink(path);
    free(path);

    struct {
        const char *text, *want;
    } bad[] = {
        {"{\"duration\": 01}", "near byte 14"},
        {"{\"duration\": 1,}", "a key (a string) expected"},
        {"{\"duration\" 1}", "':' expected"},
        {"{\"duration\": [1,]}", "a value expected"},
        {"{\"duration\": [1 2]}", "',' or ']' expected"},
        {"{\"duration\": \"a\x01\"}", "a control character"},
        {"{\"duration\": \"\xff\"}", "invalid UTF-8"},
        {"{\"duration\": \"\xc0\xaf\"}", "invalid UTF-8"},     /* overlong '/' */
        {"{\"duration\": \"\xed\xa0\x80\"}", "invalid UTF-8"}, /* an encoded surrogate */
        {"{\"duration\": \"\\q\"}", "an unknown escape"},
        {"{\"duration\": \"\\u12g4\"}", "four hex digits"},
        {"{\"duration\": tru}", "unknown word"},
        {"{\"duration\": 1.}", "a digit expected after '.'"},
        {"{\"duration\": 1e+}", "a digit expected in the exponent"},
        {"{\"duration\": -}", "a value expected"},
        {"{\"duration\": \"abc", "truncated"},
        {"{\"duration\": 1.5", "truncated"},
        {"  \n ", "truncated"},
        {"[1, 2]", "not a benchmark result JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        path = write_tmp(bad[i].text);
        assert_int_equal(report_run_load(&r, path, &err), -1);
        if (!strstr(err.msg, bad[i].want) || !strstr(err.msg, path))
            fail_msg("case %zu: '%s'", i, err.msg);
        report_run_free(&r);
        unlink(path);
        free(path);
    }
}

/* servebench.server_metrics and gpu_metrics become charts aligned on the
 * benchmark's clock; a failed scrape and a null value break the line, a
 * counter pair gives the prefix-cache hit rate per interval. */
static void server_metrics_become_charts_with_gaps_as_breaks(void **state)
{
    (void)state;
    char *path = write_tmp(
        "{\"duration\": 3.5, \"completed\": 1, \"servebench\": {\"version\": \"x\", "
        "\"server_metrics\": {\"url\": \"http://h/metrics\", \"interval_s\": 1.0, \"source\": "
        "\"vllm\", \"t_s\": [0, 1, 2, 3], \"series\": {\"kv_cache_usage\": [0.1, null, 0.5, 0.6], "
        "\"requests_running\": [1, 2, 3, 4], \"requests_waiting\": [0, 0, 1, 0], "
        "\"prefix_cache_queries_per_s\": [null, 10, 0, 20], "
        "\"prefix_cache_hits_per_s\": [null, 5, 0, 15]}, "
        "\"gaps\": [{\"t_s\": 2.5, \"error\": \"GET: HTTP 503\"}], "
        "\"summary\": {\"samples\": 4, \"kv_cache_usage_peak\": 0.6}}, "
        "\"gpu_metrics\": {\"url\": \"u\", \"interval_s\": 1.0, \"source\": \"dcgm\", \"t_s\": "
        "[0.5, "
        "1.5], \"series\": {\"gpu_memory_used_mib\": [3000, 3010]}, \"gaps\": [], \"summary\": "
        "{}}, "
        "\"client_cpu_pct\": 5}}");
    report_run r;
    sb_err err;
    assert_int_equal(report_run_load(&r, path, &err), 0);
    assert_true(r.server.present && r.gpu.present);
    assert_string_equal(r.server.source, "vllm");
    assert_true(r.server.interval_s == 1.0);
    assert_int_equal(r.server.t.n, 4);
    assert_int_equal(r.server.gaps.n, 1);
    assert_true(r.server.gaps.v[0] == 2.5);
    const report_vec *kv = report_tm_get(&r.server, "kv_cache_usage");
    assert_non_null(kv);
    assert_true(kv->n == 4 && isnan(kv->v[1]) && kv->v[3] == 0.6);
    assert_null(report_run_get(&r, "servebench.server_metrics"));
    assert_string_equal(report_run_get(&r, "servebench.client_cpu_pct"), "5"); /* after the block */

    report_charts cs = {0};
    report_charts_run(&cs, &r, "");
    const chart *c = report_charts_find(&cs, "server-kv-cache");
    assert_non_null(c);
    assert_string_equal(c->y_label, "KV-cache usage (%)");
    /* rows and the gap merged in time order: 0, 1, 2, 2.5 (gap), 3 */
    assert_int_equal(c->s[0].n, 5);
    assert_true(c->s[0].x[3] == 2.5 && isnan(c->s[0].y[3]));
    assert_true(fabs(c->s[0].y[0] - 10) < 1e-9 && isnan(c->s[0].y[1]) && c->s[0].y[4] == 60);
    const chart *p = report_charts_find(&cs, "server-prefix-cache");
    assert_non_null(p);
    assert_true(p->s[0].y[1] == 50 && isnan(p->s[0].y[2]) && p->s[0].y[4] == 75);
    const chart *q = report_charts_find(&cs, "server-requests");
    assert_non_null(q);
    assert_int_equal(q->n, 3); /* running, waiting, the end-of-run marker */
    assert_true(q->s[2].kind == CHART_VLINE && q->s[2].x[0] == 3.5);
    assert_non_null(report_charts_find(&cs, "gpu-memory"));
    assert_null(report_charts_find(&cs, "gpu-utilization")); /* not in the file */
    assert_null(report_charts_find(&cs, "server-tokens"));
    assert_non_null(strstr(c->note, "1 failed scrape"));
    /* the SVG draws no segment across the null (t=1) or the gap (t=2.5): the
     * three stretches are single points, each its own polyline and dot */
    sb_buf svg;
    sb_buf_init(&svg);
    chart_svg(&svg, c, 400, 300, true);
    size_t lines = 0;
    for (const char *x = svg.data; (x = strstr(x, "<polyline class=\"ln c-s3\"")); x++)
        lines++;
    assert_int_equal(lines, 3);
    sb_buf_free(&svg);
    report_charts_free(&cs);
    report_run_free(&r);
    unlink(path);
    free(path);
}

/* servebench.multi_turn.per_turn becomes the turns-ttft and turns-input
 * charts across files; entries of the wrong shape are left out and counted. */
static void per_turn_figures_become_turn_charts(void **state)
{
    (void)state;
    char *a = write_tmp(
        "{\"duration\": 2, \"completed\": 5, \"servebench\": {\"multi_turn\": {\"conversations\": "
        "3, \"turn\": 99, \"per_turn\": [{\"turn\": 1, \"requests\": 3, \"completed\": 3, "
        "\"mean_input_len\": 20.5, \"mean_output_len\": 4.0, \"ttft_ms\": {\"mean\": 1.25, "
        "\"median\": 1.0, \"std\": 0.1, \"p99\": 2.5}, \"tpot_ms\": {\"mean\": 7, \"p99\": 8}}, "
        "{\"turn\": 2, \"requests\": 2, \"completed\": 2, \"mean_input_len\": 40.0, "
        "\"mean_output_len\": 5.0, \"ttft_ms\": {\"mean\": 3.5, \"median\": 3.0, \"p99\": 4.75}}, "
        "{\"turn\": 3, \"requests\": 1, \"completed\": 0, \"mean_input_len\": 0.0, "
        "\"ttft_ms\": {\"mean\": 0.0, \"p99\": 0.0}}, "
        "7, [1, 2], {\"turn\": \"4\"}, {\"turn\": 5, \"completed\": true}, "
        "{\"turn\": 6, \"mean_input_len\": {\"x\": 1}}, {\"requests\": 1}]}, "
        "\"client_cpu_pct\": 5}}");
    char *b = write_tmp("{\"duration\": 1, \"completed\": 1}");
    char *files[] = {a, b};
    report_bundle bu;
    sb_err err;
    assert_int_equal(report_bundle_load(&bu, files, 2, &err), 0);
    const report_run *r = &bu.runs[0];
    assert_int_equal(r->n_turns, 3);
    assert_int_equal(r->turns_skipped, 6);
    assert_true(r->turns[0].turn == 1 && r->turns[0].ttft_mean == 1.25 &&
                r->turns[0].ttft_p99 == 2.5 && r->turns[0].mean_input_len == 20.5);
    assert_true(r->turns[1].ttft_median == 3.0 && r->turns[2].completed == 0);
    /* scalars around the block are still read; the block's own are not top-level keys */
    assert_string_equal(report_run_get(r, "servebench.client_cpu_pct"), "5");
    assert_null(report_run_get(r, "servebench.turn"));
    assert_int_equal(bu.runs[1].n_turns, 0);

    const chart *t = report_charts_find(&bu.charts, "turns-ttft");
    const chart *in = report_charts_find(&bu.charts, "turns-input");
    assert_non_null(t);
    assert_non_null(in);
    assert_null(report_charts_find(&bu.charts, "f2-turns-ttft"));
    /* one file with turns: mean and p99; turn 3 (nobody completed it) left out */
    assert_int_equal(t->n, 2);
    assert_int_equal(t->s[0].n, 2);
    assert_true(t->s[0].x[0] == 1 && t->s[0].x[1] == 2);
    assert_true(t->s[0].y[0] == 1.25 && t->s[0].y[1] == 3.5);
    assert_true(t->s[1].dash == CHART_DASHED && t->s[1].y[0] == 2.5 && t->s[1].y[1] == 4.75);
    assert_non_null(strstr(t->s[1].name, " p99"));
    assert_int_equal(in->n, 1);
    assert_true(in->s[0].n == 2 && in->s[0].y[0] == 20.5 && in->s[0].y[1] == 40.0);
    assert_non_null(strstr(in->note, "6 per_turn entries left out"));
    report_bundle_free(&bu);

    /* no input with per_turn: no turn charts */
    char *only[] = {b};
    assert_int_equal(report_bundle_load(&bu, only, 1, &err), 0);
    assert_null(report_charts_find(&bu.charts, "turns-ttft"));
    report_bundle_free(&bu);
    unlink(a), unlink(b);
    free(a), free(b);
}

/* ---- sweeps ---- */

static void sweep_file_gives_points_capacity_and_the_pareto_front(void **state)
{
    (void)state;
    char *path = tu_data_path("report/sweep.jsonl");
    assert_true(report_is_sweep(path));
    report_sweep s;
    sb_err err;
    assert_int_equal(report_sweep_load(&s, path, &err), 0); /* cut last line tolerated */
    assert_int_equal(s.n_pts, 3);
    assert_string_equal(s.load_axis, "--request-rate");
    assert_true(s.has_capacity && s.capacity_found && s.capacity == 2);
    assert_int_equal(s.n_slo, 1);
    assert_int_equal(s.n_failed_runs, 1);
    assert_true(s.pts[2].partial);
    assert_string_equal(s.pts[2].client_health, "client-limited");
    assert_true(report_point_mean(&s.pts[1], "p99_ttft_ms") == 120);
    report_charts cs = {0};
    report_charts_sweep(&cs, &s, "");
    const chart *lat = report_charts_find(&cs, "sweep-ttft");
    const chart *thr = report_charts_find(&cs, "sweep-throughput");
    const chart *par = report_charts_find(&cs, "sweep-pareto");
    assert_non_null(lat);
    assert_non_null(report_charts_find(&cs, "sweep-tpot"));
    assert_non_null(thr);
    assert_non_null(par);
    bool slo = false, cap = false;
    for (size_t i = 0; i < lat->n; i++) {
        slo |= lat->s[i].kind == CHART_HLINE && lat->s[i].x[0] == 500;
        cap |= lat->s[i].kind == CHART_VLINE && lat->s[i].x[0] == 2;
    }
    assert_true(slo && cap);
    /* Little's law concurrency: 1, 2.2, 6.3 -> per-user 100, 86.4, 31.7; the
     * third point (500 total tok/s) is beaten by the second on both axes */
    const chart_series *front = NULL;
    for (size_t i = 0; i < par->n; i++)
        if (par->s[i].kind == CHART_LINE)
            front = &par->s[i];
    assert_non_null(front);
    assert_int_equal(front->n, 2);
    assert_true(front->x[0] == 100 && front->y[0] == 300);
    assert_true(front->y[1] == 560);

    report_inputs in = {NULL, 0, &s, 1, &cs};
    sb_buf html;
    sb_buf_init(&html);
    report_html(&html, &in);
    assert_non_null(strstr(html.data, "data-chart=\"sweep-pareto\""));
    assert_non_null(strstr(html.data, "Capacity under the SLOs: <b>2</b>"));
    assert_null(strstr(html.data, "<script"));
    sb_buf_free(&html);
    report_charts_free(&cs);
    report_sweep_free(&s);
    free(path);

    char *bad = write_tmp("{\"type\": \"point\", \"point\": 0}\n");
    assert_int_equal(report_sweep_load(&s, bad, &err), -1);
    if (!strstr(err.msg, ":1: a \"point\" line before the \"sweep\" line"))
        fail_msg("%s", err.msg);
    report_sweep_free(&s);
    unlink(bad);
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(svg_parses_back_with_escaped_text_and_marks_inside),
        cmocka_unit_test(svg_of_an_empty_chart_says_no_data),
        cmocka_unit_test(png_is_the_asked_size_not_blank_and_has_the_series_colour),
        cmocka_unit_test(result_json_is_read_with_nan_infinity_nested_keys_and_arrays),
        cmocka_unit_test(reference_result_uses_its_latencies_and_has_unknown_health),
        cmocka_unit_test(odd_values_draw_without_harm),
        cmocka_unit_test(bad_result_files_are_named_with_the_reason),
        cmocka_unit_test(json_reader_decodes_escapes_and_rejects_what_json_rejects),
        cmocka_unit_test(server_metrics_become_charts_with_gaps_as_breaks),
        cmocka_unit_test(per_turn_figures_become_turn_charts),
        cmocka_unit_test(sweep_file_gives_points_capacity_and_the_pareto_front),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
