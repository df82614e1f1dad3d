/* SPDX-License-Identifier: Apache-2.0 */
/* sweep.c - the sweep driver (see sweep.h): grid order, repeats, resume,
 * the SLO capacity search, and the sweep.jsonl writer.
 *
 * Like run_serve this is a command-level function and prints progress. The
 * JSON Lines file is append-only and each line is flushed before the next
 * run starts, so a killed sweep can be resumed from it: a run recorded "ok"
 * is skipped when the same arguments still produce the same workload
 * fingerprint, a "started" line with no outcome was killed and is marked
 * partial and run again. Decisions of the search depend only on recorded
 * metrics, so a resumed search walks the same loads again and skips them. */
#include "sweep/sweep.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "sweep/result.h"
#include "sweep/sstat.h"

#define JSON_FLAGS (JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_REAL_PRECISION(12))

/* A finished run found in an existing sweep.jsonl. */
typedef struct done_run {
    size_t point;
    long run;
    char *params; /* canonical "--flag=value ..." */
    char *fingerprint;
    json_t *metrics;
    char *health;
} done_run;

/* A run of the current point, as the point's statistics see it. */
typedef struct point_run {
    json_t *metrics; /* NULL when the run failed */
    const char *health;
    bool partial;
    char *result_file;
} point_run;

typedef struct point_state {
    size_t index;
    const sweep_params *params;
    char *params_str;
    point_run *runs;
    size_t n_runs, cap_runs;
    bool ran_new; /* some run was executed now (not only skipped) */
} point_state;

typedef struct sweep_ctx {
    const sweep_opts *o;
    sweep_runner *r;
    FILE *jl;
    char *points_dir;
    done_run *done;
    size_t n_done;
    size_t *point_lines; /* points whose "point" line is already in the file */
    size_t n_point_lines;
    long steps_written; /* search steps already in the file */
    bool capacity_written;
    uint64_t last_end_ns; /* previous run's timed end, for overhead_s */
    bool any_run;
    bool stop; /* Ctrl-C or --stop-on-failure */
    int failures;
    /* the run being started, for the on_start callback */
    size_t cur_point;
    long cur_run;
    const char *cur_params_str;
    const sweep_params *cur_params;
} sweep_ctx;

static json_t *jnum(double v)
{
    if (!isfinite(v))
        return json_null();
    if (v == floor(v) && fabs(v) < 9e15)
        return json_integer((json_int_t)v);
    return json_real(v);
}

static void iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int write_line(sweep_ctx *c, json_t *obj, sb_err *err)
{
    char *s = json_dumps(obj, JSON_FLAGS);
    json_decref(obj);
    if (!s)
        return sb_err_set(err, "%s/sweep.jsonl: a line could not be encoded", c->o->output_dir);
    int bad = fputs(s, c->jl) < 0 || fputc('\n', c->jl) < 0 || fflush(c->jl) != 0;
    free(s);
    if (bad)
        return sb_err_set(err, "%s/sweep.jsonl: write failed: %s", c->o->output_dir,
                          strerror(errno));
    fsync(fileno(c->jl));
    return 0;
}

static char *params_string(const sweep_params *p)
{
    sb_buf b;
    sb_buf_init(&b);
    for (size_t i = 0; i < p->n; i++) {
        if (i)
            sb_buf_putc(&b, ' ');
        if (p->values[i])
            sb_buf_printf(&b, "%s=%s", p->flags[i], p->values[i]);
        else
            sb_buf_puts(&b, p->flags[i]);
    }
    return b.len ? sb_buf_steal(&b) : sb_xstrdup("");
}

static json_t *params_json(const sweep_params *p)
{
    json_t *o = json_object();
    for (size_t i = 0; i < p->n; i++)
        json_object_set_new(o, p->flags[i], p->values[i] ? json_string(p->values[i]) : json_true());
    return o;
}

static done_run *find_done(sweep_ctx *c, size_t point, long run, const char *params)
{
    for (size_t i = 0; i < c->n_done; i++)
        if (c->done[i].point == point && c->done[i].run == run &&
            !strcmp(c->done[i].params, params))
            return &c->done[i];
    return NULL;
}

/* ---- resume: reading an existing sweep.jsonl ---- */

static char *obj_params_str(json_t *params)
{
    sb_buf b;
    sb_buf_init(&b);
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach(params, k, v)
    {
        if (!first)
            sb_buf_putc(&b, ' ');
        first = false;
        if (json_is_string(v))
            sb_buf_printf(&b, "%s=%s", k, json_string_value(v));
        else
            sb_buf_puts(&b, k);
    }
    return b.len ? sb_buf_steal(&b) : sb_xstrdup("");
}

/* Reads path; on success fills c->done and the written-line sets, and
 * writes "partial" lines for runs that were started and never finished. */
