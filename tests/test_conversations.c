/* SPDX-License-Identifier: Apache-2.0 */
/* test_conversations.c - the `conversations` dataset
 * (src/dataset/ds_conversations.c) with the real GPT-2 and Llama 3
 * tokenizers: a generate_conversations config gives the configured number of
 * messages (even, >= 2), user messages that encode to exactly their recorded
 * token counts, a common prefix shared by every first turn and a
 * per-conversation prefix of the drawn length; the same seed gives the same
 * conversations; a list of conversations is taken in order; bad configs
 * (not JSON, no user turn, unknown distribution, negative numbers, missing
 * fields) fail with the file and the field named. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "dataset/dataset.h"

typedef struct fx {
    sb_config cfg;
    tok *gpt2;
    char path[64];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    sb_config_defaults(&f->cfg);
    char *p = tu_data_path("tokenizers/gpt2");
    sb_err err;
    f->gpt2 = tok_load(p, &err);
    if (!f->gpt2)
        fail_msg("tok_load %s: %s", p, err.msg);
    free(p);
    free(f->cfg.ds.name);
    f->cfg.ds.name = sb_xstrdup("conversations");
    snprintf(f->path, sizeof f->path, "/tmp/sb_conv_XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    close(fd);
    f->cfg.ds.path = sb_xstrdup(f->path);
    f->cfg.ds.num_prompts = -1;
    f->cfg.ds.multi_turn = true;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    unlink(f->path);
    sb_config_free(&f->cfg);
    tok_free(f->gpt2);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *o = fopen(path, "w");
    assert_non_null(o);
    fputs(text, o);
    fclose(o);
}

static int32_t n_tokens(const tok *t, const char *s)
{
    tok_ids ids;
    tok_ids_init(&ids);
    sb_err err;
    assert_int_equal(tok_encode(t, s, strlen(s), false, &ids, &err), 0);
    int32_t n = (int32_t)ids.n;
    tok_ids_free(&ids);
    return n;
}

static const char CONFIG[] =
    "{\"filetype\": \"generate_conversations\", \"num_conversations\": 40,\n"
    " \"prompt_input\": {\n"
    "  \"num_turns\": {\"distribution\": \"uniform\", \"min\": 1, \"max\": 9},\n"
    "  \"common_prefix_num_tokens\": {\"distribution\": \"constant\", \"value\": 37},\n"
    "  \"prefix_num_tokens\": {\"distribution\": \"lognormal\", \"average\": 60, \"max\": 200},\n"
    "  \"num_tokens\": {\"distribution\": \"zipf\", \"alpha\": 1.3, \"max\": 400}},\n"
    " \"prompt_output\": {\"num_tokens\": {\"distribution\": \"poisson\", \"alpha\": 25}}}\n";

/* Every user message encodes to its recorded count; messages alternate
 * user/assistant, an even number of them, and the first turns share the
 * common prefix of exactly 37 tokens (text cut from the bundled sonnets). */
static void generated_counts_are_exact(const tok *t, fx *f)
{
    sb_dataset ds;
    sb_err err;
    write_file(f->path, CONFIG);
    assert_int_equal(dataset_load(&f->cfg.ds, t, "openai-chat", &ds, &err), 0);
    assert_int_equal(ds.n, 40);
    const char *first0 = ds.reqs[0].turns[0];
    size_t common = 0; /* the longest prefix all first turns share */
    while (first0[common] && first0[common] != '0')
        common++;
    assert_true(common > 0);
    assert_int_equal(n_tokens(t, sb_arena_strndup(&ds.arena, first0, common)), 37);
    for (size_t i = 0; i < ds.n; i++) {
        const sb_request *q = &ds.reqs[i];
        assert_non_null(q->turn_tokens);
        assert_true(q->n_turns >= 2 && q->n_turns % 2 == 0 && q->n_turns <= 10);
        char id[32];
        snprintf(id, sizeof id, "CONV_ID_%zu", i);
        assert_string_equal(q->conv_id, id);
        assert_int_equal(strncmp(q->turns[0], first0, common), 0);
        for (uint32_t k = 0; k < q->n_turns; k++) {
            assert_string_equal(q->roles[k], k % 2 ? "assistant" : "user");
            assert_true(q->turn_tokens[k] >= 1);
            if (k % 2 == 0)
                assert_int_equal(n_tokens(t, q->turns[k]), q->turn_tokens[k]);
        }
        assert_int_equal(q->prompt_len, q->turn_tokens[0]);
        assert_int_equal(q->output_len, q->turn_tokens[1]);
    }
    dataset_free(&ds);
}

