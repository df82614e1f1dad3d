/* SPDX-License-Identifier: Apache-2.0 */
/* rcharts.c - building chart descriptions from result and sweep files.
 *
 * Cost is linear in the number of values: the shown range of a histogram
 * comes from a quickselect (p99.9), the CDF from a 400-bin cumulative
 * histogram, scatter plots from a fixed stride, time series from one pass
 * over the token times. So a 1,000,000-request run with its ITLs draws in
 * well under a second and the page stays a few hundred kB. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/rcharts.h"

#define HIST_BINS 60
#define CDF_STEPS 400
#define SCATTER_MAX 3000
#define SERIES_MAX 2000     /* points of a time series after max-pooling */
#define BUCKETS_MAX 1000000 /* time buckets; longer runs get wider buckets */

static void add(report_charts *cs, chart *c, const char *section)
{
    if (cs->n == cs->cap) {
        cs->cap = cs->cap ? 2 * cs->cap : 16;
        cs->c = sb_xrealloc(cs->c, cs->cap * sizeof *cs->c);
        cs->section = sb_xrealloc(cs->section, cs->cap * sizeof *cs->section);
    }
    cs->c[cs->n] = c;
    cs->section[cs->n++] = sb_xstrdup(section);
}

static chart *mk(const char *prefix, const char *id, const char *title, const char *xl,
                 const char *yl)
{
    char full[128];
    snprintf(full, sizeof full, "%s%s", prefix, id);
    return chart_new(full, title, xl, yl);
}

