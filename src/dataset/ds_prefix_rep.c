/* SPDX-License-Identifier: Apache-2.0 */
/* ds_prefix_rep.c - the `prefix_repetition` dataset, vllm/benchmarks/datasets/datasets.py:
 * PrefixRepetitionRandomDataset.sample: num_prefixes shared prefixes, each followed by N /
 * num_prefixes random suffixes, for prefix-cache benchmarks.
 *
 * The reference re-seeds the global numpy RandomState and Python random
 * with --seed; token ids come from np.random.randint(0, V), each part is
 * length-fixed by the decode/encode loop (extra ids from the same legacy
 * RNG), and the request list is shuffled with random.shuffle. Requests
 * carry no request id. */
#include <stdlib.h>

#include "dataset/ds_internal.h"

/* _generate_exact_length_tokens: randint ids, then the fix-up loop. */
static int exact_tokens(const tok *t, np_rs *rs, long len, dataset_fixlen *f, tok_ids *out,
                        long long *mismatch, sb_err *err)
{
    int64_t V = (int64_t)tok_vocab_size(t);
    int64_t *draw = sb_xmalloc((size_t)(len > 0 ? len : 1) * sizeof *draw);
    np_rs_randint(rs, 0, V, (size_t)len, draw);
    f->seq.n = 0;
    for (long j = 0; j < len; j++)
        tok_ids_push(&f->seq, (int32_t)draw[j]);
    dataset_fixlen_start(f, f->seq.v, 0, (int32_t)len);
    f->seq.n = (size_t)len; /* start() copied nothing; the ids are already in place */
    long need;
    while ((need = dataset_fixlen_run(f, t, err)) > 0) {
        draw = sb_xrealloc(draw, (size_t)need * sizeof *draw);
        np_rs_randint(rs, 0, V, (size_t)need, draw);
        dataset_fixlen_feed(f, draw, (size_t)need);
    }
    free(draw);
    if (need < 0)
        return -1;
    *mismatch += f->mismatch;
    out->n = 0;
    for (size_t j = 0; j < f->seq.n; j++)
        tok_ids_push(out, f->seq.v[j]);
    return 0;
}

static int add_request(const tok *t, const tok_ids *pre, const tok_ids *suf, long out_len,
                       tok_ids *joined, sb_buf *text, sb_dataset *ds, sb_err *err)
{
    joined->n = 0;
    for (size_t j = 0; j < pre->n; j++)
        tok_ids_push(joined, pre->v[j]);
    for (size_t j = 0; j < suf->n; j++)
        tok_ids_push(joined, suf->v[j]);
    sb_buf_reset(text);
    if (tok_decode(t, joined->v, joined->n, false, text, err) != 0)
        return -1;
    sb_request *r = dataset_push(ds);
    dataset_set_prompt(ds, r, text->data ? text->data : "", text->len);
    r->prompt_len = (int32_t)joined->n;
    r->output_len = (int32_t)out_len;
    r->has_request_id = 0;
    return 0;
}

int dataset_prefix_rep(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    const sb_dataset_opts *o = c->o;
    if (!c->t)
        return sb_err_set(err, "prefix_repetition dataset needs a tokenizer");
    if (o->path)
        return sb_err_set(err, "--dataset-path cannot be used with prefix_repetition");
    if (o->prefix_repetition_num_prefixes <= 0 || o->prefix_repetition_prefix_len < 0 ||
        o->prefix_repetition_suffix_len < 0)
        return sb_err_set(err, "prefix_repetition: --prefix-repetition-num-prefixes must be > 0 "
                               "and the lengths >= 0");
    long per = o->num_prompts / o->prefix_repetition_num_prefixes;
    if (per == 0)
        return sb_err_set(err,
                          "prefix_repetition: --num-prompts (%ld) must be at least "
                          "--prefix-repetition-num-prefixes (%ld)",
                          o->num_prompts, o->prefix_repetition_num_prefixes);
    if (o->seed > UINT32_MAX)
        return sb_err_set(err, "prefix_repetition: --seed must be < 2**32 (numpy RandomState)");
    long out_len = o->output_len >= 0 ? o->output_len : o->prefix_repetition_output_len;
    np_rs rs;
    np_rs_seed(&rs, (uint32_t)o->seed);
    dataset_fixlen f;
    dataset_fixlen_init(&f);
    tok_ids pre, suf, joined;
    tok_ids_init(&pre);
    tok_ids_init(&suf);
    tok_ids_init(&joined);
    sb_buf text;
    sb_buf_init(&text);
    long long mismatch = 0;
    int rc = 0;
    for (long p = 0; p < o->prefix_repetition_num_prefixes && rc == 0; p++) {
        rc = exact_tokens(c->t, &rs, o->prefix_repetition_prefix_len, &f, &pre, &mismatch, err);
        for (long s = 0; s < per && rc == 0; s++) {
            rc = exact_tokens(c->t, &rs, o->prefix_repetition_suffix_len, &f, &suf, &mismatch, err);
            if (rc == 0)
                rc = add_request(c->t, &pre, &suf, out_len, &joined, &text, ds, err);
        }
    }
    if (rc == 0)
        dataset_mismatch_warning(ds, mismatch);
    if (rc == 0 && !o->disable_shuffle) {
        py_random_seed(c->py_global, o->seed);
        py_random_shuffle(c->py_global, ds->reqs, ds->n, sizeof *ds->reqs);
    }
    dataset_fixlen_free(&f);
    tok_ids_free(&pre);
    tok_ids_free(&suf);
    tok_ids_free(&joined);
    sb_buf_free(&text);
    return rc;
}
