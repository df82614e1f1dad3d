/* SPDX-License-Identifier: Apache-2.0 */
/* record.h - what the engine measured for one request, stored compactly.
 *
 * One sb_record per request of the run, in dataset order. Inter-token gaps
 * are 32-bit nanosecond deltas in one array per request, sized from the
 * expected output length when the request starts (grown only if the server
 * sends more), so the hot path never allocates per token. A gap of 4.29 s or
 * more is stored as UINT32_MAX and its full value kept in the store's small
 * overflow table (rec_store_itl_ns reads either transparently). */
#ifndef SB_RECORD_H
#define SB_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef enum sb_fail {
    SB_FAIL_NONE = 0,
    SB_FAIL_CONNECT,     /* connection refused / DNS / unreachable */
    SB_FAIL_RESET,       /* connection reset or closed before a response */
    SB_FAIL_TIMEOUT,     /* --request-timeout or stall timeout */
    SB_FAIL_HTTP_STATUS, /* non-200; error holds status + first 200 body bytes */
    SB_FAIL_MALFORMED,   /* a stream message that does not parse */
    SB_FAIL_EARLY_END,   /* stream ended before [DONE] without any token */
    SB_FAIL_NO_TOKEN,    /* "Never received a valid chunk to calculate TTFT." */
    SB_FAIL_CANCELLED,   /* Ctrl-C grace time ran out */
    SB_FAIL_OTHER,
    SB_FAIL_COUNT_
} sb_fail;

/* Short stable name of a failure reason ("connect", "http_status", ...). */
const char *sb_fail_name(sb_fail f);

/* sb_record.structured: a request sent with a JSON schema, and what its
 * answer was (schema/jschema.h checks it when the request ends). */
enum {
    SB_STRUCT_NONE = 0, /* no schema */
    SB_STRUCT_SENT,     /* sent; failed, or not answered yet */
    SB_STRUCT_INVALID,  /* answered, the text is not JSON */
    SB_STRUCT_MISMATCH, /* JSON the schema rejects */
    SB_STRUCT_MATCH,    /* JSON that satisfies the schema */
};

typedef struct sb_record {
    uint64_t intended_ns; /* scheduled send time, relative to the benchmark start */
    uint64_t queued_ns;   /* when it became due (before the concurrency limit), relative to
                             bench_start_ns */
    uint64_t start_ns; /* just before it was handed to the transport, relative to bench_start_ns */
    uint64_t ttft_ns;  /* first token message - start (0 if none) */
    uint64_t latency_ns; /* E2EL: last token message - start */
    uint32_t *itl;       /* gaps between token messages, ns (see header comment) */
    uint32_t n_itl, cap_itl;
    uint16_t *itl_tokens;  /* tokens per gap when the server reports usage per chunk, else NULL */
    int32_t prompt_len;    /* dataset value, replaced by usage.prompt_tokens when reported */
    int32_t output_tokens; /* usage.completion_tokens, or 0 */
    int32_t output_len;    /* final count used by the metrics (vllm/benchmarks/serve.py:
                              calculate_metrics) */
    int32_t n_chunks;      /* token messages received */
    double input_audio_s;  /* seconds of audio sent (openai-audio), else 0: RTFx */
    /* chat stream channels (ours): first message with reasoning / answer
     * text, relative to start (0 = none), and messages carrying each */
    uint64_t reasoning_ttft_ns, answer_ttft_ns;
    uint32_t n_reasoning_msgs, n_answer_msgs, n_tool_call_msgs;
    /* ours: bytes of chat tool-call argument text (tool_calls[].function.arguments,
     * Responses function-call deltas) at the end of the kept text, after a NUL:
     * the text is answer + NUL + arguments (rec_text_answer_len), so a server
     * without usage still has its tool-call tokens counted as output */
    uint32_t tool_args_len;
    int http_status;
    bool done; /* finished (success or failure) */
    bool success;
    bool partial;       /* cut short by Ctrl-C */
    bool text_spilled;  /* the text is in the store's spill file at text_off (rec_store_text) */
    uint8_t structured; /* ours: a structured-output request (SB_STRUCT_*), else 0 */
    sb_fail fail;
    char *error;     /* heap string owned by the store, NULL on success */
    char *text;      /* generated text when kept in memory (save-detailed or no usage), else NULL */
    size_t text_len; /* bytes of the text, in memory or spilled */
    uint64_t text_off; /* where a spilled text starts in the spill file */
} sb_record;

