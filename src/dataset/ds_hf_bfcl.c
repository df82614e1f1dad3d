/* SPDX-License-Identifier: Apache-2.0 */
/* ds_hf_bfcl.c - the Berkeley Function Calling Leaderboard set
 * (vllm/benchmarks/datasets/datasets.py: BFCLDataset) from a local copy of
 * gorilla-llm/Berkeley-Function-Calling-Leaderboard: --dataset-path is the
 * folder holding one JSON Lines file per category, BFCL_v3_<category>.json,
 * each row {id, question, function}.
 *
 * As the reference: the --bfcl-categories files (default simple,
 * live_simple, multiple) are read and interleaved round-robin, shuffled with
 * random.Random(seed) unless --disable-shuffle; a row's first turn
 * (question[0]) becomes the request's pre-built chat messages, its functions
 * become OpenAI tools (BFCL's type names dict/float/tuple/any mapped to JSON
 * Schema's) sent with tool_choice "auto"; prompt_len counts the chat template
 * rendered with the tools (falling back to the joined message texts when the
 * template fails); output 512 unless given. Rows without a question or
 * functions are skipped as the reference skips them, but counted and named. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/file.h"
#include "dataset/ds_hf.h"
#include "dataset/ds_mm.h"
#include "template/template.h"

#define BFCL_DEFAULTS "simple,live_simple,multiple"

typedef struct bfcl_row {
    json_t *row;
    const char *file; /* in the dataset arena */
    size_t line;
} bfcl_row;

typedef struct bfcl_list {
    bfcl_row *v;
    size_t n, cap;
    const char *file;
} bfcl_list;

static int collect(void *ctx, json_t *row, size_t line_no, sb_err *err)
{
    (void)err;
    bfcl_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = sb_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    json_incref(row);
    l->v[l->n++] = (bfcl_row){.row = row, .file = l->file, .line = line_no};
    return 0;
}

/* _translate_schema: every "type" string dict/float/tuple/any becomes
 * object/number/array/string, recursively (a new value). */
static json_t *translate(json_t *v)
{
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
        {
            json_object_set_new(o, k, translate(x));
        }
        json_t *t = json_object_get(o, "type");
        static const char *const map[][2] = {
            {"dict", "object"}, {"float", "number"}, {"tuple", "array"}, {"any", "string"}};
        for (size_t i = 0; json_is_string(t) && i < sizeof map / sizeof map[0]; i++)
            if (!strcmp(json_string_value(t), map[i][0])) {
                json_object_set_new(o, "type", json_string(map[i][1]));
                break;
            }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            json_array_append_new(a, translate(x));
        }
        return a;
    }
    return json_incref(v);
}

/* Python truthiness of a JSON value (`if not question or not functions`). */
static bool truthy(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0;
    case JSON_TRUE:
        return true;
    default:
        return false;
    }
}

/* The rendered prompt's token count: the chat template with messages and
 * tools, else "\n".join(contents) as the reference falls back. *fell counts
 * the fallbacks for the warning. */
