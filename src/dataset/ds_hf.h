/* SPDX-License-Identifier: Apache-2.0 */
/* ds_hf.h - what the hf dataset files share (ds_hf.c picks the class and
 * reads the rows; ds_hf_sets.c and ds_hf_bfcl.c build the classes that are
 * more than one templated text). Private to src/dataset/. */
#ifndef SB_DS_HF_H
#define SB_DS_HF_H

#include <stddef.h>

#include "dataset/ds_internal.h"

/* The reference's HuggingFaceDataset subclasses (vllm/benchmarks/datasets/datasets.py). */
typedef enum hf_kind {
    HF_CONV,
    HF_INSTRUCTCODER,
    HF_MTBENCH,
    HF_HUMANEVAL,
    HF_GSM8K,
    HF_AIMO,
    HF_MMCONV,
    HF_BLAZEDIT,
    HF_MLPERF,
    HF_NEP,
    HF_VISIONARENA,
    HF_MMVU,
    HF_MMSTAR,
    HF_ASR,
    HF_BFCL
} hf_kind;

typedef struct hf_class {
    hf_kind kind;
    const char *ids;   /* '|'-separated dataset ids */
    long default_out;  /* DEFAULT_OUTPUT_LEN; -1: from the row */
    const char *split; /* the split get_samples defaults to; NULL = "train" */
} hf_class;

/* The rows of the open file: ranges, parsed one at a time on demand. */
typedef struct hf_rows {
    const char *file;
    int fd;
    dataset_scan scan;
    sb_buf slice;
} hf_rows;

/* Row i (0-based), owned by the caller; NULL with err on a JSON error. */
json_t *hf_row(hf_rows *rs, size_t i, sb_err *err);

/* One class's sampling job: rows in the shuffled order, the dataset id the
 * class was chosen by (VisionArena's prompt field depends on it). */
typedef struct hf_job {
    const dataset_ctx *c;
    const hf_class *cls;
    const char *id;
    hf_rows *rows;
    const size_t *order;
    sb_dataset *ds;
} hf_job;

/* The output length: --output-len / --hf-output-len, else the class default. */
long hf_output_len(const hf_job *j);
/* The string column key of row i, or NULL with err naming file, row (and
 * line) and column: missing, or of another JSON type. */
const char *hf_str(const hf_job *j, json_t *row, size_t i, const char *key, sb_err *err);
/* err = "<file>: row N (line L): <what>" for row i. */
int hf_row_err(const hf_job *j, size_t i, sb_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ds_hf_sets.c */
int hf_blazedit(const hf_job *j, sb_err *err);
int hf_mlperf(const hf_job *j, sb_err *err);
int hf_nep(const hf_job *j, sb_err *err);
int hf_vision(const hf_job *j, sb_err *err); /* VisionArena, MMVU, MMStar */
int hf_asr(const hf_job *j, sb_err *err);
/* process_image of the JSON value v (a path/URL string, or {"bytes": base64 text} or
 * {"path": ...}) appended to parts as an image_url part; -1 with err (no prefix). */
int hf_image_part(json_t *v, sb_buf *parts, sb_err *err);

/* ds_hf_bfcl.c: BFCLDataset from a folder of BFCL_v3_<category>.json files. */
int hf_bfcl(const dataset_ctx *c, sb_dataset *ds, sb_err *err);

#endif
