/* SPDX-License-Identifier: Apache-2.0 */
/* metrics.c - reference aggregation (doc vllm/benchmarks/serve.py: calculate_metrics) over a
 * rec_store.
 *
 * One pass decides each request's output length (usage count, else the
 * re-tokenized text through a callback, else 1) and gathers the per-request
 * lists into one reusable scratch array; the pooled ITL list is summarised in
 * place by stats.c. The reference quirks are kept on purpose (the peak output
 * rate counts token messages, the peak concurrency counts every request that
 * touches a 1 s bucket); our exact figures sit in sb_metrics_ext. */
#include "metrics/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "metrics/stats.h"
#include "metrics/series.h"

static const char *const kind_names[SB_M_COUNT_] = {
    "ttft", "tpot", "itl", "e2el", "client_queue_time", "e2el_including_client_queue"};

const char *metrics_kind_name(sb_metric_kind k)
{
    return (k >= 0 && k < SB_M_COUNT_) ? kind_names[k] : "?";
}

bool metrics_backend_is_pooling(const char *b)
{
    return b &&
           (strstr(b, "embeddings") || !strcmp(b, "vllm-pooling") || !strcmp(b, "vllm-rerank"));
}

/* --percentile-metrics: comma list; unknown names select nothing, as in the
 * reference (the cli warns about them). The default depends on the task. */
static void select_metrics(const metrics_opts *cfg, bool pooling, bool *sel)
{
    const char *list = cfg->percentile_metrics ? cfg->percentile_metrics
                       : pooling               ? "e2el"
                                               : "ttft,tpot,itl";
    for (int k = 0; k < SB_M_COUNT_; k++)
        sel[k] = false;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        for (int k = 0; k < SB_M_COUNT_; k++)
            if (strlen(kind_names[k]) == len && !strncmp(p, kind_names[k], len))
                sel[k] = true;
        p += len;
        if (*p == ',')
            p++;
    }
}

/* -1 with err set when a spilled text cannot be read back. */
static int32_t output_len_of(const rec_store *s, size_t i, bool has_tok, const metrics_tok_cb *cb,
                             sb_err *err)
{
    const sb_record *r = &s->recs[i];
    if (r->output_tokens)
        return r->output_tokens;
    if (!rec_store_has_text(s, i) && r->output_len > 0)
        return r->output_len; /* the engine counted already and dropped the text */
    if (!has_tok || !cb || !cb->count)
        return 1;
    size_t len;
    const char *text = rec_store_text(s, i, &len, err);
    if (!text)
        return -1;
    size_t answer = rec_text_answer_len(r, len);
    long n = cb->count(cb->ctx, text, answer);
    if (n >= 0 && answer < len) {
        long a = cb->count(cb->ctx, text + answer + 1, len - answer - 1);
        n = a < 0 ? a : n + a;
    }
    return n < 0 ? 1 : (int32_t)n;
}

/* Every stat that owns a percentile array, for allocation and release. */
static size_t all_stats(sb_metrics *m, metrics_stat **all)
{
    size_t n = 0;
    for (int k = 0; k < SB_M_COUNT_; k++)
        all[n++] = &m->stat[k];
    all[n++] = &m->ext.ttft_corrected;
    all[n++] = &m->ext.e2el_corrected;
    all[n++] = &m->ext.itl_token;
    all[n++] = &m->ext.ttf_reasoning;
    all[n++] = &m->ext.ttf_answer;
    return n;
}

static void alloc_stats(sb_metrics *m)
{
    metrics_stat *all[SB_M_COUNT_ + 5];
    size_t n = all_stats(m, all);
    for (size_t i = 0; i < n; i++)
        all[i]->pct_ms = sb_xcalloc(m->n_pcts ? m->n_pcts : 1, sizeof(double));
}

/* Counts, totals, output lengths and goodput: the first loop of the
 * reference's calculate_metrics. */
static int count_requests(const rec_store *s, const metrics_opts *cfg, const metrics_tok_cb *cb,
                          sb_metrics *m, sb_err *err)
{
    double slo_ttft = cfg->goodput_ttft_ms / 1000.0, slo_tpot = cfg->goodput_tpot_ms / 1000.0;
    double slo_e2el = cfg->goodput_e2el_ms / 1000.0;
    long good = 0;
    for (size_t i = 0; i < s->n; i++) {
        const sb_record *r = &s->recs[i];
        m->ext.token_events += r->n_chunks;
        if (!r->success) {
            m->output_lens[i] = 0;
            m->failed++;
            m->ext.fail_by_reason[r->fail]++;
            continue;
        }
        int32_t out = output_len_of(s, i, m->has_tokenizer, cb, err);
        if (out < 0)
            return -1;
        m->output_lens[i] = out;
        m->completed++;
        m->total_input += r->prompt_len;
        m->total_output += out;
        double ttft = (double)r->ttft_ns / 1e9, lat = (double)r->latency_ns / 1e9;
        /* goodput's tpot is 0 when output <= 1 (reference comment) */
        double tpot = out > 1 ? (lat - ttft) / (out - 1) : 0.0;
        bool ok = !(slo_ttft < ttft) && !(slo_tpot < tpot) && !(slo_e2el < lat);
        good += ok; /* NAN SLOs compare false: "no SLO" always holds */
    }
    m->request_goodput = cfg->goodput_set ? (m->duration_s > 0 ? good / m->duration_s : 0.0) : NAN;
    return 0;
}

