/* SPDX-License-Identifier: Apache-2.0 */
/* ds_hf_sets.c - the hf classes that are more than one templated text
 * (vllm/benchmarks/datasets/datasets.py): BlazeditDataset, MLPerfDataset,
 * NextEditPredictionDataset, VisionArenaDataset, MMVUDataset, MMStarDataset
 * and ASRDataset, read from a local copy (ds_hf.c opens it and shuffles the
 * row order as `datasets` does). Each walks the rows in that order until it
 * has --num-prompts requests, builds the prompt as the reference does, and
 * oversamples. A row without a needed column, or with one of the wrong type,
 * stops the load with file, row (and line) and column. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/pyfmt.h"
#include "dataset/ds_hf.h"
#include "dataset/ds_mm.h"
#include "core/b64.h"
#include "media/jpeg.h"
#include "media/png.h"
#include "media/wav.h"
#include "template/template.h"

/* Oversampling of every class here (maybe_oversample_requests). */
static int finish(const hf_job *j, sb_err *err)
{
    return dataset_oversample(j->ds, j->c->o->num_prompts, j->c->o->seed, j->c->o->no_oversample,
                              "hf", err);
}

/* The next row of the sampling order while the dataset wants more (have <
 * --num-prompts) and nothing failed (*rc == 0): the row, *i its index, *k
 * moved on; NULL when done, or on a read error (*rc = -1, err set). */
static json_t *next_row(const hf_job *j, size_t have, size_t *k, size_t *i, int *rc, sb_err *err)
{
    if (*rc != 0 || *k >= j->rows->scan.n || (long)have >= j->c->o->num_prompts)
        return NULL;
    *i = j->order[(*k)++];
    json_t *row = hf_row(j->rows, *i, err);
    if (!row)
        *rc = -1;
    return row;
}

/* ---- Blazedit ---- */

/* BlazeditDataset.sample: rows whose norm_distance lies in [min, max], the
 * blazedit edit template (the upstream project's create_refined_dataset.py
 * wording, as the reference quotes it), chat-templated unless
 * --skip-chat-template; output 4000 unless given. */
int hf_blazedit(const hf_job *j, sb_err *err)
{
    const sb_dataset_opts *o = j->c->o;
    dataset_rows list = {0};
    sb_buf b;
    sb_buf_init(&b);
    int rc = 0;
    size_t skipped = 0;
    size_t k = 0, i;
    json_t *row;
    while ((row = next_row(j, list.n, &k, &i, &rc, err))) {
        const char *code = hf_str(j, row, i, "code", err);
        const char *req = code ? hf_str(j, row, i, "change_request", err) : NULL;
        json_t *d = json_object_get(row, "norm_distance");
        if (!code || !req)
            rc = -1;
        else if (!json_is_number(d))
            rc = d ? hf_row_err(j, i, err, "column 'norm_distance' is not a number")
                   : hf_row_err(j, i, err, "no 'norm_distance' column");
        if (rc == 0) {
            double nd = json_number_value(d);
            if (nd < o->blazedit_min_distance || nd > o->blazedit_max_distance) {
                skipped++;
            } else {
                sb_buf_reset(&b);
                sb_buf_printf(&b,
                              "Given a code file, please apply the change requests and generate "
                              "the new file.\n\nOriginal file:\n```python\n%s\n```\n\nChange "
                              "request:\n%s\n\nPlease generate the new code file in the \"New "
                              "file\" section below.",
                              code, req);
                size_t line = j->rows->scan.rows[i].line ? j->rows->scan.rows[i].line : i + 1;
                dataset_rows_push(&list, &j->ds->arena, b.data, -1, line);
            }
        }
        json_decref(row);
    }
    if (rc == 0 && skipped)
        dataset_info(j->ds,
                     "blazedit: %zu rows outside --blazedit-min-distance %g .. "
                     "--blazedit-max-distance %g skipped",
                     skipped, o->blazedit_min_distance, o->blazedit_max_distance);
    dataset_sample_opts so = {.output_len = hf_output_len(j),
                              .chat_template = !o->skip_chat_template,
                              .seed = o->seed,
                              .what = "hf"};
    if (rc == 0)
        rc = dataset_rows_sample(j->c, &list, j->rows->file, &so, j->ds, err);
    sb_buf_free(&b);
    dataset_rows_free(&list);
    return rc;
}

