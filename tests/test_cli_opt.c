/* SPDX-License-Identifier: Apache-2.0 */
/* test_cli_opt.c - the one command-line rule set (cli/opt.h) and every
 * subcommand following it: exact names (no prefixes), `_` for `-`,
 * `--flag value` and `--flag=value`, "unknown option --x (did you mean
 * --y?)", "--x needs a value", "--x takes no value". */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "cli/opt.h"

static const cli_opt table[] = {{"max-tokens", true}, {"quiet", false}, {"seed", true}};
#define N (sizeof table / sizeof table[0])

/* Walks words (space-separated) and writes "row=value;" per flag, "W:w;"
 * per word, "H;" for help, or "E:message" at the first error. */
static void walk(const char *line, char *out, size_t cap)
{
    char buf[256], *argv[32];
    int argc = 0;
    argv[argc++] = "cmd";
    snprintf(buf, sizeof buf, "%s", line);
    for (char *t = strtok(buf, " "); t; t = strtok(NULL, " "))
        argv[argc++] = t;
    cli_args a = {.argc = argc, .argv = argv, .i = 1};
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
        else
            n += (size_t)snprintf(out + n, cap - n, "%zu=%s;", row, v ? v : "-");
    }
}

static void expect(const char *line, const char *want)
{
    char got[512];
    walk(line, got, sizeof got);
    if (strcmp(got, want))
        print_error("'%s': got '%s', want '%s'\n", line, got, want);
    assert_string_equal(got, want);
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
    binary("compare --al 0.1 a b", 2, "unknown option --al (did you mean --all?)");
    binary("compare a b --alpha", 2, "--alpha needs a value");
    binary("compare a b --all=1", 2, "--all takes no value");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules),
        cmocka_unit_test(every_subcommand),
        cmocka_unit_test(long_word_no_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
