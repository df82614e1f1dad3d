/* SPDX-License-Identifier: Apache-2.0 */
/* sim_tok.c - exact prompt-token counts for usage.prompt_tokens (--tokenizer),
 * and the prefix cache's keys of a prompt (the same ids, or words).
 *
 * The reference takes "Total input tokens" from the server's usage, so a
 * simulator that guesses changes the printed totals; with the model's own
 * tokenizer it reports what vLLM would (special tokens included, as the
 * server's prompt processing adds BOS). The tokenizer is immutable once loaded,
 * so the server thread may call it while the owner thread does other work. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "sim/sim_internal.h"
#include "tokenizer/tokenizer.h"

size_t sim_count_with_tok(void *ctx, const char *text, size_t len)
{
    tok_ids ids;
    tok_ids_init(&ids);
    sb_err err;
    size_t n = tok_encode(ctx, text, len, true, &ids, &err) == 0 ? ids.n : 0;
    tok_ids_free(&ids);
    return n;
}

const struct tok *sim_tok_of(const sim_server *s)
{
    return s->o.count_tokens == sim_count_with_tok ? s->o.count_ctx : NULL;
}

int32_t sim_word_id(const char *w, size_t n)
{
    int i = sim_emit_word_index(w, n);
    if (i >= 0)
        return i;
    return (int32_t)(64 + sim_hash(0, w, n) % ((uint64_t)INT32_MAX - 64));
}

size_t sim_next_word(const char *text, size_t len, size_t *at, const char **word)
{
    size_t i = *at;
    while (i < len && isspace((unsigned char)text[i]))
        i++;
    size_t from = i;
    while (i < len && !isspace((unsigned char)text[i]))
        i++;
    *at = i;
    *word = text + from;
    return i - from;
}

int sim_tok_attach(sim_server *s, sb_err *err)
{
    if (!s->o.tokenizer || s->o.count_tokens)
        return 0;
    s->tk = tok_load(s->o.tokenizer, err);
    if (!s->tk)
        return sb_err_prefix(err, "--tokenizer: ");
    s->o.count_tokens = sim_count_with_tok;
    s->o.count_ctx = s->tk;
    return 0;
}

void sim_tok_detach(sim_server *s)
{
    tok_free(s->tk);
    s->tk = NULL;
    free(s->pfx_ids);
    s->pfx_ids = NULL;
    s->pfx_ids_cap = 0;
}

void sim_key_begin(sim_conn *c, size_t max_tokens, const char *salt, size_t salt_len)
{
    sim_server *s = c->srv;
    if (!s->pfx)
        return;
    uint32_t bs = sim_prefix_block_size(s->pfx), cap = sim_prefix_capacity(s->pfx);
    /* Blocks past the capacity could never all be cached at once. */
    size_t want = max_tokens / bs;
    uint32_t n = want < cap ? (uint32_t)want : cap;
    if (n > c->pfx_cap) {
        free(c->pfx_hash);
        free(c->pfx_ent);
        c->pfx_hash = sb_xmalloc((size_t)n * sizeof *c->pfx_hash);
        c->pfx_ent = sb_xmalloc((size_t)n * sizeof *c->pfx_ent);
        c->pfx_cap = n;
    }
    c->req.pfx_root = sim_pfx_hasher_root(s->o.seed, salt, salt_len);
    sim_pfx_hasher_begin_at(&c->pfx_h, bs, c->req.pfx_root, c->pfx_hash, n);
    c->req.pfx_keyed = 1;
}

void sim_key_end(sim_conn *c)
{
    if (c->req.pfx_keyed)
        c->req.pfx_blocks = c->pfx_h.n;
}

/* The tokenizer's ids of text, keyed; their number (0 when it fails, as
 * sim_count_with_tok). */
