/* SPDX-License-Identifier: Apache-2.0 */
/* session.c - multi-turn sessions (see session.h).
 *
 * State per conversation: its messages as the dataset has them (text, role,
 * tokens counted once), the rendered history so far ("{...}, {...}", Python
 * json.dumps style as the chat body builder writes messages) and its token
 * sum. Sending turn k appends the fixed messages before it and the user
 * message; its reply, when it ends, is appended as the assistant message.
 * Nothing is rendered or tokenized twice.
 *
 * Scheduling, all on the event loop's thread:
 *  - a conversation arrives at its plan offset (rate counts conversations)
 *    or at t0 (rate counts turns), then waits in a FIFO for an active place
 *    (--max-active-conversations);
 *  - an active conversation has at most one turn pending: ready at its
 *    arrival (turn 1) or at the previous reply's end + think time, in a
 *    min-heap on that time;
 *  - with rate counting turns, the j-th turn sent overall also waits for plan
 *    offset j (a turn arrival process shared by all conversations). */
#include "run/session.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pyfmt.h"
#include "core/rng.h"

enum { ROLE_SYSTEM, ROLE_USER, ROLE_ASSISTANT };
enum { C_FUTURE, C_WAITING, C_ACTIVE, C_DONE, C_FAILED };

/* A message of a conversation as the dataset has it. */
typedef struct sess_msg {
    const char *text; /* the dataset's arena */
    size_t bytes;
    int32_t tokens; /* content tokens (no special tokens), as upstream counts input */
    uint8_t role;
} sess_msg;

typedef struct sess_conv {
    const sess_msg *msgs;
    uint32_t n_msgs;
    uint32_t n_turns;   /* user messages */
    uint32_t next_msg;  /* first message not yet in the history */
    uint32_t hist_msgs; /* messages in the history */
    uint32_t turn;      /* turns sent */
    uint32_t turns_ok;
    uint8_t state;
    size_t ds_index;     /* the dataset request it came from */
    sb_fail fail;        /* C_FAILED: the failed turn's reason */
    size_t base;         /* record of turn 0 */
    sb_buf hist;         /* rendered messages so far, without brackets */
    int64_t hist_tokens; /* their content tokens */
    sb_buf body;         /* the in-flight turn's request body */
    char *header;        /* "name: id" for --session-header, or NULL */
    const char *conv_id; /* send_conversation_id: the dataset's id */
    uint64_t arrive_ns;  /* offset from t0 */
    uint64_t first_start_ns, end_ns;
} sess_conv;

typedef struct sess_ready {
    uint64_t at_ns; /* absolute */
    uint32_t conv;
} sess_ready;

struct sess_set {
    sess_opts o;
    const bk_params *bp;
    const tok *tk;
    sess_conv *convs;
    size_t n_convs, n_turns;
    sess_msg *msgs;
    uint32_t *rec_conv; /* record index -> conversation */
    uint32_t *rec_turn; /* record index -> turn index (0-based) */
    uint32_t *rec_msgs; /* record index -> messages sent */
    int64_t *rec_in;    /* record index -> their content tokens */
    int32_t *rec_user;  /* record index -> the user message's tokens */
    char **replies;     /* keep_replies: by original record index */
    size_t *reply_len;
    unsigned char *sent;
    loop_req *reqs;
    loop_feed feed;
    /* per run */
    rec_store *rs;
    const sched_plan *plan;
    uint32_t *fifo; /* arrived, waiting for an active place */
    size_t fifo_head, fifo_tail;
    sess_ready *heap;
    size_t n_heap;
    sess_ready *due;                               /* pick_random: the due entries of one take */
    size_t next_arrival, active, turns_sent, over; /* over: done or failed */
    bool arrived_all;
    np_rs rng;
    pyjson_obj scratch;
    sb_buf list, id;
    tok_ids ids;
    size_t skipped; /* the dataset's bad conversations */
};

static void put_msg(sb_buf *b, const char *role, const char *text, size_t n);
static const char *role_name(uint8_t r);

/* Appends a dataset message to the conversation's history. */
static void hist_put(sess_conv *c, const sess_msg *g)
{
    put_msg(&c->hist, role_name(g->role), g->text, g->bytes);
    c->hist_tokens += g->tokens;
    c->hist_msgs++;
}

static int32_t count_tokens(sess_set *s, const char *text, size_t len)
{
    if (!s->tk)
        return 0;
    s->ids.n = 0;
    if (tok_encode(s->tk, text, len, false, &s->ids, NULL) != 0)
        return 0;
    return (int32_t)s->ids.n;
}

