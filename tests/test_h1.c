/* SPDX-License-Identifier: Apache-2.0 */
/* test_h1.c - the own transport's wire format (src/http/h1.c): which URLs it
 * takes, the request head libcurl 7.88 would send, and the response parser
 * fed whole, split at every offset and one byte at a time, with every error
 * a hostile server can cause. (The request head against libcurl's real bytes
 * is in test_engine.c, through sockets.) */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/h1.h"

/* ---- URL ---- */

static void url_accepts_plain_http(void **state)
{
    (void)state;
    h1_url u;
    assert_true(h1_url_parse("http://127.0.0.1:8000/v1/completions", &u));
    assert_string_equal(u.host, "127.0.0.1");
    assert_string_equal(u.authority, "127.0.0.1:8000");
    assert_int_equal(u.port, 8000);
    assert_string_equal(u.path, "/v1/completions");

    assert_true(h1_url_parse("HTTP://localhost/v1?a=b&c=%20", &u));
    assert_string_equal(u.authority, "localhost"); /* port 80 left out, as curl does */
    assert_int_equal(u.port, 80);
    assert_string_equal(u.path, "/v1?a=b&c=%20");

    assert_true(h1_url_parse("http://[::1]:9000/x", &u));
    assert_string_equal(u.host, "::1");
    assert_string_equal(u.authority, "[::1]:9000");

    assert_true(h1_url_parse("http://my-host.local:80", &u));
    assert_string_equal(u.authority, "my-host.local");
    assert_string_equal(u.path, "/");
}

static void url_leaves_the_rest_to_curl(void **state)
{
    (void)state;
    static const char *const no[] = {
        "https://127.0.0.1/v1",
        "ftp://h/x",
        "http://user:pw@h/x",
        "http://h/x#frag",
        "http://h?x=1",
        "http://h:0/x",
        "http://h:65536/x",
        "http://h:8a/x",
        "http://h:/x",
        "http:///x",
        "http://h/a b",
        "http://h/a/../b",
        "http://h/a/./b",
        "http://h/..",
        "http://H/x",
        "http://[::1/x",
        "http://[fe80::1%25eth0]/x",
        "http://h/\x01",
        "http://h/\xc3\xa9",
        "http://h/a\\b",
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        h1_url u;
        if (h1_url_parse(no[i], &u))
            fail_msg("took %s", no[i]);
    }
    char big[400] = "http://";
    memset(big + 7, 'a', 300);
    strcpy(big + 307, "/x");
    h1_url u;
    assert_false(h1_url_parse(big, &u));
    h1_url ok;
    assert_true(h1_url_parse("http://h/a..b/.x/x.", &ok)); /* dots that are not segments */
}

/* ---- request head ---- */

static void head_is(const char *url, bool post, size_t len, const char *const *hdrs,
                    const char *want)
{
    struct curl_slist *h = NULL;
    for (size_t i = 0; hdrs && hdrs[i]; i++)
        h = curl_slist_append(h, hdrs[i]);
    h1_url u;
    assert_true(h1_url_parse(url, &u));
    sb_buf b;
    sb_buf_init(&b);
    h1_request_head(&b, &u, post, len, h, "servebench/1");
    assert_string_equal(b.data, want);
    sb_buf_free(&b);
    curl_slist_free_all(h);
}

static void head_as_curl_sends_it(void **state)
{
    (void)state;
    const char *const run[] = {"Content-Type: application/json", "Authorization: Bearer k",
                               "x-request-id: r-7", "Expect:", NULL};
    head_is("http://127.0.0.1:8000/v1/completions", true, 42, run,
            "POST /v1/completions HTTP/1.1\r\n"
            "Host: 127.0.0.1:8000\r\n"
            "User-Agent: servebench/1\r\n"
            "Accept: */*\r\n"
            "Content-Type: application/json\r\n"
            "Authorization: Bearer k\r\n"
            "x-request-id: r-7\r\n"
            "Content-Length: 42\r\n"
            "\r\n");
    head_is(
        "http://h/v1/models", false, 0, NULL,
        "GET /v1/models HTTP/1.1\r\nHost: h\r\nUser-Agent: servebench/1\r\nAccept: */*\r\n\r\n");
    /* no Content-Type given: curl's form type */
    head_is("http://h/p", true, 0, NULL,
            "POST /p HTTP/1.1\r\nHost: h\r\nUser-Agent: servebench/1\r\nAccept: */*\r\n"
            "Content-Length: 0\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n");
}

