/* SPDX-License-Identifier: Apache-2.0 */
/* ds_custom_mm.c - the `custom_image` and `custom_audio` datasets,
 * vllm/benchmarks/datasets/datasets.py: CustomDataset.sample (CustomImageDataset,
 * CustomAudioDataset): JSON Lines rows shuffled with CPython random seeded by --seed, the first N
 * kept (N <= 0: all), then oversampled like `custom`. Neither applies a chat template in the chat
 * path; prompt_len counts the raw prompt with special tokens.
 *
 *  - custom_image: "prompt" + "image_files" (every file, in order), each by
 *    the image rule of vllm/benchmarks/datasets/datasets.py: HuggingFaceDataset: http://, https://,
 * file:// and data:image/ strings are sent as they are, anything else as file://<path>. Expected
 * output = --custom-output-len (`or 0`). A "content" row (reference [newest]) is sent as its own
 * content list (ds_mm_parts.c); with --enable-multimodal-chat a prompt row becomes the reference's
 * chat message, sent as it is.
 *  - custom_audio (chat style, --enable-multimodal-chat): the file is read
 *    and re-written as 16-bit WAV (media/wav.c, as python-soundfile does) and
 *    sent as an input_audio part.
 *  - custom_audio (Whisper style, no --enable-multimodal-chat, --backend
 *    openai-audio): the same WAV bytes ride on the request (audio_wav) with
 *    their duration; the prompt is never sent (the form has no prompt field)
 *    but is chat-templated, when the tokenizer has a template and
 *    --skip-chat-template is off, for prompt_len. Without a tokenizer the
 *    reference attaches no audio and its request function raises, so that is
 *    an error here.
 *
 * Parts are pre-rendered here (sb_request.mm_parts); openai_chat.c puts them
 * after the text part, or alone when mm_content_only is set. */
#include <ctype.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "core/curl_dl.h"
#include "core/file.h"
#include "media/png.h"
#include "media/wav.h"
#include "dataset/ds_mm.h"

typedef struct mm_row {
    const char *prompt;
    const char *aux; /* custom_image: rendered parts; custom_audio: the audio path */
    long output_tokens;
    size_t line_no;
    bool content_only; /* a "content" row: aux is the whole content list */
} mm_row;

typedef struct mm_rows {
    mm_row *v;
    size_t n, cap;
    sb_arena *arena;
    const char *path;
    int audio;
    bool inline_images; /* --custom-ensure-client-side-data */
} mm_rows;

static mm_row *rows_push(mm_rows *rows, const char *prompt, const char *aux, size_t aux_len,
                         long output_tokens, size_t line_no)
{
    if (rows->n == rows->cap) {
        rows->cap = rows->cap ? rows->cap * 2 : 64;
        rows->v = sb_xrealloc(rows->v, rows->cap * sizeof *rows->v);
    }
    rows->v[rows->n] =
        (mm_row){sb_arena_strdup(rows->arena, prompt), sb_arena_strndup(rows->arena, aux, aux_len),
                 output_tokens, line_no, false};
    return &rows->v[rows->n++];
}

/* int(output_tokens) when that is a usable count (0..INT32_MAX), else -1:
 * a float outside long's range must never reach the cast (UB). */
static long row_output_tokens(json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        return n >= 0 && n <= INT32_MAX ? (long)n : -1;
    }
    double d = json_is_real(v) ? json_real_value(v) : -1.0;
    return d > -1.0 && d < (double)INT32_MAX + 1.0 ? (long)d : -1;
}

/* ---- --custom-ensure-client-side-data (reference process_image) ---- */

static size_t curl_collect(char *p, size_t size, size_t n, void *ud)
{
    sb_buf_append(ud, p, size * n);
    return size * n;
}

