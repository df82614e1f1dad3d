/* SPDX-License-Identifier: Apache-2.0 */
/* sweep_cmd.c - `servebench sweep`: sweep options -> sweep_opts, every other
 * argument -> the serve flags of each point; then sweep_run.
 *
 * Anything that is not a sweep option is handed to `serve` unchanged, so a
 * sweep takes exactly the command line of a serve run plus its axes.
 * `--request-rate` and `--max-concurrency` with a comma-separated list are
 * axes; with one value they are ordinary serve flags. Every point's flags are
 * parsed before the first run, so a bad value stops the sweep at once. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "mpi/mpir.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "app/commands.h"
#include "sweep/result.h"
#include "sweep/sweep.h"

#define SWEEP_MAX_AXES 16
#define SWEEP_MAX_POINTS 100000

static const char usage_text[] =
    "usage: servebench sweep [SWEEP OPTIONS] [SERVE FLAGS...]\n"
    "\n"
    "Runs `servebench serve` once per grid point (and --num-runs times each), or searches\n"
    "the highest load that meets --slo. Every argument that is not a sweep option is a\n"
    "serve flag given to every point. Manual: docs/sweep.md.\n"
    "\n"
    "grid:\n"
    "  --request-rate R1,R2,...    request rates to sweep (a single value is a serve flag)\n"
    "  --max-concurrency C1,C2,... concurrency limits to sweep (likewise)\n"
    "  --sweep FLAG=V1,V2,...      any serve flag as an axis (repeatable), e.g.\n"
    "                              --sweep random-input-len=128,1024,8192\n"
    "  --params FILE               vLLM `bench sweep` --bench-params file: a JSON list of\n"
    "                              {\"flag_name\": value} objects, crossed with the axes\n"
    "                              (alias --bench-params)\n"
    "  --num-runs K                runs per point (default 1); mean, std, CV, 95% CI\n"
    "steady state:\n"
    "  --warmup-sec S              leave out requests started in the first S seconds\n"
    "  --cooldown-sec S            leave out requests finished in the last S seconds\n"
    "  --warmup-requests N         leave out the first N requests started\n"
    "  --cooldown-requests N       leave out the last N requests finished\n"
    "SLO capacity search:\n"
    "  --slo LIST                  e.g. \"ttft:p99<=500,tpot:p99<=50\", \"goodput>=0.95\"\n"
    "  --search AXIS               request-rate or max-concurrency\n"
    "  --search-start X            first load (default 1)\n"
    "  --search-min X              lowest load tried (default 0.01 req/s, or 1)\n"
    "  --search-max X              highest load tried (default 10000 req/s, or 4096)\n"
    "  --search-tolerance T        stop when the bracket is this narrow: 5% (relative,\n"
    "                              default) or an absolute load\n"
    "  --search-max-runs K         runs at a load whose interval straddles a limit\n"
    "                              (default 5)\n"
    "files and control:\n"
    "  --output-dir DIR            sweep.jsonl and points/ (default sweep-results)\n"
    "  --force                     start over in a DIR that holds another sweep\n"
    "  --between-cmd CMD           shell command run before every run but the first\n"
    "  --stop-on-failure           stop at the first failed run (default: record, go on)\n"
    "\n"
    "Exit status: 0 every run succeeded (search: a capacity was found); 1 a run failed or\n"
    "no load met the SLOs; 2 bad usage or input.\n";

typedef struct cmd_state {
    sweep_opts o;
    sweep_axis axes[SWEEP_MAX_AXES];
    char **serve;
    size_t n_serve;
    const char *slo_spec, *search_spec, *tol_spec, *params_file;
    double start, min, max;
    const char **hash_args;
    size_t n_hash;
} cmd_state;

static int usage_err(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "servebench sweep: error: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return SB_EXIT_USAGE;
}

/* "--flag_name" / "flag-name" -> "--flag-name" when it names a serve flag
 * (canonical or alias), else NULL. */
