/* SPDX-License-Identifier: Apache-2.0 */
/* compare_cmd.c - `servebench compare BASE OTHER...`: every metric side by
 * side, the change in absolute and %, and whether it is significant.
 *
 * A side is one result file, a JSON Lines file of several runs
 * (--append-result), or several files joined by commas: the runs of one
 * configuration. With two or more runs on both sides a metric is tested
 * with Welch's t on the per-run values (the figure itself, e.g. p99, varies
 * run to run); otherwise latency metrics are tested with the Mann-Whitney U
 * test on the per-request samples of detailed results (the distributions,
 * not the percentile); anything else has no test. Reference-written files
 * (`vllm bench serve --save-result`) work with what they hold. */
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/commands.h"
#include "cli/opt.h"
#include "core/buf.h"
#include "sweep/result.h"
#include "sweep/sstat.h"

#define CMP_MAX_SIDES 16
#define CMP_MAX_GATES 32

static const char usage_text[] =
    "usage: servebench compare [OPTIONS] BASE OTHER [OTHER...]\n"
    "\n"
    "Compares result JSON files (servebench serve or vllm bench serve --save-result)\n"
    "metric by metric against BASE. A side is a file, a JSON Lines file of several runs,\n"
    "or files joined by commas (runs of one configuration). Manual: docs/compare.md.\n"
    "\n"
    "  --fail-if LIST        regression gates, e.g. \"p99_ttft_ms:+5%,output_throughput:-3%\":\n"
    "                        exit 1 when a metric rises (+) or falls (-) by more than that\n"
    "                        (percent of BASE, or an absolute amount without %)\n"
    "  --require-significance  a gate trips only when its change is also significant\n"
    "  --alpha A             significance level (default 0.05)\n"
    "  --all                 also list metrics that did not change\n"
    "\n"
    "Exit status: 0 no gate tripped; 1 a gate tripped; 2 bad usage or input.\n";

typedef struct side {
    const char *label;         /* the argument as given */
    json_t *runs;              /* array of result objects */
    double *ttft, *itl, *e2el; /* pooled per-request samples (ms); NULL when none */
    size_t n_ttft, n_itl, n_e2el;
} side;

typedef struct gate {
    char key[96];
    bool up; /* + : fail when the metric rises by more than amount */
    bool pct;
    double amount;
} gate;

static int bad(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "servebench compare: error: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return SB_EXIT_USAGE;
}

static void push(double **v, size_t *n, size_t *cap, double x)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 256;
        *v = sb_xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*n)++] = x;
}

/* Per-request samples of the successful requests of a detailed result:
 * TTFT, mean ITL, and TTFT + the ITLs (E2EL), all in ms. */
static void collect_samples(side *s, json_t *res)
{
    json_t *ttfts = json_object_get(res, "ttfts"), *itls = json_object_get(res, "itls");
    json_t *errors = json_object_get(res, "errors");
    if (!json_is_array(ttfts))
        return;
    /* capacity == count: the first push of this run grows the array */
    size_t cap_t = s->n_ttft, cap_i = s->n_itl, cap_e = s->n_e2el;
    for (size_t i = 0; i < json_array_size(ttfts); i++) {
        const char *e = json_string_value(json_array_get(errors, i));
        double t = json_number_value(json_array_get(ttfts, i));
        if ((e && *e) || !json_is_number(json_array_get(ttfts, i)) || !(t > 0))
            continue;
        push(&s->ttft, &s->n_ttft, &cap_t, t * 1e3);
        json_t *g = json_array_get(itls, i);
        double sum = 0;
        size_t n = json_is_array(g) ? json_array_size(g) : 0;
        for (size_t j = 0; j < n; j++)
            sum += json_number_value(json_array_get(g, j));
        if (n)
            push(&s->itl, &s->n_itl, &cap_i, sum / (double)n * 1e3);
        if (json_is_array(g))
            push(&s->e2el, &s->n_e2el, &cap_e, (t + sum) * 1e3);
    }
}

