/* SPDX-License-Identifier: Apache-2.0 */
/* test_session.c - the multi-turn session layer (src/run/session.c) driven
 * through its loop_feed with chosen clock values, no network: what turn k's
 * body holds, the active-conversation bound, a rate that counts turns, think
 * time, and a failed turn ending its conversation (serve_multiturn.sh runs
 * the same against the simulator). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "run/session.h"

#define T0 1000000u

typedef struct fixture {
    sb_dataset ds;
    bk_params bp;
    sess_set *s;
    rec_store *rs;
    sched_plan plan;
    const loop_feed *f;
} fixture;

/* Conversations c = 0..n-1 with turns[c] user turns each ("U<c>.<k>", the
 * dataset's reply "D<c>.<k>"), a system prompt "S" first when sys. */
static void setup(fixture *x, const int *turns, size_t n, bool sys, const sess_opts *o,
                  const uint64_t *offsets, size_t n_offsets)
{
    memset(x, 0, sizeof *x);
    sb_arena_init(&x->ds.arena, 0);
    x->ds.multi_turn = true;
    x->ds.n = n;
    x->ds.reqs = sb_xcalloc(n, sizeof *x->ds.reqs);
    for (size_t c = 0; c < n; c++) {
        size_t m = (size_t)turns[c] * 2 + sys;
        const char **tx = sb_arena_alloc(&x->ds.arena, m * sizeof *tx);
        const char **ro = sb_arena_alloc(&x->ds.arena, m * sizeof *ro);
        size_t j = 0;
        if (sys) {
            tx[j] = "S";
            ro[j++] = "system";
        }
        for (int k = 0; k < turns[c]; k++) {
            char b[32];
            snprintf(b, sizeof b, "U%zu.%d", c, k);
            tx[j] = sb_arena_strdup(&x->ds.arena, b);
            ro[j++] = "user";
            snprintf(b, sizeof b, "D%zu.%d", c, k);
            tx[j] = sb_arena_strdup(&x->ds.arena, b);
            ro[j++] = "assistant";
        }
        x->ds.reqs[c].turns = tx;
        x->ds.reqs[c].roles = ro;
        x->ds.reqs[c].n_turns = (uint32_t)m;
    }
    bk_opts bo = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, -1, -1, NULL};
    sb_err err;
    assert_int_equal(bk_params_init(&x->bp, backend_find("openai-chat"), &bo, "m", false, &err), 0);
    x->s = sess_new(o, &x->ds, &x->bp, NULL, &err);
    assert_non_null(x->s);
    x->rs = rec_store_new(sess_turns(x->s));
    x->rs->bench_start_ns = T0;
    x->plan.offset_ns = sb_xcalloc(n_offsets ? n_offsets : 1, sizeof(uint64_t));
    if (offsets)
        memcpy(x->plan.offset_ns, offsets, n_offsets * sizeof(uint64_t));
    x->plan.n = n_offsets;
    x->f = sess_feed(x->s, x->rs, &x->plan);
}

static void teardown(fixture *x)
{
    sess_free(x->s);
    rec_store_free(x->rs);
    free(x->plan.offset_ns);
    bk_params_free(&x->bp);
    free(x->ds.reqs);
    sb_arena_free(&x->ds.arena);
}

static size_t take(fixture *x, uint64_t now, uint64_t *wake)
{
    uint64_t w = 0;
    size_t i = x->f->take(x->f->ud, now, &w);
    if (wake)
        *wake = w;
    return i;
}

static void done(fixture *x, size_t i, const char *reply, bool ok, uint64_t now)
{
    x->rs->recs[i].success = ok;
    x->rs->recs[i].fail = ok ? SB_FAIL_NONE : SB_FAIL_HTTP_STATUS;
    x->f->done(x->f->ud, i, reply, strlen(reply), now);
}

