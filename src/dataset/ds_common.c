/* SPDX-License-Identifier: Apache-2.0 */
/* ds_common.c - the pieces every dataset file shares: the growing request
 * list, warnings, oversampling (vllm/benchmarks/datasets/datasets.py: get_samples), token counting,
 * the user-message chat template, and reading files whole.
 *
 * Requests live in one malloc'd array (grown by doubling) owned by the
 * sb_dataset; their strings live in the dataset arena. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset/ds_internal.h"
#include "template/template.h"

sb_request *dataset_push(sb_dataset *ds)
{
    /* Capacity is implicit (16, then the next power of two), so sb_dataset
     * needs no capacity field: grow exactly when n hits 16, 32, 64, ... */
    if (ds->n == 0)
        ds->reqs = sb_xrealloc(ds->reqs, 16 * sizeof *ds->reqs);
    else if (ds->n >= 16 && (ds->n & (ds->n - 1)) == 0)
        ds->reqs = sb_xrealloc(ds->reqs, 2 * ds->n * sizeof *ds->reqs);
    sb_request *r = &ds->reqs[ds->n++];
    memset(r, 0, sizeof *r);
    r->timestamp_s = -1;
    r->has_request_id = 1;
    return r;
}

void dataset_set_prompt(sb_dataset *ds, sb_request *r, const char *text, size_t len)
{
    r->prompt = sb_arena_strndup(&ds->arena, text, len);
    r->prompt_bytes = len;
}

static void append_line(char **dst, const char *fmt, va_list ap)
{
    sb_buf b;
    sb_buf_init(&b);
    if (*dst) {
        sb_buf_puts(&b, *dst);
        sb_buf_putc(&b, '\n');
        free(*dst);
    }
    sb_buf_vprintf(&b, fmt, ap);
    *dst = sb_buf_steal(&b);
}

void dataset_warn(sb_dataset *ds, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append_line(&ds->warning, fmt, ap);
    va_end(ap);
}

void dataset_info(sb_dataset *ds, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append_line(&ds->info, fmt, ap);
    va_end(ap);
}

int dataset_oversample(sb_dataset *ds, long want, uint64_t seed, bool no_oversample,
                       const char *what, sb_err *err)
{
    if (ds->n == 0 && want <= 0)
        return sb_err_set(err, "%s: --num-prompts is %ld: nothing to sample", what, want);
    if (ds->n == 0)
        return sb_err_set(err, "%s: no request survived filtering (0 of %ld asked for)", what,
                          want);
    if (no_oversample) {
        dataset_info(ds, "Skipping oversampling. Total samples: %zu.", ds->n);
        if (ds->n < (size_t)want)
            dataset_warn(ds, "%s: only %zu of %ld requests available (--no-oversample)", what,
                         ds->n, want);
        return 0;
    }
    if (want <= 0 || ds->n >= (size_t)want)
        return 0;
    /* Reference: random.seed(self.random_seed); random.choice(requests) per
     * missing request, drawing from the list as it was before extension. */
    size_t have = ds->n;
    py_random *r = &ds->py_global;
    py_random_seed(r, seed);
    for (long i = 0; i < want - (long)have; i++) {
        size_t k = py_random_choice(r, have);
        sb_request copy = ds->reqs[k];
        *dataset_push(ds) = copy;
    }
    dataset_info(ds, "Oversampled requests to reach %ld total samples.", want);
    dataset_warn(ds,
                 "%s: only %zu requests passed the filters; %ld copies picked with "
                 "random.choice (seed %llu) to reach %ld",
                 what, have, want - (long)have, (unsigned long long)seed, want);
    return 0;
}

int dataset_count_tokens(const tok *t, const char *text, size_t len, bool add_special,
                         tok_ids *scratch, int32_t *n_out, sb_err *err)
{
    scratch->n = 0;
    if (tok_encode(t, text, len, add_special, scratch, err) != 0)
        return -1;
    *n_out = (int32_t)scratch->n;
    return 0;
}

