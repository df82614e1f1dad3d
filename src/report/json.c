/* SPDX-License-Identifier: Apache-2.0 */
/* json.c - the result JSON of vllm/benchmarks/serve.py: main_async, written by hand.
 *
 * A library serializer cannot give Python's bytes: json.dump separators
 * ", " and ": ", repr() floats, ints without a dot, ensure_ascii escapes,
 * bare NaN/Infinity and the exact key order of the reference (header keys,
 * --metadata, load shape, results, detail arrays only with --save-detailed,
 * then mean/median/std/pXX per selected metric). Our additions go last,
 * under the one key "servebench", so reference readers never see them. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report/fsutil.h"
#include "core/pyfmt.h"
#include "report/report.h"

typedef struct jw {
    sb_buf *out;
    int n; /* members written in the current object */
} jw;

/* Where report_save's output goes while the per-request arrays are written:
 * the buffer is handed to the file whenever it holds JSON_FLUSH_AT bytes, so
 * the text of a --save-detailed result (tens of bytes per request, more with
 * ITLs and texts: gigabytes for 10 million requests) is never held whole.
 * NULL sink (report_json): everything stays in the buffer. */
#define JSON_FLUSH_AT (1u << 20)
typedef struct json_sink {
    FILE *f;
    bool bad;      /* a write failed; errno tells why */
    bool text_bad; /* a spilled generated text could not be read back: text_err */
    sb_err text_err;
} json_sink;

static void maybe_flush(sb_buf *out, json_sink *sink)
{
    if (!sink || out->len < JSON_FLUSH_AT)
        return;
    if (!sink->bad && fwrite(out->data, 1, out->len, sink->f) != out->len)
        sink->bad = true;
    sb_buf_reset(out);
}

static void key(jw *w, const char *k)
{
    if (w->n++)
        sb_buf_puts(w->out, ", ");
    pyfmt_json_string(w->out, k, strlen(k));
    sb_buf_puts(w->out, ": ");
}

static void k_str(jw *w, const char *k, const char *v)
{
    key(w, k);
    if (v)
        pyfmt_json_string(w->out, v, strlen(v));
    else
        sb_buf_puts(w->out, "null");
}

static void k_int(jw *w, const char *k, long v)
{
    key(w, k);
    sb_buf_printf(w->out, "%ld", v);
}

static void k_num(jw *w, const char *k, double v)
{
    key(w, k);
    pyfmt_json_number(w->out, v);
}

static void date_str(char *buf, size_t size, time_t t)
{
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, size, "%Y%m%d-%H%M%S", &tm);
}

static void header_keys(jw *w, const report_opts *ro, const report_ctx *ctx)
{
    char date[32];
    date_str(date, sizeof date, ctx->finished);
    k_str(w, "date", date);
    k_str(w, "endpoint_type", ro->backend);
    k_str(w, "backend", ro->backend);
    k_str(w, "label", ro->label);
    const char *model = ctx->model_id ? ctx->model_id : ro->model;
    k_str(w, "model_id", model);
    /* the reference: --tokenizer when given, else the model id */
    k_str(w, "tokenizer_id",
          ctx->tokenizer_id ? ctx->tokenizer_id
          : ro->tokenizer   ? ro->tokenizer
                            : model);
    k_int(w, "num_prompts", ro->num_prompts);
    for (size_t i = 0; i < ro->n_metadata; i++)
        k_str(w, ro->metadata[i].key, ro->metadata[i].value);
    if (isinf(ro->request_rate))
        k_str(w, "request_rate", "inf");
    else
        k_num(w, "request_rate", ro->request_rate);
    k_num(w, "burstiness", ro->burstiness);
    key(w, "max_concurrency");
    if (ro->max_concurrency > 0)
        sb_buf_printf(w->out, "%ld", ro->max_concurrency);
    else
        sb_buf_puts(w->out, "null");
    if (ro->ramp_up_strategy) {
        k_str(w, "ramp_up_strategy", ro->ramp_up_strategy);
        k_int(w, "ramp_up_start_rps", (long)ro->ramp_up_start_rps);
        k_int(w, "ramp_up_end_rps", (long)ro->ramp_up_end_rps);
    }
}

