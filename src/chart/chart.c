/* SPDX-License-Identifier: Apache-2.0 */
/* chart.c - the chart model and its one layout/drawing routine.
 *
 * Layout is deliberately plain: fixed margins sized for 5-digit tick labels,
 * "nice" ticks (1, 2, 5 x 10^k), a legend in the top-right corner. Every
 * renderer sees the same primitive calls, so an SVG in the report and a PNG
 * from `servebench plot` are the same picture. Callers downsample what they
 * hand in (a chart never holds more than a few thousand points). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart/chart.h"

#define M_LEFT 70.0
#define M_RIGHT 18.0
#define M_TOP 30.0
#define M_BOTTOM 46.0

chart *chart_new(const char *id, const char *title, const char *x_label, const char *y_label)
{
    chart *c = sb_xcalloc(1, sizeof *c);
    c->id = sb_xstrdup(id);
    c->title = sb_xstrdup(title);
    c->x_label = sb_xstrdup(x_label);
    c->y_label = sb_xstrdup(y_label);
    c->y_from_zero = true;
    c->x_inf = NAN;
    return c;
}

void chart_free(chart *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        chart_series *s = &c->s[i];
        free(s->name);
        free(s->x);
        free(s->y);
        free(s->base);
        if (s->labels)
            for (size_t j = 0; j < s->n; j++)
                free(s->labels[j]);
        free(s->labels);
    }
    free(c->s);
    free(c->id);
    free(c->title);
    free(c->x_label);
    free(c->y_label);
    free(c->note);
    free(c);
}

void chart_set_note(chart *c, const char *fmt, ...)
{
    sb_buf b;
    sb_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    sb_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    free(c->note);
    c->note = sb_buf_steal(&b);
}

static double *dup_arr(const double *a, size_t n)
{
    if (!a || n == 0)
        return NULL;
    double *d = sb_xmalloc(n * sizeof *d);
    memcpy(d, a, n * sizeof *d);
    return d;
}

chart_series *chart_add(chart *c, chart_kind kind, const char *name, int colour, const double *x,
                        const double *y, size_t n)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 4;
        c->s = sb_xrealloc(c->s, c->cap * sizeof *c->s);
    }
    chart_series *s = &c->s[c->n++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->name = name ? sb_xstrdup(name) : NULL;
    s->colour = colour % CHART_NSERIES;
    s->x = dup_arr(x, n);
    s->y = dup_arr(y, n);
    s->n = n;
    return s;
}

void chart_add_marker(chart *c, chart_kind kind, int colour, double v, const char *label)
{
    chart_series *s = NULL;
    for (size_t i = 0; i < c->n; i++)
        if (c->s[i].kind == kind && c->s[i].colour == colour % CHART_NSERIES)
            s = &c->s[i];
    if (!s)
        s = chart_add(c, kind, NULL, colour, NULL, NULL, 0);
    s->x = sb_xrealloc(s->x, (s->n + 1) * sizeof *s->x);
    s->labels = sb_xrealloc(s->labels, (s->n + 1) * sizeof *s->labels);
    s->x[s->n] = v;
    s->labels[s->n] = label ? sb_xstrdup(label) : NULL;
    s->n++;
}

/* A running min/max over finite values. */
typedef struct range {
    double lo, hi;
} range;

static void widen(range *r, double v)
{
    if (!isfinite(v))
        return;
    r->lo = v < r->lo ? v : r->lo;
    r->hi = v > r->hi ? v : r->hi;
}

bool chart_has_data(const chart *c)
{
    for (size_t i = 0; i < c->n; i++) {
        const chart_series *s = &c->s[i];
        if (s->kind == CHART_VLINE || s->kind == CHART_HLINE)
            continue;
        for (size_t j = 0; j < s->n; j++)
            if (isfinite(s->x[j]) && isfinite(s->y[j]))
                return true;
    }
    return false;
}