static uint8_t role_of(const char *r)
{
    return !strcmp(r, "user") ? ROLE_USER : !strcmp(r, "system") ? ROLE_SYSTEM : ROLE_ASSISTANT;
}

sess_set *sess_new(const sess_opts *o, const sb_dataset *ds, const bk_params *bp, const tok *tk,
                   sb_err *err)
{
    size_t n_msgs = 0;
    for (size_t i = 0; i < ds->n; i++)
        n_msgs += ds->reqs[i].n_turns;
    sess_set *s = sb_xcalloc(1, sizeof *s);
    s->o = *o;
    s->bp = bp;
    s->tk = tk;
    s->skipped = ds->conv_skipped;
    tok_ids_init(&s->ids);
    sb_buf_init(&s->list);
    sb_buf_init(&s->id);
    pyjson_obj_init(&s->scratch);
    s->convs = sb_xcalloc(ds->n ? ds->n : 1, sizeof *s->convs);
    s->msgs = sb_xcalloc(n_msgs ? n_msgs : 1, sizeof *s->msgs);
    size_t m = 0;
    for (size_t i = 0; i < ds->n; i++) {
        const sb_request *q = &ds->reqs[i];
        sess_conv *c = &s->convs[s->n_convs];
        c->msgs = s->msgs + m;
        uint32_t n_take = q->n_turns;
        if (o->max_messages > 0 && (long)n_take > o->max_messages)
            n_take = (uint32_t)o->max_messages; /* upstream's --max-turns counts messages */
        uint32_t users = 0;
        for (uint32_t k = 0; k < n_take; k++) {
            if (o->max_user_turns > 0 && users == o->max_user_turns &&
                role_of(q->roles[k]) == ROLE_USER) {
                n_take = k; /* the warm-up: the first turn and its reply only */
                break;
            }
            users += role_of(q->roles[k]) == ROLE_USER;
            sess_msg *g = &s->msgs[m++];
            g->text = q->turns[k];
            g->bytes = strlen(q->turns[k]);
            g->role = role_of(q->roles[k]);
            /* a synthetic conversation's counts are exact already */
            g->tokens = q->turn_tokens ? q->turn_tokens[k] : count_tokens(s, g->text, g->bytes);
            c->n_turns += g->role == ROLE_USER;
        }
        c->n_msgs = n_take;
        const sess_first_reply *fr = o->first_replies ? &o->first_replies[i] : NULL;
        if (c->n_turns == 0 || (fr && (!fr->text || c->n_turns < 2))) {
            /* the dataset skipped these (a request without turns), or the
             * warm-up did not answer it or left it no turn */
            m -= c->n_msgs;
            memset(c, 0, sizeof *c);
            continue;
        }
        c->n_turns -= fr != NULL; /* the warm-up sent the first */
        c->base = s->n_turns;
        c->ds_index = i;
        s->n_turns += c->n_turns;
        sb_buf_init(&c->hist);
        sb_buf_init(&c->body);
        if (fr) { /* upstream's skip_first_turn: the warm-up's turn is history */
            while (c->msgs[c->next_msg].role != ROLE_USER)
                hist_put(c, &c->msgs[c->next_msg++]);
            hist_put(c, &c->msgs[c->next_msg++]);
            if (c->next_msg < c->n_msgs && c->msgs[c->next_msg].role == ROLE_ASSISTANT)
                c->next_msg++; /* the dataset's answer: the server's replaces it */
            put_msg(&c->hist, "assistant", fr->text, fr->len);
            c->hist_tokens += fr->tokens;
            c->hist_msgs++;
        }
        if (o->send_conversation_id) {
            /* upstream's --send-conversation-id: the dataset's id in the body
             * and as X-Session-ID (send_request) */
            c->conv_id = q->conv_id ? q->conv_id : "";
            for (const char *p = c->conv_id; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                    sess_free(s);
                    sb_err_set(err,
                               "conversation %zu: its id holds a control character and cannot "
                               "be sent as the X-Session-ID header",
                               i + 1);
                    return NULL;
                }
        }
        if (o->session_header || o->send_conversation_id) {
            sb_buf h;
            sb_buf_init(&h);
            if (o->send_conversation_id)
                sb_buf_printf(&h, "X-Session-ID: %s", c->conv_id);
            else
                sb_buf_printf(&h, "%s: %sconv-%zu", o->session_header, o->id_prefix, s->n_convs);
            c->header = sb_buf_steal(&h);
        }
        s->n_convs++;
    }
    if (s->n_turns == 0) {
        sess_free(s);
        sb_err_set(err, "--multi-turn: no conversation with a user turn in the dataset");
        return NULL;
    }
    s->rec_conv = sb_xmalloc(s->n_turns * sizeof *s->rec_conv);
    s->rec_turn = sb_xmalloc(s->n_turns * sizeof *s->rec_turn);
    s->rec_msgs = sb_xcalloc(s->n_turns, sizeof *s->rec_msgs);
    s->rec_in = sb_xcalloc(s->n_turns, sizeof *s->rec_in);
    s->rec_user = sb_xcalloc(s->n_turns, sizeof *s->rec_user);
    if (o->keep_replies) {
        s->replies = sb_xcalloc(s->n_turns, sizeof *s->replies);
        s->reply_len = sb_xcalloc(s->n_turns, sizeof *s->reply_len);
    }
    for (size_t c = 0; c < s->n_convs; c++)
        for (uint32_t k = 0; k < s->convs[c].n_turns; k++) {
            s->rec_conv[s->convs[c].base + k] = (uint32_t)c;
            s->rec_turn[s->convs[c].base + k] = k;
        }
    s->sent = sb_xcalloc(s->n_turns, 1);
    s->reqs = sb_xcalloc(s->n_turns, sizeof *s->reqs);
    s->fifo = sb_xmalloc(s->n_convs * sizeof *s->fifo);
    s->heap = sb_xmalloc(s->n_convs * sizeof *s->heap);
    s->due = sb_xmalloc(s->n_convs * sizeof *s->due);
    return s;
}

