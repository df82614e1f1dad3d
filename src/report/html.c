/* SPDX-License-Identifier: Apache-2.0 */
/* html.c - the report page: a run table per kind of input, then the charts
 * grouped by section, each an inline SVG inside a <figure data-chart=ID> so
 * tests (and readers' scripts) can find every chart by its id. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "report/html.h"

static void cell(sb_buf *b, const char *s)
{
    sb_buf_puts(b, "<td>");
    chart_xml_escape(b, s && *s ? s : "—");
    sb_buf_puts(b, "</td>");
}

static void cell_num(sb_buf *b, double v, const char *fmt)
{
    char t[64];
    if (isfinite(v))
        snprintf(t, sizeof t, fmt, v);
    else
        snprintf(t, sizeof t, "—");
    sb_buf_printf(b, "<td class=\"num\">%s</td>", t);
}

const char *report_client_health(const report_run *r)
{
    const char *saved = report_run_get(r, "servebench.client_health");
    if (saved && (!strcmp(saved, "ok") || !strcmp(saved, "client-limited")))
        return !strcmp(saved, "ok") ? "ok" : "client-limited";
    /* older files: the rule of report/block.c: report_client_limited */
    double lag = isinf(report_run_num(r, "request_rate"))
                     ? NAN
                     : report_run_num(r, "servebench.scheduler_lag_p99_ms");
    double cpu = report_run_num(r, "servebench.client_cpu_pct");
    if (!isfinite(lag) && !isfinite(cpu))
        return "unknown";
    return (isfinite(lag) && lag > 10) || (isfinite(cpu) && cpu >= 90) ? "client-limited" : "ok";
}

static bool is_partial(const report_run *r)
{
    static const char *const keys[] = {"partial", "servebench.partial", "servebench.interrupted"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = report_run_get(r, keys[i]);
        if (v && !strcmp(v, "true"))
            return true;
    }
    return false;
}

static void run_table(sb_buf *b, const report_inputs *in)
{
    sb_buf_puts(b,
                "<section id=\"runs\"><h2>Runs</h2><div class=\"scroll\"><table>\n<tr><th>file</th>"
                "<th>date</th><th>backend</th><th>model</th><th>dataset</th>"
                "<th>request rate</th><th>burstiness</th><th>max concurrency</th>"
                "<th>prompts</th><th>completed</th><th>failed</th><th>duration (s)</th>"
                "<th>output tok/s</th><th>p99 TTFT (ms)</th><th>p99 TPOT (ms)</th>"
                "<th>fingerprint</th><th>client health</th><th>partial</th></tr>\n");
    for (size_t i = 0; i < in->n_runs; i++) {
        const report_run *r = &in->runs[i];
        sb_buf_puts(b, "<tr>");
        cell(b, r->path);
        cell(b, report_run_get(r, "date"));
        cell(b, report_run_get(r, "backend"));
        cell(b, report_run_get(r, "model_id"));
        const char *ds = report_run_get(r, "dataset_name");
        cell(b, ds ? ds : report_run_get(r, "servebench.dataset_name"));
        cell(b, report_run_get(r, "request_rate"));
        cell(b, report_run_get(r, "burstiness"));
        const char *mc = report_run_get(r, "max_concurrency");
        cell(b, mc && strcmp(mc, "null") != 0 ? mc : "none");
        cell(b, report_run_get(r, "num_prompts"));
        cell_num(b, report_run_num(r, "completed"), "%.0f");
        cell_num(b, report_run_num(r, "failed"), "%.0f");
        cell_num(b, report_run_num(r, "duration"), "%.2f");
        cell_num(b, report_run_num(r, "output_throughput"), "%.1f");
        cell_num(b, report_run_num(r, "p99_ttft_ms"), "%.2f");
        cell_num(b, report_run_num(r, "p99_tpot_ms"), "%.2f");
        const char *fp = report_run_get(r, "servebench.workload_fingerprint");
        sb_buf_puts(b, "<td class=\"fp\" title=\"");
        chart_xml_escape(b, fp);
        sb_buf_puts(b, "\">");
        if (fp && strlen(fp) > 12)
            sb_buf_printf(b, "%.12s…", fp);
        else
            chart_xml_escape(b, fp && *fp ? fp : "—");
        sb_buf_puts(b, "</td>");
        const char *h = report_client_health(r);
        sb_buf_printf(b, "<td class=\"h-%s\">%s</td>", h, h);
        if (!is_partial(r)) {
            sb_buf_puts(b, "<td>no</td></tr>\n");
        } else {
            double sent = report_run_num(r, "servebench.requests_sent");
            double planned = report_run_num(r, "servebench.requests_planned");
            sb_buf_puts(b, "<td><b class=\"bad\">partial</b>");
            if (isfinite(sent) && isfinite(planned))
                sb_buf_printf(b, " (%.0f of %.0f sent)", sent, planned);
            sb_buf_puts(b, "</td></tr>\n");
        }
    }
    sb_buf_puts(b, "</table></div></section>\n");
}