static void turn_k_sends_the_history_with_the_servers_replies(void **state)
{
    (void)state;
    fixture x;
    sess_opts o = {.id_prefix = "p-", .session_header = "x-session-id", .fixed_output_len = -1};
    setup(&x, (int[]){3}, 1, true, &o, NULL, 1);
    size_t i = take(&x, T0, NULL);
    assert_int_equal(i, 0);
    const loop_req *r = &x.f->reqs[i];
    assert_string_equal(r->header, "x-session-id: p-conv-0");
    assert_int_equal(r->id, 0);
    assert_non_null(strstr(r->body, "\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, "
                                    "{\"role\": \"user\", \"content\": \"U0.0\"}]"));
    assert_int_equal(take(&x, T0, NULL), SIZE_MAX); /* one turn at a time */
    done(&x, i, " the reply", true, T0 + 10);
    i = take(&x, T0 + 10, NULL);
    assert_int_equal(i, 1);
    assert_non_null(strstr(x.f->reqs[i].body,
                           "\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, "
                           "{\"role\": \"user\", \"content\": \"U0.0\"}, {\"role\": \"assistant\", "
                           "\"content\": \" the reply\"}, {\"role\": \"user\", \"content\": "
                           "\"U0.1\"}]"));
    assert_null(strstr(x.f->reqs[i].body, "D0.0")); /* never the dataset's reply */
    assert_true(x.f->pending(x.f->ud));
    done(&x, i, "second", true, T0 + 20);
    i = take(&x, T0 + 20, NULL);
    assert_int_equal(i, 2);
    assert_non_null(strstr(x.f->reqs[i].body, "\"content\": \"second\"}, {\"role\": \"user\", "
                                              "\"content\": \"U0.2\"}]"));
    done(&x, i, "third", true, T0 + 30);
    assert_false(x.f->pending(x.f->ud));
    assert_int_equal(take(&x, T0 + 40, NULL), SIZE_MAX);
    teardown(&x);
}

static void max_active_conversations_bounds_the_sessions(void **state)
{
    (void)state;
    fixture x;
    sess_opts o = {.id_prefix = "p-", .max_active = 2, .fixed_output_len = -1};
    setup(&x, (int[]){2, 2, 2}, 3, false, &o, NULL, 3);
    size_t a = take(&x, T0, NULL), b = take(&x, T0, NULL);
    assert_int_equal(a, 0);                         /* conversation 0's turn 0 */
    assert_int_equal(b, 2);                         /* conversation 1's turn 0 (records 2, 3) */
    assert_int_equal(take(&x, T0, NULL), SIZE_MAX); /* conversation 2 waits */
    done(&x, a, "r", true, T0 + 5);
    assert_int_equal(take(&x, T0 + 5, NULL), 1); /* 0's turn 1, still two active */
    assert_int_equal(take(&x, T0 + 5, NULL), SIZE_MAX);
    done(&x, 1, "r", true, T0 + 6); /* conversation 0 ends: 2 may start */
    size_t c = take(&x, T0 + 6, NULL);
    assert_int_equal(c, 4);
    assert_int_equal(x.rs->recs[c].queued_ns, 0); /* due since t0: it waited for a place */
    teardown(&x);
}

static void a_rate_that_counts_turns_spaces_every_turn(void **state)
{
    (void)state;
    fixture x;
    sess_opts o = {.id_prefix = "p-", .rate_counts_turns = true, .fixed_output_len = -1};
    const uint64_t offs[] = {0, 100, 200, 300};
    setup(&x, (int[]){2, 2}, 2, false, &o, offs, 4);
    uint64_t wake;
    size_t a = take(&x, T0, &wake);
    assert_int_not_equal(a, SIZE_MAX);
    assert_int_equal(take(&x, T0, &wake), SIZE_MAX);
    assert_int_equal(wake, T0 + 100); /* the second turn's arrival */
    size_t b = take(&x, T0 + 100, NULL);
    assert_int_not_equal(b, SIZE_MAX);
    assert_int_equal(x.rs->recs[b].intended_ns, 100);
    done(&x, a, "r", true, T0 + 120); /* its next turn is ready, the rate is not */
    assert_int_equal(take(&x, T0 + 150, &wake), SIZE_MAX);
    assert_int_equal(wake, T0 + 200);
    assert_int_not_equal(take(&x, T0 + 200, NULL), SIZE_MAX);
    teardown(&x);
}

