/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_dataset_rows.c - libFuzzer target for the row checks of the JSONL
 * datasets added with the multimodal work: timed_trace (ds_timed_trace.c),
 * custom_image and custom_audio (ds_custom_mm.c), through the public
 * dataset_load with the input written to a temp .jsonl file.
 *
 * Byte 0 picks the dataset and its mode (timed_trace; custom_image plain or
 * --enable-multimodal-chat; custom_audio chat or Whisper style), byte 1 the
 * chunk size and output length; the rest is the file. Audio rows must not
 * make the fuzzer read the disk at large: each line's "audio" path is moved
 * into a private directory holding one tiny WAV ("a.wav", a copy of
 * tests/data/datasets/mm/tone16.wav), and a line that does not parse here but
 * could name a path ('/' or a \u escape) is replaced by a broken one. Images
 * are never fetched (--custom-ensure-client-side-data stays off). Any input
 * must give requests or an sb_err, never a crash, a leak or UB. The
 * tokenizer is GPT-2 from tests/data (SB_FUZZ_TOKENIZER overrides); run from
 * the source root:
 *   build-fuzz/tests/fuzz/fuzz_dataset_rows -max_total_time=60 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/file.h"
#include "dataset/dataset.h"

static tok *g_tok;
static char g_dir[64];

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "fuzz_dataset_rows: %s: %s\n", what, msg);
    abort();
}

/* Removes the private directory when the fuzzer exits. */
static void remove_dir(void)
{
    char p[96];
    snprintf(p, sizeof p, "%s/a.wav", g_dir);
    unlink(p);
    rmdir(g_dir);
}

/* A private directory with one tiny WAV for audio rows to name. */
static void make_dir(void)
{
    sb_err err;
    sb_buf wav;
    sb_buf_init(&wav);
    if (sb_read_file("tests/data/datasets/mm/tone16.wav", &wav, &err) != 0)
        die("tone16.wav (run from the source root)", err.msg);
    snprintf(g_dir, sizeof g_dir, "/tmp/fuzz_dataset_rows_%d", (int)getpid());
    char wav_path[96];
    snprintf(wav_path, sizeof wav_path, "%s/a.wav", g_dir);
    mkdir(g_dir, 0700); /* may be left from an earlier process of this pid */
    FILE *f = fopen(wav_path, "wb");
    if (!f)
        die(g_dir, "cannot create");
    fwrite(wav.data, 1, wav.len, f);
    fclose(f);
    sb_buf_free(&wav);
    atexit(remove_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *p = getenv("SB_FUZZ_TOKENIZER");
    sb_err err;
    g_tok = tok_load(p ? p : "tests/data/datasets/gpt2", &err);
    if (!g_tok)
        die("tokenizer", err.msg);
    make_dir();
    return 0;
}

static int may_name_a_path(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '/' || (p[i] == '\\' && i + 1 < n && p[i + 1] == 'u'))
            return 1;
    return 0;
}

/* One audio line into out, its "audio" path moved into g_dir. */
static void audio_line(const char *p, size_t n, sb_buf *out)
{
    json_error_t je;
    json_t *row = json_loadb(p, n, JSON_ALLOW_NUL, &je);
    json_t *a = json_object_get(row, "audio");
    if (!row) {
        if (may_name_a_path(p, n))
            sb_buf_puts(out, "{");
        else
            sb_buf_append(out, p, n);
        return;
    }
    if (json_is_string(a)) {
        const char *name = json_string_value(a), *slash = strrchr(name, '/');
        sb_buf path;
        sb_buf_init(&path);
        sb_buf_printf(&path, "%s/%s", g_dir, slash ? slash + 1 : name);
        json_object_set_new(row, "audio", json_string(path.data));
        sb_buf_free(&path);
    }
    char *text = json_dumps(row, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | JSON_COMPACT);
    sb_buf_puts(out, text ? text : "{");
    free(text);
    json_decref(row);
}

/* The file's bytes: the input, or for audio its lines made safe. */
static void file_bytes(int audio, const unsigned char *d, size_t n, sb_buf *out)
{
    const char *p = (const char *)d, *end = p + n;
    if (!audio) {
        sb_buf_append(out, p, n);
        return;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        audio_line(p, (size_t)(le - p), out);
        if (nl)
            sb_buf_putc(out, '\n');
        p = nl ? nl + 1 : end;
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned pick = data[0] % 5;
    char path[96];
    snprintf(path, sizeof path, "%s/rows.jsonl", g_dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    sb_buf bytes;
    sb_buf_init(&bytes);
    file_bytes(pick >= 3, data + 2, size - 2, &bytes);
    fwrite(bytes.data ? bytes.data : "", 1, bytes.len, f);
    fclose(f);
    sb_buf_free(&bytes);

    sb_config cfg;
    sb_config_defaults(&cfg);
    sb_dataset_opts *o = &cfg.ds;
    static const char *const names[] = {"timed_trace", "custom_image", "custom_image",
                                        "custom_audio", "custom_audio"};
    free(o->name);
    o->name = sb_xstrdup(names[pick]);
    o->path = sb_xstrdup(path);
    o->num_prompts = 1 + (data[0] >> 5); /* 1..8, often more than the rows */
    o->no_oversample = data[0] & 0x10;
    o->timed_trace_chunk_hash_size = 1 + data[1] % 32;
    o->timed_trace_hash_seed = data[1];
    o->custom_output_len = data[1] & 0x80 ? -1 : data[1];
    o->enable_multimodal_chat = pick == 2 || pick == 3;
    o->skip_chat_template = data[1] & 0x40;
    const char *backend = pick == 0 ? "openai" : pick == 4 ? "openai-audio" : "openai-chat";
    sb_dataset ds;
    sb_err err;
    sb_err_clear(&err);
    if (dataset_load(o, g_tok, backend, &ds, &err) == 0)
        dataset_free(&ds);
    else if (!err.msg[0])
        abort();
    sb_config_free(&cfg);
    unlink(path);
    return 0;
}
