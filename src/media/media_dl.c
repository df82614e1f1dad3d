/* SPDX-License-Identifier: Apache-2.0 */
/* media_dl.c - see media_dl.h. The sonames are the ones the build linked
 * against (SB_JPEG_SONAME, SB_PNG_SONAME from CMake). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "media/media_dl.h"

/* (media_dl.h's names are the tables' from here on: the tables themselves
 * are defined without them) */
#undef jpeg_CreateCompress
#undef jpeg_CreateDecompress
#undef jpeg_destroy_compress
#undef jpeg_destroy_decompress
#undef jpeg_finish_compress
#undef jpeg_finish_decompress
#undef jpeg_mem_dest
#undef jpeg_mem_src
#undef jpeg_read_header
#undef jpeg_read_icc_profile
#undef jpeg_read_scanlines
#undef jpeg_save_markers
#undef jpeg_set_defaults
#undef jpeg_start_compress
#undef jpeg_start_decompress
#undef jpeg_std_error
#undef jpeg_write_scanlines
#undef png_create_info_struct
#undef png_create_read_struct
#undef png_destroy_read_struct
#undef png_error
#undef png_get_IHDR
#undef png_get_PLTE
#undef png_get_color_type
#undef png_get_error_ptr
#undef png_get_io_ptr
#undef png_get_rowbytes
#undef png_get_tRNS
#undef png_longjmp
#undef png_read_image
#undef png_read_info
#undef png_read_update_info
#undef png_set_expand_gray_1_2_4_to_8
#undef png_set_interlace_handling
#undef png_set_longjmp_fn
#undef png_set_packing
#undef png_set_read_fn

struct sb_media_jpeg_fns sb_media_jpeg;
struct sb_media_png_fns sb_media_png;
static char jpeg_why[512], png_why[512];

static void load(const char *soname, const char *const *names, size_t n, void *table, char *why,
                 size_t cap)
{
    void *syms[32];
    if (n > sizeof syms / sizeof *syms) {
        snprintf(why, cap, "%s: too many functions (%zu) for one table", soname, n);
        return;
    }
    if (sb_dynlib_open(&soname, 1, names, syms, n, why, cap) != 0)
        return;
    /* the table is n function pointers in list order (SB_DYNLIB_FIELD) */
    memcpy(table, syms, n * sizeof *syms);
}

static void jpeg_load(void)
{
    static const char *const names[] = {SB_JPEG_FNS(SB_DYNLIB_NAME)};
    _Static_assert(sizeof sb_media_jpeg == sizeof names / sizeof *names * sizeof(void *),
                   "one pointer per name");
    load(SB_JPEG_SONAME, names, sizeof names / sizeof *names, &sb_media_jpeg, jpeg_why,
         sizeof jpeg_why);
}

static void png_load(void)
{
    static const char *const names[] = {SB_PNG_FNS(SB_DYNLIB_NAME)};
    _Static_assert(sizeof sb_media_png == sizeof names / sizeof *names * sizeof(void *),
                   "one pointer per name");
    load(SB_PNG_SONAME, names, sizeof names / sizeof *names, &sb_media_png, png_why,
         sizeof png_why);
}

int sb_media_jpeg_ready(sb_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, jpeg_load);
    return jpeg_why[0] ? sb_err_set(err, "JPEG: libjpeg: %s", jpeg_why) : 0;
}

int sb_media_png_ready(sb_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, png_load);
    return png_why[0] ? sb_err_set(err, "PNG: libpng: %s", png_why) : 0;
}
