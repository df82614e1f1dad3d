/* SPDX-License-Identifier: Apache-2.0 */
/* ds_random.c - the `random` dataset, vllm/benchmarks/datasets/datasets.py: RandomDataset.sample
 * (current algorithm: special-token count subtracted, special ids excluded, numpy default_rng(seed)
 * drawing input lengths, output lengths and offsets in that order, an optional shared prefix, and
 * the iterative decode/encode loop).
 *
 * Speed: 100k prompts of 1,024 tokens are ~100M tokens of decode + encode.
 * Pass 1 runs every request's loop on all cores until the loop either ends
 * or needs extra ids from the RNG; pass 2 finishes the requests that need
 * draws, one after another in request order, drawing from the single np_gen
 * stream exactly as the reference's sequential loop does. Pass 2 runs on its
 * own thread right behind pass 1 (it waits for each request's pass 1), so
 * the two overlap. The result is byte-identical whatever the thread count.
 * Without a random prefix, each request's first round comes from a
 * tok_window over the allowed-id cycle (tokenizer.h). */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataset/ds_internal.h"

typedef struct pending {
    dataset_fixlen_saved st; /* st.ids NULL when the request finished in pass 1 */
    long need;
} pending;

typedef struct rand_work {
    const tok *t;
    const int32_t *allowed;
    size_t n_allowed;
    const int32_t *prefix;
    size_t n_prefix, prefix_target;
    const int64_t *input_lens, *offsets;
    size_t n, index_base;
    sb_dataset *ds;
    pending *pend;
    atomic_uchar *done; /* pass 1 finished request i (pend[i] / reqs[i] written) */
    int32_t *mismatch;
    atomic_size_t next;
    atomic_int failed;
    sb_err err; /* first worker error */
    pthread_mutex_t err_lock;
    /* With no prefix every request is a range of the allowed cycle: cycle =
     * allowed twice over as far as the longest window reaches, and win the
     * tokenizer's precomputed encoder of its ranges (NULL: plain rounds). */
    int32_t *cycle;
    tok_window *win;
    size_t total_ids; /* of all prompts: sizes the workers' caches */
} rand_work;

typedef struct rand_worker {
    rand_work *w;
    sb_arena *arena;
} rand_worker;

static void build_seq(const rand_work *w, size_t i, tok_ids *seq)
{
    seq->n = 0;
    for (size_t j = 0; j < w->n_prefix; j++)
        tok_ids_push(seq, w->prefix[j]);
    /* inner = allowed[(offset + i + j) mod len(allowed)] */
    uint64_t start = (uint64_t)w->offsets[i] + w->index_base + i;
    for (int64_t j = 0; j < w->input_lens[i]; j++)
        tok_ids_push(seq, w->allowed[(start + (uint64_t)j) % w->n_allowed]);
}

static void finish_req(sb_request *r, sb_arena *a, const dataset_fixlen *f)
{
    r->prompt = sb_arena_strndup(a, f->text.data ? f->text.data : "", f->text.len);
    r->prompt_bytes = f->text.len;
    r->prompt_len = (int32_t)f->seq.n;
}

static int pass1_one(rand_work *w, size_t i, dataset_fixlen *f, tok_ids *seq, sb_arena *a,
                     sb_err *err)
{
    int32_t target = (int32_t)(w->prefix_target + (size_t)w->input_lens[i]);
    if (w->win) {
        size_t a = (size_t)(((uint64_t)w->offsets[i] + w->index_base + i) % w->n_allowed);
        dataset_fixlen_start_window(f, w->win, w->cycle, a, a + (size_t)w->input_lens[i], target);
    } else {
        build_seq(w, i, seq);
        dataset_fixlen_start(f, seq->v, seq->n, target);
    }
    long need = dataset_fixlen_run(f, w->t, err);
    if (need < 0)
        return -1;
    if (need == 0) {
        finish_req(&w->ds->reqs[i], a, f);
        w->mismatch[i] = f->mismatch;
        return 0;
    }
    pending *p = &w->pend[i];
    dataset_fixlen_save(f, &p->st);
    p->need = need;
    return 0;
}