static int load_side(side *s, const char *arg)
{
    s->label = arg;
    s->runs = json_array();
    char *copy = sb_xstrdup(arg);
    int rc = 0;
    for (char *save = NULL, *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        json_t *objs;
        sweep_file_kind kind;
        sb_err err;
        if (sweep_json_load(f, false, &objs, &kind, NULL, &err) != 0) {
            rc = bad("%s%s", err.msg, "");
            break;
        }
        if (kind == SWEEP_FILE_SWEEP) {
            json_decref(objs);
            rc = bad("%s is a sweep file (sweep.jsonl); compare the per-point results in its "
                     "points/ folder%s",
                     f, "");
            break;
        }
        size_t i;
        json_t *o;
        json_array_foreach(objs, i, o)
        {
            json_array_append(s->runs, o);
            collect_samples(s, o);
        }
        json_decref(objs);
    }
    free(copy);
    return rc;
}

static void free_side(side *s)
{
    json_decref(s->runs);
    free(s->ttft);
    free(s->itl);
    free(s->e2el);
}

static bool is_metric(const char *k, const json_t *v)
{
    return json_is_number(v) && !sweep_is_config_key(k);
}

/* Per-run values of key on a side (NAN where absent). */
static size_t side_values(const side *s, const char *key, double *out)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(s->runs); i++) {
        double v = sweep_json_num(json_array_get(s->runs, i), key);
        if (isfinite(v))
            out[n++] = v;
    }
    return n;
}

/* Which per-request sample a latency key is tested on. */
static int sample_kind(const char *key)
{
    if (!strncmp(key, "std_", 4))
        return 0; /* a location test says nothing about a spread */
    if (strstr(key, "_ttft_ms"))
        return 1;
    if (strstr(key, "_itl_ms") || strstr(key, "_tpot_ms"))
        return 2;
    if (strstr(key, "_e2el_ms"))
        return 3;
    return 0;
}

typedef struct row_test {
    const char *name; /* "welch", "mann-whitney", or "-" */
    double p;
} row_test;

static void test_metric(const side *a, const side *b, const char *key, double *va, size_t na,
                        double *vb, size_t nb, row_test *t)
{
    sweep_test r;
    t->name = "-";
    t->p = NAN;
    if (na >= 2 && nb >= 2 && sweep_welch(va, na, vb, nb, &r) == 0) {
        t->name = "welch";
        t->p = r.p;
        return;
    }
    int k = sample_kind(key);
    const double *sa = k == 1 ? a->ttft : k == 2 ? a->itl : k == 3 ? a->e2el : NULL;
    const double *sb = k == 1 ? b->ttft : k == 2 ? b->itl : k == 3 ? b->e2el : NULL;
    size_t nsa = k == 1 ? a->n_ttft : k == 2 ? a->n_itl : a->n_e2el;
    size_t nsb = k == 1 ? b->n_ttft : k == 2 ? b->n_itl : b->n_e2el;
    if (!sa || !sb || nsa < 8 || nsb < 8)
        return;
    double *ca = sb_xmalloc(nsa * sizeof *ca), *cb = sb_xmalloc(nsb * sizeof *cb);
    memcpy(ca, sa, nsa * sizeof *ca);
    memcpy(cb, sb, nsb * sizeof *cb);
    if (sweep_mann_whitney(ca, nsa, cb, nsb, &r) == 0) {
        t->name = "mann-whitney";
        t->p = r.p;
    }
    free(ca);
    free(cb);
}

static int parse_gates(const char *spec, gate *g, size_t *n)
{
    *n = 0;
    char *copy = sb_xstrdup(spec);
    int rc = 0;
    for (char *save = NULL, *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        while (*it == ' ')
            it++;
        char *colon = strrchr(it, ':');
        if (*n == CMP_MAX_GATES) {
            rc = bad("--fail-if: more than 32 gates%s%s", "", "");
            break;
        }
        if (!colon || colon == it || (colon[1] != '+' && colon[1] != '-')) {
            rc = bad("--fail-if item '%s': expected KEY:+AMOUNT[%%] or KEY:-AMOUNT[%%]%s", it, "");
            break;
        }
        gate *x = &g[*n];
        size_t kl = (size_t)(colon - it);
        if (kl >= sizeof x->key) {
            rc = bad("--fail-if item '%s': key too long%s", it, "");
            break;
        }
        memcpy(x->key, it, kl);
        x->key[kl] = '\0';
        x->up = colon[1] == '+';
        char *end;
        x->amount = strtod(colon + 2, &end);
        x->pct = *end == '%';
        if (x->pct)
            end++;
        if (end == colon + 2 || *end || !(x->amount >= 0) || !isfinite(x->amount)) {
            rc = bad("--fail-if item '%s': '%s' is not an amount", it, colon + 2);
            break;
        }
        (*n)++;
    }
    free(copy);
    if (rc == 0 && *n == 0)
        rc = bad("--fail-if: no gate given%s%s", "", "");
    return rc;
}

