/* SPDX-License-Identifier: Apache-2.0 */
/* test_scan_diff.c - differential test of the hand-written message scanner
 * (src/backend/scan.c) against two independent parsers: YAJL (the previous
 * scanner, scan_yajl.c, in strict single-value mode) for the extracted
 * fields, and jansson for valid/invalid.
 *
 * Inputs: (a) the real chunks the simulator streams for every backend
 * (completions, chat, with and without continuous usage, TGI, TRT-LLM, MII),
 * fetched over a real socket with curl; (b) thousands of seeded mutations of
 * those chunks and of edge cases: byte flips, truncations, inserted escapes,
 * deep nesting, huge numbers, invalid UTF-8.
 *
 * Known, deliberate differences (asserted, not skipped): a lone surrogate
 * escape such as \ud800 is accepted (as by Python and YAJL; jansson rejects
 * it); UTF-8 is validated strictly like Python's bytes.decode (YAJL accepts
 * overlong forms and encoded surrogates); nesting deeper than 1024 is an
 * error (YAJL has no limit, jansson stops at 2048, Python at its recursion
 * limit). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/scan.h"
#include "oracle/scan_yajl.h"
#include "testutil.h"

typedef struct diff_ctx {
    bk_scan *mine;
    bk_yscan *yajl;
    sb_buf t1, g1, t2, g2;
    long n_checked, n_valid, n_lone_surrogate, n_yajl_lax;
    tu_sim sim; /* stopped by the group teardown even when a test fails */
} diff_ctx;

static diff_ctx D;

static bool has_surrogate_escape(const char *m, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++)
        if (m[i] == '\\' && m[i + 1] == 'u' && (m[i + 2] == 'd' || m[i + 2] == 'D'))
            return true;
    return false;
}