static int prompt_tokens(const dataset_ctx *c, json_t *msgs, json_t *tools, tok_ids *scratch,
                         int32_t *n, size_t *fell, sb_err *err)
{
    sb_buf out;
    sb_buf_init(&out);
    int rc = -1;
    if (c->chat) {
        json_t *ctx = json_object();
        json_object_set(ctx, "messages", msgs);
        json_object_set(ctx, "tools", tools);
        json_object_set_new(ctx, "documents", json_null());
        json_object_set_new(ctx, "add_generation_prompt", json_true());
        if (tok_bos_token(c->t))
            json_object_set_new(ctx, "bos_token", json_string(tok_bos_token(c->t)));
        if (tok_eos_token(c->t))
            json_object_set_new(ctx, "eos_token", json_string(tok_eos_token(c->t)));
        char *text = json_dumps(ctx, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(ctx);
        sb_err tmp;
        rc = text ? tmpl_render_json(c->chat, text, &out, &tmp) : -1;
        free(text);
    }
    if (rc != 0) {
        (*fell)++;
        sb_buf_reset(&out);
        size_t i;
        json_t *m;
        json_array_foreach(msgs, i, m)
        {
            json_t *t = json_object_get(m, "content");
            sb_buf_printf(&out, "%s%s", i ? "\n" : "",
                          json_is_string(t) ? json_string_value(t) : "");
        }
    }
    rc = dataset_count_tokens(c->t, out.data ? out.data : "", out.len, true, scratch, n, err);
    sb_buf_free(&out);
    return rc;
}

/* One interleaved row: 1 kept, 0 skipped (*why set), -1 error. */
static int bfcl_one(const dataset_ctx *c, const bfcl_row *br, long out, tok_ids *scratch, sb_buf *b,
                    size_t *fell, const char **why, sb_dataset *ds, sb_err *err)
{
    json_t *q = json_object_get(br->row, "question"), *fns = json_object_get(br->row, "function");
    if (!truthy(q) || !truthy(fns))
        return *why = "no question or no function", 0;
    json_t *turn = json_array_get(q, 0);
    if (!json_is_array(q) || !json_is_array(turn) || !json_array_size(turn))
        return *why = "question[0] is not a non-empty list of messages", 0;
    size_t i;
    json_t *m;
    json_array_foreach(turn, i, m)
    {
        json_t *role = json_object_get(m, "role"), *content = json_object_get(m, "content");
        if (!json_is_object(m) || !json_is_string(role) || (content && !json_is_string(content)))
            return sb_err_set(err,
                              "%s:%zu: column 'question': question[0][%zu] must be an object "
                              "with a string \"role\" and \"content\"",
                              br->file, br->line, i);
    }
    json_t *list = json_is_array(fns) ? json_incref(fns) : json_pack("[O]", fns);
    json_t *tools = json_array();
    json_t *f;
    int rc = 1;
    json_array_foreach(list, i, f)
    {
        if (!json_is_object(f)) {
            rc = sb_err_set(err,
                            "%s:%zu: column 'function': function[%zu] is a tool schema that is "
                            "not an object",
                            br->file, br->line, i);
            break;
        }
        json_array_append_new(
            tools, json_pack("{s:s, s:o}", "type", "function", "function", translate(f)));
    }
    json_decref(list);
    int32_t plen = 0;
    if (rc == 1 && prompt_tokens(c, turn, tools, scratch, &plen, fell, err) != 0)
        rc = -1;
    if (rc == 1) {
        json_t *last = json_object_get(json_array_get(turn, json_array_size(turn) - 1), "content");
        const char *shown = json_is_string(last) ? json_string_value(last) : "";
        sb_request *r = dataset_push(ds);
        dataset_set_prompt(ds, r, shown, strlen(shown));
        r->prompt_len = plen;
        r->output_len = (int32_t)out;
        sb_buf_reset(b);
        mm_py_json(b, turn);
        r->forms.chat_messages = sb_arena_strndup(&ds->arena, b->data, b->len);
        r->forms.chat_messages_bytes = b->len;
        sb_buf_reset(b);
        mm_py_json(b, tools);
        r->forms.tools = sb_arena_strndup(&ds->arena, b->data, b->len);
        r->forms.tools_bytes = b->len;
        r->forms.tool_choice = "\"auto\"";
    }
    json_decref(tools);
    return rc;
}

/* Reads the category files into one list per category. */
static int load_categories(const dataset_ctx *c, sb_dataset *ds, bfcl_list **lists, size_t *n_lists,
                           sb_err *err)
{
    const char *spec = c->o->bfcl_categories ? c->o->bfcl_categories : BFCL_DEFAULTS;
    char *copy = sb_xstrdup(spec);
    int rc = 0;
    size_t n = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok && rc == 0;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t')
            tok++;
        size_t len = strlen(tok);
        while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
            tok[--len] = '\0';
        if (!len)
            continue; /* _resolve_categories drops empty names */
        sb_buf path, data;
        sb_buf_init(&path);
        sb_buf_init(&data);
        sb_buf_printf(&path, "%s/BFCL_v3_%s.json", c->o->path, tok);
        struct stat st;
        if (stat(path.data, &st) != 0 || !S_ISREG(st.st_mode)) {
            rc = sb_err_set(err,
                            "BFCL category '%s' not found: file 'BFCL_v3_%s.json' does not exist "
                            "in %s. Check --bfcl-categories (defaults: simple, live_simple, "
                            "multiple).",
                            tok, tok, c->o->path);
        } else {
            *lists = sb_xrealloc(*lists, (n + 1) * sizeof **lists);
            (*lists)[n] = (bfcl_list){.file = sb_arena_strndup(&ds->arena, path.data, path.len)};
            rc = sb_read_file(path.data, &data, err);
            if (rc == 0)
                rc = dataset_jsonl_each(path.data, &data, collect, &(*lists)[n], err);
            n++;
        }
        sb_buf_free(&path);
        sb_buf_free(&data);
    }
    free(copy);
    *n_lists = n;
    return rc;
}