static void head_caller_headers_follow_curls_rules(void **state)
{
    (void)state;
    const char *const h[] = {"Host: other:1",
                             "user-agent: mine",
                             "Accept:",
                             "X-Empty;",
                             "X-Not-A-Header",
                             "X-Semi; x",
                             "Content-Length: 9",
                             "Transfer-Encoding: chunked",
                             "X-Gone:   ",
                             "content-type: text/plain",
                             NULL};
    head_is("http://h:81/p", true, 3, h,
            "POST /p HTTP/1.1\r\n"
            "Host: other:1\r\n"
            "user-agent: mine\r\n"
            "X-Empty:\r\n"
            "content-type: text/plain\r\n"
            "Content-Length: 3\r\n"
            "\r\n");
    const char *const nohost[] = {"Host:", NULL};
    head_is("http://h/p", false, 0, nohost,
            "GET /p HTTP/1.1\r\nUser-Agent: servebench/1\r\nAccept: */*\r\n\r\n");
    const char *const semihost[] = {"Host;", NULL};
    head_is("http://h/p", false, 0, semihost,
            "GET /p HTTP/1.1\r\nHost:\r\nUser-Agent: servebench/1\r\nAccept: */*\r\n\r\n");
}

/* ---- response ---- */

typedef struct got {
    int status, statuses;
    sb_buf body;
    int pieces;
    int stop_after; /* on_body returns 1 at this piece (0: never) */
} got;

static void on_status(void *ud, int status)
{
    got *g = ud;
    assert_int_equal(g->body.len, 0); /* the status comes before the body */
    g->status = status;
    g->statuses++;
}

static int on_body(void *ud, const char *p, size_t n)
{
    got *g = ud;
    assert_true(n > 0);
    sb_buf_append(&g->body, p, n);
    return ++g->pieces == g->stop_after;
}

static const h1_sink sink = {on_status, on_body};

typedef struct outcome {
    h1_rc rc;
    size_t used; /* bytes taken in all */
    int status, statuses;
    char body[256];
    char msg[256];
    bool reusable;
} outcome;

/* Feeds s in pieces (cut: first piece length, then `step` bytes each;
 * step 0: the rest at once), then EOF when eof and still going. */
static outcome parse(const char *s, size_t n, size_t cut, size_t step, bool eof)
{
    h1_resp r = {0};
    h1_resp_init(&r);
    got g = {0};
    sb_buf_init(&g.body);
    outcome o = {.rc = H1_MORE};
    size_t i = 0;
    while (o.rc == H1_MORE && i < n) {
        size_t take = i == 0 ? cut : step ? step : n - i;
        if (take > n - i)
            take = n - i;
        if (take == 0 && i == 0)
            take = step ? step : n;
        size_t used = 0;
        o.rc = h1_resp_feed(&r, s + i, take, &used, &sink, &g, o.msg, sizeof o.msg);
        assert_true(used <= take);
        if (o.rc == H1_MORE)
            assert_int_equal(used, take);
        i += used;
    }
    if (o.rc == H1_MORE && eof)
        o.rc = h1_resp_eof(&r, &sink, &g, o.msg, sizeof o.msg);
    o.used = i;
    o.status = g.status;
    o.statuses = g.statuses;
    o.reusable = o.rc == H1_DONE && h1_resp_reusable(&r);
    assert_true(g.body.len < sizeof o.body);
    if (g.body.len)
        memcpy(o.body, g.body.data, g.body.len);
    sb_buf_free(&g.body);
    h1_resp_free(&r);
    return o;
}

/* Every way of cutting s gives the same outcome. */
static outcome parse_all_ways(const char *s, bool eof)
{
    size_t n = strlen(s);
    outcome first = parse(s, n, n, 0, eof);
    for (size_t cut = 0; cut <= n; cut++) {
        outcome o = parse(s, n, cut, 0, eof);
        outcome b = parse(s, n, cut, 1, eof);
        assert_int_equal(o.rc, first.rc);
        assert_int_equal(b.rc, first.rc);
        assert_int_equal(o.status, first.status);
        assert_int_equal(b.status, first.status);
        assert_string_equal(o.body, first.body);
        assert_string_equal(b.body, first.body);
        assert_int_equal(o.used, first.used);
        assert_int_equal(b.used, first.used);
        assert_int_equal(o.reusable, first.reusable);
        if (first.rc == H1_ERROR)
            assert_string_equal(o.msg, first.msg);
    }
    return first;
}

