/* SPDX-License-Identifier: Apache-2.0 */
/* dataset.h - what a benchmark sends: a list of requests built from a dataset.
 *
 * One file per dataset (ds_random.c, ds_sharegpt.c, ds_sonnet.c, ds_burstgpt.c,
 * ds_custom.c, ds_hf.c, ds_prefix_rep.c, ...) produces sb_request values with
 * the reference's sampling (vllm/benchmarks/datasets/datasets.py: get_samples). All memory of a
 * dataset (prompts included) lives in its arenas and is freed by dataset_free. */
#ifndef SB_DATASET_H
#define SB_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/prompt.h"
#include "core/err.h"
#include "core/rng.h"
#include "tokenizer/tokenizer.h"

typedef struct sb_request {
    /* UTF-8, NUL-terminated. Prompts decoded from random ids (random,
     * burstgpt, prefix_repetition) can hold NUL bytes (GPT-2's byte token 0),
     * which the reference sends as \u0000: use prompt_bytes, not strlen. */
    const char *prompt;
    size_t prompt_bytes;
    int32_t prompt_len; /* client-side token count, as the reference computes it */
    int32_t output_len; /* expected output length: max_tokens / max_completion_tokens */
    double timestamp_s; /* arrival offset from a trace (burstgpt timestamps), or -1 */
    int has_request_id; /* 0 for datasets whose requests carry no id (prefix_repetition) */
    /* Whole conversation when the dataset has one (sharegpt, hf Conversation):
     * turns[k] spoken by roles[k] ("human", "gpt", ...). n_turns = 0 otherwise. */
    const char *const *turns;
    const char *const *roles;
    uint32_t n_turns;
    /* conversations dataset: each turn's content tokens when the dataset made
     * them exact (synthetic conversations; sessions then count nothing), and
     * the conversation's id (upstream's "id", or CONV_ID_<n>); else NULL. */
    const int32_t *turn_tokens;
    const char *conv_id;
    /* Prompt forms other than one text (core/prompt.h); all of it lives in
     * the dataset's arenas. */
    sb_prompt_forms forms;
    /* custom_audio Whisper style: the audio's duration in seconds (frames /
     * sample rate, as soundfile.info reports it), 0 otherwise. */
    double audio_duration_s;
} sb_request;

/* What a trace dataset (mooncake) knows about its rows, for the report;
 * all zero for other datasets. */
typedef struct sb_dataset_trace {
    bool present;
    size_t rows_used;       /* trace rows (sessions) behind the requests */
    size_t rows_skipped;    /* bad rows skipped (without --strict) */
    uint64_t prompt_tokens; /* over all requests, in send order */
    uint64_t shared_tokens; /* of those, tokens of blocks an earlier request sent */
} sb_dataset_trace;

typedef struct sb_dataset {
    sb_request *reqs;
    size_t n;
    sb_arena arena;
    char *warning; /* non-fatal note for the user (e.g. token mismatches), or NULL */
    char *info;    /* the reference's INFO log lines (sampling ranges, oversampling), or NULL */
    /* Python's global `random` as the reference leaves it after sampling (seeded
     * with --seed, re-seeded and drawn from by some datasets): the run draws the
     * --lora-modules choices from it, as vllm/benchmarks/serve.py: benchmark does. */
    py_random py_global;
    /* Extra arenas filled by worker threads (random dataset); freed with the set. */
    sb_arena *extra_arenas;
    size_t n_extra_arenas;
    sb_dataset_trace trace;
    /* --multi-turn: turns[] roles are "user"/"assistant"/"system", and
     * conversations without a user turn (or with unknown roles) were skipped */
    bool multi_turn;
    size_t conv_skipped;
} sb_dataset;

/* Builds the requests described by opts. tok may be NULL only for datasets
 * that need no tokenizer. backend decides sonnet's raw vs templated prompt.
 * Returns 0, or -1 with err naming file and line/offset where relevant. */
int dataset_load(const sb_dataset_opts *opts, const tok *tok, const char *backend, sb_dataset *out,
                 sb_err *err);
void dataset_free(sb_dataset *ds);
/* Range checks on every count and length flag of opts (and the warm-up
 * count), and an estimate of the memory they need against this machine's:
 * call before anything is allocated. Returns 0, or -1 with err naming the
 * flag and the value as given. dataset_load makes it too. */
int dataset_check_opts(const sb_dataset_opts *opts, long num_warmups, sb_err *err);

/* The `conversations` dataset's file at path: when it is a generation
 * config, its parameters as upstream's multi-turn benchmark prints them
 * ("text_files=...\ninput_num_turns=UniformDistribution[12, 18]\n...")
 * appended to out, returning 1; 0 for a list of conversations (not read
 * past its first character); -1 with err for a bad file. */
int dataset_conversations_params(const char *path, sb_buf *out, sb_err *err);

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