void sess_free(sess_set *s)
{
    if (!s)
        return;
    for (size_t c = 0; c < s->n_convs; c++) {
        sb_buf_free(&s->convs[c].hist);
        sb_buf_free(&s->convs[c].body);
        free(s->convs[c].header);
    }
    free(s->convs);
    free(s->msgs);
    free(s->rec_conv);
    free(s->rec_turn);
    free(s->rec_msgs);
    free(s->rec_in);
    free(s->rec_user);
    for (size_t i = 0; s->replies && i < s->n_turns; i++)
        free(s->replies[i]);
    free(s->replies);
    free(s->reply_len);
    free(s->sent);
    free(s->reqs);
    free(s->fifo);
    free(s->heap);
    free(s->due);
    pyjson_obj_free(&s->scratch);
    sb_buf_free(&s->list);
    sb_buf_free(&s->id);
    tok_ids_free(&s->ids);
    free(s);
}

size_t sess_plan_size(const sb_dataset *ds, bool rate_counts_turns)
{
    size_t convs = 0, turns = 0;
    for (size_t i = 0; i < ds->n; i++) {
        size_t u = 0;
        for (uint32_t k = 0; k < ds->reqs[i].n_turns; k++)
            u += !strcmp(ds->reqs[i].roles[k], "user");
        convs += u > 0;
        turns += u;
    }
    return rate_counts_turns ? turns : convs;
}

size_t sess_turns(const sess_set *s)
{
    return s->n_turns;
}

size_t sess_conversations(const sess_set *s)
{
    return s->n_convs;
}

/* ---- the ready heap (min on at_ns) ---- */

static void heap_push(sess_set *s, uint64_t at, uint32_t conv)
{
    size_t i = s->n_heap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (s->heap[p].at_ns <= at)
            break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = (sess_ready){at, conv};
}

static sess_ready heap_pop(sess_set *s)
{
    sess_ready top = s->heap[0], last = s->heap[--s->n_heap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        uint64_t mv = last.at_ns;
        if (l < s->n_heap && s->heap[l].at_ns < mv)
            m = l, mv = s->heap[l].at_ns;
        if (r < s->n_heap && s->heap[r].at_ns < mv)
            m = r;
        if (m == i)
            break;
        s->heap[i] = s->heap[m];
        i = m;
    }
    if (s->n_heap)
        s->heap[i] = last;
    return top;
}

/* ---- history and bodies ---- */

static void put_msg(sb_buf *b, const char *role, const char *text, size_t n)
{
    if (b->len)
        sb_buf_puts(b, ", ");
    sb_buf_printf(b, "{\"role\": \"%s\", \"content\": ", role);
    pyfmt_json_string(b, text, n);
    sb_buf_putc(b, '}');
}

