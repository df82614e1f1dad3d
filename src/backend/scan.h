/* SPDX-License-Identifier: Apache-2.0 */
/* scan.h - pulls the few fields the decoders need out of one JSON message.
 *
 * One pass over the message validates all of it (RFC 8259, escapes, strict
 * UTF-8, int64/double range, nesting <= 1024) and fills a fixed struct (no
 * tree, no per-message allocation): the length of "choices", the token text
 * of choices[0] (completions "text", chat "delta.content"), "usage"
 * counters, TGI's "generated_text", TRT-LLM's "text_output" and MII's
 * "text"[0]. Text is appended to a caller buffer, already unescaped.
 * tests/oracle/scan_yajl.h is the YAJL-based predecessor, kept as the test
 * oracle. */
#ifndef SB_SCAN_H
#define SB_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef enum bk_resp_event {
    BK_RESP_NONE,      /* no "type", or one the decoder ignores */
    BK_RESP_TEXT,      /* response.output_text.delta */
    BK_RESP_REASONING, /* response.reasoning_text.delta, response.reasoning_summary_text.delta */
    BK_RESP_TOOL,      /* response.function_call_arguments.delta */
    BK_RESP_COMPLETED, /* response.completed (its response.usage holds the counts) */
    BK_RESP_FAILED,    /* response.failed, response.incomplete, error */
} bk_resp_event;

typedef struct bk_msg {
    int32_t n_choices;         /* elements of "choices"; -1 when absent */
    bool usage_truthy;         /* "usage" is a non-empty object (Python truthiness) */
    int64_t completion_tokens; /* usage.completion_tokens, -1 absent */
    int64_t prompt_tokens;     /* usage.prompt_tokens, -1 absent */
    bool has_error;            /* top-level "error" key */
    bool is_object;            /* the message is a JSON object */
    bool has_generated_text;   /* TGI: "generated_text" is a string */
    /* answer channels (ours, beside the reference's timing): non-empty
     * answer text (chat delta.content, or the text the other APIs append);
     * in chat choices[0].delta a non-empty "reasoning_content" or
     * "reasoning" (vLLM's reasoning parsers: older and newer name) and a
     * non-empty "tool_calls" list */
    bool delta_content, delta_reasoning, delta_tool_call;
    /* Responses API events (openai-responses): the top-level "type", and
     * where the top-level "delta" string went in the text buffer (appended
     * whatever the type; the decoder keeps it only for output text) */
    bk_resp_event resp_event;
    size_t delta_from, delta_to;
} bk_msg;

typedef struct bk_scan bk_scan;

bk_scan *bk_scan_new(void);
void bk_scan_free(bk_scan *s);
/* Where the chat tool_calls[].function.arguments strings of choices[0].delta
 * are appended (NULL: nowhere, the default). */
void bk_scan_set_args(bk_scan *s, sb_buf *args);
/* Parses one complete JSON text. Token text of choices[0] (text or
 * delta.content), "text_output" and "text"[0] is appended to text (may be
 * NULL); TGI "generated_text" goes to gen_text (may be NULL). Returns 0, or -1
 * with a short reason in why (the text is then not a JSON value). */
int bk_scan_parse(bk_scan *s, const char *json, size_t len, bk_msg *out, sb_buf *text,
                  sb_buf *gen_text, char *why, size_t why_size);

#endif