static void ranges(const chart *c, range *rx, range *ry)
{
    *rx = (range){INFINITY, -INFINITY};
    *ry = (range){INFINITY, -INFINITY};
    for (size_t i = 0; i < c->n; i++) {
        const chart_series *s = &c->s[i];
        for (size_t j = 0; j < s->n; j++) {
            switch (s->kind) {
            case CHART_VLINE:
                widen(rx, s->x[j]);
                break;
            case CHART_HLINE:
                widen(ry, s->x[j]);
                break;
            case CHART_BARS: {
                double b = s->base ? s->base[j] : 0;
                widen(rx, s->x[j]);
                widen(rx, s->x[j] + s->bar_w);
                widen(ry, b);
                widen(ry, b + s->y[j]);
                break;
            }
            default:
                if (isfinite(s->y[j]))
                    widen(rx, s->x[j]);
                if (isfinite(s->x[j]))
                    widen(ry, s->y[j]);
            }
        }
    }
    if (c->y_from_zero)
        widen(ry, 0);
    if (c->x_from_zero)
        widen(rx, 0);
    if (!(rx->lo <= rx->hi))
        *rx = (range){0, 1};
    if (!(ry->lo <= ry->hi))
        *ry = (range){0, 1};
    if (rx->hi == rx->lo)
        rx->hi = rx->lo + (rx->lo != 0 ? fabs(rx->lo) * 0.1 : 1);
    if (ry->hi == ry->lo)
        ry->hi = ry->lo + (ry->lo != 0 ? fabs(ry->lo) * 0.1 : 1);
    ry->hi += (ry->hi - ry->lo) * 0.06; /* headroom for the legend and markers */
}

