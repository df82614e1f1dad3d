/* SPDX-License-Identifier: Apache-2.0 */
/* dataset_load.c - times dataset_load for one set of dataset flags, the
 * work `servebench serve` does before its first request.
 *   bench_dataset_load TOKENIZER NAME [PATH] N [INPUT_LEN]
 * e.g. sharegpt on the synthetic 650 MB file (bench/gen_sharegpt.c), or
 * random with 100k requests of 1,024 tokens. Prints requests, seconds and
 * the token rate; run it under /usr/bin/time -v for peak RSS
 * (bench/dataset.sh does both).
 *   bench_dataset_load TOKENIZER decode-only N INPUT_LEN
 * is the floor for the random dataset on the same machine: one table decode
 * of each window of consecutive ids into a kept copy (the prompt strings
 * must be made at least once), one thread, no encode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "dataset/dataset.h"

static int decode_only(const char *spec, long n, long len)
{
    sb_err err;
    sb_err_clear(&err);
    tok *t = tok_load(spec, &err);
    if (!t) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    size_t V = tok_vocab_size(t);
    int32_t *ids = malloc((size_t)len * sizeof *ids);
    sb_buf text;
    sb_buf_init(&text);
    sb_arena keep;
    sb_arena_init(&keep, 0);
    uint64_t x = 12345, t0 = sb_now_ns(), bytes = 0;
    for (long i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t off = (size_t)(x >> 33) % V;
        for (long j = 0; j < len; j++) {
            size_t id = off + (size_t)j;
            ids[j] = (int32_t)(id < V ? id : id - V);
        }
        sb_buf_reset(&text);
        if (tok_decode(t, ids, (size_t)len, false, &text, &err) != 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        sb_arena_strndup(&keep, text.data, text.len);
        bytes += text.len;
    }
    double s = (double)(sb_now_ns() - t0) / 1e9;
    printf("decode-only: %ld windows of %ld ids, %.1f MB of text in %.3f s\n", n, len,
           (double)bytes / 1e6, s);
    sb_arena_free(&keep);
    sb_buf_free(&text);
    free(ids);
    tok_free(t);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s TOKENIZER NAME [PATH] N [INPUT_LEN]\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[2], "decode-only") == 0)
        return decode_only(argv[1], atol(argv[3]), argc > 4 ? atol(argv[4]) : 1024);
    sb_config cfg;
    sb_config_defaults(&cfg);
    free(cfg.ds.name);
    cfg.ds.name = strdup(argv[2]);
    int a = 3;
    if (strcmp(argv[2], "random") != 0)
        cfg.ds.path = strdup(argv[a++]);
    cfg.ds.num_prompts = a < argc ? atol(argv[a++]) : 1000;
    if (a < argc)
        cfg.ds.random_input_len = atol(argv[a++]);
    sb_err err;
    sb_err_clear(&err);
    uint64_t t0 = sb_now_ns();
    tok *t = tok_load(argv[1], &err);
    if (!t) {
        fprintf(stderr, "%s\n", err.msg);
        sb_config_free(&cfg);
        return 1;
    }
    uint64_t t1 = sb_now_ns();
    sb_dataset ds;
    if (dataset_load(&cfg.ds, t, "openai", &ds, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        tok_free(t);
        sb_config_free(&cfg);
        return 1;
    }
    uint64_t t2 = sb_now_ns();
    long long toks = 0;
    for (size_t i = 0; i < ds.n; i++)
        toks += ds.reqs[i].prompt_len;
    double s = (double)(t2 - t1) / 1e9;
    printf("%s: %zu requests, %lld prompt tokens, tokenizer load %.3f s, dataset %.3f s "
           "(%.2f M prompt tokens/s)\n",
           argv[2], ds.n, toks, (double)(t1 - t0) / 1e9, s, (double)toks / s / 1e6);
    if (ds.warning)
        printf("warning: %s\n", ds.warning);
    dataset_free(&ds);
    tok_free(t);
    sb_config_free(&cfg);
    return 0;
}