static void swap(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* The k-th smallest of v[0..n) (v is reordered). */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo])
            swap(&v[mid], &v[lo]);
        if (v[hi] < v[lo])
            swap(&v[hi], &v[lo]);
        if (v[hi] < v[mid])
            swap(&v[hi], &v[mid]);
        double p = v[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < p)
                i++;
            while (v[j] > p)
                j--;
            if (i <= j) {
                swap(&v[i], &v[j]);
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* Percentile markers the run printed for metric m ("ttft"): mean, median and
 * every p<P>_<m>_ms key, in file order. */
static void markers(chart *c, const report_run *r, const char *m)
{
    char suffix[32], k[48], lab[64];
    snprintf(suffix, sizeof suffix, "_%s_ms", m);
    size_t sl = strlen(suffix);
    snprintf(k, sizeof k, "mean%s", suffix);
    double v = report_run_num(r, k);
    if (isfinite(v)) {
        snprintf(lab, sizeof lab, "mean %.4g", v);
        chart_add_marker(c, CHART_VLINE, 2, v, lab);
    }
    for (size_t i = 0; i < r->n_kv; i++) {
        const char *key = r->kv[i].key;
        size_t kl = strlen(key);
        bool median = !strncmp(key, "median_", 7);
        if (kl <= sl || strcmp(key + kl - sl, suffix) != 0 || (!median && key[0] != 'p') ||
            (!median && kl - sl < 2))
            continue;
        v = report_run_num(r, key);
        if (!isfinite(v))
            continue;
        if (median)
            snprintf(lab, sizeof lab, "p50 %.4g", v);
        else
            snprintf(lab, sizeof lab, "%.*s %.4g", (int)(kl - sl), key, v);
        chart_add_marker(c, CHART_VLINE, 1, v, lab);
    }
}

/* Histogram + CDF of values (ms) into two charts. v is reordered. */
static void distribution(report_charts *cs, const report_run *r, const char *prefix, const char *m,
                         const char *name, double *v, size_t n, const char *why)
{
    char id[64], title[128], xl[64];
    snprintf(xl, sizeof xl, "%s (ms)", name);
    snprintf(id, sizeof id, "%s-hist", m);
    snprintf(title, sizeof title, "%s histogram", name);
    chart *h = mk(prefix, id, title, xl, "requests");
    if (!strcmp(m, "itl"))
        free(h->y_label), h->y_label = sb_xstrdup("token gaps");
    snprintf(id, sizeof id, "%s-cdf", m);
    snprintf(title, sizeof title, "%s CDF", name);
    chart *c = mk(prefix, id, title, xl, "fraction at or below (%)");
    if (n == 0) {
        chart_set_note(h, "%s", why);
        chart_set_note(c, "%s", why);
    } else {
        double lo = v[0], max = v[0];
        for (size_t i = 1; i < n; i++) {
            lo = v[i] < lo ? v[i] : lo;
            max = v[i] > max ? v[i] : max;
        }
        double hi = select_kth(v, n, (size_t)((double)(n - 1) * 0.999));
        if (!(hi > lo))
            hi = max > lo ? max : lo + 1;
        size_t above = 0;
        double *cnt = sb_xcalloc(CDF_STEPS, sizeof *cnt);
        for (size_t i = 0; i < n; i++) {
            if (v[i] > hi) {
                above++;
                continue;
            }
            size_t b = (size_t)((v[i] - lo) / (hi - lo) * CDF_STEPS);
            cnt[b < CDF_STEPS ? b : CDF_STEPS - 1]++;
        }
        /* histogram: HIST_BINS bins from the fine counts (CDF_STEPS is a multiple) */
        double hx[HIST_BINS], hy[HIST_BINS], w = (hi - lo) / HIST_BINS;
        for (int b = 0; b < HIST_BINS; b++) {
            hx[b] = lo + b * w;
            hy[b] = 0;
            for (int k = 0; k < CDF_STEPS / HIST_BINS; k++)
                hy[b] += cnt[b * (CDF_STEPS / HIST_BINS) + k];
        }
        chart_series *s = chart_add(h, CHART_BARS, NULL, 0, hx, hy, HIST_BINS);
        s->bar_w = w * 0.92;
        double cx[CDF_STEPS + 1], cy[CDF_STEPS + 1], acc = 0;
        cx[0] = lo;
        cy[0] = 0;
        for (int b = 0; b < CDF_STEPS; b++) {
            acc += cnt[b];
            cx[b + 1] = lo + (b + 1) * (hi - lo) / CDF_STEPS;
            cy[b + 1] = 100.0 * acc / (double)n;
        }
        chart_add(c, CHART_LINE, NULL, 0, cx, cy, CDF_STEPS + 1);
        free(cnt);
        if (above) {
            chart_set_note(h, "%zu of %zu values above %.4g ms (p99.9) not drawn; max %.4g ms",
                           above, n, hi, max);
            chart_set_note(c, "%zu of %zu values above %.4g ms (p99.9) not drawn; max %.4g ms",
                           above, n, hi, max);
        }
    }
    markers(h, r, m);
    markers(c, r, m);
    add(cs, h, "Latency distributions");
    add(cs, c, "Latency distributions");
}

static bool is_failed(const report_run *r, size_t i)
{
    if (r->failed.n)
        return r->failed.v[i] != 0;
    return r->ttfts.v[i] == 0 && (!r->output_lens.n || r->output_lens.v[i] == 0);
}

static double e2el_s(const report_run *r, size_t i)
{
    if (r->latencies.n)
        return r->latencies.v[i];
    if (!r->itl_off.n)
        return NAN;
    double t = r->ttfts.v[i];
    for (size_t j = (size_t)r->itl_off.v[i]; j < (size_t)r->itl_off.v[i + 1]; j++)
        t += r->itls.v[j];
    return t;
}

/* Max-pools y[0..n) into at most SERIES_MAX points so peaks stay visible. */
static void series_line(chart *c, const double *y, size_t n, double dt, int colour)
{
    size_t cols = n < SERIES_MAX ? n : SERIES_MAX;
    double *px = sb_xmalloc((cols ? cols : 1) * sizeof *px),
           *py = sb_xmalloc((cols ? cols : 1) * sizeof *py);
    for (size_t k = 0; k < cols; k++) {
        size_t a = k * n / cols, b = (k + 1) * n / cols;
        double mx = 0;
        for (size_t i = a; i < b; i++)
            mx = y[i] > mx ? y[i] : mx;
        px[k] = (double)a * dt;
        py[k] = mx;
    }
    chart_add(c, CHART_LINE, NULL, colour, px, py, cols);
    if (cols < n)
        chart_set_note(c, "%zu buckets of %g s drawn as %zu points (maximum of each group)", n, dt,
                       cols);
    free(px);
    free(py);
}

/* The bucket of time t (s since the first start); values a malformed file
 * puts outside the run (negative, NaN, past the end) land in the edge ones. */
static size_t bucket(double t, double dt, size_t nb)
{
    if (!(t > 0))
        return 0;
    double b = t / dt;
    return b < (double)(nb - 1) ? (size_t)b : nb - 1;
}

/* e2e[i] is e2el_s(r, i), computed once (summing a request's ITLs is the
 * dearest part of it). */
static void time_series(report_charts *cs, const report_run *r, const char *prefix, size_t n,
                        const double *e2e)
{
    chart *tp = mk(prefix, "throughput-time", "Output tokens per second over time",
                   "time since the first request (s)", "output tokens/s");
    chart *cc = mk(prefix, "concurrency-time", "Concurrent requests over time",
                   "time since the first request (s)", "requests in flight");
    if (!r->start_times.n || !r->itl_off.n) {
        const char *why = "needs start_times and itls: run with --save-detailed";
        chart_set_note(tp, "%s", why);
        chart_set_note(cc, "%s", why);
    } else {
        double t0 = INFINITY, t1 = 0;
        for (size_t i = 0; i < n; i++)
            if (!is_failed(r, i)) {
                double s = r->start_times.v[i], e = s + e2e[i];
                t0 = s < t0 ? s : t0;
                t1 = e > t1 ? e : t1;
            }
        double span = t1 - t0;
        if (!(isfinite(span) && span >= 0 && span < 1e10)) {
            chart_set_note(tp, "start_times span %g s: not drawn", span);
            chart_set_note(cc, "start_times span %g s: not drawn", span);
        } else {
            /* 1 s buckets as the reference's peak figures; wider past BUCKETS_MAX */
            double dt = span < BUCKETS_MAX ? 1.0 : ceil(span / BUCKETS_MAX);
            size_t nb = (size_t)(span / dt) + 1;
            double *tok = sb_xcalloc(nb, sizeof *tok), *conc = sb_xcalloc(nb + 1, sizeof *conc);
            for (size_t i = 0; i < n; i++) {
                if (is_failed(r, i))
                    continue;
                double s = r->start_times.v[i] - t0, t = s + r->ttfts.v[i];
                tok[bucket(t, dt, nb)]++;
                for (size_t j = (size_t)r->itl_off.v[i]; j < (size_t)r->itl_off.v[i + 1]; j++) {
                    t += r->itls.v[j];
                    tok[bucket(t, dt, nb)]++;
                }
                /* in flight during bucket b when it started before b+1 and ended after b */
                conc[bucket(s, dt, nb)]++;
                conc[bucket(s + e2e[i], dt, nb) + 1]--;
            }
            for (size_t b = 0; b < nb; b++) {
                conc[b] += b ? conc[b - 1] : 0;
                tok[b] /= dt;
            }
            series_line(tp, tok, nb, dt, 0);
            series_line(cc, conc, nb, dt, 3);
            free(tok);
            free(conc);
        }
    }
    double pk = report_run_num(r, "max_output_tokens_per_s");
    if (isfinite(pk)) {
        char lab[64];
        snprintf(lab, sizeof lab, "printed peak %.0f tok/s", pk);
        chart_add_marker(tp, CHART_HLINE, 1, pk, lab);
    }
    add(cs, tp, "Over time");
    add(cs, cc, "Over time");
}

static void scatter(report_charts *cs, const report_run *r, const char *prefix, size_t n,
                    const double *e2e)
{
    chart *a = mk(prefix, "scatter-ttft-input", "TTFT vs input length", "input length (tokens)",
                  "TTFT (ms)");
    chart *b = mk(prefix, "scatter-e2el-output", "E2EL vs output length", "output length (tokens)",
                  "E2EL (ms)");
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += !is_failed(r, i);
    size_t stride = ok > SCATTER_MAX ? (ok + SCATTER_MAX - 1) / SCATTER_MAX : 1;
    double *x1 = sb_xmalloc((ok / stride + 1) * sizeof *x1),
           *y1 = sb_xmalloc((ok / stride + 1) * sizeof *y1);
    double *x2 = sb_xmalloc((ok / stride + 1) * sizeof *x2),
           *y2 = sb_xmalloc((ok / stride + 1) * sizeof *y2);
    size_t k = 0, seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_failed(r, i) || seen++ % stride)
            continue;
        x1[k] = r->input_lens.n ? r->input_lens.v[i] : NAN;
        y1[k] = r->ttfts.v[i] * 1e3;
        x2[k] = r->output_lens.n ? r->output_lens.v[i] : NAN;
        y2[k] = e2e[i] * 1e3;
        k++;
    }
    chart_add(a, CHART_POINTS, NULL, 0, x1, y1, k);
    chart_add(b, CHART_POINTS, NULL, 3, x2, y2, k);
    if (stride > 1) {
        chart_set_note(a, "every %zu-th of %zu successful requests drawn", stride, ok);
        chart_set_note(b, "every %zu-th of %zu successful requests drawn", stride, ok);
    }
    free(x1), free(y1), free(x2), free(y2);
    add(cs, a, "Per request");
    add(cs, b, "Per request");
}

