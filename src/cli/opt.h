/* SPDX-License-Identifier: Apache-2.0 */
/* opt.h - the one command-line rule set of every subcommand.
 *
 * Long options only, named exactly (no prefixes), `_` and `-` alike in a
 * name (`--max_concurrency` is `--max-concurrency`, as vLLM's
 * FlexibleArgumentParser allows), a value as `--flag value` or
 * `--flag=value`. Errors read "unknown option --x (did you mean --y?)",
 * "--x needs a value", "--x takes no value". `serve`'s flag table
 * (flag_parse.c, with its lists and dotted keys) spells names and errors
 * through the same functions; every other subcommand walks its table with
 * cli_args_next. A one-letter row ("o") is the short option `-o VALUE`,
 * matched only in that spelling (report and plot's `-o`, as argparse's). */
#ifndef SB_CLI_OPT_H
#define SB_CLI_OPT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/* One row of a subcommand's flag table. */
typedef struct cli_opt {
    const char *name; /* without "--", words joined by '-' ("ttft-ms"); one letter: -x */
    bool value;       /* takes one value */
} cli_opt;

/* Walks argv[i..argc); start with i = 1 (argv[0] is the command name). */
typedef struct cli_args {
    int argc;
    char **argv;
    int i;
    /* An unknown --option is CLI_ARG_OTHER, not an error: for a command that
     * hands what is not its own to another (sweep gives it to serve). The
     * words after it come back as CLI_ARG_WORD. */
    bool pass_unknown;
} cli_args;

#define CLI_ARG_END 0   /* no words left */
#define CLI_ARG_FLAG 1  /* a table row: *row its index, *val its value or NULL */
#define CLI_ARG_WORD 2  /* a word that is not an option: *val */
#define CLI_ARG_HELP 3  /* -h or --help */
#define CLI_ARG_OTHER 4 /* pass_unknown: a --option not in the table, *val the word */

/* The next argument; -1 with err for an unknown option, a missing value or
 * a value given to a flag that takes none. */
int cli_args_next(cli_args *a, const cli_opt *table, size_t n, size_t *row, const char **val,
                  sb_err *err);

/* Writes the option name of arg (after "--", up to '=' or, with stop_dot, a
 * '.') into name with '_' as '-'; returns the inline value after '=' or
 * NULL. A name longer than cap - 1 is cut (and then matches nothing). */
const char *cli_opt_name(const char *arg, char *name, size_t cap, bool stop_dot);
/* Whether word a is an option ("-x", "--x") rather than a value ("-1",
 * "-.5", "x"), as argparse decides. */
bool cli_opt_is_option(const char *a);
/* The candidate closest to given by edit distance (NULL when none, or when
 * given is longer than CLI_OPT_HINT_MAX bytes). */
#define CLI_OPT_HINT_MAX 64
const char *cli_opt_closest(const char *given, const char *const *cands, size_t n);
/* The rule set's messages; each sets err and returns -1. */
int cli_opt_unknown(sb_err *err, const char *name, const char *closest);
int cli_opt_needs_value(sb_err *err, const char *name);
int cli_opt_no_value(sb_err *err, const char *name, const char *given);

#endif
