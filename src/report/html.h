/* SPDX-License-Identifier: Apache-2.0 */
/* html.h - the self-contained HTML report of `servebench report`.
 *
 * One file with inline CSS and inline SVG charts: no script, no font, no
 * request to anything, so it opens from disk and mails as one attachment.
 * Light and dark schemes follow the reader's prefers-color-scheme. */
#ifndef SB_REPORT_HTML_H
#define SB_REPORT_HTML_H

#include "core/buf.h"
#include "report/rcharts.h"
#include "report/rdata.h"

typedef struct report_inputs {
    const report_run *runs; /* result JSON files */
    size_t n_runs;
    const report_sweep *sweeps;
    size_t n_sweeps;
    const report_charts *charts; /* every chart of every file, in page order */
} report_inputs;

/* The file's servebench.client_health, else the same rule from its figures:
 * "client-limited" (scheduler lag p99 > 10 ms at a finite rate, or client CPU
 * >= 90% of a core), "ok", or "unknown" (no figures: reference files). */
const char *report_client_health(const report_run *r);
/* Appends the whole page. */
void report_html(sb_buf *out, const report_inputs *in);

/* Writes data to path through path.tmp + rename, so a failure never leaves
 * half a file; an existing path is an error unless force. 0 or -1 with err. */
int report_write_file(const char *path, const char *data, size_t len, bool force, sb_err *err);

#endif