/* Records the first error of any thread and stops the others. */
static void fail(rand_work *w, const sb_err *err)
{
    pthread_mutex_lock(&w->err_lock);
    if (!atomic_exchange(&w->failed, 1))
        w->err = *err;
    pthread_mutex_unlock(&w->err_lock);
}

static void *pass1_thread(void *arg)
{
    rand_worker *me = arg;
    rand_work *w = me->w;
    dataset_fixlen f;
    dataset_fixlen_init(&f);
    dataset_fixlen_budget(&f, w->total_ids);
    tok_ids seq;
    tok_ids_init(&seq);
    sb_err err;
    for (;;) {
        size_t i0 = atomic_fetch_add(&w->next, 16);
        if (i0 >= w->n || atomic_load(&w->failed))
            break;
        size_t i1 = i0 + 16 < w->n ? i0 + 16 : w->n;
        for (size_t i = i0; i < i1; i++) {
            if (pass1_one(w, i, &f, &seq, me->arena, &err) != 0) {
                fail(w, &err);
                break;
            }
            atomic_store_explicit(&w->done[i], 1, memory_order_release);
        }
    }
    tok_ids_free(&seq);
    dataset_fixlen_free(&f);
    return NULL;
}

/* Feeds draws from g into f until the loop ends (first need already known). */
static int finish_with_draws(dataset_fixlen *f, const tok *t, np_gen *g, long need, int64_t V,
                             int64_t **draw, size_t *draw_cap, sb_err *err)
{
    while (need > 0) {
        if ((size_t)need > *draw_cap) {
            *draw_cap = (size_t)need * 2;
            *draw = sb_xrealloc(*draw, *draw_cap * sizeof **draw);
        }
        np_gen_integers(g, 0, V, (size_t)need, *draw);
        dataset_fixlen_feed(f, *draw, (size_t)need);
        need = dataset_fixlen_run(f, t, err);
        if (need < 0)
            return -1;
    }
    return 0;
}

/* Waits until pass 1 has finished request i; false when a thread failed. */
static bool wait_done(rand_work *w, size_t i)
{
    while (!atomic_load_explicit(&w->done[i], memory_order_acquire)) {
        if (atomic_load(&w->failed))
            return false;
        struct timespec ts = {0, 50000};
        nanosleep(&ts, NULL);
    }
    return true;
}

typedef struct pass2_arg {
    rand_work *w;
    np_gen *g;
} pass2_arg;

static void *pass2_thread(void *arg)
{
    rand_work *w = ((pass2_arg *)arg)->w;
    np_gen *g = ((pass2_arg *)arg)->g;
    dataset_fixlen f;
    dataset_fixlen_init(&f);
    dataset_fixlen_budget(&f, w->total_ids);
    int64_t *draw = NULL;
    size_t draw_cap = 0;
    int64_t V = (int64_t)tok_vocab_size(w->t);
    sb_err err;
    for (size_t i = 0; i < w->n && wait_done(w, i); i++) {
        pending *p = &w->pend[i];
        if (!p->st.ids)
            continue;
        dataset_fixlen_restore(&f, &p->st);
        if (finish_with_draws(&f, w->t, g, p->need, V, &draw, &draw_cap, &err) != 0) {
            fail(w, &err);
            break;
        }
        finish_req(&w->ds->reqs[i], &w->ds->arena, &f);
        w->mismatch[i] = f.mismatch;
    }
    free(draw);
    dataset_fixlen_free(&f);
    return NULL;
}

