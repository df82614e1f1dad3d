/* SPDX-License-Identifier: Apache-2.0 */
/* test_cli_opt.c - the one command-line rule set (cli/opt.h) and every
 * subcommand following it: exact names (no prefixes), `_` for `-`,
 * `--flag value` and `--flag=value`, "unknown option --x (did you mean
 * --y?)", "--x needs a value", "--x takes no value". */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "cli/opt.h"

static const cli_opt table[] = {
    {"max-tokens", true}, {"quiet", false}, {"seed", true}, {"o", true}, {"v", false}};
#define N (sizeof table / sizeof table[0])

/* Walks words (space-separated) and writes "row=value;" per flag, "W:w;"
 * per word, "O:w;" per option passed through, "H;" for help, or "E:message"
 * at the first error. */
static void walk_mode(const char *line, char *out, size_t cap, bool pass)
{
    char buf[256], *argv[32];
    int argc = 0;
    argv[argc++] = "cmd";
    snprintf(buf, sizeof buf, "%s", line);
    for (char *t = strtok(buf, " "); t; t = strtok(NULL, " "))
        argv[argc++] = t;
    cli_args a = {.argc = argc, .argv = argv, .i = 1, .pass_unknown = pass};
    sb_err err = {{0}};
    size_t row, n = 0;
    const char *v;
    out[0] = '\0';
    for (int k; (k = cli_args_next(&a, table, N, &row, &v, &err)) != CLI_ARG_END;) {
        if (k < 0) {
            snprintf(out + n, cap - n, "E:%s", err.msg);
            return;
        }
        if (k == CLI_ARG_HELP)
            n += (size_t)snprintf(out + n, cap - n, "H;");
        else if (k == CLI_ARG_WORD)
            n += (size_t)snprintf(out + n, cap - n, "W:%s;", v);
        else if (k == CLI_ARG_OTHER)
            n += (size_t)snprintf(out + n, cap - n, "O:%s;", v);
        else
            n += (size_t)snprintf(out + n, cap - n, "%zu=%s;", row, v ? v : "-");
    }
}

static void expect_mode(const char *line, const char *want, bool pass)
{
    char got[512];
    walk_mode(line, got, sizeof got, pass);
    if (strcmp(got, want))
        print_error("'%s': got '%s', want '%s'\n", line, got, want);
    assert_string_equal(got, want);
}

static void expect(const char *line, const char *want)
{
    expect_mode(line, want, false);
}

static void rules(void **state)
{
    (void)state;
    expect("--max-tokens 5 --quiet --seed=7", "0=5;1=-;2=7;");
    expect("--max_tokens=5", "0=5;");
    expect("--seed -3", "2=-3;");
    expect("pos --quiet", "W:pos;1=-;");
    expect("-h", "H;");
    expect("--help", "H;");
    expect("--max-token 5", "E:unknown option --max-token (did you mean --max-tokens?)");
    expect("--sed 1", "E:unknown option --sed (did you mean --seed?)");
    expect("--seed", "E:--seed needs a value");
    expect("--seed --quiet", "E:--seed needs a value");
    expect("--quiet=yes", "E:--quiet takes no value (got 'yes')");
    expect("-q", "E:unknown option -q (options are --name VALUE)");
    /* one-letter rows are short options, in that spelling only */
    expect("-o out.html -v x", "3=out.html;4=-;W:x;");
    expect("-o", "E:-o needs a value");
    expect("-o --quiet", "E:-o needs a value");
    expect("-ofile", "E:unknown option -ofile (options are --name VALUE)");
    expect("--o x", "E:unknown option --o (did you mean --seed?)"); /* not -o, nor offered */
    expect("--v", "E:unknown option --v (did you mean --seed?)");
}

/* pass_unknown (sweep -> serve): an unknown --option and the words after it
 * come back for the caller; the table's own rules still hold. */
static void pass_through(void **state)
{
    (void)state;
    expect_mode("--model m --seed 3 --quiet", "O:--model;W:m;2=3;1=-;", true);
    expect_mode("--temperature=0.5 --seed=1", "O:--temperature=0.5;2=1;", true);
    expect_mode("--seed", "E:--seed needs a value", true);
    expect_mode("--quiet=1", "E:--quiet takes no value (got '1')", true);
    expect_mode("-x", "E:unknown option -x (options are --name VALUE)", true);
    expect_mode("--help", "H;", true);
}