static int load_existing(sweep_ctx *c, const char *path, json_t **dangling, sb_err *err)
{
    json_t *objs;
    sweep_file_kind kind;
    bool tail = false;
    if (sweep_json_load(path, true, &objs, &kind, &tail, err) != 0)
        return -1;
    if (kind != SWEEP_FILE_SWEEP) {
        json_decref(objs);
        return sb_err_set(err,
                          "%s is not a sweep file (its first line has no \"type\": "
                          "\"sweep\"); use --force to overwrite it or another --output-dir",
                          path);
    }
    json_t *hdr = json_array_get(objs, 0);
    const char *schema = json_string_value(json_object_get(hdr, "schema"));
    if (!schema || strcmp(schema, "servebench-sweep/1") != 0) {
        sb_err_set(err,
                   "%s: line 1: field \"schema\" is %s%.60s%s, this servebench writes "
                   "servebench-sweep/1; use --force to start over or another --output-dir",
                   path, schema ? "\"" : "", schema ? schema : "missing", schema ? "\"" : "");
        json_decref(objs);
        return -1;
    }
    const char *h = json_string_value(json_object_get(hdr, "args_sha256"));
    if (!h || strcmp(h, c->o->args_sha256) != 0) {
        sb_err_set(err,
                   "%s holds a sweep of other arguments (args_sha256 %.12s..., now "
                   "%.12s...); use --force to start over, or another --output-dir",
                   path, h ? h : "missing", c->o->args_sha256);
        json_decref(objs);
        return -1;
    }
    if (tail)
        printf("sweep: the last line of %s was cut off (killed writer); ignoring it\n", path);
    json_t *started = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o)
    {
        const char *type = json_string_value(json_object_get(o, "type"));
        if (!type)
            continue;
        json_int_t pt = json_integer_value(json_object_get(o, "point"));
        if (!strcmp(type, "point")) {
            c->point_lines = sb_xrealloc(c->point_lines, (c->n_point_lines + 1) * sizeof(size_t));
            c->point_lines[c->n_point_lines++] = (size_t)pt;
        } else if (!strcmp(type, "search_step")) {
            c->steps_written = (long)json_integer_value(json_object_get(o, "step"));
        } else if (!strcmp(type, "capacity")) {
            c->capacity_written = true;
        } else if (!strcmp(type, "run")) {
            const char *st = json_string_value(json_object_get(o, "status"));
            json_int_t rn = json_integer_value(json_object_get(o, "run"));
            /* Every outcome line closes the "started" line of its run. */
            size_t j;
            json_t *s;
            json_array_foreach(started, j, s)
            {
                if (json_integer_value(json_object_get(s, "point")) == pt &&
                    json_integer_value(json_object_get(s, "run")) == rn) {
                    json_array_remove(started, j);
                    break;
                }
            }
            if (st && !strcmp(st, "started")) {
                json_array_append(started, o);
            } else if (st && !strcmp(st, "ok")) {
                const char *fp = json_string_value(json_object_get(o, "fingerprint"));
                json_t *m = json_object_get(o, "metrics");
                if (!fp || !json_is_object(m))
                    continue;
                c->done = sb_xrealloc(c->done, (c->n_done + 1) * sizeof *c->done);
                const char *hl = json_string_value(json_object_get(o, "client_health"));
                c->done[c->n_done++] = (done_run){
                    (size_t)pt,     (long)rn,       obj_params_str(json_object_get(o, "params")),
                    sb_xstrdup(fp), json_incref(m), sb_xstrdup(hl ? hl : "unknown")};
            }
        }
    }
    json_decref(objs);
    *dangling = started;
    return 0;
}

/* ---- one run ---- */

static void on_start(void *ud, const char *fp)
{
    sweep_ctx *c = ud;
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("run"));
    json_object_set_new(o, "point", json_integer((json_int_t)c->cur_point));
    json_object_set_new(o, "run", json_integer(c->cur_run));
    json_object_set_new(o, "status", json_string("started"));
    json_object_set_new(o, "params", params_json(c->cur_params));
    json_object_set_new(o, "fingerprint", json_string(fp));
    sb_err err;
    if (write_line(c, o, &err) != 0)
        fprintf(stderr, "sweep: %s\n", err.msg);
}

/* Builds the serve argv of a run: base flags, the point's values, then the
 * result file the sweep owns. */
static char **point_argv(sweep_ctx *c, const sweep_params *p, size_t point, long run, int *argc,
                         char **fname_out)
{
    const sweep_opts *o = c->o;
    size_t n = 1 + o->n_serve_args + p->n + 8;
    char **av = sb_xcalloc(n + 1, sizeof *av);
    int k = 0;
    av[k++] = sb_xstrdup("serve");
    for (size_t i = 0; i < o->n_serve_args; i++)
        av[k++] = sb_xstrdup(o->serve_args[i]);
    for (size_t i = 0; i < p->n; i++) {
        sb_buf b;
        sb_buf_init(&b);
        if (p->values[i])
            sb_buf_printf(&b, "%s=%s", p->flags[i], p->values[i]);
        else
            sb_buf_puts(&b, p->flags[i]);
        av[k++] = sb_buf_steal(&b);
    }
    char fname[64];
    snprintf(fname, sizeof fname, "p%04zu-r%ld.json", point, run);
    av[k++] = sb_xstrdup("--save-result");
    av[k++] = sb_xstrdup("--save-detailed");
    av[k++] = sb_xstrdup("--result-dir");
    av[k++] = sb_xstrdup(c->points_dir);
    av[k++] = sb_xstrdup("--result-filename");
    av[k++] = sb_xstrdup(fname);
    *argc = k;
    *fname_out = sb_xstrdup(fname);
    return av;
}

static void free_argv(char **av, int argc)
{
    for (int i = 0; i < argc; i++)
        free(av[i]);
    free(av);
}

/* The top-level numbers of a result object that are measurements. */
static json_t *result_metrics(json_t *res)
{
    json_t *m = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(res, k, v)
    {
        if (json_is_number(v) && !sweep_is_config_key(k))
            json_object_set(m, k, v);
    }
    return m;
}

static void point_push(point_state *ps, json_t *metrics, const char *health, bool partial,
                       const char *file)
{
    if (ps->n_runs == ps->cap_runs) {
        ps->cap_runs = ps->cap_runs ? 2 * ps->cap_runs : 4;
        ps->runs = sb_xrealloc(ps->runs, ps->cap_runs * sizeof *ps->runs);
    }
    ps->runs[ps->n_runs++] = (point_run){metrics, health, partial, file ? sb_xstrdup(file) : NULL};
}

static const char *health_intern(const char *h)
{
    if (h && !strcmp(h, "ok"))
        return "ok";
    if (h && !strcmp(h, "client-limited"))
        return "client-limited";
    return "unknown";
}