static void resp_content_length(void **state)
{
    (void)state;
    outcome o =
        parse_all_ways("HTTP/1.1 200 OK\r\ncontent-length:  5 \r\nX: y\r\n\r\nhello", false);
    assert_int_equal(o.rc, H1_DONE);
    assert_int_equal(o.status, 200);
    assert_int_equal(o.statuses, 1);
    assert_string_equal(o.body, "hello");
    assert_true(o.reusable);
    o = parse_all_ways("HTTP/1.1 200\nContent-Length: 0\n\n", false); /* LF only, no reason */
    assert_int_equal(o.rc, H1_DONE);
    assert_int_equal(o.statuses, 1);
    assert_string_equal(o.body, "");
}

static void resp_chunked_with_extensions_and_trailers(void **state)
{
    (void)state;
    const char *s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip-not, chunked\r\n\r\n";
    outcome o = parse_all_ways(s, false);
    assert_int_equal(o.rc, H1_ERROR); /* a coding this client does not decode */
    assert_non_null(strstr(o.msg, "Transfer-Encoding"));
    o = parse_all_ways("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
                       "5;name=v\r\ndata:\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\n"
                       "Trailer-A: 1\r\n\r\n",
                       false);
    assert_int_equal(o.rc, H1_DONE);
    assert_string_equal(o.body, "data: abcdefghijklmnopqrstuvwxy");
    assert_true(o.reusable);
    o = parse_all_ways("HTTP/1.1 200 OK\nTransfer-Encoding: Chunked\n\n3\nabc\n0\n\n", false);
    assert_int_equal(o.rc, H1_DONE);
    assert_string_equal(o.body, "abc");
}

static void resp_interim_and_bodiless(void **state)
{
    (void)state;
    outcome o = parse_all_ways("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: x\r\n\r\n"
                               "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
                               false);
    assert_int_equal(o.rc, H1_DONE);
    assert_int_equal(o.status, 201);
    assert_int_equal(o.statuses, 1);
    assert_string_equal(o.body, "ok");
    o = parse_all_ways("HTTP/1.1 204 No Content\r\n\r\n", false);
    assert_int_equal(o.rc, H1_DONE);
    assert_int_equal(o.status, 204);
    assert_true(o.reusable);
    o = parse_all_ways("HTTP/1.1 101 Switching\r\n\r\n", false);
    assert_int_equal(o.rc, H1_ERROR);
    assert_non_null(strstr(o.msg, "101"));
}

static void resp_close_delimited_and_connection_close(void **state)
{
    (void)state;
    outcome o = parse_all_ways("HTTP/1.0 200 OK\r\n\r\nall of it", true);
    assert_int_equal(o.rc, H1_DONE);
    assert_string_equal(o.body, "all of it");
    assert_false(o.reusable);
    o = parse_all_ways(
        "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 1\r\n\r\nx", false);
    assert_int_equal(o.rc, H1_DONE);
    assert_false(o.reusable);
    o = parse_all_ways("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
                       false);
    assert_true(o.reusable);
    /* the end of the response is the caller's: bytes after it are not taken */
    const char *two = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n";
    o = parse(two, strlen(two), strlen(two), 0, false);
    assert_int_equal(o.rc, H1_DONE);
    assert_int_equal(o.used, strlen(two) - strlen("HTTP/1.1 200 OK\r\n"));
}

static void resp_cut_short_by_the_close(void **state)
{
    (void)state;
    outcome o = parse_all_ways("", true);
    assert_int_equal(o.rc, H1_ERROR);
    assert_string_equal(o.msg, "the connection closed before any response byte");
    o = parse_all_ways("HTTP/1.1 200 OK\r\nContent-Le", true);
    assert_int_equal(o.rc, H1_ERROR);
    assert_string_equal(o.msg, "the connection closed inside the response head (after 27 bytes)");
    o = parse_all_ways("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true);
    assert_int_equal(o.rc, H1_ERROR);
    assert_string_equal(o.body, "abc");
    assert_non_null(strstr(o.msg, "7 body bytes before the end"));
    o = parse_all_ways("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", true);
    assert_int_equal(o.rc, H1_ERROR);
    assert_non_null(strstr(o.msg, "inside the chunked body"));
}

static void resp_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *in, *msg_part;
    } bad[] = {
        {"HTTP/2 200\r\n\r\n", "not an HTTP/1.x status line: \"HTTP/2 200\" (at byte 0"},
        {"ICY 200 OK\r\n\r\n", "not an HTTP/1.x status line"},
        {"HTTP/1.1 20x OK\r\n\r\n", "not an HTTP/1.x status line"},
        {"HTTP/1.1 099 OK\r\n\r\n", "not an HTTP/1.x status line"},
        {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length \"-1\""},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "bad Content-Length"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999999\r\n\r\n", "bad Content-Length"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
         "bad chunk size line \"zz\" (at byte 47 of the response)"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
         "bad chunk size line"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
         "a chunk is longer than its size line said (at byte 52 of the response)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        outcome o = parse_all_ways(bad[i].in, true);
        assert_int_equal(o.rc, H1_ERROR);
        if (!strstr(o.msg, bad[i].msg_part))
            fail_msg("%s: got \"%s\"", bad[i].in, o.msg);
    }
}