static bool jansson_ok(const char *m, size_t n)
{
    json_error_t e;
    json_t *j = json_loadb(m, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    json_decref(j);
    return j != NULL;
}

static void dump(const char *what, const char *m, size_t n)
{
    fprintf(stderr, "%s (%zu bytes): ", what, n);
    for (size_t i = 0; i < n && i < 300; i++) {
        unsigned char ch = (unsigned char)m[i];
        if (ch >= 0x20 && ch < 0x7f)
            fputc(ch, stderr);
        else
            fprintf(stderr, "\\x%02x", ch);
    }
    fputc('\n', stderr);
}

static bool buf_eq(const sb_buf *x, const sb_buf *y)
{
    return x->len == y->len && (x->len == 0 || memcmp(x->data, y->data, x->len) == 0);
}

/* Checks one message against both oracles; returns whether ours accepted. */
static bool check_one(const char *m, size_t n)
{
    bk_msg a, b;
    char w1[160], w2[160];
    sb_buf_reset(&D.t1), sb_buf_reset(&D.g1), sb_buf_reset(&D.t2), sb_buf_reset(&D.g2);
    bool mine = bk_scan_parse(D.mine, m, n, &a, &D.t1, &D.g1, w1, sizeof w1) == 0;
    bool yajl = bk_yscan_parse_strict(D.yajl, m, n, &b, &D.t2, &D.g2, w2, sizeof w2) == 0;
    bool jan = jansson_ok(m, n);
    bool sur = has_surrogate_escape(m, n);
    D.n_checked++;
    D.n_valid += mine;
    if (mine != jan) {
        /* the only accepted reason: a lone surrogate escape, then YAJL agrees */
        if (!(sur && mine && !jan && yajl)) {
            dump("ours vs jansson differ", m, n);
            fprintf(stderr, "ours %d (%s) jansson %d yajl %d\n", mine, mine ? "" : w1, jan, yajl);
            fail();
        }
        D.n_lone_surrogate++;
    }
    if (mine != yajl) {
        /* YAJL is lax where ours and jansson agree: overlong or surrogate
         * UTF-8, vertical tab and form feed as whitespace */
        if (!(yajl && !mine && !jan)) {
            dump("ours vs yajl differ", m, n);
            fprintf(stderr, "ours %d (%s) yajl %d (%s) jansson %d\n", mine, mine ? "" : w1, yajl,
                    yajl ? "" : w2, jan);
            fail();
        }
        D.n_yajl_lax++;
    }
    if (!mine || !yajl)
        return mine;
    bool same = a.n_choices == b.n_choices && a.usage_truthy == b.usage_truthy &&
                a.completion_tokens == b.completion_tokens && a.prompt_tokens == b.prompt_tokens &&
                a.has_error == b.has_error && a.is_object == b.is_object &&
                a.has_generated_text == b.has_generated_text;
    if (!sur)
        same = same && buf_eq(&D.t1, &D.t2) && buf_eq(&D.g1, &D.g2);
    if (!same) {
        dump("fields differ", m, n);
        fprintf(stderr, "ours: choices %d usage %d ct %lld pt %lld err %d obj %d gen %d text %zu\n",
                a.n_choices, a.usage_truthy, (long long)a.completion_tokens,
                (long long)a.prompt_tokens, a.has_error, a.is_object, a.has_generated_text,
                D.t1.len);
        fprintf(stderr, "yajl: choices %d usage %d ct %lld pt %lld err %d obj %d gen %d text %zu\n",
                b.n_choices, b.usage_truthy, (long long)b.completion_tokens,
                (long long)b.prompt_tokens, b.has_error, b.is_object, b.has_generated_text,
                D.t2.len);
        fail();
    }
    return mine;
}

static int setup(void **state)
{
    (void)state;
    D = (diff_ctx){.mine = bk_scan_new(), .yajl = bk_yscan_new()};
    if (tu_sim_start(&D.sim, "") != 0)
        return -1;
    sb_buf_init(&D.t1), sb_buf_init(&D.g1), sb_buf_init(&D.t2), sb_buf_init(&D.g2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bk_scan_free(D.mine);
    bk_yscan_free(D.yajl);
    tu_sim_stop(&D.sim, NULL);
    sb_buf_free(&D.t1), sb_buf_free(&D.g1), sb_buf_free(&D.t2), sb_buf_free(&D.g2);
    return 0;
}

/* ---- (a) real chunks from the simulator ---- */

typedef struct corpus {
    char **msg;
    size_t *len;
    size_t n, cap;
} corpus;

static corpus C;

static void corpus_add(const char *m, size_t n)
{
    if (C.n == C.cap) {
        C.cap = C.cap ? C.cap * 2 : 64;
        C.msg = sb_xrealloc(C.msg, C.cap * sizeof *C.msg);
        C.len = sb_xrealloc(C.len, C.cap * sizeof *C.len);
    }
    C.msg[C.n] = sb_xstrndup(m, n);
    C.len[C.n++] = n;
}

/* POSTs body to path on the simulator with the curl tool; returns the data
 * payloads (streamed) or the whole body (stream == false). */
static void fetch(const tu_sim *sim, const char *path, const char *body, bool stream, size_t *n_out)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "curl -sN -X POST -H 'Content-Type: application/json' --data '%s' '%s%s'", body,
             sim->url, path);
    sb_buf out;
    sb_buf_init(&out);
    assert_int_equal(tu_run(cmd, 0, &out), 0);
    assert_true(out.len > 0);
    size_t before = C.n;
    if (!stream) {
        corpus_add(out.data, out.len);
    } else {
        char *p = out.data;
        while ((p = strstr(p, "data:")) != NULL) {
            p += 5;
            p += *p == ' '; /* TGI writes "data:" without the space */
            char *e = strstr(p, "\n\n");
            size_t n = e ? (size_t)(e - p) : strlen(p);
            if (!(n == 6 && memcmp(p, "[DONE]", 6) == 0))
                corpus_add(p, n);
            p += n;
        }
    }
    *n_out = C.n - before;
    sb_buf_free(&out);
}

