/* SPDX-License-Identifier: Apache-2.0 */
/* chart_cairo.c - the cairo canvas of chart_draw, and PNG files.
 *
 * The same primitive calls as the SVG writer, painted with cairo's image
 * surface and its toy text API (sans-serif through fontconfig), always in
 * the light palette on white: a PNG goes into slides and documents whose
 * background we do not know. */
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "chart/chart.h"

static const unsigned rgb[CHART_S0 + CHART_NSERIES] = {0x222222, 0xdddddd, 0x666666, 0xffffff,
                                                       0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e,
                                                       0x9467bd, 0x8c564b, 0xe377c2, 0x17becf};

static void colour(cairo_t *cr, int style, double alpha)
{
    unsigned c = rgb[style >= 0 && style < CHART_S0 + CHART_NSERIES ? style : 0];
    cairo_set_source_rgba(cr, ((c >> 16) & 255) / 255.0, ((c >> 8) & 255) / 255.0,
                          (c & 255) / 255.0, alpha);
}

static void c_polyline(void *ud, const double *xy, size_t n, int style, int dash, double w)
{
    cairo_t *cr = ud;
    if (n < 2)
        return;
    colour(cr, style, 1);
    cairo_set_line_width(cr, w);
    static const double pattern[3][2] = {{0, 0}, {5, 3}, {1.5, 2.5}};
    cairo_set_dash(cr, pattern[dash], dash > 0 && dash < 3 ? 2 : 0, 0);
    cairo_move_to(cr, xy[0], xy[1]);
    for (size_t i = 1; i < n; i++)
        cairo_line_to(cr, xy[2 * i], xy[2 * i + 1]);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
}

static void c_rect(void *ud, double x, double y, double w, double h, int style, bool fill)
{
    cairo_t *cr = ud;
    colour(cr, style, style == CHART_PANEL ? 0.85 : 1);
    cairo_rectangle(cr, x, y, w, h);
    if (fill)
        cairo_fill(cr);
    else
        cairo_stroke(cr);
}

static void c_dots(void *ud, const double *xy, size_t n, double r, int style)
{
    cairo_t *cr = ud;
    colour(cr, style, 0.6);
    for (size_t i = 0; i < n; i++) {
        cairo_new_sub_path(cr);
        cairo_arc(cr, xy[2 * i], xy[2 * i + 1], r, 0, 2 * M_PI);
    }
    cairo_fill(cr);
}

static void c_text(void *ud, double x, double y, const char *s, int anchor, double size, int style,
                   bool rotated)
{
    cairo_t *cr = ud;
    if (!s || !*s)
        return;
    colour(cr, style, 1);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    if (rotated)
        cairo_rotate(cr, -M_PI / 2);
    cairo_move_to(cr, -e.x_advance * anchor / 2.0, 0);
    cairo_show_text(cr, s);
    cairo_restore(cr);
}

static void c_group(void *ud, const char *name, bool open)
{
    (void)ud, (void)name, (void)open;
}

int chart_png(const char *path, const chart *const *charts, size_t n_charts, int cols, int w, int h,
              sb_err *err)
{
    if (cols < 1)
        cols = 1;
    int rows = (int)((n_charts + (size_t)cols - 1) / (size_t)cols);
    if (w < 100 || h < 80 || w > 20000 || h > 20000 || rows < 1 || (long)h * rows > 20000 ||
        (long)w * cols > 20000)
        return sb_err_set(err, "%s: image size %dx%d (x %d charts) out of range", path, w, h,
                          (int)n_charts);
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w * cols, h * rows);
    cairo_t *cr = cairo_create(sf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    chart_canvas cv = {cr, c_polyline, c_rect, c_dots, c_text, c_group};
    for (size_t i = 0; i < n_charts; i++)
        chart_draw(charts[i], &cv, (double)(w * (int)(i % (size_t)cols)),
                   (double)(h * (int)(i / (size_t)cols)), w, h);
    cairo_status_t st = cairo_status(cr);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_write_to_png(sf, path);
    cairo_destroy(cr);
    cairo_surface_destroy(sf);
    if (st != CAIRO_STATUS_SUCCESS)
        return sb_err_set(err, "cannot write PNG %s: %s", path, cairo_status_to_string(st));
    return 0;
}

void chart_png_shutdown(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}
