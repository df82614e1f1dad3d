/* SPDX-License-Identifier: Apache-2.0 */
/* flag_parse.c - argv -> sb_config through the flag table.
 *
 * Mirrors vLLM's FlexibleArgumentParser over argparse
 * (vllm/utils/argparse_utils.py: FlexibleArgumentParser.parse_args): long options only, `--flag
 * value` or `--flag=value`, `_` accepted for
 * `-` in the name (only before the first `.`), nargs lists that end at the
 * next option, dotted `--extra-body.key value` building a JSON object,
 * duplicates warned about with the last value kept. Anything else stops with
 * a message naming the argument and, for unknown flags, the closest one. */
#include <ctype.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "cli/opt.h"

size_t cli_flag_count(void)
{
    return cli_n_flags;
}

const char *cli_flag_name(size_t i)
{
    return i < cli_n_flags ? cli_flags[i].name : NULL;
}

const char *cli_flag_alias(size_t i)
{
    return i < cli_n_flags ? cli_flags[i].alias : NULL;
}

/* Every canonical name and alias, for the closest-name hint. */
static const char *closest_flag(const char *given)
{
    const char **names = sb_xmalloc(2 * cli_n_flags * sizeof *names);
    for (size_t i = 0; i < cli_n_flags; i++) {
        names[2 * i] = cli_flags[i].name;
        names[2 * i + 1] = cli_flags[i].alias;
    }
    const char *best = cli_opt_closest(given, names, 2 * cli_n_flags);
    free(names);
    return best;
}

static const cli_flag *find_flag(const char *name)
{
    for (size_t i = 0; i < cli_n_flags; i++)
        if (!strcmp(cli_flags[i].name, name) ||
            (cli_flags[i].alias && !strcmp(cli_flags[i].alias, name)))
            return &cli_flags[i];
    return NULL;
}

static void *field(sb_config *cfg, size_t off)
{
    return (char *)cfg + off;
}

static char *strip_dup(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return sb_xstrndup(s, n);
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_kvs(sb_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static int set_choice_str(sb_config *cfg, const cli_flag *f, const char *v, sb_err *err)
{
    if (f->choices) {
        bool ok = false;
        size_t n = 0;
        for (; f->choices[n]; n++)
            ok |= !strcmp(f->choices[n], v);
        if (!ok) {
            sb_buf list;
            sb_buf_init(&list);
            for (size_t i = 0; i < n; i++)
                sb_buf_printf(&list, "%s'%s'", i ? ", " : "", f->choices[i]);
            const char *hint = cli_opt_closest(v, f->choices, n);
            if (hint)
                sb_err_set(err, "--%s: invalid choice: '%s' (did you mean '%s'? choose from %s)",
                           f->name, v, hint, list.data);
            else
                sb_err_set(err, "--%s: invalid choice: '%.64s...' (choose from %s)", f->name, v,
                           list.data);
            sb_buf_free(&list);
            return -1;
        }
    }
    char **slot = field(cfg, f->off);
    free(*slot);
    *slot = sb_xstrdup(v);
    return 0;
}

static int set_kvlist(sb_config *cfg, const cli_flag *f, char **v, size_t n, sb_err *err)
{
    sb_kv *kv = sb_xcalloc(n, sizeof *kv);
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(v[i], '=');
        if (!eq) {
            free_kvs(kv, i);
            return sb_err_set(err, "--%s: invalid item '%s'; please use KEY=VALUE format", f->name,
                              v[i]);
        }
        kv[i].key = strip_dup(v[i], (size_t)(eq - v[i]));
        kv[i].value = strip_dup(eq + 1, strlen(eq + 1));
    }
    sb_kv **slot = field(cfg, f->off);
    size_t *count = field(cfg, f->n_off);
    free_kvs(*slot, *count);
    *slot = kv;
    *count = n;
    return 0;
}

static int set_json(sb_config *cfg, const cli_flag *f, const char *v, sb_err *err)
{
    json_error_t je;
    json_t *o = json_loads(v, 0, &je);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return sb_err_set(err, "--%s: not a JSON object: %s (at column %d)", f->name,
                          o ? "a JSON value of another type" : je.text, je.column);
    }
    json_decref(o);
    char **slot = field(cfg, f->off);
    free(*slot);
    *slot = sb_xstrdup(v);
    return 0;
}

