/* SPDX-License-Identifier: Apache-2.0 */
/* jpeg.c - RGB -> JPEG with libjpeg (see jpeg.h). Pillow's JPEG encoder
 * calls jpeg_set_defaults and, with no save options, changes nothing
 * else (its default quality -1 means "libjpeg's 75"), so plain defaults here
 * give the same bytes when both link the same libjpeg-turbo. libjpeg reports
 * errors by calling error_exit, which must not return: it longjmps back. */
#include "media/jpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

#include "media/media_dl.h"

typedef struct jpeg_fail {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    unsigned char *mem; /* jpeg_mem_dest's buffer (libjpeg allocates it) */
    unsigned long mem_len;
} jpeg_fail;

static void jpeg_fail_exit(j_common_ptr cinfo)
{
    jpeg_fail *f = (jpeg_fail *)cinfo->err;
    f->mgr.format_message(cinfo, f->msg);
    longjmp(f->jump, 1);
}

int sb_jpeg_encode_rgb(const uint8_t *rgb, uint32_t w, uint32_t h, sb_buf *out, sb_err *err)
{
    if (sb_media_jpeg_ready(err) != 0)
        return -1;
    if (w == 0 || h == 0 || w > JPEG_MAX_DIMENSION || h > JPEG_MAX_DIMENSION)
        return sb_err_set(err, "JPEG: image size %ux%u is outside 1..%ld", w, h,
                          (long)JPEG_MAX_DIMENSION);
    struct jpeg_compress_struct c;
    /* As libjpeg's example.c: c and f live in memory libjpeg writes through
     * pointers, so their contents are valid after the longjmp. */
    jpeg_fail f = {.mem = NULL};
    c.err = jpeg_std_error(&f.mgr);
    f.mgr.error_exit = jpeg_fail_exit;
    if (setjmp(f.jump)) {
        jpeg_destroy_compress(&c);
        free(f.mem);
        return sb_err_set(err, "JPEG encoding of a %ux%u image failed: %s", w, h, f.msg);
    }
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &f.mem, &f.mem_len);
    c.image_width = w;
    c.image_height = h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)c.next_scanline * w * 3);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    sb_buf_append(out, f.mem, f.mem_len);
    jpeg_destroy_compress(&c);
    free(f.mem);
    return 0;
}
