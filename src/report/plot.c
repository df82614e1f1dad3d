/* SPDX-License-Identifier: Apache-2.0 */
/* plot.c - our terminal drawing of the per-second series, in the place
 * where the reference prints its termplotlib figure (or its "tip:" line).
 *
 * Two small bar charts, output token messages per second and concurrent
 * requests per second, over the same 1 s buckets the peaks come from. When
 * there are more buckets than columns, each column shows the maximum of the
 * buckets it covers, so the peak always stays visible. Plain ASCII so it
 * survives logs and CI consoles. */
#include <math.h>
#include <stdlib.h>

#include "core/buf.h"
#include "report/report.h"

static void chart(sb_buf *out, const char *name, const double *v, size_t n, int width, int height)
{
    size_t cols = n < (size_t)width ? n : (size_t)width;
    double *col = sb_xcalloc(cols, sizeof *col);
    double peak = 0;
    for (size_t c = 0; c < cols; c++) {
        size_t a = c * n / cols, b = (c + 1) * n / cols;
        for (size_t i = a; i < b; i++)
            col[c] = v[i] > col[c] ? v[i] : col[c];
        peak = col[c] > peak ? col[c] : peak;
    }
    /* few buckets: widen each one (up to 6 characters) so short runs stay readable */
    size_t w = cols < (size_t)width ? (size_t)width / cols : 1;
    w = w > 6 ? 6 : w;
    sb_buf_printf(out, "%s (peak %.0f, %zu s)\n", name, peak, n);
    for (int row = height; row >= 1; row--) {
        if (row == height)
            sb_buf_printf(out, "%8.0f |", peak);
        else
            sb_buf_puts(out, "         |");
        for (size_t c = 0; c < cols; c++) {
            /* a column reaches this row when its value covers the row's band */
            double h = peak > 0 ? col[c] / peak * height : 0;
            for (size_t k = 0; k < w; k++)
                sb_buf_putc(out, h >= row - 0.5 && col[c] > 0 ? '#' : ' ');
        }
        sb_buf_putc(out, '\n');
    }
    sb_buf_puts(out, "       0 +");
    for (size_t c = 0; c < cols * w; c++)
        sb_buf_putc(out, '-');
    int span = (int)(cols * w);
    sb_buf_printf(out, "\n          0 s%*s%zu s\n", span > 8 ? span - 6 : 1, "", n);
    free(col);
}

void report_plot(sb_buf *out, const sb_metrics *m, int width, int height)
{
    if (m->n_buckets == 0 || m->completed == 0)
        return;
    if (width < 10)
        width = 10;
    if (height < 2)
        height = 2;
    double *conc = sb_xmalloc(m->n_buckets * sizeof *conc);
    for (size_t i = 0; i < m->n_buckets; i++)
        conc[i] = (double)m->concurrent_per_s[i];
    chart(out, "Output tokens per second", m->tokens_per_s, m->n_buckets, width, height);
    chart(out, "Concurrent requests per second", conc, m->n_buckets, width, height);
    free(conc);
}
