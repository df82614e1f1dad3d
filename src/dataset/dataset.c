/* SPDX-License-Identifier: Apache-2.0 */
/* dataset.c - dataset_load: picks the dataset file for --dataset-name and
 * owns the life of an sb_dataset. Each dataset's sampling lives in its own
 * ds_<name>.c; this file only dispatches and cleans up on failure, so a
 * failed load never hands back a half-built request list. */
#include <stdlib.h>
#include <string.h>

#include "dataset/ds_internal.h"
#include "template/template.h"

typedef struct ds_entry {
    const char *name;
    int (*load)(const dataset_ctx *c, sb_dataset *ds, sb_err *err);
} ds_entry;

static const ds_entry ds_table[] = {
    {"random", dataset_random},
    {"sharegpt", dataset_sharegpt},
    {"sonnet", dataset_sonnet},
    {"burstgpt", dataset_burstgpt},
    {"custom", dataset_custom},
    {"hf", dataset_hf},
    {"prefix_repetition", dataset_prefix_rep},
    {"spec_bench", dataset_spec_bench},
    {"speed_bench", dataset_speed_bench},
    {"timed_trace", dataset_timed_trace},
    {"mooncake", dataset_mooncake},
    {"random-rerank", dataset_random_rerank},
    {"random-mm", dataset_random_mm},
    {"custom_image", dataset_custom_image},
    {"custom_audio", dataset_custom_audio},
    {"conversations", dataset_conversations},
};

const char *const dataset_names[] = {"random",
                                     "sharegpt",
                                     "sonnet",
                                     "burstgpt",
                                     "custom",
                                     "hf",
                                     "prefix_repetition",
                                     "spec_bench",
                                     "speed_bench",
                                     "timed_trace",
                                     "random-rerank",
                                     "random-mm",
                                     "custom_image",
                                     "custom_audio",
                                     "mooncake",
                                     "conversations",
                                     NULL};

/* Names of the reference that servebench refuses by name (the newest
 * reference no longer accepts custom_mm either). */
static const char *const ds_unsupported[] = {"custom_mm", NULL};

int dataset_load(const sb_dataset_opts *opts, const tok *tok, const char *backend, sb_dataset *out,
                 sb_err *err)
{
    memset(out, 0, sizeof *out);
    sb_arena_init(&out->arena, 0);
    out->multi_turn = opts->multi_turn;
    const char *name = opts->name ? opts->name : "random";
    if (dataset_check_opts(opts, 0, err) != 0)
        return -1;
    for (size_t i = 0; ds_unsupported[i]; i++)
        if (!strcmp(name, ds_unsupported[i]))
            return sb_err_set(err, "--dataset-name %s is not supported by servebench yet", name);
    for (size_t i = 0; i < sizeof ds_table / sizeof ds_table[0]; i++) {
        if (strcmp(name, ds_table[i].name) != 0)
            continue;
        /* vllm/benchmarks/serve.py: main seeds random with --seed before the datasets. */
        py_random_seed(&out->py_global, opts->seed);
        dataset_ctx c = {.o = opts,
                         .t = tok,
                         .backend = backend ? backend : "openai",
                         .py_global = &out->py_global};
        if (tok && tok_chat_template(tok))
            c.chat = tmpl_compile(tok_chat_template(tok), &c.chat_err);
        int rc = ds_table[i].load(&c, out, err);
        tmpl_free(c.chat);
        if (rc != 0) {
            dataset_free(out);
            return -1;
        }
        if (out->conv_skipped)
            dataset_warn(out,
                         "%zu conversation%s skipped (no user turn, or a turn that is not "
                         "a known role with text; --strict stops at the first)",
                         out->conv_skipped, out->conv_skipped == 1 ? "" : "s");
        return 0;
    }
    sb_buf names;
    sb_buf_init(&names);
    for (size_t i = 0; dataset_names[i]; i++)
        sb_buf_printf(&names, "%s%s", i ? ", " : "", dataset_names[i]);
    sb_err_set(err, "unknown --dataset-name '%s' (choose from %s)", name, names.data);
    sb_buf_free(&names);
    return -1;
}

void dataset_free(sb_dataset *ds)
{
    free(ds->reqs);
    free(ds->warning);
    free(ds->info);
    sb_arena_free(&ds->arena);
    for (size_t i = 0; i < ds->n_extra_arenas; i++)
        sb_arena_free(&ds->extra_arenas[i]);
    free(ds->extra_arenas);
    memset(ds, 0, sizeof *ds);
}