static void think_time_delays_the_next_turn(void **state)
{
    (void)state;
    fixture x;
    sess_opts o = {.id_prefix = "p-", .think_s = 0.5, .fixed_output_len = 7};
    setup(&x, (int[]){2}, 1, false, &o, NULL, 1);
    size_t i = take(&x, T0, NULL);
    assert_int_equal(x.rs->recs[i].output_len, 7); /* --output-len fixes every turn */
    assert_non_null(strstr(x.f->reqs[i].body, "\"max_completion_tokens\": 7"));
    done(&x, i, "r", true, T0 + 1000);
    uint64_t wake;
    assert_int_equal(take(&x, T0 + 1000, &wake), SIZE_MAX);
    assert_int_equal(wake, T0 + 1000 + 500000000u);
    i = take(&x, wake, NULL);
    assert_int_equal(i, 1);
    assert_int_equal(x.rs->recs[i].intended_ns, 1000 + 500000000u);
    teardown(&x);
}

static void a_failed_turn_ends_its_conversation(void **state)
{
    (void)state;
    fixture x;
    sess_opts o = {.id_prefix = "p-", .fixed_output_len = -1};
    setup(&x, (int[]){3, 1}, 2, false, &o, NULL, 2);
    size_t a = take(&x, T0, NULL), b = take(&x, T0, NULL);
    assert_int_equal(a, 0);
    assert_int_equal(b, 3);
    done(&x, a, "", false, T0 + 5);
    assert_true(x.f->pending(x.f->ud));
    assert_int_equal(take(&x, T0 + 5, NULL), SIZE_MAX); /* no turn 2 for conversation 0 */
    x.rs->recs[b].output_len = 3;
    done(&x, b, "r", true, T0 + 6);
    assert_false(x.f->pending(x.f->ud));
    sess_finish(x.s, x.rs);
    assert_int_equal(x.rs->n, 2); /* the two unsent turns are gone */
    double pct = 99;
    sb_metrics m = {.pcts = &pct, .n_pcts = 1};
    sb_buf json, text;
    sb_buf_init(&json);
    sb_buf_init(&text);
    sess_render(x.s, x.rs, &m, &json, &text);
    assert_non_null(strstr(json.data, "\"conversations\": 2, \"completed\": 1, \"failed\": 1, "
                                      "\"unfinished\": 0, \"skipped\": 0, \"failed_by_reason\": "
                                      "{\"http_status\": 1}"));
    assert_non_null(strstr(json.data, "{\"turn\": 1, \"requests\": 2, \"completed\": 1"));
    const char *line = strstr(text.data, "ended by a failed turn:");
    assert_non_null(line);
    assert_int_equal(strtol(line + strlen("ended by a failed turn:"), NULL, 10), 1);
    sb_buf_free(&json);
    sb_buf_free(&text);
    teardown(&x);
}

/* upstream's --max-turns (messages per conversation), --max-num-requests
 * (turns sent in all) and --output-file (the replies kept), and a dataset's
 * exact counts taken as they are (no tokenizer here: only turn_tokens can
 * give a non-zero input length). */
static void caps_replies_and_exact_counts(void **state)
{
    (void)state;
    fixture x;
    sess_opts o = {
        .id_prefix = "p-", .fixed_output_len = -1, .max_messages = 3, .keep_replies = true};
    setup(&x, (int[]){3, 1}, 2, false, &o, NULL, 2);
    assert_int_equal(sess_turns(x.s), 3); /* 3 messages: two user turns, then one */
    teardown(&x);
    o = (sess_opts){
        .id_prefix = "p-", .fixed_output_len = -1, .max_requests = 3, .keep_replies = true};
    setup(&x, (int[]){3, 1}, 2, false, &o, NULL, 2);
    assert_int_equal(sess_turns(x.s), 4);
    sess_free(x.s); /* again, with exact counts in the dataset */
    static const int32_t counts[] = {7, 5, 11, 3, 13, 2};
    x.ds.reqs[0].turn_tokens = counts;
    sb_err err;
    x.s = sess_new(&o, &x.ds, &x.bp, NULL, &err);
    assert_non_null(x.s);
    x.f = sess_feed(x.s, x.rs, &x.plan);
    size_t a = take(&x, T0, NULL), b = take(&x, T0, NULL);
    assert_int_equal(a, 0);
    assert_int_equal(b, 3);
    assert_int_equal(x.rs->recs[a].output_len, 5); /* the dataset's reply count */
    x.rs->recs[a].output_tokens = 4;               /* the server's usage count of "r0" */
    done(&x, a, "r0", true, T0 + 10);
    done(&x, b, "r-other", true, T0 + 10);
    size_t c = take(&x, T0 + 10, NULL);
    assert_int_equal(c, 1);
    assert_int_equal(x.rs->recs[c].prompt_len, 7 + 4 + 11);
    done(&x, c, "r1", true, T0 + 20);
    /* the cap: three turns sent, nothing more, not pending */
    assert_int_equal(take(&x, T0 + 20, NULL), SIZE_MAX);
    assert_false(x.f->pending(x.f->ud));
    sess_finish(x.s, x.rs);
    assert_int_equal(x.rs->n, 3);
    sess_rec_info info;
    sess_record(x.s, 1, &info);
    assert_int_equal(info.turn, 1);
    assert_int_equal(info.n_msgs, 3);
    assert_int_equal(info.user_tokens, 11);
    size_t len;
    assert_string_equal(sess_reply(x.s, 0, 1, &len), "r1");
    assert_int_equal(len, 2);
    assert_null(sess_reply(x.s, 0, 2, &len)); /* never sent */
    assert_true(sess_conv_completed(x.s, 1));
    assert_false(sess_conv_completed(x.s, 0));
    assert_int_equal(sess_conv_ds_index(x.s, 1), 1);
    teardown(&x);
}

