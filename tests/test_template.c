/* SPDX-License-Identifier: Apache-2.0 */
/* test_template.c - chat-template rendering against real jinja2.
 *
 * tests/data/templates/golden.jsonl holds renders made by jinja2 3.1 in the
 * environment transformers uses (tests/gen/gen_template_golden.py): the chat
 * templates of the real tokenizer families over a set of conversations, the
 * hand-written feature templates, and templates that must fail. Every line is
 * rendered here in C and compared byte for byte. With python3-jinja2 present,
 * the generator also runs live on seeded random conversations, expressions
 * and whitespace layouts (differential tests at the end of this file). */
#include "testutil.h"

#include <dirent.h>
#include <pthread.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/template.h"

typedef struct golden {
    json_t *lines; /* array of objects */
} golden;

static int setup(void **state)
{
    char *path = tu_data_path("templates/golden.jsonl");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    golden *g = calloc(1, sizeof *g);
    g->lines = json_array();
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        json_error_t je;
        json_t *j = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &je);
        assert_non_null(j);
        json_array_append_new(g->lines, j);
    }
    free(line);
    fclose(f);
    free(path);
    *state = g;
    return 0;
}

static int teardown(void **state)
{
    golden *g = *state;
    json_decref(g->lines);
    free(g);
    return 0;
}

/* The template source of a golden line: inline "source" or <template>.jinja. */
static char *line_source(json_t *line)
{
    json_t *src = json_object_get(line, "source");
    if (json_is_string(src))
        return strdup(json_string_value(src));
    const char *name = json_string_value(json_object_get(line, "template"));
    assert_non_null(name);
    char rel[256];
    snprintf(rel, sizeof rel, "templates/%s.jinja", name);
    char *path = tu_data_path(rel);
    sb_buf b;
    sb_buf_init(&b);
    assert_int_equal(tu_read_file(path, &b), 0);
    free(path);
    return sb_buf_steal(&b);
}

static const char *line_name(json_t *line, char *buf, size_t n)
{
    json_t *t = json_object_get(line, "template");
    snprintf(buf, n, "%s/%s", json_is_string(t) ? json_string_value(t) : "inline",
             json_string_value(json_object_get(line, "case")));
    return buf;
}

/* Renders one golden line through tmpl_render_json; returns 1 on match. */
static int check_line(json_t *line)
{
    char name[256];
    line_name(line, name, sizeof name);
    char *src = line_source(line);
    char *ctx = json_dumps(json_object_get(line, "context"), JSON_COMPACT);
    json_t *want = json_object_get(line, "output");
    sb_err err = {{0}};
    sb_buf out;
    sb_buf_init(&out);
    int ok = 0;
    tmpl *t = tmpl_compile(src, &err);
    int rc = t ? tmpl_render_json(t, ctx, &out, &err) : -1;
    if (want) {
        const char *w = json_string_value(want);
        size_t wn = json_string_length(want);
        ok = rc == 0 && out.len == wn && memcmp(out.data ? out.data : "", w, wn) == 0;
        if (!ok)
            print_message(
                "MISMATCH %s: rc=%d err=%s\n--- want (%zu bytes)\n%s\n--- got (%zu bytes)\n%s\n",
                name, rc, err.msg, wn, w, out.len, out.data ? out.data : "");
    } else {
        const char *msg = json_string_value(json_object_get(line, "error"));
        json_t *lineno = json_object_get(line, "line");
        char where[32] = "";
        if (json_is_integer(lineno))
            snprintf(where, sizeof where, "line %d ", (int)json_integer_value(lineno));
        ok = rc == -1 && strstr(err.msg, where) != NULL;
        if (ok && json_is_true(json_object_get(line, "raised")))
            ok = strstr(err.msg, msg) != NULL; /* raise_exception's message comes through */
        if (!ok)
            print_message("EXPECTED ERROR %s (jinja2: %s, %s): rc=%d err=%s out=%s\n", name, msg,
                          where, rc, err.msg, out.data ? out.data : "");
    }
    tmpl_free(t);
    sb_buf_free(&out);
    free(ctx);
    free(src);
    return ok;
}

/* Runs every golden line whose template name satisfies pick; returns failures. */
static int run_lines(golden *g, int (*pick)(json_t *line), int *count)
{
    int failures = 0;
    size_t i;
    json_t *line;
    *count = 0;
    json_array_foreach(g->lines, i, line)
    {
        if (!pick(line))
            continue;
        (*count)++;
        failures += !check_line(line);
    }
    return failures;
}

static int is_real(json_t *line)
{
    json_t *t = json_object_get(line, "template");
    return json_is_string(t) && strncmp(json_string_value(t), "feat_", 5) != 0 &&
           strncmp(json_string_value(t), "extra/", 6) != 0;
}

