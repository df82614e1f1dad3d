/* SPDX-License-Identifier: Apache-2.0 */
/* session.h - multi-turn sessions (`serve --multi-turn`): each conversation of
 * the dataset is replayed turn by turn, as a chat client does and as upstream's
 * multi-turn benchmark does (vllm benchmarks/multi_turn/benchmark_serving_multi_turn.py:
 * send_turn, client_main): turn k sends the system prompt, the user turns so far and the
 * server's OWN streamed replies to turns 1..k-1 (not the dataset's), with max tokens =
 * the dataset's reply to turn k counted in tokens.
 *
 * The set is a loop_feed (loop.h): the event loop asks it for the next due
 * request when a slot is free and tells it when one ends; a finished reply
 * schedules the conversation's next turn (after the think time), a failed one
 * ends the conversation. Histories grow by appending: each message is
 * rendered and tokenized once, so building every turn of every conversation
 * costs the total new text, not the total history.
 *
 * Records: one per turn, conversation c's turn k at index base(c) + k; turns
 * never sent (after a failed turn or an interrupt) are dropped from the store
 * by sess_finish, and the per-turn figures (sess_render) follow the records
 * that remain. */
#ifndef SB_SESSION_H
#define SB_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "core/buf.h"
#include "core/err.h"
#include "dataset/dataset.h"
#include "metrics/metrics.h"
#include "metrics/record.h"
#include "run/loop.h"
#include "sched/sched.h"
#include "tokenizer/tokenizer.h"

typedef struct sess_set sess_set;

/* A conversation's first turn answered in a warm-up run: the reply and its
 * tokens (text NULL: not answered, the conversation is left out). */
typedef struct sess_first_reply {
    const char *text;
    size_t len;
    int32_t tokens;
} sess_first_reply;

typedef struct sess_opts {
    long max_active;            /* conversations in progress at once; 0 = no limit */
    bool rate_counts_turns;     /* the plan spaces turns, not conversation starts */
    double think_s;             /* pause between a reply and the next turn */
    bool think_exponential;     /* think_s is the mean of an exponential draw */
    const char *session_header; /* header name carrying the conversation id, or NULL */
    const char *id_prefix;      /* the run's x-request-id prefix */
    uint32_t seed;              /* think-time draws */
    long fixed_output_len;      /* max tokens of every turn; -1 = the dataset's replies */
    long max_requests;          /* turns sent in all, then none; 0 = no limit */
    long max_messages;          /* a conversation's first N dataset messages only; 0 = all */
    bool keep_replies;          /* keep every streamed reply (sess_reply) */
    bool pick_random;           /* next turn: a random due conversation, not the oldest */
    bool send_conversation_id;  /* "conversation_id" in the body, X-Session-ID header */
    uint32_t max_user_turns;    /* a conversation's first N user turns only; 0 = all */
    /* By dataset index: each conversation's first turn was sent by a warm-up
     * run; its history starts with that reply and its turns with the second
     * (upstream's --warmup-step). NULL: none. */
    const sess_first_reply *first_replies;
} sess_opts;

/* Builds the sessions of ds (one per request with turns, roles as
 * dataset_conv_check names them) and counts every message's tokens with tk
 * (NULL: 0). bp builds the bodies. Fails when no conversation has a turn. */
sess_set *sess_new(const sess_opts *o, const sb_dataset *ds, const bk_params *bp, const tok *tk,
                   sb_err *err);
void sess_free(sess_set *s);
/* Send times the schedule needs for ds: one per conversation with a user
 * turn, or one per user turn when the rate counts turns. */
size_t sess_plan_size(const sb_dataset *ds, bool rate_counts_turns);
/* Records the run needs: every turn of every conversation. */
size_t sess_turns(const sess_set *s);
size_t sess_conversations(const sess_set *s);
/* Arms the set for one run into rs (sess_turns records) on plan: one offset
 * per conversation, or per turn with rate_counts_turns. The feed reads rs's
 * bench_start_ns as t0 once the loop has taken it. */
const loop_feed *sess_feed(sess_set *s, rec_store *rs, const sched_plan *plan);
/* After loop_run: drops the records of turns never sent. */
void sess_finish(sess_set *s, rec_store *rs);
/* What record i (after sess_finish) was: its conversation (index into the
 * dataset's requests), turn (0-based), messages sent and their content
 * tokens as counted here (upstream's input_num_tokens). */
typedef struct sess_rec_info {
    size_t ds_index;
    uint32_t turn, n_msgs;
    int64_t input_tokens;
    int32_t user_tokens; /* of them, the turn's own user message */
} sess_rec_info;
void sess_record(const sess_set *s, size_t i, sess_rec_info *out);
/* Conversation c (0 .. sess_conversations - 1): its dataset index, and
 * whether it ran to its end (every turn answered). */
size_t sess_conv_ds_index(const sess_set *s, size_t c);
bool sess_conv_completed(const sess_set *s, size_t c);
/* With keep_replies: the server's reply to conversation c's turn k, or NULL
 * when that turn got none. */
const char *sess_reply(const sess_set *s, size_t c, uint32_t k, size_t *len);

/* The per-turn and per-conversation figures, after metrics_compute on rs:
 * `"multi_turn": {...}` appended to json (", " first when json is not empty)
 * and a block section to text. pcts: --metric-percentiles. */
void sess_render(const sess_set *s, const rec_store *rs, const sb_metrics *m, sb_buf *json,
                 sb_buf *text);

#endif
