/* SPDX-License-Identifier: Apache-2.0 */
/* ds_random_mm.c - the `random-mm` dataset, vllm/benchmarks/datasets/datasets.py:
 * RandomMultiModalDataset.sample (RandomMultiModalDataset): random text prompts as in
 * vllm/benchmarks/datasets/datasets.py: RandomDataset.sample plus, per request, a drawn number of
 * synthetic images attached as JPEG data URLs and videos (buckets with T > 1) attached as mp4v MP4
 * data URLs.
 *
 * One numpy default_rng(seed) stream feeds everything in the reference's
 * order: input lengths, output lengths, offsets, the prefix; then for each
 * request in turn its decode/encode top-up draws, its item count, and per
 * item a bucket choice followed by the H*W*3 pixel bytes (T*H*W*3 for a
 * video, drawn later by the encoder from a saved generator). Because the image
 * draws sit between requests' text draws, requests are drawn one after the
 * other here (the random dataset's parallel pass cannot be used); the JPEG
 * encoding, which dominates the time, runs on every core (ds_mm_encode.c).
 *
 * Like the reference, every request body part is built before the run
 * starts: a 720x1280 noise image is ~0.55 MB of JPEG, ~0.74 MB of base64,
 * so N requests of k such images hold N*k*0.74 MB in memory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/video.h"
#include "dataset/ds_mm.h"

/* Frames per video item at most: a sanity bound, far above real use. */
#define MM_MAX_FRAMES 100000

/* allowed = 0..V-1 minus the *added* tokens marked special (the reference
 * reads added_tokens_decoder, not all_special_ids, so placeholder tokens
 * such as <image> are excluded too). */
static int mm_allowed(const tok *t, int32_t **out, size_t *n_out, sb_err *err)
{
    (void)err;
    size_t V = tok_vocab_size(t);
    uint8_t *banned = sb_xcalloc(V ? V : 1, 1);
    size_t ns = tok_added_special_ids(t, NULL, 0);
    int32_t *sp = sb_xmalloc((ns ? ns : 1) * sizeof *sp);
    tok_added_special_ids(t, sp, ns);
    for (size_t i = 0; i < ns; i++)
        if (sp[i] >= 0 && (size_t)sp[i] < V)
            banned[sp[i]] = 1;
    free(sp);
    int32_t *a = sb_xmalloc((V ? V : 1) * sizeof *a);
    size_t n = 0;
    for (size_t id = 0; id < V; id++)
        if (!banned[id])
            a[n++] = (int32_t)id;
    free(banned);
    *out = a;
    *n_out = n;
    return 0;
}

/* The random dataset's length intervals (vllm/benchmarks/datasets/datasets.py: RandomDataset.sample
 * steps 1-2); random-mm has no "no input token" check. */
static int mm_lengths(const sb_dataset_opts *o, const tok *t, long iv[4], sb_err *err)
{
    double ri = o->random_range_ratio_in, ro = o->random_range_ratio_out;
    if (!(ri >= 0.0 && ri < 1.0) || !(ro >= 0.0 && ro < 1.0))
        return sb_err_set(err, "--random-range-ratio must be in [0, 1), got input %g output %g", ri,
                          ro);
    long L = o->input_len >= 0 ? o->input_len : o->random_input_len;
    long O = o->output_len >= 0 ? o->output_len : o->random_output_len;
    if (L < 0 || O < 0 || o->random_prefix_len < 0 || o->num_prompts < 0)
        return sb_err_set(err,
                          "random-mm: lengths and --num-prompts must be >= 0 (input %ld, "
                          "output %ld, prefix %ld, prompts %ld)",
                          L, O, o->random_prefix_len, o->num_prompts);
    long S = (long)tok_num_special_to_add(t);
    long Lr = L - S > 0 ? L - S : 0;
    iv[0] = (long)floor((double)Lr * (1.0 - ri));
    iv[1] = (long)ceil((double)Lr * (1.0 + ri));
    iv[2] = (long)floor((double)O * (1.0 - ro));
    iv[3] = (long)ceil((double)O * (1.0 + ro));
    if (iv[2] < 1)
        iv[2] = 1;
    if (iv[3] < 1)
        iv[3] = 1;
    return 0;
}

