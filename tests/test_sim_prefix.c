/* SPDX-License-Identifier: Apache-2.0 */
/* test_sim_prefix.c - the simulator's prefix cache (src/sim/sim_prefix.c):
 * the table alone (chained block hashes, hits, pinning, LRU eviction order,
 * a table full of pinned blocks, capacity mode's room), then a real server
 * over sockets, checked against its exact ground truth (--record's
 * cached_tokens, /metrics' vllm:prefix_cache_* counters): a shared prefix
 * skips its prefill, --no-enable-prefix-caching never hits, a tiny capacity
 * evicts least recently used blocks, a chat conversation hits its earlier
 * turns (word keys and a real tokenizer's ids), cache_salt separates, and
 * token-id prompts share blocks. Timing bounds are one-sided or have margins
 * of 100 ms, so a loaded machine cannot make them fail. */
#include "testutil.h"

#include <jansson.h>

#include "sim/sim.h"
#include "sim/sim_prefix.h"
#include "test_sim_client.h"
#include "tokenizer/tokenizer.h"

/* ---- the table ---- */

static void hasher_chains_blocks(void **state)
{
    (void)state;
    uint64_t a[4], b[4], c[4], d[4];
    sim_pfx_hasher h;
    uint64_t base[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    uint64_t *outs[4] = {a, b, c, d};
    for (int v = 0; v < 4; v++) {
        uint64_t ids[10];
        memcpy(ids, base, sizeof ids);
        if (v == 1)
            ids[5] = 99; /* second block differs */
        if (v == 2)
            ids[0] = 99; /* first block differs */
        sim_pfx_hasher_begin(&h, 4, 0, v == 3 ? "salt" : NULL, v == 3 ? 4 : 0, outs[v], 4);
        for (int i = 0; i < 10; i++)
            sim_pfx_hasher_push(&h, ids[i]);
        assert_int_equal(h.n, 2); /* 10 ids: two full blocks, the rest not hashed */
    }
    assert_true(a[0] == b[0] && a[1] != b[1]);     /* same first block, then apart */
    assert_true(a[0] != c[0] && a[1] != c[1]);     /* the chain carries the first block */
    assert_true(a[0] != d[0] && a[1] != d[1]);     /* a salt changes every block */
    sim_pfx_hasher_begin(&h, 4, 0, NULL, 0, a, 1); /* room for one block only */
    for (int i = 0; i < 10; i++)
        sim_pfx_hasher_push(&h, base[i]);
    assert_int_equal(h.n, 1);
    assert_true(a[0] == b[0]);
}

static void stats_are(const sim_prefix *p, uint32_t used, uint32_t unpinned, uint64_t evictions)
{
    sim_prefix_stats st;
    sim_prefix_get_stats(p, &st);
    assert_int_equal(st.used, used);
    assert_int_equal(st.unpinned, unpinned);
    assert_int_equal(st.evictions, evictions);
}

static void table_hits_pins_and_evicts_lru(void **state)
{
    (void)state;
    sb_err err;
    sim_prefix *p = sim_prefix_new(16, 6, &err);
    assert_non_null(p);
    uint32_t ea[8], eb[8], ec[8], held;
    const uint64_t A[] = {1, 2, 3, 4}, B[] = {1, 2, 9}, C[] = {20, 21};
    assert_int_equal(sim_prefix_acquire(p, A, 4, 4, ea, &held), 0);
    assert_int_equal(held, 4);
    /* B shares A's first two blocks while A still runs */
    uint32_t hb;
    assert_int_equal(sim_prefix_acquire(p, B, 3, 3, eb, &hb), 2);
    assert_int_equal(hb, 3);
    stats_are(p, 5, 0, 0);
    sim_prefix_release(p, ea, held); /* only 4 and 3 become free: B holds 1 and 2 */
    stats_are(p, 5, 2, 0);
    sim_prefix_release(p, eb, hb); /* LRU now 4, 3, 9, 2, 1 (4 evicted first) */
    stats_are(p, 5, 5, 0);
    uint32_t hc;
    assert_int_equal(sim_prefix_acquire(p, C, 2, 2, ec, &hc), 0); /* a free entry, then 4 goes */
    stats_are(p, 6, 4, 1);
    /* A again: 1, 2, 3 cached, 4 was evicted and comes back in place of 9 */
    assert_int_equal(sim_prefix_acquire(p, A, 4, 4, ea, &held), 3);
    assert_int_equal(held, 4);
    stats_are(p, 6, 0, 2);
    /* max_hit caps what counts: all four cached, at most two may be hits */
    assert_int_equal(sim_prefix_acquire(p, A, 4, 2, eb, &hb), 2);
    sim_prefix_release(p, eb, hb);
    /* every entry pinned (A, C): a new prompt is not cached at all */
    const uint64_t D[] = {30, 31};
    uint32_t ed[2], hd;
    assert_int_equal(sim_prefix_acquire(p, D, 2, 2, ed, &hd), 0);
    assert_int_equal(hd, 0);
    sim_prefix_release(p, ea, held);
    sim_prefix_release(p, ec, hc);
    stats_are(p, 6, 6, 2);
    sim_prefix_set_room(p, 2); /* capacity mode: running requests took the memory */
    stats_are(p, 2, 2, 6);
    sim_prefix_set_room(p, 100); /* room beyond the capacity is the capacity */
    assert_int_equal(sim_prefix_acquire(p, A, 4, 4, ea, &held), 0); /* A's first blocks went */
    sim_prefix_release(p, ea, held);
    sim_prefix_free(p);
    assert_null(sim_prefix_new(16, 0, &err));
    assert_non_null(strstr(err.msg, "prefix cache"));
    assert_null(sim_prefix_new(16, SIM_PREFIX_MAX_BLOCKS + 1, &err));
}

/* ---- a real server ---- */

typedef struct server {
    sim_server *s;
    char path[64];
} server;

static void start_opts(server *sv, sim_opts *o)
{
    strcpy(sv->path, "/tmp/sb_sim_prefixXXXXXX");
    int fd = mkstemp(sv->path);
    assert_true(fd >= 0);
    close(fd);
    o->port = 0;
    o->quiet = 1;
    o->record_path = sv->path;
    sb_err err;
    sv->s = sim_start_opts(o, &err);
    if (!sv->s)
        print_error("sim_start_opts: %s\n", err.msg);
    assert_non_null(sv->s);
}

static void start(server *sv, const char *args)
{
    char buf[512];
    snprintf(buf, sizeof buf, "sim %s", args);
    char *argv[32];
    int argc = 0;
    for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
        argv[argc++] = t;
    sim_opts o;
    sim_opts_default(&o);
    sb_err err;
    assert_int_equal(sim_opts_parse(&o, argc, argv, &err), 0);
    start_opts(sv, &o);
}

/* Stops the server; its record lines as a JSON array, in the order requests ended. */
static json_t *stop(server *sv)
{
    sim_stop(sv->s);
    json_t *all = tu_read_jsonl(sv->path);
    unlink(sv->path);
    return all;
}

static long rec(json_t *all, size_t i, const char *key)
{
    json_t *j = json_array_get(all, i);
    assert_non_null(j);
    return (long)json_integer_value(json_object_get(j, key));
}

/* The request's prefill as the server ran it: first token - start, ns. */
static long prefill_ns(json_t *all, size_t i)
{
    return rec(all, i, "first_token_ns") - rec(all, i, "start_ns");
}

/* POSTs body to path and expects status; returns the body (caller frees) or NULL. */
static char *post(server *sv, const char *path, const char *body, int status)
{
    sc_resp r;
    assert_int_equal(sc_do(sim_port(sv->s), "POST", path, NULL, body, &r), 0);
    if (r.status != status)
        print_error("%s: status %d: %.300s\n", path, r.status, r.body.data ? r.body.data : "");
    assert_int_equal(r.status, status);
    char *out = sb_xstrndup(r.body.data ? r.body.data : "", r.body.len);
    sc_resp_free(&r);
    return out;
}

static void completion(server *sv, const char *prompt, const char *extra)
{
    sb_buf b;
    sb_buf_init(&b);
    sb_buf_printf(&b, "{\"prompt\":\"%s\",\"max_tokens\":1%s}", prompt, extra ? extra : "");
    free(post(sv, "/v1/completions", b.data, 200));
    sb_buf_free(&b);
}

/* A counter of GET /metrics (the model_name="sim" sample). */
static double metric(server *sv, const char *name)
{
    sc_resp r;
    assert_int_equal(sc_do(sim_port(sv->s), "GET", "/metrics", NULL, NULL, &r), 0);
    char key[128];
    snprintf(key, sizeof key, "\n%s{model_name=\"sim\"} ", name);
    const char *at = strstr(r.body.data, key);
    assert_non_null(at);
    double v = strtod(at + strlen(key), NULL);
    sc_resp_free(&r);
    return v;
}

/* n words w<from>.. w<from+n-1>, space-separated, then " tail". */
static void words(sb_buf *b, int from, int n, const char *tail)
{
    sb_buf_reset(b);
    for (int i = 0; i < n; i++)
        sb_buf_printf(b, "%sw%d", i ? " " : "", from + i);
    if (tail)
        sb_buf_printf(b, " %s", tail);
}

/* 1 ms per 100 prompt tokens; two prompts of 20,001 words share 20,000: the
 * second is prefilled from 20,000 cached tokens (1,250 blocks), 1 token of
 * work (0.01 ms) instead of 200.01 ms. */
static void shared_prefix_skips_prefill(void **state)
{
    (void)state;
    for (int on = 1; on >= 0; on--) {
        server sv;
        start(&sv, on ? "--ttft-ms 0 --prefill-tok-per-s 100000"
                      : "--ttft-ms 0 --prefill-tok-per-s 100000 --no-enable-prefix-caching");
        sb_buf p;
        sb_buf_init(&p);
        words(&p, 0, 20000, "first");
        completion(&sv, p.data, NULL);
        words(&p, 0, 20000, "second");
        completion(&sv, p.data, NULL);
        double queries = metric(&sv, "vllm:prefix_cache_queries_total");
        double hits = metric(&sv, "vllm:prefix_cache_hits_total");
        sb_buf_free(&p);
        json_t *all = stop(&sv);
        assert_int_equal(rec(all, 0, "prompt_tokens"), 20001);
        assert_int_equal(rec(all, 1, "prompt_tokens"), 20001);
        assert_int_equal(rec(all, 0, "cached_tokens"), 0);
        assert_true(prefill_ns(all, 0) >= 200010000); /* never earlier than planned */
        if (on) {
            assert_int_equal(rec(all, 1, "cached_tokens"), 20000);
            assert_true(queries == 40002 && hits == 20000);
            assert_true(prefill_ns(all, 1) >= 10000);
            /* planned 200 ms sooner: only a 100 ms late emission could break this */
            assert_true(prefill_ns(all, 1) < prefill_ns(all, 0) - 100000000);
        } else {
            /* vLLM with caching off looks nothing up: both counters stay 0 */
            assert_int_equal(rec(all, 1, "cached_tokens"), 0);
            assert_true(queries == 0 && hits == 0);
            assert_true(prefill_ns(all, 1) >= 200010000);
        }
        json_decref(all);
    }
}

/* Block size 4, room for 6 blocks: P1 (4 blocks) and P2 (2) fill it, P3 (2)
 * evicts P1's last two blocks (a finished request's tail goes first), so P1
 * again finds 2 blocks, and re-inserting its tail evicts P2. */
static void tiny_capacity_evicts_least_recently_used(void **state)
{
    (void)state;
    server sv;
    start(&sv, "--block-size 4 --num-gpu-blocks-override 6");
    sb_buf p1, p;
    sb_buf_init(&p1);
    sb_buf_init(&p);
    words(&p1, 0, 16, "end"); /* 17 words: 4 full blocks, all may hit */
    completion(&sv, p1.data, NULL);
    words(&p, 100, 8, "end"); /* 9 words: 2 blocks */
    completion(&sv, p.data, NULL);
    words(&p, 200, 8, "end");
    completion(&sv, p.data, NULL);
    completion(&sv, p1.data, NULL);
    words(&p, 100, 8, "end");
    completion(&sv, p.data, NULL);
    completion(&sv, p1.data, NULL); /* all four of P1 are back */
    sb_buf_free(&p1);
    sb_buf_free(&p);
    json_t *all = stop(&sv);
    const long want[] = {0, 0, 0, 8, 0, 16};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(rec(all, i, "cached_tokens"), want[i]);
    json_decref(all);
}

/* Chat: the prompt is the messages' contents joined by newlines, so each turn,
 * which resends the history, finds the earlier turn's full blocks. */
static char *chat_body(const char *const *contents, size_t n)
{
    static const char *const roles[] = {"system", "user", "assistant"};
    json_t *msgs = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", roles[i ? 1 + (i + 1) % 2 : 0],
                                              "content", contents[i]));
    json_t *o = json_pack("{s:o, s:i, s:b}", "messages", msgs, "max_tokens", 5, "ignore_eos", 1);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* The assistant's reply in a chat answer (body is freed). */
