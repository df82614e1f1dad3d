/* SPDX-License-Identifier: Apache-2.0 */
/* ds_hf.c - the `hf` dataset from a local copy (vllm/benchmarks/datasets/datasets.py:
 * HuggingFaceDataset):
 * --dataset-path is a downloaded JSON list or JSON Lines file (or a folder
 * holding <subset>/<split>.jsonl or <split>.jsonl), and the reference class
 * is chosen by --hf-name or the path, as the reference does by dataset id.
 *
 * Order: the reference loads with `datasets` and shuffles with seed; for a
 * streaming load (the default) that is a 1,000-row shuffle buffer driven by
 * numpy default_rng(seed), for --no-stream a default_rng permutation. Both
 * are reproduced here on the row indices. Classes built here: Conversation
 * and MultiModalConversation (with a row's image), InstructCoder, MTBench,
 * HumanEval, GSM8K, AIMO; ds_hf_sets.c builds Blazedit, MLPerf,
 * NextEditPrediction, VisionArena, MMVU, MMStar and ASR from the same rows,
 * ds_hf_bfcl.c the BFCL set from its own category files.
 *
 * A real copy (ShareGPT_Vicuna_unfiltered) is ~650 MB, so the file is not
 * held: ds_scan keeps each row's byte range (checking the whole file) and a
 * row is parsed only when the walk visits it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset/ds_hf.h"
#include "dataset/ds_mm.h"

static const hf_class hf_classes[] = {
    {HF_CONV, "Aeala/ShareGPT_Vicuna_unfiltered", -1, NULL},
    {HF_INSTRUCTCODER, "likaixin/InstructCoder", 200, NULL},
    {HF_MTBENCH, "philschmid/mt-bench", 256, NULL},
    {HF_HUMANEVAL, "openai/openai_humaneval", 256, NULL},
    {HF_GSM8K, "openai/gsm8k", 256, NULL},
    {HF_AIMO, "AI-MO/aimo-validation-aime|AI-MO/NuminaMath-1.5|AI-MO/NuminaMath-CoT", -1, NULL},
    {HF_MMCONV, "lmms-lab/LLaVA-OneVision-Data", -1, NULL},
    {HF_BLAZEDIT, "vdaita/edit_5k_char|vdaita/edit_10k_char", 4000, NULL},
    {HF_MLPERF, "mgoin/mlperf-inference-llama2-data|mgoin/mlperf-inference-llama3.1-data", -1,
     NULL},
    {HF_NEP, "zed-industries/zeta", -1, NULL},
    {HF_VISIONARENA, "lmarena-ai/VisionArena-Chat|lmarena-ai/vision-arena-bench-v0.1", 128, NULL},
    {HF_MMVU, "yale-nlp/MMVU", 128, "validation"},
    {HF_MMSTAR, "Lin-Chen/MMStar", 128, "val"},
    {HF_ASR,
     "openslr/librispeech_asr|facebook/voxpopuli|LIUM/tedlium|edinburghcstr/ami|"
     "speechcolab/gigaspeech|kensho/spgispeech|ArtificialAnalysis/Earnings22-Cleaned-AA|"
     "D4nt3/esb-datasets-earnings22-validation-tiny-filtered",
     1024, NULL},
    {HF_BFCL, "gorilla-llm/Berkeley-Function-Calling-Leaderboard", 512, NULL},
};

/* Whether path holds a folder or file name that is base, or base followed
 * by '.', '-' or '_' (so ".../gsm8k/test.jsonl" or ".../ami-sdm.json"
 * match, "/home/sami/x" or "amigo.json" not). */
static bool path_names(const char *path, const char *base)
{
    size_t n = strlen(base);
    for (const char *p = strstr(path, base); p && n; p = strstr(p + 1, base)) {
        char after = p[n];
        if ((p == path || p[-1] == '/') &&
            (after == '\0' || after == '/' || after == '.' || after == '-' || after == '_'))
            return true;
    }
    return false;
}

/* A class matches when hf_name equals one of its ids, or when a component of
 * the path starts with an id's name part; *id_out is the matched id (static). */