static void sweep_table(sb_buf *b, const report_sweep *s, size_t k)
{
    sb_buf_printf(b, "<section id=\"sweep-%zu\"><h2>Sweep: ", k + 1);
    chart_xml_escape(b, s->path);
    sb_buf_puts(b, "</h2><p>mode ");
    chart_xml_escape(b, s->mode);
    sb_buf_puts(b, ", load axis ");
    chart_xml_escape(b, s->load_axis ? s->load_axis : "none");
    sb_buf_printf(b,
                  ", %zu points, %zu runs failed or partial. Figures are means over the "
                  "ok runs of each point.",
                  s->n_pts, s->n_failed_runs);
    for (size_t i = 0; i < s->n_slo; i++) {
        sb_buf_puts(b, i ? ", " : " SLO: ");
        chart_xml_escape(b, s->slo[i].key);
        sb_buf_printf(b, " %s %g", s->slo[i].op, s->slo[i].value);
    }
    sb_buf_puts(b, "</p>\n");
    if (s->has_capacity) {
        sb_buf_puts(b, "<p class=\"capacity\">");
        if (s->capacity_found)
            sb_buf_printf(b, "Capacity under the SLOs: <b>%g</b>", s->capacity);
        else
            sb_buf_puts(b, "Capacity: <b>not found</b> (even the lowest load failed)");
        if (isfinite(s->upper))
            sb_buf_printf(b, "; %g failed", s->upper);
        if (s->capacity_reason) {
            sb_buf_puts(b, ": ");
            chart_xml_escape(b, s->capacity_reason);
        }
        sb_buf_puts(b, "</p>\n");
    }
    sb_buf_puts(b, "<div class=\"scroll\"><table>\n<tr><th>point</th><th>parameters</th>"
                   "<th>ok runs</th><th>output tok/s</th><th>p99 TTFT (ms)</th>"
                   "<th>p99 TPOT (ms)</th><th>client health</th><th>partial</th>"
                   "<th>fingerprint</th><th>result file</th></tr>\n");
    for (size_t i = 0; i < s->n_pts; i++) {
        const report_point *p = &s->pts[i];
        sb_buf_printf(b, "<tr><td class=\"num\">%d</td>", p->index);
        cell(b, p->params);
        sb_buf_printf(b, "<td class=\"num\">%d/%d</td>", p->ok_runs, p->runs);
        cell_num(b, report_point_mean(p, "output_throughput"), "%.1f");
        cell_num(b, report_point_mean(p, "p99_ttft_ms"), "%.2f");
        cell_num(b, report_point_mean(p, "p99_tpot_ms"), "%.2f");
        const char *h = p->client_health ? p->client_health : "unknown";
        sb_buf_puts(b, "<td class=\"h-");
        chart_xml_escape(b, h);
        sb_buf_puts(b, "\">");
        chart_xml_escape(b, h);
        sb_buf_printf(b, "</td><td>%s</td>",
                      p->partial || !p->params ? "<b class=\"bad\">partial</b>" : "no");
        sb_buf_printf(b, "<td class=\"fp\">%.12s</td>", p->fingerprint ? p->fingerprint : "—");
        cell(b, p->result_file);
        sb_buf_puts(b, "</tr>\n");
    }
    sb_buf_puts(b, "</table></div></section>\n");
}