static const char *fmt_val(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else if (fabs(v) >= 1e6 || (v != 0 && fabs(v) < 1e-3))
        snprintf(buf, n, "%.4g", v);
    else
        snprintf(buf, n, "%.3f", v);
    return buf;
}

/* Collects every metric key, in the order first seen. */
static json_t *all_keys(side *sides, size_t n)
{
    json_t *keys = json_object();
    for (size_t s = 0; s < n; s++)
        for (size_t r = 0; r < json_array_size(sides[s].runs); r++) {
            const char *k;
            json_t *v;
            json_object_foreach(json_array_get(sides[s].runs, r), k, v)
            {
                if (is_metric(k, v))
                    json_object_set_new(keys, k, json_true());
            }
        }
    return keys;
}

static const char *fingerprint_of(const side *s)
{
    json_t *o = json_object_get(json_array_get(s->runs, 0), "servebench");
    return json_string_value(json_object_get(o, "workload_fingerprint"));
}

static int compare_pair(side *a, side *b, json_t *keys, double alpha, bool show_all,
                        const gate *gates, size_t n_gates, bool need_sig, int *tripped)
{
    size_t ra = json_array_size(a->runs), rb = json_array_size(b->runs);
    printf("\nA: %s (%zu run%s%s)\nB: %s (%zu run%s%s)\n", a->label, ra, ra == 1 ? "" : "s",
           a->ttft ? ", per-request samples" : "", b->label, rb, rb == 1 ? "" : "s",
           b->ttft ? ", per-request samples" : "");
    const char *fa = fingerprint_of(a), *fb = fingerprint_of(b);
    if (fa && fb && strcmp(fa, fb) != 0)
        printf("Note: the workload fingerprints differ: A and B did not send the same requests "
               "on the same schedule.\n");
    printf("%-34s %14s %14s %14s %9s %10s %-13s %s\n", "metric", "A", "B", "B-A", "B-A %", "p",
           "test", "");
    double *va = sb_xcalloc(ra + 1, sizeof *va), *vb = sb_xcalloc(rb + 1, sizeof *vb);
    size_t common = 0;
    const char *k;
    json_t *unused;
    json_object_foreach(keys, k, unused)
    {
        size_t na = side_values(a, k, va), nb = side_values(b, k, vb);
        sweep_summary sa, sb;
        sweep_summarize(va, na, &sa);
        sweep_summarize(vb, nb, &sb);
        if (na && nb)
            common++;
        double d = sb.mean - sa.mean;
        double pct = sa.mean != 0 ? 100.0 * d / fabs(sa.mean) : NAN;
        row_test t = {"-", NAN};
        if (na && nb)
            test_metric(a, b, k, va, na, vb, nb, &t);
        bool sig = !isnan(t.p) && t.p < alpha;
        if (!show_all && na && nb && d == 0 && !sig)
            continue;
        char x[32], y[32], z[32], w[32], pv[32];
        if (isnan(pct))
            snprintf(w, sizeof w, "-");
        else
            snprintf(w, sizeof w, "%+.2f%%", pct);
        if (isnan(t.p))
            snprintf(pv, sizeof pv, "-");
        else
            snprintf(pv, sizeof pv, "%.3g", t.p);
        printf("%-34s %14s %14s %14s %9s %10s %-13s %s\n", k, fmt_val(x, sizeof x, sa.mean),
               fmt_val(y, sizeof y, sb.mean), fmt_val(z, sizeof z, na && nb ? d : NAN), w, pv,
               t.name,
               !na   ? "(only in B)"
               : !nb ? "(only in A)"
               : sig ? "significant"
                     : "");
    }
    if (common == 0) {
        free(va);
        free(vb);
        fprintf(stderr,
                "servebench compare: error: %s and %s have no metric in common (mixed "
                "schemas: e.g. a pooling result against a generation result)\n",
                a->label, b->label);
        return SB_EXIT_USAGE;
    }
    printf("Significance: p < %g. welch = Welch's t test on the per-run values (2+ runs a side); "
           "mann-whitney = Mann-Whitney U on per-request samples (TTFT; per-request mean ITL for "
           "ITL and TPOT; TTFT + ITLs for E2EL), which compares the distributions, not the "
           "percentile itself.\n",
           alpha);
    for (size_t g = 0; g < n_gates; g++) {
        size_t na = side_values(a, gates[g].key, va), nb = side_values(b, gates[g].key, vb);
        if (!na || !nb) {
            free(va);
            free(vb);
            return bad("--fail-if %s: no such number in %s", gates[g].key,
                       !na ? a->label : b->label);
        }
        sweep_summary sa, sb;
        sweep_summarize(va, na, &sa);
        sweep_summarize(vb, nb, &sb);
        double change = gates[g].up ? sb.mean - sa.mean : sa.mean - sb.mean;
        double limit = gates[g].pct ? gates[g].amount / 100.0 * fabs(sa.mean) : gates[g].amount;
        row_test t;
        test_metric(a, b, gates[g].key, va, na, vb, nb, &t);
        bool sig = isnan(t.p) || t.p < alpha;
        bool trip = change > limit && (!need_sig || sig);
        printf("gate %s:%c%g%s: %s %s by %.4g (limit %.4g)%s\n", gates[g].key,
               gates[g].up ? '+' : '-', gates[g].amount, gates[g].pct ? "%" : "",
               trip ? "FAILED:" : "ok:", gates[g].up ? "rose" : "fell", change, limit,
               change > limit && !trip ? " (not significant)" : "");
        *tripped += trip;
    }
    free(va);
    free(vb);
    return 0;
}