/* Runs (or skips, when already done) run `run` of point ps. Returns 0, or -1
 * with err when the sweep must stop (a file could not be written). */
static int do_run(sweep_ctx *c, point_state *ps, long run, long total_runs, sb_err *err)
{
    const sweep_opts *o = c->o;
    done_run *d = find_done(c, ps->index, run, ps->params_str);
    printf("\n[sweep] point %zu run %ld/%ld: %s\n", ps->index, run, total_runs,
           ps->params_str[0] ? ps->params_str : "(base flags)");
    fflush(stdout);
    char fname[64];
    snprintf(fname, sizeof fname, "points/p%04zu-r%ld.json", ps->index, run);
    json_t *line = json_object();
    json_object_set_new(line, "type", json_string("run"));
    json_object_set_new(line, "point", json_integer((json_int_t)ps->index));
    json_object_set_new(line, "run", json_integer(run));
    uint64_t t0 = sb_now_ns();
    if (o->between_cmd && c->any_run && !d) {
        fflush(stdout);
        /* --between-cmd is a shell command line by definition (as in vLLM's sweep) */
        int st = system(o->between_cmd); /* NOLINT(cert-env33-c) */
        if (st != 0) {
            char why[300];
            snprintf(why, sizeof why, "--between-cmd exited with status %d",
                     WIFEXITED(st) ? WEXITSTATUS(st) : st);
            printf("[sweep] %s; point %zu run %ld not run\n", why, ps->index, run);
            json_object_set_new(line, "status", json_string("failed"));
            json_object_set_new(line, "params", params_json(ps->params));
            json_object_set_new(line, "reason", json_string(why));
            point_push(ps, NULL, "unknown", true, NULL);
            ps->ran_new = true;
            c->failures++;
            c->stop = c->stop || o->stop_on_failure;
            return write_line(c, line, err);
        }
    }
    int argc;
    char *base;
    char **av = point_argv(c, ps->params, ps->index, run, &argc, &base);
    free(base);
    sweep_run_req req = {.point = ps->index,
                         .run = run,
                         .argv = av,
                         .argc = argc,
                         .window = &o->window,
                         .skip_if_fingerprint = d ? d->fingerprint : NULL,
                         .on_start = on_start,
                         .ud = c};
    c->cur_point = ps->index;
    c->cur_run = run;
    c->cur_params = ps->params;
    c->cur_params_str = ps->params_str;
    sweep_run_out out;
    c->r->run(c->r, &req, &out);
    free_argv(av, argc);
    if (out.skipped) {
        printf("[sweep] already done (same workload fingerprint %.12s...): skipped\n",
               out.fingerprint);
        point_push(ps, json_incref(d->metrics), health_intern(d->health), false, fname);
        json_decref(line);
        free(out.result_path);
        return 0;
    }
    ps->ran_new = true;
    double overhead = c->any_run && out.timed_start_ns && c->last_end_ns
                          ? (double)(out.timed_start_ns - c->last_end_ns) / 1e9
                          : NAN;
    if (out.timed_end_ns)
        c->last_end_ns = out.timed_end_ns;
    c->any_run = true;
    const char *status = out.interrupted ? "partial" : out.status == 0 ? "ok" : "failed";
    json_t *metrics = NULL;
    const char *health = "unknown";
    if (out.result_path) {
        json_t *objs;
        sweep_file_kind kind;
        sb_err e2;
        if (sweep_json_load(out.result_path, false, &objs, &kind, NULL, &e2) == 0) {
            json_t *res = json_array_get(objs, json_array_size(objs) - 1);
            metrics = result_metrics(res);
            health = health_intern(json_string_value(
                json_object_get(json_object_get(res, "servebench"), "client_health")));
            json_decref(objs);
        } else {
            status = "failed";
            snprintf(out.reason, sizeof out.reason, "reading its result back: %.440s", e2.msg);
        }
    } else if (!strcmp(status, "ok")) {
        status = "failed";
        snprintf(out.reason, sizeof out.reason, "no result file was written");
    }
    json_object_set_new(line, "status", json_string(status));
    json_object_set_new(line, "params", params_json(ps->params));
    json_object_set_new(line, "result_file", out.result_path ? json_string(fname) : json_null());
    json_object_set_new(line, "fingerprint",
                        out.fingerprint[0] ? json_string(out.fingerprint) : json_null());
    json_object_set_new(line, "client_health", json_string(health));
    json_object_set_new(line, "elapsed_s", jnum((double)(sb_now_ns() - t0) / 1e9));
    json_object_set_new(line, "overhead_s", jnum(overhead));
    if (run_window_active(&o->window) && out.measured) {
        json_t *w = json_object();
        json_object_set_new(w, "counted", json_integer(out.counted));
        json_object_set_new(w, "excluded_head", json_integer(out.excluded_head));
        json_object_set_new(w, "excluded_tail", json_integer(out.excluded_tail));
        json_object_set_new(w, "duration_s", jnum(out.window_s));
        json_object_set_new(line, "window", w);
    }
    bool ok = !strcmp(status, "ok");
    json_object_set_new(line, "reason",
                        ok ? json_null()
                           : json_string(out.interrupted ? "interrupted (Ctrl-C)" : out.reason));
    if (metrics)
        json_object_set(line, "metrics", metrics);
    free(out.result_path);
    point_push(ps, ok ? metrics : NULL, health, !ok, ok ? fname : NULL);
    if (!ok) {
        json_decref(metrics);
        c->failures++;
        printf("[sweep] point %zu run %ld %s: %s\n", ps->index, run, status,
               out.interrupted ? "interrupted" : out.reason);
        c->stop = c->stop || out.interrupted || o->stop_on_failure;
    }
    return write_line(c, line, err);
}

