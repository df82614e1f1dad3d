/* dataset.h - what a benchmark sends: a list of requests built from a dataset.
 *
 * One file per dataset (ds_random.c, ds_sharegpt.c, ds_sonnet.c, ds_burstgpt.c,
 * ds_custom.c, ds_hf.c, ds_prefix_rep.c, ...) produces sb_request values with
 * the reference's sampling (reference doc section 4). All memory of a dataset
 * (prompts included) lives in its arenas and is freed by dataset_free. */
#ifndef SB_DATASET_H
#define SB_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/config.h"
#include "core/arena.h"
#include "core/err.h"
#include "tokenizer/tokenizer.h"

typedef struct sb_request {
    /* UTF-8, NUL-terminated. Prompts decoded from random ids (random,
     * burstgpt, prefix_repetition) can hold NUL bytes (GPT-2's byte token 0),
     * which the reference sends as \u0000: use prompt_bytes, not strlen. */
    const char *prompt;
    size_t prompt_bytes;
    int32_t prompt_len;  /* client-side token count, as the reference computes it */
    int32_t output_len;  /* expected output length: max_tokens / max_completion_tokens */
    double timestamp_s;  /* arrival offset from a trace (burstgpt timestamps), or -1 */
    int has_request_id;  /* 0 for datasets whose requests carry no id (prefix_repetition) */
    /* Whole conversation when the dataset has one (sharegpt, hf Conversation):
     * turns[k] spoken by roles[k] ("human", "gpt", ...). n_turns = 0 otherwise. */
    const char *const *turns;
    const char *const *roles;
    uint32_t n_turns;
    /* Prompt forms other than one text (the reference's SampleRequest.prompt
     * may be a list). At most one of ids / texts is set; prompt is then "".
     *  - ids: token ids sent as the prompt itself (timed_trace);
     *  - texts: a list of strings (--random-batch-size > 1 batches for the
     *    embeddings backends; random-rerank: texts[0] = query, rest = documents).
     * mm_parts: multimodal content parts (random-mm, custom_image,
     * custom_audio), pre-rendered in Python json.dumps style as JSON objects
     * joined by ", " (no brackets); chat bodies put them after the text part.
     * All of it lives in the dataset's arenas. */
    const int32_t *ids;
    uint32_t n_ids;
    const char *const *texts;
    const size_t *text_bytes;
    uint32_t n_texts;
    const char *mm_parts;
    size_t mm_parts_bytes;
    /* mm_parts is the whole content list (the prompt was already a list of
     * parts: custom_image "content" rows, --enable-multimodal-chat), so chat
     * bodies add no text part of their own. */
    bool mm_content_only;
    /* custom_audio Whisper style (openai-audio, reference 3.8/4.7): the row's
     * audio re-written as 16-bit WAV (core/wav.c) and its duration in seconds
     * (frames / sample rate, as soundfile.info reports it). NULL/0 otherwise. */
    const unsigned char *audio_wav;
    size_t audio_wav_bytes;
    double audio_duration_s;
} sb_request;

typedef struct sb_dataset {
    sb_request *reqs;
    size_t n;
    sb_arena arena;
    char *warning; /* non-fatal note for the user (e.g. token mismatches), or NULL */
    char *info;    /* the reference's INFO log lines (sampling ranges, oversampling), or NULL */
    /* Extra arenas filled by worker threads (random dataset); freed with the set. */
    sb_arena *extra_arenas;
    size_t n_extra_arenas;
} sb_dataset;

/* Builds the requests described by opts. tok may be NULL only for datasets
 * that need no tokenizer. backend decides sonnet's raw vs templated prompt.
 * Returns 0, or -1 with err naming file and line/offset where relevant. */
int dataset_load(const sb_dataset_opts *opts, const tok *tok, const char *backend, sb_dataset *out,
                 sb_err *err);
void dataset_free(sb_dataset *ds);

/* Names accepted by --dataset-name, NULL-terminated (for help and validation). */
extern const char *const dataset_names[];

/* Summary of one length column (dataset stats). */
typedef struct dataset_len_stats {
    double min, max, avg, p50, p90, p95, p99;
} dataset_len_stats;

/* Input, output and total (input + output) length statistics of ds;
 * percentiles are linear interpolation (numpy's default). ds->n must be > 0. */
void dataset_stats(const sb_dataset *ds, dataset_len_stats *in, dataset_len_stats *out,
                   dataset_len_stats *total);

#endif
