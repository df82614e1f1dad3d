/* SPDX-License-Identifier: Apache-2.0 */
/* slo.c - parsing and checking SLO items (see slo.h). */
#include "sweep/slo.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

static const char *const latency_metrics[] = {"ttft", "tpot", "itl", "e2el"};

static bool is_latency(const char *m, size_t n)
{
    for (size_t i = 0; i < 4; i++)
        if (strlen(latency_metrics[i]) == n && !memcmp(m, latency_metrics[i], n))
            return true;
    return false;
}

/* "p99" / "p99.9" -> 99 / 99.9, else NAN */
static double pct_of(const char *stat)
{
    if (stat[0] != 'p' || !isdigit((unsigned char)stat[1]))
        return NAN;
    char *end;
    double p = strtod(stat + 1, &end);
    return (*end == '\0' && p > 0 && p < 100) ? p : NAN;
}

static int parse_item(const char *item, sweep_slo *s, sb_err *err)
{
    memset(s, 0, sizeof *s);
    s->pct = NAN;
    const char *op = strpbrk(item, "<>");
    if (!op)
        return sb_err_set(err, "--slo item '%s': no comparison (use <=, <, >= or >)", item);
    s->upper = *op == '<';
    const char *val = op + 1;
    if (*val == '=')
        val++;
    else
        s->strict = true;
    char *end;
    s->limit = strtod(val, &end);
    while (*end == ' ')
        end++;
    if (end == val || (*end && strcmp(end, "ms") != 0) || !isfinite(s->limit))
        return sb_err_set(err, "--slo item '%s': '%s' is not a number", item, val);
    char lhs[64];
    size_t n = (size_t)(op - item);
    while (n && item[n - 1] == ' ')
        n--;
    if (n == 0 || n >= sizeof lhs)
        return sb_err_set(err, "--slo item '%s': no metric before the comparison", item);
    memcpy(lhs, item, n);
    lhs[n] = '\0';
    char *colon = strchr(lhs, ':');
    if (colon) {
        *colon = '\0';
        const char *metric = lhs, *stat = colon + 1;
        if (!is_latency(metric, strlen(metric)))
            return sb_err_set(err,
                              "--slo item '%s': metric '%s' is not one of ttft, tpot, itl, "
                              "e2el",
                              item, metric);
        s->pct = pct_of(stat);
        int w;
        if (!isnan(s->pct)) {
            w = snprintf(s->key, sizeof s->key, "p%s_%s_ms", stat + 1, metric);
        } else if (!strcmp(stat, "mean") || !strcmp(stat, "median") || !strcmp(stat, "std")) {
            w = snprintf(s->key, sizeof s->key, "%s_%s_ms", stat, metric);
        } else {
            return sb_err_set(err, "--slo item '%s': '%s' is not pNN, mean, median or std", item,
                              stat);
        }
        if (w < 0 || (size_t)w >= sizeof s->key) /* a percentile with very many digits */
            return sb_err_set(err, "--slo item '%s': the statistic's name is too long", item);
        if (!s->upper)
            return sb_err_set(err,
                              "--slo item '%s': a latency objective is an upper limit "
                              "(use <= or <)",
                              item);
        return 0;
    }
    if (!strcmp(lhs, "goodput")) {
        if (s->upper || s->limit <= 0 || s->limit > 1)
            return sb_err_set(err,
                              "--slo item '%s': goodput takes a fraction in (0, 1] as a "
                              "lower limit (goodput>=0.95)",
                              item);
        snprintf(s->key, sizeof s->key, "goodput");
        return 0;
    }
    for (const char *p = lhs; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_' && *p != '.')
            return sb_err_set(err, "--slo item '%s': '%s' is not a result key", item, lhs);
    snprintf(s->key, sizeof s->key, "%s", lhs);
    if (lhs[0] == 'p' && isdigit((unsigned char)lhs[1])) {
        char *us = strchr(lhs, '_');
        if (us) {
            *us = '\0';
            s->pct = pct_of(lhs);
        }
    }
    return 0;
}

int sweep_slo_parse(const char *spec, sweep_slo *out, size_t cap, sb_err *err)
{
    size_t n = 0;
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && *p == ' ') {
            p++;
            len--;
        }
        if (len == 0 || len >= 128)
            return sb_err_set(err, "--slo '%s': %s item", spec, len ? "an overlong" : "an empty");
        if (n == cap)
            return sb_err_set(err, "--slo '%s': more than %zu items", spec, cap);
        char item[128];
        memcpy(item, p, len);
        item[len] = '\0';
        if (parse_item(item, &out[n], err) != 0)
            return -1;
        n++;
        p += len;
        if (*p == ',')
            p++;
    }
    if (n == 0)
        return sb_err_set(err, "--slo: no objective given");
    return (int)n;
}

bool sweep_slo_meets(const sweep_slo *s, double value)
{
    if (isnan(value))
        return false;
    if (s->upper)
        return s->strict ? value < s->limit : value <= s->limit;
    return s->strict ? value > s->limit : value >= s->limit;
}

void sweep_slo_format(const sweep_slo *s, sb_buf *out)
{
    sb_buf_printf(out, "%s %s%s %g", s->key, s->upper ? "<" : ">", s->strict ? "" : "=", s->limit);
}
