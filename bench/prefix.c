/* SPDX-License-Identifier: Apache-2.0 */
/* bench/prefix.c - what the simulator's prefix cache costs per request,
 * against what the simulator already pays per request to count its prompt
 * with a tokenizer (the keys are those very ids).
 *
 *   bench_prefix TOKENIZER [REQUESTS] [PROMPT_WORDS]
 *
 * Prompts: PROMPT_WORDS words, the first half one of 8 shared system
 * prompts, the rest unique. Per request: tok_encode (the counting the
 * simulator does anyway), then hashing the ids into blocks of 16 and one
 * acquire + release on a 65,536-block cache (the default), as a request's
 * start and end do. Prints ns per request of each and the hit rate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "sim/sim_prefix.h"
#include "tokenizer/tokenizer.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_prefix TOKENIZER [REQUESTS] [PROMPT_WORDS]\n");
        return 2;
    }
    long nreq = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
    long words = argc > 3 ? strtol(argv[3], NULL, 10) : 1000;
    if (nreq < 1 || words < 2 || words > 1000000) {
        fprintf(stderr, "bench_prefix: REQUESTS >= 1, PROMPT_WORDS in [2, 1000000]\n");
        return 2;
    }
    sb_err err;
    tok *t = tok_load(argv[1], &err);
    if (!t) {
        fprintf(stderr, "bench_prefix: %s\n", err.msg);
        return 1;
    }
    sim_prefix *p = sim_prefix_new(16, 65536, &err);
    sb_buf text;
    sb_buf_init(&text);
    tok_ids ids;
    tok_ids_init(&ids);
    size_t cap = (size_t)words * 8 / 16 + 64;
    uint64_t *hashes = sb_xmalloc(cap * sizeof *hashes);
    uint32_t *ents = sb_xmalloc(cap * sizeof *ents);
    uint64_t enc_ns = 0, key_ns = 0, hash_ns = 0, hits = 0, queries = 0;
    for (long r = 0; r < nreq; r++) {
        sb_buf_reset(&text);
        for (long w = 0; w < words; w++)
            sb_buf_printf(&text, w < words / 2 ? " sys%ld_%ld" : " u%ld_%ld",
                          w < words / 2 ? r % 8 : r, w);
        uint64_t a = sb_now_ns();
        ids.n = 0;
        if (tok_encode(t, text.data, text.len, true, &ids, &err) != 0) {
            fprintf(stderr, "bench_prefix: %s\n", err.msg);
            return 1;
        }
        uint64_t b = sb_now_ns();
        sim_pfx_hasher h;
        sim_pfx_hasher_begin(&h, 16, 0, NULL, 0, hashes, (uint32_t)cap);
        for (size_t i = 0; i < ids.n; i++)
            sim_pfx_hasher_push(&h, (uint64_t)(uint32_t)ids.v[i]);
        uint64_t bh = sb_now_ns();
        uint32_t held;
        uint32_t hit =
            sim_prefix_acquire(p, hashes, h.n, (uint32_t)((ids.n - 1) / 16), ents, &held);
        sim_prefix_release(p, ents, held);
        uint64_t c = sb_now_ns();
        enc_ns += b - a;
        key_ns += c - b;
        hash_ns += bh - b;
        hits += hit * 16u;
        queries += ids.n;
    }
    printf("bench_prefix: %ld requests of %zu tokens (last): tokenizer %.1f us/request, "
           "prefix cache %.2f us/request (hashing %.2f, acquire + release %.2f) = %.1f%% of "
           "it; hit rate %.2f%%\n",
           nreq, ids.n, (double)enc_ns / 1e3 / (double)nreq, (double)key_ns / 1e3 / (double)nreq,
           (double)hash_ns / 1e3 / (double)nreq, (double)(key_ns - hash_ns) / 1e3 / (double)nreq,
           100.0 * (double)key_ns / (double)enc_ns, 100.0 * (double)hits / (double)queries);
    free(hashes);
    free(ents);
    tok_ids_free(&ids);
    sb_buf_free(&text);
    sim_prefix_free(p);
    tok_free(t);
    return 0;
}