static const char *role_name(uint8_t r)
{
    return r == ROLE_USER ? "user" : r == ROLE_SYSTEM ? "system" : "assistant";
}

/* Appends the messages up to and including the conversation's next user
 * message to its history and builds the turn's body. Returns the turn's max
 * tokens. */
static int32_t build_turn(sess_set *s, sess_conv *c, size_t rec)
{
    while (c->msgs[c->next_msg].role != ROLE_USER) { /* system, or a reply the dataset
                                                        placed without a user turn */
        const sess_msg *g = &c->msgs[c->next_msg++];
        put_msg(&c->hist, role_name(g->role), g->text, g->bytes);
        c->hist_tokens += g->tokens;
        c->hist_msgs++;
    }
    const sess_msg *u = &c->msgs[c->next_msg++];
    put_msg(&c->hist, "user", u->text, u->bytes);
    c->hist_tokens += u->tokens;
    c->hist_msgs++;
    s->rec_msgs[rec] = c->hist_msgs;
    s->rec_in[rec] = c->hist_tokens;
    s->rec_user[rec] = u->tokens;
    /* upstream (send_turn): max_tokens = max(1, tokens of the dataset's
     * reply); its own reply replaces the dataset's in the history. */
    int32_t out = 128; /* a user message the dataset left unanswered */
    if (c->next_msg < c->n_msgs && c->msgs[c->next_msg].role == ROLE_ASSISTANT) {
        int32_t t = c->msgs[c->next_msg++].tokens;
        out = t > 1 ? t : 1;
    }
    if (s->o.fixed_output_len >= 0)
        out = (int32_t)s->o.fixed_output_len;
    sb_buf_reset(&s->list);
    sb_buf_putc(&s->list, '[');
    sb_buf_append(&s->list, c->hist.data, c->hist.len);
    sb_buf_putc(&s->list, ']');
    sb_buf_reset(&s->id);
    sb_buf_printf(&s->id, "%s%zu", s->o.id_prefix, rec);
    bk_req r = {.prompt = u->text,
                .prompt_bytes = u->bytes,
                .prompt_len = (int32_t)c->hist_tokens,
                .output_len = out,
                .request_id = s->id.data,
                .chat_messages = s->list.data,
                .chat_messages_bytes = s->list.len};
    sb_buf_reset(&c->body);
    bk_build_body(s->bp, &r, &s->scratch, &c->body);
    if (c->conv_id && c->body.len && c->body.data[c->body.len - 1] == '}') {
        c->body.len--; /* the body's last field: "conversation_id" */
        sb_buf_puts(&c->body, ", \"conversation_id\": ");
        pyfmt_json_string(&c->body, c->conv_id, strlen(c->conv_id));
        sb_buf_putc(&c->body, '}');
    }
    s->reqs[rec] = (loop_req){c->body.data, c->body.len, (long)rec, c->header};
    return out;
}

/* ---- the feed ---- */

static void arrive(sess_set *s, uint64_t t0, uint64_t now)
{
    const sched_plan *p = s->plan;
    if (s->o.rate_counts_turns) {
        for (; !s->arrived_all && s->next_arrival < s->n_convs; s->next_arrival++) {
            s->convs[s->next_arrival].state = C_WAITING;
            s->fifo[s->fifo_tail++] = (uint32_t)s->next_arrival;
        }
        s->arrived_all = true;
        return;
    }
    for (; s->next_arrival < s->n_convs && t0 + p->offset_ns[s->next_arrival] <= now;
         s->next_arrival++) {
        sess_conv *c = &s->convs[s->next_arrival];
        c->state = C_WAITING;
        c->arrive_ns = p->offset_ns[s->next_arrival];
        s->fifo[s->fifo_tail++] = (uint32_t)s->next_arrival;
    }
}