/* Per-request arrays of --save-detailed, one helper per element kind. */
typedef enum arr_kind {
    ARR_PROMPT,
    ARR_OUTPUT,
    ARR_TTFT,
    ARR_ITLS,
    ARR_START,
    ARR_TEXT,
    ARR_ERROR,
    ARR_LATENCY, /* failures keep their 0.0, as RequestFuncOutput.latency */
    ARR_QUEUE
} arr_kind;

static void arr_item(sb_buf *out, const sb_metrics *m, const rec_store *s, size_t i, arr_kind k,
                     json_sink *sink)
{
    const sb_record *r = &s->recs[i];
    switch (k) {
    case ARR_PROMPT:
        sb_buf_printf(out, "%d", r->prompt_len);
        break;
    case ARR_OUTPUT:
        sb_buf_printf(out, "%d", m->output_lens[i]);
        break;
    case ARR_TTFT: /* failures keep their 0.0 */
        pyfmt_json_ns_as_s(out, r->success ? r->ttft_ns : 0);
        break;
    case ARR_ITLS:
        sb_buf_putc(out, '[');
        for (uint32_t j = 0; j < r->n_itl; j++) {
            sb_buf_puts(out, j ? ", " : "");
            pyfmt_json_ns_as_s(out, rec_store_itl_ns(s, i, j));
        }
        sb_buf_putc(out, ']');
        break;
    case ARR_START:
        /* The reference saves perf_counter() values: absolute CLOCK_MONOTONIC
         * seconds, so rows line up with server-side clocks (sim --record). */
        pyfmt_json_ns_as_s(out, s->bench_start_ns + r->start_ns);
        break;
    case ARR_TEXT: { /* in memory, or read back from the spill file (record_spill.c) */
        size_t len = 0;
        sb_err e;
        const char *t = rec_store_text(s, i, &len, &e);
        if (!t && sink && !sink->text_bad) {
            sink->text_bad = true;
            sink->text_err = e;
        }
        /* the answer text: tool-call arguments kept after it are not generated text */
        pyfmt_json_string(out, t ? t : "", t ? rec_text_answer_len(r, len) : 0);
        break;
    }
    case ARR_ERROR: {
        const char *e = r->success || !r->error ? "" : r->error;
        pyfmt_json_string(out, e, strlen(e));
        break;
    }
    case ARR_LATENCY:
        pyfmt_json_ns_as_s(out, r->success ? r->latency_ns : 0);
        break;
    case ARR_QUEUE:
        pyfmt_json_ns_as_s(out, (uint64_t)metrics_queue_ns(r));
        break;
    }
}

static void k_array(jw *w, const char *name, const sb_metrics *m, const rec_store *s, arr_kind k,
                    json_sink *sink)
{
    key(w, name);
    sb_buf_putc(w->out, '[');
    for (size_t i = 0; i < s->n; i++) {
        sb_buf_puts(w->out, i ? ", " : "");
        arr_item(w->out, m, s, i, k, sink);
        maybe_flush(w->out, sink);
    }
    sb_buf_putc(w->out, ']');
}

/* The per-request arrays in the reference's order; latencies and queue_times
 * are written even without --save-detailed (newest vllm/benchmarks/serve.py). */
static void detail_arrays(jw *w, const sb_metrics *m, const rec_store *s, bool detailed,
                          json_sink *sink)
{
    if (detailed) {
        k_array(w, "input_lens", m, s, ARR_PROMPT, sink);
        k_array(w, "output_lens", m, s, ARR_OUTPUT, sink);
        k_array(w, "ttfts", m, s, ARR_TTFT, sink);
        k_array(w, "itls", m, s, ARR_ITLS, sink);
    }
    k_array(w, "latencies", m, s, ARR_LATENCY, sink);
    if (detailed)
        k_array(w, "start_times", m, s, ARR_START, sink);
    k_array(w, "queue_times", m, s, ARR_QUEUE, sink);
    if (detailed) {
        k_array(w, "generated_texts", m, s, ARR_TEXT, sink);
        k_array(w, "errors", m, s, ARR_ERROR, sink);
    }
}