typedef struct rec_store {
    sb_record *recs;
    size_t n;
    struct rec_overflow {
        size_t req;
        uint32_t j;
        uint64_t ns;
    } * overflow; /* gaps >= 4.29 s */
    size_t n_overflow, cap_overflow;
    uint64_t bench_start_ns; /* monotonic time of the schedule start */
    uint64_t bench_end_ns;   /* after the last request finished */
    void *lock; /* a pthread_mutex_t guarding the overflow table and the spill file while
                   several loops run */
    struct rec_spill *spill; /* where kept texts go past the memory budget, or NULL */
    struct krx_store *krx; /* --rx-timestamps kernel: stamps beside the records (krx.h), else NULL;
                              freed and kept with them */
} rec_store;

/* Checks, before anything is built for them, that n requests' records and
 * per-request bookkeeping (at least REC_MIN_BYTES_PER_REQUEST each) fit in
 * half of this machine's physical memory, so an absurd request count fails
 * at once with a sentence instead of allocating until the machine swaps.
 * Returns 0, or -1 with err set. */
#define REC_MIN_BYTES_PER_REQUEST 256
int rec_store_fits(size_t n, sb_err *err);
rec_store *rec_store_new(size_t n);
void rec_store_free(rec_store *s);
/* Reserves ITL room for a request about to start (expected_tokens gaps). */
void rec_store_begin(rec_store *s, size_t i, uint32_t expected_tokens);
/* Appends one inter-token gap to request i (amortised O(1), no allocation
 * unless the reserve is exceeded). */
void rec_store_push_itl(rec_store *s, size_t i, uint64_t gap_ns);
/* Request i ended: its ITL array is cut to the gaps received, so a request
 * that got fewer tokens than expected keeps 4 bytes per gap, not its reserve. */
void rec_store_trim(rec_store *s, size_t i);
/* Gap j of request i in ns. */
uint64_t rec_store_itl_ns(const rec_store *s, size_t i, uint32_t j);
/* Keeps only the records i with keep[i] (for i < s->n), moved to the front in
 * index order (records carry their own lengths, so nothing else refers to an
 * index); the rest are freed and s->n becomes the number kept. Requests never
 * sent after an interrupt, or turns of a session that ended early, leave
 * this way. */
void rec_store_keep(rec_store *s, const unsigned char *keep);
/* Kept generated texts (record_spill.c). A --save-detailed run of millions
 * of requests would otherwise hold every text until the result is written:
 * past hold_bytes of texts in memory, each further text is appended to an
 * unlinked temporary file made in dir (opened at the first text that needs
 * it) and read back in request order when the metrics and the result JSON
 * ask for it, so the process's memory stays bounded by hold_bytes plus a
 * 1 MiB read window and a 256 KiB write buffer. Without this call every
 * text stays in memory. */
void rec_store_spill_setup(rec_store *s, const char *dir, size_t hold_bytes);
/* Replaces request i's kept text by a copy of text[0..len) (in memory or
 * spilled). Safe from several loops at once (s->lock). If the spill file
 * cannot be made or written, the text is held in memory instead and
 * rec_store_spill_error says why. */
void rec_store_set_text(rec_store *s, size_t i, const char *text, size_t len);
/* Whether request i has a kept text. */
bool rec_store_has_text(const rec_store *s, size_t i);
/* Request i's kept text ("" when none), *len its bytes; the pointer is valid
 * until the next call or a change of the store. Not for use while loops run.
 * NULL with err set when a spilled text cannot be read back. */
const char *rec_store_text(const rec_store *s, size_t i, size_t *len, sb_err *err);
/* Bytes of the answer text in request r's kept text of len bytes: all of it,
 * or what comes before the NUL that starts its tool-call arguments. */
static inline size_t rec_text_answer_len(const sb_record *r, size_t len)
{
    return r->tool_args_len && len > r->tool_args_len ? len - r->tool_args_len - 1 : len;
}
/* Why texts stopped being spilled (a sentence naming the directory), or NULL. */
const char *rec_store_spill_error(const rec_store *s);
/* Bytes of texts written to the spill file so far. */
uint64_t rec_store_spilled_bytes(const rec_store *s);

/* Marks request i failed with a reason and a message (copied). */
void rec_store_fail(rec_store *s, size_t i, sb_fail why, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
