/* SPDX-License-Identifier: Apache-2.0 */
/* stream.c - response decoding into records (rules in stream.h).
 *
 * The per-piece path is: SSE framing (sse.c) -> one JSON scan per message
 * (scan.c) -> a few stores into the record. Records keep durations relative
 * to start_ns; start_ns itself is absolute CLOCK_MONOTONIC, the clock the
 * simulator stamps its ground truth with. */
#include "backend/stream.h"

#include "schema/jschema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/krx.h"

#define ERRBODY_MAX 200
#define KRX_RING BK_KRX_RING

void bk_stream_init(bk_stream *st, bk_mode mode)
{
    memset(st, 0, sizeof *st);
    st->mode = mode;
    sse_init(&st->sse);
    st->scan = bk_scan_new();
    sb_buf_init(&st->text);
    sb_buf_init(&st->args);
    bk_scan_set_args(st->scan, &st->args);
    sb_buf_init(&st->gen);
    sb_buf_init(&st->errbody);
    sb_buf_init(&st->whole);
}

void bk_stream_free(bk_stream *st)
{
    sse_free(&st->sse);
    bk_scan_free(st->scan);
    sb_buf_free(&st->text);
    sb_buf_free(&st->args);
    sb_buf_free(&st->gen);
    sb_buf_free(&st->errbody);
    sb_buf_free(&st->whole);
}

void bk_stream_begin(bk_stream *st, rec_store *rs, size_t idx, uint64_t start_ns)
{
    sse_reset(&st->sse);
    sb_buf_reset(&st->text);
    sb_buf_reset(&st->args);
    sb_buf_reset(&st->gen);
    sb_buf_reset(&st->errbody);
    sb_buf_reset(&st->whole);
    st->rs = rs;
    st->idx = idx;
    st->start_ns = start_ns;
    st->prev_ns = st->last_body_ns = 0;
    st->cum_tokens = -1;
    st->cap_itl_tokens = 0;
    st->status = 0;
    st->got_token = st->got_done = st->failed = false;
    st->schema = NULL;
    sb_record *r = &rs->recs[idx];
    r->structured = SB_STRUCT_NONE;
    r->ttft_ns = r->latency_ns = 0;
    r->n_chunks = 0;
    r->reasoning_ttft_ns = r->answer_ttft_ns = 0;
    r->n_reasoning_msgs = r->n_answer_msgs = r->n_tool_call_msgs = 0;
    r->output_tokens = 0;
    r->done = r->success = false;
    r->fail = SB_FAIL_NONE;
    rec_store_begin(rs, idx, r->output_len > 0 ? (uint32_t)r->output_len : 16);
    if (rs->krx) {
        memset(st->krx_user, 0, sizeof st->krx_user);
        st->krx_next = 0;
        krx_begin(rs->krx, idx, r->output_len > 1 ? (uint32_t)r->output_len - 1 : 16);
    }
}

void bk_stream_set_schema(bk_stream *st, const struct json_t *schema)
{
    st->schema = schema;
    st->rs->recs[st->idx].structured = schema ? SB_STRUCT_SENT : SB_STRUCT_NONE;
}

void bk_stream_status(bk_stream *st, int status)
{
    st->status = status;
    st->rs->recs[st->idx].http_status = status;
}

/* Keeps itl_tokens (ours) in step with itl: tokens delivered by the message
 * that closed gap j. Dropped for the request if a token message lacks usage. */
static void note_tokens(bk_stream *st, sb_record *r, const bk_msg *m)
{
    int64_t cum = m->completion_tokens;
    if (cum < 0 || st->cum_tokens < 0 || cum < st->cum_tokens) {
        free(r->itl_tokens);
        r->itl_tokens = NULL;
        st->cap_itl_tokens = 0;
        st->cum_tokens = cum >= 0 && r->n_itl == 0 ? cum : -1;
        return;
    }
    if (r->n_itl == 1 || r->itl_tokens) {
        if (st->cap_itl_tokens < r->cap_itl) {
            r->itl_tokens = sb_xrealloc(r->itl_tokens, r->cap_itl * sizeof *r->itl_tokens);
            st->cap_itl_tokens = r->cap_itl;
        }
        int64_t d = cum - st->cum_tokens;
        r->itl_tokens[r->n_itl - 1] = (uint16_t)(d > UINT16_MAX ? UINT16_MAX : d);
    }
    st->cum_tokens = cum;
}