/* ---- MLPerf ---- */

/* is_valid_sequence with its defaults (min 4, prompt <= 1024, total <= 2048). */
static bool valid_sequence(int32_t plen, int32_t olen)
{
    return !(plen < 4 || olen < 4 || plen > 1024 || plen + olen > 2048);
}

static int chat_render(const dataset_ctx *c, const tmpl_msg *m, size_t n, sb_buf *out, sb_err *err)
{
    if (!tok_chat_template(c->t))
        return sb_err_set(err,
                          "tokenizer %s has no chat template (tokenizer_config.json "
                          "chat_template); this set always applies one",
                          tok_source_path(c->t));
    if (!c->chat) {
        *err = c->chat_err;
        return sb_err_prefix(err, "chat template of %s: ", tok_source_path(c->t));
    }
    tmpl_vars vars = {.bos_token = tok_bos_token(c->t),
                      .eos_token = tok_eos_token(c->t),
                      .add_generation_prompt = true,
                      .kwargs_json = c->o->chat_template_kwargs};
    return tmpl_render(c->chat, m, n, &vars, out, err);
}

/* MLPerfDataset.sample: [system_prompt, question] through the chat template;
 * output = the reference answer's tokens (no special tokens) unless given;
 * rows failing is_valid_sequence are skipped (counted in the info lines). */
int hf_mlperf(const hf_job *j, sb_err *err)
{
    const dataset_ctx *c = j->c;
    long fixed = c->o->output_len >= 0 ? c->o->output_len : c->o->hf_output_len;
    sb_buf fmt;
    sb_buf_init(&fmt);
    tok_ids scratch;
    tok_ids_init(&scratch);
    int rc = 0;
    size_t skipped = 0;
    size_t k = 0, i;
    json_t *row;
    while ((row = next_row(j, j->ds->n, &k, &i, &rc, err))) {
        const char *sys = hf_str(j, row, i, "system_prompt", err);
        const char *q = sys ? hf_str(j, row, i, "question", err) : NULL;
        const char *ans = q ? hf_str(j, row, i, "output", err) : NULL;
        int32_t plen = 0, olen = 0;
        if (!ans) {
            rc = -1;
        } else {
            tmpl_msg m[2] = {{.role = "system", .content = sys}, {.role = "user", .content = q}};
            sb_buf_reset(&fmt);
            rc = chat_render(c, m, 2, &fmt, err);
            if (rc == 0)
                rc = dataset_count_tokens(c->t, fmt.data, fmt.len, true, &scratch, &plen, err);
            if (rc == 0)
                rc = dataset_count_tokens(c->t, ans, strlen(ans), false, &scratch, &olen, err);
        }
        if (rc == 0) {
            int32_t out = fixed >= 0 ? (int32_t)fixed : olen;
            if (!valid_sequence(plen, out)) {
                skipped++;
            } else {
                sb_request *r = dataset_push(j->ds);
                dataset_set_prompt(j->ds, r, fmt.data, fmt.len);
                r->prompt_len = plen;
                r->output_len = out;
            }
        }
        json_decref(row);
    }
    tok_ids_free(&scratch);
    sb_buf_free(&fmt);
    if (rc == 0 && skipped)
        dataset_info(j->ds, "mlperf: %zu rows outside the length limits skipped", skipped);
    return rc == 0 ? finish(j, err) : -1;
}

/* ---- NextEditPrediction (zeta) ---- */

