/* SPDX-License-Identifier: Apache-2.0 */
/* tok_bench.c - tokenizer speed and memory: load time of a tokenizer.json,
 * single-thread encode throughput on a text file, and the resident memory
 * after loading. Prints one JSON line so bench/tok_bench.sh can put it next
 * to the Rust library's figures (bench/tok_hf.js) and the machine's own limit
 * (a byte scan of the same text).
 *
 * The text is cut into ~4 KiB chunks at line ends (as bench/tok_hf.js does)
 * and encoded one chunk per call on one thread.
 *
 * usage: bench_tok_bench TOKENIZER TEXTFILE [ROUNDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "tokenizer/tokenizer.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

static int read_file(const char *path, sb_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sb_buf_append(b, chunk, n);
    fclose(f);
    return 0;
}

/* The limit: one pass over the bytes that touches each (a checksum the
 * compiler cannot drop). */
static double scan_mb_s(const char *s, size_t n, int rounds)
{
    volatile unsigned sink = 0;
    double t0 = now_s();
    for (int r = 0; r < rounds; r++) {
        unsigned h = 0;
        for (size_t i = 0; i < n; i++)
            h += (unsigned char)s[i] == ' ';
        sink += h;
    }
    (void)sink;
    return (double)n * rounds / (now_s() - t0) / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s TOKENIZER TEXTFILE [ROUNDS]\n", argv[0]);
        return 2;
    }
    int rounds = argc > 3 ? atoi(argv[3]) : 3;
    sb_buf text;
    sb_buf_init(&text);
    if (read_file(argv[2], &text) < 0) {
        fprintf(stderr, "%s: cannot read\n", argv[2]);
        return 1;
    }
    long rss0 = rss_kb();
    sb_err err;
    double t0 = now_s();
    tok *t = tok_load(argv[1], &err);
    double load_s = now_s() - t0;
    if (!t) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    long rss1 = rss_kb();
    tok_ids ids;
    tok_ids_init(&ids);
    tok_ctx *ctx = tok_ctx_new(t);
    double best = 1e9;
    for (int r = 0; r < rounds; r++) {
        ids.n = 0;
        t0 = now_s();
        for (size_t s = 0; s < text.len;) {
            size_t e = s + 4096 < text.len ? s + 4096 : text.len;
            while (e < text.len && text.data[e - 1] != '\n')
                e++;
            tok_encode_ctx(t, ctx, text.data + s, e - s, false, &ids, NULL);
            s = e;
        }
        double d = now_s() - t0;
        if (d < best)
            best = d;
    }
    printf("{\"impl\":\"servebench\",\"load_s\":%.4f,\"encode_mb_s\":%.2f,\"tokens\":%zu,"
           "\"bytes\":%zu,\"rss_tok_kb\":%ld,\"scan_mb_s\":%.1f}\n",
           load_s, (double)text.len / best / 1e6, ids.n, text.len, rss1 - rss0,
           scan_mb_s(text.data, text.len, 3));
    tok_ctx_free(ctx);
    tok_ids_free(&ids);
    tok_free(t);
    sb_buf_free(&text);
    return 0;
}