/* The cycle and its window encoder (random prompts without a prefix). */
static void build_window(rand_work *w)
{
    if (w->n_prefix > 0 || w->n == 0 || w->n_allowed == 0)
        return;
    int64_t longest = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < w->n; i++) {
        if (w->input_lens[i] > longest)
            longest = w->input_lens[i];
        total += (uint64_t)w->input_lens[i];
    }
    /* The window encodes the whole cycle (every allowed id, ~50k-150k
     * tokens) up front; prompts asking for fewer tokens than that in all
     * are cheaper encoded one by one (the same ids: test_tok_fast), e.g.
     * 10 prompts of 128 tokens: a third of start-up's CPU (bench/engine.md
     * (e)). */
    if (total < (uint64_t)w->n_allowed)
        return;
    size_t len = w->n_allowed + (size_t)longest;
    w->cycle = sb_xmalloc((len ? len : 1) * sizeof *w->cycle);
    for (size_t k = 0; k < len; k++)
        w->cycle[k] = w->allowed[k % w->n_allowed];
    tok_ctx *ctx = tok_ctx_new(w->t);
    sb_err err;
    w->win = tok_window_new(w->t, ctx, w->cycle, len, &err);
    tok_ctx_free(ctx);
}

static int run_threads(rand_work *w, np_gen *g, sb_dataset *ds)
{
    size_t nt = dataset_threads(w->n / 16 + 1); /* jobs are blocks of 16 requests */
    ds->extra_arenas = sb_xcalloc(nt, sizeof *ds->extra_arenas);
    ds->n_extra_arenas = nt;
    rand_worker *ws = sb_xcalloc(nt, sizeof *ws);
    pthread_t *th = sb_xcalloc(nt, sizeof *th);
    for (size_t k = 0; k < nt; k++) {
        sb_arena_init(&ds->extra_arenas[k], 4u << 20);
        ws[k].w = w;
        ws[k].arena = &ds->extra_arenas[k];
    }
    pass2_arg p2 = {w, g};
    pthread_t p2th;
    bool p2_started = pthread_create(&p2th, NULL, pass2_thread, &p2) == 0;
    size_t started = 0;
    for (size_t k = 1; k < nt; k++)
        if (pthread_create(&th[k], NULL, pass1_thread, &ws[k]) == 0)
            started = k;
        else
            break;
    pass1_thread(&ws[0]);
    for (size_t k = 1; k <= started; k++)
        pthread_join(th[k], NULL);
    if (p2_started)
        pthread_join(p2th, NULL);
    else
        pass2_thread(&p2); /* no thread: the same work after pass 1 */
    free(th);
    free(ws);
    return atomic_load(&w->failed) ? -1 : 0;
}

/* allowed = 0..V-1 without all_special_ids, ascending (vllm/benchmarks/datasets/datasets.py:
 * RandomDataset.sample). */
static int32_t *allowed_ids(const tok *t, size_t *n_out)
{
    size_t V = tok_vocab_size(t);
    const int32_t *sp;
    size_t nsp = tok_special_ids(t, &sp);
    int32_t *a = sb_xmalloc((V ? V : 1) * sizeof *a);
    size_t n = 0, k = 0;
    for (size_t id = 0; id < V; id++) {
        while (k < nsp && (size_t)sp[k] < id)
            k++;
        if (k < nsp && (size_t)sp[k] == id)
            continue;
        a[n++] = (int32_t)id;
    }
    *n_out = n;
    return a;
}