double metrics_queue_ns(const sb_record *r)
{
    return r->queued_ns && r->start_ns > r->queued_ns ? (double)(r->start_ns - r->queued_ns) : 0.0;
}

static void per_request_stats(const rec_store *s, sb_metrics *m, double *scratch)
{
    size_t n;
    n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].success)
            scratch[n++] = (double)s->recs[i].ttft_ns;
    stats_from_ns(scratch, n, m->pcts, m->n_pcts, &m->stat[SB_M_TTFT]);
    n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].success && m->output_lens[i] > 1)
            scratch[n++] = ((double)s->recs[i].latency_ns - (double)s->recs[i].ttft_ns) /
                           (m->output_lens[i] - 1);
    stats_from_ns(scratch, n, m->pcts, m->n_pcts, &m->stat[SB_M_TPOT]);
    n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].success)
            scratch[n++] = (double)s->recs[i].latency_ns;
    stats_from_ns(scratch, n, m->pcts, m->n_pcts, &m->stat[SB_M_E2EL]);
    /* client queue: the wait between becoming due and being sent ([newest]
     * reference, PR #54136); only meaningful when the engine set queued_ns */
    n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].success)
            scratch[n++] = metrics_queue_ns(&s->recs[i]);
    stats_from_ns(scratch, n, m->pcts, m->n_pcts, &m->stat[SB_M_QUEUE]);
    n = 0; /* refilled: stats_from_ns reorders the scratch array */
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].success)
            scratch[n++] = metrics_queue_ns(&s->recs[i]) + (double)s->recs[i].latency_ns;
    stats_from_ns(scratch, n, m->pcts, m->n_pcts, &m->stat[SB_M_E2EL_QUEUE]);
}

/* Coordinated-omission corrected latencies and send lag (ours). */
static void corrected_stats(const rec_store *s, sb_metrics *m, double *scratch)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].success)
            scratch[n++] = (double)s->recs[i].ttft_ns +
                           ((double)s->recs[i].start_ns - (double)s->recs[i].intended_ns);
    stats_from_ns(scratch, n, m->pcts, m->n_pcts, &m->ext.ttft_corrected);
    n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].success)
            scratch[n++] = (double)s->recs[i].latency_ns +
                           ((double)s->recs[i].start_ns - (double)s->recs[i].intended_ns);
    stats_from_ns(scratch, n, m->pcts, m->n_pcts, &m->ext.e2el_corrected);

    double lag_pcts[] = {50.0, 99.0};
    double lag_out[2] = {0};
    metrics_stat lag = {.pct_ms = lag_out};
    n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].done)
            scratch[n++] = (double)s->recs[i].start_ns - (double)s->recs[i].intended_ns;
    stats_from_ns(scratch, n, lag_pcts, 2, &lag);
    m->ext.send_lag_p50_ms = lag_out[0];
    m->ext.send_lag_p99_ms = lag_out[1];
    m->ext.send_lag_max_ms = lag.max_ms;
    n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].done && s->recs[i].queued_ns)
            scratch[n++] = (double)s->recs[i].queued_ns - (double)s->recs[i].intended_ns;
    stats_from_ns(scratch, n, lag_pcts, 2, &lag);
    m->ext.sched_lag_p99_ms = lag_out[1];
}

/* Reasoning / answer / tool-call channels of chat streams (ours). */
static void channel_stats(const rec_store *s, sb_metrics *m, double *scratch)
{
    sb_metrics_ext *x = &m->ext;
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const sb_record *r = &s->recs[i];
        x->structured_sent += r->structured != SB_STRUCT_NONE;
        if (!r->success)
            continue;
        x->structured_answered += r->structured >= SB_STRUCT_INVALID;
        x->structured_valid_json += r->structured >= SB_STRUCT_MISMATCH;
        x->structured_match += r->structured == SB_STRUCT_MATCH;
        x->reasoning_responses += r->n_reasoning_msgs > 0;
        x->tool_call_responses += r->n_tool_call_msgs > 0;
        x->reasoning_msgs += r->n_reasoning_msgs;
        x->answer_msgs += r->n_answer_msgs;
        x->tool_call_msgs += r->n_tool_call_msgs;
        if (r->n_reasoning_msgs)
            scratch[n++] = (double)r->reasoning_ttft_ns;
    }
    stats_from_ns(scratch, n, m->pcts, m->n_pcts, &x->ttf_reasoning);
    n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].success && s->recs[i].n_answer_msgs)
            scratch[n++] = (double)s->recs[i].answer_ttft_ns;
    stats_from_ns(scratch, n, m->pcts, m->n_pcts, &x->ttf_answer);
}

