/* SPDX-License-Identifier: Apache-2.0 */
/* sse.h - Server-Sent Events framing: raw body pieces in, whole messages out.
 *
 * Follows the SSE standard (lines end in LF, CRLF or CR; "data:" with or
 * without one space; several data lines joined with LF; comments and other
 * fields ignored; a blank line dispatches) and keeps the reference client's
 * timing (vllm/benchmarks/lib/endpoint_request_func.py: async_request_openai_completions): a
 * message is stamped with the receive time of the piece that held the last byte of its last data
 * line, so a server that sends the blank line in a later write does not delay the message. Memory
 * is one line buffer and one data buffer, reused: no allocation per message once they have grown to
 * the largest message. */
#ifndef SB_SSE_H
#define SB_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Called once per dispatched message with its data (NUL-terminated, without
 * the "data:" prefix) and its timestamp. Return 0 to go on, -1 to stop the
 * feed (sse_feed then returns -1). */
typedef int (*sse_msg_fn)(void *ud, const char *data, size_t len, uint64_t t_ns);

/* Longest line, and longest message (its data lines joined), kept: a server
 * that never ends a line must not grow the client without limit. Real
 * stream messages are hundreds of bytes; a long answer's text is spread over
 * many messages. */
#define SSE_MAX_LINE ((size_t)16 << 20)

typedef struct sse_dec {
    size_t max_line;  /* SSE_MAX_LINE unless a test lowers it */
    sb_buf line;      /* a line not yet terminated at the end of a piece */
    sb_buf data;      /* data lines of the message being built */
    uint64_t line_ts; /* receive time of the last byte appended to line */
    uint64_t data_ts; /* time of the newest data line of the message */
    bool have_data;   /* at least one data: line since the last dispatch */
    bool skip_lf;     /* previous piece ended in CR: drop a leading LF */
    bool bom_checked; /* the stream's first bytes were checked for a BOM */
    uint8_t bom_n;    /* BOM bytes matched so far while not yet checked */
    uint64_t offset;  /* bytes fed so far, for error messages */
    uint32_t n_msgs;  /* messages dispatched */
} sse_dec;

void sse_init(sse_dec *d);
void sse_free(sse_dec *d);
/* Forgets any partial message, keeps the buffers (for the next request). */
void sse_reset(sse_dec *d);
/* Feeds one piece received at t_ns. Returns 0, -1 if a callback stopped, or
 * SSE_TOO_LONG when a line or a message grew past max_line (the decoder is
 * then unusable until sse_reset). Time and memory are linear in the bytes fed. */
#define SSE_TOO_LONG (-2)
int sse_feed(sse_dec *d, const char *p, size_t n, uint64_t t_ns, sse_msg_fn fn, void *ud);
/* End of stream: a last data line without its newline or blank line is still
 * dispatched (servers that close right after the JSON). Returns as sse_feed. */
int sse_finish(sse_dec *d, sse_msg_fn fn, void *ud);

#endif