/* ---- server-side time series (servebench.server_metrics, gpu_metrics) ---- */

/* The series key of either block, the preferred one first. */
static const report_vec *tm_series(const report_run *r, const char *key, bool gpu_first,
                                   const report_tm **from)
{
    const report_tm *order[2] = {gpu_first ? &r->gpu : &r->server,
                                 gpu_first ? &r->server : &r->gpu};
    for (int i = 0; i < 2; i++) {
        const report_vec *v = order[i]->present ? report_tm_get(order[i], key) : NULL;
        if (v && v->n) {
            *from = order[i];
            return v;
        }
    }
    return NULL;
}

/* One line of a telemetry series against its scrape times, y scaled by
 * scale. A failed scrape (gaps[].t_s) and a scrape without the value (null)
 * break the line there: nothing is drawn across a gap. Past SERIES_MAX rows
 * each group of rows becomes its maximum, still broken where the group
 * held a gap. */
static void tm_line(chart *c, const report_tm *tm, const report_vec *y, double scale,
                    const char *name, int colour, int dash)
{
    size_t rows = tm->t.n < y->n ? tm->t.n : y->n, ng = tm->gaps.n, n = rows + ng;
    double *mx = sb_xmalloc((n ? n : 1) * sizeof *mx), *my = sb_xmalloc((n ? n : 1) * sizeof *my);
    size_t k = 0, g = 0;
    for (size_t i = 0; i <= rows; i++) { /* rows and gaps merged in time order */
        while (g < ng && (i == rows || !(tm->gaps.v[g] > tm->t.v[i]))) {
            mx[k] = tm->gaps.v[g++];
            my[k++] = NAN;
        }
        if (i < rows) {
            mx[k] = tm->t.v[i];
            my[k++] = y->v[i] * scale;
        }
    }
    size_t groups = k < SERIES_MAX ? k : SERIES_MAX;
    double *px = sb_xmalloc(2 * (groups ? groups : 1) * sizeof *px),
           *py = sb_xmalloc(2 * (groups ? groups : 1) * sizeof *py);
    size_t m = 0;
    for (size_t q = 0; q < groups; q++) {
        size_t a = q * k / groups, b = (q + 1) * k / groups;
        double top = NAN;
        bool broken = false;
        for (size_t i = a; i < b; i++) {
            if (!isfinite(my[i]))
                broken = true;
            else if (!(my[i] <= top))
                top = my[i];
        }
        px[m] = mx[a];
        py[m++] = top;
        if (broken && !isnan(top)) {
            px[m] = mx[b - 1];
            py[m++] = NAN;
        }
    }
    chart_series *s = chart_add(c, CHART_LINE, name, colour, px, py, m);
    s->dash = dash;
    if (groups < k)
        chart_set_note(c, "%zu scrapes drawn as %zu points (maximum of each group)", k, groups);
    free(mx), free(my), free(px), free(py);
}

