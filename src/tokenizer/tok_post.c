/* SPDX-License-Identifier: Apache-2.0 */
/* tok_post.c - post-processors (TemplateProcessing, BertProcessing,
 * RobertaProcessing, ByteLevel, Sequence) reduced to what encoding needs: the
 * ids placed before and after one sequence, and the layout of a pair (special
 * ids and the places of A and B).
 *
 * ByteLevel's post-processing only trims offsets, so this is exact for ids.
 * For one sequence a Sequence wraps: each processor surrounds the result of
 * the previous one. For a pair, a Sequence with more than one processor that
 * adds ids is refused (pair_err) rather than guessed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"

typedef struct idv {
    int32_t *v;
    size_t n;
} idv;

static void idv_push(idv *a, int32_t id)
{
    a->v = sb_xrealloc(a->v, (a->n + 1) * sizeof *a->v);
    a->v[a->n++] = id;
}

static int template_special(json_t *specials, const char *name, idv *dst, const char *path,
                            sb_err *err)
{
    json_t *st = json_object_get(specials, name);
    json_t *ids = json_object_get(st, "ids");
    if (!json_is_array(ids))
        return sb_err_set(err, "%s.special_tokens: \"%s\" is not defined", path, name);
    for (size_t i = 0; i < json_array_size(ids); i++)
        idv_push(dst, (int32_t)json_integer_value(json_array_get(ids, i)));
    return 0;
}

static int parse_template(json_t *j, idv *pre, idv *post, const char *path, sb_err *err)
{
    json_t *single = json_object_get(j, "single");
    json_t *specials = json_object_get(j, "special_tokens");
    if (!json_is_array(single))
        return sb_err_set(err, "%s.single: expected an array", path);
    bool seen_seq = false;
    for (size_t i = 0; i < json_array_size(single); i++) {
        json_t *it = json_array_get(single, i);
        json_t *sp = json_object_get(it, "SpecialToken");
        if (json_object_get(it, "Sequence")) {
            seen_seq = true;
            continue;
        }
        const char *name = json_string_value(json_object_get(sp, "id"));
        if (!name)
            return sb_err_set(err, "%s.single[%zu]: expected SpecialToken or Sequence", path, i);
        if (template_special(specials, name, seen_seq ? post : pre, path, err) < 0)
            return -1;
    }
    return 0;
}

static int pair_id(json_t *j, const char *k, int32_t *id, const char *path, sb_err *err)
{
    json_t *p = json_object_get(j, k);
    if (!json_is_array(p) || !json_is_integer(json_array_get(p, 1))) {
        /* -1 in sight of the caller, which reads *id only on 0 */
        sb_err_set(err, "%s.%s: expected [token, id]", path, k);
        return -1;
    }
    *id = (int32_t)json_integer_value(json_array_get(p, 1));
    return 0;
}

static int parse_one(json_t *j, idv *pre, idv *post, const char *path, sb_err *err)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type)
        return sb_err_set(err, "%s: post-processor without a \"type\"", path);
    if (strcmp(type, "ByteLevel") == 0)
        return 0;
    if (strcmp(type, "TemplateProcessing") == 0)
        return parse_template(j, pre, post, path, err);
    if (strcmp(type, "BertProcessing") == 0 || strcmp(type, "RobertaProcessing") == 0) {
        int32_t cls, sep;
        if (pair_id(j, "cls", &cls, path, err) < 0 || pair_id(j, "sep", &sep, path, err) < 0)
            return -1;
        idv_push(pre, cls);
        idv_push(post, sep);
        return 0;
    }
    if (strcmp(type, "Sequence") == 0) {
        json_t *arr = json_object_get(j, "processors");
        if (!json_is_array(arr))
            return sb_err_set(err, "%s: Sequence without a \"processors\" array", path);
        for (size_t i = 0; i < json_array_size(arr); i++) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s.processors[%zu]", path, i);
            idv p = {0}, q = {0};
            if (parse_one(json_array_get(arr, i), &p, &q, sub, err) < 0) {
                free(p.v);
                free(q.v);
                return -1;
            }
            for (size_t k = 0; k < pre->n; k++) /* wrap: new pre goes outside */
                idv_push(&p, pre->v[k]);
            free(pre->v);
            *pre = p;
            for (size_t k = 0; k < q.n; k++)
                idv_push(post, q.v[k]);
            free(q.v);
        }
        return 0;
    }
    return sb_err_set(err, "%s: unknown post-processor type \"%s\"", path, type);
}