int compare_cmd(int argc, char **argv)
{
    const char *files[CMP_MAX_SIDES];
    size_t nf = 0;
    const char *fail_if = NULL;
    double alpha = 0.05;
    bool need_sig = false, show_all = false;
    static const cli_opt flags[] = {
        {"fail-if", true}, {"alpha", true}, {"require-significance", false}, {"all", false}};
    cli_args args = {.argc = argc, .argv = argv, .i = 1};
    sb_err err;
    sb_err_clear(&err);
    for (;;) {
        size_t row;
        const char *v;
        int k = cli_args_next(&args, flags, sizeof flags / sizeof flags[0], &row, &v, &err);
        if (k == CLI_ARG_END)
            break;
        if (k == CLI_ARG_HELP) {
            fputs(usage_text, stdout);
            return SB_EXIT_OK;
        }
        if (k < 0)
            return bad("%s (see servebench compare --help)%s", err.msg, "");
        if (k == CLI_ARG_WORD) {
            if (nf == CMP_MAX_SIDES)
                return bad("more than 16 files to compare%s%s", "", "");
            files[nf++] = v;
        } else if (row == 0) {
            fail_if = v;
        } else if (row == 1) {
            char *end;
            alpha = strtod(v, &end);
            if (end == v || *end || !(alpha > 0 && alpha < 1))
                return bad("--alpha '%s': a number in (0, 1)%s", v, "");
        } else if (row == 2) {
            need_sig = true;
        } else {
            show_all = true;
        }
    }
    if (nf < 2) {
        fputs(usage_text, stderr);
        return bad("give a BASE and at least one file to compare with it%s%s", "", "");
    }
    gate gates[CMP_MAX_GATES];
    size_t n_gates = 0;
    if (fail_if && parse_gates(fail_if, gates, &n_gates) != 0)
        return SB_EXIT_USAGE;
    side sides[CMP_MAX_SIDES];
    memset(sides, 0, sizeof sides);
    int rc = 0;
    size_t loaded = 0;
    for (size_t i = 0; i < nf && rc == 0; i++, loaded++)
        rc = load_side(&sides[i], files[i]);
    int tripped = 0;
    json_t *keys = rc == 0 ? all_keys(sides, nf) : NULL;
    for (size_t i = 1; rc == 0 && i < nf; i++)
        rc = compare_pair(&sides[0], &sides[i], keys, alpha, show_all, gates, n_gates, need_sig,
                          &tripped);
    json_decref(keys);
    for (size_t i = 0; i < loaded; i++)
        free_side(&sides[i]);
    if (rc)
        return rc;
    if (tripped) {
        printf("compare: %d gate%s failed\n", tripped, tripped == 1 ? "" : "s");
        return SB_EXIT_FAIL;
    }
    return SB_EXIT_OK;
}
