/* SPDX-License-Identifier: Apache-2.0 */
/* chart_svg.c - the SVG canvas of chart_draw.
 *
 * Colours are CSS classes (c-fg, c-grid, c-muted, c-s0..c-s7) so one file
 * reads in light and dark schemes through prefers-color-scheme. Coordinates
 * carry one decimal: sub-pixel precision beyond that only grows the file.
 * Scatter dots are one <path> of zero-length round-capped segments per
 * series, about 12 bytes a dot instead of ~40 for <circle>. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "chart/chart.h"

static const char *const light[CHART_S0 + CHART_NSERIES] = {
    "#222",    "#ddd",    "#666",    "#fff",    "#1f77b4", "#d62728",
    "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
static const char *const dark[CHART_S0 + CHART_NSERIES] = {
    "#e6e6e6", "#3a3a3a", "#aaa",    "#1e1e1e", "#5fa8e8", "#ff6b6b",
    "#6ad46a", "#ffab4c", "#c39bf0", "#d09a85", "#f5a3d8", "#4fd8e8"};

static void css_rules(sb_buf *b, const char *const *pal)
{
    static const char *const names[] = {"fg", "grid", "muted", "panel"};
    for (int i = 0; i < CHART_S0 + CHART_NSERIES; i++) {
        char n[8];
        if (i < CHART_S0)
            snprintf(n, sizeof n, "%s", names[i]);
        else
            snprintf(n, sizeof n, "s%d", i - CHART_S0);
        sb_buf_printf(b, ".c-%s{stroke:%s;fill:%s}.t-%s{fill:%s;stroke:none}", n, pal[i], pal[i], n,
                      pal[i]);
    }
}

const char *chart_svg_css(void)
{
    static char css[4096];
    if (!css[0]) {
        sb_buf b;
        sb_buf_init(&b);
        sb_buf_puts(&b, "svg.chart text{font-family:sans-serif}"
                        "svg.chart .ln{fill:none}svg.chart .dt{fill:none;stroke-linecap:round}");
        css_rules(&b, light);
        sb_buf_puts(&b, "svg.chart .bg{fill:#fff}@media (prefers-color-scheme: dark){");
        css_rules(&b, dark);
        sb_buf_puts(&b, "svg.chart .bg{fill:#1b1b1b}");
        sb_buf_puts(&b, "}");
        snprintf(css, sizeof css, "%s", b.data);
        sb_buf_free(&b);
    }
    return css;
}

static const char *cls(int style)
{
    static const char *const n[CHART_S0 + CHART_NSERIES] = {
        "fg", "grid", "muted", "panel", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"};
    return n[style >= 0 && style < CHART_S0 + CHART_NSERIES ? style : 0];
}

void chart_xml_escape(sb_buf *b, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '<':
            sb_buf_puts(b, "&lt;");
            break;
        case '>':
            sb_buf_puts(b, "&gt;");
            break;
        case '&':
            sb_buf_puts(b, "&amp;");
            break;
        case '"':
            sb_buf_puts(b, "&quot;");
            break;
        default:
            sb_buf_putc(b, *s);
        }
}

static void svg_polyline(void *ud, const double *xy, size_t n, int style, int dash, double w)
{
    sb_buf *b = ud;
    sb_buf_printf(b, "<polyline class=\"ln c-%s\" stroke-width=\"%g\"%s points=\"", cls(style), w,
                  dash == CHART_DASHED   ? " stroke-dasharray=\"5 3\""
                  : dash == CHART_DOTTED ? " stroke-dasharray=\"1.5 2.5\""
                                         : "");
    for (size_t i = 0; i < n; i++)
        sb_buf_printf(b, "%s%.1f,%.1f", i ? " " : "", xy[2 * i], xy[2 * i + 1]);
    sb_buf_puts(b, "\"/>\n");
}

static void svg_rect(void *ud, double x, double y, double w, double h, int style, bool fill)
{
    sb_buf_printf(ud,
                  "<rect class=\"c-%s\"%s x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                  cls(style),
                  !fill                  ? " fill-opacity=\"0\""
                  : style == CHART_PANEL ? " stroke-width=\"0\" fill-opacity=\"0.85\""
                                         : " stroke-width=\"0\"",
                  x, y, w, h);
}

static void svg_dots(void *ud, const double *xy, size_t n, double r, int style)
{
    sb_buf *b = ud;
    if (!n)
        return;
    sb_buf_printf(b, "<path class=\"dt c-%s\" stroke-width=\"%.1f\" stroke-opacity=\"0.6\" d=\"",
                  cls(style), 2 * r);
    for (size_t i = 0; i < n; i++)
        sb_buf_printf(b, "M%.1f %.1fh0", xy[2 * i], xy[2 * i + 1]);
    sb_buf_puts(b, "\"/>\n");
}

static void svg_text(void *ud, double x, double y, const char *s, int anchor, double size,
                     int style, bool rotated)
{
    sb_buf *b = ud;
    static const char *const anchors[] = {"start", "middle", "end"};
    sb_buf_printf(b, "<text class=\"t-%s\" x=\"%.1f\" y=\"%.1f\" font-size=\"%g\"", cls(style), x,
                  y, size);
    if (anchor)
        sb_buf_printf(b, " text-anchor=\"%s\"", anchors[anchor]);
    if (rotated)
        sb_buf_printf(b, " transform=\"rotate(-90 %.1f %.1f)\"", x, y);
    sb_buf_putc(b, '>');
    chart_xml_escape(b, s ? s : "");
    sb_buf_puts(b, "</text>\n");
}

static void svg_group(void *ud, const char *name, bool open)
{
    if (open)
        sb_buf_printf(ud, "<g class=\"%s\">\n", name);
    else
        sb_buf_puts(ud, "</g>\n");
}

void chart_svg(sb_buf *out, const chart *c, int w, int h, bool standalone)
{
    sb_buf_printf(out,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"chart-%s\" "
                  "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n<title>",
                  c->id, w, h, w, h);
    chart_xml_escape(out, c->title);
    sb_buf_puts(out, "</title>\n");
    if (standalone) /* a file opened alone needs its own colours and background */
        sb_buf_printf(out,
                      "<style>%s</style>\n<rect class=\"bg\" width=\"100%%\" "
                      "height=\"100%%\"/>\n",
                      chart_svg_css());
    chart_canvas cv = {out, svg_polyline, svg_rect, svg_dots, svg_text, svg_group};
    chart_draw(c, &cv, 0, 0, w, h);
    sb_buf_puts(out, "</svg>\n");
}