static void generated_counts_are_exact_gpt2(void **state)
{
    fx *f = *state;
    generated_counts_are_exact(f->gpt2, f);
}

static void generated_counts_are_exact_llama3(void **state)
{
    fx *f = *state;
    char *p = tu_data_path("tokenizers/llama3");
    sb_err err;
    tok *t = tok_load(p, &err);
    free(p);
    if (!t)
        fail_msg("tok_load llama3: %s", err.msg);
    generated_counts_are_exact(t, f);
    tok_free(t);
}

/* Constant distributions: exactly the configured turns and lengths; the
 * prefix adds its tokens to the first turn only; a text file of our own
 * (relative to the config) supplies the text; same seed, same bytes. */
static void constant_config_gives_configured_shape(void **state)
{
    fx *f = *state;
    char text[96];
    snprintf(text, sizeof text, "%s.txt", f->path);
    FILE *o = fopen(text, "w");
    assert_non_null(o);
    for (int i = 0; i < 300; i++)
        fprintf(o, "Line %d of a text about rivers, hills and the weather in spring.\n", i);
    fclose(o);
    sb_buf cfg;
    sb_buf_init(&cfg);
    const char *base = strrchr(text, '/') + 1;
    sb_buf_printf(&cfg,
                  "{\"filetype\": \"generate_conversations\", \"num_conversations\": 7, "
                  "\"text_files\": [\"%s\"], \"prompt_input\": {"
                  "\"num_turns\": {\"distribution\": \"constant\", \"value\": 7}, "
                  "\"prefix_num_tokens\": {\"distribution\": \"constant\", \"value\": 30}, "
                  "\"num_tokens\": {\"distribution\": \"constant\", \"value\": 50}}, "
                  "\"prompt_output\": {\"num_tokens\": {\"distribution\": \"constant\", "
                  "\"value\": 9}}}",
                  base);
    write_file(f->path, cfg.data);
    sb_buf_free(&cfg);
    sb_dataset a, b;
    sb_err err;
    assert_int_equal(dataset_load(&f->cfg.ds, f->gpt2, "openai-chat", &a, &err), 0);
    assert_int_equal(dataset_load(&f->cfg.ds, f->gpt2, "openai-chat", &b, &err), 0);
    assert_int_equal(a.n, 7);
    for (size_t i = 0; i < a.n; i++) {
        const sb_request *q = &a.reqs[i];
        assert_int_equal(q->n_turns, 8); /* 7 rounded up to even */
        for (uint32_t k = 0; k < 8; k++) {
            int32_t want = k % 2 ? 9 : k == 0 ? 50 + 30 : 50;
            assert_int_equal(q->turn_tokens[k], want);
            if (k % 2 == 0) {
                assert_int_equal(n_tokens(f->gpt2, q->turns[k]), want);
                assert_non_null(strstr(q->turns[k], "rivers"));
                assert_string_equal(q->turns[k], b.reqs[i].turns[k]);
            }
        }
    }
    dataset_free(&a);
    dataset_free(&b);
    /* --num-prompts takes the first N; another seed, other draws only where
     * there are draws (constants stay) */
    f->cfg.ds.num_prompts = 3;
    assert_int_equal(dataset_load(&f->cfg.ds, f->gpt2, "openai-chat", &a, &err), 0);
    assert_int_equal(a.n, 3);
    dataset_free(&a);
    unlink(text);
}

/* The list form: in file order, ids kept, roles as OpenAI names; a
 * conversation without a user turn is skipped and named, --strict stops. */