/* GET url into out: vLLM's fetch has a 5 s timeout (VLLM_IMAGE_FETCH_TIMEOUT). */
static int http_get(const char *url, sb_buf *out, sb_err *err)
{
    if (sb_curl_ready("downloading an image URL", err) != 0)
        return -1;
    CURL *c = curl_easy_init();
    if (!c)
        return sb_err_set(err, "cannot start libcurl");
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        return sb_err_set(err, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
    if (status != 200)
        return sb_err_set(err, "HTTP %ld", status);
    return 0;
}

/* file://PATH as urllib's url2pathname reads it: %XX decoded. */
static char *file_url_path(const char *url)
{
    const char *s = url + strlen("file://");
    char *p = sb_xmalloc(strlen(s) + 1), *o = p;
    for (; *s; s++) {
        if (*s == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
            char hex[3] = {s[1], s[2], '\0'};
            *o++ = (char)strtol(hex, NULL, 16);
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return p;
}

/* The image string s as the reference sends it with ensure_client_side_data:
 * data:image/ URLs as they are, anything else (after the image rule's
 * file:// prefix) fetched, decoded, converted to RGB and re-encoded as PNG
 * (media/png.h). */
static int inline_image(const char *s, sb_buf *url_out, sb_err *err)
{
    sb_buf_reset(url_out);
    if (!strncmp(s, "data:image/", 11)) {
        sb_buf_puts(url_out, s);
        return 0;
    }
    sb_buf url, bytes;
    sb_buf_init(&url);
    sb_buf_init(&bytes);
    bool scheme =
        !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8) || !strncmp(s, "file://", 7);
    sb_buf_printf(&url, "%s%s", scheme ? "" : "file://", s);
    int rc;
    if (!strncmp(url.data, "file://", 7)) {
        char *path = file_url_path(url.data);
        rc = sb_read_file(path, &bytes, err);
        free(path);
    } else {
        rc = http_get(url.data, &bytes, err);
    }
    if (rc == 0)
        rc = sb_png_data_url((const unsigned char *)bytes.data, bytes.len, url.data, url_out, err);
    if (rc != 0)
        sb_err_prefix(err, "Invalid image URL: %s: ", url.data);
    sb_buf_free(&url);
    sb_buf_free(&bytes);
    return rc;
}

/* Replaces the image strings of a "content" list by their data URLs, so that
 * mm_content_parts (which keeps data:image/ URLs as they are) renders the
 * reference's parts; malformed parts are left for it to report. */
static int inline_content(json_t *content, sb_err *err)
{
    size_t i;
    json_t *part;
    sb_buf u;
    sb_buf_init(&u);
    int rc = 0;
    json_array_foreach(content, i, part)
    {
        const char *type = json_string_value(json_object_get(part, "type"));
        json_t *holder = NULL;
        const char *key = NULL;
        if (type && !strcmp(type, "image"))
            holder = part, key = "image";
        else if (type && !strcmp(type, "image_url") &&
                 json_is_string(json_object_get(part, "image_url")))
            holder = part, key = "image_url";
        else if (type && !strcmp(type, "image_url"))
            holder = json_object_get(part, "image_url"), key = "url";
        json_t *v = holder ? json_object_get(holder, key) : NULL;
        if (!json_is_string(v))
            continue;
        if ((rc = inline_image(json_string_value(v), &u, err)) != 0) {
            sb_err_prefix(err, "content[%zu]: ", i);
            break;
        }
        json_object_set_new(holder, key, json_stringn(u.data, u.len));
    }
    sb_buf_free(&u);
    return rc;
}

/* A "content" row (reference [newest]): its parts are the whole content. */
static int content_row(mm_rows *rows, json_t *content, size_t line_no, sb_err *err)
{
    sb_buf parts, text;
    sb_buf_init(&parts);
    sb_buf_init(&text);
    int rc = rows->inline_images && json_is_array(content) ? inline_content(content, err) : 0;
    if (rc == 0)
        rc = mm_content_parts(content, &parts, &text, err);
    if (rc == 0)
        rows_push(rows, text.data ? text.data : "", parts.data, parts.len, -1, line_no)
            ->content_only = true;
    else
        sb_err_prefix(err, "%s:%zu: ", rows->path, line_no);
    sb_buf_free(&parts);
    sb_buf_free(&text);
    return rc;
}

static int image_row(mm_rows *rows, json_t *row, size_t line_no, sb_err *err)
{
    json_t *prompt = json_object_get(row, "prompt");
    json_t *files = json_object_get(row, "image_files");
    json_t *content = json_object_get(row, "content");
    if (content) /* sample() looks at "content" first */
        return content_row(rows, content, line_no, err);
    if (!(prompt && files))
        return sb_err_set(err,
                          "%s:%zu: each custom image dataset line must contain either "
                          "'prompt' and 'image_files' fields, or a 'content' field",
                          rows->path, line_no);
    if (!json_is_string(prompt))
        return sb_err_set(err, "%s:%zu: 'prompt' must be a string", rows->path, line_no);
    if (!json_is_array(files) || json_array_size(files) == 0)
        return sb_err_set(err, "%s:%zu: 'image_files' must be a non-empty list", rows->path,
                          line_no);
    sb_buf parts, url;
    sb_buf_init(&parts);
    sb_buf_init(&url);
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f)
    {
        if (!json_is_string(f)) {
            sb_buf_free(&parts);
            sb_buf_free(&url);
            return sb_err_set(err,
                              "%s:%zu: image_files[%zu] must be a string (URL, file path "
                              "or base64 data URL)",
                              rows->path, line_no, i);
        }
        if (rows->inline_images && inline_image(json_string_value(f), &url, err) != 0) {
            sb_buf_free(&parts);
            sb_buf_free(&url);
            return sb_err_prefix(err, "%s:%zu: image_files[%zu]: ", rows->path, line_no, i);
        }
        mm_image_url_part(&parts, rows->inline_images ? url.data : json_string_value(f), NULL);
    }
    sb_buf_free(&url);
    rows_push(rows, json_string_value(prompt), parts.data, parts.len, -1, line_no);
    sb_buf_free(&parts);
    return 0;
}

static int audio_row(mm_rows *rows, json_t *row, size_t line_no, sb_err *err)
{
    json_t *prompt = json_object_get(row, "prompt");
    json_t *audio = json_object_get(row, "audio");
    if (!json_is_string(prompt))
        return sb_err_set(err, "%s:%zu: no string \"prompt\" field", rows->path, line_no);
    if (!json_is_string(audio))
        return sb_err_set(err, "%s:%zu: no string \"audio\" field (the audio file's path)",
                          rows->path, line_no);
    json_t *ot = json_object_get(row, "output_tokens");
    rows_push(rows, json_string_value(prompt), json_string_value(audio), json_string_length(audio),
              ot ? row_output_tokens(ot) : -1, line_no);
    return 0;
}

static int mm_row_cb(void *ctx, json_t *row, size_t line_no, sb_err *err)
{
    mm_rows *rows = ctx;
    return rows->audio ? audio_row(rows, row, line_no, err) : image_row(rows, row, line_no, err);
}

static int load_mm_rows(const dataset_ctx *c, mm_rows *rows, const char *what, sb_err *err)
{
    if (!c->o->path)
        return sb_err_set(err, "--dataset-name %s needs --dataset-path (a .jsonl file)", what);
    if (!dataset_ends_with(c->o->path, ".jsonl"))
        return sb_err_set(err, "%s: only JSONL format is supported for %s", c->o->path, what);
    bool whisper = rows->audio && !c->o->enable_multimodal_chat;
    const char *need = whisper ? "openai-audio" : "openai-chat";
    bool ok = rows->audio ? !strcmp(c->backend, need) : dataset_backend_takes_images(c->backend);
    if (!ok)
        return sb_err_set(err, "--dataset-name %s%s sends %s and needs --backend %s (got %s)%s",
                          what, rows->audio ? (whisper ? " (Whisper style)" : " (chat style)") : "",
                          rows->audio ? "audio" : "images", need, c->backend,
                          whisper ? "; add --enable-multimodal-chat for chat audio models" : "");
    if (whisper && !c->t)
        return sb_err_set(err, "--dataset-name custom_audio (Whisper style) needs a tokenizer: "
                               "without one the reference attaches no audio to the requests "
                               "and its openai-audio request function fails");
    sb_buf data;
    sb_buf_init(&data);
    int rc = sb_read_file(c->o->path, &data, err);
    if (rc == 0)
        rc = dataset_jsonl_each(c->o->path, &data, mm_row_cb, rows, err);
    sb_buf_free(&data);
    if (rc == 0 && rows->n == 0)
        rc = sb_err_set(err, "%s: no rows", c->o->path);
    if (rc == 0 && !c->o->disable_shuffle) {
        py_random_seed(c->py_global, c->o->seed);
        py_random_shuffle(c->py_global, rows->v, rows->n, sizeof *rows->v);
    }
    return rc;
}

/* The input_audio part of one row (custom_audio chat style). */
static int audio_part(const char *path, sb_buf *parts, sb_err *err)
{
    sb_buf wav;
    sb_buf_init(&wav);
    int rc = sb_wav_reencode(path, &wav, err);
    if (rc == 0) {
        sb_buf_puts(parts, "{\"type\": \"input_audio\", \"input_audio\": {\"data\": \"");
        sb_b64_encode(parts, wav.data, wav.len);
        sb_buf_puts(parts, "\", \"format\": \"wav\"}}");
    }
    sb_buf_free(&wav);
    return rc;
}

/* Whisper style: the row's WAV bytes and duration onto r, and the prompt
 * chat-templated when the tokenizer has a template (vllm/benchmarks/datasets/datasets.py:
 * CustomDataset.sample). */
static int whisper_row(const dataset_ctx *c, const mm_row *row, sb_dataset *ds, sb_request *r,
                       sb_buf *wav, sb_buf *prompt, sb_err *err)
{
    sb_buf_reset(wav);
    sb_buf_reset(prompt);
    if (sb_wav_reencode(row->aux, wav, err) != 0 ||
        sb_wav_duration(wav, 0, &r->audio_duration_s, err) != 0)
        return -1;
    r->forms.audio_wav = (const unsigned char *)sb_arena_strndup(&ds->arena, wav->data, wav->len);
    r->forms.audio_wav_bytes = wav->len;
    if (!c->o->skip_chat_template && tok_chat_template(c->t))
        return dataset_chat_user(c, row->prompt, prompt, err);
    sb_buf_puts(prompt, row->prompt);
    return 0;
}

static int sample_whisper(const dataset_ctx *c, const mm_rows *rows, const mm_row *row, long out,
                          sb_dataset *ds, tok_ids *scratch, sb_buf *wav, sb_err *err)
{
    sb_request r = {0};
    sb_buf prompt;
    sb_buf_init(&prompt);
    int32_t plen = 1;
    int rc = whisper_row(c, row, ds, &r, wav, &prompt, err);
    if (rc == 0)
        rc = dataset_count_tokens(c->t, prompt.data ? prompt.data : "", prompt.len, true, scratch,
                                  &plen, err);
    if (rc == 0) {
        sb_request *q = dataset_push(ds);
        dataset_set_prompt(ds, q, prompt.data ? prompt.data : "", prompt.len);
        q->prompt_len = plen;
        q->output_len = (int32_t)out;
        q->forms.audio_wav = r.forms.audio_wav;
        q->forms.audio_wav_bytes = r.forms.audio_wav_bytes;
        q->audio_duration_s = r.audio_duration_s;
    } else {
        sb_err_prefix(err, "%s:%zu: ", rows->path, row->line_no);
    }
    sb_buf_free(&prompt);
    return rc;
}

static int sample_one(const dataset_ctx *c, const mm_rows *rows, const mm_row *row, long out,
                      sb_dataset *ds, tok_ids *scratch, sb_buf *parts, sb_err *err)
{
    if (rows->audio && !c->o->enable_multimodal_chat)
        return sample_whisper(c, rows, row, out, ds, scratch, parts, err);
    int32_t plen = 1; /* the reference's value without a tokenizer */
    if (c->t && dataset_count_tokens(c->t, row->prompt, strlen(row->prompt), true, scratch, &plen,
                                     err) != 0)
        return -1;
    sb_buf_reset(parts);
    bool content_only = row->content_only;
    if (!rows->audio && !content_only && c->o->enable_multimodal_chat) {
        /* The prompt becomes a chat message list, which the chat backend
         * sends as it is. */
        mm_chat_wrap(parts, row->prompt, strlen(row->prompt), row->aux, strlen(row->aux));
        content_only = true;
    } else if (!rows->audio) {
        sb_buf_puts(parts, row->aux);
    } else if (c->t && audio_part(row->aux, parts, err) != 0)
        return sb_err_prefix(err, "%s:%zu: ", rows->path, row->line_no);
    sb_request *r = dataset_push(ds);
    dataset_set_prompt(ds, r, row->prompt, strlen(row->prompt));
    r->prompt_len = plen;
    r->output_len = (int32_t)out;
    if (parts->len) {
        r->forms.mm_parts = sb_arena_strndup(&ds->arena, parts->data, parts->len);
        r->forms.mm_parts_bytes = parts->len;
    }
    r->forms.mm_content_only = content_only;
    return 0;
}

/* Output length per row: --custom-output-len; custom_audio reads
 * "output_tokens" when it is -1 (and uses 256 without a tokenizer);
 * custom_image sends `output_len or 0` as the reference does. */
static int row_output(const dataset_ctx *c, const mm_rows *rows, const mm_row *row, long *out,
                      sb_err *err)
{
    long o = c->o->output_len >= 0 ? c->o->output_len : c->o->custom_output_len;
    *out = o;
    if (!rows->audio || o != -1)
        return 0;
    if (!c->t) {
        *out = 256;
        return 0;
    }
    if (row->output_tokens < 0)
        return sb_err_set(err,
                          "%s:%zu: if no output length is provided the custom dataset "
                          "must contain an 'output_tokens' field",
                          rows->path, row->line_no);
    *out = row->output_tokens;
    return 0;
}

static int sample_rows(const dataset_ctx *c, const mm_rows *rows, const char *what, sb_dataset *ds,
                       sb_err *err)
{
    long want = c->o->num_prompts <= 0 ? (long)rows->n : c->o->num_prompts;
    tok_ids scratch;
    tok_ids_init(&scratch);
    sb_buf parts;
    sb_buf_init(&parts);
    int rc = 0;
    for (size_t i = 0; i < rows->n && (long)ds->n < want && rc == 0; i++) {
        long out;
        rc = row_output(c, rows, &rows->v[i], &out, err);
        if (rc == 0)
            rc = sample_one(c, rows, &rows->v[i], out, ds, &scratch, &parts, err);
    }
    tok_ids_free(&scratch);
    sb_buf_free(&parts);
    if (rc == 0)
        rc = dataset_oversample(ds, want, c->o->seed, c->o->no_oversample, what, err);
    return rc;
}

int dataset_custom_image(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    mm_rows rows = {.arena = &ds->arena,
                    .path = c->o->path,
                    .audio = 0,
                    .inline_images = c->o->custom_ensure_client_side_data};
    int rc = load_mm_rows(c, &rows, "custom_image", err);
    if (rc == 0)
        rc = sample_rows(c, &rows, "custom_image", ds, err);
    free(rows.v);
    return rc;
}

int dataset_custom_audio(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    mm_rows rows = {.arena = &ds->arena, .path = c->o->path, .audio = 1};
    int rc = load_mm_rows(c, &rows, "custom_audio", err);
    if (rc == 0)
        rc = sample_rows(c, &rows, "custom_audio", ds, err);
    free(rows.v);
    return rc;
}
