/* SPDX-License-Identifier: Apache-2.0 */
/* tm_report.c - what a telemetry series says over the run (tm_summarize), as
 * result-JSON data and as a section of the additions block. Counters become
 * deltas and rates here, so a server restarted mid-run (a counter going back)
 * shows as a negative rate rather than being hidden. */
#include <math.h>
#include <string.h>

#include "core/pyfmt.h"
#include "telemetry/telemetry.h"

/* First and last rows (t <= end_ns) holding q; false when fewer than one. */
static bool ends(const tm_series *s, int64_t end_ns, tm_quantity q, const tm_row **a,
                 const tm_row **b)
{
    *a = *b = NULL;
    for (size_t i = 0; i < s->n_rows && s->rows[i].t_ns <= end_ns; i++)
        if (!isnan(s->rows[i].v[q])) {
            if (!*a)
                *a = &s->rows[i];
            *b = &s->rows[i];
        }
    return *a != NULL;
}

static double delta(const tm_series *s, int64_t end_ns, tm_quantity q)
{
    const tm_row *a, *b;
    return ends(s, end_ns, q, &a, &b) && a != b ? b->v[q] - a->v[q] : NAN;
}

static double rate(const tm_series *s, int64_t end_ns, tm_quantity q)
{
    const tm_row *a, *b;
    if (!ends(s, end_ns, q, &a, &b) || b->t_ns <= a->t_ns)
        return NAN;
    return (b->v[q] - a->v[q]) / ((double)(b->t_ns - a->t_ns) / 1e9);
}

static void gauge(const tm_series *s, int64_t end_ns, tm_quantity q, double *mean, double *peak)
{
    double sum = 0, mx = NAN;
    size_t n = 0;
    for (size_t i = 0; i < s->n_rows && s->rows[i].t_ns <= end_ns; i++) {
        double v = s->rows[i].v[q];
        if (isnan(v))
            continue;
        sum += v;
        n++;
        mx = isnan(mx) || v > mx ? v : mx;
    }
    *mean = n ? sum / (double)n : NAN;
    if (peak)
        *peak = mx;
}

void tm_summarize(const tm_series *s, int64_t end_ns, tm_summary *o)
{
    memset(o, 0, sizeof *o);
    o->samples = s->n_rows;
    gauge(s, end_ns, TM_KV_USAGE, &o->kv_mean, &o->kv_peak);
    gauge(s, end_ns, TM_RUNNING, &o->running_mean, &o->running_peak);
    gauge(s, end_ns, TM_WAITING, &o->waiting_mean, &o->waiting_peak);
    o->preemptions = delta(s, end_ns, TM_PREEMPTIONS);
    double dq = delta(s, end_ns, TM_PREFIX_QUERIES), dh = delta(s, end_ns, TM_PREFIX_HITS);
    if (dq > 0)
        o->prefix_hit_rate = dh / dq;
    else
        gauge(s, end_ns, TM_PREFIX_HIT_RATE, &o->prefix_hit_rate, NULL);
    double dd = delta(s, end_ns, TM_SPEC_DRAFT), da = delta(s, end_ns, TM_SPEC_ACCEPTED);
    o->spec_acceptance = dd > 0 ? da / dd : NAN;
    o->prompt_tok_per_s = rate(s, end_ns, TM_PROMPT_TOKENS);
    o->gen_tok_per_s = rate(s, end_ns, TM_GEN_TOKENS);
    gauge(s, end_ns, TM_GPU_UTIL, &o->gpu_util_mean, NULL);
    double unused;
    gauge(s, end_ns, TM_GPU_MEM_USED, &unused, &o->gpu_mem_peak);
    gauge(s, end_ns, TM_GPU_POWER, &o->gpu_power_mean, NULL);
    gauge(s, end_ns, TM_GPU_SM_CLOCK, &o->gpu_sm_clock_mean, NULL);
}

/* A number, or null for NaN (strict JSON readers reject a bare NaN). */
static void num(sb_buf *out, double v)
{
    if (isnan(v) || isinf(v))
        sb_buf_puts(out, "null");
    else
        pyfmt_json_number(out, v);
}

static void key_num(sb_buf *out, const char *k, double v, bool comma)
{
    sb_buf_printf(out, "\"%s\": ", k);
    num(out, v);
    if (comma)
        sb_buf_puts(out, ", ");
}

static bool has(const tm_series *s, tm_quantity q)
{
    for (size_t i = 0; i < s->n_rows; i++)
        if (!isnan(s->rows[i].v[q]))
            return true;
    return false;
}

/* The value of q at row i as reported: a gauge as sampled, a counter as its
 * rate since the previous row. */
static double shown(const tm_series *s, size_t i, tm_quantity q)
{
    if (!tm_quantity_is_counter(q))
        return s->rows[i].v[q];
    if (i == 0)
        return NAN;
    const tm_row *a = &s->rows[i - 1], *b = &s->rows[i];
    double dt = (double)(b->t_ns - a->t_ns) / 1e9;
    return dt > 0 ? (b->v[q] - a->v[q]) / dt : NAN;
}

