/* dataset.h - what a benchmark sends: a list of requests built from a dataset.
 *
 * One file per dataset (random.c, sharegpt.c, sonnet.c, burstgpt.c, custom.c,
 * hf.c, prefix_repetition.c, ...) produces sb_request values with the
 * reference's sampling (reference doc section 4). All memory of a dataset
 * (prompts included) lives in its arena and is freed by dataset_free. */
#ifndef SB_DATASET_H
#define SB_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "cli/config.h"
#include "core/arena.h"
#include "core/err.h"
#include "tokenizer/tokenizer.h"

typedef struct sb_request {
    const char *prompt;  /* UTF-8, NUL-terminated (may contain no NUL inside) */
    size_t prompt_bytes;
    int32_t prompt_len;  /* client-side token count, as the reference computes it */
    int32_t output_len;  /* expected output length: max_tokens / max_completion_tokens */
    double timestamp_s;  /* arrival offset from a trace (burstgpt timestamps), or -1 */
    int has_request_id;  /* 0 for datasets whose requests carry no id (prefix_repetition) */
} sb_request;

typedef struct sb_dataset {
    sb_request *reqs;
    size_t n;
    sb_arena arena;
    char *warning; /* non-fatal note for the user (e.g. token mismatches), or NULL */
} sb_dataset;

/* Builds the requests described by opts. tok may be NULL only for datasets
 * that need no tokenizer. backend decides sonnet's raw vs templated prompt.
 * Returns 0, or -1 with err naming file and line/offset where relevant. */
int dataset_load(const sb_dataset_opts *opts, const tok *tok, const char *backend, sb_dataset *out,
                 sb_err *err);
void dataset_free(sb_dataset *ds);

#endif