/* A 1-2-5 step giving about `want` intervals over r. */
static double nice_step(range r, int want)
{
    double raw = (r.hi - r.lo) / want, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

/* Ticks are the multiples k * step inside r (with a 1e-9 step slack at the top), counted
 * with an integer so rounding does not pile up along the axis and a degenerate step
 * (zero or NaN on an empty range) draws nothing instead of looping. *first is the k of
 * the first tick. */
static int tick_count(range r, double step, double *first)
{
    *first = ceil(r.lo / step);
    double n = floor(r.hi / step + 1e-9) - *first + 1;
    if (!(n > 0))
        return 0;
    return n > 100 ? 100 : (int)n;
}

static void tick_label(char *out, size_t size, double v, double step)
{
    if (fabs(v) < step * 1e-9)
        v = 0;
    double a = fabs(v);
    if (a >= 1e6)
        snprintf(out, size, "%.3gM", v / 1e6);
    else if (a >= 1e4)
        snprintf(out, size, "%.4gk", v / 1e3);
    else
        snprintf(out, size, "%.*f", step >= 1 ? 0 : (int)ceil(-log10(step)), v);
}

typedef struct frame {
    double px, py, pw, ph; /* plot area */
    range rx, ry;
} frame;

static double fx(const frame *f, double x)
{
    return f->px + (x - f->rx.lo) / (f->rx.hi - f->rx.lo) * f->pw;
}

static double fy(const frame *f, double y)
{
    return f->py + f->ph - (y - f->ry.lo) / (f->ry.hi - f->ry.lo) * f->ph;
}

static double clampx(const frame *f, double x)
{
    return fmin(fmax(x, f->px), f->px + f->pw);
}

static double clampy(const frame *f, double y)
{
    return fmin(fmax(y, f->py), f->py + f->ph);
}

static void axes(const chart *c, const chart_canvas *cv, const frame *f)
{
    char lab[32];
    double sx = nice_step(f->rx, 6), sy = nice_step(f->ry, 5);
    cv->group(cv->ud, "grid", true);
    double inf_px = isfinite(c->x_inf) ? fx(f, c->x_inf) : NAN;
    double k0;
    int nx = tick_count(f->rx, sx, &k0);
    for (int i = 0; i < nx; i++) {
        double v = (k0 + i) * sx;
        double xy[4] = {fx(f, v), f->py, fx(f, v), f->py + f->ph};
        cv->polyline(cv->ud, xy, 2, CHART_GRID, CHART_SOLID, 1);
        tick_label(lab, sizeof lab, v, sx);
        if (!(fabs(xy[0] - inf_px) < 30)) /* the "inf" label wins a crowded spot */
            cv->text(cv->ud, xy[0], f->py + f->ph + 14, lab, 1, 11, CHART_MUTED, false);
    }
    if (isfinite(inf_px))
        cv->text(cv->ud, inf_px, f->py + f->ph + 14, "inf", 1, 11, CHART_FG, false);
    int ny = tick_count(f->ry, sy, &k0);
    for (int i = 0; i < ny; i++) {
        double v = (k0 + i) * sy;
        double xy[4] = {f->px, fy(f, v), f->px + f->pw, fy(f, v)};
        cv->polyline(cv->ud, xy, 2, CHART_GRID, CHART_SOLID, 1);
        tick_label(lab, sizeof lab, v, sy);
        cv->text(cv->ud, f->px - 5, xy[1] + 4, lab, 2, 11, CHART_MUTED, false);
    }
    cv->group(cv->ud, NULL, false);
    double box[10] = {f->px,         f->py, f->px + f->pw, f->py, f->px + f->pw,
                      f->py + f->ph, f->px, f->py + f->ph, f->px, f->py};
    cv->polyline(cv->ud, box, 5, CHART_FG, CHART_SOLID, 1);
    cv->text(cv->ud, f->px + f->pw / 2, f->py + f->ph + 32, c->x_label, 1, 12, CHART_FG, false);
    cv->text(cv->ud, f->px - 52, f->py + f->ph / 2, c->y_label, 1, 12, CHART_FG, true);
}

/* mark_no counts marker labels over the whole chart, so labels of
 * neighbouring markers from different series sit on different rows. */
static void series(const chart_series *s, const chart_canvas *cv, const frame *f, int *mark_no)
{
    int st = CHART_S0 + s->colour;
    switch (s->kind) {
    case CHART_BARS:
        for (size_t j = 0; j < s->n; j++) {
            double b = s->base ? s->base[j] : 0;
            if (!isfinite(s->y[j]) || s->y[j] == 0)
                continue;
            double x0 = fx(f, s->x[j]), x1 = fx(f, s->x[j] + s->bar_w);
            double y0 = clampy(f, fy(f, b + s->y[j])), y1 = clampy(f, fy(f, b));
            cv->rect(cv->ud, x0, y0, fmax(x1 - x0, 0.5), fmax(y1 - y0, 0.5), st, true);
        }
        break;
    case CHART_LINE: {
        double *xy = sb_xmalloc(2 * (s->n ? s->n : 1) * sizeof *xy);
        size_t k = 0;
        for (size_t j = 0; j <= s->n; j++) {
            bool ok = j < s->n && isfinite(s->x[j]) && isfinite(s->y[j]);
            if (ok) {
                xy[2 * k] = fx(f, s->x[j]);
                xy[2 * k + 1] = clampy(f, fy(f, s->y[j]));
                k++;
            } else if (k) { /* a gap (NaN) ends one polyline */
                cv->polyline(cv->ud, xy, k, st, s->dash, 2);
                if (k == 1)
                    cv->dots(cv->ud, xy, 1, 3, st);
                k = 0;
            }
        }
        free(xy);
        break;
    }
    case CHART_POINTS: {
        double *xy = sb_xmalloc(2 * (s->n ? s->n : 1) * sizeof *xy);
        size_t k = 0;
        for (size_t j = 0; j < s->n; j++)
            if (isfinite(s->x[j]) && isfinite(s->y[j])) {
                xy[2 * k] = fx(f, s->x[j]);
                xy[2 * k + 1] = fy(f, s->y[j]);
                k++;
            }
        cv->dots(cv->ud, xy, k, s->n > 500 ? 1.6 : 3, st);
        free(xy);
        break;
    }
    case CHART_VLINE:
        for (size_t j = 0; j < s->n; j++) {
            if (!isfinite(s->x[j]))
                continue;
            double x = clampx(f, fx(f, s->x[j])), xy[4] = {x, f->py, x, f->py + f->ph};
            cv->polyline(cv->ud, xy, 2, st, CHART_DASHED, 1.2);
            if (s->labels && s->labels[j]) { /* stagger labels so neighbours stay readable */
                bool right = x > f->px + 0.75 * f->pw;
                cv->text(cv->ud, right ? x - 3 : x + 3, f->py + 12 + 12 * (double)(*mark_no % 5),
                         s->labels[j], right ? 2 : 0, 10, st, false);
                ++*mark_no;
            }
        }
        break;
    case CHART_HLINE:
        for (size_t j = 0; j < s->n; j++) {
            if (!isfinite(s->x[j]))
                continue;
            double y = clampy(f, fy(f, s->x[j])), xy[4] = {f->px, y, f->px + f->pw, y};
            cv->polyline(cv->ud, xy, 2, st, CHART_DASHED, 1.5);
            if (s->labels && s->labels[j])
                cv->text(cv->ud, f->px + 4, y - 4, s->labels[j], 0, 10, st, false);
        }
        break;
    }
}

static void legend(const chart *c, const chart_canvas *cv, const frame *f)
{
    /* a translucent panel keeps the names readable over the data; its width
     * is estimated (the canvases have no text metrics): 6.3 px a character */
    size_t rows = 0, longest = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->s[i].name) {
            rows++;
            size_t len = strlen(c->s[i].name);
            longest = len > longest ? len : longest;
        }
    if (rows) {
        double w = fmin(6.3 * (double)longest + 40, f->pw - 4);
        cv->rect(cv->ud, f->px + f->pw - w - 2, f->py + 3, w, 15.0 * (double)rows + 6, CHART_PANEL,
                 true);
    }
    double y = f->py + 14;
    for (size_t i = 0; i < c->n; i++) {
        const chart_series *s = &c->s[i];
        if (!s->name)
            continue;
        double x = f->px + f->pw - 8;
        cv->text(cv->ud, x - 22, y + 4, s->name, 2, 11, CHART_FG, false);
        if (s->kind == CHART_LINE) { /* a line sample shows the dash pattern */
            double xy[4] = {x - 18, y, x, y};
            cv->polyline(cv->ud, xy, 2, CHART_S0 + s->colour, s->dash, 2);
        } else {
            cv->rect(cv->ud, x - 12, y - 4, 10, 8, CHART_S0 + s->colour, true);
        }
        y += 15;
    }
}

void chart_draw(const chart *c, const chart_canvas *cv, double x0, double y0, double w, double h)
{
    frame f = {.px = x0 + M_LEFT,
               .py = y0 + M_TOP,
               .pw = w - M_LEFT - M_RIGHT,
               .ph = h - M_TOP - M_BOTTOM - (c->note ? 14 : 0)};
    ranges(c, &f.rx, &f.ry);
    cv->text(cv->ud, x0 + w / 2, y0 + 18, c->title, 1, 14, CHART_FG, false);
    axes(c, cv, &f);
    if (!chart_has_data(c))
        cv->text(cv->ud, f.px + f.pw / 2, f.py + f.ph / 2, "no data", 1, 13, CHART_MUTED, false);
    int mark_no = 0;
    for (size_t i = 0; i < c->n; i++) {
        cv->group(cv->ud, c->s[i].name ? "series" : "marks", true);
        series(&c->s[i], cv, &f, &mark_no);
        cv->group(cv->ud, NULL, false);
    }
    legend(c, cv, &f);
    if (c->note)
        cv->text(cv->ud, x0 + 6, y0 + h - 4, c->note, 0, 10, CHART_MUTED, false);
}
