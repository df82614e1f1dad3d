/* SPDX-License-Identifier: Apache-2.0 */
/* test_sim_http.c - the simulator's request parser as a pure function:
 * complete, partial, pipelined and malformed inputs, and each limit. */
#include "testutil.h"

#include <string.h>

#include "sim/sim_http.h"

#define MAXH 4096
#define MAXB 1000

static int parse(const char *s, sim_http_req *r)
{
    return sim_http_parse(s, strlen(s), MAXH, MAXB, r);
}

static void parses_post_with_body_and_headers(void **state)
{
    (void)state;
    const char *s = "POST /v1/completions?x=1 HTTP/1.1\r\nHost: a\r\nX-Request-Id:  abc-1 \r\n"
                    "content-length: 5\r\nContent-Type: application/json\r\n\r\n{\"a\"}NEXT";
    sim_http_req r;
    assert_int_equal(parse(s, &r), SIM_HTTP_DONE);
    assert_true(sim_str_eq(r.method, "POST"));
    assert_true(sim_str_eq(r.path, "/v1/completions")); /* query string dropped */
    assert_true(sim_str_eq(r.request_id, "abc-1"));     /* whitespace trimmed */
    assert_true(sim_str_eq(r.content_type, "application/json"));
    assert_int_equal(r.body_len, 5);
    assert_memory_equal(r.body, "{\"a\"}", 5);
    assert_int_equal(r.total_len, strlen(s) - 4);
    assert_true(r.keep_alive);
}

static void every_prefix_is_incomplete(void **state)
{
    (void)state;
    const char *s = "POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
    sim_http_req r;
    for (size_t n = 0; n < strlen(s); n++)
        assert_int_equal(sim_http_parse(s, n, MAXH, MAXB, &r), SIM_HTTP_INCOMPLETE);
    assert_int_equal(sim_http_parse(s, strlen(s), MAXH, MAXB, &r), SIM_HTTP_DONE);
}

static void connection_header_and_version_set_keep_alive(void **state)
{
    (void)state;
    sim_http_req r;
    assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &r), SIM_HTTP_DONE);
    assert_false(r.keep_alive);
    assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &r), SIM_HTTP_DONE);
    assert_false(r.keep_alive);
    assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r), SIM_HTTP_DONE);
    assert_true(r.keep_alive);
}

static void malformed_inputs_name_their_status(void **state)
{
    (void)state;
    const struct {
        const char *in;
        int status;
    } cases[] = {
        {"\r\n\r\n", 400},
        {"GET\r\n\r\n", 400},
        {"GET / HTTP/1.1 extra\r\n\r\n", 505},
        {"G(T / HTTP/1.1\r\n\r\n", 400},
        {"GET relative HTTP/1.1\r\n\r\n", 400},
        {"GET /a\x01 HTTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/3\r\n\r\n", 505},
        {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\n: empty\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nA: b\x02\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
        {"POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", 413},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_http_req r;
        int rc = parse(cases[i].in, &r);
        if (rc != SIM_HTTP_ERROR || r.status != cases[i].status)
            print_error("case %zu: rc %d status %d\n", i, rc, r.status);
        assert_int_equal(rc, SIM_HTTP_ERROR);
        assert_int_equal(r.status, cases[i].status);
        assert_non_null(r.error);
    }
}

/* Bytes that can no longer begin "METHOD /target HTTP/1.x\r\n" are refused
 * before the header block ends (a TLS ClientHello must not wait for the
 * header limit or a timeout); every prefix of a valid line still waits. */
static void impossible_request_lines_fail_before_the_headers_end(void **state)
{
    (void)state;
    const char *bad[] = {
        "\x16\x03\x01\x00\xa5\x01",
        "\x80",
        " GET",
        "GET\t/",
        "GET x",
        "GET / HTTP/2",
        "GET / HTTP/1.1\n",
        "GET / HTTP/1.1x",
        "GET / XTTP",
        "GET /a\x01b",
        "GET / HTTP/1.1\r\r",
    };
    sim_http_req r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(bad[i], &r), SIM_HTTP_ERROR);
        assert_int_equal(r.status, 400);
    }
    const char *line = "DELETE /v1/x?y=1 http/1.0\r\nHost: a";
    for (size_t n = 0; n <= strlen(line); n++)
        assert_int_equal(sim_http_parse(line, n, MAXH, MAXB, &r), SIM_HTTP_INCOMPLETE);
}

static void header_limit_gives_431(void **state)
{
    (void)state;
    char big[MAXH + 100];
    memset(big, 'a', sizeof big);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    sim_http_req r;
    assert_int_equal(sim_http_parse(big, sizeof big, MAXH, MAXB, &r), SIM_HTTP_ERROR);
    assert_int_equal(r.status, 431);
    /* Just under the limit, still waiting for the end of the headers. */
    assert_int_equal(sim_http_parse(big, MAXH - 1, MAXH, MAXB, &r), SIM_HTTP_INCOMPLETE);
}

static void pipelined_requests_parse_one_at_a_time(void **state)
{
    (void)state;
    const char *s = "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /c";
    sim_http_req r;
    size_t off = 0;
    const char *paths[] = {"/a", "/b"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sim_http_parse(s + off, strlen(s) - off, MAXH, MAXB, &r), SIM_HTTP_DONE);
        assert_true(sim_str_eq(r.path, paths[i]));
        off += r.total_len;
    }
    assert_int_equal(sim_http_parse(s + off, strlen(s) - off, MAXH, MAXB, &r), SIM_HTTP_INCOMPLETE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_post_with_body_and_headers),
        cmocka_unit_test(every_prefix_is_incomplete),
        cmocka_unit_test(connection_header_and_version_set_keep_alive),
        cmocka_unit_test(malformed_inputs_name_their_status),
        cmocka_unit_test(impossible_request_lines_fail_before_the_headers_end),
        cmocka_unit_test(header_limit_gives_431),
        cmocka_unit_test(pipelined_requests_parse_one_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