/* ---- a point's statistics and SLO verdict ---- */

typedef struct slo_check {
    double mean, ci_half;
    size_t n;
    bool pass, certain;
} slo_check;

static double run_value(const json_t *m, const char *key)
{
    if (!strcmp(key, "goodput")) {
        double g = sweep_json_num(m, "request_goodput"),
               t = sweep_json_num(m, "request_throughput");
        return t > 0 ? g / t : NAN;
    }
    return sweep_json_num(m, key);
}

static void check_slo(const point_state *ps, const sweep_slo *s, slo_check *out)
{
    double *v = sb_xcalloc(ps->n_runs + 1, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < ps->n_runs; i++)
        if (ps->runs[i].metrics)
            v[n++] = run_value(ps->runs[i].metrics, s->key);
    sweep_summary sm;
    sweep_summarize(v, n, &sm);
    free(v);
    out->n = sm.n;
    out->mean = sm.mean;
    out->ci_half = sm.ci_half;
    out->pass = sm.n > 0 && sweep_slo_meets(s, sm.mean);
    if (sm.n == 0)
        out->certain = true; /* nothing measured: a plain failure */
    else if (sm.n == 1)
        out->certain = fabs(sm.mean - s->limit) > 0.10 * fabs(s->limit);
    else
        out->certain = !(sm.mean - sm.ci_half <= s->limit && s->limit <= sm.mean + sm.ci_half);
}

/* Whether the point meets every SLO; *uncertain when one straddles its
 * limit; why (the first failing item) into why. */
static bool point_slo(const sweep_ctx *c, const point_state *ps, bool *uncertain, sb_buf *why,
                      json_t **checks_out)
{
    bool pass = true;
    *uncertain = false;
    json_t *checks = json_array();
    for (size_t i = 0; i < c->o->n_slo; i++) {
        const sweep_slo *s = &c->o->slo[i];
        slo_check k;
        check_slo(ps, s, &k);
        json_t *j = json_object();
        json_object_set_new(j, "key", json_string(s->key));
        json_object_set_new(
            j, "op", json_string(s->upper ? (s->strict ? "<" : "<=") : (s->strict ? ">" : ">=")));
        json_object_set_new(j, "value", jnum(s->limit));
        json_object_set_new(j, "mean", jnum(k.mean));
        json_object_set_new(j, "pass", json_boolean(k.pass));
        json_object_set_new(j, "certain", json_boolean(k.certain));
        json_array_append_new(checks, j);
        *uncertain = *uncertain || !k.certain;
        if (!k.pass && pass) {
            pass = false;
            if (k.n == 0)
                sb_buf_printf(why, "no run of the point succeeded");
            else if (isnan(k.mean))
                sb_buf_printf(why, "%s is missing from the result%s", s->key,
                              !isnan(s->pct) ? " (is its metric in --percentile-metrics?)"
                              : !strcmp(s->key, "goodput") ? " (add --goodput)"
                                                           : "");
            else
                sb_buf_printf(why, "%s %.6g %s %g (mean of %zu run%s)", s->key, k.mean,
                              s->upper ? ">" : "<", s->limit, k.n, k.n == 1 ? "" : "s");
        }
    }
    if (checks_out)
        *checks_out = checks;
    else
        json_decref(checks);
    return pass;
}

static bool point_line_written(const sweep_ctx *c, size_t point)
{
    for (size_t i = 0; i < c->n_point_lines; i++)
        if (c->point_lines[i] == point)
            return true;
    return false;
}

/* Prints the repeats' table and writes the "point" line. */
static int finish_point(sweep_ctx *c, point_state *ps, sb_err *err)
{
    json_t *stats = json_object();
    size_t ok_runs = 0;
    bool partial = false;
    const char *health = "ok";
    json_t *keys = NULL; /* key order: the first ok run's */
    for (size_t i = 0; i < ps->n_runs; i++) {
        partial = partial || ps->runs[i].partial;
        if (!strcmp(ps->runs[i].health, "client-limited"))
            health = "client-limited";
        else if (!strcmp(ps->runs[i].health, "unknown") && strcmp(health, "client-limited") != 0)
            health = "unknown";
        if (ps->runs[i].metrics) {
            ok_runs++;
            if (!keys)
                keys = ps->runs[i].metrics;
        }
    }
    if (ok_runs > 1)
        printf("\n[sweep] point %zu over %zu runs: %-28s %12s %10s %7s  %s\n", ps->index, ok_runs,
               "metric", "mean", "std", "CV", "95% CI of the mean");
    double *v = sb_xcalloc(ps->n_runs + 1, sizeof *v);
    const char *k;
    json_t *unused;
    if (keys)
        json_object_foreach(keys, k, unused)
        {
            size_t n = 0;
            for (size_t i = 0; i < ps->n_runs; i++)
                if (ps->runs[i].metrics)
                    v[n++] = sweep_json_num(ps->runs[i].metrics, k);
            sweep_summary sm;
            sweep_summarize(v, n, &sm);
            json_t *s = json_object();
            json_object_set_new(s, "n", json_integer((json_int_t)sm.n));
            json_object_set_new(s, "mean", jnum(sm.mean));
            json_object_set_new(s, "std", jnum(sm.std));
            json_object_set_new(s, "cv", jnum(sm.cv));
            json_object_set_new(s, "ci95_low", jnum(sm.mean - sm.ci_half));
            json_object_set_new(s, "ci95_high", jnum(sm.mean + sm.ci_half));
            json_object_set_new(stats, k, s);
            if (ok_runs > 1 && isfinite(sm.mean))
                printf("        %-40s %12.4f %10.4f %6.2f%%  [%.4f, %.4f]\n", k, sm.mean, sm.std,
                       100.0 * sm.cv, sm.mean - sm.ci_half, sm.mean + sm.ci_half);
        }
    free(v);
    if (point_line_written(c, ps->index) && !ps->ran_new) {
        json_decref(stats);
        return 0;
    }
    json_t *line = json_object();
    json_object_set_new(line, "type", json_string("point"));
    json_object_set_new(line, "point", json_integer((json_int_t)ps->index));
    json_object_set_new(line, "params", params_json(ps->params));
    json_object_set_new(line, "runs", json_integer((json_int_t)ps->n_runs));
    json_object_set_new(line, "ok_runs", json_integer((json_int_t)ok_runs));
    json_object_set_new(line, "partial", json_boolean(partial));
    json_object_set_new(line, "client_health", json_string(ok_runs ? health : "unknown"));
    json_t *files = json_array();
    for (size_t i = 0; i < ps->n_runs; i++)
        if (ps->runs[i].result_file)
            json_array_append_new(files, json_string(ps->runs[i].result_file));
    json_object_set_new(line, "result_files", files);
    json_object_set_new(line, "stats", stats);
    if (c->o->n_slo) {
        bool unc;
        sb_buf why;
        sb_buf_init(&why);
        json_t *checks;
        bool pass = point_slo(c, ps, &unc, &why, &checks);
        json_t *slo = json_object();
        json_object_set_new(slo, "pass", json_boolean(pass));
        json_object_set_new(slo, "checks", checks);
        json_object_set_new(line, "slo", slo);
        sb_buf_free(&why);
    }
    return write_line(c, line, err);
}