int dataset_chat_user(const dataset_ctx *c, const char *text, sb_buf *out, sb_err *err)
{
    const tok *t = c->t;
    if (!tok_chat_template(t))
        return sb_err_set(err,
                          "tokenizer %s has no chat template (tokenizer_config.json "
                          "chat_template); this dataset applies one (use "
                          "--skip-chat-template or --backend openai-chat where allowed)",
                          tok_source_path(t));
    tmpl_msg msg = {.role = "user", .content = text};
    tmpl_vars vars = {.bos_token = tok_bos_token(t),
                      .eos_token = tok_eos_token(t),
                      .add_generation_prompt = true,
                      .kwargs_json = c->o->chat_template_kwargs};
    if (!c->chat) {
        *err = c->chat_err;
        return sb_err_prefix(err, "chat template of %s: ", tok_source_path(t));
    }
    return tmpl_render(c->chat, &msg, 1, &vars, out, err);
}

bool dataset_backend_takes_images(const char *backend)
{
    static const char *const names[] = {"openai-chat",
                                        "openai-embeddings-chat",
                                        "openai-embeddings-clip",
                                        "openai-embeddings-vlm2vec",
                                        "infinity-embeddings",
                                        "infinity-embeddings-clip"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(backend, names[i]))
            return true;
    return false;
}

bool dataset_ends_with(const char *path, const char *suffix)
{
    size_t a = strlen(path), b = strlen(suffix);
    return a >= b && strcmp(path + a - b, suffix) == 0;
}

int dataset_jsonl_each(const char *path, const sb_buf *data, dataset_jsonl_fn fn, void *ctx,
                       sb_err *err)
{
    const char *p = data->data, *end = data->data + data->len;
    size_t line_no = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        line_no++;
        const char *q = p;
        while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q < le) {
            json_error_t je;
            json_t *row = json_loadb(p, (size_t)(le - p), JSON_ALLOW_NUL, &je);
            if (!row)
                return sb_err_set(err, "%s:%zu:%d: not valid JSON: %s", path, line_no, je.column,
                                  je.text);
            if (!json_is_object(row)) {
                json_decref(row);
                return sb_err_set(err, "%s:%zu: expected a JSON object per line", path, line_no);
            }
            int rc = fn(ctx, row, line_no, err);
            json_decref(row);
            if (rc)
                return rc;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

int dataset_decode_range(const tok *t, int64_t start, int64_t n, sb_buf *out, sb_err *err)
{
    int64_t v = (int64_t)tok_vocab_size(t);
    int32_t *ids = sb_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *ids);
    for (int64_t j = 0; j < n; j++)
        ids[j] = (int32_t)((start + j) % v);
    int rc = tok_decode(t, ids, (size_t)n, false, out, err);
    free(ids);
    return rc;
}

void dataset_mismatch_warning(sb_dataset *ds, long long total)
{
    if (total == 0)
        return;
    /* The reference's wording (random and prefix_repetition). */
    dataset_warn(ds,
                 "Across all generated prompts, there were %lld %s tokens than expected "
                 "after decoding and re-encoding. This is expected due to the imperfect "
                 "nature of the sampling procedure.",
                 total > 0 ? total : -total, total > 0 ? "more" : "fewer");
}

static const char *turn_field(json_t *turn, const char *field)
{
    json_t *v = json_is_object(turn) ? json_object_get(turn, field) : NULL;
    return json_is_string(v) ? json_string_value(v) : "";
}

void dataset_keep_turns(sb_dataset *ds, sb_request *r, json_t *conv)
{
    size_t n = json_array_size(conv);
    const char **turns = sb_arena_alloc(&ds->arena, (n ? n : 1) * sizeof *turns);
    const char **roles = sb_arena_alloc(&ds->arena, (n ? n : 1) * sizeof *roles);
    for (size_t k = 0; k < n; k++) {
        json_t *t = json_array_get(conv, k);
        const char *role = turn_field(t, "from");
        const char *text = turn_field(t, "value");
        if (!json_object_get(t, "from")) { /* OpenAI form: {"role", "content"} */
            role = turn_field(t, "role");
            text = turn_field(t, "content");
        }
        /* --multi-turn: the roles as dataset_conv_check names them */
        const char *norm = ds->multi_turn ? dataset_role_name(role) : NULL;
        turns[k] = sb_arena_strdup(&ds->arena, text);
        roles[k] = norm ? norm : sb_arena_strdup(&ds->arena, role);
    }
    r->turns = turns;
    r->roles = roles;
    r->n_turns = (uint32_t)n;
}

