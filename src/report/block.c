/* SPDX-License-Identifier: Apache-2.0 */
/* block.c - the printed result block (vllm/benchmarks/serve.py: benchmark), the failure
 * listing, and servebench's additions section.
 *
 * Python's "{:<40} {:<10}" and "{:<40} {:<10.2f}" are printf's "%-40s %-10ld"
 * and "%-40s %-10.2f" (both pad with trailing spaces and never truncate), and
 * "{s:{c}^{n}}" centring puts the odd padding column on the right. Users diff
 * these blocks and scripts grep them, so every label and condition is the
 * reference's; our own lines never go inside the reference block. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

#include "core/pyfmt.h"
#include "report/report.h"

static void title(sb_buf *out, const char *s, char fill)
{
    int len = (int)strlen(s), pad = len < 50 ? 50 - len : 0;
    int left = pad / 2;
    for (int i = 0; i < left; i++)
        sb_buf_putc(out, fill);
    sb_buf_puts(out, s);
    for (int i = 0; i < pad - left; i++)
        sb_buf_putc(out, fill);
    sb_buf_putc(out, '\n');
}

static void line_i(sb_buf *out, const char *label, long v)
{
    sb_buf_printf(out, "%-40s %-10ld\n", label, v);
}

static void line_f(sb_buf *out, const char *label, double v)
{
    sb_buf_printf(out, "%-40s %-10.2f\n", label, v);
}

static void stat_section(sb_buf *out, const sb_metrics *m, sb_metric_kind k, const char *header,
                         const char *name)
{
    char label[96], pw[40];
    const metrics_stat *st = &m->stat[k];
    title(out, header, '-');
    snprintf(label, sizeof label, "Mean %s (ms):", name);
    line_f(out, label, st->mean_ms);
    snprintf(label, sizeof label, "Median %s (ms):", name);
    line_f(out, label, st->median_ms);
    for (size_t i = 0; i < m->n_pcts; i++) {
        pyfmt_pct_word(pw, sizeof pw, m->pcts[i]);
        snprintf(label, sizeof label, "P%s %s (ms):", pw, name);
        line_f(out, label, st->pct_ms[i]);
    }
}

/* A failure text can quote a server's body: invalid UTF-8 and control bytes
 * (an ESC sequence would drive the terminal) are written as \xNN, so the
 * line says what was received without passing raw bytes on. */
void report_put_text(sb_buf *out, const char *s)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t len = strlen(s);
    while (len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p, (utf8proc_ssize_t)len, &cp);
        if (k <= 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            size_t bad = k > 0 ? (size_t)k : 1;
            for (size_t i = 0; i < bad; i++)
                sb_buf_printf(out, "\\x%02x", p[i]);
            p += bad, len -= bad;
            continue;
        }
        sb_buf_append(out, (const char *)p, (size_t)k);
        p += k, len -= (size_t)k;
    }
}

void report_failures(sb_buf *out, const rec_store *s)
{
    size_t shown = 0;
    for (size_t i = 0; i < s->n && shown < 10; i++) {
        const sb_record *r = &s->recs[i];
        if (r->success)
            continue;
        if (shown == 0)
            sb_buf_puts(out, "Failed requests during benchmark run detected (capping to 10):\n");
        sb_buf_printf(out, "Error %zu: ", shown++);
        report_put_text(out, r->error ? r->error : "");
        sb_buf_putc(out, '\n');
    }
}

static void spec_section(sb_buf *out, const specdec_result *sp)
{
    title(out, "Speculative Decoding", '-');
    line_f(out, "Acceptance rate (%):", sp->acceptance_rate_pct);
    line_f(out, "Acceptance length:", sp->acceptance_length);
    line_i(out, "Drafts:", sp->drafts);
    line_i(out, "Draft tokens:", sp->draft_tokens);
    line_i(out, "Accepted tokens:", sp->accepted);
    if (sp->n_pos)
        sb_buf_puts(out, "Per-position acceptance (%):\n");
    for (size_t k = 0; k < sp->n_pos; k++) {
        char label[48];
        snprintf(label, sizeof label, "  Position %zu:", k);
        line_f(out, label, sp->per_pos_rate[k] * 100.0);
    }
}