static const hf_class *hf_pick(const char *hf_name, const char *path, char *id_out, size_t cap)
{
    for (size_t i = 0; i < sizeof hf_classes / sizeof hf_classes[0]; i++) {
        const char *p = hf_classes[i].ids;
        while (*p) {
            const char *bar = strchr(p, '|');
            size_t n = bar ? (size_t)(bar - p) : strlen(p);
            char id[128];
            snprintf(id, sizeof id, "%.*s", (int)n, p);
            const char *base = strchr(id, '/') ? strchr(id, '/') + 1 : id;
            if ((hf_name && !strcmp(hf_name, id)) ||
                (!hf_name && path && (!strcmp(path, id) || path_names(path, base)))) {
                snprintf(id_out, cap, "%s", id);
                return &hf_classes[i];
            }
            p = bar ? bar + 1 : p + n;
        }
    }
    return NULL;
}

static int resolve_file(const sb_dataset_opts *o, const hf_class *cls, char *out, size_t cap,
                        sb_err *err)
{
    struct stat st;
    if (stat(o->path, &st) != 0)
        return sb_err_set(err, "cannot open %s: no such file or directory", o->path);
    if (!S_ISDIR(st.st_mode)) {
        snprintf(out, cap, "%s", o->path);
        return 0;
    }
    const char *split = o->hf_split ? o->hf_split : cls && cls->split ? cls->split : "train";
    const char *exts[] = {"jsonl", "json"};
    for (int sub = o->hf_subset ? 1 : 0; sub >= 0; sub--)
        for (int e = 0; e < 2; e++) {
            if (sub)
                snprintf(out, cap, "%s/%s/%s.%s", o->path, o->hf_subset, split, exts[e]);
            else
                snprintf(out, cap, "%s/%s.%s", o->path, split, exts[e]);
            if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
                return 0;
        }
    return sb_err_set(err, "%s: no %s%s%s.jsonl or .json in this folder (--hf-subset/--hf-split)",
                      o->path, o->hf_subset ? o->hf_subset : "", o->hf_subset ? "/" : "", split);
}

json_t *hf_row(hf_rows *rs, size_t i, sb_err *err)
{
    json_t *row = NULL;
    dataset_scan_load(rs->file, rs->fd, &rs->scan.rows[i], &rs->slice, &row, err);
    return row;
}

/* Generator.shuffle of a list: the same random_interval walk as permutation. */
static void gen_shuffle(np_gen *g, size_t *v, size_t n)
{
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)np_gen_interval(g, i), t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

#define HF_BUFFER 1000

/* datasets' IterableDataset.shuffle(seed) (buffer 1000) or Dataset.shuffle. */
static void hf_order(size_t n, uint64_t seed, bool stream, size_t *order)
{
    np_gen g;
    np_gen_seed(&g, seed);
    if (!stream) {
        int64_t *perm = sb_xmalloc((n ? n : 1) * sizeof *perm);
        np_gen_permutation(&g, n, perm);
        for (size_t i = 0; i < n; i++)
            order[i] = (size_t)perm[i];
        free(perm);
        return;
    }
    size_t buf[HF_BUFFER], nb = 0, out = 0, used = HF_BUFFER;
    int64_t idx[HF_BUFFER];
    for (size_t x = 0; x < n; x++) {
        if (nb < HF_BUFFER) {
            buf[nb++] = x;
            continue;
        }
        if (used == HF_BUFFER) { /* random indices come in batches of 1,000 */
            np_gen_integers(&g, 0, HF_BUFFER, HF_BUFFER, idx);
            used = 0;
        }
        size_t i = (size_t)idx[used++];
        order[out++] = buf[i];
        buf[i] = x;
    }
    gen_shuffle(&g, buf, nb);
    for (size_t i = 0; i < nb; i++)
        order[out++] = buf[i];
}

