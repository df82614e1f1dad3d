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
    sim_pfx_hasher_begin(&c->pfx_h, bs, s->o.seed, salt, salt_len, c->pfx_hash, n);
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

/* One id per whitespace-separated word, as sim_count_words counts them. */
static size_t key_words(sim_conn *c, const char *text, size_t len)
{
    size_t n = 0, i = 0;
    while (i < len) {
        while (i < len && isspace((unsigned char)text[i]))
            i++;
        size_t from = i;
        while (i < len && !isspace((unsigned char)text[i]))
            i++;
        if (i > from) {
            sim_pfx_hasher_push(&c->pfx_h, sim_hash(0, text + from, i - from));
            n++;
        }
    }
    return n;
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