/* The pair template: SpecialToken ids, Sequence A / B. */
static int pair_template(json_t *j, idv *lay, const char *path, sb_err *err)
{
    json_t *pair = json_object_get(j, "pair");
    json_t *specials = json_object_get(j, "special_tokens");
    if (!json_is_array(pair))
        return sb_err_set(err, "%s.pair: expected an array", path);
    for (size_t i = 0; i < json_array_size(pair); i++) {
        json_t *it = json_array_get(pair, i);
        json_t *seq = json_object_get(it, "Sequence");
        if (seq) {
            const char *id = json_string_value(json_object_get(seq, "id"));
            if (!id || (strcmp(id, "A") != 0 && strcmp(id, "B") != 0))
                return sb_err_set(err, "%s.pair[%zu]: Sequence id must be \"A\" or \"B\"", path, i);
            idv_push(lay, id[0] == 'A' ? TOK_PAIR_A : TOK_PAIR_B);
            continue;
        }
        const char *name =
            json_string_value(json_object_get(json_object_get(it, "SpecialToken"), "id"));
        if (!name)
            return sb_err_set(err, "%s.pair[%zu]: expected SpecialToken or Sequence", path, i);
        if (template_special(specials, name, lay, path, err) < 0)
            return -1;
    }
    return 0;
}

/* Layout of a pair, or *why when the processor chain has no exact one. */
static int parse_pair(json_t *j, idv *lay, const char **why, const char *path, sb_err *err)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    if (j && !json_is_null(j) && !type)
        return 0; /* parse_one names the error */
    if (!j || json_is_null(j) || strcmp(type, "ByteLevel") == 0) {
        idv_push(lay, TOK_PAIR_A);
        idv_push(lay, TOK_PAIR_B);
        return 0;
    }
    if (strcmp(type, "TemplateProcessing") == 0)
        return pair_template(j, lay, path, err);
    if (strcmp(type, "BertProcessing") == 0 || strcmp(type, "RobertaProcessing") == 0) {
        int32_t cls, sep;
        if (pair_id(j, "cls", &cls, path, err) < 0 || pair_id(j, "sep", &sep, path, err) < 0)
            return -1;
        idv_push(lay, cls); /* [CLS] A [SEP] B [SEP]; RoBERTa doubles the middle one */
        idv_push(lay, TOK_PAIR_A);
        idv_push(lay, sep);
        if (type[0] == 'R')
            idv_push(lay, sep);
        idv_push(lay, TOK_PAIR_B);
        idv_push(lay, sep);
        return 0;
    }
    if (strcmp(type, "Sequence") != 0)
        return 0; /* parse_one names the error */
    /* Sequence: exact when at most one member adds ids */
    json_t *arr = json_object_get(j, "processors");
    json_t *adder = NULL;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *p = json_array_get(arr, i);
        const char *pt = json_string_value(json_object_get(p, "type"));
        if (pt && strcmp(pt, "ByteLevel") == 0)
            continue;
        if (adder) {
            *why = "a Sequence post-processor with more than one member that adds tokens";
            return 0;
        }
        adder = p;
    }
    char sub[512];
    snprintf(sub, sizeof sub, "%s.processors[]", path);
    return parse_pair(adder, lay, why, sub, err);
}

int tok_post_parse(tok *t, json_t *j, const char *path, sb_err *err)
{
    idv lay = {0};
    if (parse_pair(j, &lay, &t->pair_err, path, err) < 0) {
        free(lay.v);
        return -1;
    }
    t->post_pair = lay.v;
    t->n_post_pair = lay.n;
    if (!j || json_is_null(j))
        return 0;
    idv pre = {0}, post = {0};
    if (parse_one(j, &pre, &post, path, err) < 0) {
        free(pre.v);
        free(post.v);
        return -1;
    }
    t->post_pre = pre.v;
    t->n_post_pre = pre.n;
    t->post_post = post.v;
    t->n_post_post = post.n;
    return 0;
}