static size_t key_tok_ids(sim_conn *c, const char *text, size_t len)
{
    sim_server *s = c->srv;
    tok_ids ids = {s->pfx_ids, 0, s->pfx_ids_cap};
    sb_err err;
    int rc = tok_encode(s->o.count_ctx, text, len, true, &ids, &err);
    s->pfx_ids = ids.v;
    s->pfx_ids_cap = ids.cap;
    if (rc != 0)
        return 0;
    for (size_t i = 0; i < ids.n; i++)
        sim_pfx_hasher_push(&c->pfx_h, (uint64_t)(uint32_t)ids.v[i]);
    return ids.n;
}

/* One id per whitespace-separated word, as sim_count_words counts them, for
 * the first limit words. */
static size_t key_words_upto(sim_conn *c, const char *text, size_t len, size_t limit)
{
    size_t n = 0, at = 0, wl;
    const char *w;
    while (n < limit && (wl = sim_next_word(text, len, &at, &w)) > 0) {
        sim_pfx_hasher_push(&c->pfx_h, sim_hash(0, w, wl));
        n++;
    }
    return n;
}

static size_t key_words(sim_conn *c, const char *text, size_t len)
{
    return key_words_upto(c, text, len, SIZE_MAX);
}

size_t sim_prompt_tokens(sim_conn *c, const char *text, size_t len, const char *salt,
                         size_t salt_len)
{
    sim_server *s = c->srv;
    if (!s->pfx)
        return s->o.count_tokens ? s->o.count_tokens(s->o.count_ctx, text, len)
                                 : sim_count_words(NULL, text, len);
    /* A byte gives at most one id of a byte-level or byte-fallback
     * tokenizer; the special tokens around the text get a margin. */
    sim_key_begin(c, len + 64, salt, salt_len);
    size_t n;
    if (s->o.count_tokens == sim_count_with_tok) {
        n = key_tok_ids(c, text, len);
        /* kept for sim_key_output (reused memory: one growth per connection) */
        sb_buf_reset(&c->pfx_text);
        sb_buf_append(&c->pfx_text, text, len);
        c->req.pfx_retok = 1;
    } else {
        n = key_words(c, text, len);
        if (s->o.count_tokens) /* a caller's own counter: the keys stay words */
            n = s->o.count_tokens(s->o.count_ctx, text, len);
        else if (n == 0)
            n = 1;
    }
    sim_key_end(c);
    return n;
}

/* Room for want block hashes and entries, keeping those already there (the
 * entries a running request holds). */
static void grow_keys(sim_conn *c, uint32_t want)
{
    if (want <= c->pfx_cap)
        return;
    c->pfx_hash = sb_xrealloc(c->pfx_hash, (size_t)want * sizeof *c->pfx_hash);
    c->pfx_ent = sb_xrealloc(c->pfx_ent, (size_t)want * sizeof *c->pfx_ent);
    c->pfx_cap = want;
    c->pfx_h.out = c->pfx_hash;
}

/* Extends the prompt's hash chain by n more ids (the hasher's block array
 * grown to hold them, up to the cache's capacity). */
static void grow_chain(sim_conn *c, size_t n)
{
    sim_server *s = c->srv;
    uint32_t bs = sim_prefix_block_size(s->pfx), cap = sim_prefix_capacity(s->pfx);
    uint64_t want = (uint64_t)c->pfx_h.n + (c->pfx_h.fill + n) / bs;
    uint32_t w = want < cap ? (uint32_t)want : cap;
    grow_keys(c, w);
    c->pfx_h.max = w;
}

/* The chain of the text the client resends (prompt, the chat separator,
 * the reply) tokenized whole, as the prompt was: blocks equal to the
 * prompt's are held already; from the first that differs (a seam the
 * newline changed) the new ones are found or inserted and held too. */
