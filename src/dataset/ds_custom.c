/* SPDX-License-Identifier: Apache-2.0 */
/* ds_custom.c - the `custom`, `spec_bench` and `speed_bench` datasets
 * (vllm/benchmarks/datasets/datasets.py: CustomDataset.sample, SpecBench, SpeedBench): JSON Lines
 * rows with a prompt (custom: "prompt", optional "output_tokens"; Spec-Bench question.jsonl:
 * "turns"[0], filtered by "category"; SPEED-Bench <subset>.jsonl: "messages"[0].content), shuffled
 * with CPython random, chat-templated unless
 * --skip-chat-template, and counted with special tokens.
 *
 * Both share one row list and one sampler (dataset_rows_sample), which the
 * hf file also uses for its templated text datasets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataset/ds_internal.h"

void dataset_rows_push(dataset_rows *rows, sb_arena *a, const char *prompt, long output_tokens,
                       size_t line_no)
{
    if (rows->n == rows->cap) {
        rows->cap = rows->cap ? rows->cap * 2 : 256;
        rows->v = sb_xrealloc(rows->v, rows->cap * sizeof *rows->v);
    }
    dataset_row *r = &rows->v[rows->n++];
    r->prompt = sb_arena_strdup(a, prompt);
    r->output_tokens = output_tokens;
    r->line_no = line_no;
    r->turns = r->roles = NULL;
    r->n_turns = 0;
    r->json_schema = NULL;
    r->json_schema_bytes = 0;
}

void dataset_rows_free(dataset_rows *rows)
{
    free(rows->v);
    memset(rows, 0, sizeof *rows);
}

int dataset_rows_sample(const dataset_ctx *c, const dataset_rows *rows, const char *path,
                        const dataset_sample_opts *so, sb_dataset *ds, sb_err *err)
{
    long want = c->o->num_prompts <= 0 ? (long)rows->n : c->o->num_prompts;
    sb_buf fmt;
    sb_buf_init(&fmt);
    tok_ids scratch;
    tok_ids_init(&scratch);
    int rc = 0;
    for (size_t i = 0; i < rows->n && (long)ds->n < want && rc == 0; i++) {
        const dataset_row *row = &rows->v[i];
        long out = so->output_len;
        if (out < 0) {
            if (row->output_tokens < 0)
                rc = sb_err_set(err,
                                "%s:%zu: no usable \"output_tokens\" (needed because "
                                "--custom-output-len is -1)",
                                path, row->line_no);
            out = row->output_tokens;
        }
        sb_buf_reset(&fmt);
        const char *prompt = row->prompt;
        if (rc == 0 && so->chat_template && c->t) {
            rc = dataset_chat_user(c, row->prompt, &fmt, err);
            prompt = fmt.data;
        }
        int32_t plen = 1; /* the reference's value without a tokenizer */
        if (rc == 0 && c->t)
            rc = dataset_count_tokens(c->t, prompt, strlen(prompt), true, &scratch, &plen, err);
        if (rc != 0)
            break;
        sb_request *r = dataset_push(ds);
        dataset_set_prompt(ds, r, prompt, strlen(prompt));
        r->prompt_len = plen;
        r->output_len = (int32_t)out;
        r->turns = row->turns;
        r->roles = row->roles;
        r->n_turns = row->n_turns;
        r->forms.json_schema = row->json_schema;
        r->forms.json_schema_bytes = row->json_schema_bytes;
    }
    sb_buf_free(&fmt);
    tok_ids_free(&scratch);
    if (rc == 0)
        rc = dataset_oversample(ds, want, so->seed, c->o->no_oversample, so->what, err);
    return rc;
}

typedef struct custom_load {
    dataset_rows *rows;
    sb_arena *arena;
    sb_dataset *ds;              /* --multi-turn: skipped conversations are counted here */
    const sb_dataset_opts *opts; /* NULL unless custom --multi-turn */
    const char *path;
    const char *category; /* spec_bench / speed_bench filter, or NULL */
    int spec;             /* 1 spec_bench (turns[0]), 2 speed_bench (messages[0].content) */
} custom_load;

/* int(item["output_tokens"]): a number or a numeric string; -1 when absent
 * or not a usable count (0..INT32_MAX; a float outside long's range must
 * never reach the cast, which would be UB). */
