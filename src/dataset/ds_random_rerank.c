/* SPDX-License-Identifier: Apache-2.0 */
/* ds_random_rerank.c - the `random-rerank` dataset (vllm/benchmarks/datasets/datasets.py:
 * RandomDatasetForReranking.sample, vLLM's RandomDatasetForReranking): one random query and N
 * random documents, sent as [query, doc, doc, ...] lists of --random-batch-size documents each (the
 * vllm-rerank backend makes query + documents of them).
 *
 * The reference's steps, in its RNG order (one numpy default_rng(seed)):
 *  1. query length parameter: L // 2 - 1 for a reranker (one separator token
 *     per query/document pair), L with --no-reranker; its sampling interval
 *     comes from the random dataset's rule (special tokens subtracted, range
 *     ratio) and draws lengths, output lengths and offsets for 1 request;
 *  2. documents: with --no-reranker one request and one batch slot go to the
 *     query (N - 1 documents, B - 1 per request) and the parameter is L;
 *     otherwise the parameter is L - query_len - 1; the same three draws;
 *  3. the query is built like random request 0 (window index 0), documents
 *     like random requests 1..N (index i + 1), with the decode/encode loop's
 *     extra draws in that order;
 *  4. prompt_len of a request = (query_len + 1) * documents + sum of their
 *     lengths for a reranker, query_len + sum otherwise; output length 0.
 * No oversampling and no output-length flag, as in the reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset/ds_internal.h"

typedef struct rr_draws {
    size_t n;
    int64_t *in, *out, *off;
} rr_draws;

static void rr_draws_free(rr_draws *d)
{
    free(d->in);
    free(d->out);
    free(d->off);
}

/* The reference's get_sampling_params(n, range_ratio, len_param, 0): the
 * interval rule of RandomDataset.sample (step 2) (output length 0 gives [1, 1]), logged
 * as INFO, then input lengths, output lengths and offsets drawn in that order. */
static void rr_sample(const dataset_ctx *c, np_gen *g, long len_param, size_t n, sb_dataset *ds,
                      rr_draws *d)
{
    long S = (long)tok_num_special_to_add(c->t);
    long Lr = len_param - S > 0 ? len_param - S : 0;
    double ri = c->o->random_range_ratio_in;
    long lo = (long)floor((double)Lr * (1.0 - ri)), hi = (long)ceil((double)Lr * (1.0 + ri));
    dataset_info(ds, "Sampling input_len from [%ld, %ld] and output_len from [1, 1]", lo, hi);
    d->n = n;
    d->in = sb_xmalloc((n ? n : 1) * sizeof *d->in);
    d->out = sb_xmalloc((n ? n : 1) * sizeof *d->out);
    d->off = sb_xmalloc((n ? n : 1) * sizeof *d->off);
    np_gen_integers(g, lo, hi + 1, n, d->in);
    np_gen_integers(g, 1, 2, n, d->out);
    np_gen_integers(g, 0, (int64_t)tok_vocab_size(c->t), n, d->off);
}

static int rr_check(const dataset_ctx *c, long *L, sb_err *err)
{
    const sb_dataset_opts *o = c->o;
    if (!c->t)
        return sb_err_set(err, "random-rerank dataset needs a tokenizer");
    if (o->path)
        return sb_err_set(err, "--dataset-path cannot be used with --dataset-name random-rerank");
    double ri = o->random_range_ratio_in, ro = o->random_range_ratio_out;
    if (!(ri >= 0.0 && ri < 1.0) || !(ro >= 0.0 && ro < 1.0))
        return sb_err_set(err, "--random-range-ratio must be in [0, 1), got input %g output %g", ri,
                          ro);
    *L = o->input_len >= 0 ? o->input_len : o->random_input_len;
    if (*L < 0)
        return sb_err_set(err, "random-rerank: --random-input-len must be >= 0, got %ld", *L);
    if (o->num_prompts < 1)
        return sb_err_set(err, "random-rerank: --num-prompts must be >= 1, got %ld",
                          o->num_prompts);
    if (o->random_batch_size < 1)
        return sb_err_set(err, "--random-batch-size must be >= 1, got %ld", o->random_batch_size);
    /* The reference asserts this (an AssertionError traceback): the query
     * takes one prompt and one batch slot. */
    if (o->no_reranker && (o->num_prompts < 2 || o->random_batch_size < 2))
        return sb_err_set(err,
                          "random-rerank with --no-reranker needs --num-prompts >= 2 and "
                          "--random-batch-size >= 2 (the query takes one of each), got %ld "
                          "and %ld",
                          o->num_prompts, o->random_batch_size);
    return 0;
}

/* Builds the query (window index 0) into its own set and copies its text into
 * ds's arena. */
static int rr_query(const dataset_ctx *c, np_gen *g, const rr_draws *q, sb_dataset *ds,
                    dataset_group_head *head, int32_t *qlen, long long *mismatch, sb_err *err)
{
    sb_dataset qs;
    memset(&qs, 0, sizeof qs);
    sb_arena_init(&qs.arena, 0);
    dataset_random_in in = {
        .input_lens = q->in, .output_lens = q->out, .offsets = q->off, .n = 1, .index_base = 0};
    int rc = dataset_random_build(c->t, g, &in, &qs, mismatch, err);
    if (rc == 0) {
        const sb_request *r = &qs.reqs[0];
        head->text = sb_arena_strndup(&ds->arena, r->prompt, r->prompt_bytes);
        head->bytes = r->prompt_bytes;
        *qlen = r->prompt_len;
    }
    dataset_free(&qs);
    return rc;
}

int dataset_random_rerank(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    long L = 0;
    if (rr_check(c, &L, err) != 0)
        return -1;
    bool reranker = !c->o->no_reranker;
    long n_sep = reranker ? 1 : 0;
    long n_docs = c->o->num_prompts, batch = c->o->random_batch_size;
    np_gen g;
    np_gen_seed(&g, c->o->seed);
    rr_draws q = {0}, d = {0};
    /* Python's L // 2 floors; L >= 0 here, so C's division agrees. */
    rr_sample(c, &g, reranker ? L / 2 - n_sep : L, 1, ds, &q);
    long doc_param = L;
    if (!reranker) {
        n_docs--;
        batch--;
    } else {
        doc_param = L - (long)q.in[0] - n_sep;
    }
    rr_sample(c, &g, doc_param, (size_t)n_docs, ds, &d);
    dataset_group_head head = {0};
    int32_t qlen = 0;
    long long mq = 0, md = 0;
    int rc = rr_query(c, &g, &q, ds, &head, &qlen, &mq, err);
    if (rc == 0) {
        dataset_random_in in = {
            .input_lens = d.in, .output_lens = d.out, .offsets = d.off, .n = d.n, .index_base = 1};
        rc = dataset_random_build(c->t, &g, &in, ds, &md, err);
    }
    if (rc == 0) {
        if (reranker)
            head.len_per_item = qlen + n_sep;
        else
            head.len_once = qlen;
        rc = dataset_group(ds, batch, &head, err);
    }
    if (rc == 0)
        dataset_mismatch_warning(ds, mq + md);
    rr_draws_free(&q);
    rr_draws_free(&d);
    return rc;
}
