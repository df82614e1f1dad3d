/* SPDX-License-Identifier: Apache-2.0 */
/* test_run_sse.c - regressions the fuzz_sse target found in SSE framing,
 * runnable without clang: a UTF-8 BOM split over the first pieces, and the
 * fuzz seed corpus (tests/fuzz/corpus/fuzz_sse, real server chunks) framed
 * whole and split at every offset, which must give the same messages. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/sse.h"

/* Each message as "<len>:<bytes>|" so that splits cannot hide a difference. */
static int log_msg(void *ud, const char *data, size_t len, uint64_t t)
{
    (void)t;
    assert_int_equal(data[len], '\0');
    sb_buf_printf(ud, "%zu:", len);
    sb_buf_append(ud, data, len);
    sb_buf_putc(ud, '|');
    return 0;
}

/* Messages of s[0..n) fed in two pieces cut at cut (cut > n: byte by byte). */
static void frame(const char *s, size_t n, size_t cut, sb_buf *out)
{
    sse_dec d;
    sse_init(&d);
    sb_buf_reset(out);
    if (cut <= n) {
        assert_int_equal(sse_feed(&d, s, cut, 1, log_msg, out), 0);
        assert_int_equal(sse_feed(&d, s + cut, n - cut, 2, log_msg, out), 0);
    } else {
        for (size_t i = 0; i < n; i++)
            assert_int_equal(sse_feed(&d, s + i, 1, i, log_msg, out), 0);
    }
    assert_int_equal(sse_finish(&d, log_msg, out), 0);
    sb_buf_putc(out, '\0');
    sse_free(&d);
}

static void same_at_every_cut(const char *s, size_t n, const char *want)
{
    sb_buf whole, part;
    sb_buf_init(&whole);
    sb_buf_init(&part);
    frame(s, n, n, &whole);
    if (want)
        assert_string_equal(whole.data, want);
    for (size_t cut = 0; cut <= n + 1; cut++) {
        frame(s, n, cut, &part);
        if (strcmp(part.data, whole.data) != 0)
            fail_msg("cut %zu: got '%s', whole gave '%s'", cut, part.data, whole.data);
    }
    sb_buf_free(&whole);
    sb_buf_free(&part);
}

static void bom_split_over_pieces_is_skipped(void **state)
{
    (void)state;
    const char s[] = "\xEF\xBB\xBF"
                     "data: q\n\n";
    same_at_every_cut(s, sizeof s - 1, "1:q|");
}

static void partial_bom_is_line_text_at_every_cut(void **state)
{
    (void)state;
    /* two BOM bytes, then a data line: the line is "\xEF\xBB" "data: q",
     * not a data field, so no message, however it is cut */
    const char a[] = "\xEF\xBB"
                     "data: q\n\ndata: r\n\n";
    same_at_every_cut(a, sizeof a - 1, "1:r|");
    /* only a BOM prefix, then the end of the stream */
    same_at_every_cut("\xEF\xBB", 2, "");
    /* a BOM later in the stream is not skipped */
    const char b[] = "data: a\n\n\xEF\xBB\xBF"
                     "data: b\n\n";
    same_at_every_cut(b, sizeof b - 1, "1:a|");
}

static void fuzz_corpus_frames_the_same_at_every_cut(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/fuzz_sse", tu_env("SB_SOURCE_DIR"));
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    int files = 0;
    for (struct dirent *e; (e = readdir(dp));) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        sb_buf f;
        sb_buf_init(&f);
        assert_int_equal(tu_read_file(path, &f), 0);
        assert_true(f.len >= 5); /* fuzz_sse input: 5 control bytes, then the body */
        same_at_every_cut(f.data + 5, f.len - 5, NULL);
        sb_buf_free(&f);
        files++;
    }
    closedir(dp);
    assert_true(files >= 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bom_split_over_pieces_is_skipped),
        cmocka_unit_test(partial_bom_is_line_text_at_every_cut),
        cmocka_unit_test(fuzz_corpus_frames_the_same_at_every_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