/* A line or head longer than its cap is an error at once, holding no more
 * than the cap; a long line that did fit is let go once used. */
static void resp_limits(void **state)
{
    (void)state;
    size_t n = 3 * H1_LINE_MAX;
    char *s = malloc(n + 64);
    int k = sprintf(s, "HTTP/1.1 200 OK\r\nX-Long: ");
    memset(s + k, 'a', n - (size_t)k);
    s[n] = '\0';
    outcome o = parse(s, n, 100, 0, true);
    assert_int_equal(o.rc, H1_ERROR);
    assert_non_null(strstr(o.msg, "a line longer than 8192 bytes (at byte 17 of the response)"));
    /* many short header lines: the head cap */
    free(s);
    n = H1_HEAD_MAX + 4096;
    s = malloc(n + 64);
    size_t m = 0;
    m += (size_t)sprintf(s, "HTTP/1.1 200 OK\r\n");
    while (m < n - 16)
        m += (size_t)sprintf(s + m, "X-Many: %04zu\r\n", m % 10000);
    o = parse(s, m, 7, 0, true);
    assert_int_equal(o.rc, H1_ERROR);
    assert_non_null(strstr(o.msg, "a response head longer than 65536 bytes"));
    o = parse(s, m, m, 1, true); /* one byte at a time: the same */
    assert_int_equal(o.rc, H1_ERROR);
    assert_non_null(strstr(o.msg, "a response head longer than 65536 bytes"));
    free(s);

    /* a 4000-byte header line cut in two is held, then let go */
    h1_resp r = {0};
    h1_resp_init(&r);
    got g = {0};
    sb_buf_init(&g.body);
    char msg[128];
    size_t used;
    char line[4100];
    int l = sprintf(line, "HTTP/1.1 200 OK\r\nX: ");
    memset(line + l, 'b', 4000);
    assert_int_equal(h1_resp_feed(&r, line, (size_t)l + 4000, &used, &sink, &g, msg, sizeof msg),
                     H1_MORE);
    assert_non_null(r.line);
    const char *rest = "\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(h1_resp_feed(&r, rest, strlen(rest), &used, &sink, &g, msg, sizeof msg),
                     H1_DONE);
    assert_null(r.line);
    assert_true(h1_resp_reusable(&r));
    /* reuse for the next response */
    h1_resp_init(&r);
    const char *next = "HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\nno";
    assert_int_equal(h1_resp_feed(&r, next, strlen(next), &used, &sink, &g, msg, sizeof msg),
                     H1_DONE);
    assert_int_equal(g.status, 500);
    h1_resp_free(&r);
    sb_buf_free(&g.body);
}

static void resp_body_abort(void **state)
{
    (void)state;
    h1_resp r = {0};
    h1_resp_init(&r);
    got g = {.stop_after = 2};
    sb_buf_init(&g.body);
    const char *s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
                    "chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n";
    size_t used;
    char msg[64];
    assert_int_equal(h1_resp_feed(&r, s, strlen(s), &used, &sink, &g, msg, sizeof msg), H1_ABORT);
    assert_string_equal(g.body.data, "ab");
    assert_true(used < strlen(s));
    h1_resp_free(&r);
    sb_buf_free(&g.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(url_accepts_plain_http),
        cmocka_unit_test(url_leaves_the_rest_to_curl),
        cmocka_unit_test(head_as_curl_sends_it),
        cmocka_unit_test(head_caller_headers_follow_curls_rules),
        cmocka_unit_test(resp_content_length),
        cmocka_unit_test(resp_chunked_with_extensions_and_trailers),
        cmocka_unit_test(resp_interim_and_bodiless),
        cmocka_unit_test(resp_close_delimited_and_connection_close),
        cmocka_unit_test(resp_cut_short_by_the_close),
        cmocka_unit_test(resp_malformed),
        cmocka_unit_test(resp_limits),
        cmocka_unit_test(resp_body_abort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