/* The kernel stamp of the piece whose user-space stamp is t (0: not among
 * the newest pieces, counted as missing). */
static uint64_t krx_of(const bk_stream *st, uint64_t t)
{
    for (unsigned i = 0; i < KRX_RING; i++) {
        unsigned j = (st->krx_next + KRX_RING - 1 - i) % KRX_RING;
        if (st->krx_user[j] == t)
            return st->krx_kern[j];
    }
    return 0;
}

static void on_token(bk_stream *st, const bk_msg *m, uint64_t t)
{
    sb_record *r = &st->rs->recs[st->idx];
    if (st->rs->krx)
        krx_token(st->rs->krx, st->idx, st->start_ns, krx_of(st, t), !st->got_token);
    if (!st->got_token) {
        st->got_token = true;
        r->ttft_ns = t - st->start_ns;
    } else {
        rec_store_push_itl(st->rs, st->idx, t - st->prev_ns);
    }
    if (st->mode == BK_MODE_COMPLETIONS || st->mode == BK_MODE_CHAT || st->mode == BK_MODE_AUDIO)
        note_tokens(st, r, m);
    st->prev_ns = t;
    r->latency_ns = t - st->start_ns;
    r->n_chunks++;
    /* ours: which channel the message fed (TTFT above stays the reference's:
     * any message with choices, reasoning included) */
    if (m->delta_reasoning && r->n_reasoning_msgs++ == 0)
        r->reasoning_ttft_ns = t - st->start_ns;
    if (m->delta_content && r->n_answer_msgs++ == 0)
        r->answer_ttft_ns = t - st->start_ns;
    r->n_tool_call_msgs += m->delta_tool_call;
}

static void on_usage(bk_stream *st, const bk_msg *m)
{
    sb_record *r = &st->rs->recs[st->idx];
    if (m->completion_tokens >= 0)
        r->output_tokens = (int32_t)m->completion_tokens;
    /* the reference's audio function keeps the dataset's prompt_len (3.8) */
    if (m->prompt_tokens >= 0 && st->mode != BK_MODE_AUDIO)
        r->prompt_len = (int32_t)m->prompt_tokens;
}

static int fail_malformed(bk_stream *st, const char *data, size_t len, const char *why)
{
    int show = len > 120 ? 120 : (int)len;
    rec_store_fail(st->rs, st->idx, SB_FAIL_MALFORMED,
                   "malformed stream message %u (byte %llu of the body): %s: %.*s%s",
                   st->sse.n_msgs, (unsigned long long)st->sse.offset, why, show, data,
                   len > 120 ? "..." : "");
    st->failed = true;
    return -1;
}

/* An SSE line or message past the decoder's cap: one failure with its
 * reason, and the transfer stops (no more memory for it). */
static int too_long(bk_stream *st, int rc)
{
    if (rc != SSE_TOO_LONG)
        return rc;
    rec_store_fail(st->rs, st->idx, SB_FAIL_MALFORMED,
                   "malformed stream: a line or message longer than %zu bytes (at byte %llu of "
                   "the body); the transfer was stopped there",
                   st->sse.max_line, (unsigned long long)st->sse.offset);
    st->failed = true;
    return -1;
}

static bool is_done(const char *d, size_t n)
{
    while (n && (d[n - 1] == ' ' || d[n - 1] == '\t'))
        n--;
    while (n && (*d == ' ' || *d == '\t'))
        d++, n--;
    return n == 6 && memcmp(d, "[DONE]", 6) == 0;
}

/* One Responses API event: deltas are token messages of their channel (TTFT
 * at the first of any kind, as chat's reference rule counts reasoning);
 * response.completed carries the usage and ends the stream as [DONE] does. */
