/* SPDX-License-Identifier: Apache-2.0 */
/* test_sse.c - SSE framing (src/backend/sse.c): every case of reference doc
 * 3.5 and the SSE standard, fed whole and split at every byte offset. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/sse.h"

typedef struct got {
    sb_buf all; /* messages joined by '|' */
    uint64_t ts[64];
    int n;
} got;

static int collect(void *ud, const char *data, size_t len, uint64_t t)
{
    got *g = ud;
    assert_int_equal(data[len], '\0');
    if (g->n)
        sb_buf_putc(&g->all, '|');
    sb_buf_append(&g->all, data, len);
    if (g->n < 64)
        g->ts[g->n] = t;
    g->n++;
    return 0;
}

/* Feeds s whole, then split in two at every offset, then one byte at a time;
 * every way must give want. */
static void check_framing(const char *s, const char *want)
{
    size_t n = strlen(s);
    for (size_t cut = 0; cut <= n + 1; cut++) {
        sse_dec d;
        sse_init(&d);
        got g = {0};
        sb_buf_init(&g.all);
        if (cut <= n) {
            assert_int_equal(sse_feed(&d, s, cut, 1, collect, &g), 0);
            assert_int_equal(sse_feed(&d, s + cut, n - cut, 2, collect, &g), 0);
        } else {
            for (size_t i = 0; i < n; i++)
                assert_int_equal(sse_feed(&d, s + i, 1, i, collect, &g), 0);
        }
        assert_int_equal(sse_finish(&d, collect, &g), 0);
        if (strcmp(g.all.data ? g.all.data : "", want) != 0)
            fail_msg("cut %zu of %s: got '%s' want '%s'", cut, s, g.all.data, want);
        sb_buf_free(&g.all);
        sse_free(&d);
    }
}

static void sse_split_at_every_offset(void **state)
{
    (void)state;
    check_framing("data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n",
                  "{\"a\":1}|{\"b\":2}|[DONE]");
}

static void sse_crlf_and_cr_line_endings(void **state)
{
    (void)state;
    check_framing("data: x\r\n\r\ndata: y\r\rdata: z\n\n", "x|y|z");
}

static void sse_data_without_space_and_extra_spaces(void **state)
{
    (void)state;
    /* only one space after the colon is removed (standard) */
    check_framing("data:x\n\ndata:  y\n\n", "x| y");
}

static void sse_multiline_data_joined_with_lf(void **state)
{
    (void)state;
    check_framing("data: {\"a\":\ndata: 1}\n\n", "{\"a\":\n1}");
}

static void sse_comments_keepalives_and_other_fields_ignored(void **state)
{
    (void)state;
    check_framing(": ping\n\nevent: message\nid: 7\nretry: 10\ndata: x\n\n:\n\n\n\n", "x");
}

static void sse_last_message_without_blank_line(void **state)
{
    (void)state;
    check_framing("data: a\n\ndata: b", "a|b");
    check_framing("data: a\n\ndata: b\n", "a|b");
}

static void sse_empty_data_line_is_an_empty_message(void **state)
{
    (void)state;
    check_framing("data:\n\ndata: z\n\n", "|z");
}

static void sse_bom_at_stream_start_is_skipped(void **state)
{
    (void)state;
    sse_dec d;
    sse_init(&d);
    got g = {0};
    sb_buf_init(&g.all);
    const char s[] = "\xEF\xBB\xBF"
                     "data: q\n\n";
    sse_feed(&d, s, sizeof s - 1, 5, collect, &g);
    assert_string_equal(g.all.data, "q");
    sb_buf_free(&g.all);
    sse_free(&d);
}

/* A message is stamped with the piece holding its data, not the later piece
 * with the blank line (reference 3.5 step 4 emits complete JSON at once). */
static void sse_timestamp_is_the_piece_with_the_data(void **state)
{
    (void)state;
    sse_dec d;
    sse_init(&d);
    got g = {0};
    sb_buf_init(&g.all);
    sse_feed(&d, "data: {\"a\":1}", 13, 100, collect, &g);
    sse_feed(&d, "\n", 1, 200, collect, &g);
    sse_feed(&d, "\ndata: x\n\ndata: y", 17, 300, collect, &g);
    sse_feed(&d, "z\n\n", 3, 400, collect, &g);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.all.data, "{\"a\":1}|x|yz");
    assert_int_equal(g.ts[0], 100);
    assert_int_equal(g.ts[1], 300);
    assert_int_equal(g.ts[2], 400);
    sb_buf_free(&g.all);
    sse_free(&d);
}

