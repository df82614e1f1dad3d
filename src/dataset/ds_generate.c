/* SPDX-License-Identifier: Apache-2.0 */
/* ds_generate.c - synthetic datasets in the manner of TensorRT-LLM's
 * prepare_dataset.py (`token-norm-dist`, `token-unif-dist`), written as
 * custom-dataset JSON Lines ({"prompt", "output_tokens"}) that
 * `servebench serve --dataset-name custom --custom-output-len -1` replays.
 *
 * Lengths are drawn as prepare_dataset does: normal lengths from numpy's
 * legacy RandomState(seed) (np.random.normal, then max(1, ceil(x))), uniform
 * lengths from default_rng(seed).integers(min, max + 1); each column starts
 * from a fresh seed, as there. prepare_dataset emits token ids; we need text,
 * so each prompt is built like the random dataset's (consecutive non-special
 * ids, then the decode/encode loop) and re-encodes (without special tokens)
 * to exactly its drawn length. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset/ds_gen.h"
#include "dataset/ds_internal.h"

static void norm_lens(uint64_t seed, double mean, double stdev, size_t n, int64_t *out)
{
    np_rs rs;
    np_rs_seed(&rs, (uint32_t)seed);
    for (size_t i = 0; i < n; i++) {
        double x = mean + stdev * np_rs_standard_normal(&rs);
        double c = ceil(x);
        out[i] = c < 1 ? 1 : (int64_t)c;
    }
}

static void unif_lens(uint64_t seed, long lo, long hi, size_t n, int64_t *out)
{
    np_gen g;
    np_gen_seed(&g, seed);
    np_gen_integers(&g, lo, hi + 1, n, out);
}

/* Counts and lengths bounded before they size an allocation (as
 * dataset_check_opts does for serve's flags). With mean and stdev at most
 * 2^24, a draw (within 40 stdev of the mean in a double) stays in int32. */
static int check_sizes(const dataset_gen_opts *o, sb_err *err)
{
    if (o->num_requests > DS_MAX_PROMPTS)
        return sb_err_set(err, "--num-requests %ld: more than %ld, the most servebench accepts",
                          o->num_requests, DS_MAX_PROMPTS);
    double in, out;
    if (o->dist == DATASET_GEN_NORM) {
        const struct {
            const char *flag;
            double v;
        } d[] = {{"--input-mean", o->input_mean},
                 {"--input-stdev", o->input_stdev},
                 {"--output-mean", o->output_mean},
                 {"--output-stdev", o->output_stdev}};
        for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
            if (!(d[i].v <= (double)DS_MAX_TOKENS))
                return sb_err_set(err, "%s %g: must be a number of tokens up to %ld", d[i].flag,
                                  d[i].v, DS_MAX_TOKENS);
        in = o->input_mean + o->input_stdev; /* a typical size, for the estimate */
        out = o->output_mean + o->output_stdev;
    } else {
        const struct {
            const char *flag;
            long v;
        } d[] = {{"--input-min", o->input_min},
                 {"--input-max", o->input_max},
                 {"--output-min", o->output_min},
                 {"--output-max", o->output_max}};
        for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
            if (d[i].v > DS_MAX_TOKENS)
                return sb_err_set(err, "%s %ld: more than %ld tokens (no model takes that many)",
                                  d[i].flag, d[i].v, DS_MAX_TOKENS);
        in = (double)o->input_max;
        out = (double)o->output_max;
    }
    char what[64];
    snprintf(what, sizeof what, "--num-requests %ld", o->num_requests);
    return ds_check_memory(
        (double)o->num_requests *
            (DS_BYTES_PER_REQUEST + in * DS_BYTES_PER_IN_TOKEN + out * DS_BYTES_PER_OUT_TOKEN),
        what, "lower --num-requests or the lengths", err);
}

