/* report.h - the result block, the result JSON and its file name.
 *
 * Everything is rendered into an sb_buf; the caller (run/serve) decides where
 * it goes, so the module never prints. Formats follow reference doc sections
 * 7 (console) and 8 (JSON, file name) exactly; servebench's additions come in
 * a separate section after the reference block and under the "servebench"
 * JSON key. */
#ifndef SB_REPORT_H
#define SB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cli/config.h"
#include "core/buf.h"
#include "core/err.h"
#include "metrics/metrics.h"
#include "metrics/record.h"

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
} report_ctx;

/* "Failed requests during benchmark run detected (capping to 10):" and the
 * first ten errors, when any request failed; nothing otherwise. */
void report_failures(sb_buf *out, const rec_store *s);
/* Our ASCII plot of output tokens/s and concurrent requests per 1 s bucket
 * (stands where the reference prints its termplotlib figure); nothing when no
 * request succeeded. width/height of the drawing area in characters. */
void report_plot(sb_buf *out, const sb_metrics *m, int width, int height);
/* The reference's "Serving Benchmark Result" block, byte for byte. */
void report_block(sb_buf *out, const sb_config *cfg, const sb_metrics *m);
/* servebench's additions: client health, corrected latencies, failures by
 * reason, workload fingerprint. */
void report_extras(sb_buf *out, const sb_config *cfg, const sb_metrics *m,
                   const report_ctx *ctx);

/* Text the caller prints on stderr when no request succeeded (the
 * reference's UserWarning). */
#define REPORT_ALL_FAILED_MSG                                                                    \
    "All requests failed. This is likely due to a misconfiguration on the benchmark arguments."

/* Everything the run prints on stdout after the progress bar, in the
 * reference's order: failures, our plot (80x8), the reference block, then
 * our additions. */
void report_console(sb_buf *out, const sb_config *cfg, const sb_metrics *m, const rec_store *s,
                    const report_ctx *ctx);

/* The result JSON object (one line, Python json.dump formatting), no
 * trailing newline. */
void report_json(sb_buf *out, const sb_config *cfg, const sb_metrics *m, const rec_store *s,
                 const report_ctx *ctx);
/* Result path: --result-dir + (--result-filename or the default name of
 * section 8). malloc'd. */
char *report_result_path(const sb_config *cfg, const report_ctx *ctx);
/* Writes (or with --append-result appends as JSON Lines) the result JSON to
 * report_result_path, creating --result-dir. Stores the path in *path_out
 * (malloc'd) when path_out is not NULL. Returns 0 or -1 with err naming the
 * file. */
int report_save(const sb_config *cfg, const sb_metrics *m, const rec_store *s,
                const report_ctx *ctx, char **path_out, sb_err *err);

/* Python repr() of a float (shortest round-trip digits, "inf", "nan",
 * integral values with ".0"); writes into buf (>= 32 bytes), returns buf. */
char *report_py_float(char *buf, size_t size, double v);

#endif