static void stat_keys(jw *w, const report_opts *ro, const sb_metrics *m)
{
    char k[96], pw[40];
    for (int kind = 0; kind < SB_M_COUNT_; kind++) {
        if (!m->selected[kind] || (m->pooling && kind != SB_M_E2EL))
            continue;
        if ((kind == SB_M_QUEUE && ro->max_concurrency <= 0) ||
            (kind == SB_M_E2EL_QUEUE && (ro->max_concurrency <= 0 || isinf(ro->request_rate))))
            continue; /* as printed: the queue metrics need a concurrency cap */
        const char *nm = metrics_kind_name((sb_metric_kind)kind);
        const metrics_stat *st = &m->stat[kind];
        snprintf(k, sizeof k, "mean_%s_ms", nm);
        k_num(w, k, st->mean_ms);
        snprintf(k, sizeof k, "median_%s_ms", nm);
        k_num(w, k, st->median_ms);
        snprintf(k, sizeof k, "std_%s_ms", nm);
        k_num(w, k, st->std_ms);
        for (size_t i = 0; i < m->n_pcts; i++) {
            pyfmt_pct_word(pw, sizeof pw, m->pcts[i]);
            snprintf(k, sizeof k, "p%s_%s_ms", pw, nm);
            k_num(w, k, st->pct_ms[i]);
        }
    }
}

static void stat_obj(sb_buf *out, const sb_metrics *m, const metrics_stat *st)
{
    jw w = {out, 0};
    char k[48], pw[40];
    sb_buf_putc(out, '{');
    k_int(&w, "n", (long)st->n);
    k_num(&w, "mean_ms", st->mean_ms);
    k_num(&w, "median_ms", st->median_ms);
    k_num(&w, "std_ms", st->std_ms);
    k_num(&w, "min_ms", st->min_ms);
    k_num(&w, "max_ms", st->max_ms);
    for (size_t i = 0; i < m->n_pcts; i++) {
        snprintf(k, sizeof k, "p%s_ms", py_float_repr(pw, sizeof pw, m->pcts[i]));
        k_num(&w, k, st->pct_ms[i]);
    }
    sb_buf_putc(out, '}');
}