static char *canon_flag(const char *name)
{
    while (*name == '-')
        name++;
    sb_buf b;
    sb_buf_init(&b);
    sb_buf_puts(&b, "--");
    for (const char *p = name; *p; p++)
        sb_buf_putc(&b, *p == '_' ? '-' : *p);
    /* The table holds names without dashes; aliases may use '_' (base_url). */
    for (size_t i = 0; i < cli_flag_count(); i++) {
        const char *nm = cli_flag_name(i), *al = cli_flag_alias(i);
        bool hit = !strcmp(nm, b.data + 2);
        for (size_t j = 0; al && !hit; j++) {
            char x = al[j] == '_' ? '-' : al[j], y = b.data[2 + j];
            if (x != y)
                break;
            hit = x == '\0';
        }
        if (hit) {
            sb_buf_reset(&b);
            sb_buf_printf(&b, "--%s", nm);
            return sb_buf_steal(&b);
        }
    }
    sb_buf_free(&b);
    return NULL;
}

/* Flags the sweep sets itself on every point. */
static bool sweep_owned(const char *flag)
{
    return !strcmp(flag, "--result-dir") || !strcmp(flag, "--result-filename") ||
           !strcmp(flag, "--append-result") || !strcmp(flag, "--save-result") ||
           !strcmp(flag, "--save-detailed");
}

static int split_list(const char *flag, const char *list, sweep_axis *ax)
{
    ax->n = 0;
    ax->values = NULL;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0)
            return usage_err("%s: an empty value in '%s'", flag, list);
        ax->values = sb_xrealloc(ax->values, (ax->n + 1) * sizeof *ax->values);
        ax->values[ax->n++] = sb_xstrndup(p, len);
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

static int add_axis(cmd_state *s, const char *flag, const char *list)
{
    if (s->o.n_axes == SWEEP_MAX_AXES)
        return usage_err("more than 16 axes (%s%s)", flag, "");
    for (size_t a = 0; a < s->o.n_axes; a++)
        if (!strcmp(s->axes[a].flag, flag))
            return usage_err("%s is swept twice%s", flag, "");
    sweep_axis *ax = &s->axes[s->o.n_axes];
    ax->flag = sb_xstrdup(flag);
    if (split_list(flag, list, ax) != 0)
        return SB_EXIT_USAGE;
    s->o.n_axes++;
    return 0;
}

static int parse_double(const char *opt, const char *v, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(*out))
        return usage_err("%s: '%s' is not a number", opt, v);
    return 0;
}

static int parse_long(const char *opt, const char *v, long *out, long min)
{
    char *end;
    errno = 0;
    *out = strtol(v, &end, 10);
    if (end == v || *end || errno || *out < min) {
        char m[32];
        snprintf(m, sizeof m, "%ld", min);
        fprintf(stderr, "servebench sweep: error: %s: '%s' is not an integer >= %s\n", opt, v, m);
        return SB_EXIT_USAGE;
    }
    return 0;
}

/* Reads a vLLM --bench-params file: a JSON list of objects, each one
 * point's flags (keys in vLLM's underscore spelling or ours). */
