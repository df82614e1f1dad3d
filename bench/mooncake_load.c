/* SPDX-License-Identifier: Apache-2.0 */
/* mooncake_load.c - times the mooncake dataset's load of a large trace.
 *   bench_mooncake_load TOKENIZER FILE ROWS BLOCK [MAX_BLOCKS]
 * Writes FILE first when it does not exist: ROWS Mooncake-style lines, as
 * the FAST'25 traces are shaped (timestamps in ms rising by 0-49 ms, hash
 * ids that are prefix hashes: each row continues one of 1,000 earlier
 * "sessions" so ids repeat as shared prefixes, then new ids), input_length
 * up to MAX_BLOCKS (8) blocks of BLOCK tokens, the last one partial. Then
 * loads all ROWS rows with --mooncake-block-size BLOCK and prints the rows,
 * tokens, shared fraction and seconds (the file read included). Run it under
 * /usr/bin/time -v for the peak RSS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config/config.h"
#include "core/clock.h"
#include "dataset/dataset.h"

static uint64_t next(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 33;
}

static int generate(const char *path, long rows, long block, long max_blocks)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    enum { SESSIONS = 1000 };
    static long sess[SESSIONS][64];
    static int sess_n[SESSIONS];
    uint64_t x = 42;
    long next_id = 0, ts = 0;
    for (long i = 0; i < rows; i++) {
        ts += (long)(next(&x) % 50);
        int s = (int)(next(&x) % SESSIONS);
        int nb = 1 + (int)(next(&x) % (uint64_t)max_blocks);
        int keep = sess_n[s] < nb ? sess_n[s] : (int)(next(&x) % (uint64_t)(nb + 1));
        for (int k = keep; k < nb; k++)
            sess[s][k] = next_id++;
        sess_n[s] = nb;
        long in_len = (nb - 1) * block + 1 + (long)(next(&x) % (uint64_t)block);
        fprintf(f,
                "{\"timestamp\": %ld, \"input_length\": %ld, \"output_length\": %ld, "
                "\"hash_ids\": [",
                ts, in_len, 1 + (long)(next(&x) % 500));
        for (int k = 0; k < nb; k++)
            fprintf(f, "%s%ld", k ? ", " : "", sess[s][k]);
        fputs("]}\n", f);
    }
    return fclose(f);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s TOKENIZER FILE ROWS BLOCK [MAX_BLOCKS]\n", argv[0]);
        return 2;
    }
    long rows = atol(argv[3]), block = atol(argv[4]);
    long max_blocks = argc > 5 ? atol(argv[5]) : 8;
    if (rows < 1 || block < 1 || max_blocks < 1 || max_blocks > 64) {
        fprintf(stderr, "ROWS, BLOCK >= 1, MAX_BLOCKS in 1..64\n");
        return 2;
    }
    if (access(argv[2], F_OK) != 0 && generate(argv[2], rows, block, max_blocks) != 0)
        return 1;
    sb_config cfg;
    sb_config_defaults(&cfg);
    free(cfg.ds.name);
    cfg.ds.name = strdup("mooncake");
    cfg.ds.path = strdup(argv[2]);
    cfg.ds.num_prompts = rows;
    cfg.ds.mooncake_block_size = block;
    sb_err err;
    sb_err_clear(&err);
    tok *t = tok_load(argv[1], &err);
    if (!t) {
        fprintf(stderr, "%s\n", err.msg);
        sb_config_free(&cfg);
        return 1;
    }
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    uint64_t t0 = sb_now_ns();
    sb_dataset ds;
    if (dataset_load(&cfg.ds, t, "openai", &ds, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        tok_free(t);
        sb_config_free(&cfg);
        return 1;
    }
    double s = (double)(sb_now_ns() - t0) / 1e9;
    getrusage(RUSAGE_SELF, &r1);
    double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec -
                          r0.ru_stime.tv_sec) +
                 (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec -
                          r0.ru_stime.tv_usec) /
                     1e6;
    printf("mooncake: %zu rows, %zu requests, %llu prompt tokens, %.1f%% in blocks seen before, "
           "%zu skipped, load %.3f s wall, %.3f s CPU (user + sys)\n",
           ds.trace.rows_used, ds.n, (unsigned long long)ds.trace.prompt_tokens,
           100.0 * (double)ds.trace.shared_tokens / (double)ds.trace.prompt_tokens,
           ds.trace.rows_skipped, s, cpu);
    dataset_free(&ds);
    tok_free(t);
    sb_config_free(&cfg);
    return 0;
}