static void point_free(point_state *ps)
{
    for (size_t i = 0; i < ps->n_runs; i++) {
        json_decref(ps->runs[i].metrics);
        free(ps->runs[i].result_file);
    }
    free(ps->runs);
    free(ps->params_str);
}

/* ---- grid ---- */

/* The params of grid point idx: param set (idx / prod(axes)) then the axes,
 * last axis fastest. */
static void grid_params(const sweep_opts *o, size_t idx, sweep_params *p)
{
    size_t per_set = 1;
    for (size_t a = 0; a < o->n_axes; a++)
        per_set *= o->axes[a].n;
    const sweep_params *set = o->n_param_sets ? &o->param_sets[idx / per_set] : NULL;
    size_t n = (set ? set->n : 0) + o->n_axes;
    p->flags = sb_xcalloc(n + 1, sizeof *p->flags);
    p->values = sb_xcalloc(n + 1, sizeof *p->values);
    p->n = 0;
    for (size_t i = 0; set && i < set->n; i++) {
        p->flags[p->n] = set->flags[i];
        p->values[p->n++] = set->values[i];
    }
    size_t rem = idx % per_set;
    for (size_t a = o->n_axes; a-- > 0;) {
        p->flags[p->n + a] = o->axes[a].flag;
        p->values[p->n + a] = o->axes[a].values[rem % o->axes[a].n];
        rem /= o->axes[a].n;
    }
    p->n += o->n_axes;
}

static size_t grid_size(const sweep_opts *o)
{
    size_t n = o->n_param_sets ? o->n_param_sets : 1;
    for (size_t a = 0; a < o->n_axes; a++)
        n *= o->axes[a].n;
    return n;
}

/* Runs runs [ps->n_runs + 1, upto] of a point. */
static int more_runs(sweep_ctx *c, point_state *ps, long upto, sb_err *err)
{
    for (long r = (long)ps->n_runs + 1; r <= upto && !c->stop; r++)
        if (do_run(c, ps, r, upto, err) != 0)
            return -1;
    return 0;
}

static void point_init(point_state *ps, size_t index, const sweep_params *p)
{
    memset(ps, 0, sizeof *ps);
    ps->index = index;
    ps->params = p;
    ps->params_str = params_string(p);
}

/* One summary line per point after a grid: the figures people look at. */
static void grid_summary_line(const point_state *ps)
{
    static const char *const keys[] = {"request_throughput", "output_throughput", "p99_ttft_ms",
                                       "p99_tpot_ms", "p99_itl_ms"};
    printf("  %4zu  %-40s", ps->index, ps->params_str);
    for (size_t k = 0; k < 5; k++) {
        double *v = sb_xcalloc(ps->n_runs + 1, sizeof *v);
        size_t n = 0;
        for (size_t i = 0; i < ps->n_runs; i++)
            if (ps->runs[i].metrics)
                v[n++] = sweep_json_num(ps->runs[i].metrics, keys[k]);
        sweep_summary sm;
        sweep_summarize(v, n, &sm);
        free(v);
        if (isnan(sm.mean))
            printf(" %16s", "-");
        else if (sm.n > 1)
            printf(" %9.2f±%-6.2f", sm.mean, sm.ci_half);
        else
            printf(" %16.2f", sm.mean);
    }
    size_t ok = 0;
    for (size_t i = 0; i < ps->n_runs; i++)
        ok += ps->runs[i].metrics != NULL;
    printf("  %zu/%zu\n", ok, ps->n_runs);
}

static int run_grid(sweep_ctx *c, sb_err *err)
{
    const sweep_opts *o = c->o;
    size_t n = grid_size(o);
    point_state *pts = sb_xcalloc(n, sizeof *pts);
    sweep_params *params = sb_xcalloc(n, sizeof *params);
    size_t done_pts = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !c->stop; i++) {
        grid_params(o, i, &params[i]);
        point_init(&pts[i], i, &params[i]);
        done_pts = i + 1;
        if (more_runs(c, &pts[i], o->num_runs, err) != 0 || finish_point(c, &pts[i], err) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0) {
        printf("\n[sweep] %zu of %zu points (mean, ± half-width of the 95%% CI over runs)\n",
               done_pts, n);
        printf("  %4s  %-40s %16s %16s %16s %16s %16s  runs ok\n", "pt", "params", "req/s",
               "out tok/s", "P99 TTFT ms", "P99 TPOT ms", "P99 ITL ms");
        for (size_t i = 0; i < done_pts; i++)
            grid_summary_line(&pts[i]);
    }
    for (size_t i = 0; i < done_pts; i++) {
        point_free(&pts[i]);
        free(params[i].flags);
        free(params[i].values);
    }
    free(pts);
    free(params);
    return rc;
}