static size_t feed_take(void *ud, uint64_t now, uint64_t *wake)
{
    sess_set *s = ud;
    uint64_t t0 = s->rs->bench_start_ns;
    if (s->o.max_requests > 0 && s->turns_sent >= (size_t)s->o.max_requests) {
        *wake = 0; /* the cap: nothing more starts (feed_pending says so) */
        return SIZE_MAX;
    }
    arrive(s, t0, now);
    while (s->fifo_head < s->fifo_tail &&
           (s->o.max_active <= 0 || s->active < (size_t)s->o.max_active)) {
        uint32_t ci = s->fifo[s->fifo_head++];
        s->convs[ci].state = C_ACTIVE;
        s->active++;
        heap_push(s, t0 + s->convs[ci].arrive_ns, ci);
    }
    uint64_t w = 0;
    if (!s->o.rate_counts_turns && s->next_arrival < s->n_convs)
        w = t0 + s->plan->offset_ns[s->next_arrival];
    if (s->n_heap) {
        uint64_t at = s->heap[0].at_ns;
        if (s->o.rate_counts_turns && s->turns_sent < s->plan->n) {
            uint64_t slot = t0 + s->plan->offset_ns[s->turns_sent];
            at = slot > at ? slot : at;
        }
        if (at <= now) {
            sess_ready pick = heap_pop(s);
            if (s->o.pick_random && s->n_heap && s->heap[0].at_ns <= now) {
                /* upstream's --conversation-sampling random: any due one */
                size_t k = 0;
                s->due[k++] = pick;
                while (s->n_heap && s->heap[0].at_ns <= now)
                    s->due[k++] = heap_pop(s);
                size_t j = (size_t)np_rs_interval(&s->rng, k - 1);
                pick = s->due[j];
                for (size_t m = 0; m < k; m++)
                    if (m != j)
                        heap_push(s, s->due[m].at_ns, s->due[m].conv);
            }
            sess_conv *c = &s->convs[pick.conv];
            size_t rec = c->base + c->turn;
            int32_t out = build_turn(s, c, rec);
            sb_record *r = &s->rs->recs[rec];
            r->intended_ns = at - t0;
            r->queued_ns = (c->turn == 0 ? t0 + c->arrive_ns : at) - t0;
            r->prompt_len = (int32_t)c->hist_tokens;
            r->output_len = out;
            c->turn++;
            s->turns_sent++;
            s->sent[rec] = 1;
            return rec;
        }
        w = w && w < at ? w : at;
    }
    *wake = w;
    return SIZE_MAX;
}

/* A conversation ended: its place goes to a waiting one, and its history
 * and body (the transfer is over) are freed, so memory follows the active
 * conversations, not all of them. */
static void conv_over(sess_set *s, sess_conv *c)
{
    s->active--;
    s->over++;
    sb_buf_free(&c->hist);
    sb_buf_free(&c->body);
}

static void feed_done(void *ud, size_t i, const char *text, size_t len, uint64_t now)
{
    sess_set *s = ud;
    sess_conv *c = &s->convs[s->rec_conv[i]];
    const sb_record *r = &s->rs->recs[i];
    uint64_t t0 = s->rs->bench_start_ns;
    if (c->turn == 1)
        c->first_start_ns = r->start_ns;
    c->end_ns = now > t0 ? now - t0 : 0;
    if (!r->success) {
        /* The conversation ends here: its later turns would resend a history
         * with no reply in it (upstream drops the conversation too). */
        c->state = C_FAILED;
        c->fail = r->fail;
        conv_over(s, c);
        return;
    }
    c->turns_ok++;
    int32_t out = r->output_tokens > 0 ? r->output_tokens : count_tokens(s, text, len);
    put_msg(&c->hist, "assistant", text, len);
    c->hist_tokens += out;
    c->hist_msgs++;
    if (s->replies) {
        s->replies[i] = sb_xmalloc(len + 1);
        memcpy(s->replies[i], text, len);
        s->replies[i][len] = '\0';
        s->reply_len[i] = len;
    }
    /* the next user message is the next turn, if the dataset has one */
    bool more = c->turn < c->n_turns;
    if (!more) {
        c->state = C_DONE;
        conv_over(s, c);
        return;
    }
    double think = s->o.think_s;
    if (think > 0 && s->o.think_exponential)
        think *= np_rs_standard_exponential(&s->rng);
    heap_push(s, now + (uint64_t)(think * 1e9), (uint32_t)(c - s->convs));
}

static bool feed_pending(void *ud)
{
    const sess_set *s = ud;
    if (s->o.max_requests > 0 && s->turns_sent >= (size_t)s->o.max_requests)
        return false;
    return s->over < s->n_convs;
}

const loop_feed *sess_feed(sess_set *s, rec_store *rs, const sched_plan *plan)
{
    s->rs = rs;
    s->plan = plan;
    np_rs_seed(&s->rng, s->o.seed);
    size_t first = s->n_convs;
    if (s->o.max_active > 0 && (size_t)s->o.max_active < first)
        first = (size_t)s->o.max_active;
    s->feed = (loop_feed){.ud = s,
                          .first_wave = first,
                          .reqs = s->reqs,
                          .take = feed_take,
                          .done = feed_done,
                          .pending = feed_pending};
    return &s->feed;
}