typedef struct tm_line_spec {
    const char *key, *name;
    double scale;
    int colour, dash;
} tm_line_spec;

/* A chart of the telemetry series in spec (those the file holds); none
 * when it holds none of them. */
static void tm_chart(report_charts *cs, const report_run *r, const char *prefix, const char *id,
                     const char *title, const char *yl, bool gpu, const tm_line_spec *spec,
                     size_t n_spec)
{
    chart *c = NULL;
    const report_tm *tm = NULL;
    for (size_t i = 0; i < n_spec; i++) {
        const report_tm *from;
        const report_vec *v = tm_series(r, spec[i].key, gpu, &from);
        if (!v)
            continue;
        if (!c)
            c = mk(prefix, id, title, "time since the benchmark start (s)", yl);
        tm_line(c, from, v, spec[i].scale, n_spec > 1 ? spec[i].name : NULL, spec[i].colour,
                spec[i].dash);
        tm = from;
    }
    if (!c)
        return;
    c->y_from_zero = true;
    c->x_from_zero = true;
    double end = report_run_num(r, "duration");
    if (isfinite(end) && end > 0)
        chart_add_marker(c, CHART_VLINE, 4, end, "end of the run");
    if (tm->gaps.n) {
        char *prev = c->note ? sb_xstrdup(c->note) : NULL;
        chart_set_note(c, "%s%s%zu failed scrape%s (%s): no line across them", prev ? prev : "",
                       prev ? "; " : "", tm->gaps.n, tm->gaps.n == 1 ? "" : "s",
                       tm->source ? tm->source : "metrics");
        free(prev);
    }
    add(cs, c, gpu ? "GPU metrics" : "Server metrics");
}

/* The prefix-cache hit rate per scrape interval: hits/s over queries/s from
 * the counters, else the server's own gauge. */
static void prefix_chart(report_charts *cs, const report_run *r, const char *prefix)
{
    const report_tm *tq = NULL, *th = NULL;
    const report_vec *q = tm_series(r, "prefix_cache_queries_per_s", false, &tq),
                     *h = tm_series(r, "prefix_cache_hits_per_s", false, &th);
    if (!q || !h || tq != th) {
        static const tm_line_spec g[] = {{"prefix_cache_hit_rate", "hit rate", 100, 2, 0}};
        tm_chart(cs, r, prefix, "server-prefix-cache", "Prefix-cache hit rate over time",
                 "hit rate (%)", false, g, 1);
        return;
    }
    size_t n = q->n < h->n ? q->n : h->n;
    report_vec rate = {sb_xmalloc((n ? n : 1) * sizeof(double)), n, n};
    for (size_t i = 0; i < n; i++)
        rate.v[i] = q->v[i] > 0 ? h->v[i] / q->v[i] : NAN;
    chart *c = mk(prefix, "server-prefix-cache", "Prefix-cache hit rate over time",
                  "time since the benchmark start (s)", "hit rate (%)");
    tm_line(c, tq, &rate, 100, NULL, 2, CHART_SOLID);
    c->y_from_zero = c->x_from_zero = true;
    double end = report_run_num(r, "duration");
    if (isfinite(end) && end > 0)
        chart_add_marker(c, CHART_VLINE, 4, end, "end of the run");
    char *prev = c->note ? sb_xstrdup(c->note) : NULL;
    chart_set_note(c,
                   "%s%shits / queries (tokens) between scrapes; none where nothing was looked up",
                   prev ? prev : "", prev ? "; " : "");
    free(prev);
    free(rate.v);
    add(cs, c, "Server metrics");
}