typedef struct mm_state {
    const tok *t;
    np_gen g;
    const int32_t *allowed;
    size_t n_allowed;
    tok_ids prefix; /* fixed by the decode/encode loop, so maybe not prefix_len long */
    long prefix_len;
    dataset_fixlen f;
    tok_ids seq;
    sb_buf parts, wrap;
    mm_encoder enc;
    long long mismatch;
} mm_state;

/* Section 4.1 steps 6-7 for request i, drawing top-ups from the shared rng. */
static int mm_text(mm_state *s, size_t i, int64_t input_len, int64_t offset, sb_dataset *ds,
                   sb_request *r, sb_err *err)
{
    s->seq.n = 0;
    for (size_t j = 0; j < s->prefix.n; j++)
        tok_ids_push(&s->seq, s->prefix.v[j]);
    uint64_t start = (uint64_t)offset + i;
    for (int64_t j = 0; j < input_len; j++)
        tok_ids_push(&s->seq, s->allowed[(start + (uint64_t)j) % s->n_allowed]);
    dataset_fixlen_start(&s->f, s->seq.v, s->seq.n, (int32_t)(s->prefix_len + input_len));
    int64_t V = (int64_t)tok_vocab_size(s->t);
    long need;
    while ((need = dataset_fixlen_run(&s->f, s->t, err)) > 0) {
        int64_t *draw = sb_xmalloc((size_t)need * sizeof *draw);
        np_gen_integers(&s->g, 0, V, (size_t)need, draw);
        dataset_fixlen_feed(&s->f, draw, (size_t)need);
        free(draw);
    }
    if (need < 0)
        return -1;
    dataset_set_prompt(ds, r, s->f.text.data ? s->f.text.data : "", s->f.text.len);
    r->prompt_len = (int32_t)s->f.seq.n;
    s->mismatch += s->f.mismatch;
    return 0;
}

/* get_mm_item_iterator: the item count, then one bucket choice per item;
 * a modality at its limit loses its buckets and the rest are renormalised.
 * Each image's H x W x 3 uint8 pixels (generate_synthetic_image) are drawn
 * right after its choice and queued for encoding. Returns the item count. */
static size_t mm_items(mm_state *s, const mm_plan *p, sb_dataset *ds)
{
    int64_t k;
    np_gen_integers(&s->g, p->lo, p->hi + 1, 1, &k);
    if (k == 0)
        return 0;
    mm_bucket *b = sb_xmalloc(p->n * sizeof *b);
    double *prob = sb_xmalloc(p->n * sizeof *prob);
    memcpy(b, p->b, p->n * sizeof *b);
    size_t nb = p->n;
    long count[2] = {0, 0};
    const long limit[2] = {p->limit_image, p->limit_video};
    while (count[0] + count[1] < k) {
        for (size_t i = 0; i < nb; i++)
            prob[i] = b[i].p;
        int64_t pick;
        np_gen_choice_p(&s->g, prob, nb, 1, &pick);
        int m = b[pick].t == 1 ? 0 : 1;
        if (count[m] < limit[m]) {
            count[m]++;
            uint32_t w = (uint32_t)b[pick].w, h = (uint32_t)b[pick].h;
            if (m == 1)
                mm_encoder_add_video(&s->enc, w, h, (uint32_t)b[pick].t, &s->g);
            else
                np_gen_bytes(&s->g, (size_t)w * h * 3, mm_encoder_add(&s->enc, w, h));
            continue;
        }
        size_t kept = 0;
        double total = 0;
        for (size_t i = 0; i < nb; i++)
            if ((b[i].t == 1 ? 0 : 1) != m && b[i].p > 0) {
                b[kept++] = b[i];
                total += b[i].p;
            }
        if (kept == 0) {
            dataset_warn(ds, "Exhausted all multimodal items of modality %s",
                         m == 0 ? "image" : "video");
            break;
        }
        for (size_t i = 0; i < kept; i++)
            b[i].p /= total;
        nb = kept;
    }
    free(b);
    free(prob);
    return (size_t)(count[0] + count[1]);
}