static int check(const dataset_gen_opts *o, sb_err *err)
{
    if (o->num_requests <= 0)
        return sb_err_set(err, "--num-requests must be > 0");
    if (check_sizes(o, err) != 0)
        return -1;
    if (o->seed > UINT32_MAX)
        return sb_err_set(err, "--seed must be < 2**32 (numpy RandomState)");
    if (o->dist == DATASET_GEN_NORM) {
        if (!(o->input_mean > 0) || !(o->output_mean > 0) || o->input_stdev < 0 ||
            o->output_stdev < 0)
            return sb_err_set(err, "token-norm-dist: --input-mean and --output-mean must be > 0, "
                                   "the stdevs >= 0");
    } else if (o->input_min < 1 || o->input_max < o->input_min || o->output_min < 1 ||
               o->output_max < o->output_min)
        return sb_err_set(err, "token-unif-dist: need 1 <= --input-min <= --input-max and "
                               "1 <= --output-min <= --output-max");
    return 0;
}

int dataset_generate(const dataset_gen_opts *o, const tok *t, sb_dataset *ds, sb_err *err)
{
    memset(ds, 0, sizeof *ds);
    sb_arena_init(&ds->arena, 0);
    if (check(o, err) != 0)
        return -1;
    size_t n = (size_t)o->num_requests;
    int64_t *in = sb_xmalloc(n * sizeof *in), *out = sb_xmalloc(n * sizeof *out);
    int64_t *off = sb_xmalloc(n * sizeof *off);
    if (o->dist == DATASET_GEN_NORM) {
        norm_lens(o->seed, o->input_mean, o->input_stdev, n, in);
        norm_lens(o->seed, o->output_mean, o->output_stdev, n, out);
    } else {
        unif_lens(o->seed, o->input_min, o->input_max, n, in);
        unif_lens(o->seed, o->output_min, o->output_max, n, out);
    }
    np_gen g;
    np_gen_seed(&g, o->seed);
    np_gen_integers(&g, 0, (int64_t)tok_vocab_size(t), n, off);
    dataset_random_in ri = {.input_lens = in, .output_lens = out, .offsets = off, .n = n};
    long long mismatch = 0;
    int rc = dataset_random_build(t, &g, &ri, ds, &mismatch, err);
    if (rc == 0)
        dataset_mismatch_warning(ds, mismatch);
    free(in);
    free(out);
    free(off);
    if (rc != 0)
        dataset_free(ds);
    return rc;
}

/* The request's prompt as JSON: the text, or the list the reference sends
 * (token ids for timed_trace, strings for batches). NULL for invalid UTF-8. */
static json_t *prompt_json(const sb_request *r)
{
    if (!r->forms.ids && !r->forms.texts)
        return json_stringn(r->prompt, r->prompt_bytes);
    json_t *a = json_array();
    for (uint32_t i = 0; r->forms.ids && i < r->forms.n_ids; i++)
        json_array_append_new(a, json_integer(r->forms.ids[i]));
    for (uint32_t i = 0; !r->forms.ids && i < r->forms.n_texts; i++) {
        json_t *s = json_stringn(r->forms.texts[i], r->forms.text_bytes[i]);
        if (!s) {
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, s);
    }
    return a;
}

int dataset_write_jsonl(const sb_dataset *ds, FILE *f, sb_err *err)
{
    for (size_t i = 0; i < ds->n; i++) {
        const sb_request *r = &ds->reqs[i];
        json_t *prompt = prompt_json(r);
        if (!prompt)
            return sb_err_set(err, "request %zu: prompt is not valid UTF-8", i);
        json_t *row = json_pack("{s:o,s:i,s:i}", "prompt", prompt, "output_tokens",
                                (json_int_t)r->output_len, "prompt_len", (json_int_t)r->prompt_len);
        if (r->timestamp_s >= 0)
            json_object_set_new(row, "timestamp", json_real(r->timestamp_s));
        if (r->forms.mm_parts) /* multimodal parts, as rendered into chat bodies */
            json_object_set_new(row, "mm_parts",
                                json_stringn(r->forms.mm_parts, r->forms.mm_parts_bytes));
        int bad = json_dumpf(row, f, JSON_COMPACT) != 0 || fputc('\n', f) == EOF;
        json_decref(row);
        if (bad)
            return sb_err_set(err, "writing the dataset failed at request %zu", i);
    }
    return 0;
}