static int is_extra(json_t *line)
{
    json_t *t = json_object_get(line, "template");
    return json_is_string(t) && strncmp(json_string_value(t), "extra/", 6) == 0;
}

static int is_single_user_gen(json_t *line)
{
    return is_real(line) &&
           strcmp(json_string_value(json_object_get(line, "case")), "single_user_gen") == 0;
}

static int is_feature(json_t *line)
{
    json_t *t = json_object_get(line, "template");
    return json_is_string(t) && strncmp(json_string_value(t), "feat_", 5) == 0;
}

static int is_error_case(json_t *line)
{
    return json_is_null(json_object_get(line, "template"));
}

/* The datasets' case: one user message, add_generation_prompt=True, for all
 * five real templates. */
static void test_real_templates_single_user_message(void **state)
{
    int n, fails = run_lines(*state, is_single_user_gen, &n);
    assert_int_equal(n, 5);
    assert_int_equal(fails, 0);
}

static void test_real_templates_all_conversations(void **state)
{
    int n, fails = run_lines(*state, is_real, &n);
    assert_true(n > 50);
    assert_int_equal(fails, 0);
}

/* Eighteen third-party templates (tests/data/templates/extra). */
static void test_extra_templates_all_conversations(void **state)
{
    int n, fails = run_lines(*state, is_extra, &n);
    assert_true(n >= 18 * 10);
    assert_int_equal(fails, 0);
}

static void test_feature_templates_match_jinja2(void **state)
{
    int n, fails = run_lines(*state, is_feature, &n);
    assert_true(n >= 6);
    assert_int_equal(fails, 0);
}

static void test_bad_templates_fail_like_jinja2(void **state)
{
    int n, fails = run_lines(*state, is_error_case, &n);
    assert_true(n >= 10);
    assert_int_equal(fails, 0);
}

/* tmpl_render (the API the datasets call) gives the same bytes as the JSON
 * context path for every golden conversation made only of role/content
 * strings. */
static void test_chat_api_matches_golden(void **state)
{
    golden *g = *state;
    size_t i;
    json_t *line;
    int checked = 0;
    json_array_foreach(g->lines, i, line)
    {
        if (!is_real(line) || !json_object_get(line, "output"))
            continue;
        json_t *ctx = json_object_get(line, "context"), *msgs = json_object_get(ctx, "messages");
        size_t n = json_array_size(msgs), k;
        tmpl_msg *m = calloc(n ? n : 1, sizeof *m);
        json_t *msg;
        int plain = 1;
        const char *key;
        json_t *val;
        json_object_foreach(ctx, key, val)
        {
            static const char *known = " messages tools documents add_generation_prompt "
                                       "bos_token eos_token ";
            char pat[64];
            snprintf(pat, sizeof pat, " %s ", key);
            plain &= strstr(known, pat) != NULL;
            if (!strcmp(key, "tools") || !strcmp(key, "documents"))
                plain &= json_is_null(val);
        }
        json_array_foreach(msgs, k, msg)
        {
            plain &= json_object_size(msg) == 2 && json_is_string(json_object_get(msg, "content"));
            m[k].role = json_string_value(json_object_get(msg, "role"));
            m[k].content = json_string_value(json_object_get(msg, "content"));
        }
        if (plain) {
            tmpl_vars v = {
                .bos_token = json_string_value(json_object_get(ctx, "bos_token")),
                .eos_token = json_string_value(json_object_get(ctx, "eos_token")),
                .add_generation_prompt =
                    json_is_true(json_object_get(ctx, "add_generation_prompt")),
            };
            char *src = line_source(line);
            sb_buf out;
            sb_buf_init(&out);
            sb_err err = {{0}};
            int rc = tmpl_render_chat(src, m, n, &v, &out, &err);
            assert_int_equal(rc, 0);
            assert_string_equal(out.data ? out.data : "",
                                json_string_value(json_object_get(line, "output")));
            sb_buf_free(&out);
            free(src);
            checked++;
        }
        free(m);
    }
    assert_true(checked >= 40);
}

static void test_kwargs_json_reach_the_template(void **state)
{
    (void)state;
    tmpl_msg m = {"user", "Hello"};
    tmpl_vars v = {.add_generation_prompt = true, .kwargs_json = "{\"enable_thinking\": false}"};
    char *path = tu_data_path("templates/qwen3.jinja");
    sb_buf src, out;
    sb_buf_init(&src);
    sb_buf_init(&out);
    assert_int_equal(tu_read_file(path, &src), 0);
    sb_err err = {{0}};
    assert_int_equal(tmpl_render_chat(src.data, &m, 1, &v, &out, &err), 0);
    assert_string_equal(out.data, "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n"
                                  "<think>\n\n</think>\n\n");
    v.kwargs_json = "[1, 2";
    assert_int_equal(tmpl_render_chat(src.data, &m, 1, &v, &out, &err), -1);
    assert_non_null(strstr(err.msg, "chat template kwargs"));
    sb_buf_free(&src);
    sb_buf_free(&out);
    free(path);
}