/* The server-side charts, only for the blocks the file holds. */
static void server_charts(report_charts *cs, const report_run *r, const char *prefix)
{
    if (r->server.present) {
        static const tm_line_spec req[] = {{"requests_running", "running", 1, 0, CHART_SOLID},
                                           {"requests_waiting", "waiting", 1, 1, CHART_DASHED}};
        tm_chart(cs, r, prefix, "server-requests", "Server requests running and waiting",
                 "requests", false, req, 2);
        static const tm_line_spec kv[] = {{"kv_cache_usage", "KV cache", 100, 3, CHART_SOLID}};
        tm_chart(cs, r, prefix, "server-kv-cache", "KV-cache usage over time", "KV-cache usage (%)",
                 false, kv, 1);
        prefix_chart(cs, r, prefix);
        static const tm_line_spec tok[] = {
            {"prompt_tokens_per_s", "prompt (prefill)", 1, 0, CHART_SOLID},
            {"generation_tokens_per_s", "generated", 1, 2, CHART_DASHED}};
        tm_chart(cs, r, prefix, "server-tokens", "Server token throughput over time", "tokens/s",
                 false, tok, 2);
        if (r->server.n_s == 0) {
            chart *c = mk(prefix, "server-requests", "Server requests running and waiting",
                          "time since the benchmark start (s)", "requests");
            chart_set_note(c, "no scrape of the server's metrics gave a value (%zu failed)",
                           r->server.gaps.n);
            add(cs, c, "Server metrics");
        }
    }
    if (r->gpu.present || report_tm_get(&r->server, "gpu_utilization_pct")) {
        static const tm_line_spec util[] = {
            {"gpu_utilization_pct", "utilisation", 1, 0, CHART_SOLID}};
        tm_chart(cs, r, prefix, "gpu-utilization", "GPU utilisation over time",
                 "GPU utilisation (%)", true, util, 1);
        static const tm_line_spec mem[] = {
            {"gpu_memory_used_mib", "memory used", 1, 3, CHART_SOLID}};
        tm_chart(cs, r, prefix, "gpu-memory", "GPU memory used over time", "GPU memory used (MiB)",
                 true, mem, 1);
        static const tm_line_spec pw[] = {{"gpu_power_w", "power", 1, 1, CHART_SOLID}};
        tm_chart(cs, r, prefix, "gpu-power", "GPU power draw over time", "GPU power (W)", true, pw,
                 1);
    }
}

void report_charts_run(report_charts *cs, const report_run *r, const char *prefix)
{
    size_t n = report_run_requests(r);
    double *ttft = sb_xmalloc((n ? n : 1) * sizeof *ttft),
           *e2el = sb_xmalloc((n ? n : 1) * sizeof *e2el);
    double *tpot = sb_xmalloc((n ? n : 1) * sizeof *tpot);
    double *e2e = sb_xmalloc((n ? n : 1) * sizeof *e2e); /* seconds; only read for successes */
    size_t nt = 0, ne = 0, np = 0;
    for (size_t i = 0; i < n; i++) {
        e2e[i] = NAN;
        if (is_failed(r, i))
            continue;
        e2e[i] = e2el_s(r, i);
        /* a null or non-finite value (a hand-edited file) is left out, not drawn */
        double t = r->ttfts.v[i], e = e2e[i];
        if (isfinite(t))
            ttft[nt++] = t * 1e3;
        if (isfinite(e))
            e2el[ne++] = e * 1e3;
        double out = r->output_lens.n ? r->output_lens.v[i] : 0;
        double tp = (e - t) * 1e3 / (out - 1);
        if (out > 1 && isfinite(tp)) /* vllm/benchmarks/serve.py: calculate_metrics */
            tpot[np++] = tp;
    }
    size_t ni = 0;
    double *itl = NULL;
    if (r->itl_off.n) {
        itl = sb_xmalloc((r->itls.n ? r->itls.n : 1) * sizeof *itl);
        for (size_t i = 0; i < n; i++)
            if (!is_failed(r, i))
                for (size_t j = (size_t)r->itl_off.v[i]; j < (size_t)r->itl_off.v[i + 1]; j++)
                    if (isfinite(r->itls.v[j]))
                        itl[ni++] = r->itls.v[j] * 1e3;
    }
    const char *why = "no per-request data: run with --save-detailed";
    distribution(cs, r, prefix, "ttft", "TTFT", ttft, nt, why);
    distribution(cs, r, prefix, "tpot", "TPOT", tpot, np, why);
    distribution(cs, r, prefix, "itl", "ITL", itl, ni, why);
    distribution(cs, r, prefix, "e2el", "E2EL", e2el, ne, why);
    free(ttft), free(e2el), free(tpot), free(itl);
    time_series(cs, r, prefix, n, e2e);
    scatter(cs, r, prefix, n, e2e);
    free(e2e);
    server_charts(cs, r, prefix);
}

/* ---- sweeps ---- */

static int cmp_load(const void *a, const void *b)
{
    const report_point *p = *(report_point *const *)a, *q = *(report_point *const *)b;
    return p->load < q->load ? -1 : p->load > q->load;
}

/* The x position of a point: its load, with inf drawn past the largest finite
 * load (the note says where). */
static double xpos(const report_point *p, double inf_at)
{
    return isinf(p->load) ? inf_at : p->load;
}

/* The series style of one metric: with one group the metrics take their own
 * colours; with several groups (other grid axes) a group keeps one colour
 * and the metric shows in the dash pattern. */
typedef struct mstyle {
    const char *key, *name;
    int colour, dash;
} mstyle;

static void lines_vs_load(chart *c, report_point **pts, size_t n, const mstyle *m, double inf_at,
                          bool many_groups)
{
    int group_no = 0;
    for (size_t g = 0; g < n; g++) {
        bool first = true;
        for (size_t j = 0; j < g; j++)
            first &= strcmp(pts[j]->group, pts[g]->group) != 0;
        if (!first)
            continue;
        double *x = sb_xmalloc(n * sizeof *x), *y = sb_xmalloc(n * sizeof *y);
        size_t k = 0;
        for (size_t j = 0; j < n; j++)
            if (!strcmp(pts[j]->group, pts[g]->group)) {
                x[k] = xpos(pts[j], inf_at);
                y[k++] = report_point_mean(pts[j], m->key);
            }
        char label[256];
        if (many_groups && *pts[g]->group)
            snprintf(label, sizeof label, "%s %s", m->name, pts[g]->group);
        else
            snprintf(label, sizeof label, "%s", m->name);
        int colour = many_groups ? group_no : m->colour;
        chart_series *s = chart_add(c, CHART_LINE, label, colour, x, y, k);
        s->dash = many_groups ? m->dash : CHART_SOLID;
        chart_add(c, CHART_POINTS, NULL, colour, x, y, k);
        group_no++;
        free(x);
        free(y);
    }
}

