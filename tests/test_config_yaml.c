/* SPDX-License-Identifier: Apache-2.0 */
/* test_config_yaml.c - `--config FILE.yaml` reads YAML as the reference does:
 * every case's words equal those PyYAML's safe_load gives through vLLM's
 * load_config_file rules (tests/gen/yaml_config_words.py), and the YAML that
 * safe_load accepts reaches sb_config (yes/no, 1_000, anchors, aliases,
 * merges, flow lists, nested mappings as JSON objects). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/flags.h"

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/sbyamlXXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static const char *const cases[] = {
    "num_prompts: 1_000\nignore-eos: yes\ndisable_tqdm: no\nsave-result: on\nprofile: Off\n",
    "a: 0x1F\nb: 017\nc: 0b101\nd: 1:30\ne: +5\nf: -0\ng: 09\nh: 0o17\ni: 1_0\n",
    "a: 1.5e+3\nb: 1e3\nc: .5\nd: -.inf\ne: .NaN\nf: 1.\ng: 1_0.5\nh: 1:30.5\ni: 0.1\n"
    "j: 1e-7\nk: 12345678901234567.0\nl: -0.0\n",
    "a: ~\nb: null\nc:\nd: 'yes'\ne: \"1_000\"\nf: NULL\ng: 2001-12-14\nh: 2000-02-29\n",
    "metadata: [a=1, 'b=2', 3, 4.0, true, ~]\ngoodput:\n  - ttft:100\n  - tpot:10\n",
    "base: &b {model: m, num-prompts: 5}\nother: *b\nlist: &l [x, y]\nagain: *l\n",
    "defaults: &d\n  model: m\n  seed: 1\nrun:\n  <<: *d\n  seed: 2\n  port: 8\n",
    "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  w: 0\n",
    "extra-body: {temperature: 0.5, nested: {top_k: 10, l: [1, x, ~, yes, .inf]}}\nmodel: m\n"
    "model: n\nempty: []\nu: {k: \"\\u00e9\\U0001F600\"}\n",
    "text: |\n  line one\n  line two\nfolded: >\n  a\n  b\nq: 'it''s'\ndq: \"tab\\tend\"\n",
    "# comment\n---\nrequest-rate: 5  # rps\nlabel: a # b\nurl: http://x:8000/v1\n",
};

static void words_of(const char *path, sb_buf *got)
{
    char **w;
    int n;
    sb_err err = {{0}};
    if (cli_config_file_words(path, &w, &n, &err) != 0)
        print_error("%s\n", err.msg);
    assert_int_equal(err.msg[0], '\0');
    for (int i = 0; i < n; i++) {
        sb_buf_printf(got, "%s%s", i ? "\n" : "", w[i]);
        free(w[i]);
    }
    free(w);
}

static void same_words_as_pyyaml(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = write_tmp(cases[i]);
        sb_buf got, want;
        sb_buf_init(&got);
        sb_buf_init(&want);
        words_of(path, &got);
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "python3 '%s/tests/gen/yaml_config_words.py' '%s'",
                 tu_env("SB_SOURCE_DIR"), path);
        assert_int_equal(tu_run(cmd, 0, &want), 0);
        while (want.len && want.data[want.len - 1] == '\n')
            want.data[--want.len] = '\0';
        const char *g = got.data ? got.data : "", *w = want.data ? want.data : "";
        if (strcmp(g, w))
            print_error("case %zu:\n%s\n-- servebench:\n%s\n-- PyYAML:\n%s\n", i, cases[i], g, w);
        assert_string_equal(g, w);
        sb_buf_free(&got);
        sb_buf_free(&want);
        unlink(path);
        free(path);
    }
}

static void bad(const char *text, const char *want)
{
    char *path = write_tmp(text);
    char **w;
    int n;
    sb_err err = {{0}};
    assert_int_equal(cli_config_file_words(path, &w, &n, &err), -1);
    if (!strstr(err.msg, want) || !strstr(err.msg, path))
        print_error("'%s' lacks '%s' or the path\n", err.msg, want);
    assert_non_null(strstr(err.msg, want));
    assert_non_null(strstr(err.msg, path));
    unlink(path);
    free(path);
}

static void bad_files_say_where(void **state)
{
    (void)state;
    bad("model: m\njust words\n", ":3:1: could not find expected ':'");
    bad("- a\n- b\n", "the file must be a mapping");
    bad("1: x\n", "a key must be a flag name");
    bad("a: !!int 5\n", "explicit YAML tags are not supported yet");
    bad("a: 2001-12-14 10:00:00\n", "timestamps are not supported yet");
    /* datetime.date rejects these, so safe_load does */
    bad("a: 2001-02-29\n", "not a valid date");
    bad("a: 1900-02-29\n", "not a valid date");
    bad("a: 2001-04-31\n", "not a valid date");
    bad("a: 2001-13-01\n", "not a valid date");
    bad("a: 0000-01-01\n", "not a valid date");
    bad("a: [[1]]\n", "lists of lists or mappings are not supported yet");
    bad("a: 1\n---\nb: 2\n", "more than one YAML document");
    bad("a: &x {b: *x}\n", "nested too deep");
    bad("a: 99999999999999999999\n", "integer out of range");
    bad("a: *nope\n", "undefined alias");
    /* a billion laughs stops at the cap instead of expanding */
    bad("a: &a {x: 1, y: 1}\nb: &b {p: *a, q: *a}\nc: &c {p: *b, q: *b}\nd: &d {p: *c, q: *c}\n"
        "e: &e {p: *d, q: *d}\nf: &f {p: *e, q: *e}\ng: &g {p: *f, q: *f}\nh: &h {p: *g, q: *g}\n"
        "i: &i {p: *h, q: *h}\nj: &j {p: *i, q: *i}\nk: &k {p: *j, q: *j}\nl: &l {p: *k, q: *k}\n"
        "m: &m {p: *l, q: *l}\nn: &n {p: *m, q: *m}\no: &o {p: *n, q: *n}\np: &p {p: *o, q: *o}\n"
        "q: {p: *p, q: *p}\n",
        "expand too far");
}