static const char *str_field(json_t *row, const char *key)
{
    json_t *v = json_object_get(row, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Prompt text of a templated class, built into b; NULL when fields lack. */
static const char *class_prompt(hf_kind k, json_t *row, sb_buf *b)
{
    sb_buf_reset(b);
    switch (k) {
    case HF_INSTRUCTCODER: {
        const char *in = str_field(row, "input"), *ins = str_field(row, "instruction");
        if (!in || !ins)
            return NULL;
        sb_buf_printf(b, "%s\n\n%s Just output the code, do not include any explanation.", in, ins);
        return b->data;
    }
    case HF_MTBENCH: {
        json_t *t = json_array_get(json_object_get(row, "turns"), 0);
        return json_is_string(t) ? json_string_value(t) : NULL;
    }
    case HF_HUMANEVAL:
        return str_field(row, "prompt");
    case HF_GSM8K:
        return str_field(row, "question");
    default:
        return NULL;
    }
}

static const char *const hf_fields[] = {
    "conversations", "input and instruction", "turns", "prompt", "question", "problem"};

static int templated(const dataset_ctx *c, const hf_class *cls, hf_rows *rows, const size_t *order,
                     const char *file, sb_dataset *ds, sb_err *err)
{
    dataset_rows list = {0};
    sb_buf b;
    sb_buf_init(&b);
    int rc = 0;
    for (size_t i = 0; i < rows->scan.n && rc == 0; i++) {
        json_t *row = hf_row(rows, order[i], err);
        if (!row) {
            rc = -1;
            break;
        }
        const char *p = class_prompt(cls->kind, row, &b);
        if (!p)
            rc = sb_err_set(err, "%s: row %zu has no %s field", file, order[i] + 1,
                            hf_fields[cls->kind]);
        else
            dataset_rows_push(&list, &ds->arena, p, -1, order[i] + 1);
        json_decref(row);
    }
    long out = c->o->output_len >= 0      ? c->o->output_len
               : c->o->hf_output_len >= 0 ? c->o->hf_output_len
                                          : cls->default_out;
    dataset_sample_opts so = {.output_len = out,
                              .chat_template = !c->o->skip_chat_template,
                              .seed = c->o->seed,
                              .what = "hf"};
    if (rc == 0)
        rc = dataset_rows_sample(c, &list, file, &so, ds, err);
    sb_buf_free(&b);
    dataset_rows_free(&list);
    return rc;
}

/* The image of a Conversation / MultiModalConversation row
 * (`process_image(item["image"]) if "image" in item`) as the request's parts;
 * with --enable-multimodal-chat the prompt becomes the content list. */
static int conv_image(const dataset_ctx *c, json_t *img, const char *prompt, sb_request *r,
                      sb_dataset *ds, sb_err *err)
{
    if (!dataset_backend_takes_images(c->backend))
        return sb_err_set(err,
                          "this row has an image, which needs --backend openai-chat (or a "
                          "multimodal embeddings backend); got %s",
                          c->backend);
    sb_buf parts, wrap;
    sb_buf_init(&parts);
    sb_buf_init(&wrap);
    int rc = hf_image_part(img, &parts, err);
    if (rc == 0 && c->o->enable_multimodal_chat) {
        mm_chat_wrap(&wrap, prompt, strlen(prompt), parts.data, parts.len);
        r->forms.mm_content_only = true;
    }
    const sb_buf *use = c->o->enable_multimodal_chat ? &wrap : &parts;
    if (rc == 0) {
        r->forms.mm_parts = sb_arena_strndup(&ds->arena, use->data, use->len);
        r->forms.mm_parts_bytes = use->len;
    } else {
        sb_err_prefix(err, "column 'image': ");
    }
    sb_buf_free(&parts);
    sb_buf_free(&wrap);
    return rc;
}

/* Conversation, MultiModalConversation and AIMO: prompt/reply pairs with the
 * length rules when the output length comes from the reply. 1 kept, 0
 * skipped, -1 error. */
static int pair_row(const dataset_ctx *c, const hf_class *cls, json_t *row, size_t row_no,
                    const char *file, tok_ids *scratch, sb_dataset *ds, sb_err *err)
{
    const char *prompt, *reply;
    bool conv_kind = cls->kind == HF_CONV || cls->kind == HF_MMCONV;
    json_t *conv = json_object_get(row, "conversations");
    if (conv_kind) {
        if (json_array_size(conv) < 2)
            return 0; /* filter(len(conversations) >= 2) */
        prompt = str_field(json_array_get(conv, 0), "value");
        reply = str_field(json_array_get(conv, 1), "value");
    } else {
        prompt = str_field(row, "problem");
        reply = str_field(row, "solution");
    }
    if (!prompt || !reply)
        return sb_err_set(err, "%s: row %zu has no %s", file, row_no,
                          conv_kind ? "conversations[0/1].value strings"
                                    : "problem and solution strings");
    long fixed = c->o->output_len >= 0 ? c->o->output_len : c->o->hf_output_len;
    int32_t plen, olen;
    if (dataset_count_tokens(c->t, prompt, strlen(prompt), true, scratch, &plen, err) ||
        dataset_count_tokens(c->t, reply, strlen(reply), true, scratch, &olen, err))
        return -1;
    int max_p = cls->kind == HF_AIMO ? 2048 : 1024, max_t = cls->kind == HF_AIMO ? 32000 : 2048;
    if (fixed < 0 && (plen < 4 || olen < 4 || plen > max_p || plen + olen > max_t))
        return 0;
    sb_request *r = dataset_push(ds);
    dataset_set_prompt(ds, r, prompt, strlen(prompt));
    r->prompt_len = plen;
    r->output_len = fixed >= 0 ? (int32_t)fixed : olen;
    if (conv_kind)
        dataset_keep_turns(ds, r, conv);
    json_t *img = json_object_get(row, "image");
    if (conv_kind && img && conv_image(c, img, prompt, r, ds, err) != 0)
        return sb_err_prefix(err, "%s: row %zu: ", file, row_no);
    return 1;
}

static int pairs(const dataset_ctx *c, const hf_class *cls, hf_rows *rows, const size_t *order,
                 const char *file, sb_dataset *ds, sb_err *err)
{
    tok_ids scratch;
    tok_ids_init(&scratch);
    int rc = 0;
    for (size_t i = 0; i < rows->scan.n && (long)ds->n < c->o->num_prompts; i++) {
        json_t *row = hf_row(rows, order[i], err);
        rc = row ? pair_row(c, cls, row, order[i] + 1, file, &scratch, ds, err) : -1;
        json_decref(row);
        if (rc < 0)
            break;
    }
    tok_ids_free(&scratch);
    if (rc < 0)
        return -1;
    return dataset_oversample(ds, c->o->num_prompts, c->o->seed, c->o->no_oversample, "hf", err);
}

long hf_output_len(const hf_job *j)
{
    const sb_dataset_opts *o = j->c->o;
    return o->output_len >= 0      ? o->output_len
           : o->hf_output_len >= 0 ? o->hf_output_len
                                   : j->cls->default_out;
}

int hf_row_err(const hf_job *j, size_t i, sb_err *err, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const dataset_range *r = &j->rows->scan.rows[i];
    if (r->line)
        return sb_err_set(err, "%s: row %zu (line %zu): %s", j->rows->file, i + 1, r->line, what);
    return sb_err_set(err, "%s: row %zu: %s", j->rows->file, i + 1, what);
}

static const char *json_type_name(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

const char *hf_str(const hf_job *j, json_t *row, size_t i, const char *key, sb_err *err)
{
    json_t *v = json_object_get(row, key);
    if (json_is_string(v))
        return json_string_value(v);
    if (!v)
        hf_row_err(j, i, err, "no '%s' column", key);
    else
        hf_row_err(j, i, err, "column '%s' is %s, not a string", key, json_type_name(v));
    return NULL;
}

static const char supported_ids[] =
    "Aeala/ShareGPT_Vicuna_unfiltered or any set with a conversations column, "
    "lmms-lab/LLaVA-OneVision-Data, likaixin/InstructCoder, philschmid/mt-bench, "
    "openai/openai_humaneval, openai/gsm8k, AI-MO/aimo-validation-aime, AI-MO/NuminaMath-1.5, "
    "AI-MO/NuminaMath-CoT, vdaita/edit_5k_char, vdaita/edit_10k_char, "
    "mgoin/mlperf-inference-llama2-data, mgoin/mlperf-inference-llama3.1-data, "
    "zed-industries/zeta, lmarena-ai/VisionArena-Chat, lmarena-ai/vision-arena-bench-v0.1, "
    "yale-nlp/MMVU, Lin-Chen/MMStar, openslr/librispeech_asr, facebook/voxpopuli, LIUM/tedlium, "
    "edinburghcstr/ami, speechcolab/gigaspeech, kensho/spgispeech, "
    "gorilla-llm/Berkeley-Function-Calling-Leaderboard";

static int run_class(const hf_job *j, sb_err *err)
{
    switch (j->cls->kind) {
    case HF_CONV:
    case HF_MMCONV:
    case HF_AIMO:
        return pairs(j->c, j->cls, j->rows, j->order, j->rows->file, j->ds, err);
    case HF_BLAZEDIT:
        return hf_blazedit(j, err);
    case HF_MLPERF:
        return hf_mlperf(j, err);
    case HF_NEP:
        return hf_nep(j, err);
    case HF_VISIONARENA:
    case HF_MMVU:
    case HF_MMSTAR:
        return hf_vision(j, err);
    case HF_ASR:
        return hf_asr(j, err);
    case HF_BFCL: /* handled before any file is opened */
        return sb_err_set(err, "internal: BFCL reached the row reader");
    default:
        return templated(j->c, j->cls, j->rows, j->order, j->rows->file, j->ds, err);
    }
}

int dataset_hf(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    const sb_dataset_opts *o = c->o;
    if (!o->path)
        return sb_err_set(err, "--dataset-name hf needs --dataset-path to a local copy (JSON or "
                               "JSON Lines); servebench does not download datasets");
    if (!c->t)
        return sb_err_set(err, "hf dataset needs a tokenizer");
    char id[128] = "";
    const hf_class *cls = hf_pick(o->hf_name, o->path, id, sizeof id);
    if (o->bfcl_categories && (!cls || cls->kind != HF_BFCL))
        return sb_err_set(err,
                          "--bfcl-categories is for the BFCL set (--hf-name "
                          "gorilla-llm/Berkeley-Function-Calling-Leaderboard); %s is %s",
                          o->path, cls ? id : "not recognised as it");
    if (cls && cls->kind == HF_BFCL)
        return hf_bfcl(c, ds, err);
    /* the class flags act on their class only: given to another, they would do nothing */
    if ((o->blazedit_min_distance != 0.0 || o->blazedit_max_distance != 1.0) &&
        (!cls || cls->kind != HF_BLAZEDIT))
        return sb_err_set(err,
                          "--blazedit-min/max-distance are for the blazedit sets "
                          "(vdaita/edit_5k_char, vdaita/edit_10k_char); %s is %s",
                          o->path, cls ? id : "not recognised as one");
    if ((o->asr_min_audio_len_sec != 0.0 || o->asr_max_audio_len_sec != HUGE_VAL) &&
        (!cls || cls->kind != HF_ASR))
        return sb_err_set(err,
                          "--asr-min/max-audio-len-sec are for the ASR sets (e.g. "
                          "openslr/librispeech_asr); %s is %s",
                          o->path, cls ? id : "not recognised as one");
    char file[4096];
    if (resolve_file(o, cls, file, sizeof file, err) != 0)
        return -1;
    hf_rows rows = {.file = file, .fd = open(file, O_RDONLY)};
    if (rows.fd < 0)
        return sb_err_set(err, "cannot open %s: %s", file, strerror(errno));
    sb_buf_init(&rows.slice);
    int rc = dataset_scan_rows(file, rows.fd, &rows.scan, err);
    if (rc == 0 && !cls && rows.scan.n) {
        json_t *first = hf_row(&rows, 0, err);
        rc = first ? 0 : -1;
        if (json_object_get(first, "conversations"))
            cls = &hf_classes[0]; /* the legacy rule: any set with a conversations column */
        json_decref(first);
    }
    if (rc == 0 && !cls) {
        sb_err_set(err, "%s: unknown hf dataset; give --hf-name (supported: %s)", o->path,
                   supported_ids);
        rc = -1; /* in the analyzer's sight: cls is read below only when rc == 0 */
    }
    size_t n = rows.scan.n;
    size_t *order = sb_xmalloc((n ? n : 1) * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    if (rc == 0 && !o->disable_shuffle)
        hf_order(n, o->seed, !o->no_stream, order);
    if (rc == 0 && n == 0)
        rc = sb_err_set(err, "%s: no rows (an empty file)", file);
    if (rc == 0) {
        hf_job j = {.c = c, .cls = cls, .id = id, .rows = &rows, .order = order, .ds = ds};
        rc = run_class(&j, err);
    }
    free(order);
    dataset_scan_free(&rows.scan);
    sb_buf_free(&rows.slice);
    close(rows.fd);
    return rc;
}