/* The hint's edit distance is quadratic in the word: a word longer than any
 * option name gets no hint (a megabyte-long argument once cost seconds). */
static void long_word_no_hint(void **state)
{
    (void)state;
    const char *names[] = {"seed", "max-tokens"};
    char word[CLI_OPT_HINT_MAX + 2];
    memset(word, 's', sizeof word - 1);
    word[sizeof word - 1] = '\0';
    assert_null(cli_opt_closest(word, names, 2));
    word[CLI_OPT_HINT_MAX] = '\0';
    assert_string_equal(cli_opt_closest(word, names, 2), "seed");
    assert_string_equal(cli_opt_closest("sed", names, 2), "seed");
}

/* Each subcommand's binary says the same sentences. */
static void binary(const char *args, int status, const char *want)
{
    char cmd[1024];
    sb_buf out;
    sb_buf_init(&out);
    snprintf(cmd, sizeof cmd, "'%s' %s </dev/null", tu_env("SB_BIN"), args);
    assert_int_equal(tu_run(cmd, 1, &out), status);
    if (!strstr(out.data ? out.data : "", want))
        print_error("%s: output '%s' lacks '%s'\n", args, out.data, want);
    assert_non_null(strstr(out.data ? out.data : "", want));
    sb_buf_free(&out);
}

static void every_subcommand(void **state)
{
    (void)state;
    binary("sim --bogus", 2, "unknown option --bogus");
    binary("sim --ttft-m 5", 2, "unknown option --ttft-m (did you mean --ttft-ms?)");
    binary("sim --ttft-ms", 2, "--ttft-ms needs a value");
    binary("sim --quiet=1", 2, "--quiet takes no value");
    binary("serve --bogus", 2, "unknown option --bogus");
    binary("serve --model", 2, "--model needs a value");
    binary("tokenize --bogus", 2, "unknown option --bogus");
    binary("tokenize --tok x --text a", 2, "unknown option --tok"); /* no prefixes */
    binary("tokenize --text", 2, "--text needs a value");
    binary("tokenize --text=a --count", 0, "1");
    binary("tokenize --add_special_tokens --text a --count", 0, "1");
    binary("dataset generate token-norm-dist --bogus 1", 2, "unknown option --bogus");
    binary("dataset generate token-norm-dist --num-requests", 2, "--num-requests needs a value");
    binary("dataset stats --bogus 1", 2, "unknown option --bogus");
    binary("dataset stats --export", 2, "--export needs a value");
    binary("dataset stats --json=1", 2, "--json takes no value");
    binary("compare --al 0.1 a b", 2, "unknown option --al (did you mean --all?)");
    binary("compare a b --alpha", 2, "--alpha needs a value");
    binary("compare a b --all=1", 2, "--all takes no value");
    binary("report --outpt r.html x.json", 2, "unknown option --outpt (did you mean --output?)");
    binary("report x.json -o", 2, "-o needs a value");
    binary("report x.json --output", 2, "--output needs a value");
    binary("report x.json --force=yes", 2, "--force takes no value");
    binary("report --forc x.json", 2, "unknown option --forc (did you mean --force?)");
    binary("plot x.json --chrt ttft-cdf", 2, "unknown option --chrt (did you mean --chart?)");
    binary("plot x.json --chart", 2, "--chart needs a value");
    binary("plot x.json -o", 2, "-o needs a value");
    binary("plot x.json --list=1", 2, "--list takes no value");
    binary("plot x.json --width=5 -o a.svg --chart c", 2, "--width must be a whole number");
    binary("sweep --serch-max 5", 2, "unknown option --serch-max (did you mean --search-max?)");
    binary("sweep --num-runs", 2, "--num-runs needs a value");
    binary("sweep --num_runs=0", 2, "--num-runs: '0' is not an integer >= 1");
    binary("sweep --force=1", 2, "--force takes no value");
    binary("sweep --search-tolerence 5%", 2,
           "unknown option --search-tolerence (did you mean --search-tolerance?)");
    /* a serve flag, even misspelt in serve's own way, is serve's: named per point */
    binary("sweep --modle m", 2, "unknown option --modle (did you mean --model?)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules),
        cmocka_unit_test(pass_through),
        cmocka_unit_test(every_subcommand),
        cmocka_unit_test(long_word_no_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