static void test_syntax_error_names_line_and_column(void **state)
{
    (void)state;
    sb_err err = {{0}};
    tmpl *t = tmpl_compile("ok\n  {{ 1 + }}", &err);
    assert_null(t);
    assert_non_null(strstr(err.msg, "line 2 column 10"));
    t = tmpl_compile("{% for x in y %}\n{% endif %}", &err);
    assert_null(t);
    assert_non_null(strstr(err.msg, "line 2"));
}

static void test_render_error_leaves_output_untouched(void **state)
{
    (void)state;
    sb_err err = {{0}};
    sb_buf out;
    sb_buf_init(&out);
    sb_buf_puts(&out, "keep");
    tmpl_msg m = {"user", "x"};
    tmpl_vars v = {0};
    int rc = tmpl_render_chat("partial {{ raise_exception('stop here') }}", &m, 1, &v, &out, &err);
    assert_int_equal(rc, -1);
    assert_string_equal(out.data, "keep");
    assert_non_null(strstr(err.msg, "stop here"));
    assert_non_null(strstr(err.msg, "line 1 column 12:"));
    sb_buf_free(&out);
}

/* Mutated real templates (bytes cut, swapped, duplicated) must give output
 * or an error, never a crash; run under the sanitizers in CI. */
static void test_mutated_templates_never_crash(void **state)
{
    golden *g = *state;
    json_t *first = json_array_get(g->lines, 0);
    char *src = line_source(first);
    size_t n = strlen(src);
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    tmpl_msg m = {"user", "hi"};
    tmpl_vars v = {.add_generation_prompt = true, .bos_token = "<s>"};
    int rendered = 0, failed = 0;
    for (int iter = 0; iter < 400; iter++) {
        char *mut = strdup(src);
        for (int k = 0; k < 1 + iter % 4; k++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            size_t at = seed % n;
            static const char junk[] = "{}%#-+()[]|'\".,=~ \n";
            mut[at] = junk[(seed >> 32) % (sizeof junk - 1)];
        }
        sb_buf out;
        sb_buf_init(&out);
        sb_err err = {{0}};
        if (tmpl_render_chat(mut, &m, 1, &v, &out, &err) == 0)
            rendered++;
        else
            failed++, assert_true(strlen(err.msg) > 0);
        sb_buf_free(&out);
        free(mut);
    }
    assert_int_equal(rendered + failed, 400);
    free(src);
}

typedef struct render_job {
    const tmpl *t;
    const char *want;
    int mismatches;
} render_job;

static void *render_many(void *arg)
{
    render_job *j = arg;
    tmpl_msg m[2] = {{"system", "Be brief."}, {"user", "Grüße 世界"}};
    tmpl_vars v = {.eos_token = "<|im_end|>", .add_generation_prompt = true};
    for (int i = 0; i < 2000; i++) {
        sb_buf out;
        sb_buf_init(&out);
        sb_err err;
        if (tmpl_render(j->t, m, 2, &v, &out, &err) != 0 || strcmp(out.data, j->want) != 0)
            j->mismatches++;
        sb_buf_free(&out);
    }
    return NULL;
}

/* template.h promises a compiled template can be rendered from several
 * threads at once (run under the sanitizers in CI). */
static void test_compiled_template_renders_from_threads(void **state)
{
    (void)state;
    char *path = tu_data_path("templates/qwen3.jinja");
    sb_buf src;
    sb_buf_init(&src);
    assert_int_equal(tu_read_file(path, &src), 0);
    sb_err err;
    tmpl *t = tmpl_compile(src.data, &err);
    assert_non_null(t);
    const char *want = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n"
                       "Grüße 世界<|im_end|>\n<|im_start|>assistant\n";
    render_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (render_job){t, want, 0};
        assert_int_equal(pthread_create(&th[i], NULL, render_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].mismatches, 0);
    }
    tmpl_free(t);
    sb_buf_free(&src);
    free(path);
}

/* Inputs that once crashed the fuzzer (tests/data/templates/regress/, the
 * fuzz_template format: source, optional NUL + JSON context) now end in
 * output or an error. */