static char *reply_of(char *body)
{
    json_t *j = json_loads(body, 0, NULL);
    assert_non_null(j);
    free(body);
    json_t *m = json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message");
    char *s = sb_xstrdup(json_string_value(json_object_get(m, "content")));
    json_decref(j);
    return s;
}

/* Three turns; returns the record. texts[] receives each turn's joined prompt
 * (malloc'd) when not NULL. */
static json_t *conversation(server *sv, char **texts)
{
    sb_buf sys, u1, u2, u3;
    sb_buf_init(&sys);
    sb_buf_init(&u1);
    sb_buf_init(&u2);
    sb_buf_init(&u3);
    words(&sys, 0, 40, "You are terse."); /* 43 words */
    words(&u1, 1000, 9, "Why?");
    words(&u2, 2000, 9, "And then?");
    words(&u3, 3000, 9, "Thanks.");
    const char *c[7] = {sys.data, u1.data};
    char *b = chat_body(c, 2);
    char *r1 = reply_of(post(sv, "/v1/chat/completions", b, 200));
    free(b);
    c[2] = r1;
    c[3] = u2.data;
    b = chat_body(c, 4);
    char *r2 = reply_of(post(sv, "/v1/chat/completions", b, 200));
    free(b);
    c[4] = r2;
    c[5] = u3.data;
    b = chat_body(c, 6);
    free(post(sv, "/v1/chat/completions", b, 200));
    free(b);
    for (size_t t = 0; texts && t < 3; t++) {
        sb_buf j;
        sb_buf_init(&j);
        for (size_t i = 0; i < 2 + 2 * t; i++)
            sb_buf_printf(&j, "%s%s", i ? "\n" : "", c[i]);
        texts[t] = sb_xstrdup(j.data);
        sb_buf_free(&j);
    }
    free(r1);
    free(r2);
    sb_buf_free(&sys);
    sb_buf_free(&u1);
    sb_buf_free(&u2);
    sb_buf_free(&u3);
    return stop(sv);
}