static int load_params(cmd_state *s, const char *path)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        fprintf(stderr, "servebench sweep: error: --params %s: line %d column %d: %s\n", path,
                je.line, je.column, je.text);
        return SB_EXIT_USAGE;
    }
    int rc = 0;
    if (json_is_object(root)) {
        /* vLLM also takes {"name": {flags...}, ...}: the items in file order */
        json_t *list = json_array();
        const char *name;
        json_t *v;
        json_object_foreach(root, name, v)
        {
            json_array_append(list, v);
        }
        json_decref(root);
        root = list;
    }
    if (!json_is_array(root) || json_array_size(root) == 0) {
        fprintf(stderr,
                "servebench sweep: error: --params %s: expected a non-empty JSON list of "
                "objects (vLLM's --bench-params format)\n",
                path);
        json_decref(root);
        return SB_EXIT_USAGE;
    }
    size_t n = json_array_size(root);
    s->o.param_sets = sb_xcalloc(n, sizeof *s->o.param_sets);
    size_t i;
    json_t *item;
    json_array_foreach(root, i, item)
    {
        if (!json_is_object(item)) {
            fprintf(stderr, "servebench sweep: error: --params %s: item %zu is not an object\n",
                    path, i);
            rc = SB_EXIT_USAGE;
            break;
        }
        sweep_params *p = &s->o.param_sets[i];
        size_t m = json_object_size(item);
        p->flags = sb_xcalloc(m + 1, sizeof *p->flags);
        p->values = sb_xcalloc(m + 1, sizeof *p->values);
        const char *k;
        json_t *v;
        json_object_foreach(item, k, v)
        {
            char *flag = canon_flag(k);
            if (!flag || sweep_owned(flag)) {
                fprintf(stderr, "servebench sweep: error: --params %s: item %zu: \"%s\" is %s\n",
                        path, i, k, flag ? "set by the sweep itself" : "not a serve flag");
                free(flag);
                rc = SB_EXIT_USAGE;
                break;
            }
            char buf[64];
            const char *val = NULL;
            if (json_is_string(v)) {
                val = json_string_value(v);
            } else if (json_is_integer(v)) {
                snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
                val = buf;
            } else if (json_is_real(v)) {
                snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
                val = buf;
            } else if (json_is_false(v) || json_is_null(v)) {
                free(flag); /* an unset flag: the serve default */
                continue;
            } else if (!json_is_true(v)) {
                fprintf(stderr,
                        "servebench sweep: error: --params %s: item %zu: \"%s\" must be "
                        "a string, number or boolean\n",
                        path, i, k);
                free(flag);
                rc = SB_EXIT_USAGE;
                break;
            }
            p->flags[p->n] = flag;
            p->values[p->n++] = val ? sb_xstrdup(val) : NULL;
        }
        if (rc)
            break;
    }
    s->o.n_param_sets = rc ? 0 : n;
    json_decref(root);
    return rc;
}

static void hash_args(cmd_state *s, char hex[65])
{
    unsigned char d[32];
    sb_sha256 md;
    sb_sha256_init(&md);
    for (size_t i = 0; i < s->n_hash; i++)
        sb_sha256_update(&md, s->hash_args[i], strlen(s->hash_args[i]) + 1);
    sb_sha256_final(&md, d);
    sb_sha256_to_hex(d, hex);
}

static bool has_flag(const cmd_state *s, const char *flag)
{
    size_t n = strlen(flag);
    for (size_t i = 0; i < s->n_serve; i++) {
        char *c = NULL;
        if (s->serve[i][0] == '-' && s->serve[i][1] == '-') {
            char name[128];
            snprintf(name, sizeof name, "%s", s->serve[i]);
            char *eq = strchr(name, '=');
            if (eq)
                *eq = '\0';
            c = canon_flag(name);
        }
        bool hit = c && strlen(c) == n && !strcmp(c, flag);
        free(c);
        if (hit)
            return true;
    }
    return false;
}

static void push_serve(cmd_state *s, const char *a)
{
    s->serve = sb_xrealloc(s->serve, (s->n_serve + 1) * sizeof *s->serve);
    s->serve[s->n_serve++] = sb_xstrdup(a);
}

/* Adds what the SLOs need to the serve flags when the user did not choose:
 * their percentiles and the e2el metric. */
static int slo_flags(cmd_state *s)
{
    sb_buf pcts;
    sb_buf_init(&pcts);
    bool e2el = false, goodput = false, extra = false;
    sb_buf_puts(&pcts, "--metric-percentiles=99");
    for (size_t i = 0; i < s->o.n_slo; i++) {
        const sweep_slo *q = &s->o.slo[i];
        if (!isnan(q->pct) && q->pct != 99) {
            sb_buf_printf(&pcts, ",%g", q->pct);
            extra = true;
        }
        e2el = e2el || strstr(q->key, "_e2el_");
        goodput = goodput || !strcmp(q->key, "goodput");
    }
    if (goodput && !has_flag(s, "--goodput")) {
        sb_buf_free(&pcts);
        return usage_err("--slo goodput needs --goodput (the per-request SLOs it counts)%s%s", "",
                         "");
    }
    if (extra && !has_flag(s, "--metric-percentiles"))
        push_serve(s, pcts.data);
    if (e2el && !has_flag(s, "--percentile-metrics"))
        push_serve(s, "--percentile-metrics=ttft,tpot,itl,e2el");
    sb_buf_free(&pcts);
    return 0;
}

/* The sweep's own flags; every other --option is a serve flag (cli_args's
 * pass_unknown) handed to each point with the words after it. The last six
 * rows are refused with a reason. */