static void test_fuzz_regressions_render_or_fail_cleanly(void **state)
{
    (void)state;
    char *dir = tu_data_path("templates/regress");
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        sb_buf in, out;
        sb_buf_init(&in);
        sb_buf_init(&out);
        assert_int_equal(tu_read_file(path, &in), 0);
        sb_buf_putc(&in, '\0');
        size_t src_len = strlen(in.data);
        const char *ctx = src_len + 1 < in.len ? in.data + src_len + 1 : "{}";
        sb_err err = {{0}};
        tmpl *t = tmpl_compile(in.data, &err);
        int rc = t ? tmpl_render_json(t, ctx, &out, &err) : -1;
        assert_true(rc == 0 || strlen(err.msg) > 0);
        tmpl_free(t);
        sb_buf_free(&in);
        sb_buf_free(&out);
        n++;
    }
    closedir(d);
    free(dir);
    assert_true(n >= 1);
}

/* Differential test against the installed jinja2: seeded random
 * conversations (unicode, whitespace edges, template-like text, broken role
 * order) over every template, rendered by jinja2 now and compared. The seed
 * is SB_TEMPLATE_SEED (default fixed) so a failure can be replayed. Skipped
 * when /usr/bin/python3 has no jinja2. */
/* Runs `gen_template_golden.py <mode> <seed> <n>` and checks every line it
 * prints; returns the number of lines (skips the test without jinja2). */
static int run_live(const char *mode, const char *seed_env, const char *n_env, int n_default)
{
    sb_buf out;
    sb_buf_init(&out);
    if (tu_run("/usr/bin/python3 -c 'import jinja2' 2>/dev/null", 0, &out) != 0) {
        sb_buf_free(&out);
        skip();
    }
    const char *seed = getenv(seed_env), *n = getenv(n_env);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/gen/gen_template_golden.py %s %s %d",
             tu_env("SB_SOURCE_DIR"), mode, seed && *seed ? seed : "20261123",
             n && *n ? atoi(n) : n_default);
    sb_buf_reset(&out);
    assert_int_equal(tu_run(cmd, 0, &out), 0);
    int lines = 0, fails = 0;
    for (char *p = out.data, *nl; p && *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (!nl)
            break;
        json_error_t je;
        json_t *line = json_loadb(p, (size_t)(nl - p), JSON_ALLOW_NUL, &je);
        assert_non_null(line);
        lines++;
        fails += !check_line(line);
        json_decref(line);
    }
    sb_buf_free(&out);
    assert_int_equal(fails, 0);
    return lines;
}

/* Differential test against the installed jinja2: seeded random
 * conversations (unicode, whitespace edges, template-like text, broken role
 * order) over every template, rendered by jinja2 now and compared. Seed:
 * SB_TEMPLATE_SEED (default fixed, so a failure can be replayed), count per
 * template: SB_TEMPLATE_N. Skipped when /usr/bin/python3 has no jinja2. */
static void test_live_random_conversations_match_jinja2(void **state)
{
    (void)state;
    assert_true(run_live("--live", "SB_TEMPLATE_SEED", "SB_TEMPLATE_N", 8) >= 100);
}

/* The same for random expressions (operators, filters, tests, methods,
 * slices over mixed values) printed with {{ }}: output or error must agree. */
static void test_live_random_expressions_match_jinja2(void **state)
{
    (void)state;
    assert_true(run_live("--live-expr", "SB_TEMPLATE_SEED", "SB_TEMPLATE_EXPR_N", 400) >= 1);
}

/* The same for random layouts of text and tags in every whitespace-control
 * variant (-, +, trim_blocks, lstrip_blocks, comments, raw, CR/LF). */
static void test_live_random_whitespace_layouts_match_jinja2(void **state)
{
    (void)state;
    assert_true(run_live("--live-ws", "SB_TEMPLATE_SEED", "SB_TEMPLATE_WS_N", 400) >= 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_templates_single_user_message),
        cmocka_unit_test(test_real_templates_all_conversations),
        cmocka_unit_test(test_extra_templates_all_conversations),
        cmocka_unit_test(test_feature_templates_match_jinja2),
        cmocka_unit_test(test_bad_templates_fail_like_jinja2),
        cmocka_unit_test(test_chat_api_matches_golden),
        cmocka_unit_test(test_kwargs_json_reach_the_template),
        cmocka_unit_test(test_syntax_error_names_line_and_column),
        cmocka_unit_test(test_render_error_leaves_output_untouched),
        cmocka_unit_test(test_mutated_templates_never_crash),
        cmocka_unit_test(test_fuzz_regressions_render_or_fail_cleanly),
        cmocka_unit_test(test_compiled_template_renders_from_threads),
        cmocka_unit_test(test_live_random_conversations_match_jinja2),
        cmocka_unit_test(test_live_random_expressions_match_jinja2),
        cmocka_unit_test(test_live_random_whitespace_layouts_match_jinja2),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