void sess_finish(sess_set *s, rec_store *rs)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n_turns; i++)
        if (s->sent[i]) { /* the maps follow the records to their new places */
            s->rec_conv[k] = s->rec_conv[i];
            s->rec_msgs[k] = s->rec_msgs[i];
            s->rec_in[k] = s->rec_in[i];
            s->rec_user[k] = s->rec_user[i];
            s->rec_turn[k++] = s->rec_turn[i];
        }
    rec_store_keep(rs, s->sent);
}

void sess_record(const sess_set *s, size_t i, sess_rec_info *out)
{
    *out = (sess_rec_info){.ds_index = s->convs[s->rec_conv[i]].ds_index,
                           .turn = s->rec_turn[i],
                           .n_msgs = s->rec_msgs[i],
                           .input_tokens = s->rec_in[i],
                           .user_tokens = s->rec_user[i]};
}

size_t sess_conv_ds_index(const sess_set *s, size_t c)
{
    return s->convs[c].ds_index;
}

bool sess_conv_completed(const sess_set *s, size_t c)
{
    return s->convs[c].state == C_DONE;
}

const char *sess_reply(const sess_set *s, size_t c, uint32_t k, size_t *len)
{
    if (!s->replies || k >= s->convs[c].n_turns)
        return NULL;
    size_t i = s->convs[c].base + k;
    *len = s->reply_len[i];
    return s->replies[i];
}

/* ---- figures ---- */

typedef struct turn_fig {
    size_t sent, ok;
    double in_sum, out_sum;
    metrics_stat ttft, tpot, e2el;
} turn_fig;

static void stat_json(sb_buf *j, const char *key, const metrics_stat *st, const sb_metrics *m)
{
    char f[64];
    sb_buf_printf(j, "\"%s\": {\"mean\": %s", key, py_float_repr(f, sizeof f, st->mean_ms));
    sb_buf_printf(j, ", \"median\": %s", py_float_repr(f, sizeof f, st->median_ms));
    sb_buf_printf(j, ", \"std\": %s", py_float_repr(f, sizeof f, st->std_ms));
    for (size_t p = 0; p < m->n_pcts; p++) {
        char name[32];
        py_float_repr(name, sizeof name, m->pcts[p]);
        size_t nl = strlen(name);
        if (nl > 2 && !strcmp(name + nl - 2, ".0"))
            name[nl - 2] = '\0'; /* p99, as the reference names its keys */
        sb_buf_printf(j, ", \"p%s\": %s", name, py_float_repr(f, sizeof f, st->pct_ms[p]));
    }
    sb_buf_putc(j, '}');
}

static void num_json(sb_buf *j, const char *key, double v)
{
    char f[64];
    sb_buf_printf(j, ", \"%s\": %s", key, py_float_repr(f, sizeof f, isfinite(v) ? v : 0.0));
}