static int on_response_event(bk_stream *st, const bk_msg *m, const char *data, size_t len,
                             uint64_t t)
{
    bk_msg ev = *m;
    switch (m->resp_event) {
    case BK_RESP_TEXT:
        ev.delta_content = m->delta_to > m->delta_from;
        on_token(st, &ev, t);
        break;
    case BK_RESP_REASONING:
        ev.delta_reasoning = true;
        on_token(st, &ev, t);
        break;
    case BK_RESP_TOOL:
        ev.delta_tool_call = true;
        on_token(st, &ev, t);
        break;
    case BK_RESP_COMPLETED:
        on_usage(st, m);
        st->got_done = true;
        break;
    case BK_RESP_FAILED: {
        int show = len > 200 ? 200 : (int)len;
        rec_store_fail(st->rs, st->idx, SB_FAIL_OTHER, "the server sent a failure event: %.*s%s",
                       show, data, len > 200 ? "..." : "");
        st->failed = true;
        return -1;
    }
    case BK_RESP_NONE:
        break;
    }
    return 0;
}

static int on_message(void *ud, const char *data, size_t len, uint64_t t)
{
    bk_stream *st = ud;
    st->n_msgs++;
    if (is_done(data, len)) {
        st->got_done = true;
        return 0;
    }
    bk_msg m;
    char why[160];
    if (bk_scan_parse(st->scan, data, len, &m, &st->text, &st->gen, why, sizeof why) != 0)
        return fail_malformed(st, data, len, why);
    if (!m.is_object)
        return fail_malformed(st, data, len, "not a JSON object");
    /* a top-level "delta" string is answer text only in an output_text event */
    if (st->mode == BK_MODE_RESPONSES && m.resp_event == BK_RESP_TOOL && m.delta_to > m.delta_from)
        sb_buf_append(&st->args, st->text.data + m.delta_from, m.delta_to - m.delta_from);
    if ((st->mode != BK_MODE_RESPONSES || m.resp_event != BK_RESP_TEXT) &&
        m.delta_to > m.delta_from)
        st->text.data[st->text.len = m.delta_from] = '\0';
    switch (st->mode) {
    case BK_MODE_RESPONSES:
        return on_response_event(st, &m, data, len, t);
    case BK_MODE_COMPLETIONS:
    case BK_MODE_CHAT:
    case BK_MODE_AUDIO:
        if (m.n_choices > 0)
            on_token(st, &m, t);
        else if (m.usage_truthy)
            on_usage(st, &m);
        /* neither (e.g. {"error": ...} mid-stream): ignored like the reference */
        break;
    case BK_MODE_TGI:
    case BK_MODE_TRTLLM:
        on_token(st, &m, t);
        break;
    case BK_MODE_WHOLE:
    case BK_MODE_POOLING:
        break;
    }
    return 0;
}

int bk_stream_body_krx(bk_stream *st, const char *p, size_t n, uint64_t t_ns, uint64_t krx_ns)
{
    if (st->rs->krx) {
        st->krx_user[st->krx_next] = t_ns;
        st->krx_kern[st->krx_next] = krx_ns;
        st->krx_next = (st->krx_next + 1) % KRX_RING;
    }
    return bk_stream_body(st, p, n, t_ns);
}

int bk_stream_body(bk_stream *st, const char *p, size_t n, uint64_t t_ns)
{
    st->last_body_ns = t_ns;
    if (st->failed)
        return -1;
    if (st->status != 200) {
        if (st->errbody.len < ERRBODY_MAX)
            sb_buf_append(&st->errbody, p,
                          n < ERRBODY_MAX - st->errbody.len ? n : ERRBODY_MAX - st->errbody.len);
        return 0;
    }
    if (st->mode == BK_MODE_WHOLE || st->mode == BK_MODE_POOLING) {
        /* A non-streamed body is held whole until it ends: the same cap as
         * an SSE message, so a server that never stops cannot grow us. */
        if (n > st->sse.max_line || st->whole.len > st->sse.max_line - n) {
            rec_store_fail(st->rs, st->idx, SB_FAIL_MALFORMED,
                           "malformed response: a body longer than %zu bytes; the transfer was "
                           "stopped there",
                           st->sse.max_line);
            st->failed = true;
            return -1;
        }
        sb_buf_append(&st->whole, p, n);
        return 0;
    }
    return too_long(st, sse_feed(&st->sse, p, n, t_ns, on_message, st));
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Payload Too Large";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "";
    }
}