int dataset_random_prefix(const tok *t, np_gen *g, const int32_t *allowed, size_t n_allowed, long P,
                          tok_ids *prefix, sb_dataset *ds, sb_err *err)
{
    if (P <= 0 || n_allowed == 0)
        return 0;
    int64_t *idx = sb_xmalloc((size_t)P * sizeof *idx);
    np_gen_integers(g, 0, (int64_t)n_allowed, (size_t)P, idx);
    int32_t *ids = sb_xmalloc((size_t)P * sizeof *ids);
    for (long j = 0; j < P; j++)
        ids[j] = allowed[idx[j]];
    free(idx);
    dataset_fixlen f;
    dataset_fixlen_init(&f);
    dataset_fixlen_start(&f, ids, (size_t)P, (int32_t)P);
    free(ids);
    int64_t *draw = NULL;
    size_t draw_cap = 0;
    long need = dataset_fixlen_run(&f, t, err);
    int rc = need < 0 ? -1
                      : finish_with_draws(&f, t, g, need, (int64_t)tok_vocab_size(t), &draw,
                                          &draw_cap, err);
    free(draw);
    if (rc == 0) {
        tok_ids_append(prefix, f.seq.v, f.seq.n);
        if (f.mismatch != 0) /* the reference's wording */
            dataset_warn(ds,
                         "Prefix tokenization produced %d %s tokens than expected after "
                         "decoding and re-encoding. This is expected due to the imperfect "
                         "nature of the sampling procedure",
                         f.mismatch > 0 ? f.mismatch : -f.mismatch,
                         f.mismatch > 0 ? "more" : "fewer");
    }
    dataset_fixlen_free(&f);
    return rc;
}

typedef struct rand_params {
    long n, in_lo, in_hi, out_lo, out_hi, prefix_len;
} rand_params;

static int check_params(const sb_dataset_opts *o, const tok *t, rand_params *p, sb_err *err)
{
    double ri = o->random_range_ratio_in, ro = o->random_range_ratio_out;
    if (!(ri >= 0.0 && ri < 1.0) || !(ro >= 0.0 && ro < 1.0))
        return sb_err_set(err, "--random-range-ratio must be in [0, 1), got input %g output %g", ri,
                          ro);
    long L = o->input_len >= 0 ? o->input_len : o->random_input_len;
    long O = o->output_len >= 0 ? o->output_len : o->random_output_len;
    if (L < 0 || O < 0 || o->random_prefix_len < 0)
        return sb_err_set(err,
                          "random dataset: lengths must be >= 0 (input %ld, output %ld, "
                          "prefix %ld)",
                          L, O, o->random_prefix_len);
    if (o->random_batch_size < 1)
        return sb_err_set(err, "--random-batch-size must be >= 1, got %ld", o->random_batch_size);
    long S = (long)tok_num_special_to_add(t);
    long Lr = L - S > 0 ? L - S : 0;
    p->n = o->num_prompts;
    p->prefix_len = o->random_prefix_len;
    p->in_lo = (long)floor((double)Lr * (1.0 - ri));
    p->in_hi = (long)ceil((double)Lr * (1.0 + ri));
    p->out_lo = (long)floor((double)O * (1.0 - ro));
    p->out_hi = (long)ceil((double)O * (1.0 + ro));
    if (p->out_lo < 1)
        p->out_lo = 1;
    if (p->out_hi < 1)
        p->out_hi = 1;
    if (p->prefix_len + p->in_lo < 1)
        return sb_err_set(err,
                          "random dataset: --random-input-len %ld minus %ld special "
                          "token(s) leaves no input token; raise --random-input-len or "
                          "--random-prefix-len",
                          L, S);
    if (p->n < 0)
        return sb_err_set(err, "--num-prompts must be >= 0, got %ld", p->n);
    return 0;
}

