/* SPDX-License-Identifier: Apache-2.0 */
/* stream.h - turns one response (status, body pieces with receive times,
 * end) into one sb_record, with the reference's timing rules
 * (vllm/benchmarks/lib/endpoint_request_func.py: async_request_openai_completions):
 *
 *  - one timestamp per message: the receive time of the piece that carried
 *    it (taken by the engine before any parsing);
 *  - TTFT at the first message with non-empty "choices" (TGI/TRT-LLM: the
 *    first JSON message); ITL = gaps between such token messages;
 *  - E2EL ends at the last token message for completions AND chat (the
 *    newest reference, PR #55508: the trailing usage chunk does not extend
 *    chat latency);
 *  - usage-only messages set output_tokens and prompt_len;
 *  - where token messages also carry cumulative usage (vLLM
 *    continuous_usage_stats), tokens per gap go to itl_tokens (ours);
 *  - failures: HTTP status (status + first 200 body bytes), malformed message,
 *    stream end without any token (the reference's exact text), transport
 *    errors mapped by the engine.
 * A bk_stream is owned by one in-flight slot and reused request after
 * request: its buffers and JSON handle stay allocated, so the per-message
 * path allocates nothing. */
#ifndef SB_STREAM_H
#define SB_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "backend/scan.h"
#include "backend/sse.h"
#include "metrics/record.h"

#define BK_NO_TOKEN_MSG                                                                            \
    "Never received a valid chunk to calculate TTFT.This response will be marked as failed!"

#define BK_KRX_RING 4u /* pieces whose kernel stamps a stream keeps (bk_stream_body_krx) */

typedef struct bk_stream {
    bk_mode mode;
    sse_dec sse;
    bk_scan *scan;
    sb_buf text;    /* generated text of the current request */
    sb_buf gen;     /* TGI generated_text of the newest message */
    sb_buf args;    /* tool-call argument text of the current request (ours) */
    sb_buf errbody; /* first bytes of a non-200 body */
    sb_buf whole;   /* body of a non-streamed backend */
    rec_store *rs;
    size_t idx;
    uint64_t start_ns;
    uint64_t prev_ns; /* newest token message */
    uint64_t last_body_ns;
    int64_t cum_tokens; /* completion_tokens of the previous token message, -1 unknown */
    uint32_t cap_itl_tokens;
    int status;
    bool got_token;
    bool got_done;        /* [DONE] seen */
    bool failed;          /* a failure was recorded during the stream */
    bool keep_text;       /* copy the text into the record even when usage came */
    bool count_requested; /* TGI with ignore_eos: output_tokens = requested length (3.10) */
    /* the current request's JSON schema (a json_t, read only), or NULL: the
     * answer text is checked against it when the request ends */
    const struct json_t *schema;
    uint64_t n_msgs; /* messages decoded (for client health) */
    /* --rx-timestamps kernel (rs->krx set): the kernel stamps of the newest
     * pieces by their user-space stamp. A message carries the user stamp of
     * the piece that held its data line's end (sse.h), at most a few pieces
     * back, and finds its kernel stamp here. */
    uint64_t krx_user[BK_KRX_RING], krx_kern[BK_KRX_RING];
    unsigned krx_next;
} bk_stream;

void bk_stream_init(bk_stream *st, bk_mode mode);
void bk_stream_free(bk_stream *st);
/* Starts request idx of rs, sent at start_ns (absolute monotonic; the record's
 * own start_ns, relative to the bench start, is the caller's to set). */
void bk_stream_begin(bk_stream *st, rec_store *rs, size_t idx, uint64_t start_ns);
/* Request idx (just begun) carries schema (a json_t): its record is marked
 * structured and its answer checked at the end. */
void bk_stream_set_schema(bk_stream *st, const struct json_t *schema);
/* Response status line received. */
void bk_stream_status(bk_stream *st, int status);
/* One body piece received at t_ns. Returns 0, or -1 to abort the transfer
 * (the failure is already recorded). */
int bk_stream_body(bk_stream *st, const char *p, size_t n, uint64_t t_ns);
/* The same, with the kernel's receive stamp krx_ns of the piece (0 = none;
 * kept only when the store has a krx part: --rx-timestamps kernel). */
int bk_stream_body_krx(bk_stream *st, const char *p, size_t n, uint64_t t_ns, uint64_t krx_ns);
/* The transfer ended. why == SB_FAIL_NONE for a clean end; otherwise the
 * transport failure and its message (ignored if the stream already failed). */
void bk_stream_end(bk_stream *st, sb_fail why, const char *msg, uint64_t t_ns);

#endif