/* _format_zeta_prompt: the zeta instruction with the row's events and input;
 * the expected output is the row's output from the editable-region marker on
 * (Python's find gives -1 when it is absent, so then its last character). */
int hf_nep(const hf_job *j, sb_err *err)
{
    const dataset_ctx *c = j->c;
    if (c->o->output_len >= 0 || c->o->hf_output_len >= 0)
        return sb_err_set(err, "--hf-output-len / --output-len is not supported yet for "
                               "zed-industries/zeta: the reference takes each row's expected "
                               "output length");
    static const char marker[] = "<|editable_region_start|>";
    sb_buf p;
    sb_buf_init(&p);
    tok_ids scratch;
    tok_ids_init(&scratch);
    int rc = 0;
    size_t k = 0, i;
    json_t *row;
    while ((row = next_row(j, j->ds->n, &k, &i, &rc, err))) {
        const char *ev = hf_str(j, row, i, "events", err);
        const char *in = ev ? hf_str(j, row, i, "input", err) : NULL;
        const char *out = in ? hf_str(j, row, i, "output", err) : NULL;
        if (!out) {
            rc = -1;
        } else {
            sb_buf_reset(&p);
            sb_buf_printf(&p,
                          "### Instruction:\nYou are a code completion assistant and your task is "
                          "to analyze user edits and then rewrite an excerpt that the user "
                          "provides, suggesting the appropriate edits within the excerpt, taking "
                          "into account the cursor location.\n\n### User Edits:\n\n%s\n\n### User "
                          "Excerpt:\n\n%s\n\n### Response:\n\n",
                          ev, in);
            const char *at = strstr(out, marker);
            size_t n = strlen(out);
            const char *exp = at ? at : out + (n ? n - 1 : 0);
            int32_t plen, olen;
            rc = dataset_count_tokens(c->t, p.data, p.len, true, &scratch, &plen, err);
            if (rc == 0)
                rc = dataset_count_tokens(c->t, exp, strlen(exp), true, &scratch, &olen, err);
            if (rc == 0) {
                sb_request *r = dataset_push(j->ds);
                dataset_set_prompt(j->ds, r, p.data, p.len);
                r->prompt_len = plen;
                r->output_len = olen;
            }
        }
        json_decref(row);
    }
    tok_ids_free(&scratch);
    sb_buf_free(&p);
    return rc == 0 ? finish(j, err) : -1;
}

/* ---- images and videos ---- */

int hf_image_part(json_t *v, sb_buf *parts, sb_err *err)
{
    if (json_is_string(v)) {
        mm_image_url_part(parts, json_string_value(v), NULL);
        return 0;
    }
    json_t *bytes = json_object_get(v, "bytes"), *path = json_object_get(v, "path");
    if (json_is_object(v) && !json_is_string(bytes) && json_is_string(path)) {
        /* ours: a copy whose image column kept only the file's path */
        mm_image_url_part(parts, json_string_value(path), NULL);
        return 0;
    }
    if (!json_is_string(bytes))
        return sb_err_set(err, "an image must be a path or URL string, or an object with "
                               "\"bytes\" (base64 text) or \"path\"");
    /* process_image: PIL opens the bytes, converts to RGB, saves as JPEG */
    sb_buf raw, jpg;
    sb_buf_init(&raw);
    sb_buf_init(&jpg);
    sb_rgb_image img = {0};
    int rc = sb_b64_decode(&raw, json_string_value(bytes), json_string_length(bytes));
    if (rc != 0)
        rc = sb_err_set(err, "\"bytes\" is not base64 text");
    if (rc == 0)
        rc = sb_img_decode_rgb((const unsigned char *)raw.data, raw.len, "image bytes", &img, err);
    if (rc == 0)
        rc = sb_jpeg_encode_rgb(img.px, img.w, img.h, &jpg, err);
    if (rc == 0) {
        if (parts->len)
            sb_buf_puts(parts, ", ");
        sb_buf_puts(parts, "{\"type\": \"image_url\", \"image_url\": {\"url\": "
                           "\"data:image/jpeg;base64,");
        sb_b64_encode(parts, jpg.data, jpg.len);
        sb_buf_puts(parts, "\"}}");
    }
    sb_rgb_image_free(&img);
    sb_buf_free(&raw);
    sb_buf_free(&jpg);
    return rc;
}

