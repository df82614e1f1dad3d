/* SPDX-License-Identifier: Apache-2.0 */
/* gen_sharegpt.c - writes a synthetic file shaped like
 * ShareGPT_V3_unfiltered_cleaned_split.json (a JSON list of {id,
 * conversations: [{from, value}, ...]}) for the dataset loading benchmark.
 *
 * Deterministic (numpy PCG64 stream from core/rng, seed 0): the same
 * arguments give the same bytes. Mixed lengths (short questions to
 * multi-thousand-word answers), ~3% single-turn entries the loader must
 * drop, UTF-8 in several scripts and JSON escapes (quotes, newlines, tabs,
 * backslashes, \uXXXX) so the parser does real work.
 * usage: bench_gen_sharegpt OUT.json [target_bytes (650000000)] */
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"

static const char *const words[] = {
    "the",
    "model",
    "server",
    "request",
    "token",
    "latency",
    "quantum",
    "garden",
    "river",
    "because",
    "however",
    "function",
    "return",
    "value",
    "na\xc3\xafve",
    "caf\xc3\xa9",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
    "\xf0\x9f\x98\x80",
    "\\\"quoted\\\"",
    "line\\nbreak",
    "tab\\there",
    "back\\\\slash",
    "\\u00e9t\\u00e9",
    "benchmark",
    "throughput",
    "a",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "with",
    "as",
    "on",
    "this",
    "by",
    "be",
    "are",
    "or",
    "it",
    "from",
    "at",
    "an",
    "which",
    "can",
    "will",
    "more",
    "data",
    "time",
    "use",
    "new",
    "like",
    "code",
    "example",
    "\xd8\xa7\xd9\x84\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85",
    "\xe4\xbd\xa0\xe5\xa5\xbd",
    "1,024",
    "x^2",
    "{json}",
    "<html>",
    "#include",
    "std::vector",
    "print(\\\"hi\\\")",
};
#define N_WORDS (sizeof words / sizeof words[0])

static void value(FILE *f, np_gen *g, uint64_t n_words)
{
    fputc('"', f);
    for (uint64_t i = 0; i < n_words; i++) {
        if (i)
            fputs(np_gen_next32(g) % 23 == 0 ? "\\n" : " ", f);
        fputs(words[np_gen_next32(g) % N_WORDS], f);
    }
    fputc('"', f);
}

static void conversation(FILE *f, np_gen *g, uint64_t k)
{
    uint32_t r = np_gen_next32(g);
    int turns = r % 100 < 3 ? 1 : 2 + (int)(r % 4);
    fprintf(f, "  {\"id\": \"conv%llu\", \"conversations\": [", (unsigned long long)k);
    for (int t = 0; t < turns; t++) {
        int human = t % 2 == 0;
        uint32_t len = np_gen_next32(g);
        /* short prompts, long answers; one in 20 answers is very long */
        uint64_t n = human ? 3 + len % 300 : 20 + len % (len % 20 == 0 ? 3000 : 800);
        fprintf(f, "%s{\"from\": \"%s\", \"value\": ", t ? ", " : "", human ? "human" : "gpt");
        value(f, g, n);
        fputc('}', f);
    }
    fputs("]}", f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s OUT.json [target_bytes]\n", argv[0]);
        return 2;
    }
    long long target = argc > 2 ? atoll(argv[2]) : 650000000LL;
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    np_gen g;
    np_gen_seed(&g, 0);
    fputs("[\n", f);
    uint64_t k = 0;
    while (ftell(f) < target) {
        if (k)
            fputs(",\n", f);
        conversation(f, &g, k++);
    }
    fputs("\n]\n", f);
    long size = ftell(f);
    if (fclose(f) != 0) {
        perror(argv[1]);
        return 1;
    }
    printf("%s: %llu conversations, %ld bytes\n", argv[1], (unsigned long long)k, size);
    return 0;
}
