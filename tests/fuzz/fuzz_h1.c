/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_h1.c - libFuzzer target for the own transport's wire format
 * (src/http/h1.c): the response parser over arbitrary bytes from a server,
 * and the URL parser and request head over arbitrary URLs.
 *
 * Input: bytes 0-3 seed the split points, the rest is what the server sent.
 * Besides "never crash", it checks that where the bytes are cut changes
 * nothing: fed whole and fed in pieces, the result, status, body and error
 * text must be the same (the engine reads a socket in whatever pieces the
 * kernel hands it). It also checks that the status comes once, before any
 * body byte, and that no more body comes out than went in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "http/h1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct got {
    int status, statuses;
    sb_buf body;
} got;

static void on_status(void *ud, int status)
{
    got *g = ud;
    if (g->statuses++ || g->body.len)
        abort();
    g->status = status;
}

static int on_body(void *ud, const char *p, size_t n)
{
    got *g = ud;
    if (!g->statuses || n == 0)
        abort();
    sb_buf_append(&g->body, p, n);
    return 0;
}

static const h1_sink sink = {on_status, on_body};

static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

typedef struct result {
    h1_rc rc;
    size_t used;
    char msg[256];
} result;

/* Feeds p in pieces from seed (seed 0: whole), then EOF if it is still
 * going; afterwards g holds status and body. */
static result run(const char *p, size_t n, uint32_t seed, got *g)
{
    h1_resp r = {0};
    h1_resp_init(&r);
    result o = {.rc = H1_MORE};
    size_t i = 0;
    while (o.rc == H1_MORE && i < n) {
        size_t take = n - i;
        if (seed) {
            uint32_t x = next_rand(&seed);
            size_t k = (x & 3) == 0 ? 1 + (x >> 8) % 300 : 1 + (x >> 8) % 7;
            take = k < take ? k : take;
        }
        size_t used = 0;
        o.rc = h1_resp_feed(&r, p + i, take, &used, &sink, g, o.msg, sizeof o.msg);
        if (used > take || (o.rc == H1_MORE && used != take))
            abort();
        i += used;
    }
    if (o.rc == H1_MORE)
        o.rc = h1_resp_eof(&r, &sink, g, o.msg, sizeof o.msg);
    if (o.rc == H1_DONE && r.line && r.line_cap > 256)
        abort(); /* a long held line outlived its use */
    o.used = i;
    h1_resp_free(&r);
    return o;
}

static void url_and_head(const uint8_t *data, size_t size)
{
    char *url = malloc(size + 1);
    memcpy(url, data, size);
    url[size] = '\0';
    h1_url u;
    if (h1_url_parse(url, &u)) {
        if (!u.path[0] || strlen(u.host) >= sizeof u.host)
            abort();
        struct curl_slist h = {.data = url, .next = NULL};
        sb_buf b;
        sb_buf_init(&b);
        h1_request_head(&b, &u, size & 1, size, &h, "fuzz");
        if (b.len < 4 || memcmp(b.data + b.len - 4, "\r\n\r\n", 4) != 0)
            abort();
        sb_buf_free(&b);
    }
    free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    url_and_head(data, size);
    if (size < 4)
        return 0;
    uint32_t seed = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                    (uint32_t)data[3] << 24 | 1u;
    const char *p = (const char *)data + 4;
    size_t n = size - 4;
    got whole = {0}, split = {0};
    sb_buf_init(&whole.body);
    sb_buf_init(&split.body);
    result a = run(p, n, 0, &whole);
    result b = run(p, n, seed, &split);
    bool same = a.rc == b.rc && whole.status == split.status && whole.body.len == split.body.len &&
                (!whole.body.len || memcmp(whole.body.data, split.body.data, whole.body.len) == 0);
    /* An over-long line is found as soon as the held part passes the cap,
     * so its "where" may differ with the cuts; every other error may not. */
    if (same && a.rc == H1_ERROR && !strstr(a.msg, "longer than"))
        same = strcmp(a.msg, b.msg) == 0 && a.used == b.used;
    if (same && a.rc == H1_DONE)
        same = a.used == b.used;
    if (!same || whole.body.len > n)
        abort();
    sb_buf_free(&whole.body);
    sb_buf_free(&split.body);
    return 0;
}