/* process_video: a string is a URL (http://, https://, file://) or a path
 * (file:// added); {"bytes": base64} becomes an mp4 data URL. MMVU's remote
 * URLs are first rewritten onto the local snapshot (root). */
static int video_part(json_t *v, const char *root, sb_buf *parts, sb_err *err)
{
    static const char remote[] = "https://huggingface.co/datasets/yale-nlp/MMVU/resolve/main";
    sb_buf url;
    sb_buf_init(&url);
    int rc = 0;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strncmp(s, remote, sizeof remote - 1))
            sb_buf_printf(&url, "%s%s", root, s + sizeof remote - 1);
        else
            sb_buf_puts(&url, s);
        if (strncmp(url.data, "http://", 7) != 0 && strncmp(url.data, "https://", 8) != 0 &&
            strncmp(url.data, "file://", 7) != 0) {
            sb_buf tmp;
            sb_buf_init(&tmp);
            sb_buf_printf(&tmp, "file://%s", url.data);
            sb_buf_free(&url);
            url = tmp;
        }
    } else if (json_is_string(json_object_get(v, "bytes"))) {
        json_t *b = json_object_get(v, "bytes");
        sb_buf raw;
        sb_buf_init(&raw);
        if (sb_b64_decode(&raw, json_string_value(b), json_string_length(b)) != 0)
            rc = sb_err_set(err, "\"bytes\" is not base64 text");
        sb_buf_puts(&url, "data:video/mp4;base64,");
        sb_b64_encode(&url, raw.data, raw.len);
        sb_buf_free(&raw);
    } else {
        rc = sb_err_set(err, "a video must be a path or URL string, or an object with \"bytes\" "
                             "(base64 text)");
    }
    if (rc == 0) {
        if (parts->len)
            sb_buf_puts(parts, ", ");
        sb_buf_puts(parts, "{\"type\": \"video_url\", \"video_url\": {\"url\": ");
        pyfmt_json_string(parts, url.data, url.len);
        sb_buf_puts(parts, "}}");
    }
    sb_buf_free(&url);
    return rc;
}

/* The local snapshot's root (what hf_api().snapshot_download returns to the
 * reference): --dataset-path when a folder, else the file's folder. */
static void snapshot_root(const hf_job *j, sb_buf *root)
{
    const char *path = j->c->o->path;
    if (strcmp(j->rows->file, path) != 0) {
        sb_buf_puts(root, path);
        return;
    }
    const char *slash = strrchr(path, '/');
    if (slash)
        sb_buf_append(root, path, (size_t)(slash - path));
    else
        sb_buf_puts(root, ".");
}

/* Python's str.strip() of whitespace, into out. */
static void py_strip(const char *s, size_t n, sb_buf *out)
{
    while (n && (*s == ' ' || (*s >= '\t' && *s <= '\r')))
        s++, n--;
    while (n && (s[n - 1] == ' ' || (s[n - 1] >= '\t' && s[n - 1] <= '\r')))
        n--;
    sb_buf_append(out, s, n);
}