/* Encodes the queued images and gives requests [from, to) their parts, in
 * item order (n_items[i] images each). */
static int mm_flush(mm_state *s, const dataset_ctx *c, sb_dataset *ds, size_t from, size_t to,
                    const size_t *n_items, sb_err *err)
{
    if (s->enc.n && mm_encoder_run(&s->enc, err) != 0)
        return -1;
    size_t job = 0;
    for (size_t i = from; i < to; i++) {
        sb_request *r = &ds->reqs[i];
        sb_buf_reset(&s->parts);
        for (size_t k = 0; k < n_items[i - from]; k++, job++) {
            if (k)
                sb_buf_puts(&s->parts, ", ");
            sb_buf_append(&s->parts, s->enc.jobs[job].part.data, s->enc.jobs[job].part.len);
        }
        if (c->o->enable_multimodal_chat) {
            /* The reference turns the prompt into a chat message list, which
             * the chat backend sends as it is. */
            sb_buf_reset(&s->wrap);
            mm_chat_wrap(&s->wrap, r->prompt, r->prompt_bytes, s->parts.data, s->parts.len);
            sb_buf_reset(&s->parts);
            sb_buf_append(&s->parts, s->wrap.data, s->wrap.len);
            r->forms.mm_content_only = true;
        }
        if (s->parts.len) {
            r->forms.mm_parts = sb_arena_strndup(&ds->arena, s->parts.data, s->parts.len);
            r->forms.mm_parts_bytes = s->parts.len;
        }
    }
    mm_encoder_clear(&s->enc);
    return 0;
}

static int mm_check(const dataset_ctx *c, const mm_plan *p, sb_err *err)
{
    if (!dataset_backend_takes_images(c->backend))
        return sb_err_set(err,
                          "Multi-modal content (images) is not supported on backend '%s'; "
                          "use --backend openai-chat (or a multimodal embeddings backend)",
                          c->backend);
    if (c->o->random_batch_size > 1)
        return sb_err_set(err, "--random-batch-size > 1 is not supported for random-mm");
    for (size_t i = 0; i < p->n; i++) {
        const mm_bucket *b = &p->b[i];
        /* OpenCV's VideoWriter drops an odd last column/row and cannot open
         * with less than 2 or, for mpeg4, more than 8191 left. With a video
         * limit of 0 the reference never opens one: no check then. */
        if (b->t > 1 && p->limit_video > 0 &&
            (b->h < 2 || b->w < 2 || b->h > SB_VIDEO_MAX_DIM || b->w > SB_VIDEO_MAX_DIM ||
             b->t > MM_MAX_FRAMES))
            return sb_err_set(err,
                              "--random-mm-bucket-config: video bucket (%lld, %lld, %lld) "
                              "needs 2 <= H, W <= %d (the reference's OpenCV VideoWriter "
                              "fails to open otherwise) and T <= %d",
                              (long long)b->h, (long long)b->w, (long long)b->t, SB_VIDEO_MAX_DIM,
                              MM_MAX_FRAMES);
        if (b->t == 1 && (b->h < 1 || b->w < 1 || b->h > 65500 || b->w > 65500))
            return sb_err_set(err,
                              "--random-mm-bucket-config: image bucket (%lld, %lld, 1) "
                              "needs 1 <= H, W <= 65500",
                              (long long)b->h, (long long)b->w);
    }
    return 0;
}

