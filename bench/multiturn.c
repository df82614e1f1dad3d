/* SPDX-License-Identifier: Apache-2.0 */
/* multiturn.c - the cost of building multi-turn conversations' requests.
 *   bench_multiturn TOKENIZER CONVS TURNS [NAIVE_CONVS]
 * Makes CONVS synthetic conversations of TURNS user turns (about 40 words a
 * user message, 80 a dataset reply), then:
 *  - incremental: the real session layer (run/session.c) driven through its
 *    loop_feed with no network: sess_new (every dataset message tokenized
 *    once), then per turn take (history appended, body built) and done with a
 *    "server" reply of about 80 words and no usage, so the reply is tokenized
 *    too, once;
 *  - naive: the first NAIVE_CONVS (default CONVS / 10) conversations rebuilt
 *    the way a loop that re-tokenizes does it: per turn, every message of the
 *    history rendered and tokenized again, then the body built.
 * Prints CPU seconds (the machine may be shared), wall seconds, tokens
 * encoded and the CPU cost per conversation of each, and their ratio (linear
 * vs quadratic in the turns). Texts come from pools of 4,096 sentences. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "core/clock.h"
#include "core/pyfmt.h"
#include "dataset/dataset.h"
#include "run/session.h"
#include "tokenizer/tokenizer.h"

static const char *const words[] = {
    "the",     "weather", "in",    "town",   "is",      "quite",  "warm",    "today",  "and",
    "people",  "walk",    "along", "river",  "talking", "about",  "their",   "plans",  "for",
    "summer",  "holiday", "trips", "books",  "music",   "coffee", "gardens", "trains", "city",
    "history", "market",  "bread", "cheese", "wine",    "light",  "rain"};
#define N_WORDS (sizeof words / sizeof words[0])

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 33;
}

static char *sentence(sb_arena *a, uint64_t *x, int n)
{
    sb_buf b;
    sb_buf_init(&b);
    for (int i = 0; i < n; i++)
        sb_buf_printf(&b, "%s%s", i ? " " : "", words[lcg(x) % N_WORDS]);
    char *s = sb_arena_strndup(a, b.data ? b.data : "", b.len);
    sb_buf_free(&b);
    return s;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long count(const tok *t, tok_ids *ids, const char *s, size_t n, long *tokens)
{
    ids->n = 0;
    tok_encode(t, s, n, false, ids, NULL);
    *tokens += (long)ids->n;
    return (long)ids->n;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_multiturn TOKENIZER CONVS TURNS [NAIVE_CONVS]\n");
        return 2;
    }
    sb_err err;
    tok *t = tok_load(argv[1], &err);
    if (!t) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    size_t convs = strtoul(argv[2], NULL, 10), turns = strtoul(argv[3], NULL, 10);
    size_t naive_n = argc > 4 ? strtoul(argv[4], NULL, 10) : convs / 10;
    if (!convs || !turns || turns > 1000 || naive_n > convs) {
        fprintf(stderr, "bench_multiturn: CONVS >= 1, TURNS in 1..1000, NAIVE_CONVS <= CONVS\n");
        return 2;
    }
    /* the dataset: user/assistant turns, as dataset_keep_turns leaves them */
    sb_dataset ds;
    memset(&ds, 0, sizeof ds);
    sb_arena_init(&ds.arena, 0);
    ds.multi_turn = true;
    ds.n = convs;
    ds.reqs = sb_xcalloc(convs, sizeof *ds.reqs);
    uint64_t x = 7;
    /* Texts come from pools (a 100,000-conversation set would otherwise hold
     * gigabytes of text); each message is still tokenized on its own. */
    enum { POOL = 4096 };
    char **pool_user = sb_xmalloc(POOL * sizeof *pool_user);
    char **pool_reply = sb_xmalloc(POOL * sizeof *pool_reply);
    for (size_t i = 0; i < POOL; i++) {
        pool_user[i] = sentence(&ds.arena, &x, 30 + (int)(lcg(&x) % 20));
        pool_reply[i] = sentence(&ds.arena, &x, 60 + (int)(lcg(&x) % 40));
    }
    for (size_t c = 0; c < convs; c++) {
        const char **tx = sb_arena_alloc(&ds.arena, 2 * turns * sizeof *tx);
        const char **ro = sb_arena_alloc(&ds.arena, 2 * turns * sizeof *ro);
        for (size_t k = 0; k < turns; k++) {
            tx[2 * k] = pool_user[lcg(&x) % POOL];
            ro[2 * k] = "user";
            tx[2 * k + 1] = pool_reply[lcg(&x) % POOL];
            ro[2 * k + 1] = "assistant";
        }
        ds.reqs[c].turns = tx;
        ds.reqs[c].roles = ro;
        ds.reqs[c].n_turns = (uint32_t)(2 * turns);
    }
    /* the "server" replies: one per turn of a conversation, reused across conversations */
    char **replies = sb_xmalloc(turns * sizeof *replies);
    for (size_t k = 0; k < turns; k++)
        replies[k] = sentence(&ds.arena, &x, 60 + (int)(lcg(&x) % 40));

    bk_params bp;
    bk_opts bo = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, -1, -1, NULL};
    if (bk_params_init(&bp, backend_find("openai-chat"), &bo, "m", false, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }

    /* incremental: the session layer */
    double c0 = cpu_s();
    uint64_t t0 = sb_now_ns();
    sess_opts so = {.id_prefix = "b-", .fixed_output_len = -1};
    sess_set *s = sess_new(&so, &ds, &bp, t, &err);
    if (!s) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    size_t n_rec = sess_turns(s);
    rec_store *rs = rec_store_new(n_rec);
    sched_plan plan = {.offset_ns = sb_xcalloc(convs, sizeof(uint64_t)), .n = convs};
    const loop_feed *f = sess_feed(s, rs, &plan);
    rs->bench_start_ns = 1;
    uint64_t now = 2, wake;
    size_t sent = 0;
    size_t body_bytes = 0;
    for (;;) {
        size_t i = f->take(f->ud, now, &wake);
        if (i == SIZE_MAX)
            break;
        body_bytes += f->reqs[i].body_len;
        rs->recs[i].success = true;
        size_t k = sent++ % turns; /* any reply text will do; its length is what counts */
        f->done(f->ud, i, replies[k], strlen(replies[k]), now);
    }
    double inc_s = cpu_s() - c0, inc_wall = (double)(sb_now_ns() - t0) / 1e9;
    if (sent != n_rec || f->pending(f->ud)) {
        fprintf(stderr, "bench_multiturn: %zu of %zu turns built\n", sent, n_rec);
        return 1;
    }

    /* naive: per turn, render and tokenize the whole history again */
    c0 = cpu_s();
    t0 = sb_now_ns();
    tok_ids ids;
    tok_ids_init(&ids);
    sb_buf list, body;
    sb_buf_init(&list);
    sb_buf_init(&body);
    pyjson_obj scratch;
    pyjson_obj_init(&scratch);
    long naive_tokens = 0, naive_sum = 0;
    size_t naive_bytes = 0;
    for (size_t c = 0; c < naive_n; c++) {
        const sb_request *q = &ds.reqs[c];
        for (size_t k = 0; k < turns; k++) {
            sb_buf_reset(&list);
            sb_buf_putc(&list, '[');
            long in = 0;
            for (size_t j = 0; j <= k; j++) { /* user j, then the reply to it */
                const char *u = q->turns[2 * j];
                sb_buf_puts(&list, j ? ", {\"role\": \"user\", \"content\": "
                                     : "{\"role\": \"user\", \"content\": ");
                pyfmt_json_string(&list, u, strlen(u));
                sb_buf_putc(&list, '}');
                in += count(t, &ids, u, strlen(u), &naive_tokens);
                if (j == k)
                    break;
                const char *a = replies[j];
                sb_buf_puts(&list, ", {\"role\": \"assistant\", \"content\": ");
                pyfmt_json_string(&list, a, strlen(a));
                sb_buf_putc(&list, '}');
                in += count(t, &ids, a, strlen(a), &naive_tokens);
            }
            sb_buf_putc(&list, ']');
            long out =
                count(t, &ids, q->turns[2 * k + 1], strlen(q->turns[2 * k + 1]), &naive_tokens);
            bk_req r = {.prompt = "",
                        .prompt_len = (int32_t)in,
                        .output_len = (int32_t)out,
                        .chat_messages = list.data,
                        .chat_messages_bytes = list.len};
            sb_buf_reset(&body);
            bk_build_body(&bp, &r, &scratch, &body);
            naive_bytes += body.len;
            naive_sum += in;
        }
    }
    double naive_s = cpu_s() - c0, naive_wall = (double)(sb_now_ns() - t0) / 1e9;

    double inc_per = inc_s / (double)convs * 1e6;
    double naive_per = naive_n ? naive_s / (double)naive_n * 1e6 : 0;
    printf("conversations %zu x %zu turns: %zu requests, %.1f MB of bodies\n", convs, turns, sent,
           (double)body_bytes / 1e6);
    printf("incremental: %.3f s CPU, %.3f s wall (%.2f us CPU per conversation)\n", inc_s, inc_wall,
           inc_per);
    printf("naive (%zu conversations): %.3f s CPU, %.3f s wall (%.2f us CPU per conversation), "
           "%ld tokens encoded, %.1f MB of bodies\n",
           naive_n, naive_s, naive_wall, naive_per, naive_tokens, (double)naive_bytes / 1e6);
    if (inc_per > 0 && naive_n)
        printf("naive / incremental per conversation: %.2fx\n", naive_per / inc_per);
    (void)naive_sum;
    pyjson_obj_free(&scratch);
    sb_buf_free(&list);
    sb_buf_free(&body);
    tok_ids_free(&ids);
    sess_free(s);
    rec_store_free(rs);
    free(plan.offset_ns);
    bk_params_free(&bp);
    free(replies);
    free(pool_user);
    free(pool_reply);
    free(ds.reqs);
    sb_arena_free(&ds.arena);
    tok_free(t);
    return 0;
}