void sess_render(const sess_set *s, const rec_store *rs, const sb_metrics *m, sb_buf *json,
                 sb_buf *text)
{
    uint32_t max_turns = 0;
    for (size_t c = 0; c < s->n_convs; c++)
        if (s->convs[c].n_turns > max_turns)
            max_turns = s->convs[c].n_turns;
    turn_fig *tf = sb_xcalloc(max_turns ? max_turns : 1, sizeof *tf);
    /* One pass: counts per turn, then each turn's values in its own slice. */
    size_t *at = sb_xcalloc(2 * (size_t)max_turns + 2, sizeof *at), *at_tpot = at + max_turns + 1;
    for (size_t i = 0; i < rs->n; i++) {
        const sb_record *r = &rs->recs[i];
        turn_fig *t = &tf[s->rec_turn[i]];
        t->sent++;
        if (!r->success)
            continue;
        int32_t out = m->output_lens ? m->output_lens[i] : r->output_len;
        t->ok++;
        t->in_sum += r->prompt_len;
        t->out_sum += out;
        at[s->rec_turn[i] + 1]++;
        at_tpot[s->rec_turn[i] + 1] += out > 1;
    }
    for (uint32_t k = 0; k < max_turns; k++) {
        at[k + 1] += at[k];
        at_tpot[k + 1] += at_tpot[k];
    }
    size_t n_vals = rs->n ? rs->n : 1;
    double *v_ttft = sb_xmalloc(n_vals * sizeof *v_ttft);
    double *v_tpot = sb_xmalloc(n_vals * sizeof *v_tpot);
    double *v_e2el = sb_xmalloc(n_vals * sizeof *v_e2el);
    size_t *cur = sb_xmalloc(2 * ((size_t)max_turns + 1) * sizeof *cur),
           *cur_tpot = cur + max_turns + 1;
    memcpy(cur, at, ((size_t)max_turns + 1) * sizeof *cur);
    memcpy(cur_tpot, at_tpot, ((size_t)max_turns + 1) * sizeof *cur);
    for (size_t i = 0; i < rs->n; i++) {
        const sb_record *r = &rs->recs[i];
        if (!r->success)
            continue;
        uint32_t k = s->rec_turn[i];
        int32_t out = m->output_lens ? m->output_lens[i] : r->output_len;
        v_ttft[cur[k]] = (double)r->ttft_ns;
        v_e2el[cur[k]++] = (double)r->latency_ns;
        if (out > 1) /* the reference's TPOT rule (calculate_metrics) */
            v_tpot[cur_tpot[k]++] = (double)(r->latency_ns - r->ttft_ns) / (double)(out - 1);
    }
    size_t n_pct = m->n_pcts;
    double *pct_mem =
        sb_xcalloc((3 * (size_t)max_turns + 1) * (n_pct ? n_pct : 1), sizeof *pct_mem);
    for (uint32_t k = 0; k < max_turns; k++) {
        turn_fig *t = &tf[k];
        t->ttft.pct_ms = pct_mem + (3 * (size_t)k + 0) * n_pct;
        t->tpot.pct_ms = pct_mem + (3 * (size_t)k + 1) * n_pct;
        t->e2el.pct_ms = pct_mem + (3 * (size_t)k + 2) * n_pct;
        metrics_stat_of(v_ttft + at[k], at[k + 1] - at[k], m->pcts, n_pct, &t->ttft);
        metrics_stat_of(v_tpot + at_tpot[k], at_tpot[k + 1] - at_tpot[k], m->pcts, n_pct, &t->tpot);
        metrics_stat_of(v_e2el + at[k], at[k + 1] - at[k], m->pcts, n_pct, &t->e2el);
    }
    free(cur);
    free(at);
    /* per conversation */
    size_t done = 0, failed = 0, unfinished = 0, n_dur = 0;
    long fail_by[SB_FAIL_COUNT_] = {0};
    double turns_sum = 0, tok_sum = 0;
    double *dur = v_ttft; /* reused: at most one value per conversation <= records */
    double *conv_tokens = sb_xcalloc(s->n_convs ? s->n_convs : 1, sizeof *conv_tokens);
    for (size_t i = 0; i < rs->n; i++)
        if (rs->recs[i].success)
            conv_tokens[s->rec_conv[i]] +=
                rs->recs[i].prompt_len + (m->output_lens ? m->output_lens[i] : 0);
    for (size_t c = 0; c < s->n_convs; c++) {
        const sess_conv *cv = &s->convs[c];
        if (cv->state == C_DONE) {
            done++;
            if (n_dur < rs->n)
                dur[n_dur++] = (double)(cv->end_ns - cv->first_start_ns);
            turns_sum += cv->turns_ok;
            tok_sum += conv_tokens[c];
        } else if (cv->state == C_FAILED) {
            failed++;
            fail_by[cv->fail]++;
        } else {
            unfinished++;
        }
    }
    metrics_stat cd = {0};
    cd.pct_ms = pct_mem + 3 * (size_t)max_turns * n_pct;
    metrics_stat_of(dur, n_dur, m->pcts, n_pct, &cd);
    double mean_turns = done ? turns_sum / (double)done : 0.0;
    double mean_tokens = done ? tok_sum / (double)done : 0.0;

    /* JSON */
    if (json->len)
        sb_buf_puts(json, ", ");
    sb_buf_printf(json,
                  "\"multi_turn\": {\"rate_counts\": \"%s\", \"max_active_conversations\": %ld",
                  s->o.rate_counts_turns ? "turns" : "conversations", s->o.max_active);
    num_json(json, "think_time_s", s->o.think_s);
    sb_buf_printf(json, ", \"think_time_distribution\": \"%s\"",
                  s->o.think_exponential ? "exponential" : "constant");
    sb_buf_printf(json,
                  ", \"conversations\": %zu, \"completed\": %zu, \"failed\": %zu, \"unfinished\": "
                  "%zu, \"skipped\": %zu, \"failed_by_reason\": {",
                  s->n_convs, done, failed, unfinished, s->skipped);
    bool first = true;
    for (int r = 1; r < SB_FAIL_COUNT_; r++)
        if (fail_by[r]) {
            sb_buf_printf(json, "%s\"%s\": %ld", first ? "" : ", ", sb_fail_name((sb_fail)r),
                          fail_by[r]);
            first = false;
        }
    sb_buf_puts(json, "}, ");
    stat_json(json, "conversation_duration_ms", &cd, m);
    num_json(json, "mean_turns_per_conversation", mean_turns);
    num_json(json, "mean_tokens_per_conversation", mean_tokens);
    sb_buf_puts(json, ", \"per_turn\": [");
    for (uint32_t k = 0; k < max_turns; k++) {
        const turn_fig *t = &tf[k];
        sb_buf_printf(json, "%s{\"turn\": %u, \"requests\": %zu, \"completed\": %zu", k ? ", " : "",
                      k + 1, t->sent, t->ok);
        num_json(json, "mean_input_len", t->ok ? t->in_sum / (double)t->ok : 0.0);
        num_json(json, "mean_output_len", t->ok ? t->out_sum / (double)t->ok : 0.0);
        sb_buf_puts(json, ", ");
        stat_json(json, "ttft_ms", &t->ttft, m);
        sb_buf_puts(json, ", ");
        stat_json(json, "tpot_ms", &t->tpot, m);
        sb_buf_puts(json, ", ");
        stat_json(json, "e2el_ms", &t->e2el, m);
        sb_buf_putc(json, '}');
    }
    sb_buf_puts(json, "]}");

    /* block section */
    const char *title = " Multi-turn sessions ";
    int pad = 50 - (int)strlen(title);
    sb_buf_printf(text, "%.*s%s%.*s\n", pad / 2,
                  "==================================================", title, pad - pad / 2,
                  "==================================================");
    sb_buf_printf(text, "%-40s %s\n",
                  "Request rate counts:", s->o.rate_counts_turns ? "turns" : "conversations");
    if (s->o.max_active > 0)
        sb_buf_printf(text, "%-40s %ld\n", "Max active conversations:", s->o.max_active);
    sb_buf_printf(text, "%-40s %zu\n", "Conversations:", s->n_convs);
    sb_buf_printf(text, "%-40s %zu\n", "  completed:", done);
    sb_buf_printf(text, "%-40s %zu\n", "  ended by a failed turn:", failed);
    for (int r = 1; r < SB_FAIL_COUNT_; r++)
        if (fail_by[r]) {
            char label[64];
            snprintf(label, sizeof label, "    %s:", sb_fail_name((sb_fail)r));
            sb_buf_printf(text, "%-40s %ld\n", label, fail_by[r]);
        }
    if (unfinished)
        sb_buf_printf(text, "%-40s %zu\n", "  unfinished (interrupted, or a cap):", unfinished);
    if (s->skipped)
        sb_buf_printf(text, "%-40s %zu\n", "Skipped (bad in the dataset):", s->skipped);
    sb_buf_printf(text, "%-40s %-10.2f\n", "Mean turns per conversation:", mean_turns);
    sb_buf_printf(text, "%-40s %-10.2f\n", "Mean tokens per conversation:", mean_tokens);
    sb_buf_printf(text, "%-40s %-10.2f\n", "Mean conversation time (s):", cd.mean_ms / 1e3);
    sb_buf_printf(text, "%-40s %-10.2f\n", "Median conversation time (s):", cd.median_ms / 1e3);
    sb_buf_printf(text, "%5s %6s %6s %10s %10s %10s %10s %10s\n", "Turn", "Sent", "OK", "Mean in",
                  "TTFT ms", "P50 TTFT", "TPOT ms", "E2EL ms");
    for (uint32_t k = 0; k < max_turns; k++) {
        const turn_fig *t = &tf[k];
        sb_buf_printf(text, "%5u %6zu %6zu %10.1f %10.2f %10.2f %10.2f %10.2f\n", k + 1, t->sent,
                      t->ok, t->ok ? t->in_sum / (double)t->ok : 0.0, t->ttft.mean_ms,
                      t->ttft.median_ms, t->tpot.mean_ms, t->e2el.mean_ms);
    }
    free(conv_tokens);
    free(pct_mem);
    free(v_ttft);
    free(v_tpot);
    free(v_e2el);
    free(tf);
}