const char *dataset_role_name(const char *role)
{
    /* ShareGPT's speaker names (FastChat's conversion: human/gpt, and the
     * chatgpt/bard/bing dumps), and the OpenAI role names. */
    static const char *const user[] = {"human", "user"};
    static const char *const assistant[] = {"gpt", "assistant", "chatgpt", "bard", "bing", "model"};
    for (size_t i = 0; i < sizeof user / sizeof user[0]; i++)
        if (!strcmp(role, user[i]))
            return "user";
    for (size_t i = 0; i < sizeof assistant / sizeof assistant[0]; i++)
        if (!strcmp(role, assistant[i]))
            return "assistant";
    return !strcmp(role, "system") ? "system" : NULL;
}

int dataset_conv_check(json_t *conv, char *why, size_t cap)
{
    if (!json_is_array(conv) || json_array_size(conv) == 0) {
        snprintf(why, cap, "the conversation is not a non-empty list of turns");
        return -1;
    }
    size_t users = 0, k;
    json_t *t;
    json_array_foreach(conv, k, t)
    {
        bool sharegpt = json_object_get(t, "from") != NULL;
        json_t *role = json_object_get(t, sharegpt ? "from" : "role");
        json_t *text = json_object_get(t, sharegpt ? "value" : "content");
        if (!json_is_string(role) || !json_is_string(text)) {
            snprintf(why, cap,
                     "turn %zu is not an object with string \"from\"/\"value\" (or "
                     "\"role\"/\"content\")",
                     k + 1);
            return -1;
        }
        const char *name = dataset_role_name(json_string_value(role));
        if (!name) {
            snprintf(why, cap, "turn %zu has the unknown role \"%.40s\"", k + 1,
                     json_string_value(role));
            return -1;
        }
        users += !strcmp(name, "user");
    }
    if (users == 0) {
        snprintf(why, cap, "no user turn");
        return -1;
    }
    return 0;
}

int dataset_conv_skip(const sb_dataset_opts *o, sb_dataset *ds, const char *where, const char *why,
                      sb_err *err)
{
    if (o->strict)
        return sb_err_set(err, "%s: bad conversation: %s (--strict)", where, why);
    /* The first few are named; the count says how many in all. */
    if (ds->conv_skipped < 10)
        dataset_warn(ds, "%s: conversation skipped: %s", where, why);
    ds->conv_skipped++;
    return 0;
}

size_t dataset_threads(size_t n)
{
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env = getenv("SB_THREADS");
    if (env && strtol(env, NULL, 10) > 0)
        nc = strtol(env, NULL, 10);
    size_t nt = nc > 0 ? (size_t)nc : 1;
    if (nt > 64)
        nt = 64;
    if (nt > n)
        nt = n ? n : 1;
    return nt;
}

/* Sorted ids of the vocabulary (added tokens included) without the special
 * ids, as the reference's sorted non-special vocabulary. */
int32_t *dataset_non_special_vocab(const tok *t, size_t *n_out)
{
    const int32_t *sp;
    size_t n_sp = tok_special_ids(t, &sp), j = 0, n = 0;
    size_t v = tok_vocab_size_with_added(t);
    int32_t *out = sb_xmalloc((v ? v : 1) * sizeof *out);
    for (size_t id = 0; id < v; id++) {
        while (j < n_sp && (size_t)sp[j] < id)
            j++;
        if ((j < n_sp && (size_t)sp[j] == id) || !tok_id_to_token(t, (int32_t)id))
            continue;
        out[n++] = (int32_t)id;
    }
    *n_out = n;
    return out;
}
