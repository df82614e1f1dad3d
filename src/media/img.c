/* SPDX-License-Identifier: Apache-2.0 */
/* img.c - PNG and JPEG files decoded to the RGB image vLLM's
 * fetch_image + convert_image_mode(image, "RGB") produce (see png.h).
 *
 * libpng and libjpeg are the libraries Pillow decodes with, so pixels are
 * the same; the conversion rules are Pillow's convert() (and vLLM's white
 * compositing for RGBA), and image.info keeps what Pillow would keep. */
#include "media/png.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "media/media_dl.h"

void sb_rgb_image_free(sb_rgb_image *img)
{
    free(img->px);
    img->px = NULL;
    sb_buf_free(&img->icc);
}

/* Pillow's DIV255 of a blend: round(a / 255) exactly as Paste.c does it. */
static uint8_t div255(unsigned a)
{
    unsigned t = a + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

/* ---------------- PNG ---------------- */

typedef struct png_src {
    const unsigned char *p;
    size_t n, off;
} png_src;

static void png_read_mem(png_structp ps, png_bytep out, png_size_t n)
{
    png_src *s = png_get_io_ptr(ps);
    if (n > s->n - s->off)
        png_error(ps, "file ends early");
    memcpy(out, s->p + s->off, n);
    s->off += n;
}

static void png_err(png_structp ps, png_const_charp msg)
{
    sb_err *err = png_get_error_ptr(ps);
    sb_err_set(err, "%s", msg);
    png_longjmp(ps, 1);
}

static void png_warn(png_structp ps, png_const_charp msg)
{
    (void)ps, (void)msg;
}

/* PngImagePlugin keeps a palette tRNS as one index when it is "all 0xff
 * but a single 0x00" (then convert("RGB") turns it into that colour);
 * any other alpha table is dropped by the conversion. */
static int simple_trns_index(const png_byte *a, int n)
{
    int zero = -1;
    for (int i = 0; i < n; i++) {
        if (a[i] == 0 && zero < 0)
            zero = i;
        else if (a[i] != 0xff)
            return -1;
    }
    return zero;
}

/* Rows as libpng gives them (8-bit samples, palette indices unpacked) to
 * RGB, plus image.info's transparency. */
static int png_to_rgb(png_structp ps, png_infop pi, png_bytep *rows, int depth0, sb_rgb_image *out,
                      sb_err *err)
{
    int ct = png_get_color_type(ps, pi);
    png_colorp pal = NULL;
    int npal = 0;
    png_bytep talpha = NULL;
    int ntrans = 0;
    png_color_16p tcolor = NULL;
    bool trns = png_get_tRNS(ps, pi, &talpha, &ntrans, &tcolor) != 0;
    if (ct == PNG_COLOR_TYPE_PALETTE)
        png_get_PLTE(ps, pi, &pal, &npal);
    if (trns && ct == PNG_COLOR_TYPE_GRAY && depth0 < 8)
        return sb_err_set(err, "gray PNG below 8 bits with a transparent colour is not supported");
    size_t w = out->w;
    for (uint32_t y = 0; y < out->h; y++) {
        const png_byte *r = rows[y];
        uint8_t *o = out->px + (size_t)y * w * 3;
        for (size_t x = 0; x < w; x++, o += 3) {
            switch (ct) {
            case PNG_COLOR_TYPE_GRAY:
                o[0] = o[1] = o[2] = r[x];
                break;
            case PNG_COLOR_TYPE_GRAY_ALPHA:
                o[0] = o[1] = o[2] = r[2 * x];
                break;
            case PNG_COLOR_TYPE_RGB:
                memcpy(o, r + 3 * x, 3);
                break;
            case PNG_COLOR_TYPE_RGB_ALPHA: {
                /* rgba_to_rgb: white canvas, paste(image, mask=alpha) */
                unsigned a = r[4 * x + 3];
                for (int k = 0; k < 3; k++)
                    o[k] = div255(r[4 * x + k] * a + 255u * (255u - a));
                break;
            }
            case PNG_COLOR_TYPE_PALETTE: {
                int i = r[x];
                if (i < npal)
                    o[0] = pal[i].red, o[1] = pal[i].green, o[2] = pal[i].blue;
                else
                    o[0] = o[1] = o[2] = 0;
                break;
            }
            }
        }
    }
    if (trns && ct == PNG_COLOR_TYPE_GRAY) {
        out->has_trns = true;
        out->trns[0] = out->trns[1] = out->trns[2] = tcolor->gray > 255 ? 255 : tcolor->gray;
    } else if (trns && ct == PNG_COLOR_TYPE_RGB) {
        out->has_trns = true; /* kept as the 16-bit values of the chunk */
        out->trns[0] = tcolor->red, out->trns[1] = tcolor->green, out->trns[2] = tcolor->blue;
    } else if (trns && ct == PNG_COLOR_TYPE_PALETTE) {
        int i = simple_trns_index(talpha, ntrans);
        if (i >= 0) {
            out->has_trns = true;
            out->trns[0] = i < npal ? pal[i].red : 0;
            out->trns[1] = i < npal ? pal[i].green : 0;
            out->trns[2] = i < npal ? pal[i].blue : 0;
        }
    }
    /* the RGBA path makes a new image: no info, so no ICC profile */
    if (ct == PNG_COLOR_TYPE_RGB_ALPHA)
        sb_buf_reset(&out->icc);
    return 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The iCCP profile as PngImagePlugin reads it: the raw chunk, inflated,
 * without the checks libpng applies (it drops profiles it finds invalid,
 * Pillow keeps any bytes). A profile that does not inflate is dropped, as
 * Pillow does. */
static void png_icc_raw(const unsigned char *d, size_t n, sb_buf *icc)
{
    for (size_t off = 8; off + 12 <= n;) {
        uint32_t len = be32(d + off);
        if (len > n - off - 12 || !memcmp(d + off + 4, "IDAT", 4))
            return;
        const unsigned char *c = d + off + 8;
        const unsigned char *nul = memchr(c, 0, len);
        if (!memcmp(d + off + 4, "iCCP", 4) && nul && (size_t)(nul - c) + 2 <= len && nul[1] == 0) {
            z_stream z = {0};
            unsigned char tmp[16384];
            if (inflateInit(&z) != Z_OK)
                return;
            z.next_in = (Bytef *)nul + 2;
            z.avail_in = (uInt)(len - (size_t)(nul - c) - 2);
            int rc;
            do {
                z.next_out = tmp;
                z.avail_out = sizeof tmp;
                rc = inflate(&z, Z_NO_FLUSH);
                sb_buf_append(icc, tmp, sizeof tmp - z.avail_out);
            } while (rc == Z_OK);
            inflateEnd(&z);
            if (rc != Z_STREAM_END)
                sb_buf_reset(icc);
            return;
        }
        off += 12 + (size_t)len;
    }
}

static int decode_png(const unsigned char *data, size_t n, sb_rgb_image *out, sb_err *err)
{
    if (sb_media_png_ready(err) != 0)
        return -1;
    png_structp ps = png_create_read_struct(PNG_LIBPNG_VER_STRING, err, png_err, png_warn);
    png_infop pi = ps ? png_create_info_struct(ps) : NULL;
    png_bytep *rows = NULL;
    png_src src = {data, n, 0};
    if (!pi) {
        png_destroy_read_struct(&ps, NULL, NULL);
        return sb_err_set(err, "out of memory");
    }
    if (setjmp(png_jmpbuf(ps))) {
        free(rows);
        png_destroy_read_struct(&ps, &pi, NULL);
        return -1;
    }
    png_set_read_fn(ps, &src, png_read_mem);
    png_read_info(ps, pi);
    png_uint_32 w, h;
    int depth, ct, il;
    png_get_IHDR(ps, pi, &w, &h, &depth, &ct, &il, NULL, NULL);
    if (depth == 16)
        png_error(ps, "16-bit PNG is not supported");
    if (ct == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(ps);
    if (ct == PNG_COLOR_TYPE_PALETTE && depth < 8)
        png_set_packing(ps);
    png_set_interlace_handling(ps);
    png_read_update_info(ps, pi);
    png_icc_raw(data, n, &out->icc);
    size_t rb = png_get_rowbytes(ps, pi);
    out->w = w, out->h = h;
    out->px = sb_xmalloc((size_t)w * h * 3 + 1);
    uint8_t *all = sb_xmalloc(rb * h + 1);
    rows = sb_xmalloc(h * sizeof *rows + 1);
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = all + (size_t)y * rb;
    png_read_image(ps, rows);
    int rc = png_to_rgb(ps, pi, rows, depth, out, err);
    free(rows);
    free(all);
    png_destroy_read_struct(&ps, &pi, NULL);
    return rc;
}

/* ---------------- JPEG ---------------- */

typedef struct jpeg_fail {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    sb_err *err;
} jpeg_fail;

static void jpeg_exit(j_common_ptr ci)
{
    jpeg_fail *f = (jpeg_fail *)ci->err;
    char msg[JMSG_LENGTH_MAX];
    f->pub.format_message(ci, msg);
    sb_err_set(f->err, "JPEG: %s", msg);
    longjmp(f->jb, 1);
}

static int decode_jpeg(const unsigned char *data, size_t n, sb_rgb_image *out, sb_err *err)
{
    if (sb_media_jpeg_ready(err) != 0)
        return -1;
    struct jpeg_decompress_struct ci;
    jpeg_fail f = {.err = err};
    ci.err = jpeg_std_error(&f.pub);
    f.pub.error_exit = jpeg_exit;
    uint8_t *row = NULL;
    if (setjmp(f.jb)) {
        free(row);
        jpeg_destroy_decompress(&ci);
        return -1;
    }
    jpeg_create_decompress(&ci);
    jpeg_mem_src(&ci, data, (unsigned long)n);
    jpeg_save_markers(&ci, JPEG_APP0 + 2, 0xffff); /* ICC_PROFILE */
    jpeg_read_header(&ci, TRUE);
    if (ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&ci);
        return sb_err_set(err, "CMYK JPEG is not supported");
    }
    bool gray = ci.jpeg_color_space == JCS_GRAYSCALE;
    ci.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    JOCTET *icc = NULL;
    unsigned icc_len = 0;
    if (jpeg_read_icc_profile(&ci, &icc, &icc_len)) {
        sb_buf_append(&out->icc, icc, icc_len);
        free(icc);
    }
    jpeg_start_decompress(&ci);
    out->w = ci.output_width, out->h = ci.output_height;
    out->px = sb_xmalloc((size_t)out->w * out->h * 3 + 1);
    row = sb_xmalloc((size_t)out->w * 3 + 1);
    while (ci.output_scanline < ci.output_height) {
        uint8_t *o = out->px + (size_t)ci.output_scanline * out->w * 3;
        JSAMPROW rp = gray ? row : o;
        jpeg_read_scanlines(&ci, &rp, 1);
        for (size_t x = 0; gray && x < out->w; x++)
            o[3 * x] = o[3 * x + 1] = o[3 * x + 2] = row[x];
    }
    jpeg_finish_decompress(&ci);
    jpeg_destroy_decompress(&ci);
    free(row);
    return 0;
}

int sb_img_decode_rgb(const unsigned char *data, size_t n, const char *what, sb_rgb_image *out,
                      sb_err *err)
{
    memset(out, 0, sizeof *out);
    sb_buf_init(&out->icc);
    int rc;
    if (n >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0)
        rc = decode_png(data, n, out, err);
    else if (n >= 3 && memcmp(data, "\xff\xd8\xff", 3) == 0)
        rc = decode_jpeg(data, n, out, err);
    else
        rc = sb_err_set(err, "not a PNG or JPEG file (other formats are not supported)");
    if (rc != 0) {
        sb_rgb_image_free(out);
        return sb_err_prefix(err, "%s: ", what);
    }
    return 0;
}
