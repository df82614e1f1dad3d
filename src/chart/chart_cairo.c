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
#include <pthread.h>
#include <string.h>

#include "chart/chart.h"
#include "core/dynlib.h"

/* cairo (and fontconfig) are opened on the first PNG, not linked: with
 * pixman, freetype and the X11 client libraries they are some twenty shared
 * objects loaded at every start otherwise (core/dynlib.h), and only PNG
 * charts use them. */
#define CAIRO_FNS(X)                                                                               \
    X(FcFini)                                                                                      \
    X(cairo_arc)                                                                                   \
    X(cairo_create)                                                                                \
    X(cairo_debug_reset_static_data)                                                               \
    X(cairo_destroy)                                                                               \
    X(cairo_fill)                                                                                  \
    X(cairo_image_surface_create)                                                                  \
    X(cairo_line_to)                                                                               \
    X(cairo_move_to)                                                                               \
    X(cairo_new_sub_path)                                                                          \
    X(cairo_paint)                                                                                 \
    X(cairo_rectangle)                                                                             \
    X(cairo_restore)                                                                               \
    X(cairo_rotate)                                                                                \
    X(cairo_save)                                                                                  \
    X(cairo_select_font_face)                                                                      \
    X(cairo_set_dash)                                                                              \
    X(cairo_set_font_size)                                                                         \
    X(cairo_set_line_width)                                                                        \
    X(cairo_set_source_rgb)                                                                        \
    X(cairo_set_source_rgba)                                                                       \
    X(cairo_show_text)                                                                             \
    X(cairo_status)                                                                                \
    X(cairo_status_to_string)                                                                      \
    X(cairo_stroke)                                                                                \
    X(cairo_surface_destroy)                                                                       \
    X(cairo_surface_write_to_png)                                                                  \
    X(cairo_text_extents)                                                                          \
    X(cairo_translate)

static struct chart_cairo {
    CAIRO_FNS(SB_DYNLIB_FIELD)
    char error[512]; /* why cairo could not be used; "" when it can */
    bool loaded;
} cx;

static void cairo_load(void)
{
    /* sonames of cairo 1.x and fontconfig 2.x */
    static const char *const libs[] = {"libcairo.so.2", "libfontconfig.so.1"};
    static const char *const names[] = {CAIRO_FNS(SB_DYNLIB_NAME)};
    void *syms[sizeof names / sizeof *names];
    if (sb_dynlib_open(libs, 2, names, syms, sizeof names / sizeof *names, cx.error,
                       sizeof cx.error) != 0)
        return;
    size_t i = 0;
#define CAIRO_FN_SET(f) memcpy(&cx.f, &syms[i++], sizeof cx.f);
    CAIRO_FNS(CAIRO_FN_SET)
#undef CAIRO_FN_SET
    cx.loaded = true;
}

static pthread_once_t cairo_once = PTHREAD_ONCE_INIT;

static const unsigned rgb[CHART_S0 + CHART_NSERIES] = {0x222222, 0xdddddd, 0x666666, 0xffffff,
                                                       0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e,
                                                       0x9467bd, 0x8c564b, 0xe377c2, 0x17becf};

static void colour(cairo_t *cr, int style, double alpha)
{
    unsigned c = rgb[style >= 0 && style < CHART_S0 + CHART_NSERIES ? style : 0];
    cx.cairo_set_source_rgba(cr, ((c >> 16) & 255) / 255.0, ((c >> 8) & 255) / 255.0,
                             (c & 255) / 255.0, alpha);
}

static void c_polyline(void *ud, const double *xy, size_t n, int style, int dash, double w)
{
    cairo_t *cr = ud;
    if (n < 2)
        return;
    colour(cr, style, 1);
    cx.cairo_set_line_width(cr, w);
    static const double pattern[3][2] = {{0, 0}, {5, 3}, {1.5, 2.5}};
    cx.cairo_set_dash(cr, pattern[dash], dash > 0 && dash < 3 ? 2 : 0, 0);
    cx.cairo_move_to(cr, xy[0], xy[1]);
    for (size_t i = 1; i < n; i++)
        cx.cairo_line_to(cr, xy[2 * i], xy[2 * i + 1]);
    cx.cairo_stroke(cr);
    cx.cairo_set_dash(cr, NULL, 0, 0);
}

static void c_rect(void *ud, double x, double y, double w, double h, int style, bool fill)
{
    cairo_t *cr = ud;
    colour(cr, style, style == CHART_PANEL ? 0.85 : 1);
    cx.cairo_rectangle(cr, x, y, w, h);
    if (fill)
        cx.cairo_fill(cr);
    else
        cx.cairo_stroke(cr);
}

static void c_dots(void *ud, const double *xy, size_t n, double r, int style)
{
    cairo_t *cr = ud;
    colour(cr, style, 0.6);
    for (size_t i = 0; i < n; i++) {
        cx.cairo_new_sub_path(cr);
        cx.cairo_arc(cr, xy[2 * i], xy[2 * i + 1], r, 0, 2 * M_PI);
    }
    cx.cairo_fill(cr);
}

static void c_text(void *ud, double x, double y, const char *s, int anchor, double size, int style,
                   bool rotated)
{
    cairo_t *cr = ud;
    if (!s || !*s)
        return;
    colour(cr, style, 1);
    cx.cairo_set_font_size(cr, size);
    cairo_text_extents_t e;
    cx.cairo_text_extents(cr, s, &e);
    cx.cairo_save(cr);
    cx.cairo_translate(cr, x, y);
    if (rotated)
        cx.cairo_rotate(cr, -M_PI / 2);
    cx.cairo_move_to(cr, -e.x_advance * anchor / 2.0, 0);
    cx.cairo_show_text(cr, s);
    cx.cairo_restore(cr);
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
    pthread_once(&cairo_once, cairo_load);
    if (!cx.loaded)
        return sb_err_set(err, "cannot write PNG %s: cairo: %s", path, cx.error);
    cairo_surface_t *sf = cx.cairo_image_surface_create(CAIRO_FORMAT_RGB24, w * cols, h * rows);
    cairo_t *cr = cx.cairo_create(sf);
    cx.cairo_set_source_rgb(cr, 1, 1, 1);
    cx.cairo_paint(cr);
    cx.cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    chart_canvas cv = {cr, c_polyline, c_rect, c_dots, c_text, c_group};
    for (size_t i = 0; i < n_charts; i++)
        chart_draw(charts[i], &cv, (double)(w * (int)(i % (size_t)cols)),
                   (double)(h * (int)(i / (size_t)cols)), w, h);
    cairo_status_t st = cx.cairo_status(cr);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cx.cairo_surface_write_to_png(sf, path);
    cx.cairo_destroy(cr);
    cx.cairo_surface_destroy(sf);
    if (st != CAIRO_STATUS_SUCCESS)
        return sb_err_set(err, "cannot write PNG %s: %s", path, cx.cairo_status_to_string(st));
    return 0;
}

void chart_png_shutdown(void)
{
    if (!cx.loaded) /* nothing of cairo's to release */
        return;
    cx.cairo_debug_reset_static_data();
    cx.FcFini();
}
