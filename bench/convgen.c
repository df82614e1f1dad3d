/* SPDX-License-Identifier: Apache-2.0 */
/* convgen.c - the cost of building synthetic multi-turn conversations (the
 * `conversations` dataset's generate_conversations config).
 *   bench_convgen TOKENIZER CONVS TURNS [TOKENS] [NAIVE_CONVS]
 * Writes a config of CONVS conversations of TURNS user turns (TOKENS tokens
 * a user message and a reply, default 40; a 100-token common prefix and a
 * 200-token prefix on each first turn), then:
 *  - incremental: dataset_load (the real generator, src/dataset/
 *    ds_conversations.c: each message cut from the tokenized sonnets and
 *    encoded until exact) and sess_new over it (the counts are reused, no
 *    tokenizing), at CONVS/4, CONVS/2 and CONVS: CPU per new token should be
 *    flat (linear);
 *  - naive: the first NAIVE_CONVS (default CONVS / 10) conversations as a
 *    loop that, per turn, tokenizes the whole history again to count the
 *    request's input (the user messages so far and stand-in replies of the
 *    same length).
 * Prints CPU seconds (the machine may be shared), tokens, CPU per
 * conversation and the naive / incremental ratio. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "dataset/dataset.h"
#include "run/session.h"
#include "tokenizer/tokenizer.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_config(const char *path, long convs, long turns, long tokens)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "{\"filetype\": \"generate_conversations\", \"num_conversations\": %ld,\n"
            " \"prompt_input\": {\n"
            "  \"num_turns\": {\"distribution\": \"constant\", \"value\": %ld},\n"
            "  \"common_prefix_num_tokens\": {\"distribution\": \"constant\", \"value\": 100},\n"
            "  \"prefix_num_tokens\": {\"distribution\": \"constant\", \"value\": 200},\n"
            "  \"num_tokens\": {\"distribution\": \"constant\", \"value\": %ld}},\n"
            " \"prompt_output\": {\"num_tokens\": {\"distribution\": \"constant\", \"value\": "
            "%ld}}}\n",
            convs, 2 * turns, tokens, tokens);
    return fclose(f);
}

/* One generation of n conversations: CPU seconds and new tokens. */
static int incremental(const tok *t, const char *path, long n, long turns, long tokens, double *cpu,
                       double *new_tokens, sb_dataset *keep)
{
    if (write_config(path, n, turns, tokens) != 0)
        return -1;
    sb_config cfg;
    sb_config_defaults(&cfg);
    free(cfg.ds.name);
    cfg.ds.name = strdup("conversations");
    cfg.ds.path = strdup(path);
    cfg.ds.num_prompts = -1;
    cfg.ds.multi_turn = true;
    sb_dataset ds;
    sb_err err;
    double c0 = cpu_s();
    if (dataset_load(&cfg.ds, t, "openai-chat", &ds, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        sb_config_free(&cfg);
        return -1;
    }
    bk_opts bo = {0};
    bk_params bp;
    if (bk_params_init(&bp, backend_find("openai-chat"), &bo, "m", false, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    sess_opts so = {.id_prefix = "b-", .fixed_output_len = -1};
    sess_set *s = sess_new(&so, &ds, &bp, t, &err);
    *cpu = cpu_s() - c0;
    double sum = 0;
    for (size_t i = 0; i < ds.n; i++)
        for (uint32_t k = 0; k < ds.reqs[i].n_turns; k += 2)
            sum += ds.reqs[i].turn_tokens[k];
    *new_tokens = sum;
    sess_free(s);
    bk_params_free(&bp);
    sb_config_free(&cfg);
    if (keep)
        *keep = ds;
    else
        dataset_free(&ds);
    return s ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_convgen TOKENIZER CONVS TURNS [TOKENS] [NAIVE_CONVS]\n");
        return 2;
    }
    sb_err err;
    tok *t = tok_load(argv[1], &err);
    if (!t) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    long convs = atol(argv[2]), turns = atol(argv[3]);
    long tokens = argc > 4 ? atol(argv[4]) : 40;
    long naive_n = argc > 5 ? atol(argv[5]) : convs / 10;
    char path[64];
    snprintf(path, sizeof path, "/tmp/bench_convgen_%d.json", (int)getpid());
    printf("%-28s %12s %10s %14s %16s\n", "incremental", "convs", "CPU s", "new tokens",
           "CPU ns / token");
    double per_conv = 0;
    sb_dataset full = {0};
    for (int step = 4; step >= 1; step /= 2) {
        double cpu, nt;
        long n = convs / step;
        if (incremental(t, path, n, turns, tokens, &cpu, &nt, step == 1 ? &full : NULL) != 0)
            return 1;
        printf("%-28s %12ld %10.2f %14.0f %16.1f\n", "generate + sess_new", n, cpu, nt,
               cpu / nt * 1e9);
        if (step == 1)
            per_conv = cpu / (double)n;
        fflush(stdout);
    }
    /* naive: re-tokenize the whole history at every turn */
    tok_ctx *ctx = tok_ctx_new(t);
    tok_ids ids;
    tok_ids_init(&ids);
    sb_buf hist;
    sb_buf_init(&hist);
    double encoded = 0, c0 = cpu_s();
    for (long i = 0; i < naive_n && i < (long)full.n; i++) {
        const sb_request *q = &full.reqs[i];
        sb_buf_reset(&hist);
        for (uint32_t k = 0; k < q->n_turns; k += 2) {
            sb_buf_puts(&hist, q->turns[k]);
            ids.n = 0;
            tok_encode_ctx(t, ctx, hist.data, hist.len, false, &ids, NULL);
            encoded += (double)ids.n;
            /* the reply: a stand-in of the same length (the next question) */
            sb_buf_puts(&hist, q->turns[k + 2 < q->n_turns ? k + 2 : k]);
        }
    }
    double naive_cpu = cpu_s() - c0;
    double naive_per_conv = naive_cpu / (double)(naive_n ? naive_n : 1) + per_conv;
    printf("naive re-tokenizing loop: %ld conversations, %.2f s CPU on top of generation, "
           "%.0f tokens encoded a conversation\n",
           naive_n, naive_cpu, encoded / (double)(naive_n ? naive_n : 1));
    printf("CPU per conversation: incremental %.1f us, naive %.1f us, ratio %.2fx\n",
           per_conv * 1e6, naive_per_conv * 1e6, naive_per_conv / per_conv);
    unlink(path);
    sb_buf_free(&hist);
    tok_ids_free(&ids);
    tok_ctx_free(ctx);
    dataset_free(&full);
    tok_free(t);
    return 0;
}