static void test_real_chunks(void **state)
{
    (void)state;
    const tu_sim *sim = &D.sim;
    struct {
        const char *path, *body;
        bool stream;
    } cases[] = {
        {"/v1/completions",
         "{\"model\":\"sim\",\"prompt\":\"hi\",\"max_tokens\":6,\"stream\":true,"
         "\"ignore_eos\":true,\"stream_options\":{\"include_usage\":true}}",
         true},
        {"/v1/completions",
         "{\"model\":\"sim\",\"prompt\":\"hi\",\"max_tokens\":6,\"stream\":true,"
         "\"ignore_eos\":true,\"stream_options\":{\"include_usage\":true,"
         "\"continuous_usage_stats\":true}}",
         true},
        {"/v1/chat/completions",
         "{\"model\":\"sim\",\"messages\":[{\"role\":\"user\",\"content\":"
         "\"hi\"}],\"max_completion_tokens\":6,\"stream\":true,\"ignore_eos\":true,"
         "\"stream_options\":{\"include_usage\":true}}",
         true},
        {"/v1/chat/completions",
         "{\"model\":\"sim\",\"messages\":[{\"role\":\"user\",\"content\":"
         "\"hi\"}],\"max_completion_tokens\":6,\"stream\":true,\"ignore_eos\":true,"
         "\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true}}",
         true},
        {"/generate_stream",
         "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":6,"
         "\"details\":true}}",
         true},
        {"/v2/models/ensemble/generate_stream",
         "{\"text_input\":\"hi\",\"max_tokens\":6,"
         "\"stream\":true}",
         true},
        {"/v1/completions", "{\"model\":\"sim\",\"prompt\":\"hi\",\"max_tokens\":6}", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n;
        fetch(sim, cases[i].path, cases[i].body, cases[i].stream, &n);
        if (n < 1)
            fprintf(stderr, "no message from %s\n", cases[i].path);
        assert_true(n >= 1);
        for (size_t k = C.n - n; k < C.n; k++) {
            if (!check_one(C.msg[k], C.len[k])) {
                dump("a real chunk was rejected", C.msg[k], C.len[k]);
                fail();
            }
        }
    }
    /* the token chunks carried text and the usage chunk its counters */
    bk_msg m;
    char why[160];
    sb_buf_reset(&D.t1);
    assert_int_equal(bk_scan_parse(D.mine, C.msg[0], C.len[0], &m, &D.t1, NULL, why, sizeof why),
                     0);
    assert_int_equal(m.n_choices, 1);
    assert_true(D.t1.len > 0);
}

/* ---- (b) seeded mutations ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *const edge[] = {
    "{\"choices\":[{\"text\":\"a\\u00e9\\ud83d\\ude00\\n\\\"\\/\"}],\"usage\":null}",
    "{\"choices\":[{\"delta\":{\"content\":\"x\"}},{\"delta\":{\"content\":\"y\"}}]}",
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34}}",
    "{\"usage\":{}}",
    "{\"te\\u0078t\":[\"mii \\u4e2d\"],\"generated_text\":\"g\",\"text_output\":\"t\"}",
    "{\"error\":{\"message\":\"bad\",\"code\":400}}",
    "{\"usage\":{\"completion_tokens\":9223372036854775807,\"prompt_tokens\":-5}}",
    "{\"a\":[1,-0,0.5,1e5,-2.5E-3,true,false,null,{},[]]}",
    "  {\"choices\" : [ { \"text\" : \"\\u0000\" } ] }\r\n\t",
    "{\"choices\":[{\"text\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}]}",
    "[1,2,3]",
    "\"str\"",
    "{\"choices\":\"no\"}",
};

static const char *const inserts[] = {
    "\\u",
    "\\ud83d\\ude00",
    "\\ud800",
    "\\udc00",
    "\\x",
    "\\",
    "\"",
    "1e400",
    "-1e-400",
    "123456789012345678901234567890",
    "9223372036854775807",
    "-9223372036854775807",
    "0.0e0",
    "\xc0\xaf",
    "\xed\xa0\x80",
    "\xf4\x90\x80\x80",
    "\xe2\x82",
    "\xff",
    "\x01",
    "\x7f",
    "01",
    "-",
    "1.",
    ".5",
    "1e",
    "tru",
    "nul",
    "NaN",
    "Infinity",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\x0c",
    "\x0b",
    "/*c*/",
    "\xef\xbb\xbf",
    "\"\":{}",
    ",\"usage\":{\"completion_tokens\":7}",
};

static const char special[] = "\"\\{}[],:0e-. \t\n\x80\xc0\xed\xf4\xff";