/* Token-accurate ITL (ours): each gap divided by the tokens it delivered. */
static void itl_token_stats(const rec_store *s, sb_metrics *m)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].success && s->recs[i].itl_tokens)
            n += s->recs[i].n_itl;
    m->ext.has_itl_token = n > 0;
    double *v = sb_xmalloc((n ? n : 1) * sizeof *v);
    n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const sb_record *r = &s->recs[i];
        if (!r->success || !r->itl_tokens)
            continue;
        for (uint32_t j = 0; j < r->n_itl; j++)
            v[n++] = (double)rec_store_itl_ns(s, i, j) / (r->itl_tokens[j] ? r->itl_tokens[j] : 1);
    }
    stats_from_ns(v, n, m->pcts, m->n_pcts, &m->ext.itl_token);
    free(v);
}

static int check_percentiles(const metrics_opts *cfg, sb_err *err)
{
    for (size_t i = 0; i < cfg->n_metric_percentiles; i++) {
        double p = cfg->metric_percentiles[i];
        if (!(p >= 0.0 && p <= 100.0))
            return sb_err_set(err, "--metric-percentiles: %g is not in [0, 100]", p);
    }
    return 0;
}

int metrics_compute(const rec_store *s, const metrics_opts *cfg, const metrics_tok_cb *cb,
                    sb_metrics *m, sb_err *err)
{
    memset(m, 0, sizeof *m);
    if (check_percentiles(cfg, err) < 0)
        return -1;
    m->n_pcts = cfg->n_metric_percentiles;
    m->pcts = sb_xmalloc((m->n_pcts ? m->n_pcts : 1) * sizeof *m->pcts);
    if (m->n_pcts)
        memcpy(m->pcts, cfg->metric_percentiles, m->n_pcts * sizeof *m->pcts);
    alloc_stats(m);
    m->pooling = metrics_backend_is_pooling(cfg->backend);
    select_metrics(cfg, m->pooling, m->selected);
    m->has_tokenizer = !cfg->skip_tokenizer_init;
    m->output_lens = sb_xcalloc(s->n ? s->n : 1, sizeof *m->output_lens);
    uint64_t dur = s->bench_end_ns > s->bench_start_ns ? s->bench_end_ns - s->bench_start_ns : 0;
    m->duration_s = (double)dur / 1e9;

    if (count_requests(s, cfg, cb, m, err) != 0) {
        metrics_free(m);
        return -1;
    }
    double secs = m->duration_s;
    m->request_throughput = secs > 0 ? m->completed / secs : 0.0;
    m->output_throughput = secs > 0 ? m->total_output / secs : 0.0;
    if (m->pooling) /* no generated tokens: input only (reference pooling metrics) */
        m->total_output = 0, m->output_throughput = 0.0;
    m->total_token_throughput = secs > 0 ? (m->total_input + m->total_output) / secs : 0.0;
    double audio_s = 0.0; /* summed in store order like the reference's loop */
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].success)
            audio_s += s->recs[i].input_audio_s;
    m->rtfx = secs > 0 ? audio_s / secs : 0.0;

    double *scratch = sb_xmalloc((s->n ? s->n : 1) * sizeof *scratch);
    per_request_stats(s, m, scratch);
    corrected_stats(s, m, scratch);
    channel_stats(s, m, scratch);
    free(scratch);
    series_tok tok;
    series_begin(s, &tok);
    stats_itl(s, m->pcts, m->n_pcts, &m->stat[SB_M_ITL], &tok); /* also fills tok */
    itl_token_stats(s, m);
    series_finish(s, &tok, m);

    m->ext.concurrency_used = cfg->max_concurrency > 0 ? cfg->max_concurrency : (long)s->n;
    m->ext.generate_speed_per_client =
        m->ext.concurrency_used > 0 ? m->output_throughput / m->ext.concurrency_used : 0.0;
    m->ext.token_events_per_s = secs > 0 ? m->ext.token_events / secs : 0.0;
    return 0;
}

void metrics_free(sb_metrics *m)
{
    metrics_stat *all[SB_M_COUNT_ + 5];
    size_t n = all_stats(m, all);
    for (size_t i = 0; i < n; i++)
        free(all[i]->pct_ms);
    free(m->pcts);
    free(m->output_lens);
    free(m->tokens_per_s);
    free(m->concurrent_per_s);
    memset(m, 0, sizeof *m);
}

void metrics_set_input_sequences(sb_metrics *m, long n)
{
    m->total_input_sequences = n;
    m->input_sequence_throughput = m->duration_s > 0 ? (double)n / m->duration_s : 0.0;
}

void metrics_probe_summary(double *e2el_ns, size_t n, long failed, metrics_probe *out)
{
    double p99 = 99.0, pct = 0.0; /* stats_from_ns writes it; cppcheck cannot see that */
    metrics_stat st = {.pct_ms = &pct};
    stats_from_ns(e2el_ns, n, &p99, 1, &st);
    *out = (metrics_probe){.ran = true,
                           .completed = (long)n,
                           .failed = failed,
                           .median_ms = st.median_ms,
                           .p99_ms = pct,
                           .max_ms = st.max_ms};
}

void metrics_stat_of(double *v_ns, size_t n, const double *pcts, size_t n_pcts, metrics_stat *st)
{
    stats_from_ns(v_ns, n, pcts, n_pcts, st);
}