/* What PyYAML accepts reaches the configuration as the reference's would. */
static void yaml_reaches_the_config(void **state)
{
    (void)state;
    char *argv[] = {"serve", "--config", NULL, NULL};
    sb_config cfg;
    sb_buf notes;
    sb_err err = {{0}};
    sb_buf_init(&notes);
    int rc;
    char *path =
        write_tmp("num_prompts: 1_000\nignore-eos: yes\ndisable_tqdm: no\nmodel: m\n"
                  "metadata: [a=1, b=2]\nextra-body: {temperature: 0.5}\nrequest-rate: 2.5\n"
                  "label: &lab run-1\nresult-filename: *lab\n<<: {seed: 7}\n");
    argv[2] = path;
    rc = cli_parse_serve(3, argv, &cfg, &notes, &err);
    if (rc != CLI_PARSED)
        print_error("%s\n", err.msg);
    assert_int_equal(rc, CLI_PARSED);
    assert_int_equal(cfg.ds.num_prompts, 1000);
    assert_true(cfg.ignore_eos);
    assert_false(cfg.disable_tqdm);
    assert_string_equal(cfg.model, "m");
    assert_int_equal(cfg.n_metadata, 2);
    assert_non_null(strstr(cfg.extra_body, "\"temperature\""));
    assert_true(cfg.request_rate == 2.5);
    assert_string_equal(cfg.label, "run-1");
    assert_string_equal(cfg.result_filename, "run-1");
    assert_int_equal(cfg.ds.seed, 7);
    sb_config_free(&cfg);
    sb_buf_free(&notes);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_words_as_pyyaml),
        cmocka_unit_test(bad_files_say_where),
        cmocka_unit_test(yaml_reaches_the_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
