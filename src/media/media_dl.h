/* SPDX-License-Identifier: Apache-2.0 */
/* media_dl.h - libjpeg and libpng opened when an image is first encoded or
 * decoded, not linked (core/dynlib.h): two shared objects fewer at every
 * start, and only image datasets use them. Included by the files that call
 * them (jpeg.c, img.c) after <jpeglib.h> and <png.h>: from here on the
 * libraries' function names mean the entries of these tables, typed from
 * the libraries' own headers. Each caller checks sb_media_jpeg_ready /
 * sb_media_png_ready first. */
#ifndef SB_MEDIA_DL_H
#define SB_MEDIA_DL_H

#include "core/dynlib.h"
#include "core/err.h"

#define SB_JPEG_FNS(X)                                                                             \
    X(jpeg_CreateCompress)                                                                         \
    X(jpeg_CreateDecompress)                                                                       \
    X(jpeg_destroy_compress)                                                                       \
    X(jpeg_destroy_decompress)                                                                     \
    X(jpeg_finish_compress)                                                                        \
    X(jpeg_finish_decompress)                                                                      \
    X(jpeg_mem_dest)                                                                               \
    X(jpeg_mem_src)                                                                                \
    X(jpeg_read_header)                                                                            \
    X(jpeg_read_icc_profile)                                                                       \
    X(jpeg_read_scanlines)                                                                         \
    X(jpeg_save_markers)                                                                           \
    X(jpeg_set_defaults)                                                                           \
    X(jpeg_start_compress)                                                                         \
    X(jpeg_start_decompress)                                                                       \
    X(jpeg_std_error)                                                                              \
    X(jpeg_write_scanlines)

#define SB_PNG_FNS(X)                                                                              \
    X(png_create_info_struct)                                                                      \
    X(png_create_read_struct)                                                                      \
    X(png_destroy_read_struct)                                                                     \
    X(png_error)                                                                                   \
    X(png_get_IHDR)                                                                                \
    X(png_get_PLTE)                                                                                \
    X(png_get_color_type)                                                                          \
    X(png_get_error_ptr)                                                                           \
    X(png_get_io_ptr)                                                                              \
    X(png_get_rowbytes)                                                                            \
    X(png_get_tRNS)                                                                                \
    X(png_longjmp)                                                                                 \
    X(png_read_image)                                                                              \
    X(png_read_info)                                                                               \
    X(png_read_update_info)                                                                        \
    X(png_set_expand_gray_1_2_4_to_8)                                                              \
    X(png_set_interlace_handling)                                                                  \
    X(png_set_longjmp_fn)                                                                          \
    X(png_set_packing)                                                                             \
    X(png_set_read_fn)

#ifdef JPEG_LIB_VERSION
extern struct sb_media_jpeg_fns {
    SB_JPEG_FNS(SB_DYNLIB_FIELD)
} sb_media_jpeg;
/* 0 when libjpeg is usable, else -1 with err naming why not. */
int sb_media_jpeg_ready(sb_err *err);
#define jpeg_CreateCompress sb_media_jpeg.jpeg_CreateCompress
#define jpeg_CreateDecompress sb_media_jpeg.jpeg_CreateDecompress
#define jpeg_destroy_compress sb_media_jpeg.jpeg_destroy_compress
#define jpeg_destroy_decompress sb_media_jpeg.jpeg_destroy_decompress
#define jpeg_finish_compress sb_media_jpeg.jpeg_finish_compress
#define jpeg_finish_decompress sb_media_jpeg.jpeg_finish_decompress
#define jpeg_mem_dest sb_media_jpeg.jpeg_mem_dest
#define jpeg_mem_src sb_media_jpeg.jpeg_mem_src
#define jpeg_read_header sb_media_jpeg.jpeg_read_header
#define jpeg_read_icc_profile sb_media_jpeg.jpeg_read_icc_profile
#define jpeg_read_scanlines sb_media_jpeg.jpeg_read_scanlines
#define jpeg_save_markers sb_media_jpeg.jpeg_save_markers
#define jpeg_set_defaults sb_media_jpeg.jpeg_set_defaults
#define jpeg_start_compress sb_media_jpeg.jpeg_start_compress
#define jpeg_start_decompress sb_media_jpeg.jpeg_start_decompress
#define jpeg_std_error sb_media_jpeg.jpeg_std_error
#define jpeg_write_scanlines sb_media_jpeg.jpeg_write_scanlines
#endif

#ifdef PNG_LIBPNG_VER_STRING
extern struct sb_media_png_fns {
    SB_PNG_FNS(SB_DYNLIB_FIELD)
} sb_media_png;
/* 0 when libpng is usable, else -1 with err naming why not. */
int sb_media_png_ready(sb_err *err);
#define png_create_info_struct sb_media_png.png_create_info_struct
#define png_create_read_struct sb_media_png.png_create_read_struct
#define png_destroy_read_struct sb_media_png.png_destroy_read_struct
#define png_error sb_media_png.png_error
#define png_get_IHDR sb_media_png.png_get_IHDR
#define png_get_PLTE sb_media_png.png_get_PLTE
#define png_get_color_type sb_media_png.png_get_color_type
#define png_get_error_ptr sb_media_png.png_get_error_ptr
#define png_get_io_ptr sb_media_png.png_get_io_ptr
#define png_get_rowbytes sb_media_png.png_get_rowbytes
#define png_get_tRNS sb_media_png.png_get_tRNS
#define png_longjmp sb_media_png.png_longjmp
#define png_read_image sb_media_png.png_read_image
#define png_read_info sb_media_png.png_read_info
#define png_read_update_info sb_media_png.png_read_update_info
#define png_set_expand_gray_1_2_4_to_8 sb_media_png.png_set_expand_gray_1_2_4_to_8
#define png_set_interlace_handling sb_media_png.png_set_interlace_handling
#define png_set_longjmp_fn sb_media_png.png_set_longjmp_fn
#define png_set_packing sb_media_png.png_set_packing
#define png_set_read_fn sb_media_png.png_set_read_fn
#endif

#endif