/* Non-streamed answer: one JSON object; latency ends when it has arrived. */
static void end_whole(bk_stream *st, uint64_t t)
{
    sb_record *r = &st->rs->recs[st->idx];
    bk_msg m;
    char why[160];
    if (bk_scan_parse(st->scan, st->whole.data ? st->whole.data : "", st->whole.len, &m, &st->text,
                      NULL, why, sizeof why) != 0 ||
        !m.is_object) {
        fail_malformed(st, st->whole.data ? st->whole.data : "", st->whole.len,
                       m.is_object ? why : "not a JSON object");
        return;
    }
    if (m.prompt_tokens >= 0)
        r->prompt_len = (int32_t)m.prompt_tokens;
    if (m.completion_tokens >= 0)
        r->output_tokens = (int32_t)m.completion_tokens;
    r->latency_ns = t - st->start_ns;
    /* reference: TTFT fixed at 0 for deepspeed-mii; the pooling functions
     * set ttft = latency (3.9) */
    r->ttft_ns = st->mode == BK_MODE_POOLING ? r->latency_ns : 0;
    r->n_chunks = 1;
    st->got_token = true;
}

static void keep_text(bk_stream *st, sb_record *r)
{
    if (st->count_requested && r->output_tokens <= 0)
        r->output_tokens = r->output_len;
    const sb_buf *src = st->mode == BK_MODE_TGI ? &st->gen : &st->text;
    if (!st->keep_text && r->output_tokens > 0) {
        free(r->text); /* the server counted the tokens: the text is not needed */
        r->text = NULL;
        r->text_spilled = false;
        r->text_len = 0;
        r->tool_args_len = 0;
        return;
    }
    /* the answer text, then after a NUL the tool-call arguments (record.h) */
    size_t args = st->args.len > UINT32_MAX - 1 ? UINT32_MAX - 1 : st->args.len;
    if (args) {
        sb_buf both;
        sb_buf_init(&both);
        sb_buf_append(&both, src->data ? src->data : "", src->len);
        sb_buf_putc(&both, '\0');
        sb_buf_append(&both, st->args.data, args);
        rec_store_set_text(st->rs, st->idx, both.data, both.len);
        sb_buf_free(&both);
    } else {
        rec_store_set_text(st->rs, st->idx, src->data ? src->data : "", src->len);
    }
    r->tool_args_len = (uint32_t)args;
}

void bk_stream_end(bk_stream *st, sb_fail why, const char *msg, uint64_t t_ns)
{
    sb_record *r = &st->rs->recs[st->idx];
    if (st->failed)
        return;
    if (why != SB_FAIL_NONE) {
        rec_store_fail(st->rs, st->idx, why, "%s", msg ? msg : sb_fail_name(why));
        return;
    }
    if (st->status != 200) {
        rec_store_fail(st->rs, st->idx, SB_FAIL_HTTP_STATUS, "HTTP %d %s%s%.*s", st->status,
                       reason_phrase(st->status), st->errbody.len ? ": " : "", (int)st->errbody.len,
                       st->errbody.data ? st->errbody.data : "");
        return;
    }
    if (st->mode == BK_MODE_WHOLE || st->mode == BK_MODE_POOLING) {
        end_whole(st, st->last_body_ns ? st->last_body_ns : t_ns);
    } else if (too_long(st, sse_finish(&st->sse, on_message, st)) != 0) {
        return; /* malformed or too long last message, already recorded */
    }
    if (st->failed)
        return;
    if (!st->got_token) {
        if (st->got_done)
            rec_store_fail(st->rs, st->idx, SB_FAIL_NO_TOKEN, "%s", BK_NO_TOKEN_MSG);
        else
            rec_store_fail(st->rs, st->idx, SB_FAIL_EARLY_END,
                           "%s (the stream ended before [DONE])", BK_NO_TOKEN_MSG);
        return;
    }
    if (st->schema) { /* checked before keep_text may drop the text */
        const sb_buf *src = st->mode == BK_MODE_TGI ? &st->gen : &st->text;
        jschema_verdict v = jschema_check_text(st->schema, src->data ? src->data : "", src->len);
        r->structured = v == JSCHEMA_MATCH      ? SB_STRUCT_MATCH
                        : v == JSCHEMA_MISMATCH ? SB_STRUCT_MISMATCH
                                                : SB_STRUCT_INVALID;
    }
    keep_text(st, r);
    r->success = true;
    r->done = true;
    r->fail = SB_FAIL_NONE;
}