/* --conversation-sampling random: every due conversation is sent once, in
 * an order drawn from the seed (not always the oldest first). */
static void random_sampling_draws_among_due_conversations(void **state)
{
    (void)state;
    bool other_order = false;
    for (uint32_t seed = 1; seed <= 20; seed++) {
        fixture x;
        sess_opts o = {
            .id_prefix = "p-", .fixed_output_len = -1, .pick_random = true, .seed = seed};
        setup(&x, (int[]){1, 1, 1, 1}, 4, false, &o, NULL, 4);
        bool seen[4] = {false};
        for (size_t k = 0; k < 4; k++) {
            size_t i = take(&x, T0, NULL);
            assert_true(i < 4 && !seen[i]);
            seen[i] = true;
            other_order |= i != k;
        }
        assert_int_equal(take(&x, T0, NULL), SIZE_MAX);
        teardown(&x);
    }
    assert_true(other_order);
}

/* --send-conversation-id: the dataset's id as X-Session-ID and as the body's
 * last field; an id with a control character is refused. */
static void conversation_id_in_header_and_body(void **state)
{
    (void)state;
    fixture x;
    sess_opts o = {.id_prefix = "p-", .fixed_output_len = -1, .send_conversation_id = true};
    setup(&x, (int[]){1}, 1, false, &(sess_opts){.id_prefix = "p-", .fixed_output_len = -1}, NULL,
          1);
    sess_free(x.s);
    x.ds.reqs[0].conv_id = "conv \"A\"";
    sb_err err;
    x.s = sess_new(&o, &x.ds, &x.bp, NULL, &err);
    assert_non_null(x.s);
    x.f = sess_feed(x.s, x.rs, &x.plan);
    size_t i = take(&x, T0, NULL);
    assert_string_equal(x.f->reqs[i].header, "X-Session-ID: conv \"A\"");
    const char *body = x.f->reqs[i].body;
    size_t n = x.f->reqs[i].body_len;
    const char *tail = ", \"conversation_id\": \"conv \\\"A\\\"\"}";
    assert_true(n > strlen(tail));
    assert_memory_equal(body + n - strlen(tail), tail, strlen(tail));
    sess_free(x.s);
    x.ds.reqs[0].conv_id = "bad\r\nX-Evil: 1";
    x.s = sess_new(&o, &x.ds, &x.bp, NULL, &err);
    assert_null(x.s);
    assert_non_null(strstr(err.msg, "control character"));
    teardown(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(turn_k_sends_the_history_with_the_servers_replies),
        cmocka_unit_test(max_active_conversations_bounds_the_sessions),
        cmocka_unit_test(a_rate_that_counts_turns_spaces_every_turn),
        cmocka_unit_test(think_time_delays_the_next_turn),
        cmocka_unit_test(a_failed_turn_ends_its_conversation),
        cmocka_unit_test(caps_replies_and_exact_counts),
        cmocka_unit_test(random_sampling_draws_among_due_conversations),
        cmocka_unit_test(conversation_id_in_header_and_body),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
