/* SPDX-License-Identifier: Apache-2.0 */
/* ds_mm.h - what the multimodal dataset files share (random-mm's item plan,
 * the image rule of custom_image). Private to src/dataset/. */
#ifndef SB_DS_MM_H
#define SB_DS_MM_H

#include <stdint.h>

#include "dataset/ds_internal.h"

/* One bucket of --random-mm-bucket-config: (H, W, T) -> probability;
 * T == 1 is an image, T > 1 a video. */
typedef struct mm_bucket {
    int64_t h, w, t;
    double p;
} mm_bucket;

/* random-mm's sampling parameters after the reference's
 * get_mm_item_sampling_params (vllm/benchmarks/datasets/datasets.py:
 * RandomMultiModalDataset.sample): buckets with p > 0 in config order, normalised to sum 1; limits
 * of the modalities that have buckets
 * (-1 = modality absent); item counts drawn from [lo, hi]. */
typedef struct mm_plan {
    mm_bucket *b;
    size_t n;
    long limit_image, limit_video;
    long lo, hi;
} mm_plan;

/* Parses --random-mm-bucket-config (a Python literal dict of (H, W, T)
 * tuples, or strings holding them, to numbers) into buckets in dict order
 * (a repeated key keeps its first place and its last value). *out is
 * malloc'd. NULL text = the reference default. */
int mm_parse_buckets(const char *text, mm_bucket **out, size_t *n, sb_err *err);

/* Builds the plan from the options (limits JSON, buckets, base count,
 * range ratio), with the reference's checks and messages; appends the
 * reference's INFO lines to ds. */
int mm_plan_build(const sb_dataset_opts *o, sb_dataset *ds, mm_plan *p, sb_err *err);
void mm_plan_free(mm_plan *p);

/* Appends (", "-joined) the image_url part of an image string by the image
 * rule of vllm/benchmarks/datasets/datasets.py: HuggingFaceDataset; image_url = the row's image_url
 * dict whose other keys follow "url", or NULL. */
void mm_image_url_part(sb_buf *parts, const char *s, json_t *image_url);
/* v written as Python's json.dumps writes it (", " and ": ", ensure_ascii). */
void mm_py_json(sb_buf *out, json_t *v);
/* custom_image "content" rows: appends the checked, rewritten parts and the
 * concatenated text of the text parts. Messages name content[i]. */
int mm_content_parts(json_t *content, sb_buf *parts, sb_buf *text, sb_err *err);
/* apply_multimodal_chat_transformation's content list: a {"text": ...,
 * "type": "text"} part, then parts[0..n) (already rendered). */
void mm_chat_wrap(sb_buf *out, const char *prompt, size_t len, const char *parts, size_t n);

/* Items queued for encoding (ds_mm_encode.c): drawn in order, encoded
 * in parallel. An image holds its pixels; a video (t > 1) holds the
 * generator as it was before its frames were drawn (the caller skipped the
 * stream past them), and the worker draws them frame by frame while
 * encoding. part = the rendered image_url / video_url part once run. */
typedef struct mm_image_job {
    uint8_t *px;
    uint32_t w, h, t;
    np_gen g;
    sb_buf part;
} mm_image_job;

typedef struct mm_encoder {
    mm_image_job *jobs;
    size_t n, cap;
    size_t px_bytes; /* pixels queued, to bound memory */
} mm_encoder;

/* Queues an h x w RGB image; returns its pixel buffer for the caller to fill. */
uint8_t *mm_encoder_add(mm_encoder *e, uint32_t w, uint32_t h);
/* Queues a t-frame h x w video whose t*h*w*3 uint8 draws start at *g, and
 * moves *g past them. */
void mm_encoder_add_video(mm_encoder *e, uint32_t w, uint32_t h, uint32_t t, np_gen *g);
/* Encodes every queued item (JPEG or MP4, base64 part) on all cores. */
int mm_encoder_run(mm_encoder *e, sb_err *err);
/* Drops the queued jobs (after their parts were used). */
void mm_encoder_clear(mm_encoder *e);
void mm_encoder_free(mm_encoder *e);

/* Python repr of the normalised bucket dict ("{(256, 256, 1): 0.5, ...}"). */
void mm_buckets_repr(const mm_bucket *b, size_t n, sb_buf *out);

#endif