static int set_number(sb_config *cfg, const cli_flag *f, const char *v, sb_err *err)
{
    long l;
    double d;
    switch (f->type) {
    case FT_INT:
        if (fv_parse_long(v, &l) < 0 || l < INT_MIN || l > INT_MAX)
            return sb_err_set(err, "--%s: invalid int value: '%s'", f->name, v);
        *(int *)field(cfg, f->off) = (int)l;
        return 0;
    case FT_LONG:
        if (fv_parse_long(v, &l) < 0)
            return sb_err_set(err, "--%s: invalid int value: '%s'", f->name, v);
        *(long *)field(cfg, f->off) = l;
        return 0;
    case FT_U64: {
        char *end;
        const char *s = v;
        while (isspace((unsigned char)*s))
            s++;
        unsigned long long u = strtoull(s, &end, 10);
        if (!isdigit((unsigned char)*s) || *end)
            return sb_err_set(err, "--%s: invalid value '%s' (a non-negative integer)", f->name, v);
        *(uint64_t *)field(cfg, f->off) = u;
        return 0;
    }
    default:
        if (fv_parse_double(v, &d) < 0)
            return sb_err_set(err, "--%s: invalid float value: '%s'", f->name, v);
        *(double *)field(cfg, f->off) = d;
        return 0;
    }
}

/* One use of a flag with its values (n >= 1 unless the flag takes none). */
static int apply(sb_config *cfg, const cli_flag *f, char **v, size_t n, sb_err *err)
{
    switch (f->type) {
    case FT_BOOL:
        *(bool *)field(cfg, f->off) = true;
        return 0;
    case FT_IGNORED:
        return 0;
    case FT_UNSUPPORTED:
        return sb_err_set(err, "--%s is not supported yet (%s)", f->name, f->help);
    case FT_STR:
        return set_choice_str(cfg, f, v[0], err);
    case FT_STRLIST: {
        char ***slot = field(cfg, f->off);
        size_t *count = field(cfg, f->n_off);
        free_strv(*slot, *count);
        *slot = sb_xcalloc(n, sizeof **slot);
        for (size_t i = 0; i < n; i++)
            (*slot)[i] = sb_xstrdup(v[i]);
        *count = n;
        return 0;
    }
    case FT_KVLIST:
        return set_kvlist(cfg, f, v, n, err);
    case FT_APPEND: {
        char ***slot = field(cfg, f->off);
        size_t *count = field(cfg, f->n_off);
        *slot = sb_xrealloc(*slot, (*count + 1) * sizeof **slot);
        (*slot)[(*count)++] = sb_xstrdup(v[0]);
        return 0;
    }
    case FT_JSON:
        return set_json(cfg, f, v[0], err);
    case FT_CUSTOM:
        return f->custom(cfg, v, n, err);
    default:
        return set_number(cfg, f, v[0], err);
    }
}

static bool takes_list(const cli_flag *f)
{
    return f->type == FT_STRLIST || f->type == FT_KVLIST || (f->type == FT_CUSTOM && f->nargs);
}

static bool takes_value(const cli_flag *f)
{
    if (f->type == FT_BOOL)
        return false;
    if (f->type == FT_IGNORED || f->type == FT_CUSTOM || f->type == FT_UNSUPPORTED)
        return f->metavar != NULL;
    return true;
}

#include "cli/flag_dotted.h"

typedef struct parse_state {
    int argc;
    char **argv;
    int i;
    sb_config *cfg;
    sb_buf *notes;
    unsigned char *seen;
    int first_cli; /* argv[1..first_cli) came from --config: not counted as duplicates */
    dotted_set dotted;
} parse_state;

/* Collects the values of one flag use into vals (pointers into argv or the
 * inline "=value"). Returns the count or -1. */