static const char page_css[] =
    ":root{color-scheme:light dark;--bg:#fff;--fg:#1b1b1b;--mut:#666;--line:#ddd;--card:#fafafa}"
    "@media (prefers-color-scheme: dark){:root{--bg:#161616;--fg:#e6e6e6;--mut:#aaa;"
    "--line:#3a3a3a;--card:#1e1e1e}}"
    "body{background:var(--bg);color:var(--fg);font:14px/1.4 sans-serif;margin:1.5em}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}h3{font-size:1.05em}"
    "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid var(--line);"
    "padding:3px 6px;text-align:left;white-space:nowrap}td.num{text-align:right}"
    ".scroll{overflow-x:auto}.fp{font-family:monospace}.bad{color:#d62728}"
    ".h-client-limited{color:#d62728;font-weight:bold}.h-ok{color:#2ca02c}"
    ".grid{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;background:var(--card);"
    "border:1px solid var(--line);border-radius:4px;padding:4px}"
    "figure svg{max-width:100%;height:auto;display:block}"
    "p.mut,footer{color:var(--mut)}";

void report_html(sb_buf *b, const report_inputs *in)
{
    sb_buf_printf(b,
                  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"color-scheme\" content=\"light dark\">"
                  "<title>servebench report</title>\n<style>%s%s</style></head>\n<body>\n"
                  "<h1>servebench report</h1>\n",
                  page_css, chart_svg_css());
    if (in->n_runs)
        run_table(b, in);
    for (size_t i = 0; i < in->n_sweeps; i++)
        sweep_table(b, &in->sweeps[i], i);
    const char *open = NULL;
    for (size_t i = 0; i < in->charts->n; i++) {
        const char *sec = in->charts->section[i];
        const chart *c = in->charts->c[i];
        /* a new section when the heading changes, or a later file starts */
        const char *dash = strchr(c->id, '-');
        bool new_file = i && dash && c->id[0] == 'f' &&
                        strncmp(c->id, in->charts->c[i - 1]->id, (size_t)(dash - c->id) + 1) != 0;
        if (!open || strcmp(open, sec) != 0 || new_file) {
            if (open)
                sb_buf_puts(b, "</div></section>\n");
            sb_buf_puts(b, "<section class=\"charts\"><h2>");
            chart_xml_escape(b, sec);
            if (c->id[0] == 'f' && dash && c->id[1] >= '0' && c->id[1] <= '9')
                sb_buf_printf(b, " (file %.*s)", (int)(dash - c->id - 1), c->id + 1);
            sb_buf_puts(b, "</h2><div class=\"grid\">\n");
            open = sec;
        }
        sb_buf_puts(b, "<figure data-chart=\"");
        chart_xml_escape(b, c->id);
        sb_buf_puts(b, "\">\n");
        chart_svg(b, c, 560, 340, false);
        sb_buf_puts(b, "</figure>\n");
    }
    if (open)
        sb_buf_puts(b, "</div></section>\n");
    sb_buf_printf(b,
                  "<footer><p>servebench %s. Histograms and CDFs are drawn from every "
                  "request; percentile markers are the figures the run printed. No "
                  "server-side time series in these files.</p></footer>\n</body></html>\n",
                  SB_VERSION);
}

int report_write_file(const char *path, const char *data, size_t len, bool force, sb_err *err)
{
    if (!force && access(path, F_OK) == 0)
        return sb_err_set(err, "%s exists; use --force to overwrite it", path);
    size_t n = strlen(path) + 8;
    char *tmp = sb_xmalloc(n);
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        sb_err_set(err, "cannot write %s: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    int bad = fwrite(data, 1, len, f) != len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        sb_err_set(err, "cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}