static const cli_opt sweep_flags[] = {
    {"output-dir", true},
    {"force", false},
    {"stop-on-failure", false},
    {"num-runs", true},
    {"sweep", true},
    {"request-rate", true},
    {"max-concurrency", true},
    {"params", true},
    {"bench-params", true},
    {"warmup-sec", true},
    {"cooldown-sec", true},
    {"warmup-requests", true},
    {"cooldown-requests", true},
    {"between-cmd", true},
    {"slo", true},
    {"search", true},
    {"search-start", true},
    {"search-min", true},
    {"search-max", true},
    {"search-tolerance", true},
    {"search-max-runs", true},
    {"save-result", false},
    {"save-detailed", false},
    {"serve-params", true},
    {"serve-cmd", true},
    {"bench-cmd", true},
    {"result-dir", true},
    {"result-filename", true},
    {"append-result", false},
};
#define N_SWEEP_FLAGS (sizeof sweep_flags / sizeof sweep_flags[0])

/* An option that is neither the sweep's nor serve's stops here, with the
 * closest name of both tables, rather than at the first point's parse. */
static int unknown_flag(const char *word)
{
    char name[128] = {0};
    cli_opt_name(word, name, sizeof name, true);
    char *serve = canon_flag(name);
    if (serve) {
        free(serve);
        return 0;
    }
    size_t n = cli_flag_count();
    const char **names = sb_xcalloc(N_SWEEP_FLAGS + n, sizeof *names);
    for (size_t i = 0; i < N_SWEEP_FLAGS; i++)
        names[i] = sweep_flags[i].name;
    for (size_t i = 0; i < n; i++)
        names[N_SWEEP_FLAGS + i] = cli_flag_name(i);
    sb_err err;
    cli_opt_unknown(&err, name, cli_opt_closest(name, names, N_SWEEP_FLAGS + n));
    free(names);
    return usage_err("%s (see --help)%s", err.msg, "");
}

/* One sweep flag (name without "--", its value or NULL); *hashed false for
 * the flags that do not change what is measured. */
static int sweep_flag(cmd_state *s, const char *flag, const char *v, bool *hashed)
{
    sweep_opts *o = &s->o;
    char name[64];
    snprintf(name, sizeof name, "--%s", flag);
    *hashed = true;
    if (!strcmp(flag, "output-dir")) {
        o->output_dir = v;
        *hashed = false;
    } else if (!strcmp(flag, "force")) {
        o->force = true;
        *hashed = false;
    } else if (!strcmp(flag, "stop-on-failure")) {
        o->stop_on_failure = true;
        *hashed = false;
    } else if (!strcmp(flag, "num-runs")) {
        return parse_long(name, v, &o->num_runs, 1);
    } else if (!strcmp(flag, "sweep")) {
        const char *e = strchr(v, '=');
        if (!e)
            return usage_err("--sweep '%s': expected FLAG=V1,V2,...%s", v, "");
        char *fl = sb_xstrndup(v, (size_t)(e - v));
        char *canon = canon_flag(fl);
        int rc = 0;
        if (!canon || sweep_owned(canon))
            rc = usage_err("--sweep %s: %s", fl,
                           canon ? "the sweep sets this flag itself" : "not a serve flag");
        else
            rc = add_axis(s, canon, e + 1);
        free(fl);
        free(canon);
        return rc;
    } else if (!strcmp(flag, "request-rate") || !strcmp(flag, "max-concurrency")) {
        if (strchr(v, ','))
            return add_axis(s, name, v);
        push_serve(s, name);
        push_serve(s, v);
    } else if (!strcmp(flag, "params") || !strcmp(flag, "bench-params")) {
        s->params_file = v;
    } else if (!strcmp(flag, "warmup-sec")) {
        return parse_double(name, v, &o->window.warmup_s);
    } else if (!strcmp(flag, "cooldown-sec")) {
        return parse_double(name, v, &o->window.cooldown_s);
    } else if (!strcmp(flag, "warmup-requests")) {
        return parse_long(name, v, &o->window.warmup_requests, 0);
    } else if (!strcmp(flag, "cooldown-requests")) {
        return parse_long(name, v, &o->window.cooldown_requests, 0);
    } else if (!strcmp(flag, "between-cmd")) {
        o->between_cmd = v;
    } else if (!strcmp(flag, "slo")) {
        s->slo_spec = v;
    } else if (!strcmp(flag, "search")) {
        s->search_spec = v;
    } else if (!strcmp(flag, "search-start")) {
        return parse_double(name, v, &s->start);
    } else if (!strcmp(flag, "search-min")) {
        return parse_double(name, v, &s->min);
    } else if (!strcmp(flag, "search-max")) {
        return parse_double(name, v, &s->max);
    } else if (!strcmp(flag, "search-tolerance")) {
        s->tol_spec = v;
    } else if (!strcmp(flag, "search-max-runs")) {
        return parse_long(name, v, &o->search_max_runs, 1);
    } else if (!strcmp(flag, "save-result") || !strcmp(flag, "save-detailed")) {
        *hashed = false; /* every point saves its detailed result anyway */
    } else if (!strcmp(flag, "serve-params") || !strcmp(flag, "serve-cmd") ||
               !strcmp(flag, "bench-cmd")) {
        return usage_err("%s (of `vllm bench sweep`) is not supported yet: servebench sweep "
                         "runs its points in-process against a server that is already up "
                         "(use --between-cmd to reconfigure it between points)%s",
                         name, "");
    } else if (!strcmp(flag, "result-dir") || !strcmp(flag, "result-filename") ||
               !strcmp(flag, "append-result")) {
        return usage_err("%s: the sweep names each point's result file itself (use "
                         "--output-dir)%s",
                         name, "");
    }
    return 0;
}

