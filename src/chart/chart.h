/* SPDX-License-Identifier: Apache-2.0 */
/* chart.h - one chart description, drawn to SVG or to a cairo surface.
 *
 * A chart is data plus labels: series of lines, steps, bars, points and
 * marker lines on a linear x/y plane. chart_draw() does the layout (margins,
 * nice ticks, legend) once and emits primitives through a chart_canvas; the
 * SVG writer (chart_svg.c) and the cairo renderer (chart_cairo.c) only
 * implement those primitives, so the HTML report and `servebench plot`
 * cannot drift apart. Colours are named by role (chart_style), not by value:
 * the SVG writer maps them to CSS classes (light and dark schemes), cairo to
 * a fixed light palette. */
#ifndef SB_CHART_H
#define SB_CHART_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

typedef enum chart_kind {
    CHART_LINE,   /* polyline through (x[i], y[i]) */
    CHART_BARS,   /* bar from x[i] to x[i] + bar_w, height y[i] (histograms) */
    CHART_POINTS, /* scatter dots */
    CHART_VLINE,  /* dashed vertical marker at each x[i], labelled labels[i] */
    CHART_HLINE   /* dashed horizontal line at y[0], labelled labels[0] (an SLO) */
} chart_kind;

/* Roles the canvases colour. CHART_S0.. are the series colours. */
typedef enum chart_style {
    CHART_FG,
    CHART_GRID,
    CHART_MUTED,
    CHART_PANEL, /* the legend's backing, translucent */
    CHART_S0,
    CHART_NSERIES = 8
} chart_style;

enum { CHART_SOLID, CHART_DASHED, CHART_DOTTED };

typedef struct chart_series {
    chart_kind kind;
    int dash;   /* LINE: CHART_SOLID (default), CHART_DASHED or CHART_DOTTED */
    char *name; /* legend text; NULL for none */
    int colour; /* 0..CHART_NSERIES-1 */
    double *x, *y;
    char **labels; /* VLINE/HLINE: one per marker (may be NULL) */
    size_t n;
    double bar_w; /* BARS */
    double *base; /* BARS: optional per-bar base (stacked bars), owned */
} chart_series;

typedef struct chart {
    char *id;                /* short name: `--chart ID`, the HTML element id */
    char *title;             /* heading */
    char *x_label, *y_label; /* with units, e.g. "TTFT (ms)" */
    char *note;              /* one line under the chart (what was left out), or NULL */
    chart_series *s;
    size_t n, cap;
    double x_inf;     /* x position labelled "inf" (a sweep's unbounded load); NAN: none */
    bool y_from_zero; /* include 0 on the y axis */
    bool x_from_zero;
} chart;

/* Owns every string and array handed to it (copies). */
chart *chart_new(const char *id, const char *title, const char *x_label, const char *y_label);
void chart_free(chart *c);
void chart_set_note(chart *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds a series with copies of x[0..n) and y[0..n) (y may be NULL for VLINE).
 * Returns it so the caller can set bar_w, base or labels. */
chart_series *chart_add(chart *c, chart_kind kind, const char *name, int colour, const double *x,
                        const double *y, size_t n);
/* Adds one labelled marker to a VLINE/HLINE series. */
void chart_add_marker(chart *c, chart_kind kind, int colour, double v, const char *label);
/* True when the chart has at least one finite data point to draw. */
bool chart_has_data(const chart *c);

/* The primitive sink: coordinates are device units (px), y grows down. */
typedef struct chart_canvas {
    void *ud;
    /* dash: CHART_SOLID, CHART_DASHED or CHART_DOTTED */
    void (*polyline)(void *ud, const double *xy, size_t n, int style, int dash, double width);
    void (*rect)(void *ud, double x, double y, double w, double h, int style, bool fill);
    void (*dots)(void *ud, const double *xy, size_t n, double r, int style);
    /* anchor: 0 start, 1 middle, 2 end; rotated: -90 degrees (y axis label) */
    void (*text)(void *ud, double x, double y, const char *s, int anchor, double size, int style,
                 bool rotated);
    /* optional grouping (SVG <g>), may be NULL */
    void (*group)(void *ud, const char *cls, bool open);
} chart_canvas;

/* Lays out and draws c into the box (x0, y0, w, h). */
void chart_draw(const chart *c, const chart_canvas *cv, double x0, double y0, double w, double h);

/* SVG: a standalone <svg> element (with its own light/dark <style> when
 * standalone, else relying on the page's CSS) of w x h px. */
void chart_svg(sb_buf *out, const chart *c, int w, int h, bool standalone);
/* The CSS the SVG classes need (both colour schemes), for a page holding
 * several non-standalone charts. */
const char *chart_svg_css(void);
/* Frees cairo's and fontconfig's process-wide caches (fonts, patterns) so
 * leak checkers see a clean exit; call once, when no more PNG will be drawn
 * in the process (the next chart_png would load them again). */
void chart_png_shutdown(void);
/* PNG of w x h px through cairo; -1 with err naming the path. */
int chart_png(const char *path, const chart *const *charts, size_t n_charts, int cols, int w, int h,
              sb_err *err);

/* Appends s with <, >, & and " as XML entities (NULL appends nothing): for
 * SVG text and attributes, and the HTML page around the charts. */
void chart_xml_escape(sb_buf *b, const char *s);

#endif