static long output_tokens(json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        return n >= 0 && n <= INT32_MAX ? (long)n : -1;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        return d > -1.0 && d < (double)INT32_MAX + 1.0 ? (long)d : -1;
    }
    if (json_is_string(v)) {
        char *end;
        long n = strtol(json_string_value(v), &end, 10);
        return *end == '\0' && end != json_string_value(v) && n >= 0 && n <= INT32_MAX ? n : -1;
    }
    return -1;
}

/* --multi-turn: a row is one conversation, "messages" ([{role, content}],
 * the OpenAI form upstream's multi-turn benchmark reads) or "conversations"
 * ([{from, value}], ShareGPT's); its prompt is the first user turn, and
 * "output_tokens" (optional) the first reply's length. */
static int custom_conversation(custom_load *l, json_t *row, size_t line_no, sb_err *err)
{
    json_t *conv = json_object_get(row, "messages");
    if (!conv)
        conv = json_object_get(row, "conversations");
    char why[256], where[4200];
    snprintf(where, sizeof where, "%s:%zu", l->path, line_no);
    if (!conv)
        return dataset_conv_skip(l->opts, l->ds, where,
                                 "no \"messages\" (or \"conversations\") list", err);
    if (dataset_conv_check(conv, why, sizeof why) != 0)
        return dataset_conv_skip(l->opts, l->ds, where, why, err);
    sb_request tmp = {0};
    dataset_keep_turns(l->ds, &tmp, conv);
    uint32_t first = 0;
    while (strcmp(tmp.roles[first], "user") != 0)
        first++; /* dataset_conv_check saw one */
    json_t *ot = json_object_get(row, "output_tokens");
    dataset_rows_push(l->rows, l->arena, tmp.turns[first], ot ? output_tokens(ot) : -1, line_no);
    dataset_row *r = &l->rows->v[l->rows->n - 1];
    r->turns = tmp.turns;
    r->roles = tmp.roles;
    r->n_turns = tmp.n_turns;
    return 0;
}

static int custom_row(void *ctx, json_t *row, size_t line_no, sb_err *err)
{
    custom_load *l = ctx;
    if (l->spec) {
        json_t *first =
            l->spec == 1
                ? json_array_get(json_object_get(row, "turns"), 0)
                : json_object_get(json_array_get(json_object_get(row, "messages"), 0), "content");
        if (!json_is_string(first))
            return sb_err_set(err, "%s:%zu: no %s", l->path, line_no,
                              l->spec == 1 ? "\"turns\" list starting with a string"
                                           : "\"messages\"[0].content string");
        json_t *cat = json_object_get(row, "category");
        if (l->category && !(json_is_string(cat) && !strcmp(json_string_value(cat), l->category)))
            return 0;
        dataset_rows_push(l->rows, l->arena, json_string_value(first), -1, line_no);
        return 0;
    }
    if (l->opts)
        return custom_conversation(l, row, line_no, err);
    json_t *p = json_object_get(row, "prompt");
    if (!json_is_string(p))
        return sb_err_set(err, "%s:%zu: no string \"prompt\" field", l->path, line_no);
    json_t *ot = json_object_get(row, "output_tokens");
    json_t *schema = json_object_get(row, "json_schema");
    if (schema && !json_is_object(schema))
        return sb_err_set(err,
                          "%s:%zu: \"json_schema\" must be a JSON object (a JSON Schema for the "
                          "structured-output answer)",
                          l->path, line_no);
    dataset_rows_push(l->rows, l->arena, json_string_value(p), ot ? output_tokens(ot) : -1,
                      line_no);
    if (schema) { /* Python json.dumps separators, as the other rendered request parts */
        char *s = json_dumps(schema, JSON_ENSURE_ASCII);
        if (!s)
            return sb_err_set(err, "%s:%zu: \"json_schema\" cannot be rendered", l->path, line_no);
        dataset_row *r = &l->rows->v[l->rows->n - 1];
        r->json_schema_bytes = strlen(s);
        r->json_schema = sb_arena_strndup(l->arena, s, r->json_schema_bytes);
        free(s);
    }
    return 0;
}

static int load_rows(const dataset_ctx *c, sb_dataset *ds, custom_load *l, sb_err *err)
{
    sb_buf data;
    sb_buf_init(&data);
    int rc = sb_read_file(l->path, &data, err);
    if (rc == 0)
        rc = dataset_jsonl_each(l->path, &data, custom_row, l, err);
    sb_buf_free(&data);
    (void)c;
    (void)ds;
    return rc;
}

