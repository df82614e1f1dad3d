/* SPDX-License-Identifier: Apache-2.0 */
/* report.h - the result block, the result JSON and its file name.
 *
 * Everything is rendered into an sb_buf; the caller (run/serve) decides where
 * it goes, so the module never prints. Formats follow the reference exactly
 * (vllm/benchmarks/serve.py: benchmark prints the block, main_async writes the
 * JSON, compute_result_filename names it); servebench's additions come in
 * a separate section after the reference block and under the "servebench"
 * JSON key.
 *
 * The run's end, in the order of vllm/benchmarks/serve.py: main_async:
 *     sb_metrics m;
 *     metrics_compute(store, &mopts, &tok_cb, &m, &err);  // -1: bad percentile
 *     specdec_delta(&metrics_before, &metrics_after, &m.spec);  // if /metrics was read
 *     report_opts ro = ...;  // from the configuration (run/: run_report_opts)
 *     report_ctx ctx = {.model_id = ..., .client_cpu_pct = NAN, .finished = time(NULL), ...};
 *     if (m.completed == 0) fprintf(stderr, "%s\n", REPORT_ALL_FAILED_MSG);
 *     report_console(&buf, &ro, &m, store, &ctx);          // then print buf on stdout
 *     if (cfg->save_result) report_save(&ro, &m, store, &ctx, &path, &err);
 *     if (cfg->plot_timeline) report_save_timeline(&ro, store, &ctx, NULL, &err);
 *     if (cfg->plot_dataset_stats) report_save_dataset_stats(&ro, &m, store, &ctx, NULL, &err);
 *     metrics_free(&m); */
#ifndef SB_REPORT_H
#define SB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/kv.h"
#include "metrics/metrics.h"
#include "metrics/record.h"

/* The run's settings the report reads: what the block prints, what the
 * JSON's header echoes (vllm/benchmarks/serve.py: main_async's result_json
 * keys) and where the files go. Strings may be NULL when not given; they are
 * borrowed, not owned. */
typedef struct report_opts {
    const char *backend;   /* --backend: JSON "backend" and "endpoint_type" */
    const char *label;     /* --label (NULL: the backend names the file) */
    const char *model;     /* --model, when ctx->model_id is NULL */
    const char *tokenizer; /* --tokenizer, when ctx->tokenizer_id is NULL */
    long num_prompts;
    const sb_kv *metadata; /* --metadata KEY=VALUE, echoed as header keys */
    size_t n_metadata;
    double request_rate; /* INFINITY: "inf" */
    double burstiness;
    long max_concurrency; /* <= 0: none */
    /* --ramp-up-strategy: NULL for none, else "linear" or "exponential" */
    const char *ramp_up_strategy;
    double ramp_up_start_rps, ramp_up_end_rps;
    bool goodput_set;   /* --goodput given: the goodput line and key */
    bool save_detailed; /* --save-detailed: the per-request arrays */
    bool append_result; /* --append-result: JSON Lines */
    const char *result_dir, *result_filename;
    const char *timeline_itl_thresholds; /* --timeline-itl-thresholds, "25,50" */
} report_opts;

/* A trace dataset's facts (mooncake): rows used and skipped, and the prompt
 * tokens in blocks an earlier request sent (the prefix sharing it implies). */
typedef struct report_trace {
    bool present;
    const char *dataset;
    size_t rows, rows_skipped;
    uint64_t prompt_tokens, shared_tokens;
} report_trace;

/* What the run knows that the config and metrics do not. Any pointer may be
 * NULL, any double NAN when unknown. */
typedef struct report_ctx {
    const char *model_id;     /* resolved model (--model or from /v1/models) */
    const char *tokenizer_id; /* NULL -> --tokenizer, else the model id (as the reference) */
    const char *fingerprint;  /* workload sha256 hex (request bodies + schedule) */
    double client_cpu_pct;    /* client process CPU over the run, % of one core */
    time_t finished;          /* wall time after the run (date key, file name) */
    /* ramp-up events, JSON "rps_change_events" (ramp-up only) */
    const long *rps_event_rps;
    const char *const *rps_event_ts; /* ISO-8601 strings */
    size_t n_rps_events;
    report_trace trace; /* present = false for other datasets */
    /* Rendered by stages the report does not know (telemetry): JSON members
     * added inside "servebench" ("key": value, ...) and text sections added to
     * the additions block. NULL when none. */
    const char *ours_json;
    const char *extras_text;
    /* Ctrl-C ended the run early: sent of planned requests went out (block
     * line and JSON "servebench": {"partial": true, ...}) */
    bool partial;
    size_t sent, planned;
    /* A multi-rank run (src/mpi): per-rank health, printed after the client
     * health lines, and one JSON object for "servebench": {"mpi": ...}. */
    const char *mpi_text, *mpi_json;
} report_ctx;

