/* SPDX-License-Identifier: Apache-2.0 */
/* test_core.c - core utilities: buffer, arena, error messages, clock. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/err.h"

static void buf_appends_and_stays_nul_terminated(void **state)
{
    (void)state;
    sb_buf b;
    sb_buf_init(&b);
    for (int i = 0; i < 1000; i++)
        sb_buf_printf(&b, "%d,", i);
    assert_int_equal(b.data[b.len], '\0');
    assert_memory_equal(b.data, "0,1,2,", 6);
    sb_buf_consume(&b, 2);
    assert_memory_equal(b.data, "1,2,", 4);
    char *s = sb_buf_steal(&b);
    assert_null(b.data);
    free(s);
}

/* A size that would wrap (len + extra, or the doubling) aborts with the
 * out-of-memory message instead of returning a small buffer; run in a child
 * so the abort is observed. */
static void buf_reserve_refuses_wrapping_sizes(void **state)
{
    (void)state;
    const size_t extras[] = {SIZE_MAX, SIZE_MAX - 3, SIZE_MAX / 2 + 1};
    for (size_t k = 0; k < sizeof extras / sizeof extras[0]; k++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            if (!freopen("/dev/null", "w", stderr)) /* the expected message */
                _exit(2);
            sb_buf b;
            sb_buf_init(&b);
            sb_buf_puts(&b, "abcd");
            sb_buf_reserve(&b, extras[k]);
            _exit(0); /* reached only if the size wrapped */
        }
        int st = 0;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), SIGABRT);
    }
}

static void arena_keeps_alignment_and_large_blocks(void **state)
{
    (void)state;
    sb_arena a;
    sb_arena_init(&a, 1024);
    char *small = sb_arena_strdup(&a, "abc");
    void *big = sb_arena_calloc(&a, 10000);
    char *after = sb_arena_strdup(&a, "def");
    assert_string_equal(small, "abc");
    assert_string_equal(after, "def");
    assert_int_equal(((uintptr_t)big) % 16, 0);
    assert_int_equal(((unsigned char *)big)[9999], 0);
    sb_arena_free(&a);
}

static void err_prefix_keeps_message(void **state)
{
    (void)state;
    sb_err e;
    assert_int_equal(sb_err_set(&e, "bad value '%s'", "x"), -1);
    sb_err_prefix(&e, "%s:%d: ", "f.json", 3);
    assert_string_equal(e.msg, "f.json:3: bad value 'x'");
}

static void clock_is_monotonic(void **state)
{
    (void)state;
    uint64_t a = sb_now_ns();
    sb_sleep_until_ns(a + 2 * SB_NS_PER_MS);
    assert_true(sb_now_ns() >= a + 2 * SB_NS_PER_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_appends_and_stays_nul_terminated),
        cmocka_unit_test(buf_reserve_refuses_wrapping_sizes),
        cmocka_unit_test(arena_keeps_alignment_and_large_blocks),
        cmocka_unit_test(err_prefix_keeps_message),
        cmocka_unit_test(clock_is_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
