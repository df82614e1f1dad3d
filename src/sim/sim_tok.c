/* SPDX-License-Identifier: Apache-2.0 */
/* sim_tok.c - exact prompt-token counts for usage.prompt_tokens (--tokenizer).
 *
 * The reference takes "Total input tokens" from the server's usage, so a
 * simulator that guesses changes the printed totals; with the model's own
 * tokenizer it reports what vLLM would (special tokens included, as the
 * server's prompt processing adds BOS). The tokenizer is immutable once loaded,
 * so the server thread may call it while the owner thread does other work. */
#include <stdbool.h>

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
}
