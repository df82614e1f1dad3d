/* SPDX-License-Identifier: Apache-2.0 */
/* pngcheck.c - decodes a PNG with libpng for the shell tests and prints
 * "WIDTH HEIGHT INK_PERMILLE COLOURS LUMA": the share of pixels that differ
 * from the top-left (background) pixel, the number of distinct colours
 * (counted up to 4096) and the mean luminance 0..255. Exit 1 when the file
 * does not decode. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.png\n", argv[0]);
        return 2;
    }
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, argv[1])) {
        fprintf(stderr, "%s: %s\n", argv[1], img.message);
        return 1;
    }
    img.format = PNG_FORMAT_RGB;
    png_bytep px = malloc(PNG_IMAGE_SIZE(img));
    if (!px || !png_image_finish_read(&img, NULL, px, 0, NULL)) {
        fprintf(stderr, "%s: %s\n", argv[1], img.message);
        return 1;
    }
    size_t n = (size_t)img.width * img.height, ink = 0, ncol = 0;
    unsigned *cols = malloc(4096 * sizeof *cols);
    double luma = 0;
    for (size_t i = 0; i < n; i++) {
        png_bytep p = px + 3 * i;
        ink += memcmp(p, px, 3) != 0;
        luma += 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
        unsigned c = (unsigned)p[0] << 16 | (unsigned)p[1] << 8 | p[2];
        size_t k = 0;
        while (k < ncol && cols[k] != c)
            k++;
        if (k == ncol && ncol < 4096)
            cols[ncol++] = c;
    }
    printf("%u %u %zu %zu %.0f\n", img.width, img.height, n ? ink * 1000 / n : 0, ncol,
           n ? luma / (double)n : 0);
    free(cols);
    free(px);
    return 0;
}