/* The prompt text of a vision row into p, and its media part into parts. */
static int vision_row(const hf_job *j, json_t *row, size_t i, const char *root, sb_buf *p,
                      sb_buf *parts, sb_err *err)
{
    sb_buf_reset(p);
    sb_buf_reset(parts);
    switch (j->cls->kind) {
    case HF_VISIONARENA: {
        /* VisionArena-Chat: conversation[0][0]["content"]; bench-v0.1: turns[0][0]["content"] */
        const char *col = strstr(j->id, "bench") ? "turns" : "conversation";
        json_t *m = json_array_get(json_array_get(json_object_get(row, col), 0), 0);
        json_t *t = json_object_get(m, "content");
        if (!json_is_string(t))
            return hf_row_err(j, i, err, "column '%s' has no [0][0][\"content\"] string", col);
        sb_buf_puts(p, json_string_value(t));
        json_t *img = json_array_get(json_object_get(row, "images"), 0);
        if (!img)
            return hf_row_err(j, i, err, "column 'images' is missing or empty");
        if (hf_image_part(img, parts, err) != 0)
            return hf_row_err(j, i, err, "column 'images'[0]: %s", err->msg);
        return 0;
    }
    case HF_MMSTAR: {
        /* item.get("question", "").split("Options:", 1)[0].strip() */
        json_t *q = json_object_get(row, "question");
        if (q && !json_is_string(q))
            return hf_row_err(j, i, err, "column 'question' is not a string");
        const char *s = q ? json_string_value(q) : "";
        const char *cut = strstr(s, "Options:");
        py_strip(s, cut ? (size_t)(cut - s) : strlen(s), p);
        json_t *img = json_object_get(row, "image");
        if (!img)
            return hf_row_err(j, i, err, "no 'image' column");
        if (hf_image_part(img, parts, err) != 0)
            return hf_row_err(j, i, err, "column 'image': %s", err->msg);
        return 0;
    }
    default: { /* MMVU: question + " " + " ".join(f"{k}.{v}" for choices) */
        const char *q = hf_str(j, row, i, "question", err);
        if (!q)
            return -1;
        json_t *ch = json_object_get(row, "choices");
        if (!json_is_object(ch))
            return hf_row_err(j, i, err, "column 'choices' is %s, not an object",
                              ch ? "another type" : "missing");
        sb_buf_printf(p, "%s ", q);
        const char *k;
        json_t *v;
        int first = 1;
        json_object_foreach(ch, k, v)
        {
            if (json_is_string(v))
                sb_buf_printf(p, "%s%s.%s", first ? "" : " ", k, json_string_value(v));
            else if (json_is_integer(v))
                sb_buf_printf(p, "%s%s.%lld", first ? "" : " ", k,
                              (long long)json_integer_value(v));
            else
                return hf_row_err(j, i, err, "column 'choices' value of '%s' is not a string", k);
            first = 0;
        }
        json_t *vid = json_object_get(row, "video");
        if (!vid)
            return hf_row_err(j, i, err, "no 'video' column");
        if (video_part(vid, root, parts, err) != 0)
            return hf_row_err(j, i, err, "column 'video': %s", err->msg);
        return 0;
    }
    }
}

/* VisionArenaDataset, MMVUDataset and MMStarDataset.sample: the row's text
 * (counted with special tokens), its first image or its video; with
 * --enable-multimodal-chat the prompt is the chat content list. Output 128
 * unless given. Only backends that send images take them. */
