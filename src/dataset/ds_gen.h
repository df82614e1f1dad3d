/* SPDX-License-Identifier: Apache-2.0 */
/* ds_gen.h - `servebench dataset generate`: synthetic custom datasets
 * (TensorRT-LLM prepare_dataset's token-norm-dist / token-unif-dist). */
#ifndef SB_DS_GEN_H
#define SB_DS_GEN_H

#include <stdio.h>

#include "dataset/dataset.h"

typedef enum dataset_gen_dist { DATASET_GEN_NORM, DATASET_GEN_UNIF } dataset_gen_dist;

typedef struct dataset_gen_opts {
    dataset_gen_dist dist;
    long num_requests;
    uint64_t seed;
    double input_mean, input_stdev, output_mean, output_stdev; /* token-norm-dist */
    long input_min, input_max, output_min, output_max;         /* token-unif-dist */
} dataset_gen_opts;

/* Builds o->num_requests prompts whose text encodes (no special tokens) to
 * the drawn input length, each with its drawn output length. */
int dataset_generate(const dataset_gen_opts *o, const tok *t, sb_dataset *ds, sb_err *err);

/* Writes ds as custom-dataset JSON Lines: {"prompt": ..., "output_tokens": N,
 * "prompt_len": N[, "timestamp": s]} (the custom reader ignores the last two;
 * timestamp only for requests that carry one, e.g. burstgpt replays). A
 * prompt that is a list in the reference is written as that list: token ids
 * (timed_trace) or strings (batches). */
int dataset_write_jsonl(const sb_dataset *ds, FILE *f, sb_err *err);

#endif