int dataset_custom(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    const char *path = c->o->path;
    if (!path)
        return sb_err_set(err, "--dataset-name custom needs --dataset-path (a .jsonl file)");
    if (!dataset_ends_with(path, ".jsonl"))
        return sb_err_set(err,
                          "%s: the custom dataset reads JSON Lines only (a .jsonl file with "
                          "a \"prompt\" field per line)",
                          path);
    dataset_rows rows = {0};
    custom_load l = {.rows = &rows,
                     .arena = &ds->arena,
                     .path = path,
                     .ds = ds,
                     .opts = c->o->multi_turn ? c->o : NULL};
    int rc = load_rows(c, ds, &l, err);
    if (rc == 0 && rows.n == 0)
        rc = sb_err_set(err, "%s: no rows", path);
    if (rc == 0 && !c->o->disable_shuffle) {
        py_random_seed(c->py_global, c->o->seed);
        py_random_shuffle(c->py_global, rows.v, rows.n, sizeof *rows.v);
    }
    long out = c->o->output_len >= 0 ? c->o->output_len : c->o->custom_output_len;
    dataset_sample_opts so = {.output_len = out,
                              .chat_template = !c->o->skip_chat_template,
                              .seed = c->o->seed,
                              .what = "custom"};
    if (rc == 0)
        rc = dataset_rows_sample(c, &rows, path, &so, ds, err);
    dataset_rows_free(&rows);
    return rc;
}

int dataset_spec_bench(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    const char *path = c->o->path;
    if (!path)
        return sb_err_set(err, "--dataset-name spec_bench needs --dataset-path (question.jsonl)");
    dataset_rows rows = {0};
    custom_load l = {.rows = &rows,
                     .arena = &ds->arena,
                     .path = path,
                     .category = c->o->spec_bench_category,
                     .spec = 1};
    int rc = load_rows(c, ds, &l, err);
    if (rc == 0 && rows.n == 0)
        rc = sb_err_set(err, "%s: no rows%s%s", path, l.category ? " in category " : "",
                        l.category ? l.category : "");
    /* The reference does not pass --seed to SpecBench: it always shuffles with 0. */
    if (rc == 0 && !c->o->disable_shuffle) {
        py_random_seed(c->py_global, 0);
        py_random_shuffle(c->py_global, rows.v, rows.n, sizeof *rows.v);
    }
    long out = c->o->output_len >= 0 ? c->o->output_len : c->o->spec_bench_output_len;
    dataset_sample_opts so = {.output_len = out,
                              .chat_template = !c->o->skip_chat_template,
                              .seed = 0,
                              .what = "spec_bench"};
    if (rc == 0)
        rc = dataset_rows_sample(c, &rows, path, &so, ds, err);
    dataset_rows_free(&rows);
    return rc;
}

/* speed_bench: <dir>/<subset>.jsonl rows with messages[0].content and
 * category; then as custom with output 4096 and, as in the reference, the
 * shuffle seeded with 0 (--seed is not passed). */
int dataset_speed_bench(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    const sb_dataset_opts *o = c->o;
    if (!o->path)
        return sb_err_set(err, "--dataset-name speed_bench needs --dataset-path (a folder with "
                               "<subset>.jsonl from SPEED-Bench)");
    char path[4096];
    const char *subset =
        o->speed_bench_dataset_subset ? o->speed_bench_dataset_subset : "qualitative";
    snprintf(path, sizeof path, "%s/%s.jsonl", o->path, subset);
    dataset_rows rows = {0};
    custom_load l = {.rows = &rows,
                     .arena = &ds->arena,
                     .path = path,
                     .category = o->speed_bench_category,
                     .spec = 2};
    int rc = load_rows(c, ds, &l, err);
    if (rc == 0 && rows.n == 0)
        rc = sb_err_set(err, "%s: no rows%s%s", path, l.category ? " in category " : "",
                        l.category ? l.category : "");
    if (rc == 0 && !o->disable_shuffle) {
        py_random_seed(c->py_global, 0);
        py_random_shuffle(c->py_global, rows.v, rows.n, sizeof *rows.v);
    }
    long out = o->output_len >= 0 ? o->output_len : o->speed_bench_output_len;
    dataset_sample_opts so = {.output_len = out,
                              .chat_template = !o->skip_chat_template,
                              .seed = 0,
                              .what = "speed_bench"};
    if (rc == 0)
        rc = dataset_rows_sample(c, &rows, path, &so, ds, err);
    dataset_rows_free(&rows);
    return rc;
}
