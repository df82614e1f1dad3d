/* SPDX-License-Identifier: Apache-2.0 */
/* jpeg.h - baseline JPEG encoding of RGB pixels with libjpeg-turbo, set up as
 * Pillow's Image.save(format="JPEG") with no options (libjpeg defaults:
 * quality 75, 4:2:0 chroma subsampling, JFIF header, islow DCT, standard
 * Huffman tables), so random-mm images match the reference byte for byte. */
#ifndef SB_JPEG_H
#define SB_JPEG_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* Appends the JPEG file of an h x w RGB image (rows of 3*w bytes) to out.
 * 0, or -1 with err naming the libjpeg message. */
int sb_jpeg_encode_rgb(const uint8_t *rgb, uint32_t w, uint32_t h, sb_buf *out, sb_err *err);

#endif