int hf_vision(const hf_job *j, sb_err *err)
{
    const dataset_ctx *c = j->c;
    if (!dataset_backend_takes_images(c->backend))
        return sb_err_set(err,
                          "hf %s sends %s and needs --backend openai-chat (or a multimodal "
                          "embeddings backend); got %s",
                          j->id, j->cls->kind == HF_MMVU ? "videos" : "images", c->backend);
    sb_buf root;
    sb_buf_init(&root);
    snapshot_root(j, &root);
    long out = hf_output_len(j);
    sb_buf p, parts, wrap;
    sb_buf_init(&p);
    sb_buf_init(&parts);
    sb_buf_init(&wrap);
    tok_ids scratch;
    tok_ids_init(&scratch);
    int rc = 0;
    size_t k = 0, i;
    json_t *row;
    while ((row = next_row(j, j->ds->n, &k, &i, &rc, err))) {
        int32_t plen = 0;
        rc = vision_row(j, row, i, root.data, &p, &parts, err);
        if (rc == 0)
            rc =
                dataset_count_tokens(c->t, p.data ? p.data : "", p.len, true, &scratch, &plen, err);
        if (rc == 0) {
            sb_request *r = dataset_push(j->ds);
            dataset_set_prompt(j->ds, r, p.data ? p.data : "", p.len);
            r->prompt_len = plen;
            r->output_len = (int32_t)out;
            const sb_buf *use = &parts;
            if (c->o->enable_multimodal_chat) {
                sb_buf_reset(&wrap);
                mm_chat_wrap(&wrap, p.data ? p.data : "", p.len, parts.data, parts.len);
                use = &wrap;
                r->forms.mm_content_only = true;
            }
            r->forms.mm_parts = sb_arena_strndup(&j->ds->arena, use->data, use->len);
            r->forms.mm_parts_bytes = use->len;
        }
        json_decref(row);
    }
    tok_ids_free(&scratch);
    sb_buf_free(&p);
    sb_buf_free(&parts);
    sb_buf_free(&wrap);
    sb_buf_free(&root);
    return rc == 0 ? finish(j, err) : -1;
}

/* ---- ASR ---- */

/* The row's audio as WAV bytes in wav (the forms ASRDataset.sample takes: a
 * decoded {"array", "sampling_rate"}, a path string, {"bytes": base64 text}
 * or {"path": ...}). */
static int asr_audio(const hf_job *j, json_t *row, size_t i, sb_buf *wav, sb_err *err)
{
    json_t *a = json_object_get(row, "audio");
    json_t *url = json_object_get(row, "url");
    if (!a && json_is_string(url) && strstr(j->id, "Earnings22-Cleaned")) {
        /* _materialize_local_audio_column: the repo-local MP3 path in "url",
         * under the snapshot root */
        sb_buf path;
        sb_buf_init(&path);
        snapshot_root(j, &path);
        sb_buf_printf(&path, "/%s", json_string_value(url));
        int rc = sb_wav_reencode(path.data, wav, err);
        sb_buf_free(&path);
        return rc == 0 ? 0 : hf_row_err(j, i, err, "column 'url': %s", err->msg);
    }
    if (!a)
        return hf_row_err(j, i, err, "no 'audio' column");
    json_t *arr = json_object_get(a, "array"), *sr = json_object_get(a, "sampling_rate");
    json_t *bytes = json_object_get(a, "bytes"), *path = json_object_get(a, "path");
    int rc;
    if (json_is_object(a) && arr && sr) {
        if (!json_is_array(arr) || !json_is_integer(sr) || json_integer_value(sr) < 1 ||
            json_integer_value(sr) > 1000000)
            return hf_row_err(j, i, err,
                              "column 'audio': \"array\" must be a list of numbers and "
                              "\"sampling_rate\" a positive integer");
        size_t n = json_array_size(arr);
        double *y = sb_xmalloc((n ? n : 1) * sizeof *y);
        for (size_t k = 0; k < n; k++) {
            json_t *x = json_array_get(arr, k);
            if (!json_is_number(x)) {
                free(y);
                return hf_row_err(j, i, err, "column 'audio': \"array\"[%zu] is not a number", k);
            }
            y[k] = json_number_value(x);
        }
        rc = sb_wav_from_doubles(y, n, 1, (int)json_integer_value(sr), "audio array", wav, err);
        free(y);
    } else if (json_is_string(a) ||
               (json_is_object(a) && !json_is_string(bytes) && json_is_string(path))) {
        rc = sb_wav_reencode(json_is_string(a) ? json_string_value(a) : json_string_value(path),
                             wav, err);
    } else if (json_is_object(a) && json_is_string(bytes)) {
        sb_buf raw;
        sb_buf_init(&raw);
        rc = sb_b64_decode(&raw, json_string_value(bytes), json_string_length(bytes));
        if (rc != 0)
            rc = sb_err_set(err, "\"bytes\" is not base64 text");
        else
            rc = sb_wav_reencode_mem(raw.data, raw.len, "audio bytes", wav, err);
        sb_buf_free(&raw);
    } else {
        return hf_row_err(j, i, err,
                          "column 'audio' must provide decoded audio arrays (\"array\" and "
                          "\"sampling_rate\"), embedded audio bytes, or a local audio path");
    }
    if (rc != 0)
        return hf_row_err(j, i, err, "column 'audio': %s", err->msg);
    return 0;
}