static void list_form_in_order(void **state)
{
    fx *f = *state;
    write_file(f->path, "[{\"id\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"hi "
                        "there\"}, {\"role\": \"assistant\", \"content\": \"hello you\"}]},\n"
                        " {\"id\": \"b\", \"messages\": [{\"role\": \"assistant\", \"content\": "
                        "\"x\"}]},\n"
                        " {\"id\": \"c\", \"messages\": [{\"role\": \"system\", \"content\": "
                        "\"be brief\"}, {\"role\": \"user\", \"content\": \"q\"}]}]\n");
    sb_dataset ds;
    sb_err err;
    assert_int_equal(dataset_load(&f->cfg.ds, f->gpt2, "openai-chat", &ds, &err), 0);
    assert_int_equal(ds.n, 2);
    assert_string_equal(ds.reqs[0].conv_id, "a");
    assert_string_equal(ds.reqs[1].conv_id, "c");
    assert_string_equal(ds.reqs[1].roles[0], "system");
    assert_string_equal(ds.reqs[1].prompt, "q");
    assert_int_equal(ds.reqs[0].prompt_len, 2);
    assert_int_equal(ds.reqs[0].output_len, 2);
    assert_null(ds.reqs[0].turn_tokens);
    assert_int_equal(ds.conv_skipped, 1);
    assert_non_null(strstr(ds.warning, "conversation 2: conversation skipped: no user turn"));
    dataset_free(&ds);
    f->cfg.ds.strict = true;
    assert_int_equal(dataset_load(&f->cfg.ds, f->gpt2, "openai-chat", &ds, &err), -1);
    assert_non_null(strstr(err.msg, "conversation 2: bad conversation: no user turn (--strict)"));
}

static void expect_error(fx *f, const char *text, const char *want)
{
    write_file(f->path, text);
    sb_dataset ds;
    sb_err err;
    sb_err_clear(&err);
    if (dataset_load(&f->cfg.ds, f->gpt2, "openai-chat", &ds, &err) == 0)
        fail_msg("accepted: %s", text);
    if (!strstr(err.msg, f->path) || !strstr(err.msg, want))
        fail_msg("message '%s' does not name the file and '%s'", err.msg, want);
}

#define HEAD "{\"filetype\": \"generate_conversations\", \"num_conversations\": 2, "
#define OUT "\"prompt_output\": {\"num_tokens\": {\"distribution\": \"constant\", \"value\": 4}}"
#define TURNS "\"num_turns\": {\"distribution\": \"constant\", \"value\": 2}"
#define TOKENS "\"num_tokens\": {\"distribution\": \"constant\", \"value\": 20}"

static void bad_configs_name_file_and_field(void **state)
{
    fx *f = *state;
    expect_error(f, "{\"filetype\": ", "not JSON");
    expect_error(f, "{\"num_conversations\": 3}", "missing 'filetype'");
    expect_error(f, "{\"filetype\": \"other\"}", "filetype: must be \"generate_conversations\"");
    expect_error(f, "{\"filetype\": \"generate_conversations\", \"num_conversations\": -4}",
                 "num_conversations: must be a whole number");
    expect_error(f, HEAD OUT "}", "prompt_input: missing");
    /* no user turn: prompt_input without its turns */
    expect_error(f, HEAD "\"prompt_input\": {" TOKENS "}, " OUT "}",
                 "prompt_input.num_turns: missing");
    expect_error(f,
                 HEAD "\"prompt_input\": {\"num_turns\": {\"distribution\": \"gauss\"}, " TOKENS
                      "}, " OUT "}",
                 "prompt_input.num_turns: unknown distribution \"gauss\"");
    expect_error(f,
                 HEAD "\"prompt_input\": {" TURNS ", \"num_tokens\": {\"distribution\": "
                      "\"constant\", \"value\": -5}}, " OUT "}",
                 "prompt_input.num_tokens.value: -5: must be >= 0");
    expect_error(f,
                 HEAD "\"prompt_input\": {" TURNS ", \"num_tokens\": {\"distribution\": "
                      "\"uniform\", \"min\": 9, \"max\": 3}}, " OUT "}",
                 "prompt_input.num_tokens: min 9 is above max 3");
    expect_error(f,
                 HEAD "\"prompt_input\": {" TURNS ", " TOKENS "}, \"prompt_output\": "
                      "{\"num_tokens\": {\"distribution\": \"zipf\", \"alpha\": 0.5}}}",
                 "prompt_output.num_tokens: zipf alpha 0.5: must be > 1");
    expect_error(f,
                 HEAD "\"prompt_input\": {" TURNS ", " TOKENS "}, " OUT
                      ", \"text_files\": [\"/nonexistent/x.txt\"]}",
                 "text_files[0]: ");
    expect_error(f, "[]", "no conversation with a user turn");
    expect_error(f, "7", "neither a list of conversations nor a generation config");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(generated_counts_are_exact_gpt2, setup, teardown),
        cmocka_unit_test_setup_teardown(generated_counts_are_exact_llama3, setup, teardown),
        cmocka_unit_test_setup_teardown(constant_config_gives_configured_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(list_form_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_configs_name_file_and_field, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