void report_block(sb_buf *out, const report_opts *ro, const sb_metrics *m)
{
    bool tok = m->has_tokenizer, gen = !m->pooling;
    title(out, " Serving Benchmark Result ", '=');
    line_i(out, "Successful requests:", m->completed);
    line_i(out, "Failed requests:", m->failed);
    if (ro->max_concurrency > 0)
        line_i(out, "Maximum request concurrency:", ro->max_concurrency);
    if (!isinf(ro->request_rate))
        line_f(out, "Request rate configured (RPS):", ro->request_rate);
    line_f(out, "Benchmark duration (s):", m->duration_s);
    line_i(out, "Total input tokens:", m->total_input);
    if (gen && tok)
        line_i(out, "Total generated tokens:", m->total_output);
    line_f(out, "Request throughput (req/s):", m->request_throughput);
    if (!gen)
        line_f(out, "Input throughput (inputs/s):", m->input_sequence_throughput);
    if (ro->goodput_set)
        line_f(out, "Request goodput (req/s):", m->request_goodput);
    if (gen && tok) {
        line_f(out, "Output token throughput (tok/s):", m->output_throughput);
        line_f(out, "Peak output token throughput (tok/s):", m->max_output_tokens_per_s);
    }
    if (gen)
        line_f(out, "Peak concurrent requests:", (double)m->max_concurrent_requests);
    if (gen && m->rtfx > 0) /* audio requests only (3.8) */
        line_f(out, "RTFx (Inverse Real-Time Factor):", m->rtfx);
    if (tok)
        line_f(out, "Total token throughput (tok/s):", m->total_token_throughput);
    if (m->probe.ran && m->probe.completed > 0) {
        title(out, "Probe Requests", '-');
        line_i(out, "Probe requests completed:", m->probe.completed);
        line_i(out, "Probe requests failed:", m->probe.failed);
        line_f(out, "Median probe E2EL (ms):", m->probe.median_ms);
        line_f(out, "P99 probe E2EL (ms):", m->probe.p99_ms);
        line_f(out, "Max probe E2EL (ms):", m->probe.max_ms);
    }
    if (gen && tok && m->selected[SB_M_TTFT])
        stat_section(out, m, SB_M_TTFT, "Time to First Token", "TTFT");
    if (gen && tok && m->selected[SB_M_TPOT])
        stat_section(out, m, SB_M_TPOT, "Time per Output Token (excl. 1st token)", "TPOT");
    if (gen && tok && m->selected[SB_M_ITL])
        stat_section(out, m, SB_M_ITL, "Inter-token Latency", "ITL");
    if (m->selected[SB_M_E2EL])
        stat_section(out, m, SB_M_E2EL, "End-to-end Latency", "E2EL");
    /* [newest] queue sections: only when a concurrency cap can queue requests */
    if (ro->max_concurrency > 0 && m->selected[SB_M_QUEUE])
        stat_section(out, m, SB_M_QUEUE, "Client-side Queueing", "Client Queue Time");
    if (ro->max_concurrency > 0 && !isinf(ro->request_rate) && m->selected[SB_M_E2EL_QUEUE])
        stat_section(out, m, SB_M_E2EL_QUEUE, "Queue-inclusive End-to-end Latency",
                     "E2EL incl. Client Queue");
    if (m->spec.present)
        spec_section(out, &m->spec);
    title(out, "", '=');
}

static void ext_stat(sb_buf *out, const sb_metrics *m, const metrics_stat *st, const char *name)
{
    char label[96], pw[40];
    snprintf(label, sizeof label, "Mean %s (ms):", name);
    line_f(out, label, st->mean_ms);
    snprintf(label, sizeof label, "Median %s (ms):", name);
    line_f(out, label, st->median_ms);
    for (size_t i = 0; i < m->n_pcts; i++) {
        pyfmt_pct_word(pw, sizeof pw, m->pcts[i]);
        snprintf(label, sizeof label, "P%s %s (ms):", pw, name);
        line_f(out, label, st->pct_ms[i]);
    }
}

/* The client may have shaped the result when it was too busy to send on
 * time: its scheduler ran late (p99 > 10 ms behind the intended send time,
 * not counting the wait for a --max-concurrency slot) or it used nearly a
 * whole core. */
bool report_client_limited(const report_opts *ro, const sb_metrics *m, const report_ctx *ctx)
{
    bool late = !isinf(ro->request_rate) && m->ext.sched_lag_p99_ms > 10.0;
    bool busy = ctx && !isnan(ctx->client_cpu_pct) && ctx->client_cpu_pct >= 90.0;
    return late || busy;
}