static void chat_turns_hit_earlier_turns(void **state)
{
    (void)state;
    server sv;
    start(&sv, "--ttft-ms 0");
    json_t *all = conversation(&sv, NULL);
    /* words: turn 1 = 43 + 10 = 53; turn 2 = 53 + 5 (reply) + 11 = 69; turn 3 = 69 + 5 + 10 = 84;
     * turn k caches its prompt and reply but the reply's last word: 57 and 73 words */
    assert_int_equal(rec(all, 0, "prompt_tokens"), 53);
    assert_int_equal(rec(all, 1, "prompt_tokens"), 69);
    assert_int_equal(rec(all, 2, "prompt_tokens"), 84);
    assert_int_equal(rec(all, 0, "cached_tokens"), 0);
    assert_int_equal(rec(all, 1, "cached_tokens"), 48); /* 3 full blocks of 57 */
    assert_int_equal(rec(all, 2, "cached_tokens"), 64); /* 4 of 73 */
    json_decref(all);
}

/* Longest common prefix of two id lists. */
static size_t lcp(const tok_ids *a, const tok_ids *b)
{
    size_t i = 0;
    while (i < a->n && i < b->n && a->v[i] == b->v[i])
        i++;
    return i;
}

/* The same with GPT-2's tokenizer counting (serve --sim's way): the keys are
 * its ids, so each turn hits the earlier turn's full blocks of ids. */