/* Mean requests in flight at a point: Little's law on the measured request
 * rate and mean E2EL (or TTFT + TPOT x (mean output - 1) when E2EL was not
 * a selected metric), else its --max-concurrency. */
static double point_concurrency(const report_point *p)
{
    double rate = report_point_mean(p, "request_throughput");
    double e2el = report_point_mean(p, "mean_e2el_ms");
    if (!isfinite(e2el)) {
        double out =
            report_point_mean(p, "total_output_tokens") / report_point_mean(p, "completed");
        e2el = report_point_mean(p, "mean_ttft_ms") +
               report_point_mean(p, "mean_tpot_ms") * (out > 1 ? out - 1 : 0);
    }
    double c = rate * e2el / 1e3;
    return isfinite(c) && c > 0 ? c : p->max_concurrency;
}

static void slo_lines(chart *c, const report_sweep *s, const char *const *keys)
{
    for (size_t i = 0; i < s->n_slo; i++) {
        bool match = false;
        for (const char *const *k = keys; *k; k++)
            match |= strstr(s->slo[i].key, *k) != NULL;
        if (!match)
            continue;
        char lab[160];
        snprintf(lab, sizeof lab, "SLO %s %s %g", s->slo[i].key, s->slo[i].op, s->slo[i].value);
        chart_add_marker(c, CHART_HLINE, 1, s->slo[i].value, lab);
    }
}

void report_charts_sweep(report_charts *cs, const report_sweep *s, const char *prefix)
{
    char xl[160];
    const char *axis = s->load_axis ? s->load_axis : "load";
    snprintf(xl, sizeof xl, "%s%s", axis,
             !strcmp(axis, "--request-rate")      ? " (requests/s)"
             : !strcmp(axis, "--max-concurrency") ? " (requests)"
                                                  : "");
    report_point **pts = sb_xmalloc((s->n_pts ? s->n_pts : 1) * sizeof *pts);
    size_t n = 0;
    double max_fin = 0;
    bool has_inf = false;
    for (size_t i = 0; i < s->n_pts; i++)
        if (s->pts[i].group && !isnan(s->pts[i].load) && s->pts[i].ok_runs > 0) {
            pts[n++] = &s->pts[i];
            if (isfinite(s->pts[i].load))
                max_fin = s->pts[i].load > max_fin ? s->pts[i].load : max_fin;
            else
                has_inf = true;
        }
    qsort(pts, n, sizeof *pts, cmp_load);
    double inf_at = max_fin > 0 ? max_fin * 1.25 : 1;
    bool many = false;
    for (size_t i = 1; i < n; i++)
        many |= strcmp(pts[i]->group, pts[0]->group) != 0;

    chart *ttft = mk(prefix, "sweep-ttft", "TTFT vs load", xl, "TTFT (ms)");
    static const mstyle ttft_m[] = {{"median_ttft_ms", "p50 TTFT", 0, CHART_SOLID},
                                    {"p99_ttft_ms", "p99 TTFT", 1, CHART_DASHED}};
    for (int k = 0; k < 2; k++)
        lines_vs_load(ttft, pts, n, &ttft_m[k], inf_at, many);
    slo_lines(ttft, s, (const char *const[]){"ttft", NULL});
    chart *tpot = mk(prefix, "sweep-tpot", "TPOT and ITL vs load", xl, "latency (ms)");
    static const mstyle tpot_m[] = {{"median_tpot_ms", "p50 TPOT", 0, CHART_SOLID},
                                    {"p99_tpot_ms", "p99 TPOT", 1, CHART_DASHED},
                                    {"p99_itl_ms", "p99 ITL", 2, CHART_DOTTED}};
    for (int k = 0; k < 3; k++)
        lines_vs_load(tpot, pts, n, &tpot_m[k], inf_at, many);
    slo_lines(tpot, s, (const char *const[]){"tpot", "itl", NULL});
    chart *thr = mk(prefix, "sweep-throughput", "Throughput vs load", xl, "tokens/s");
    static const mstyle thr_m[] = {{"output_throughput", "output tok/s", 0, CHART_SOLID},
                                   {"total_token_throughput", "total tok/s", 2, CHART_DASHED}};
    for (int k = 0; k < 2; k++)
        lines_vs_load(thr, pts, n, &thr_m[k], inf_at, many);
    slo_lines(thr, s, (const char *const[]){"throughput", NULL});
    chart *lat[] = {ttft, tpot, thr};
    for (int i = 0; i < 3; i++) {
        if (s->has_capacity && s->capacity_found && isfinite(s->capacity)) {
            char lab[96];
            snprintf(lab, sizeof lab, "capacity %.4g", s->capacity);
            chart_add_marker(lat[i], CHART_VLINE, 4, s->capacity, lab);
        }
        if (has_inf)
            lat[i]->x_inf = inf_at;
    }
    /* Pareto: vllm/benchmarks/sweep/plot_pareto.py puts tokens/s per user
     * (output throughput / concurrency) against total throughput. */
    chart *par = mk(prefix, "sweep-pareto", "Pareto front: throughput vs per-user speed",
                    "output tokens/s per user", "total tokens/s");
    double *px = sb_xmalloc((n ? n : 1) * sizeof *px), *py = sb_xmalloc((n ? n : 1) * sizeof *py);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double conc = point_concurrency(pts[i]);
        double out = report_point_mean(pts[i], "output_throughput");
        double tot = report_point_mean(pts[i], "total_token_throughput");
        if (isfinite(conc) && conc > 0 && isfinite(out) && isfinite(tot)) {
            px[m] = out / conc;
            py[m++] = tot;
        }
    }
    chart_add(par, CHART_POINTS, "points", 0, px, py, m);
    /* the front: points no other point beats on both axes, by falling x */
    double *fx = sb_xmalloc((m ? m : 1) * sizeof *fx), *fy = sb_xmalloc((m ? m : 1) * sizeof *fy);
    size_t nf = 0;
    for (size_t i = 0; i < m; i++) {
        bool dominated = false;
        for (size_t j = 0; j < m && !dominated; j++)
            dominated =
                j != i && px[j] >= px[i] && py[j] >= py[i] && (px[j] > px[i] || py[j] > py[i]);
        if (!dominated) {
            size_t k = nf++;
            while (k > 0 && fx[k - 1] < px[i]) {
                fx[k] = fx[k - 1];
                fy[k] = fy[k - 1];
                k--;
            }
            fx[k] = px[i];
            fy[k] = py[i];
        }
    }
    chart_add(par, CHART_LINE, "Pareto front", 1, fx, fy, nf);
    chart_set_note(par, "concurrency: requests in flight by Little's law (request rate x mean "
                        "E2EL), else --max-concurrency");
    free(px), free(py), free(fx), free(fy);
    add(cs, ttft, "Sweep");
    add(cs, tpot, "Sweep");
    add(cs, thr, "Sweep");
    add(cs, par, "Sweep");
    free(pts);
}