static int mm_build(mm_state *s, const dataset_ctx *c, const mm_plan *p, const long iv[4],
                    sb_dataset *ds, sb_err *err)
{
    size_t n = (size_t)c->o->num_prompts;
    int64_t *in = sb_xmalloc((n ? n : 1) * sizeof *in);
    int64_t *out = sb_xmalloc((n ? n : 1) * sizeof *out);
    int64_t *off = sb_xmalloc((n ? n : 1) * sizeof *off);
    np_gen_integers(&s->g, iv[0], iv[1] + 1, n, in);
    np_gen_integers(&s->g, iv[2], iv[3] + 1, n, out);
    np_gen_integers(&s->g, 0, (int64_t)tok_vocab_size(s->t), n, off);
    /* The prefix, drawn once and made exact as random's (get_prefix). */
    s->prefix_len = c->o->random_prefix_len;
    if (dataset_random_prefix(s->t, &s->g, s->allowed, s->n_allowed, s->prefix_len, &s->prefix, ds,
                              err) != 0) {
        free(in);
        free(out);
        free(off);
        return -1;
    }
    /* Pixels wait for the encoder in batches of about 256 MB
     * (SB_MM_BATCH_BYTES: tests prove batching never changes the output). */
    size_t batch = 256u << 20;
    const char *env = getenv("SB_MM_BATCH_BYTES");
    if (env && strtol(env, NULL, 10) > 0)
        batch = (size_t)strtol(env, NULL, 10);
    size_t *n_items = sb_xmalloc((n ? n : 1) * sizeof *n_items);
    size_t from = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        sb_request *r = dataset_push(ds);
        r->output_len = (int32_t)out[i];
        rc = mm_text(s, i, in[i], off[i], ds, r, err);
        if (rc == 0)
            n_items[i - from] = mm_items(s, p, ds);
        if (rc == 0 && (s->enc.px_bytes >= batch || i + 1 == n)) {
            rc = mm_flush(s, c, ds, from, i + 1, n_items, err);
            from = i + 1;
        }
    }
    free(n_items);
    free(in);
    free(out);
    free(off);
    return rc;
}

int dataset_random_mm(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    if (!c->t)
        return sb_err_set(err, "random-mm dataset needs a tokenizer");
    long iv[4] = {0, 0, 0, 0};
    if (mm_lengths(c->o, c->t, iv, err) != 0)
        return -1;
    dataset_info(ds, "Sampling input_len from [%ld, %ld] and output_len from [%ld, %ld]", iv[0],
                 iv[1], iv[2], iv[3]);
    mm_plan p;
    if (mm_plan_build(c->o, ds, &p, err) != 0)
        return -1;
    mm_state s = {.t = c->t};
    int rc = mm_check(c, &p, err);
    int32_t *allowed = NULL;
    if (rc == 0)
        rc = mm_allowed(c->t, &allowed, &s.n_allowed, err);
    if (rc == 0 && s.n_allowed == 0)
        rc = sb_err_set(err, "random-mm: the tokenizer has no non-special token");
    s.allowed = allowed;
    np_gen_seed(&s.g, c->o->seed);
    tok_ids_init(&s.prefix);
    tok_ids_init(&s.seq);
    dataset_fixlen_init(&s.f);
    sb_buf_init(&s.parts);
    sb_buf_init(&s.wrap);
    if (rc == 0)
        rc = mm_build(&s, c, &p, iv, ds, err);
    if (rc == 0)
        dataset_mismatch_warning(ds, s.mismatch);
    free(allowed);
    mm_encoder_free(&s.enc);
    sb_buf_free(&s.parts);
    sb_buf_free(&s.wrap);
    dataset_fixlen_free(&s.f);
    tok_ids_free(&s.seq);
    tok_ids_free(&s.prefix);
    mm_plan_free(&p);
    return rc;
}