/* Ours, under "servebench". */
static void ours(jw *w, const report_opts *ro, const sb_metrics *m, const report_ctx *ctx)
{
    key(w, "servebench");
    jw o = {w->out, 0};
    sb_buf_putc(w->out, '{');
    k_str(&o, "version", SB_VERSION);
    k_str(&o, "workload_fingerprint", ctx->fingerprint);
    key(&o, "partial");
    sb_buf_puts(w->out, ctx->partial ? "true" : "false");
    if (ctx->partial) {
        k_int(&o, "requests_sent", (long)ctx->sent);
        k_int(&o, "requests_planned", (long)ctx->planned);
    }
    k_num(&o, "send_lag_p50_ms", m->ext.send_lag_p50_ms);
    k_num(&o, "send_lag_p99_ms", m->ext.send_lag_p99_ms);
    k_num(&o, "send_lag_max_ms", m->ext.send_lag_max_ms);
    k_num(&o, "scheduler_lag_p99_ms", m->ext.sched_lag_p99_ms);
    k_int(&o, "token_events", m->ext.token_events);
    k_num(&o, "token_events_per_s", m->ext.token_events_per_s);
    if (isnan(ctx->client_cpu_pct)) /* unknown: null, not a bare NaN strict parsers reject */
        k_str(&o, "client_cpu_pct", NULL);
    else
        k_num(&o, "client_cpu_pct", ctx->client_cpu_pct);
    k_str(&o, "client_health", report_client_limited(ro, m, ctx) ? "client-limited" : "ok");
    if (ctx->mpi_json) { /* already one JSON object (mpir_health_json) */
        key(&o, "mpi");
        sb_buf_puts(w->out, ctx->mpi_json);
    }
    k_int(&o, "max_concurrent_requests_exact", m->ext.max_concurrent_exact);
    k_int(&o, "concurrency_used", m->ext.concurrency_used);
    k_num(&o, "output_throughput_per_client", m->ext.generate_speed_per_client);
    key(&o, "ttft_from_intended");
    stat_obj(w->out, m, &m->ext.ttft_corrected);
    key(&o, "e2el_from_intended");
    stat_obj(w->out, m, &m->ext.e2el_corrected);
    if (m->ext.has_itl_token) {
        key(&o, "itl_per_token");
        stat_obj(w->out, m, &m->ext.itl_token);
    }
    /* chat stream channels: always present, zero where the server sent none */
    key(&o, "channels");
    jw cw = {w->out, 0};
    sb_buf_putc(w->out, '{');
    k_int(&cw, "responses_with_reasoning", m->ext.reasoning_responses);
    k_int(&cw, "responses_with_tool_call", m->ext.tool_call_responses);
    k_int(&cw, "reasoning_messages", m->ext.reasoning_msgs);
    k_int(&cw, "answer_messages", m->ext.answer_msgs);
    k_int(&cw, "tool_call_messages", m->ext.tool_call_msgs);
    if (m->ext.ttf_reasoning.n) {
        key(&cw, "time_to_first_reasoning");
        stat_obj(w->out, m, &m->ext.ttf_reasoning);
    }
    if (m->ext.ttf_answer.n) {
        key(&cw, "time_to_first_answer");
        stat_obj(w->out, m, &m->ext.ttf_answer);
    }
    sb_buf_putc(w->out, '}');
    if (m->ext.structured_sent) { /* structured-output requests (run/structured.h) */
        key(&o, "structured_output");
        jw sw = {w->out, 0};
        sb_buf_putc(w->out, '{');
        k_int(&sw, "requests", m->ext.structured_sent);
        k_int(&sw, "answered", m->ext.structured_answered);
        k_int(&sw, "valid_json", m->ext.structured_valid_json);
        k_int(&sw, "schema_match", m->ext.structured_match);
        k_num(&sw, "schema_match_rate",
              m->ext.structured_answered
                  ? (double)m->ext.structured_match / (double)m->ext.structured_answered
                  : 0.0);
        sb_buf_putc(w->out, '}');
    }
    if (ctx->trace.present) {
        const report_trace *t = &ctx->trace;
        key(&o, "trace");
        jw tw = {w->out, 0};
        sb_buf_putc(w->out, '{');
        k_str(&tw, "dataset", t->dataset);
        k_int(&tw, "rows", (long)t->rows);
        k_int(&tw, "rows_skipped", (long)t->rows_skipped);
        k_int(&tw, "prompt_tokens", (long)t->prompt_tokens);
        k_int(&tw, "shared_prompt_tokens", (long)t->shared_tokens);
        k_num(&tw, "prefix_shared_fraction",
              t->prompt_tokens ? (double)t->shared_tokens / (double)t->prompt_tokens : 0.0);
        sb_buf_putc(w->out, '}');
    }
    key(&o, "failures_by_reason");
    jw f = {w->out, 0};
    sb_buf_putc(w->out, '{');
    for (int r = 1; r < SB_FAIL_COUNT_; r++)
        if (m->ext.fail_by_reason[r])
            k_int(&f, sb_fail_name((sb_fail)r), m->ext.fail_by_reason[r]);
    sb_buf_putc(w->out, '}');
    if (ctx->ours_json && *ctx->ours_json) {
        sb_buf_puts(w->out, ", ");
        sb_buf_puts(w->out, ctx->ours_json);
    }
    sb_buf_putc(w->out, '}');
}