static void mutate(sb_buf *out, const char *src, size_t n)
{
    sb_buf_reset(out);
    sb_buf_append(out, src, n);
    int edits = 1 + (int)(rnd() % 3);
    for (int e = 0; e < edits; e++) {
        size_t at = out->len ? rnd() % (out->len + 1) : 0;
        switch (rnd() % 6) {
        case 0: /* byte flip */
            if (at < out->len)
                out->data[at] = (char)rnd();
            break;
        case 1: /* flip to a character that matters to the grammar */
            if (at < out->len)
                out->data[at] = special[rnd() % (sizeof special - 1)];
            break;
        case 2: /* truncation */
            out->len = at;
            out->data[at] = 0;
            break;
        case 3: { /* insertion */
            const char *ins = inserts[rnd() % (sizeof inserts / sizeof inserts[0])];
            sb_buf tail;
            sb_buf_init(&tail);
            sb_buf_append(&tail, out->data + at, out->len - at);
            out->len = at;
            sb_buf_puts(out, ins);
            sb_buf_append(out, tail.data ? tail.data : "", tail.len);
            sb_buf_free(&tail);
            break;
        }
        case 4: {                           /* wrap in deep nesting */
            int d = 1 + (int)(rnd() % 300); /* 3 edits stay under the 1024 cap */
            sb_buf w;
            sb_buf_init(&w);
            for (int i = 0; i < d; i++)
                sb_buf_puts(&w, (i & 1) ? "{\"k\":" : "[");
            sb_buf_append(&w, out->data, out->len);
            for (int i = d - 1; i >= 0; i--)
                sb_buf_puts(&w, (i & 1) ? "}" : "]");
            sb_buf_reset(out);
            sb_buf_append(out, w.data, w.len);
            sb_buf_free(&w);
            break;
        }
        default: /* delete a byte */
            if (at < out->len) {
                memmove(out->data + at, out->data + at + 1, out->len - at - 1);
                out->len--;
            }
        }
    }
}

static void test_mutations(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        corpus_add(edge[i], strlen(edge[i]));
        check_one(edge[i], strlen(edge[i]));
    }
    assert_true(C.n > 20); /* the real chunks of test_real_chunks are in */
    sb_buf m;
    sb_buf_init(&m);
    long valid_before = D.n_valid;
    for (int it = 0; it < 30000; it++) {
        size_t k = rnd() % C.n;
        mutate(&m, C.msg[k], C.len[k]);
        check_one(m.data ? m.data : "", m.len);
    }
    sb_buf_free(&m);
    /* the mutations hit both sides of the grammar, and the known differences */
    assert_true(D.n_valid - valid_before > 3000);
    assert_true(D.n_checked - D.n_valid > 3000);
    assert_true(D.n_lone_surrogate > 0);
    assert_true(D.n_yajl_lax > 0);
    fprintf(stderr, "checked %ld, valid %ld, lone-surrogate accepts %ld, YAJL-lax rejects %ld\n",
            D.n_checked, D.n_valid, D.n_lone_surrogate, D.n_yajl_lax);
}

/* Chat delta channels (ours): content, reasoning under either of vLLM's
 * names, tool calls; empty strings and empty lists do not count, and
 * reasoning text never joins the answer text the reference keeps. */
static void test_delta_channels(void **state)
{
    (void)state;
    static const struct {
        const char *msg;
        bool content, reasoning, tool;
        const char *text;
    } cases[] = {
        {"{\"choices\":[{\"delta\":{\"content\":\" hi\"}}]}", true, false, false, " hi"},
        {"{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}", false, false,
         false, ""},
        {"{\"choices\":[{\"delta\":{\"reasoning_content\":\"think\"}}]}", false, true, false, ""},
        {"{\"choices\":[{\"delta\":{\"reasoning\":\"\\u00e9\",\"content\":null}}]}", false, true,
         false, ""},
        {"{\"choices\":[{\"delta\":{\"reasoning\":\"\",\"content\":\"a\"}}]}", true, false, false,
         "a"},
        {"{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
         "\"{\\\"x\\\": 1}\"}}]}}]}",
         false, false, true, ""},
        {"{\"choices\":[{\"delta\":{\"tool_calls\":[]}}]}", false, false, false, ""},
        /* only choices[0] counts; completions text is answer text too */
        {"{\"reasoning\":\"x\",\"choices\":[{\"text\":\"t\"},{\"delta\":{\"content\":\"y\"}}]}",
         true, false, false, "t"},
        {"{\"choices\":[{\"text\":\"\"}]}", false, false, false, ""},
    };
    bk_msg m;
    char why[160];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sb_buf_reset(&D.t1);
        assert_int_equal(bk_scan_parse(D.mine, cases[i].msg, strlen(cases[i].msg), &m, &D.t1, NULL,
                                       why, sizeof why),
                         0);
        if (m.delta_content != cases[i].content || m.delta_reasoning != cases[i].reasoning ||
            m.delta_tool_call != cases[i].tool)
            print_error("case %zu: %s\n", i, cases[i].msg);
        assert_true(m.delta_content == cases[i].content);
        assert_true(m.delta_reasoning == cases[i].reasoning);
        assert_true(m.delta_tool_call == cases[i].tool);
        assert_int_equal(D.t1.len, strlen(cases[i].text));
        assert_memory_equal(D.t1.len ? D.t1.data : "", cases[i].text, D.t1.len);
    }
}