static void health(sb_buf *out, const report_opts *ro, const sb_metrics *m, const report_ctx *ctx)
{
    title(out, "Client health", '-');
    line_f(out, "Send lag P50 (ms):", m->ext.send_lag_p50_ms);
    line_f(out, "Send lag P99 (ms):", m->ext.send_lag_p99_ms);
    line_f(out, "Send lag max (ms):", m->ext.send_lag_max_ms);
    line_f(out, "Scheduler lag P99 (ms):", m->ext.sched_lag_p99_ms);
    line_f(out, "Token events handled (/s):", m->ext.token_events_per_s);
    if (ctx && !isnan(ctx->client_cpu_pct))
        line_f(out, "Client CPU (% of one core):", ctx->client_cpu_pct);
    line_i(out, "Peak concurrent requests (exact):", m->ext.max_concurrent_exact);
    line_f(out, "Output tok/s per client:", m->ext.generate_speed_per_client);
    line_i(out, "Clients (concurrency used):", m->ext.concurrency_used);
    if (report_client_limited(ro, m, ctx))
        sb_buf_puts(out, "WARNING: the client was late sending requests or CPU-bound; the\n"
                         "         figures above may describe the client, not the server.\n");
}

void report_extras(sb_buf *out, const report_opts *ro, const sb_metrics *m, const report_ctx *ctx)
{
    title(out, " servebench additions ", '=');
    if (ctx && ctx->partial)
        sb_buf_printf(out, "%-40s %zu of %zu requests sent\n", "PARTIAL (interrupted):", ctx->sent,
                      ctx->planned);
    health(out, ro, m, ctx);
    if (ctx && ctx->mpi_text)
        sb_buf_puts(out, ctx->mpi_text);
    if (m->completed > 0) {
        title(out, "Latency from intended send time", '-');
        ext_stat(out, m, &m->ext.ttft_corrected, "TTFT");
        ext_stat(out, m, &m->ext.e2el_corrected, "E2EL");
    }
    const sb_metrics_ext *x = &m->ext;
    if (x->reasoning_responses || x->tool_call_responses) {
        title(out, "Reasoning and tool calls", '-');
        line_i(out, "Responses with reasoning:", x->reasoning_responses);
        line_i(out, "Responses with a tool call:", x->tool_call_responses);
        line_i(out, "Reasoning messages:", x->reasoning_msgs);
        line_i(out, "Answer messages:", x->answer_msgs);
        line_i(out, "Tool-call messages:", x->tool_call_msgs);
        if (x->ttf_reasoning.n)
            ext_stat(out, m, &x->ttf_reasoning, "time to first reasoning token");
        if (x->ttf_answer.n)
            ext_stat(out, m, &x->ttf_answer, "time to first answer token");
    }
    if (x->structured_sent) {
        title(out, "Structured output", '-');
        line_i(out, "Structured requests sent:", x->structured_sent);
        line_i(out, "Structured answers:", x->structured_answered);
        line_i(out, "Answers that are valid JSON:", x->structured_valid_json);
        line_i(out, "Answers that match the schema:", x->structured_match);
        if (x->structured_answered)
            sb_buf_printf(out, "%-40s %-10.2f\n", "Schema match rate (%):",
                          100.0 * (double)x->structured_match / (double)x->structured_answered);
    }
    if (ctx && ctx->trace.present) {
        const report_trace *t = &ctx->trace;
        title(out, "Trace prefix sharing", '-');
        line_i(out, "Trace rows used:", (long)t->rows);
        line_i(out, "Trace rows skipped (bad):", (long)t->rows_skipped);
        line_i(out, "Prompt tokens:", (long)t->prompt_tokens);
        line_i(out, "Prompt tokens in blocks seen before:", (long)t->shared_tokens);
        line_f(out, "Prefix-shared fraction (%):",
               t->prompt_tokens ? 100.0 * (double)t->shared_tokens / (double)t->prompt_tokens : 0);
    }
    if (m->ext.has_itl_token) {
        title(out, "Token-accurate ITL", '-');
        ext_stat(out, m, &m->ext.itl_token, "ITL per token");
    }
    if (m->failed > 0) {
        title(out, "Failures by reason", '-');
        for (int f = 1; f < SB_FAIL_COUNT_; f++)
            if (m->ext.fail_by_reason[f]) {
                char label[64];
                snprintf(label, sizeof label, "%s:", sb_fail_name((sb_fail)f));
                line_i(out, label, m->ext.fail_by_reason[f]);
            }
    }
    if (ctx && ctx->extras_text)
        sb_buf_puts(out, ctx->extras_text);
    if (ctx && ctx->fingerprint)
        sb_buf_printf(out, "%-40s %s\n", "Workload fingerprint (sha256):", ctx->fingerprint);
    title(out, "", '=');
}

void report_console(sb_buf *out, const report_opts *ro, const sb_metrics *m, const rec_store *s,
                    const report_ctx *ctx)
{
    report_failures(out, s);
    report_plot(out, m, 80, 8);
    report_block(out, ro, m);
    report_extras(out, ro, m, ctx);
}