static int collect_values(parse_state *ps, const cli_flag *f, char *inline_v, char **vals,
                          sb_err *err)
{
    int n = 0;
    if (!takes_value(f)) {
        if (inline_v)
            return cli_opt_no_value(err, f->name, inline_v);
        return 0;
    }
    if (inline_v)
        vals[n++] = inline_v;
    if (f->type == FT_APPEND && !inline_v) {
        /* the simulator's own flags start with "--": take the next word as is */
        if (ps->i + 1 >= ps->argc)
            return cli_opt_needs_value(err, f->name);
        vals[n++] = ps->argv[++ps->i];
        return n;
    }
    if (takes_list(f)) {
        while (ps->i + 1 < ps->argc && !cli_opt_is_option(ps->argv[ps->i + 1]))
            vals[n++] = ps->argv[++ps->i];
        if (n == 0)
            return cli_opt_needs_value(err, f->name);
        return n;
    }
    if (!inline_v) {
        if (ps->i + 1 >= ps->argc || cli_opt_is_option(ps->argv[ps->i + 1]))
            return cli_opt_needs_value(err, f->name);
        vals[n++] = ps->argv[++ps->i];
    }
    return n;
}

static void note_use(parse_state *ps, const cli_flag *f)
{
    size_t idx = (size_t)(f - cli_flags);
    if (ps->i < ps->first_cli)
        return; /* the command line may override the file without a warning */
    if (f->type == FT_IGNORED && !ps->seen[idx])
        sb_buf_printf(ps->notes, "note: --%s is accepted for compatibility and has no effect\n",
                      f->name);
    if (ps->seen[idx] == 1 && f->type != FT_APPEND)
        sb_buf_printf(ps->notes, "warning: --%s given more than once; the last value is used\n",
                      f->name);
    if (ps->seen[idx] < 2)
        ps->seen[idx]++;
}

/* Splits "--name.path=value" into the name (cli_opt_name's spelling rule),
 * the dotted path and the inline value; arg is modified in place. */
static void split_arg(char *arg, char *name, size_t cap, char **path, char **inline_v)
{
    cli_opt_name(arg, name, cap, true);
    char *body = arg + 2;
    char *eq = strchr(body, '=');
    if (eq)
        *eq = '\0';
    *inline_v = eq ? eq + 1 : NULL;
    char *dot = strchr(body, '.');
    *path = dot ? dot + 1 : NULL;
}

static int parse_one(parse_state *ps, sb_err *err)
{
    const char *orig = ps->argv[ps->i];
    if (!strcmp(orig, "-h") || !strcmp(orig, "--help"))
        return CLI_HELP;
    if (!strcmp(orig, "--help-markdown"))
        return CLI_HELP_MD;
    if (strncmp(orig, "--", 2) != 0 || orig[2] == '\0')
        return sb_err_set(err,
                          "unrecognized argument: '%s' (flags are --name VALUE; see "
                          "`servebench serve --help`)",
                          orig);
    char *arg = sb_xstrdup(orig), name[128], *path, *inline_v;
    split_arg(arg, name, sizeof name, &path, &inline_v);
    const cli_flag *f = find_flag(name);
    int rc = 0;
    if (!f) {
        rc = cli_opt_unknown(err, name, closest_flag(name));
    } else if (path && f->type != FT_JSON) {
        rc = sb_err_set(err, "--%s.%s: only JSON-object flags (--extra-body, ...) take .KEY",
                        f->name, path);
    } else {
        char **vals = sb_xmalloc((size_t)(ps->argc + 1) * sizeof *vals);
        int n = collect_values(ps, f, inline_v, vals, err);
        if (n < 0)
            rc = -1;
        else if (path)
            rc = dotted_add(&ps->dotted, (size_t)(f - cli_flags), f->name, path, vals[0], err);
        else {
            note_use(ps, f);
            rc = apply(ps->cfg, f, vals, (size_t)n, err);
        }
        free(vals);
    }
    free(arg);
    return rc;
}

/* Index of the --config flag in argv, or 0; *file gets its value. */
static int find_config(int argc, char **argv, const char **file, sb_err *err)
{
    int at = 0;
    for (int i = 1; i < argc; i++) {
        bool eq = !strncmp(argv[i], "--config=", 9);
        if (strcmp(argv[i], "--config") != 0 && !eq)
            continue;
        if (at)
            return sb_err_set(err, "--config given more than once");
        if (!eq && i + 1 >= argc)
            return cli_opt_needs_value(err, "config");
        *file = eq ? argv[i] + 9 : argv[i + 1];
        at = i;
    }
    return at;
}