const chart *report_charts_find(const report_charts *cs, const char *id)
{
    for (size_t i = 0; i < cs->n; i++)
        if (!strcmp(cs->c[i]->id, id))
            return cs->c[i];
    return NULL;
}

void report_charts_free(report_charts *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        chart_free(cs->c[i]);
        free(cs->section[i]);
    }
    free(cs->c);
    free(cs->section);
    memset(cs, 0, sizeof *cs);
}

static void token_hist(report_charts *cs, const char *id, const char *title, const char *xl,
                       const double *v, size_t n, int colour)
{
    chart *c = chart_new(id, title, xl, "Frequency");
    if (n) {
        double lo = v[0], hi = v[0];
        for (size_t i = 1; i < n; i++) {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
        if (hi <= lo)
            hi = lo + 1;
        double x[30], y[30] = {0}, w = (hi - lo) / 30; /* numpy/matplotlib hist: 30 bins */
        for (int b = 0; b < 30; b++)
            x[b] = lo + b * w;
        for (size_t i = 0; i < n; i++) {
            size_t b = (size_t)((v[i] - lo) / w);
            y[b < 30 ? b : 29]++;
        }
        chart_series *s = chart_add(c, CHART_BARS, NULL, colour, x, y, 30);
        s->bar_w = w * 0.92;
    }
    add(cs, c, "Dataset");
}

void report_charts_dataset(report_charts *cs, const int *prompt_lens, const int *output_lens,
                           size_t n)
{
    double *p = sb_xmalloc((n ? n : 1) * sizeof *p), *o = sb_xmalloc((n ? n : 1) * sizeof *o),
           *t = sb_xmalloc((n ? n : 1) * sizeof *t);
    for (size_t i = 0; i < n; i++) {
        p[i] = prompt_lens[i];
        o[i] = output_lens[i];
        t[i] = p[i] + o[i];
    }
    token_hist(cs, "dataset-prompt", "Prompt Tokens Distribution", "Prompt Tokens", p, n, 0);
    token_hist(cs, "dataset-output", "Output Tokens Distribution", "Output Tokens", o, n, 3);
    token_hist(cs, "dataset-total", "Total Tokens Distribution", "Total Tokens (Prompt + Output)",
               t, n, 2);
    /* stacked bars per request; beyond SERIES_MAX requests every k-th one */
    size_t stride = n > SERIES_MAX ? (n + SERIES_MAX - 1) / SERIES_MAX : 1, k = 0;
    double *x = sb_xmalloc((n / stride + 1) * sizeof *x);
    for (size_t i = 0; i < n; i += stride, k++) {
        x[k] = (double)i;
        p[k] = p[i];
        o[k] = o[i];
    }
    chart *c =
        chart_new("dataset-requests", "Tokens per Request (Stacked)", "Request ID", "Tokens");
    chart_series *s = chart_add(c, CHART_BARS, "Prompt Tokens", 0, x, p, k);
    s->bar_w = (double)stride * 0.9;
    s = chart_add(c, CHART_BARS, "Output Tokens", 3, x, o, k);
    s->bar_w = (double)stride * 0.9;
    s->base = sb_xmalloc((k ? k : 1) * sizeof *s->base);
    memcpy(s->base, p, k * sizeof *p);
    if (stride > 1)
        chart_set_note(c, "every %zu-th of %zu requests drawn", stride, n);
    add(cs, c, "Dataset");
    free(p), free(o), free(t), free(x);
}

/* ---- multi-turn runs ---- */

/* One line of a per_turn figure against the turn index: the entries with a
 * completed turn and a number for the figure (a turn nobody completed has
 * only placeholder zeros). */
typedef double (*turn_fig)(const report_turn *t);
static double turn_ttft_mean(const report_turn *t)
{
    return t->ttft_mean;
}
static double turn_ttft_p99(const report_turn *t)
{
    return t->ttft_p99;
}
static double turn_input(const report_turn *t)
{
    return t->mean_input_len;
}

static void turn_line(chart *c, const report_run *r, turn_fig fig, const char *what, int colour,
                      int dash)
{
    double *x = sb_xmalloc(r->n_turns * sizeof *x), *y = sb_xmalloc(r->n_turns * sizeof *y);
    size_t n = 0;
    for (size_t i = 0; i < r->n_turns; i++) {
        const report_turn *t = &r->turns[i];
        double v = fig(t);
        if (t->completed > 0 && isfinite(v)) {
            x[n] = t->turn;
            y[n++] = v;
        }
    }
    if (n) {
        const char *slash = strrchr(r->path, '/');
        char name[160];
        snprintf(name, sizeof name, "%s%s%s", slash ? slash + 1 : r->path, what[0] ? " " : "",
                 what);
        chart_add(c, CHART_LINE, name, colour, x, y, n)->dash = dash;
    }
    free(x), free(y);
}

/* "turns-ttft" and "turns-input": TTFT and mean input length by turn
 * index (servebench.multi_turn.per_turn), one line per result file that has
 * them, so runs with and without a cache or different histories compare. */
static void turn_charts(report_charts *cs, const report_run *runs, size_t n_runs)
{
    size_t with = 0, skipped = 0;
    for (size_t i = 0; i < n_runs; i++) {
        with += runs[i].n_turns > 0;
        skipped += runs[i].turns_skipped;
    }
    if (!with && !skipped)
        return;
    chart *tt = chart_new("turns-ttft", "TTFT by turn (multi-turn)", "turn", "TTFT (ms)");
    chart *in = chart_new("turns-input", "Mean input length by turn (multi-turn)", "turn",
                          "mean input length (tokens)");
    int colour = 0;
    for (size_t i = 0; i < n_runs; i++) {
        const report_run *r = &runs[i];
        if (!r->n_turns)
            continue;
        turn_line(tt, r, turn_ttft_mean, "mean", colour, CHART_SOLID);
        turn_line(tt, r, turn_ttft_p99, "p99", colour, CHART_DASHED);
        turn_line(in, r, turn_input, "", colour, CHART_SOLID);
        colour = (colour + 1) % CHART_NSERIES;
    }
    chart *both[] = {tt, in};
    for (size_t k = 0; k < 2; k++) {
        both[k]->y_from_zero = true;
        if (skipped)
            chart_set_note(both[k],
                           "%zu per_turn entries left out (not an object, a field that is not a "
                           "number, or past %d)",
                           skipped, REPORT_MAX_TURNS);
        else
            chart_set_note(both[k], "turns that no conversation completed are left out");
        add(cs, both[k], "Multi-turn");
    }
}

int report_bundle_load(report_bundle *b, char *const *files, size_t n, sb_err *err)
{
    memset(b, 0, sizeof *b);
    b->runs = sb_xcalloc(n ? n : 1, sizeof *b->runs);
    b->sweeps = sb_xcalloc(n ? n : 1, sizeof *b->sweeps);
    for (size_t i = 0; i < n; i++) {
        char prefix[32] = "";
        if (i)
            snprintf(prefix, sizeof prefix, "f%zu-", i + 1);
        if (report_is_sweep(files[i])) {
            if (report_sweep_load(&b->sweeps[b->n_sweeps], files[i], err) != 0) {
                report_sweep_free(&b->sweeps[b->n_sweeps]);
                return -1;
            }
            report_charts_sweep(&b->charts, &b->sweeps[b->n_sweeps++], prefix);
        } else {
            if (report_run_load(&b->runs[b->n_runs], files[i], err) != 0) {
                report_run_free(&b->runs[b->n_runs]);
                return -1;
            }
            report_charts_run(&b->charts, &b->runs[b->n_runs++], prefix);
        }
    }
    turn_charts(&b->charts, b->runs, b->n_runs);
    return 0;
}

void report_bundle_free(report_bundle *b)
{
    for (size_t i = 0; i < b->n_runs; i++)
        report_run_free(&b->runs[i]);
    for (size_t i = 0; i < b->n_sweeps; i++)
        report_sweep_free(&b->sweeps[i]);
    free(b->runs);
    free(b->sweeps);
    report_charts_free(&b->charts);
    memset(b, 0, sizeof *b);
}
