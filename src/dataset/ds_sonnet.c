/* SPDX-License-Identifier: Apache-2.0 */
/* ds_sonnet.c - the deprecated `sonnet` dataset, vllm/benchmarks/datasets/datasets.py:
 * SonnetDataset.sample.
 *
 * Lines of a poem (data/sonnet.txt by default) are drawn with CPython's
 * random.choices after a fixed prefix of lines, wrapped in the tokenizer's
 * chat template, and a draw is kept only when the templated prompt fits in
 * --sonnet-input-len tokens. The reference uses the global Python RNG seeded
 * with --seed at start and nothing draws from it before the dataset, so a
 * fresh py_random seeded with --seed gives the same lines. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/datadir.h"
#include "dataset/ds_internal.h"

#define SONNET_BASE "Pick as many lines as you can from these poem lines:\n"
/* The reference loops forever when no draw can fit; we give up after this
 * many consecutive rejections and say why. A workable setting accepts far
 * more often (2,000 misses in a row at even 1% acceptance: p < 2e-9). */
#define SONNET_MAX_REJECTS 2000

typedef struct sonnet_lines {
    const char **line; /* each with its trailing newline, as readlines() */
    size_t *len;
    size_t n;
} sonnet_lines;

static void split_lines(sb_buf *text, sonnet_lines *l)
{
    size_t cap = 256;
    l->line = sb_xmalloc(cap * sizeof *l->line);
    l->len = sb_xmalloc(cap * sizeof *l->len);
    l->n = 0;
    const char *p = text->data, *end = text->data + text->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl + 1 : end;
        if (l->n == cap) {
            cap *= 2;
            l->line = sb_xrealloc(l->line, cap * sizeof *l->line);
            l->len = sb_xrealloc(l->len, cap * sizeof *l->len);
        }
        l->line[l->n] = p;
        l->len[l->n++] = (size_t)(le - p);
        p = le;
    }
}

static int templated_len(const dataset_ctx *c, const char *prompt, sb_buf *fmt, tok_ids *scratch,
                         int32_t *n, sb_err *err)
{
    sb_buf_reset(fmt);
    if (dataset_chat_user(c, prompt, fmt, err) != 0)
        return -1;
    return dataset_count_tokens(c->t, fmt->data, fmt->len, true, scratch, n, err);
}

typedef struct sonnet_plan {
    long n_in, n_pre, input_len;
} sonnet_plan;

static int plan(const dataset_ctx *c, const sonnet_lines *l, sb_buf *fmt, tok_ids *scratch,
                sonnet_plan *p, sb_err *err)
{
    long long sum = 0;
    for (size_t i = 0; i < l->n; i++) {
        int32_t k;
        if (dataset_count_tokens(c->t, l->line[i], l->len[i], true, scratch, &k, err) != 0)
            return -1;
        sum += k;
    }
    double avg = (double)sum / (double)l->n;
    int32_t base_offset;
    if (templated_len(c, SONNET_BASE, fmt, scratch, &base_offset, err) != 0)
        return -1;
    p->input_len = c->o->input_len >= 0 ? c->o->input_len : c->o->sonnet_input_len;
    if (p->input_len <= base_offset)
        return sb_err_set(err,
                          "sonnet: --sonnet-input-len (%ld) must be higher than the base "
                          "prompt length (%d)",
                          p->input_len, base_offset);
    /* Python round(): half to even, which nearbyint gives in the default mode. */
    p->n_in = (long)nearbyint((double)(p->input_len - base_offset) / avg);
    p->n_pre = (long)nearbyint((double)(c->o->sonnet_prefix_len - base_offset) / avg);
    if (p->n_pre < 0)
        p->n_pre = 0;
    return 0;
}

static int sample(const dataset_ctx *c, const sonnet_lines *l, const sonnet_plan *p, sb_dataset *ds,
                  sb_err *err)
{
    py_random *r = c->py_global;
    py_random_seed(r, c->o->seed);
    long k = p->n_in - p->n_pre > 0 ? p->n_in - p->n_pre : 0; /* choices(k<0) is empty */
    size_t *pick = sb_xmalloc((size_t)(k ? k : 1) * sizeof *pick);
    size_t n_pre = (size_t)p->n_pre < l->n ? (size_t)p->n_pre : l->n; /* data[:n] */
    bool raw = c->backend && strcmp(c->backend, "openai-chat") == 0;
    long out_len = c->o->output_len >= 0 ? c->o->output_len : c->o->sonnet_output_len;
    sb_buf prompt, fmt;
    sb_buf_init(&prompt);
    sb_buf_init(&fmt);
    tok_ids scratch;
    tok_ids_init(&scratch);
    int rc = 0;
    long rejects = 0;
    while (rc == 0 && (long)ds->n < c->o->num_prompts) {
        py_random_choices(r, l->n, (size_t)k, pick);
        sb_buf_reset(&prompt);
        sb_buf_puts(&prompt, SONNET_BASE);
        for (size_t i = 0; i < n_pre; i++)
            sb_buf_append(&prompt, l->line[i], l->len[i]);
        for (long i = 0; i < k; i++)
            sb_buf_append(&prompt, l->line[pick[i]], l->len[pick[i]]);
        int32_t plen;
        if (templated_len(c, prompt.data, &fmt, &scratch, &plen, err) != 0) {
            rc = -1;
            break;
        }
        if (plen > p->input_len) {
            if (++rejects >= SONNET_MAX_REJECTS)
                rc = sb_err_set(err,
                                "sonnet: %ld draws in a row exceeded --sonnet-input-len "
                                "%ld tokens (last: %d); lower --sonnet-prefix-len or "
                                "raise --sonnet-input-len",
                                rejects, p->input_len, plen);
            continue;
        }
        rejects = 0;
        sb_request *req = dataset_push(ds);
        const sb_buf *sent = raw ? &prompt : &fmt;
        dataset_set_prompt(ds, req, sent->data, sent->len);
        req->prompt_len = plen;
        req->output_len = (int32_t)out_len;
    }
    free(pick);
    sb_buf_free(&prompt);
    sb_buf_free(&fmt);
    tok_ids_free(&scratch);
    return rc;
}

int dataset_sonnet(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    if (!c->t)
        return sb_err_set(err, "sonnet dataset needs a tokenizer");
    const char *path = c->o->path ? c->o->path : sb_data_path("sonnet.txt");
    sb_buf text;
    sb_buf_init(&text);
    if (sb_read_file(path, &text, err) != 0) {
        sb_buf_free(&text);
        return -1;
    }
    sonnet_lines l;
    split_lines(&text, &l);
    int rc = 0;
    if (l.n == 0)
        rc = sb_err_set(err, "%s: the sonnet file has no lines", path);
    sb_buf fmt;
    sb_buf_init(&fmt);
    tok_ids scratch;
    tok_ids_init(&scratch);
    sonnet_plan p = {0};
    if (rc == 0)
        rc = plan(c, &l, &fmt, &scratch, &p, err);
    if (rc == 0)
        rc = sample(c, &l, &p, ds, err);
    if (rc != 0)
        sb_err_prefix(err, "%s: ", path);
    sb_buf_free(&fmt);
    tok_ids_free(&scratch);
    free(l.line);
    free(l.len);
    sb_buf_free(&text);
    return rc;
}