static void rekey_whole(sim_conn *c, const sb_buf *text)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    tok_ids ids = {s->pfx_ids, 0, s->pfx_ids_cap};
    sb_err err;
    int rc = tok_encode(s->o.count_ctx, text->data, text->len, true, &ids, &err);
    s->pfx_ids = ids.v;
    s->pfx_ids_cap = ids.cap;
    if (rc != 0 || ids.n < 2)
        return;
    uint32_t bs = sim_prefix_block_size(s->pfx), cap = sim_prefix_capacity(s->pfx);
    size_t nb = (ids.n - 1) / bs; /* the last token's KV is never computed */
    uint32_t max = nb < cap ? (uint32_t)nb : cap, old = r->pfx_blocks;
    if (max <= old)
        return;
    grow_keys(c, r->pfx_held + max);
    sim_pfx_hasher_begin_at(&c->pfx_h, bs, r->pfx_root, c->pfx_hash, max);
    uint32_t same = 0; /* leading blocks equal to the prompt's */
    uint64_t was = old ? c->pfx_hash[0] : 0;
    for (size_t i = 0; i < ids.n - 1 && c->pfx_h.n < max; i++) {
        uint32_t n0 = c->pfx_h.n;
        sim_pfx_hasher_push(&c->pfx_h, (uint64_t)(uint32_t)ids.v[i]);
        if (c->pfx_h.n > n0) {
            if (n0 == same && n0 < old && c->pfx_hash[n0] == was)
                same++;
            was = c->pfx_h.n < old ? c->pfx_hash[c->pfx_h.n] : 0;
        }
    }
    uint32_t more = 0;
    if (c->pfx_h.n > same)
        sim_prefix_acquire(s->pfx, c->pfx_hash + same, c->pfx_h.n - same, 0,
                           c->pfx_ent + r->pfx_held, &more);
    r->pfx_held += more;
    r->pfx_blocks = c->pfx_h.n;
}

void sim_key_output(sim_conn *c)
{
    sim_server *s = c->srv;
    sim_req *r = &c->req;
    /* A chain cut short (a prompt past the capacity, or blocks that could not
     * all be held) has no valid continuation. */
    if (!s->pfx || !r->pfx_keyed || r->emitted < 1 || r->pfx_held < r->pfx_blocks ||
        c->pfx_h.n != r->pfx_blocks ||
        (c->pfx_h.n == c->pfx_h.max && c->pfx_h.max == sim_prefix_capacity(s->pfx)))
        return;
    /* The reply as the client resends it: a chat history joins messages with
     * a newline, which stands in the simulator's chat prompt for the
     * template's turn header (part of a real prompt, so computed and cached). */
    sb_buf *b = &s->scratch2;
    sb_buf_reset(b);
    if (r->pfx_retok)
        sb_buf_append(b, c->pfx_text.data, c->pfx_text.len);
    if (r->api == SIM_API_CHAT)
        sb_buf_putc(b, '\n');
    for (uint32_t i = 0; i < r->emitted; i++)
        sim_emit_token_text(r, i, b);
    if (r->pfx_retok) {
        rekey_whole(c, b);
        return;
    }
    size_t n = 0; /* ids after the prompt's, the last one left out */
    if (s->o.count_tokens == sim_count_with_tok) { /* a prompt given as ids */
        tok_ids ids = {s->pfx_ids, 0, s->pfx_ids_cap};
        sb_err err;
        int rc = tok_encode(s->o.count_ctx, b->data, b->len, false, &ids, &err);
        s->pfx_ids = ids.v;
        s->pfx_ids_cap = ids.cap;
        if (rc != 0 || ids.n < 2)
            return;
        n = ids.n - 1;
        grow_chain(c, n);
        for (size_t i = 0; i < n; i++)
            sim_pfx_hasher_push(&c->pfx_h, (uint64_t)(uint32_t)ids.v[i]);
    } else { /* words: those of the prompt and the reply, whatever joins them */
        n = sim_count_words(NULL, b->data, b->len) - 1;
        grow_chain(c, n);
        key_words_upto(c, b->data, b->len, n);
    }
    uint32_t old = r->pfx_blocks, more = 0;
    if (c->pfx_h.n > old)
        sim_prefix_acquire(s->pfx, c->pfx_hash + old, c->pfx_h.n - old, 0, c->pfx_ent + r->pfx_held,
                           &more);
    r->pfx_held += more;
    r->pfx_blocks = c->pfx_h.n;
}
