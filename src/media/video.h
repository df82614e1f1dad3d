/* SPDX-License-Identifier: Apache-2.0 */
/* video.h - MPEG-4 Part 2 video in an MP4 file, written in memory as OpenCV's
 * cv2.VideoWriter(path, fourcc('m','p','4','v'), fps, (W, H)) writes it with
 * FFmpeg's libraries (random-mm's video items, vllm/benchmarks/datasets/datasets.py:
 * RandomMultiModalDataset.sample): same encoder, rate, GOP, time base, colour conversion and muxer,
 * so with the same libavcodec/libavformat/libswscale the file is byte-identical.
 *
 * Frames are given one at a time in OpenCV's layout: H rows of W pixels of
 * 3 bytes in B, G, R order (what VideoWriter.write reads, whatever the
 * caller meant). Like OpenCV, an odd W or H loses its last column or row. */
#ifndef SB_VIDEO_H
#define SB_VIDEO_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

typedef struct sb_video sb_video;

/* Largest W or H the mpeg4 encoder takes (13-bit size fields). */
#define SB_VIDEO_MAX_DIM 8191

/* Opens a writer for w x h frames at fps (> 0, whole or fractional as
 * OpenCV rounds it). NULL with err when OpenCV's VideoWriter would not open
 * (w or h below 2 or too large, no mpeg4 encoder). */
sb_video *sb_video_new(uint32_t w, uint32_t h, double fps, sb_err *err);

/* The input frame buffer to fill before sb_video_write: h rows (the full,
 * odd h) of *stride bytes, of which the first 3*w are the row's pixels. */
uint8_t *sb_video_frame(sb_video *v, size_t *stride);

/* Encodes the filled frame. 0, or -1 with err. */
int sb_video_write(sb_video *v, sb_err *err);

/* Flushes the encoder, writes the MP4 trailer and appends the whole file to
 * out. The writer is spent afterwards (only sb_video_free). 0 or -1. */
int sb_video_finish(sb_video *v, sb_buf *out, sb_err *err);

void sb_video_free(sb_video *v);

#endif
