/* SPDX-License-Identifier: Apache-2.0 */
/* timeline.c - `--plot-timeline`: <result stem>.timeline.html.
 *
 * The reference draws a plotly Gantt chart (one row per request: a TTFT
 * segment, then every inter-token gap coloured below / between / above two
 * ms thresholds). We write the same picture as one self-contained HTML page
 * with inline SVG, no script and no network. Consecutive gaps of the same
 * colour are merged into one rectangle, so the file grows with colour
 * changes rather than tokens; rows beyond TIMELINE_MAX_ROWS are left out and
 * the page says so. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/fsutil.h"
#include "report/report.h"

#define TIMELINE_MAX_ROWS 2000
#define ROW_H 6
#define LEFT 60
#define WIDTH 1200

static const char *const colours[] = {"#4c9a2a", "#e8a317", "#c0392b"}; /* fast, mid, slow */
#define TTFT_COLOUR "#5b7db1"

static int itl_class(uint64_t gap_ns, double lo_ms, double hi_ms)
{
    double ms = (double)gap_ns / 1e6;
    return ms < lo_ms ? 0 : ms < hi_ms ? 1 : 2; /* plot.py: itl_type */
}

static void rect(sb_buf *out, double x0, double x1, size_t row, const char *fill, double scale)
{
    sb_buf_printf(out, "<rect x=\"%.2f\" y=\"%zu\" width=\"%.2f\" height=\"%d\" fill=\"%s\"/>",
                  LEFT + x0 * scale, row * ROW_H, fmax((x1 - x0) * scale, 0.5), ROW_H - 1, fill);
}

/* One request's row: the TTFT segment, then runs of same-coloured gaps. */
static void row(sb_buf *out, const rec_store *s, size_t i, size_t r, uint64_t t0, double scale,
                double lo_ms, double hi_ms)
{
    const sb_record *rec = &s->recs[i];
    double start = (double)(rec->start_ns - t0), t = start + (double)rec->ttft_ns;
    rect(out, start, t, r, TTFT_COLOUR, scale);
    double run_start = t;
    int cls = -1;
    for (uint32_t j = 0; j < rec->n_itl; j++) {
        uint64_t g = rec_store_itl_ns(s, i, j);
        int c = itl_class(g, lo_ms, hi_ms);
        if (c != cls && cls >= 0) {
            rect(out, run_start, t, r, colours[cls], scale);
            run_start = t;
        }
        cls = c;
        t += (double)g;
    }
    if (cls >= 0)
        rect(out, run_start, t, r, colours[cls], scale);
}

int report_timeline_html(sb_buf *out, const report_opts *ro, const rec_store *s, sb_err *err)
{
    double lo = 25, hi = 50;
    const char *th = ro->timeline_itl_thresholds;
    bool ok = true;
    if (th) { /* "A,B"; strtod, unlike sscanf, says where a number stops */
        char *end;
        lo = strtod(th, &end);
        ok = end != th && *end == ',';
        if (ok) {
            const char *b = end + 1;
            hi = strtod(b, &end);
            ok = end != b;
        }
    }
    if (!ok)
        return sb_err_set(err,
                          "Invalid --timeline-itl-thresholds format: '%s' (two ms values, "
                          "e.g. 25,50)",
                          ro->timeline_itl_thresholds);
    uint64_t t0 = UINT64_MAX, t1 = 0;
    size_t n_ok = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].success) {
            const sb_record *r = &s->recs[i];
            t0 = r->start_ns < t0 ? r->start_ns : t0;
            t1 = r->start_ns + r->latency_ns > t1 ? r->start_ns + r->latency_ns : t1;
            n_ok++;
        }
    size_t rows = n_ok < TIMELINE_MAX_ROWS ? n_ok : TIMELINE_MAX_ROWS;
    double span = t1 > t0 ? (double)(t1 - t0) : 1.0, scale = (WIDTH - LEFT) / span;
    sb_buf_printf(out,
                  "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>servebench "
                  "timeline</title></head>\n<body style=\"font-family:sans-serif\">\n"
                  "<h3>Request timeline: %zu successful requests over %.3f s</h3>\n<p>"
                  "<span style=\"color:%s\">&#9632; TTFT</span> &nbsp; <span style=\"color:%s\">"
                  "&#9632; ITL &lt; %g ms</span> &nbsp; <span style=\"color:%s\">&#9632; %g-%g "
                  "ms</span> &nbsp; <span style=\"color:%s\">&#9632; &ge; %g ms</span>%s</p>\n",
                  n_ok, span / 1e9, TTFT_COLOUR, colours[0], lo, colours[1], lo, hi, colours[2], hi,
                  n_ok > rows ? " (first requests only)" : "");
    sb_buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\">\n",
                  WIDTH, rows * ROW_H + 20);
    for (size_t i = 0, r = 0; i < s->n && r < rows; i++)
        if (s->recs[i].success)
            row(out, s, i, r++, t0, scale, lo, hi);
    sb_buf_printf(out,
                  "\n<text x=\"%d\" y=\"%zu\" font-size=\"11\">0 s</text>"
                  "<text x=\"%d\" y=\"%zu\" font-size=\"11\" text-anchor=\"end\">%.3f s</text>\n"
                  "</svg>\n</body></html>\n",
                  LEFT, rows * ROW_H + 15, WIDTH, rows * ROW_H + 15, span / 1e9);
    return 0;
}

char *report_sibling_path(const char *result_path, const char *suffix)
{
    const char *slash = strrchr(result_path, '/');
    const char *dot = strrchr(result_path, '.');
    size_t stem =
        dot && (!slash || dot > slash) ? (size_t)(dot - result_path) : strlen(result_path);
    sb_buf b;
    sb_buf_init(&b);
    sb_buf_append(&b, result_path, stem);
    sb_buf_puts(&b, suffix);
    return sb_buf_steal(&b);
}

int report_save_timeline(const report_opts *ro, const rec_store *s, const report_ctx *ctx,
                         char **path_out, sb_err *err)
{
    if (ro->result_dir && *ro->result_dir && report_make_dirs(ro->result_dir, err) < 0)
        return -1;
    sb_buf html;
    sb_buf_init(&html);
    if (report_timeline_html(&html, ro, s, err) < 0) {
        sb_buf_free(&html);
        return -1;
    }
    char *result = report_result_path(ro, ctx);
    char *path = report_sibling_path(result, ".timeline.html");
    free(result);
    FILE *f = fopen(path, "w");
    int bad = !f || fwrite(html.data, 1, html.len, f) != html.len;
    if (f)
        bad |= fclose(f) != 0;
    sb_buf_free(&html);
    if (bad) {
        sb_err_set(err, "cannot write timeline %s", path);
        free(path);
        return -1;
    }
    if (path_out)
        *path_out = path;
    else
        free(path);
    return 0;
}