/* Responses API events: the type names the channel whatever the key order,
 * the delta's place in the text is reported, usage is response.usage. */
static void test_responses_events(void **state)
{
    (void)state;
    bk_msg m;
    char why[160];
    const char *a = "{\"delta\":\" hi\\n\",\"type\":\"response.reasoning_text.delta\"}";
    sb_buf_reset(&D.t1);
    sb_buf_puts(&D.t1, "ab");
    assert_int_equal(bk_scan_parse(D.mine, a, strlen(a), &m, &D.t1, NULL, why, sizeof why), 0);
    assert_int_equal(m.resp_event, BK_RESP_REASONING);
    assert_int_equal(m.delta_from, 2);
    assert_int_equal(m.delta_to, 6);
    const char *b = "{\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"usage\":"
                    "{\"input_tokens\":7,\"output_tokens\":9,\"total_tokens\":16}}}";
    assert_int_equal(bk_scan_parse(D.mine, b, strlen(b), &m, &D.t1, NULL, why, sizeof why), 0);
    assert_int_equal(m.resp_event, BK_RESP_COMPLETED);
    assert_int_equal(m.prompt_tokens, 7);
    assert_int_equal(m.completion_tokens, 9);
    const char *c = "{\"type\":\"response.output_text.delta\",\"delta\":\"x\"}";
    assert_int_equal(bk_scan_parse(D.mine, c, strlen(c), &m, &D.t1, NULL, why, sizeof why), 0);
    assert_int_equal(m.resp_event, BK_RESP_TEXT);
    const char *d = "{\"type\":\"response.in_progress\"}";
    assert_int_equal(bk_scan_parse(D.mine, d, strlen(d), &m, &D.t1, NULL, why, sizeof why), 0);
    assert_int_equal(m.resp_event, BK_RESP_NONE);
}

static void test_limits_and_messages(void **state)
{
    (void)state;
    bk_msg m;
    char why[160];
    sb_buf deep;
    sb_buf_init(&deep);
    for (int i = 0; i < 100000; i++)
        sb_buf_putc(&deep, '[');
    assert_int_equal(bk_scan_parse(D.mine, deep.data, deep.len, &m, NULL, NULL, why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "nesting too deep"));
    sb_buf_free(&deep);
    const char *bad = "{\"choices\":[{\"text\":\"a\"}],}";
    assert_int_equal(bk_scan_parse(D.mine, bad, strlen(bad), &m, NULL, NULL, why, sizeof why), -1);
    assert_string_equal(why, "expected a string key at byte 26");
    assert_int_equal(bk_scan_parse(D.mine, "", 0, &m, NULL, NULL, why, sizeof why), -1);
    assert_string_equal(why, "empty JSON text");
    assert_int_equal(bk_scan_parse(D.mine, "{} 5", 4, &m, NULL, NULL, why, sizeof why), -1);
    assert_non_null(strstr(why, "trailing characters"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_chunks),         cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_limits_and_messages), cmocka_unit_test(test_delta_channels),
        cmocka_unit_test(test_responses_events),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    for (size_t i = 0; i < C.n; i++)
        free(C.msg[i]);
    free(C.msg);
    free(C.len);
    return rc;
}