/* argv with the --config words first and the --config flag removed. */
static char **expand_config(int argc, char **argv, int at, char **words, int n_words, int *n_out)
{
    char **v = sb_xmalloc((size_t)(argc + n_words + 1) * sizeof *v);
    int n = 0, skip = strchr(argv[at], '=') ? 1 : 2;
    v[n++] = argv[0];
    for (int i = 0; i < n_words; i++)
        v[n++] = words[i];
    for (int i = 1; i < argc; i++)
        if (i < at || i >= at + skip)
            v[n++] = argv[i];
    v[n] = NULL;
    *n_out = n;
    return v;
}

/* `dataset stats` only builds requests; where the dataset needs a backend
 * other than the default (list prompts, images, audio), it takes that one
 * instead of stopping, unless --backend was given. */
static void stats_backend(sb_config *cfg, const unsigned char *seen, sb_buf *notes)
{
    for (size_t i = 0; i < cli_n_flags; i++)
        if (!strcmp(cli_flags[i].name, "backend") && seen[i])
            return;
    const char *ds = cfg->ds.name, *be = NULL;
    if (!strcmp(ds, "random-rerank"))
        be = "vllm-rerank";
    else if (!strcmp(ds, "random") && cfg->ds.random_batch_size > 1)
        be = "openai-embeddings";
    else if (!strcmp(ds, "random-mm") || !strcmp(ds, "custom_image"))
        be = "openai-chat";
    else if (!strcmp(ds, "custom_audio"))
        be = cfg->ds.enable_multimodal_chat ? "openai-chat" : "openai-audio";
    if (!be)
        return;
    free(cfg->backend);
    cfg->backend = sb_xstrdup(be);
    sb_buf_printf(notes, "note: --dataset-name %s: requests built for --backend %s\n", ds, be);
}

/* --sim starts its own server on a free port, so where to connect is not the
 * user's to say: name what is ignored rather than ignore it silently. */
static void sim_ignored(const sb_config *cfg, const unsigned char *seen, sb_buf *notes)
{
    if (!cfg->sim)
        return;
    for (size_t i = 0; i < cli_n_flags; i++) {
        const char *n = cli_flags[i].name;
        if (seen[i] && (!strcmp(n, "base-url") || !strcmp(n, "host") || !strcmp(n, "port")))
            sb_buf_printf(notes,
                          "warning: --%s is ignored with --sim (the built-in simulator listens "
                          "on a free local port)\n",
                          n);
    }
}

static int parse_flags(int argc, char **argv, sb_config *cfg, sb_buf *notes, bool stats,
                       sb_err *err)
{
    sb_config_defaults(cfg);
    const char *file = NULL;
    char **words = NULL, **all = argv;
    int n_words = 0;
    int at = find_config(argc, argv, &file, err);
    int rc = at < 0 ? -1 : 0;
    if (at > 0 && cli_config_file_words(file, &words, &n_words, err) < 0)
        rc = -1;
    if (at > 0 && rc == 0)
        all = expand_config(argc, argv, at, words, n_words, &argc);
    parse_state ps = {.argc = argc,
                      .argv = all,
                      .i = 1,
                      .cfg = cfg,
                      .notes = notes,
                      .seen = sb_xcalloc(cli_n_flags, 1),
                      .first_cli = 1 + n_words};
    for (; ps.i < argc && rc == 0; ps.i++)
        rc = parse_one(&ps, err);
    if (rc == 0)
        rc = dotted_apply(&ps.dotted, cfg, err);
    if (rc == 0 && stats)
        stats_backend(cfg, ps.seen, notes);
    if (rc == 0)
        sim_ignored(cfg, ps.seen, notes);
    if (rc == 0)
        rc = cli_validate(cfg, notes, err) < 0 ? -1 : CLI_PARSED;
    dotted_free(&ps.dotted);
    free(ps.seen);
    for (int i = 0; i < n_words; i++)
        free(words[i]);
    free(words);
    if (all != argv)
        free(all);
    if (rc != CLI_PARSED)
        sb_config_free(cfg);
    return rc;
}

int cli_parse_serve(int argc, char **argv, sb_config *cfg, sb_buf *notes, sb_err *err)
{
    return parse_flags(argc, argv, cfg, notes, false, err);
}

int cli_parse_dataset_stats(int argc, char **argv, sb_config *cfg, sb_buf *notes, sb_err *err)
{
    return parse_flags(argc, argv, cfg, notes, true, err);
}