static int parse_args(int argc, char **argv, cmd_state *s)
{
    sweep_opts *o = &s->o;
    o->output_dir = "sweep-results";
    o->num_runs = 1;
    o->search_max_runs = 5;
    s->start = s->min = s->max = NAN;
    s->tol_spec = "5%";
    o->axes = s->axes;
    cli_args a = {.argc = argc, .argv = argv, .i = 1, .pass_unknown = true};
    sb_err err;
    sb_err_clear(&err);
    for (;;) {
        int first = a.i;
        size_t row;
        const char *v = NULL;
        int k = cli_args_next(&a, sweep_flags, N_SWEEP_FLAGS, &row, &v, &err);
        if (k == CLI_ARG_END)
            break;
        if (k == CLI_ARG_HELP) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (k < 0)
            return usage_err("%s (see --help)%s", err.msg, "");
        bool hashed = true;
        if (k == CLI_ARG_FLAG) {
            if (sweep_flag(s, sweep_flags[row].name, v, &hashed) != 0)
                return SB_EXIT_USAGE;
        } else {
            if (k == CLI_ARG_OTHER && unknown_flag(v) != 0)
                return SB_EXIT_USAGE;
            push_serve(s, v); /* a serve flag or its value */
        }
        for (int i = first; hashed && i < a.i; i++) { /* the words as given */
            s->hash_args = sb_xrealloc(s->hash_args, (s->n_hash + 1) * sizeof *s->hash_args);
            s->hash_args[s->n_hash++] = argv[i];
        }
    }
    return 0;
}