/* Pooling backends (vllm/benchmarks/serve.py: main_async): fewer keys, inputs only. */
static void pooling_body(jw *w, const report_opts *ro, const sb_metrics *m, const rec_store *s,
                         json_sink *sink)
{
    k_num(w, "duration", m->duration_s);
    k_int(w, "completed", m->completed);
    k_int(w, "total_input_tokens", m->total_input);
    k_int(w, "total_input_sequences", m->total_input_sequences);
    k_num(w, "request_throughput", m->request_throughput);
    k_num(w, "input_sequence_throughput", m->input_sequence_throughput);
    k_num(w, "total_token_throughput", m->total_token_throughput);
    if (ro->save_detailed)
        k_array(w, "input_lens", m, s, ARR_PROMPT, sink);
    k_array(w, "latencies", m, s, ARR_LATENCY, sink);
    k_array(w, "queue_times", m, s, ARR_QUEUE, sink);
    if (ro->save_detailed)
        k_array(w, "errors", m, s, ARR_ERROR, sink);
}

static void generation_body(jw *w, const report_opts *ro, const sb_metrics *m, const rec_store *s,
                            const report_ctx *ctx, json_sink *sink)
{
    sb_buf *out = w->out;
    k_num(w, "duration", m->duration_s);
    k_int(w, "completed", m->completed);
    k_int(w, "failed", m->failed);
    k_int(w, "total_input_tokens", m->total_input);
    k_int(w, "total_output_tokens", m->total_output);
    k_num(w, "request_throughput", m->request_throughput);
    key(w, "request_goodput");
    if (ro->goodput_set)
        pyfmt_json_number(out, m->request_goodput);
    else
        sb_buf_puts(out, "null");
    k_num(w, "output_throughput", m->output_throughput);
    k_num(w, "total_token_throughput", m->total_token_throughput);
    detail_arrays(w, m, s, ro->save_detailed, sink);
    k_num(w, "max_output_tokens_per_s", m->max_output_tokens_per_s);
    k_int(w, "max_concurrent_requests", m->max_concurrent_requests);
    k_num(w, "rtfx", m->rtfx);
    if (m->probe.ran) {
        k_int(w, "probe_completed", m->probe.completed);
        k_int(w, "probe_failed", m->probe.failed);
        k_num(w, "probe_median_e2el_ms", m->probe.median_ms);
        k_num(w, "probe_p99_e2el_ms", m->probe.p99_ms);
        k_num(w, "probe_max_e2el_ms", m->probe.max_ms);
    }
    if (ctx->n_rps_events) {
        key(w, "rps_change_events");
        sb_buf_putc(out, '[');
        for (size_t i = 0; i < ctx->n_rps_events; i++) {
            jw e = {out, 0};
            sb_buf_puts(out, i ? ", {" : "{");
            k_int(&e, "rps", ctx->rps_event_rps[i]);
            k_str(&e, "timestamp", ctx->rps_event_ts[i]);
            sb_buf_putc(out, '}');
        }
        sb_buf_putc(out, ']');
    }
    if (m->spec.present) {
        const specdec_result *sp = &m->spec;
        k_num(w, "spec_decode_acceptance_rate", sp->acceptance_rate_pct);
        k_num(w, "spec_decode_acceptance_length", sp->acceptance_length);
        k_int(w, "spec_decode_num_drafts", sp->drafts);
        k_int(w, "spec_decode_draft_tokens", sp->draft_tokens);
        k_int(w, "spec_decode_accepted_tokens", sp->accepted);
        key(w, "spec_decode_per_position_acceptance_rates");
        sb_buf_putc(out, '[');
        for (size_t k = 0; k < sp->n_pos; k++) {
            sb_buf_puts(out, k ? ", " : "");
            pyfmt_json_number(out, sp->per_pos_rate[k]);
        }
        sb_buf_putc(out, ']');
    }
}

