/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_sse.c - libFuzzer target for the response path: SSE framing (sse.c)
 * and the backend stream decoder (stream.c + scan.c) over arbitrary bytes
 * split at arbitrary points.
 *
 * Input: byte 0 picks the backend mode and the HTTP status (200 or 500),
 * bytes 1-4 seed the split points, the rest is the body. Besides "never
 * crash", it checks the promise that makes per-piece timestamps meaningful:
 * where a body is cut into pieces changes nothing but timing. So the body is
 * decoded once whole and once in pieces, and the SSE messages (text and
 * order) and the record's outcome (success, failure kind, token messages,
 * usage counts, text) must be the same. The split run also checks the
 * record's own invariants (E2EL >= TTFT, one ITL gap per later token). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/sse.h"
#include "backend/stream.h"
#include "core/buf.h"
#include "metrics/record.h"

/* Message log: each message as length + bytes, so "ab","c" != "a","bc". */
static int log_msg(void *ud, const char *data, size_t len, uint64_t t_ns)
{
    sb_buf *b = ud;
    (void)t_ns;
    if (data[len] != '\0') /* promised NUL terminator */
        abort();
    sb_buf_append(b, (const char *)&len, sizeof len);
    sb_buf_append(b, data, len);
    return 0;
}

static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Piece lengths 1..64, mostly short (boundaries inside "data:", CRLF, JSON). */
static size_t piece_len(uint32_t *s, size_t left)
{
    uint32_t r = next_rand(s);
    size_t n = (r & 3) == 0 ? 1 + (r >> 8) % 64 : 1 + (r >> 8) % 5;
    return n < left ? n : left;
}

static void sse_both(const char *body, size_t n, uint32_t seed)
{
    sb_buf whole, split;
    sb_buf_init(&whole);
    sb_buf_init(&split);
    sse_dec d;
    sse_init(&d);
    sse_feed(&d, body, n, 1, log_msg, &whole);
    sse_finish(&d, log_msg, &whole);
    sse_reset(&d);
    uint64_t t = 1;
    for (size_t off = 0; off < n;) {
        size_t k = piece_len(&seed, n - off);
        sse_feed(&d, body + off, k, t++, log_msg, &split);
        off += k;
    }
    sse_finish(&d, log_msg, &split);
    sse_free(&d);
    if (whole.len != split.len || (whole.len && memcmp(whole.data, split.data, whole.len)))
        abort();
    sb_buf_free(&whole);
    sb_buf_free(&split);
}

/* Decodes body into record 0 of rs, whole or in seeded pieces. */
static void decode(bk_mode mode, int status, const char *body, size_t n, uint32_t seed, bool split,
                   rec_store *rs)
{
    bk_stream st;
    bk_stream_init(&st, mode);
    st.keep_text = true;
    rs->recs[0].output_len = 8;
    rs->recs[0].prompt_len = 5;
    uint64_t t = 1000;
    bk_stream_begin(&st, rs, 0, t);
    bk_stream_status(&st, status);
    int rc = 0;
    for (size_t off = 0; off < n && rc == 0;) {
        size_t k = split ? piece_len(&seed, n - off) : n;
        t += 1 + (seed & 7);
        rc = bk_stream_body(&st, body + off, k, t);
        off += k;
    }
    bk_stream_end(&st, SB_FAIL_NONE, NULL, t + 1);
    bk_stream_free(&st);
}

static void check_record(const sb_record *r)
{
    if (!r->done || (r->success && r->error) || (!r->success && !r->error))
        abort();
    if (r->success && (r->latency_ns < r->ttft_ns || r->n_chunks < 1))
        abort();
    if (r->n_itl > (uint32_t)(r->n_chunks > 0 ? r->n_chunks - 1 : 0))
        abort();
    if (r->text && strlen(r->text) > r->text_len)
        abort();
}

static void stream_both(bk_mode mode, int status, const char *body, size_t n, uint32_t seed)
{
    rec_store *a = rec_store_new(1), *b = rec_store_new(1);
    decode(mode, status, body, n, seed, false, a);
    decode(mode, status, body, n, seed, true, b);
    const sb_record *x = &a->recs[0], *y = &b->recs[0];
    check_record(x);
    check_record(y);
    if (x->success != y->success || x->fail != y->fail || x->n_chunks != y->n_chunks ||
        x->output_tokens != y->output_tokens || x->prompt_len != y->prompt_len ||
        x->text_len != y->text_len || (x->text_len && memcmp(x->text, y->text, x->text_len)))
        abort();
    rec_store_free(a);
    rec_store_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    static const bk_mode modes[] = {BK_MODE_COMPLETIONS, BK_MODE_CHAT, BK_MODE_TGI, BK_MODE_TRTLLM,
                                    BK_MODE_WHOLE};
    bk_mode mode = modes[data[0] % 5];
    int status = (data[0] & 0x80) ? 500 : 200;
    uint32_t seed = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
                    (uint32_t)data[4] << 24;
    seed |= 1; /* xorshift must not start at 0 */
    const char *body = (const char *)data + 5;
    size_t n = size - 5;
    sse_both(body, n, seed);
    stream_both(mode, status, body, n, seed);
    return 0;
}