static int check_opts(cmd_state *s)
{
    sweep_opts *o = &s->o;
    if (o->window.warmup_s < 0 || o->window.cooldown_s < 0)
        return usage_err("--warmup-sec and --cooldown-sec must be >= 0%s%s", "", "");
    if (s->params_file && load_params(s, s->params_file) != 0)
        return SB_EXIT_USAGE;
    sb_err err;
    if (s->slo_spec) {
        int n = sweep_slo_parse(s->slo_spec, o->slo, SWEEP_SLO_MAX, &err);
        if (n < 0)
            return usage_err("%s%s", err.msg, "");
        o->n_slo = (size_t)n;
    }
    if (s->search_spec) {
        if (!strcmp(s->search_spec, "request-rate") || !strcmp(s->search_spec, "request_rate"))
            o->search = SWEEP_SEARCH_RATE;
        else if (!strcmp(s->search_spec, "max-concurrency") ||
                 !strcmp(s->search_spec, "max_concurrency"))
            o->search = SWEEP_SEARCH_CONCURRENCY;
        else
            return usage_err("--search '%s': choose request-rate or max-concurrency%s",
                             s->search_spec, "");
        if (!o->n_slo)
            return usage_err("--search needs --slo (what the capacity must meet)%s%s", "", "");
        if (o->n_axes || o->n_param_sets)
            return usage_err("--search runs one load axis; it cannot be combined with grid "
                             "axes or --params%s%s",
                             "", "");
        const char *flag = o->search == SWEEP_SEARCH_RATE ? "--request-rate" : "--max-concurrency";
        if (has_flag(s, flag))
            return usage_err("%s is what --search varies; do not give it as well%s", flag, "");
        bool conc = o->search == SWEEP_SEARCH_CONCURRENCY;
        o->search_start = isnan(s->start) ? 1 : s->start;
        o->search_min = isnan(s->min) ? (conc ? 1 : 0.01) : s->min;
        o->search_max = isnan(s->max) ? (conc ? 4096 : 10000) : s->max;
        if (!(o->search_min > 0) || o->search_min > o->search_start ||
            o->search_start > o->search_max)
            return usage_err("need 0 < --search-min <= --search-start <= --search-max%s%s", "", "");
        if (conc && (o->search_start != floor(o->search_start) || o->search_min < 1))
            return usage_err("--search max-concurrency takes whole numbers >= 1%s%s", "", "");
        char *end;
        o->search_tol = strtod(s->tol_spec, &end);
        o->search_tol_rel = *end == '%';
        if (o->search_tol_rel) {
            o->search_tol /= 100;
            end++;
        }
        if (end == s->tol_spec || *end || !(o->search_tol > 0))
            return usage_err("--search-tolerance '%s': a positive number, or a percentage "
                             "like 5%%%s",
                             s->tol_spec, "");
        if (o->search_max_runs < o->num_runs)
            o->search_max_runs = o->num_runs;
    } else if (o->n_slo && !o->n_axes && !o->n_param_sets) {
        /* --slo on a grid marks each point; alone it would be a one-point sweep, fine */
    }
    if (o->n_slo && slo_flags(s) != 0)
        return SB_EXIT_USAGE;
    size_t points = o->n_param_sets ? o->n_param_sets : 1;
    for (size_t a = 0; a < o->n_axes; a++) {
        if (has_flag(s, o->axes[a].flag))
            fprintf(stderr,
                    "servebench sweep: note: %s is swept; its value among the serve "
                    "flags is overridden at every point\n",
                    o->axes[a].flag);
        if (points > SWEEP_MAX_POINTS / o->axes[a].n)
            return usage_err("the grid has more than 100000 points%s%s", "", "");
        points *= o->axes[a].n;
    }
    return 0;
}

/* Parses every point's serve flags before anything runs. */
static int validate_points(cmd_state *s)
{
    sweep_opts *o = &s->o;
    size_t per_set = 1;
    for (size_t a = 0; a < o->n_axes; a++)
        per_set *= o->axes[a].n;
    size_t n = (o->n_param_sets ? o->n_param_sets : 1) * per_set;
    if (o->search)
        n = 1;
    for (size_t idx = 0; idx < n; idx++) {
        char **av = sb_xcalloc(s->n_serve + o->n_axes + 64, sizeof *av);
        int k = 0;
        av[k++] = "serve";
        for (size_t i = 0; i < s->n_serve; i++)
            av[k++] = s->serve[i];
        sb_buf pts;
        sb_buf_init(&pts);
        const sweep_params *set = o->n_param_sets ? &o->param_sets[idx / per_set] : NULL;
        char **tmp = sb_xcalloc((set ? set->n : 0) + o->n_axes + 2, sizeof *tmp);
        size_t nt = 0;
        for (size_t i = 0; set && i < set->n; i++) {
            sb_buf b;
            sb_buf_init(&b);
            sb_buf_printf(&b, set->values[i] ? "%s=%s" : "%s", set->flags[i], set->values[i]);
            tmp[nt++] = sb_buf_steal(&b);
        }
        size_t rem = idx % per_set;
        for (size_t a = o->n_axes; a-- > 0;) {
            sb_buf b;
            sb_buf_init(&b);
            sb_buf_printf(&b, "%s=%s", o->axes[a].flag, o->axes[a].values[rem % o->axes[a].n]);
            tmp[nt++] = sb_buf_steal(&b);
            rem /= o->axes[a].n;
        }
        if (o->search) {
            sb_buf b;
            sb_buf_init(&b);
            sb_buf_printf(&b, "%s=%g",
                          o->search == SWEEP_SEARCH_RATE ? "--request-rate" : "--max-concurrency",
                          o->search_start);
            tmp[nt++] = sb_buf_steal(&b);
        }
        for (size_t i = 0; i < nt; i++) {
            av[k++] = tmp[i];
            sb_buf_printf(&pts, "%s%s", i ? " " : "", tmp[i]);
        }
        sb_config cfg;
        sb_buf notes;
        sb_err err;
        sb_buf_init(&notes);
        int rc = cli_parse_serve(k, av, &cfg, &notes, &err);
        sb_buf_free(&notes);
        if (rc == CLI_PARSED)
            sb_config_free(&cfg);
        int bad = rc != CLI_PARSED;
        if (bad)
            fprintf(stderr, "servebench sweep: error: point %zu (%s): %s\n", idx,
                    pts.len ? pts.data : "base flags",
                    rc < 0 ? err.msg : "--help is not a point flag");
        for (size_t i = 0; i < nt; i++)
            free(tmp[i]);
        free(tmp);
        free(av);
        sb_buf_free(&pts);
        if (bad)
            return SB_EXIT_USAGE;
    }
    return 0;
}