int dataset_random_build(const tok *t, np_gen *g, const dataset_random_in *in, sb_dataset *ds,
                         long long *mismatch_total, sb_err *err)
{
    rand_work *w = sb_xcalloc(1, sizeof *w);
    w->t = t;
    int32_t *own_allowed = NULL;
    if (in->allowed) {
        w->allowed = in->allowed;
        w->n_allowed = in->n_allowed;
    } else {
        w->allowed = own_allowed = allowed_ids(t, &w->n_allowed);
    }
    w->index_base = in->index_base;
    int rc = 0;
    if (w->n_allowed == 0)
        rc = sb_err_set(err, "random prompts: the tokenizer has no non-special token");
    pthread_mutex_init(&w->err_lock, NULL);
    size_t n = in->n;
    w->pend = sb_xcalloc(n + 1, sizeof *w->pend);
    w->done = sb_xcalloc(n + 1, sizeof *w->done);
    w->mismatch = sb_xcalloc(n + 1, sizeof *w->mismatch);
    w->prefix = in->prefix;
    w->n_prefix = in->n_prefix;
    w->prefix_target = in->prefix_target ? in->prefix_target : in->n_prefix;
    w->input_lens = in->input_lens;
    w->offsets = in->offsets;
    w->n = n;
    w->ds = ds;
    w->total_ids = 0;
    for (size_t i = 0; i < n; i++)
        w->total_ids += (size_t)in->input_lens[i] + in->n_prefix;
    size_t first = ds->n;
    for (size_t i = 0; i < n; i++)
        dataset_push(ds)->output_len = (int32_t)in->output_lens[i];
    /* Workers index reqs from 0: the random list is always built into an empty set. */
    if (rc == 0 && first != 0)
        rc = sb_err_set(err, "random prompts: internal error, request list not empty");
    if (rc == 0 && n > 0) {
        build_window(w);
        rc = run_threads(w, g, ds);
        if (rc != 0)
            *err = w->err;
    }
    long long total = 0;
    for (size_t i = 0; i < n; i++) {
        total += w->mismatch[i];
        dataset_fixlen_saved_free(&w->pend[i].st);
    }
    *mismatch_total = total;
    pthread_mutex_destroy(&w->err_lock);
    free(w->pend);
    free(w->done);
    free(w->mismatch);
    free(own_allowed);
    tok_window_free(w->win);
    free(w->cycle);
    free(w);
    return rc;
}

int dataset_random(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    if (!c->t)
        return sb_err_set(err, "random dataset needs a tokenizer");
    if (c->o->path)
        return sb_err_set(err, "--dataset-path cannot be used with --dataset-name random");
    rand_params p = {0};
    if (check_params(c->o, c->t, &p, err) != 0)
        return -1;
    dataset_info(ds, "Sampling input_len from [%ld, %ld] and output_len from [%ld, %ld]", p.in_lo,
                 p.in_hi, p.out_lo, p.out_hi);
    np_gen g;
    np_gen_seed(&g, c->o->seed);
    size_t n = (size_t)p.n;
    int64_t *in = sb_xmalloc((n ? n : 1) * sizeof *in);
    int64_t *out = sb_xmalloc((n ? n : 1) * sizeof *out);
    int64_t *off = sb_xmalloc((n ? n : 1) * sizeof *off);
    /* Section 4.1 step 3: this order, then the prefix, then the loop draws. */
    np_gen_integers(&g, p.in_lo, p.in_hi + 1, n, in);
    np_gen_integers(&g, p.out_lo, p.out_hi + 1, n, out);
    np_gen_integers(&g, 0, (int64_t)tok_vocab_size(c->t), n, off);
    size_t n_allowed;
    int32_t *allowed = allowed_ids(c->t, &n_allowed);
    tok_ids prefix;
    tok_ids_init(&prefix);
    int rc = dataset_random_prefix(c->t, &g, allowed, n_allowed, p.prefix_len, &prefix, ds, err);
    free(allowed);
    dataset_random_in ri = {.input_lens = in,
                            .output_lens = out,
                            .offsets = off,
                            .prefix = prefix.v,
                            .n_prefix = prefix.n,
                            .n = n,
                            .prefix_target = (size_t)p.prefix_len};
    long long total = 0;
    if (rc == 0)
        rc = dataset_random_build(c->t, &g, &ri, ds, &total, err);
    if (rc == 0)
        dataset_mismatch_warning(ds, total);
    /* Section 4.1 step 8: embeddings batches (ds_batch.c). */
    if (rc == 0 && c->o->random_batch_size > 1)
        rc = dataset_group(ds, c->o->random_batch_size, NULL, err);
    tok_ids_free(&prefix);
    free(in);
    free(out);
    free(off);
    return rc;
}