static void chat_turns_hit_with_a_tokenizer(void **state)
{
    (void)state;
    char *path = tu_data_path("tokenizers/gpt2");
    sb_err err;
    tok *t = tok_load(path, &err);
    if (!t)
        print_error("tok_load: %s\n", err.msg);
    assert_non_null(t);
    free(path);
    sim_opts o;
    sim_opts_default(&o);
    o.ttft_ms = 0;
    o.count_tokens = sim_count_with_tok;
    o.count_ctx = t;
    server sv;
    start_opts(&sv, &o);
    char *texts[3];
    json_t *all = conversation(&sv, texts);
    tok_ids ids[3];
    for (int i = 0; i < 3; i++) {
        tok_ids_init(&ids[i]);
        assert_int_equal(tok_encode(t, texts[i], strlen(texts[i]), true, &ids[i], &err), 0);
        assert_int_equal(rec(all, (size_t)i, "prompt_tokens"), (long)ids[i].n);
    }
    assert_int_equal(rec(all, 0, "cached_tokens"), 0);
    for (int i = 1; i < 3; i++) {
        /* The previous turn cached its prompt and reply tokenized whole (the
         * history up to this turn's user message), but the reply's last
         * token; this turn hits the full blocks its own ids share with them,
         * short of its own last token. */
        tok_ids hist;
        tok_ids_init(&hist);
        size_t hn = (size_t)(strrchr(texts[i], '\n') - texts[i]);
        assert_int_equal(tok_encode(t, texts[i], hn, true, &hist, &err), 0);
        size_t lim = lcp(&hist, &ids[i]);
        if (lim > hist.n - 1)
            lim = hist.n - 1;
        if (lim > ids[i].n - 1)
            lim = ids[i].n - 1;
        size_t want = lim / 16 * 16, prev_full = ids[i - 1].n / 16 * 16;
        assert_int_equal(rec(all, (size_t)i, "cached_tokens"), (long)want);
        /* the history's ids carry over: at most the block at the seam is lost */
        assert_true(want + 16 >= prev_full && want > 0);
        tok_ids_free(&hist);
    }
    for (int i = 0; i < 3; i++) {
        tok_ids_free(&ids[i]);
        free(texts[i]);
    }
    json_decref(all);
    tok_free(t);
}

