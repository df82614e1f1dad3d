/* SPDX-License-Identifier: Apache-2.0 */
/* png.h - an image file turned into the PNG data URL the reference's
 * --custom-ensure-client-side-data sends (vllm/benchmarks/datasets/datasets.py:
 * CustomDataset.sample, HuggingFaceDataset: vLLM's fetch_image, convert_image_mode(image, "RGB"),
 * encode_image_url(image) = Pillow's image.save(buf, "PNG"), base64, "data:image/png;base64,").
 *
 * Decoding (img.c): PNG through libpng, JPEG through libjpeg (the library
 * Pillow decodes with: same pixels). Conversion to RGB as vLLM does it:
 * RGBA composited on white (rgba_to_rgb: Pillow's paste with the alpha as
 * mask), anything else by Pillow's convert (gray replicated, gray+alpha
 * and palette alpha dropped, palette looked up). What Pillow keeps in
 * image.info and writes back is kept too: the ICC profile (iCCP) unless the
 * image was RGBA, and a single transparent colour (tRNS) of RGB, 8-bit
 * gray and simple palette images. Encoding (png.c): Pillow's PNG writer
 * byte for byte (its adaptive per-row filter choice, zlib level 6 with
 * memLevel 9 and Z_FILTERED, IDAT chunks of max(65536, 4 x width) bytes).
 * Not supported (an error naming the image): 16-bit PNG, gray below 8 bits
 * with tRNS, CMYK/YCCK JPEG, other formats (GIF, WebP, ...). */
#ifndef SB_PNG_H
#define SB_PNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* An 8-bit RGB image plus what Pillow's PNG writer reads from image.info. */
typedef struct sb_rgb_image {
    uint32_t w, h;
    uint8_t *px;   /* h rows of 3 * w bytes, malloc'd */
    sb_buf icc;    /* ICC profile bytes, empty when none */
    bool has_trns; /* image.info["transparency"] as an RGB triple */
    uint16_t trns[3];
} sb_rgb_image;

/* img.c: decodes a PNG or JPEG file held in data[0..n) and converts it to
 * RGB as vLLM does. what names the image in messages. 0, or -1 with err. */
int sb_img_decode_rgb(const unsigned char *data, size_t n, const char *what, sb_rgb_image *out,
                      sb_err *err);
void sb_rgb_image_free(sb_rgb_image *img);

/* png.c: appends the PNG file Pillow's image.save(buf, "PNG") writes. */
void sb_png_write(const sb_rgb_image *img, sb_buf *out);

/* Both steps, then "data:image/png;base64,<...>" appended to out. */
int sb_png_data_url(const unsigned char *data, size_t n, const char *what, sb_buf *out,
                    sb_err *err);

#endif