int hf_bfcl(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    if (strcmp(c->backend, "openai-chat") != 0)
        return sb_err_set(err,
                          "BFCL dataset requires the 'openai-chat' backend because it sends "
                          "pre-built chat messages and tools (got %s)",
                          c->backend);
    struct stat st;
    if (stat(c->o->path, &st) != 0 || !S_ISDIR(st.st_mode))
        return sb_err_set(err,
                          "%s: the BFCL set is a folder of BFCL_v3_<category>.json files (a local "
                          "copy of gorilla-llm/Berkeley-Function-Calling-Leaderboard)",
                          c->o->path);
    bfcl_list *lists = NULL;
    size_t n_lists = 0;
    int rc = load_categories(c, ds, &lists, &n_lists, err);
    /* round-robin interleave, then random.Random(seed).shuffle */
    size_t total = 0, longest = 0;
    for (size_t k = 0; k < n_lists; k++) {
        total += lists[k].n;
        longest = lists[k].n > longest ? lists[k].n : longest;
    }
    bfcl_row *all = sb_xmalloc((total ? total : 1) * sizeof *all);
    size_t n = 0;
    for (size_t i = 0; i < longest; i++)
        for (size_t k = 0; k < n_lists; k++)
            if (i < lists[k].n)
                all[n++] = lists[k].v[i];
    if (rc == 0 && !c->o->disable_shuffle) {
        py_random r;
        py_random_seed(&r, c->o->seed);
        py_random_shuffle(&r, all, n, sizeof *all);
    }
    long out = c->o->output_len >= 0      ? c->o->output_len
               : c->o->hf_output_len >= 0 ? c->o->hf_output_len
                                          : 512;
    tok_ids scratch;
    tok_ids_init(&scratch);
    sb_buf b;
    sb_buf_init(&b);
    size_t skipped = 0, fell = 0;
    for (size_t i = 0; i < n && rc == 0 && (long)ds->n < c->o->num_prompts; i++) {
        const char *why = NULL;
        int k = bfcl_one(c, &all[i], out, &scratch, &b, &fell, &why, ds, err);
        if (k < 0)
            rc = -1;
        else if (k == 0 && skipped++ < 10)
            dataset_info(ds, "bfcl: %s:%zu skipped: %s", all[i].file, all[i].line, why);
    }
    if (rc == 0 && skipped)
        dataset_warn(ds,
                     "bfcl: %zu rows skipped (no question, no function, or an empty first "
                     "turn), as the reference skips them",
                     skipped);
    if (rc == 0 && fell)
        dataset_warn(ds,
                     "bfcl: the chat template could not render %zu prompts with their tools; "
                     "their prompt_len counts the joined message texts",
                     fell);
    if (rc == 0 && n == 0)
        rc = sb_err_set(err, "%s: the BFCL category files hold no rows", c->o->path);
    sb_buf_free(&b);
    tok_ids_free(&scratch);
    for (size_t k = 0; k < n_lists; k++) {
        for (size_t i = 0; i < lists[k].n; i++)
            json_decref(lists[k].v[i].row);
        free(lists[k].v);
    }
    free(lists);
    free(all);
    if (rc == 0)
        rc = dataset_oversample(ds, c->o->num_prompts, c->o->seed, c->o->no_oversample, "hf", err);
    return rc;
}