/* ---- SLO capacity search ---- */

typedef struct search_eval {
    double load;
    size_t point;
    bool pass, uncertain;
    char why[512];
} search_eval;

static const char *axis_flag(sweep_search_axis a)
{
    return a == SWEEP_SEARCH_RATE ? "--request-rate" : "--max-concurrency";
}

static const char *axis_name(sweep_search_axis a)
{
    return a == SWEEP_SEARCH_RATE ? "request-rate" : "max-concurrency";
}

static void fmt_load(const sweep_opts *o, double load, char *buf, size_t n)
{
    if (o->search == SWEEP_SEARCH_CONCURRENCY)
        snprintf(buf, n, "%.0f", load);
    else
        snprintf(buf, n, "%.6g", load);
}

/* Evaluates one load: --num-runs runs, then one more at a time while a
 * limit lies inside the interval of its mean, up to --search-max-runs. */
static int search_eval_load(sweep_ctx *c, double load, const char *phase, long *step,
                            search_eval *ev, sb_err *err)
{
    const sweep_opts *o = c->o;
    char val[64];
    fmt_load(o, load, val, sizeof val);
    char *flag = (char *)axis_flag(o->search);
    char *vp = val;
    sweep_params p = {1, &flag, &vp};
    point_state ps;
    size_t index = (size_t)*step;
    point_init(&ps, index, &p);
    printf("\n[search] step %ld (%s): %s=%s\n", *step + 1, phase, flag, val);
    int rc = more_runs(c, &ps, o->num_runs, err);
    bool unc = false;
    sb_buf why;
    sb_buf_init(&why);
    bool pass = false;
    const char *ph = phase;
    while (rc == 0 && !c->stop) {
        sb_buf_reset(&why);
        pass = point_slo(c, &ps, &unc, &why, NULL);
        if (!unc || (long)ps.n_runs >= o->search_max_runs)
            break;
        printf("[search] %s=%s is within the noise of a limit after %zu run%s: one more run\n",
               flag, val, ps.n_runs, ps.n_runs == 1 ? "" : "s");
        ph = "confirm";
        rc = more_runs(c, &ps, (long)ps.n_runs + 1, err);
    }
    if (rc == 0)
        rc = finish_point(c, &ps, err);
    ev->load = load;
    ev->point = index;
    ev->pass = pass;
    ev->uncertain = unc;
    snprintf(ev->why, sizeof ev->why, "%s", why.data ? why.data : "");
    printf("[search] %s=%s: %s%s%s%s\n", flag, val,
           pass ? "meets the SLOs" : "fails: ", pass ? "" : ev->why, unc ? " (uncertain: " : "",
           unc ? "interval still straddles a limit)" : "");
    if (rc == 0 && !c->stop && (long)index >= c->steps_written) {
        json_t *line = json_object();
        json_object_set_new(line, "type", json_string("search_step"));
        json_object_set_new(line, "step", json_integer(*step + 1));
        json_object_set_new(line, "phase", json_string(ph));
        json_object_set_new(line, "axis", json_string(axis_name(o->search)));
        json_object_set_new(line, "load", jnum(load));
        json_object_set_new(line, "point", json_integer((json_int_t)index));
        json_object_set_new(line, "pass", json_boolean(pass));
        json_object_set_new(line, "runs", json_integer((json_int_t)ps.n_runs));
        json_object_set_new(line, "reason", pass ? json_null() : json_string(ev->why));
        rc = write_line(c, line, err);
    }
    (*step)++;
    sb_buf_free(&why);
    point_free(&ps);
    return rc;
}

static double next_mid(const sweep_opts *o, double lo, double hi)
{
    double mid = 0.5 * (lo + hi);
    return o->search == SWEEP_SEARCH_CONCURRENCY ? floor(mid) : mid;
}

static bool converged(const sweep_opts *o, double lo, double hi)
{
    if (o->search == SWEEP_SEARCH_CONCURRENCY && hi - lo <= 1)
        return true;
    double tol = o->search_tol_rel ? o->search_tol * lo : o->search_tol;
    return hi - lo <= tol;
}