/* vLLM's cache_salt: equal prompts with other salts share nothing. */
static void cache_salt_separates(void **state)
{
    (void)state;
    server sv;
    start(&sv, "");
    sb_buf p;
    sb_buf_init(&p);
    words(&p, 0, 40, NULL);
    completion(&sv, p.data, ",\"cache_salt\":\"alice\"");
    completion(&sv, p.data, ",\"cache_salt\":\"bob\"");
    completion(&sv, p.data, ",\"cache_salt\":\"alice\"");
    completion(&sv, p.data, NULL);
    char *e = post(&sv, "/v1/completions", "{\"prompt\":\"x\",\"cache_salt\":\"\"}", 400);
    assert_non_null(strstr(e, "cache_salt"));
    free(e);
    e = post(&sv, "/v1/completions", "{\"prompt\":\"x\",\"cache_salt\":7}", 400);
    assert_non_null(strstr(e, "cache_salt"));
    free(e);
    sb_buf_free(&p);
    json_t *all = stop(&sv);
    const long want[] = {0, 0, 32, 0};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(rec(all, i, "cached_tokens"), want[i]);
    json_decref(all);
}

/* Token-id prompts are keyed by their ids; a fully cached prompt still
 * computes its last block (vLLM recomputes the last token). */
static void token_id_prompts_share_blocks(void **state)
{
    (void)state;
    server sv;
    start(&sv, "");
    sb_buf b;
    sb_buf_init(&b);
    /* ids 0..n-1; the second prompt differs in id 39 only (its partial block) */
    const int lens[] = {40, 40, 49, 49, 48};
    for (int k = 0; k < 5; k++) {
        sb_buf_reset(&b);
        sb_buf_puts(&b, "{\"prompt\":[");
        for (int i = 0; i < lens[k]; i++)
            sb_buf_printf(&b, "%s%d", i ? "," : "", i == 39 && k == 1 ? 777 : i);
        sb_buf_puts(&b, "],\"max_tokens\":1}");
        free(post(&sv, "/v1/completions", b.data, 200));
    }
    sb_buf_free(&b);
    json_t *all = stop(&sv);
    /* 40 ids: blocks [0,16) and [16,32) cached. 49 ids: the third block was
     * never full before, then it is. 48 ids: three cached blocks, but the
     * last token must be computed, so its block too. */
    const long want[] = {0, 32, 32, 48, 32};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(rec(all, i, "cached_tokens"), want[i]);
    json_decref(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hasher_chains_blocks),
        cmocka_unit_test(table_hits_pins_and_evicts_lru),
        cmocka_unit_test(shared_prefix_skips_prefill),
        cmocka_unit_test(tiny_capacity_evicts_least_recently_used),
        cmocka_unit_test(chat_turns_hit_earlier_turns),
        cmocka_unit_test(chat_turns_hit_with_a_tokenizer),
        cmocka_unit_test(cache_salt_separates),
        cmocka_unit_test(token_id_prompts_share_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
