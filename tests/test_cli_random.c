/* SPDX-License-Identifier: Apache-2.0 */
/* test_cli_random.c - bad input never crashes the serve parser: many
 * seeded random command lines built from real flag names (with = forms,
 * underscores, dots) and hostile values must each end in CLI_PARSED, a help
 * code, or -1 with a non-empty message. Run under the sanitizer build this
 * also checks that every path frees what it allocated. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static const char *const values[] = {"1",
                                     "0",
                                     "-1",
                                     "inf",
                                     "nan",
                                     "1e309",
                                     "abc",
                                     "",
                                     " ",
                                     "=",
                                     "a=b",
                                     "k:v",
                                     "ttft:5",
                                     "{\"input\":0.1,\"output\":0.2}",
                                     "{",
                                     "[1]",
                                     "{\"a\":{\"b\":1}}",
                                     "99,99.9",
                                     ",",
                                     "1k",
                                     "1.5K",
                                     "linear",
                                     "exponential",
                                     "openai-chat",
                                     "sharegpt",
                                     "random",
                                     "--",
                                     "-",
                                     "--x",
                                     "x.json",
                                     "99999999999999999999999",
                                     "0x10",
                                     "\xff\xfe",
                                     "a,b,c",
                                     "e2el:-1",
                                     "tpot:1:2"};

static void random_argv(uint64_t *seed, char **argv, int *argc, char *store, size_t cap)
{
    size_t used = 0;
    int n = 1 + (int)(next(seed) % 8);
    *argc = 0;
    argv[(*argc)++] = "serve";
    for (int k = 0; k < n; k++) {
        const char *name = cli_flag_name(next(seed) % cli_flag_count());
        char *w = store + used;
        int form = (int)(next(seed) % 5);
        const char *v = values[next(seed) % (sizeof values / sizeof values[0])];
        int len;
        if (form == 0)
            len = snprintf(w, cap - used, "--%s=%s", name, v);
        else if (form == 1)
            len = snprintf(w, cap - used, "--%s.k%s", name, next(seed) % 2 ? "+" : "");
        else
            len = snprintf(w, cap - used, "--%s", name);
        if (form == 3)
            for (char *c = w; *c; c++)
                *c = *c == '-' && c > w + 1 ? '_' : *c;
        argv[(*argc)++] = w;
        used += (size_t)len + 1;
        int nv = form >= 2 ? (int)(next(seed) % 3) : 0;
        for (int j = 0; j < nv; j++)
            argv[(*argc)++] = (char *)values[next(seed) % (sizeof values / sizeof values[0])];
    }
    argv[*argc] = NULL;
}

static void cli_random_command_lines_never_crash(void **state)
{
    (void)state;
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    char store[4096];
    char *argv[64];
    int counts[4] = {0};
    for (int iter = 0; iter < 20000; iter++) {
        int argc;
        random_argv(&seed, argv, &argc, store, sizeof store);
        sb_config cfg;
        sb_buf notes;
        sb_err err = {{0}};
        sb_buf_init(&notes);
        int rc = cli_parse_serve(argc, argv, &cfg, &notes, &err);
        assert_true(rc == CLI_PARSED || rc == CLI_HELP || rc == CLI_HELP_MD || rc == -1);
        if (rc == -1)
            assert_true(err.msg[0] != '\0');
        if (rc == CLI_PARSED) {
            sb_buf s;
            sb_buf_init(&s);
            cli_serve_summary(&cfg, &s);
            assert_non_null(strstr(s.data, "Namespace("));
            sb_buf_free(&s);
            sb_config_free(&cfg);
        }
        counts[rc < 0 ? 3 : rc]++;
        sb_buf_free(&notes);
    }
    /* both outcomes are exercised, not just errors */
    assert_true(counts[CLI_PARSED] > 100);
    assert_true(counts[3] > 100);
}

/* Random YAML-ish files for --config: each ends in a config or a message
 * naming the file. */
static void cli_random_config_files_never_crash(void **state)
{
    (void)state;
    static const char *const parts[] = {
        "num_prompts", "model",  ": ", "5",   "\"q\"", "'x",    "[a, b]",
        "[",           "- ",     "\n", "# c", "true",  "false", "request-rate",
        "goodput",     "ttft:1", ":",  "\t",  "---"};
    uint64_t seed = 12345;
    char path[] = "/tmp/sbcfgrXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (int it = 0; it < 2000; it++) {
        FILE *f = fopen(path, "w");
        int n = (int)(next(&seed) % 30);
        for (int k = 0; k < n; k++)
            fputs(parts[next(&seed) % (sizeof parts / sizeof parts[0])], f);
        fclose(f);
        char *argv[] = {"serve", "--config", path, NULL};
        sb_config cfg;
        sb_buf notes;
        sb_err err = {{0}};
        sb_buf_init(&notes);
        int rc = cli_parse_serve(3, argv, &cfg, &notes, &err);
        if (rc == CLI_PARSED)
            sb_config_free(&cfg);
        else
            assert_true(err.msg[0] != '\0');
        sb_buf_free(&notes);
    }
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cli_random_command_lines_never_crash),
        cmocka_unit_test(cli_random_config_files_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