/* ASRDataset.sample: the decoder prompt is Whisper's control tokens when the
 * tokenizer's name holds "openai", Cohere's when it holds "cohere", else
 * empty; audio outside [--asr-min-audio-len-sec, --asr-max-audio-len-sec] is
 * skipped (counted); output 1024 unless given. Sent by openai-audio. */
int hf_asr(const hf_job *j, sb_err *err)
{
    const dataset_ctx *c = j->c;
    if (strcmp(c->backend, "openai-audio") != 0)
        return sb_err_set(err,
                          "hf %s sends audio for transcription and needs --backend openai-audio "
                          "(got %s); not supported yet with other backends",
                          j->id, c->backend);
    const char *name = tok_source_path(c->t);
    const char *prompt = "";
    char low[4096];
    size_t n = strlen(name) < sizeof low - 1 ? strlen(name) : sizeof low - 1;
    for (size_t k = 0; k < n; k++)
        low[k] = (char)((name[k] >= 'A' && name[k] <= 'Z') ? name[k] - 'A' + 'a' : name[k]);
    low[n] = '\0';
    if (strstr(name, "openai"))
        prompt = "<|startoftranscript|><|en|><|transcribe|><|notimestamps|>";
    else if (strstr(low, "cohere"))
        prompt = "<|startofcontext|><|startoftranscript|><|emo:undefined|><|en|><|en|><|pnc|>"
                 "<|noitn|><|notimestamp|><|nodiarize|>";
    tok_ids scratch;
    tok_ids_init(&scratch);
    int32_t plen = 0;
    int rc = dataset_count_tokens(c->t, prompt, strlen(prompt), true, &scratch, &plen, err);
    tok_ids_free(&scratch);
    long out = hf_output_len(j);
    double lo = c->o->asr_min_audio_len_sec, hi = c->o->asr_max_audio_len_sec;
    sb_buf wav;
    sb_buf_init(&wav);
    size_t skipped = 0;
    size_t k = 0, i;
    json_t *row;
    while ((row = next_row(j, j->ds->n, &k, &i, &rc, err))) {
        sb_buf_reset(&wav);
        double dur = 0;
        rc = asr_audio(j, row, i, &wav, err);
        if (rc == 0)
            rc = sb_wav_duration(&wav, 0, &dur, err);
        if (rc == 0 && (dur < lo || dur > hi)) {
            skipped++;
        } else if (rc == 0) {
            sb_request *r = dataset_push(j->ds);
            dataset_set_prompt(j->ds, r, prompt, strlen(prompt));
            r->prompt_len = plen;
            r->output_len = (int32_t)out;
            r->forms.audio_wav =
                (const unsigned char *)sb_arena_strndup(&j->ds->arena, wav.data, wav.len);
            r->forms.audio_wav_bytes = wav.len;
            r->audio_duration_s = dur;
        }
        json_decref(row);
    }
    sb_buf_free(&wav);
    if (rc == 0 && skipped)
        dataset_warn(j->ds,
                     "%zu samples discarded from dataset due to their length being outside "
                     "--asr-min-audio-len-sec %g .. --asr-max-audio-len-sec %g",
                     skipped, lo, hi);
    return rc == 0 ? finish(j, err) : -1;
}