static void series_json(sb_buf *out, const tm_series *s)
{
    sb_buf_puts(out, "\"t_s\": [");
    for (size_t i = 0; i < s->n_rows; i++) {
        sb_buf_puts(out, i ? ", " : "");
        num(out, (double)s->rows[i].t_ns / 1e9);
    }
    sb_buf_puts(out, "], \"series\": {");
    bool first = true;
    for (int q = 0; q < TM_COUNT_; q++) {
        if (!has(s, (tm_quantity)q))
            continue;
        sb_buf_printf(out, "%s\"%s%s\": [", first ? "" : ", ", tm_quantity_key((tm_quantity)q),
                      tm_quantity_is_counter((tm_quantity)q) ? "_per_s" : "");
        first = false;
        for (size_t i = 0; i < s->n_rows; i++) {
            sb_buf_puts(out, i ? ", " : "");
            num(out, shown(s, i, (tm_quantity)q));
        }
        sb_buf_putc(out, ']');
    }
    sb_buf_putc(out, '}');
}

static void summary_json(sb_buf *out, const tm_summary *m)
{
    sb_buf_puts(out, "\"summary\": {");
    sb_buf_printf(out, "\"samples\": %zu, ", m->samples);
    key_num(out, "kv_cache_usage_peak", m->kv_peak, true);
    key_num(out, "kv_cache_usage_mean", m->kv_mean, true);
    key_num(out, "requests_running_mean", m->running_mean, true);
    key_num(out, "requests_running_peak", m->running_peak, true);
    key_num(out, "requests_waiting_mean", m->waiting_mean, true);
    key_num(out, "requests_waiting_peak", m->waiting_peak, true);
    key_num(out, "preemptions", m->preemptions, true);
    key_num(out, "prefix_cache_hit_rate", m->prefix_hit_rate, true);
    key_num(out, "spec_decode_acceptance", m->spec_acceptance, true);
    key_num(out, "prompt_tokens_per_s", m->prompt_tok_per_s, true);
    key_num(out, "generation_tokens_per_s", m->gen_tok_per_s, true);
    key_num(out, "gpu_utilization_pct_mean", m->gpu_util_mean, true);
    key_num(out, "gpu_memory_used_mib_peak", m->gpu_mem_peak, true);
    key_num(out, "gpu_power_w_mean", m->gpu_power_mean, true);
    key_num(out, "gpu_sm_clock_mhz_mean", m->gpu_sm_clock_mean, false);
    sb_buf_putc(out, '}');
}

void tm_write_json(sb_buf *out, const char *key, const tm_series *s, const tm_summary *m)
{
    sb_buf_printf(out, "\"%s\": {\"url\": ", key);
    pyfmt_json_string(out, s->url ? s->url : "", s->url ? strlen(s->url) : 0);
    sb_buf_puts(out, ", ");
    key_num(out, "interval_s", s->interval_s, true);
    sb_buf_printf(out, "\"source\": \"%s\", ", s->source ? s->source : "unknown");
    series_json(out, s);
    sb_buf_puts(out, ", \"gaps\": [");
    for (size_t i = 0; i < s->n_gaps; i++) {
        sb_buf_puts(out, i ? ", {" : "{");
        key_num(out, "t_s", (double)s->gaps[i].t_ns / 1e9, true);
        sb_buf_puts(out, "\"error\": ");
        pyfmt_json_string(out, s->gaps[i].why, strlen(s->gaps[i].why));
        sb_buf_putc(out, '}');
    }
    sb_buf_puts(out, "], ");
    summary_json(out, m);
    sb_buf_putc(out, '}');
}

static void line(sb_buf *out, const char *label, double v, const char *fmt)
{
    if (isnan(v))
        return;
    sb_buf_printf(out, "%-40s ", label);
    sb_buf_printf(out, fmt, v);
    sb_buf_putc(out, '\n');
}

void tm_write_block(sb_buf *out, const char *title, const tm_series *s, const tm_summary *m)
{
    if (s->n_rows == 0 && s->n_gaps == 0)
        return;
    int pad = 50 - (int)strlen(title);
    sb_buf_printf(out, "%.*s%s%.*s\n", pad / 2,
                  "--------------------------------------------------", title, pad - pad / 2,
                  "--------------------------------------------------");
    sb_buf_printf(out, "%-40s %zu (%zu failed)\n", "Scrapes:", s->n_rows, s->n_gaps);
    line(out, "Peak KV-cache usage (%):", m->kv_peak * 100, "%.2f");
    line(out, "Mean KV-cache usage (%):", m->kv_mean * 100, "%.2f");
    line(out, "Mean running requests:", m->running_mean, "%.2f");
    line(out, "Mean waiting requests:", m->waiting_mean, "%.2f");
    line(out, "Preemptions:", m->preemptions, "%.0f");
    line(out, "Prefix-cache hit rate (%):", m->prefix_hit_rate * 100, "%.2f");
    line(out, "Spec-decode acceptance (%):", m->spec_acceptance * 100, "%.2f");
    line(out, "Server prompt tokens/s:", m->prompt_tok_per_s, "%.2f");
    line(out, "Server generated tokens/s:", m->gen_tok_per_s, "%.2f");
    line(out, "Mean GPU utilization (%):", m->gpu_util_mean, "%.2f");
    line(out, "Peak GPU memory used (MiB):", m->gpu_mem_peak, "%.0f");
    line(out, "Mean GPU power (W):", m->gpu_power_mean, "%.2f");
    line(out, "Mean SM clock (MHz):", m->gpu_sm_clock_mean, "%.0f");
}
