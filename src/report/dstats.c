/* SPDX-License-Identifier: Apache-2.0 */
/* dstats.c - `--plot-dataset-stats`: <result stem>.dataset_stats.png.
 *
 * The reference's 2x2 matplotlib figure (vllm/benchmarks/plot.py:
 * generate_dataset_stats_plot): histograms of prompt, output and total
 * tokens (30 bins) and the stacked tokens of every request, drawn here from
 * the chart model through cairo. Like the reference it takes input_lens
 * (every request) and output_lens (0 for failures) of the run. */
#include <stdlib.h>

#include "chart/chart.h"
#include "report/fsutil.h"
#include "report/rcharts.h"
#include "report/report.h"

int report_save_dataset_stats(const report_opts *ro, const sb_metrics *m, const rec_store *s,
                              const report_ctx *ctx, char **path_out, sb_err *err)
{
    if (ro->result_dir && *ro->result_dir && report_make_dirs(ro->result_dir, err) < 0)
        return -1;
    int *prompt = sb_xmalloc((s->n ? s->n : 1) * sizeof *prompt);
    int *output = sb_xmalloc((s->n ? s->n : 1) * sizeof *output);
    for (size_t i = 0; i < s->n; i++) {
        prompt[i] = s->recs[i].prompt_len;
        output[i] = m->output_lens ? (int)m->output_lens[i] : 0;
    }
    report_charts cs = {0};
    report_charts_dataset(&cs, prompt, output, s->n);
    char *result = report_result_path(ro, ctx);
    char *path = report_sibling_path(result, ".dataset_stats.png");
    free(result);
    int rc = chart_png(path, (const chart *const *)cs.c, cs.n, 2, 800, 560, err);
    report_charts_free(&cs);
    free(prompt);
    free(output);
    if (rc == 0 && path_out)
        *path_out = path;
    else
        free(path);
    return rc;
}