static int run_search(sweep_ctx *c, int *found_out, sb_err *err)
{
    const sweep_opts *o = c->o;
    long step = 0;
    search_eval lo = {.load = NAN}, hi = {.load = NAN}, ev;
    double load = o->search_start;
    if (search_eval_load(c, load, "bracket", &step, &ev, err) != 0)
        return -1;
    bool any_uncertain = ev.uncertain;
    if (ev.pass) {
        lo = ev;
        while (!c->stop && lo.load < o->search_max) {
            load = fmin(lo.load * 2, o->search_max);
            if (search_eval_load(c, load, "bracket", &step, &ev, err) != 0)
                return -1;
            if (!ev.pass) {
                hi = ev;
                break;
            }
            lo = ev;
        }
    } else {
        hi = ev;
        while (!c->stop && hi.load > o->search_min) {
            load = fmax(hi.load / 2, o->search_min);
            if (o->search == SWEEP_SEARCH_CONCURRENCY)
                load = fmax(floor(load), 1);
            if (search_eval_load(c, load, "bracket", &step, &ev, err) != 0)
                return -1;
            if (ev.pass) {
                lo = ev;
                break;
            }
            hi = ev;
        }
    }
    while (!c->stop && !isnan(lo.load) && !isnan(hi.load) && !converged(o, lo.load, hi.load)) {
        load = next_mid(o, lo.load, hi.load);
        if (load <= lo.load || load >= hi.load)
            break;
        if (search_eval_load(c, load, "bisect", &step, &ev, err) != 0)
            return -1;
        if (ev.pass)
            lo = ev;
        else
            hi = ev;
    }
    any_uncertain = (!isnan(lo.load) && lo.uncertain) || (!isnan(hi.load) && hi.uncertain);
    bool found = !isnan(lo.load);
    char a[64], b[64];
    printf("\n[search] ============ SLO capacity (%s) ============\n", axis_name(o->search));
    sb_buf slo;
    sb_buf_init(&slo);
    for (size_t i = 0; i < o->n_slo; i++) {
        if (i)
            sb_buf_puts(&slo, ", ");
        sweep_slo_format(&o->slo[i], &slo);
    }
    printf("SLOs: %s\n", slo.data);
    sb_buf_free(&slo);
    if (c->stop) {
        printf("Stopped before the search finished; restart with the same arguments to resume.\n");
    } else if (!found) {
        fmt_load(o, hi.load, a, sizeof a);
        printf("No load met the SLOs: even %s=%s failed: %s\n", axis_flag(o->search), a, hi.why);
    } else {
        fmt_load(o, lo.load, a, sizeof a);
        printf("Capacity: %s = %s (the highest load that met every SLO)\n", axis_flag(o->search),
               a);
        if (isnan(hi.load)) {
            printf("Tolerance: not bracketed: --search-max %g still met the SLOs\n", o->search_max);
        } else {
            fmt_load(o, hi.load, b, sizeof b);
            if (o->search_tol_rel)
                printf("Tolerance: %g%% (the capacity lies in [%s, %s))\n", 100 * o->search_tol, a,
                       b);
            else
                printf("Tolerance: %g (the capacity lies in [%s, %s))\n", o->search_tol, a, b);
            printf("Next step failed: %s=%s: %s\n", axis_flag(o->search), b, hi.why);
        }
        printf("Deciding runs: point %zu (%s) files %s/points/p%04zu-r*.json", lo.point, a,
               o->output_dir, lo.point);
        if (!isnan(hi.load))
            printf("; point %zu (%s) files %s/points/p%04zu-r*.json", hi.point, b, o->output_dir,
                   hi.point);
        printf("\n");
        if (any_uncertain)
            printf("Note: a deciding load stayed within the run-to-run noise of a limit after "
                   "--search-max-runs %ld runs; the boundary is uncertain.\n",
                   o->search_max_runs);
    }
    *found_out = found;
    if (c->stop || c->capacity_written)
        return 0;
    json_t *line = json_object();
    json_object_set_new(line, "type", json_string("capacity"));
    json_object_set_new(line, "axis", json_string(axis_name(o->search)));
    json_object_set_new(line, "capacity", found ? jnum(lo.load) : json_null());
    json_object_set_new(line, "found", json_boolean(found));
    json_object_set_new(line, "tolerance", jnum(o->search_tol));
    json_object_set_new(line, "tolerance_kind",
                        json_string(o->search_tol_rel ? "relative" : "absolute"));
    json_object_set_new(line, "lower", found ? jnum(lo.load) : json_null());
    json_object_set_new(line, "upper", isnan(hi.load) ? json_null() : jnum(hi.load));
    json_t *dp = json_array();
    if (found)
        json_array_append_new(dp, json_integer((json_int_t)lo.point));
    if (!isnan(hi.load))
        json_array_append_new(dp, json_integer((json_int_t)hi.point));
    json_object_set_new(line, "deciding_points", dp);
    json_object_set_new(line, "next_failed_reason",
                        isnan(hi.load) ? json_null() : json_string(hi.why));
    json_object_set_new(line, "uncertain", json_boolean(any_uncertain));
    return write_line(c, line, err);
}

/* ---- the sweep ---- */

static int make_dir(const char *path, sb_err *err)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return sb_err_set(err, "cannot create %s: %s", path, strerror(errno));
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return sb_err_set(err, "%s exists and is not a directory", path);
    return 0;
}

static json_t *header_line(const sweep_opts *o)
{
    char now[32];
    iso_now(now, sizeof now);
    json_t *h = json_object();
    json_object_set_new(h, "type", json_string("sweep"));
    json_object_set_new(h, "schema", json_string("servebench-sweep/1"));
    json_object_set_new(h, "version", json_string(SB_VERSION));
    json_object_set_new(h, "started", json_string(now));
    json_object_set_new(h, "mode", json_string(o->search ? "search" : "grid"));
    json_t *av = json_array();
    for (int i = 0; i < o->argc; i++)
        json_array_append_new(av, json_string(o->argv[i]));
    json_object_set_new(h, "argv", av);
    json_object_set_new(h, "args_sha256", json_string(o->args_sha256));
    json_object_set_new(h, "num_runs", json_integer(o->num_runs));
    json_t *axes = json_array();
    for (size_t a = 0; a < o->n_axes; a++) {
        json_t *ax = json_object(), *vals = json_array();
        for (size_t i = 0; i < o->axes[a].n; i++)
            json_array_append_new(vals, json_string(o->axes[a].values[i]));
        json_object_set_new(ax, "flag", json_string(o->axes[a].flag));
        json_object_set_new(ax, "values", vals);
        json_array_append_new(axes, ax);
    }
    json_object_set_new(h, "axes", axes);
    json_object_set_new(h, "param_sets", json_integer((json_int_t)o->n_param_sets));
    json_t *w = json_object();
    json_object_set_new(w, "warmup_s", jnum(o->window.warmup_s));
    json_object_set_new(w, "cooldown_s", jnum(o->window.cooldown_s));
    json_object_set_new(w, "warmup_requests", json_integer(o->window.warmup_requests));
    json_object_set_new(w, "cooldown_requests", json_integer(o->window.cooldown_requests));
    json_object_set_new(h, "window", w);
    json_t *slo = json_array();
    for (size_t i = 0; i < o->n_slo; i++) {
        const sweep_slo *s = &o->slo[i];
        json_t *j = json_object();
        json_object_set_new(j, "key", json_string(s->key));
        json_object_set_new(
            j, "op", json_string(s->upper ? (s->strict ? "<" : "<=") : (s->strict ? ">" : ">=")));
        json_object_set_new(j, "value", jnum(s->limit));
        json_array_append_new(slo, j);
    }
    json_object_set_new(h, "slo", slo);
    if (o->search) {
        json_t *s = json_object();
        json_object_set_new(s, "axis", json_string(axis_name(o->search)));
        json_object_set_new(s, "tolerance", jnum(o->search_tol));
        json_object_set_new(s, "tolerance_kind",
                            json_string(o->search_tol_rel ? "relative" : "absolute"));
        json_object_set_new(s, "start", jnum(o->search_start));
        json_object_set_new(s, "min", jnum(o->search_min));
        json_object_set_new(s, "max", jnum(o->search_max));
        json_object_set_new(s, "max_runs", json_integer(o->search_max_runs));
        json_object_set_new(h, "search", s);
    } else {
        json_object_set_new(h, "search", json_null());
    }
    return h;
}