/* Appends s for a terminal: invalid UTF-8 and control bytes (a server's
 * body quoted in a failure text) as \xNN, the rest as is. */
void report_put_text(sb_buf *out, const char *s);
/* "Failed requests during benchmark run detected (capping to 10):" and the
 * first ten errors (through report_put_text), when any request failed;
 * nothing otherwise. */
void report_failures(sb_buf *out, const rec_store *s);
/* Our ASCII plot of output tokens/s and concurrent requests per 1 s bucket
 * (stands where the reference prints its termplotlib figure); nothing when no
 * request succeeded. width/height of the drawing area in characters. */
void report_plot(sb_buf *out, const sb_metrics *m, int width, int height);
/* The reference's "Serving Benchmark Result" block, byte for byte. */
void report_block(sb_buf *out, const report_opts *ro, const sb_metrics *m);
/* servebench's additions: client health, corrected latencies, failures by
 * reason, workload fingerprint. */
void report_extras(sb_buf *out, const report_opts *ro, const sb_metrics *m, const report_ctx *ctx);

/* The client-health verdict: true when the client may have shaped the
 * result (its scheduler ran > 10 ms late at p99 with a finite rate, or it used
 * >= 90% of a core). The JSON says "client_health": "client-limited" or "ok". */
bool report_client_limited(const report_opts *ro, const sb_metrics *m, const report_ctx *ctx);

/* Text the caller prints on stderr when no request succeeded (the
 * reference's UserWarning). */
#define REPORT_ALL_FAILED_MSG                                                                      \
    "All requests failed. This is likely due to a misconfiguration on the benchmark arguments."

/* Everything the run prints on stdout after the progress bar, in the
 * reference's order: failures, our plot (80x8), the reference block, then
 * our additions. */
void report_console(sb_buf *out, const report_opts *ro, const sb_metrics *m, const rec_store *s,
                    const report_ctx *ctx);

/* The result JSON object (one line, Python json.dump formatting), no
 * trailing newline. A spilled text that cannot be read back (record.h:
 * rec_store_text) is written as ""; report_save fails instead. */
void report_json(sb_buf *out, const report_opts *ro, const sb_metrics *m, const rec_store *s,
                 const report_ctx *ctx);
/* Result path: --result-dir + (--result-filename or the default name of
 * vllm/benchmarks/serve.py: main_async). malloc'd. */
char *report_result_path(const report_opts *ro, const report_ctx *ctx);
/* Writes (or with --append-result appends as JSON Lines) the result JSON to
 * report_result_path, creating --result-dir. Stores the path in *path_out
 * (malloc'd) when path_out is not NULL. Returns 0 or -1 with err naming the
 * file. */
int report_save(const report_opts *ro, const sb_metrics *m, const rec_store *s,
                const report_ctx *ctx, char **path_out, sb_err *err);

/* --plot-timeline: a self-contained HTML page (inline SVG) with one row per
 * successful request: the TTFT segment, then inter-token gaps coloured by
 * --timeline-itl-thresholds (ms). -1 with err for bad thresholds. */
int report_timeline_html(sb_buf *out, const report_opts *ro, const rec_store *s, sb_err *err);
/* Writes report_timeline_html to report_result_path with its suffix
 * replaced by ".timeline.html" (creating --result-dir); the run calls it
 * when --plot-timeline is given. Path in *path_out (malloc'd) when not NULL. */
int report_save_timeline(const report_opts *ro, const rec_store *s, const report_ctx *ctx,
                         char **path_out, sb_err *err);
/* --plot-dataset-stats: the reference's 2x2 PNG (prompt, output and total
 * token histograms, stacked tokens per request) at report_result_path with
 * its suffix replaced by ".dataset_stats.png". Path in *path_out (malloc'd)
 * when not NULL. */
int report_save_dataset_stats(const report_opts *ro, const sb_metrics *m, const rec_store *s,
                              const report_ctx *ctx, char **path_out, sb_err *err);
/* result_path with its last suffix replaced ("r.json" + ".timeline.html"
 * -> "r.timeline.html"), as the reference names its plot files. malloc'd. */
char *report_sibling_path(const char *result_path, const char *suffix);

/* Before the run: creates --result-dir (as the save will) and proves that a
 * file can be written there, and that an existing --result-filename can be
 * written, so an unwritable place stops the run before anything is sent
 * instead of after it. 0, or -1 with err naming the directory or file. */
int report_check_result_dir(const report_opts *ro, sb_err *err);

#endif