static int stop_at_second(void *ud, const char *data, size_t len, uint64_t t)
{
    (void)data, (void)len, (void)t;
    return ++*(int *)ud == 2 ? -1 : 0;
}

static void sse_callback_can_stop_the_feed(void **state)
{
    (void)state;
    sse_dec d;
    sse_init(&d);
    int n = 0;
    assert_int_equal(sse_feed(&d, "data: a\n\ndata: b\n\ndata: c\n\n", 27, 1, stop_at_second, &n),
                     -1);
    assert_int_equal(n, 2);
    sse_free(&d);
}

static void sse_reset_drops_partial_state(void **state)
{
    (void)state;
    sse_dec d;
    sse_init(&d);
    got g = {0};
    sb_buf_init(&g.all);
    sse_feed(&d, "data: half", 10, 1, collect, &g);
    sse_reset(&d);
    sse_feed(&d, "data: new\n\n", 11, 2, collect, &g);
    assert_string_equal(g.all.data, "new");
    sb_buf_free(&g.all);
    sse_free(&d);
}

/* A line (or a message of several data lines) longer than max_line stops
 * the feed with SSE_TOO_LONG however it is cut; exactly max_line is fine.
 * Lowered from 16 MiB so every split can be tried. */
static int feed_cut(const char *s, size_t cut, size_t max)
{
    sse_dec d;
    sse_init(&d);
    d.max_line = max;
    got g = {0};
    sb_buf_init(&g.all);
    size_t n = strlen(s);
    int rc = sse_feed(&d, s, cut, 1, collect, &g);
    if (rc == 0)
        rc = sse_feed(&d, s + cut, n - cut, 2, collect, &g);
    if (rc == 0)
        rc = sse_finish(&d, collect, &g);
    sb_buf_free(&g.all);
    sse_free(&d);
    return rc;
}

static void sse_caps_a_long_line(void **state)
{
    (void)state;
    /* "data: " + 20 payload bytes = a 26-byte line, 20 bytes of data */
    const char *line = "data: 01234567890123456789\n\n";
    const char *open = "data: 01234567890123456789";            /* never ended */
    const char *two = "data: 0123456789\ndata: 0123456789\n\n"; /* 21-byte message */
    for (size_t cut = 0; cut <= strlen(line); cut++) {
        assert_int_equal(feed_cut(line, cut, 26), 0);
        assert_int_equal(feed_cut(line, cut, 19), SSE_TOO_LONG);
    }
    for (size_t cut = 0; cut <= strlen(open); cut++) {
        assert_int_equal(feed_cut(open, cut, 26), 0);
        int rc = feed_cut(open, cut, 25);
        if (rc != SSE_TOO_LONG)
            fail_msg("cut %zu: an unended 26-byte line passed a 25-byte cap (%d)", cut, rc);
    }
    for (size_t cut = 0; cut <= strlen(two); cut++) {
        assert_int_equal(feed_cut(two, cut, 22), 0);
        assert_int_equal(feed_cut(two, cut, 20), SSE_TOO_LONG);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sse_split_at_every_offset),
        cmocka_unit_test(sse_crlf_and_cr_line_endings),
        cmocka_unit_test(sse_data_without_space_and_extra_spaces),
        cmocka_unit_test(sse_multiline_data_joined_with_lf),
        cmocka_unit_test(sse_comments_keepalives_and_other_fields_ignored),
        cmocka_unit_test(sse_last_message_without_blank_line),
        cmocka_unit_test(sse_empty_data_line_is_an_empty_message),
        cmocka_unit_test(sse_bom_at_stream_start_is_skipped),
        cmocka_unit_test(sse_timestamp_is_the_piece_with_the_data),
        cmocka_unit_test(sse_callback_can_stop_the_feed),
        cmocka_unit_test(sse_reset_drops_partial_state),
        cmocka_unit_test(sse_caps_a_long_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
