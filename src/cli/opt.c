/* SPDX-License-Identifier: Apache-2.0 */
/* opt.c - the command-line rule set (see opt.h). */
#include "cli/opt.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

const char *cli_opt_name(const char *arg, char *name, size_t cap, bool stop_dot)
{
    const char *body = arg + 2, *eq = strchr(body, '=');
    size_t n = eq ? (size_t)(eq - body) : strlen(body);
    if (stop_dot) {
        const char *dot = memchr(body, '.', n);
        if (dot)
            n = (size_t)(dot - body);
    }
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        name[i] = body[i] == '_' ? '-' : body[i];
    name[n] = '\0';
    return eq ? eq + 1 : NULL;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t *row = sb_xmalloc((lb + 1) * sizeof *row);
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            best = up + 1 < best ? up + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[lb];
    free(row);
    return d;
}

const char *cli_opt_closest(const char *given, const char *const *cands, size_t n)
{
    /* The distance costs len(given) x len(name) per candidate: a word far
     * longer than any option name gets no hint rather than seconds of work
     * (a fuzzer's megabyte-long argument, a pasted prompt). */
    if (strlen(given) > CLI_OPT_HINT_MAX)
        return NULL;
    const char *best = NULL;
    size_t bd = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i])
            continue;
        size_t d = edit_distance(given, cands[i]);
        if (d < bd) {
            bd = d;
            best = cands[i];
        }
    }
    return best;
}

int cli_opt_unknown(sb_err *err, const char *name, const char *closest)
{
    if (closest)
        return sb_err_set(err, "unknown option --%s (did you mean --%s?)", name, closest);
    return sb_err_set(err, "unknown option --%s", name);
}

int cli_opt_needs_value(sb_err *err, const char *name)
{
    return sb_err_set(err, "--%s needs a value", name);
}

int cli_opt_no_value(sb_err *err, const char *name, const char *given)
{
    return sb_err_set(err, "--%s takes no value (got '%s')", name, given);
}

bool cli_opt_is_option(const char *a)
{
    if (a[0] != '-' || a[1] == '\0')
        return false;
    return a[1] == '-' || !(isdigit((unsigned char)a[1]) || a[1] == '.');
}

static bool is_short(const cli_opt *o)
{
    return o->name[0] && !o->name[1];
}

/* "-x" (w): a one-letter row, its value the next word; no "-xVALUE" or
 * "-x=VALUE" (the tables' long names take the inline form). */
static int short_opt(cli_args *a, const char *w, const cli_opt *table, size_t n, size_t *row,
                     const char **val, sb_err *err)
{
    for (size_t r = 0; w[2] == '\0' && r < n; r++) {
        if (!is_short(&table[r]) || table[r].name[0] != w[1])
            continue;
        *row = r;
        *val = NULL;
        if (!table[r].value)
            return CLI_ARG_FLAG;
        if (a->i >= a->argc || cli_opt_is_option(a->argv[a->i]))
            return sb_err_set(err, "%s needs a value", w);
        *val = a->argv[a->i++];
        return CLI_ARG_FLAG;
    }
    return sb_err_set(err, "unknown option %s (options are --name VALUE)", w);
}

int cli_args_next(cli_args *a, const cli_opt *table, size_t n, size_t *row, const char **val,
                  sb_err *err)
{
    if (a->i >= a->argc)
        return CLI_ARG_END;
    const char *w = a->argv[a->i++];
    if (!strcmp(w, "-h") || !strcmp(w, "--help"))
        return CLI_ARG_HELP;
    if (!cli_opt_is_option(w) || !strcmp(w, "--")) {
        *val = w;
        return CLI_ARG_WORD;
    }
    if (w[1] != '-')
        return short_opt(a, w, table, n, row, val, err);
    /* zeroed, not only NUL-terminated: clang's analyzer does not tie strlen(name) to
     * the NUL cli_opt_name writes, and edit_distance reads name up to that length */
    char name[128] = {0};
    const char *inline_v = cli_opt_name(w, name, sizeof name, false);
    for (size_t r = 0; r < n; r++) {
        if (is_short(&table[r]) || strcmp(table[r].name, name) != 0)
            continue;
        *row = r;
        if (!table[r].value) {
            if (inline_v)
                return cli_opt_no_value(err, name, inline_v);
            *val = NULL;
            return CLI_ARG_FLAG;
        }
        if (inline_v) {
            *val = inline_v;
            return CLI_ARG_FLAG;
        }
        if (a->i >= a->argc || cli_opt_is_option(a->argv[a->i]))
            return cli_opt_needs_value(err, name);
        *val = a->argv[a->i++];
        return CLI_ARG_FLAG;
    }
    if (a->pass_unknown) {
        *val = w;
        return CLI_ARG_OTHER;
    }
    const char **names = sb_xmalloc((n + 1) * sizeof *names);
    for (size_t r = 0; r < n; r++)
        names[r] = is_short(&table[r]) ? NULL : table[r].name;
    int rc = cli_opt_unknown(err, name, cli_opt_closest(name, names, n));
    free(names);
    return rc;
}