static void json_to(sb_buf *out, const report_opts *ro, const sb_metrics *m, const rec_store *s,
                    const report_ctx *ctx, json_sink *sink)
{
    jw w = {out, 0};
    sb_buf_putc(out, '{');
    header_keys(&w, ro, ctx);
    if (m->pooling)
        pooling_body(&w, ro, m, s, sink);
    else
        generation_body(&w, ro, m, s, ctx, sink);
    stat_keys(&w, ro, m);
    ours(&w, ro, m, ctx);
    sb_buf_putc(out, '}');
}

void report_json(sb_buf *out, const report_opts *ro, const sb_metrics *m, const rec_store *s,
                 const report_ctx *ctx)
{
    json_to(out, ro, m, s, ctx, NULL);
}

char *report_result_path(const report_opts *ro, const report_ctx *ctx)
{
    sb_buf b;
    sb_buf_init(&b);
    if (ro->result_dir && *ro->result_dir) {
        sb_buf_puts(&b, ro->result_dir);
        if (b.data[b.len - 1] != '/')
            sb_buf_putc(&b, '/');
    }
    if (ro->result_filename) {
        sb_buf_puts(&b, ro->result_filename);
        return sb_buf_steal(&b);
    }
    const char *model = ctx->model_id ? ctx->model_id : ro->model ? ro->model : "";
    const char *base = strrchr(model, '/') ? strrchr(model, '/') + 1 : model;
    char conc[48] = "", date[32], rate[40];
    if (ro->max_concurrency > 0)
        snprintf(conc, sizeof conc, "-concurrency%ld", ro->max_concurrency);
    date_str(date, sizeof date, ctx->finished);
    const char *label = ro->label ? ro->label : ro->backend;
    if (ro->ramp_up_strategy)
        sb_buf_printf(&b, "%s-ramp-up-%s-%ldqps-%ldqps%s-%s-%s.json", label, ro->ramp_up_strategy,
                      (long)ro->ramp_up_start_rps, (long)ro->ramp_up_end_rps, conc, base, date);
    else
        sb_buf_printf(&b, "%s-%sqps%s-%s-%s.json", label,
                      py_float_repr(rate, sizeof rate, ro->request_rate), conc, base, date);
    return sb_buf_steal(&b);
}

int report_make_dirs(const char *dir, sb_err *err)
{
    char *p = sb_xstrdup(dir);
    for (char *c = p + 1;; c++) {
        if (*c != '/' && *c != '\0')
            continue;
        char save = *c;
        *c = '\0';
        if (mkdir(p, 0777) < 0 && errno != EEXIST) {
            sb_err_set(err, "--result-dir: cannot create %s: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        *c = save;
        if (!save)
            break;
    }
    free(p);
    return 0;
}

int report_save(const report_opts *ro, const sb_metrics *m, const rec_store *s,
                const report_ctx *ctx, char **path_out, sb_err *err)
{
    if (ro->result_dir && *ro->result_dir && report_make_dirs(ro->result_dir, err) < 0)
        return -1;
    char *path = report_result_path(ro, ctx);
    FILE *f = fopen(path, ro->append_result ? "a+" : "w");
    if (!f) {
        sb_err_set(err, "cannot open result file %s: %s", path, strerror(errno));
        free(path);
        return -1;
    }
    sb_buf b;
    sb_buf_init(&b);
    /* JSON Lines: a newline first when appending to a non-empty file */
    if (ro->append_result && fseek(f, 0, SEEK_END) == 0 && ftell(f) > 0)
        sb_buf_putc(&b, '\n');
    json_sink sink = {.f = f};
    json_to(&b, ro, m, s, ctx, &sink);
    if (sink.text_bad) {
        fclose(f);
        sb_buf_free(&b);
        sb_err_set(err, "writing result file %s: %s", path, sink.text_err.msg);
        free(path);
        return -1;
    }
    bool bad = sink.bad || fwrite(b.data, 1, b.len, f) != b.len;
    bad |= fclose(f) != 0;
    sb_buf_free(&b);
    if (bad) {
        sb_err_set(err, "writing result file %s: %s", path, strerror(errno));
        free(path);
        return -1;
    }
    if (path_out)
        *path_out = path;
    else
        free(path);
    return 0;
}
