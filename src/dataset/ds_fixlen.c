/* ds_fixlen.c - the reference's decode/encode loop that makes a random id
 * sequence decode to text which re-encodes to exactly the target length
 * (gen_prompt_decode_to_target_len, reference section 4.1 step 7).
 *
 * Written as a resumable state machine: the loop only needs the RNG when the
 * re-encoded sequence is too short, so callers can run the expensive rounds
 * on worker threads and feed the extra ids from one shared RNG stream in
 * request order (what keeps prompts byte-identical to a sequential run). */
#include <string.h>

#include "dataset/ds_internal.h"

#define FIXLEN_MAX_RETRY 10

/* Piece cache per loop (one per worker thread): random prompts are windows
 * of consecutive vocabulary ids, so with ~100k of them every id is in
 * hundreds of prompts and nearly every piece is a hit after warm-up. */
#define DATASET_FIXLEN_CACHE ((size_t)64 << 20)
/* Chunk cache: the text of the whole allowed-id cycle is ~1 MB, so its
 * recurring chunks fit many times over. */
#define DATASET_FIXLEN_CHUNKS ((size_t)32 << 20)

void dataset_fixlen_init(dataset_fixlen *f)
{
    memset(f, 0, sizeof *f);
    tok_ids_init(&f->seq);
    tok_ids_init(&f->scratch);
    sb_buf_init(&f->text);
}

void dataset_fixlen_free(dataset_fixlen *f)
{
    tok_ids_free(&f->seq);
    tok_ids_free(&f->scratch);
    sb_buf_free(&f->text);
    tok_ctx_free(f->ctx);
    f->ctx = NULL;
}

void dataset_fixlen_start(dataset_fixlen *f, const int32_t *ids, size_t n, int32_t target)
{
    f->seq.n = 0;
    for (size_t i = 0; i < n; i++)
        tok_ids_push(&f->seq, ids[i]);
    f->retries = FIXLEN_MAX_RETRY;
    f->target = target;
    f->mismatch = 0;
}

long dataset_fixlen_run(dataset_fixlen *f, const tok *t, sb_err *err)
{
    for (;;) {
        sb_buf_reset(&f->text);
        if (tok_decode(t, f->seq.v, f->seq.n, false, &f->text, err) != 0)
            return -1;
        f->scratch.n = 0;
        if (f->ctx_tok != t) {
            tok_ctx_free(f->ctx);
            f->ctx = tok_ctx_new(t);
            tok_ctx_cache(f->ctx, DATASET_FIXLEN_CACHE);
            tok_ctx_chunks(f->ctx, DATASET_FIXLEN_CHUNKS);
            f->ctx_tok = t;
        }
        if (tok_encode_ctx(t, f->ctx, f->text.data ? f->text.data : "", f->text.len, false,
                           &f->scratch, err) != 0)
            return -1;
        tok_ids tmp = f->seq;
        f->seq = f->scratch;
        f->scratch = tmp;
        int32_t len = (int32_t)f->seq.n;
        if (f->retries <= 0) {
            f->mismatch = len - f->target;
            return 0;
        }
        if (len == f->target)
            return 0;
        if (len < f->target)
            return f->target - len; /* caller draws, feeds, and we go round again */
        f->seq.n = (size_t)f->target;
        f->retries--;
    }
}

void dataset_fixlen_feed(dataset_fixlen *f, const int64_t *ids, size_t k)
{
    for (size_t i = 0; i < k; i++)
        tok_ids_push(&f->seq, (int32_t)ids[i]);
    f->retries--;
}