static void free_state(cmd_state *s)
{
    for (size_t a = 0; a < s->o.n_axes; a++) {
        for (size_t i = 0; i < s->axes[a].n; i++)
            free(s->axes[a].values[i]);
        free(s->axes[a].values);
        free(s->axes[a].flag);
    }
    for (size_t i = 0; i < s->o.n_param_sets; i++) {
        for (size_t j = 0; j < s->o.param_sets[i].n; j++) {
            free(s->o.param_sets[i].flags[j]);
            free(s->o.param_sets[i].values[j]);
        }
        free(s->o.param_sets[i].flags);
        free(s->o.param_sets[i].values);
    }
    free(s->o.param_sets);
    for (size_t i = 0; i < s->n_serve; i++)
        free(s->serve[i]);
    free(s->serve);
    free(s->hash_args);
}

static int sweep_main(int argc, char **argv);

/* Under mpirun every point runs on all ranks: rank 0 runs the sweep and
 * writes its files, the others follow (sweep_mpi_runner, docs/scale-out.md). */
int sweep_cmd(int argc, char **argv)
{
    sb_err err;
    if (mpir_start(false, &err) != 0) {
        fprintf(stderr, "servebench sweep: error: %s\n", err.msg);
        return SB_EXIT_USAGE;
    }
    if (!mpir_active())
        return sweep_main(argc, argv);
    int st = mpir_rank() == 0 ? sweep_main(argc, argv) : sweep_mpi_follow();
    if (mpir_rank() == 0)
        sweep_mpi_end(); /* on every way out, or the others wait forever */
    mpir_stop();
    return st;
}

static int sweep_main(int argc, char **argv)
{
    cmd_state s;
    memset(&s, 0, sizeof s);
    int rc = parse_args(argc, argv, &s);
    if (rc == 0)
        rc = check_opts(&s);
    if (rc == 0)
        rc = validate_points(&s);
    if (rc != 0) {
        free_state(&s);
        return rc < 0 ? SB_EXIT_OK : rc;
    }
    char hex[65];
    hash_args(&s, hex);
    s.o.serve_args = s.serve;
    s.o.n_serve_args = s.n_serve;
    s.o.argv = argv + 1;
    s.o.argc = argc - 1;
    s.o.args_sha256 = hex;
    sweep_runner *r = mpir_active() ? sweep_mpi_runner() : sweep_inproc_runner();
    sb_err err;
    int st = sweep_run(&s.o, r, &err);
    r->free(r);
    free_state(&s);
    if (st < 0) {
        fprintf(stderr, "servebench sweep: error: %s\n", err.msg);
        return SB_EXIT_USAGE;
    }
    return st == 0 ? SB_EXIT_OK : SB_EXIT_FAIL;
}
