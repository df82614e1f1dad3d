/* SPDX-License-Identifier: Apache-2.0 */
/* rcharts.h - the charts of `servebench report` and `servebench plot`.
 *
 * One list of chart descriptions per input file, built from what the file
 * holds; the HTML page and the PNG/SVG files are both drawn from it. Chart
 * ids are stable (docs/report.md lists them); the charts of the second and
 * later files carry an "f2-", "f3-", ... prefix. report_bundle_load adds,
 * after them, the charts that span all its files (turns-ttft, turns-input). Drawing data is reduced
 * to a few thousand marks (histogram bins, CDF steps, sampled scatter points); the percentile
 * markers are the figures the run printed, read from the file, never recomputed. */
#ifndef SB_REPORT_RCHARTS_H
#define SB_REPORT_RCHARTS_H

#include "chart/chart.h"
#include "report/rdata.h"

typedef struct report_charts {
    chart **c;
    char **section; /* heading each chart is shown under */
    size_t n, cap;
} report_charts;

/* Appends the charts of one result file; prefix "" or "f2-". */
void report_charts_run(report_charts *out, const report_run *r, const char *prefix);
/* Appends the charts of one sweep file. */
void report_charts_sweep(report_charts *out, const report_sweep *s, const char *prefix);
/* The chart with this id, or NULL. */
const chart *report_charts_find(const report_charts *cs, const char *id);
void report_charts_free(report_charts *cs);

/* The chart model of --plot-dataset-stats: histograms (30 bins) of prompt,
 * output and total tokens and the stacked tokens of each request. */
void report_charts_dataset(report_charts *out, const int *prompt_lens, const int *output_lens,
                           size_t n);

/* Every input file of `report`/`plot`, loaded, with its charts. */
typedef struct report_bundle {
    report_run *runs;
    size_t n_runs;
    report_sweep *sweeps;
    size_t n_sweeps;
    report_charts charts;
} report_bundle;

/* Loads each file (a sweep.jsonl when its first line says so, else a result
 * JSON) and builds the charts in file order. -1 with err naming the file. */
int report_bundle_load(report_bundle *b, char *const *files, size_t n, sb_err *err);
void report_bundle_free(report_bundle *b);

#endif