/* Whether dir holds a pNNNN-rK.json file (a sweep's, whose log is gone). */
static bool points_dir_has_results(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        unsigned pt, run;
        char tail[8];
        /* a file-name pattern test; the numbers themselves are not used */
        found =
            sscanf(e->d_name, "p%4u-r%u.%5s", &pt, &run, tail) == 3 && /* NOLINT(cert-err34-c) */
            !strcmp(tail, "json");
    }
    closedir(d);
    return found;
}

static int open_jsonl(sweep_ctx *c, sb_err *err)
{
    const sweep_opts *o = c->o;
    sb_buf path;
    sb_buf_init(&path);
    sb_buf_printf(&path, "%s/sweep.jsonl", o->output_dir);
    struct stat st;
    bool exists = stat(path.data, &st) == 0;
    json_t *dangling = NULL;
    if (!exists && !o->force && points_dir_has_results(c->points_dir)) {
        sb_err_set(err,
                   "%s holds result files but no sweep.jsonl: they would be overwritten; "
                   "use --force or another --output-dir",
                   c->points_dir);
        sb_buf_free(&path);
        return -1;
    }
    if (exists && !o->force) {
        if (load_existing(c, path.data, &dangling, err) != 0) {
            sb_buf_free(&path);
            return -1;
        }
    }
    c->jl = fopen(path.data, exists && !o->force ? "a" : "w");
    if (!c->jl) {
        sb_err_set(err, "cannot open %s: %s", path.data, strerror(errno));
        sb_buf_free(&path);
        json_decref(dangling);
        return -1;
    }
    int rc = 0;
    if (!dangling) {
        rc = write_line(c, header_line(o), err);
    } else {
        char now[32];
        iso_now(now, sizeof now);
        json_t *r = json_object();
        json_object_set_new(r, "type", json_string("resume"));
        json_object_set_new(r, "time", json_string(now));
        json_object_set_new(r, "done_runs", json_integer((json_int_t)c->n_done));
        rc = write_line(c, r, err);
        printf("sweep: resuming %s: %zu finished run%s will not be repeated\n", path.data,
               c->n_done, c->n_done == 1 ? "" : "s");
        size_t i;
        json_t *s;
        json_array_foreach(dangling, i, s)
        {
            if (rc != 0)
                break;
            json_t *p = json_object();
            json_object_set_new(p, "type", json_string("run"));
            json_object_set(p, "point", json_object_get(s, "point"));
            json_object_set(p, "run", json_object_get(s, "run"));
            json_object_set_new(p, "status", json_string("partial"));
            json_object_set(p, "params", json_object_get(s, "params"));
            json_object_set_new(p, "reason",
                                json_string("killed before it finished (found on restart); "
                                            "run again"));
            rc = write_line(c, p, err);
        }
    }
    json_decref(dangling);
    sb_buf_free(&path);
    return rc;
}

int sweep_run(const sweep_opts *o, sweep_runner *r, sb_err *err)
{
    sweep_ctx c;
    memset(&c, 0, sizeof c);
    c.o = o;
    c.r = r;
    c.steps_written = 0;
    if (make_dir(o->output_dir, err) != 0)
        return -1;
    sb_buf pd;
    sb_buf_init(&pd);
    sb_buf_printf(&pd, "%s/points", o->output_dir);
    c.points_dir = sb_buf_steal(&pd);
    int rc = make_dir(c.points_dir, err);
    if (rc == 0)
        rc = open_jsonl(&c, err);
    int found = 1;
    if (rc == 0)
        rc = o->search ? run_search(&c, &found, err) : run_grid(&c, err);
    if (c.jl && fclose(c.jl) != 0 && rc == 0)
        rc = sb_err_set(err, "%s/sweep.jsonl: %s", o->output_dir, strerror(errno));
    for (size_t i = 0; i < c.n_done; i++) {
        free(c.done[i].params);
        free(c.done[i].fingerprint);
        free(c.done[i].health);
        json_decref(c.done[i].metrics);
    }
    free(c.done);
    free(c.point_lines);
    free(c.points_dir);
    if (rc != 0)
        return -1;
    if (rc == 0)
        printf("\nsweep: results in %s/sweep.jsonl and %s/points/\n", o->output_dir, o->output_dir);
    return (c.failures || c.stop || !found) ? 1 : 0;
}
