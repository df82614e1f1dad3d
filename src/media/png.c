/* SPDX-License-Identifier: Apache-2.0 */
/* png.c - Pillow's PNG writer for an RGB image, byte for byte (see png.h).
 *
 * Pillow (PngImagePlugin._save + libImaging/ZipEncode.c) writes the
 * signature, IHDR, iCCP (profile name "ICC Profile", zlib.compress of the
 * profile) when image.info has one, tRNS for a transparent colour, then the
 * pixel data and IEND. Rows get the filter whose bytes sum to the least
 * distance from zero, tried in the order none, up, sub, paeth (average only
 * with optimize=True, which the reference does not set), a later one only
 * when strictly smaller. The deflate stream (level 6, window 15, memLevel 9,
 * Z_FILTERED) is produced by an encoder called with a buffer of
 * max(65536, 4 x width) bytes until it reports the end; each call's output
 * becomes one IDAT chunk, so the chunk split is reproduced by running the
 * same state machine here. */
#include "media/png.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/b64.h"

/* zlib fails here only without memory: abort like the allocators. */
static void zfail(const char *what)
{
    fprintf(stderr, "servebench: zlib %s failed (out of memory)\n", what);
    abort();
}

static void put32(sb_buf *b, uint32_t v)
{
    unsigned char t[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    sb_buf_append(b, t, 4);
}

static void chunk(sb_buf *b, const char *type, const void *data, size_t n)
{
    put32(b, (uint32_t)n);
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    sb_buf_append(b, type, 4);
    if (n) {
        sb_buf_append(b, data, n);
        crc = crc32(crc, (const Bytef *)data, (uInt)n);
    }
    put32(b, (uint32_t)crc);
}

static unsigned dist(uint8_t v)
{
    return v < 128 ? v : 256u - v;
}

/* The row encoder's state (ZipEncode.c's context). */
typedef struct zenc {
    const sb_rgb_image *img;
    size_t rowbytes;
    uint32_t y;
    int state;                              /* 1: rows, 2: finishing, 3: ended */
    uint8_t *cur, *prev, *sub, *up, *paeth; /* each rowbytes + 1, [0] = filter type */
    z_stream z;
} zenc;

/* Picks the filter of the current row (cur[1..]) against prev. */
static const uint8_t *filter_row(zenc *e)
{
    size_t nb = e->rowbytes, bpp = 3, i;
    uint8_t *c = e->cur, *p = e->prev;
    const uint8_t *out = c;
    unsigned sum = 0, s;
    for (i = 1; i <= nb; i++)
        sum += dist(c[i]);
    if (sum > 0) {
        for (i = 1, s = 0; i <= nb; i++)
            s += dist(e->up[i] = (uint8_t)(c[i] - p[i]));
        if (s < sum)
            out = e->up, sum = s;
    }
    if (sum > 0) {
        for (i = 1, s = 0; i <= nb; i++)
            s += dist(e->sub[i] = (uint8_t)(i <= bpp ? c[i] : c[i] - c[i - bpp]));
        if (s < sum)
            out = e->sub, sum = s;
    }
    if (sum > 0) {
        for (i = 1, s = 0; i <= nb; i++) {
            int a = i <= bpp ? 0 : c[i - bpp], b = p[i], cc = i <= bpp ? 0 : p[i - bpp];
            int pa = abs(b - cc), pb = abs(a - cc), pc = abs(a + b - 2 * cc);
            int pred = (pa <= pb && pa <= pc) ? a : (pb <= pc) ? b : cc;
            s += dist(e->paeth[i] = (uint8_t)(c[i] - pred));
        }
        if (s < sum)
            out = e->paeth;
    }
    return out;
}

/* One encoder call: fills buf[0..cap) as far as it goes; returns the bytes
 * written. e->state becomes 3 at the end of the stream. */
static size_t zenc_call(zenc *e, uint8_t *buf, size_t cap)
{
    e->z.next_out = buf;
    e->z.avail_out = (uInt)cap;
    if (e->z.next_in && e->z.avail_in > 0)
        deflate(&e->z, Z_NO_FLUSH);
    if (e->state == 1) {
        while (e->z.avail_out > 0) {
            if (e->y >= e->img->h) {
                e->state = 2;
                break;
            }
            memcpy(e->cur + 1, e->img->px + (size_t)e->y * e->rowbytes, e->rowbytes);
            e->y++;
            e->z.next_in = (Bytef *)filter_row(e);
            e->z.avail_in = (uInt)(e->rowbytes + 1);
            deflate(&e->z, Z_NO_FLUSH);
            uint8_t *t = e->cur; /* the unfiltered row becomes "previous" */
            e->cur = e->prev;
            e->prev = t;
        }
        if (e->state == 1) /* buffer full */
            return cap - e->z.avail_out;
    }
    while (e->z.avail_out > 0) {
        if (deflate(&e->z, Z_FINISH) == Z_STREAM_END) {
            e->state = 3;
            break;
        }
    }
    return cap - e->z.avail_out;
}

static void idat_stream(const sb_rgb_image *img, sb_buf *out)
{
    zenc e = {.img = img, .rowbytes = (size_t)img->w * 3, .state = 1};
    uint8_t *mem = sb_xcalloc(5 * (e.rowbytes + 1), 1);
    e.cur = mem;
    e.prev = mem + (e.rowbytes + 1);
    e.up = mem + 2 * (e.rowbytes + 1);
    e.sub = mem + 3 * (e.rowbytes + 1);
    e.paeth = mem + 4 * (e.rowbytes + 1);
    e.up[0] = 2, e.sub[0] = 1, e.paeth[0] = 4;
    if (deflateInit2(&e.z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15, 9, Z_FILTERED) != Z_OK)
        zfail("deflateInit2");
    size_t cap = (size_t)img->w * 4 > 65536 ? (size_t)img->w * 4 : 65536;
    uint8_t *buf = sb_xmalloc(cap);
    do {
        size_t n = zenc_call(&e, buf, cap);
        chunk(out, "IDAT", buf, n);
    } while (e.state != 3);
    deflateEnd(&e.z);
    free(buf);
    free(mem);
}

void sb_png_write(const sb_rgb_image *img, sb_buf *out)
{
    sb_buf_append(out, "\x89PNG\r\n\x1a\n", 8);
    unsigned char ihdr[13] = {0};
    for (int i = 0; i < 4; i++) {
        ihdr[i] = (unsigned char)(img->w >> (24 - 8 * i));
        ihdr[4 + i] = (unsigned char)(img->h >> (24 - 8 * i));
    }
    ihdr[8] = 8; /* bit depth */
    ihdr[9] = 2; /* colour type RGB */
    chunk(out, "IHDR", ihdr, sizeof ihdr);
    if (img->icc.len) {
        /* name, NUL, method 0, zlib.compress(profile) (level 6, defaults) */
        uLongf zn = compressBound((uLong)img->icc.len);
        unsigned char *d = sb_xmalloc(13 + zn);
        memcpy(d, "ICC Profile\0\0", 13);
        if (compress2(d + 13, &zn, (const Bytef *)img->icc.data, (uLong)img->icc.len,
                      Z_DEFAULT_COMPRESSION) != Z_OK)
            zfail("compress2");
        chunk(out, "iCCP", d, 13 + zn);
        free(d);
    }
    if (img->has_trns) {
        unsigned char t[6];
        for (size_t i = 0; i < 3; i++) {
            t[2 * i] = (unsigned char)(img->trns[i] >> 8);
            t[2 * i + 1] = (unsigned char)img->trns[i];
        }
        chunk(out, "tRNS", t, 6);
    }
    idat_stream(img, out);
    chunk(out, "IEND", NULL, 0);
}

int sb_png_data_url(const unsigned char *data, size_t n, const char *what, sb_buf *out, sb_err *err)
{
    sb_rgb_image img;
    if (sb_img_decode_rgb(data, n, what, &img, err) != 0)
        return -1;
    sb_buf png;
    sb_buf_init(&png);
    sb_png_write(&img, &png);
    sb_buf_puts(out, "data:image/png;base64,");
    sb_b64_encode(out, png.data, png.len);
    sb_buf_free(&png);
    sb_rgb_image_free(&img);
    return 0;
}
