/* SPDX-License-Identifier: Apache-2.0 */
/* tok_load.c - builds a tok from tokenizer.json (+ tokenizer_config.json):
 * every component is parsed into its own structure, unknown types are errors
 * naming the JSON path and the file (never a silent fallback), and the
 * transformers-level facts (special ids, BOS/EOS, chat template) come from
 * the config file beside it. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "tokenizer/tok_internal.h"

/* The id HF gives an added token when it loads tokenizer.json: the model's
 * id for that string, else the id of an earlier added token with the same
 * content, else the next id after the model vocabulary and the added tokens
 * so far. The "id" field of the file is not used (HF only warns when it
 * differs), which matters for hand-written files. */
static int32_t added_id(const tok *t, const char *s, size_t len, size_t upto)
{
    int32_t id = tok_smap_get(&t->model.vocab, s, len);
    if (id >= 0)
        return id;
    int32_t max = -1;
    for (size_t i = 0; i < upto; i++) {
        if (t->added[i].len == len && memcmp(t->added[i].content, s, len) == 0)
            return t->added[i].id;
        if (t->added[i].id > max)
            max = t->added[i].id;
    }
    int32_t vs = (int32_t)t->model.vocab_size;
    return max >= vs || vs == 0 ? max + 1 : vs;
}

static int parse_added(tok *t, json_t *arr, sb_err *err)
{
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return sb_err_set(err, "added_tokens: expected an array");
    t->n_added = json_array_size(arr);
    t->added = sb_xcalloc(t->n_added + 1, sizeof *t->added);
    tok_smap_init(&t->added_map, t->n_added);
    for (size_t i = 0; i < t->n_added; i++) {
        json_t *e = json_array_get(arr, i);
        json_t *c = json_object_get(e, "content"), *id = json_object_get(e, "id");
        if (!json_is_string(c) || !json_is_integer(id) || json_integer_value(id) < 0 ||
            json_integer_value(id) > INT32_MAX - 1)
            return sb_err_set(err, "added_tokens[%zu]: needs \"content\" and a non-negative \"id\"",
                              i);
        tok_added *a = &t->added[i];
        a->len = json_string_length(c);
        a->content = sb_xstrndup(json_string_value(c), a->len);
        a->id = added_id(t, a->content, a->len, i);
        a->special = json_is_true(json_object_get(e, "special"));
        a->lstrip = json_is_true(json_object_get(e, "lstrip"));
        a->rstrip = json_is_true(json_object_get(e, "rstrip"));
        a->single_word = json_is_true(json_object_get(e, "single_word"));
        json_t *nz = json_object_get(e, "normalized");
        a->normalized = json_is_boolean(nz) ? json_is_true(nz) : !a->special;
        tok_smap_put(&t->added_map, a->content, a->len, (int32_t)i);
    }
    return 0;
}

static void index_added(tok *t)
{
    size_t total = t->model.n_ids;
    for (size_t i = 0; i < t->n_added; i++)
        if ((size_t)t->added[i].id + 1 > total)
            total = (size_t)t->added[i].id + 1;
    t->n_total = total;
    t->added_by_id = sb_xmalloc((total + 1) * sizeof *t->added_by_id);
    for (size_t i = 0; i <= total; i++)
        t->added_by_id[i] = -1;
    for (size_t i = 0; i < t->n_added; i++)
        if (t->added_by_id[t->added[i].id] < 0)
            t->added_by_id[t->added[i].id] = (int32_t)i;
    tok_trie_init(&t->trie_raw);
    tok_trie_init(&t->trie_norm);
    tok_scratch sc;
    tok_scratch_init(&sc, t);
    for (size_t i = 0; i < t->n_added; i++) {
        tok_added *a = &t->added[i];
        if (!a->normalized || !t->norm) {
            tok_trie_add(a->normalized ? &t->trie_norm : &t->trie_raw, a->content, a->len,
                         (int32_t)i);
            continue;
        }
        sb_buf n;
        sb_buf_init(&n);
        tok_norm_apply(t->norm, a->content, a->len, &n, &sc);
        tok_trie_add(&t->trie_norm, n.data, n.len, (int32_t)i);
        /* HF decodes a normalized added token as its normalized form */
        a->dec = sb_buf_steal(&n);
    }
    tok_scratch_free(&sc);
}

static int parse_components(tok *t, json_t *root, const tok_span *vocab, const tok_span *merges,
                            tok_maps *pre, sb_err *err)
{
    json_t *j;
    if (!json_is_object(root))
        return sb_err_set(err, "top level is not a JSON object");
    if ((j = json_object_get(root, "normalizer")) && !json_is_null(j) &&
        !(t->norm = tok_norm_parse(j, "normalizer", err)))
        return -1;
    if ((j = json_object_get(root, "pre_tokenizer")) && !json_is_null(j) &&
        !(t->pre = tok_pretok_parse(j, "pre_tokenizer", err)))
        return -1;
    if (tok_model_parse(&t->model, json_object_get(root, "model"), vocab, merges, pre, "model",
                        err) < 0)
        return -1;
    if (tok_post_parse(t, json_object_get(root, "post_processor"), "post_processor", err) < 0)
        return -1;
    if ((j = json_object_get(root, "decoder")) && !json_is_null(j) &&
        !(t->dec = tok_decoder_parse(j, "decoder", err)))
        return -1;
    if (parse_added(t, json_object_get(root, "added_tokens"), err) < 0)
        return -1;
    index_added(t);
    t->chunk_ok = tok_chunk_eligible(t, root);
    if (t->chunk_ok && pre && pre->letters) { /* the cached copy's */
        t->letters = pre->letters;
        pre->letters = NULL;
    } else if (t->chunk_ok && !(t->letters = tok_chunk_letters())) {
        t->chunk_ok = false;
    }
    if (pre && pre->dec_off && pre->dec_n == t->n_total) {
        t->dec_off = pre->dec_off;
        t->dec_blob = pre->dec_blob;
        t->dec_clean = pre->dec_clean;
        pre->dec_off = NULL;
        pre->dec_blob = NULL;
        pre->dec_clean = NULL;
    } else {
        tok_decode_table(t);
    }
    return 0;
}

/* ---- tokenizer_config.json ------------------------------------------------ */

static const char *token_str(json_t *v)
{
    if (json_is_string(v))
        return json_string_value(v);
    return json_string_value(json_object_get(v, "content"));
}

static void add_special(tok *t, const char *s)
{
    if (!s)
        return;
    int32_t id = tok_token_to_id(t, s);
    if (id < 0)
        return;
    for (size_t i = 0; i < t->n_special; i++)
        if (t->special_ids[i] == id)
            return;
    t->special_ids = sb_xrealloc(t->special_ids, (t->n_special + 1) * sizeof *t->special_ids);
    t->special_ids[t->n_special++] = id;
}

static int cmp_id(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static void config_template(tok *t, json_t *ct)
{
    if (json_is_string(ct)) {
        t->chat_template = sb_xstrdup(json_string_value(ct));
        return;
    }
    for (size_t i = 0; json_is_array(ct) && i < json_array_size(ct); i++) {
        json_t *e = json_array_get(ct, i);
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *tpl = json_string_value(json_object_get(e, "template"));
        if (name && tpl && strcmp(name, "default") == 0)
            t->chat_template = sb_xstrdup(tpl);
    }
}

/* special_tokens_map.json: transformers' from_pretrained lets its entries
 * override tokenizer_config.json's. */
static int merge_special_map(json_t **c, const char *dir, sb_err *err)
{
    sb_buf p;
    sb_buf_init(&p);
    sb_buf_printf(&p, "%s/special_tokens_map.json", dir);
    FILE *f = fopen(p.data, "r");
    json_t *m = NULL;
    if (f) {
        fclose(f);
        m = tok_json_load_file(p.data, 0, err);
        if (!m) {
            sb_buf_free(&p);
            return -1;
        }
        if (!json_is_object(m)) {
            json_decref(m);
            int rc = sb_err_set(err, "%s: expected a JSON object", p.data);
            sb_buf_free(&p);
            return rc;
        }
        if (!*c)
            *c = json_object();
        json_object_update(*c, m);
        json_decref(m);
    }
    sb_buf_free(&p);
    return 0;
}

static int load_config(tok *t, const char *dir, sb_err *err)
{
    static const char *attrs[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                  "pad_token", "cls_token", "mask_token"};
    sb_buf p;
    sb_buf_init(&p);
    sb_buf_printf(&p, "%s/tokenizer_config.json", dir);
    FILE *f = fopen(p.data, "r");
    json_t *c = NULL;
    if (f) {
        fclose(f);
        /* model_max_length is often 1e30 written as an integer */
        if (!(c = tok_json_load_file(p.data, JSON_DECODE_INT_AS_REAL, err))) {
            sb_buf_free(&p);
            return -1;
        }
        if (!json_is_object(c)) {
            json_decref(c);
            int rc = sb_err_set(err, "%s: expected a JSON object", p.data);
            sb_buf_free(&p);
            return rc;
        }
    }
    if (merge_special_map(&c, dir, err) < 0) {
        json_decref(c);
        sb_buf_free(&p);
        return -1;
    }
    /* a separate chat_template.jinja clobbers the config's template, as in
     * transformers' from_pretrained */
    sb_buf tpl;
    sb_buf_init(&tpl);
    sb_buf_reset(&p);
    sb_buf_printf(&p, "%s/chat_template.jinja", dir);
    if (tok_file_read(p.data, &tpl, NULL) == 0)
        t->chat_template = sb_buf_steal(&tpl);
    sb_buf_free(&tpl);
    sb_buf_reset(&p);
    sb_buf_printf(&p, "%s/tokenizer_config.json", dir);
    int rc = 0;
    if (c) {
        tok_compat_defaults(c);
        for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++)
            add_special(t, token_str(json_object_get(c, attrs[i])));
        json_t *extra = json_object_get(c, "additional_special_tokens");
        for (size_t i = 0; json_is_array(extra) && i < json_array_size(extra); i++)
            add_special(t, token_str(json_array_get(extra, i)));
        /* transformers >= 4.51 appends extra_special_tokens' names to
         * SPECIAL_TOKENS_ATTRIBUTES, so they count as special too (gemma3) */
        json_t *named = json_object_get(c, "extra_special_tokens");
        const char *key;
        json_t *val;
        json_object_foreach(named, key, val) add_special(t, token_str(val));
        const char *bos = token_str(json_object_get(c, "bos_token"));
        const char *eos = token_str(json_object_get(c, "eos_token"));
        t->bos = bos ? sb_xstrdup(bos) : NULL;
        t->eos = eos ? sb_xstrdup(eos) : NULL;
        if (!t->chat_template)
            config_template(t, json_object_get(c, "chat_template"));
    } else {
        for (size_t i = 0; i < t->n_added; i++)
            if (t->added[i].special)
                add_special(t, t->added[i].content);
    }
    rc = tok_compat_apply(t, c, p.data, err);
    json_decref(c);
    sb_buf_free(&p);
    if (t->n_special)
        qsort(t->special_ids, t->n_special, sizeof *t->special_ids, cmp_id);
    return rc;
}

/* The text jansson sees: model.vocab and model.merges replaced by {} / [],
 * so it neither builds their DOM nor lexes their megabytes. cut[] remembers
 * where, to map jansson's error positions back to the file's. */
typedef struct compact {
    sb_buf text;
    size_t at[2], removed[2]; /* offset in the compact text, bytes removed */
    int n;
} compact;

static void compact_build(compact *c, const char *text, size_t len, const tok_span *v,
                          const tok_span *m)
{
    const tok_span *sp[2] = {v, m};
    if (v->n && m->n && m->p < v->p) {
        sp[0] = m;
        sp[1] = v;
    }
    sb_buf_init(&c->text);
    sb_buf_reserve(&c->text, len / 8 + 64);
    c->n = 0;
    const char *from = text;
    for (int i = 0; i < 2; i++) {
        if (!sp[i]->n)
            continue;
        sb_buf_append(&c->text, from, (size_t)(sp[i]->p - from));
        sb_buf_append(&c->text, sp[i]->p[0] == '{' ? "{}" : "[]", 2);
        c->at[c->n] = c->text.len;
        c->removed[c->n++] = sp[i]->n - 2;
        from = sp[i]->p + sp[i]->n;
    }
    sb_buf_append(&c->text, from, (size_t)(text + len - from));
}

/* jansson's error -> line, column, byte of the original text. */
static int compact_error(const compact *c, const char *text, size_t len, const json_error_t *je,
                         const char *name, sb_err *err)
{
    size_t pos = je->position > 0 ? (size_t)je->position : 0;
    size_t orig = pos;
    for (int i = 0; i < c->n; i++)
        if (pos >= c->at[i])
            orig += c->removed[i];
    if (orig > len)
        orig = len;
    size_t line = 1, col = 0;
    for (size_t i = 0; i < orig; i++) {
        col++;
        if (text[i] == '\n') {
            line++;
            col = 0;
        }
    }
    return sb_err_set(err, "%s: malformed JSON at line %zu, column %zu (byte %zu): %s", name, line,
                      col, orig, je->text);
}

/* tokenizer.json text -> components. model.vocab / model.merges are read by
 * the fast path (tok_jscan.c), everything else by jansson. name is used in
 * messages. keep (may be NULL) receives the text jansson parsed when the
 * model is a BPE whose vocab and merges were both cut out (what tok_cache.c
 * stores beside the maps). */
static int parse_text(tok *t, const char *text, size_t len, const char *name, sb_buf *keep,
                      sb_err *err)
{
    tok_span vocab, merges;
    tok_jscan_find(text, len, &vocab, &merges);
    compact c;
    compact_build(&c, text, len, &vocab, &merges);
    json_error_t je;
    json_t *root = json_loadb(c.text.data, c.text.len, JSON_ALLOW_NUL, &je);
    int rc = 0;
    if (!root)
        rc = compact_error(&c, text, len, &je, name, err);
    else if (parse_components(t, root, &vocab, &merges, NULL, err) < 0)
        rc = sb_err_prefix(err, "%s: ", name);
    json_decref(root);
    if (keep && rc == 0 && vocab.n && merges.n && t->model.kind == TOK_MODEL_BPE)
        *keep = c.text;
    else
        sb_buf_free(&c.text);
    return rc;
}

/* The components from tok_cache.c's copy: the compact text and the maps.
 * -1 when the copy does not fit this text after all (t is then discarded). */
static int parse_cached(tok *t, sb_buf *text, tok_maps *maps, sb_err *err)
{
    json_error_t je;
    json_t *root = json_loadb(text->data, text->len, JSON_ALLOW_NUL, &je);
    int rc = root ? parse_components(t, root, NULL, NULL, maps, err) : -1;
    json_decref(root);
    return rc;
}

static void tok_free_parts(tok *t);

/* Back to the state tok_load_compat made t in: only path and compat set. */
static void tok_clear(tok *t)
{
    char *path = t->path;
    tok_compat compat = t->compat;
    tok_free_parts(t);
    memset(t, 0, sizeof *t);
    t->path = path;
    t->compat = compat;
}

/* t's components from the tokenizer.json at path: from the cached copy when
 * one is valid for the file, else parsed (and the copy written). The file is
 * stat'ed before it is read (tok_cache_key_of) and, on a hit, read only when
 * the copy is racy (tok_cache.c). */
static int load_json(tok *t, const char *path, sb_err *err)
{
    sb_buf raw;
    sb_buf_init(&raw);
    bool have_raw = false;
    tok_cache_key key;
    tok_maps maps;
    sb_buf keep;
    sb_buf_init(&keep);
    bool cache = tok_cache_key_of(path, &key) == 0;
    int got = cache ? tok_cache_get(&key, &keep, &maps) : -1;
    if (got == TOK_CACHE_NEED_CONTENT) {
        if (sb_read_file(path, &raw, err) < 0) {
            sb_buf_free(&raw);
            tok_cache_key_free(&key);
            return -1;
        }
        have_raw = true;
        tok_cache_key_content(&key, &raw);
        got = tok_cache_get(&key, &keep, &maps);
    }
    if (got == 0) {
        t->cache_map = maps.map; /* t owns the mapping from here on */
        t->cache_map_len = maps.map_len;
        sb_err ignored;
        int rc = parse_cached(t, &keep, &maps, &ignored);
        tok_maps_release(&maps);
        if (rc == 0) {
            t->from_cache = true;
            /* a racy copy of a file that has since settled: written anew
             * with a later write time, so later loads need not read it */
            if (key.racy && tok_cache_settled(&key))
                tok_cache_put(&key, keep.data, keep.len, t);
            sb_buf_free(&keep);
            tok_cache_key_free(&key);
            sb_buf_free(&raw);
            return 0;
        }
        sb_buf_free(&keep);
        tok_clear(t);
    }
    if (!have_raw && sb_read_file(path, &raw, err) < 0) {
        sb_buf_free(&raw);
        if (cache)
            tok_cache_key_free(&key);
        return -1;
    }
    if (cache && !key.have_hash)
        tok_cache_key_content(&key, &raw);
    sb_buf text;
    sb_buf_init(&text);
    int rc = tok_text_of(path, &raw, &text, err);
    if (rc == 0)
        rc = parse_text(t, text.data ? text.data : "", text.len, path, cache ? &keep : NULL, err);
    if (rc == 0 && keep.data)
        tok_cache_put(&key, keep.data, keep.len, t);
    sb_buf_free(&keep);
    sb_buf_free(&text);
    sb_buf_free(&raw);
    if (cache)
        tok_cache_key_free(&key);
    return rc;
}

tok *tok_load_buffer(const char *json, size_t len, const char *name, sb_err *err)
{
    tok *t = sb_xcalloc(1, sizeof *t);
    t->path = sb_xstrdup(name ? name : "<buffer>");
    t->max_length = 1e30;
    int rc = parse_text(t, json, len, t->path, NULL, err);
    if (rc < 0) {
        tok_free(t);
        return NULL;
    }
    for (size_t i = 0; i < t->n_added; i++)
        if (t->added[i].special)
            add_special(t, t->added[i].content);
    if (t->n_special)
        qsort(t->special_ids, t->n_special, sizeof *t->special_ids, cmp_id);
    return t;
}

tok *tok_load(const char *spec, sb_err *err)
{
    return tok_load_compat(spec, TOK_COMPAT_TRANSFORMERS, err);
}

tok *tok_load_compat(const char *spec, tok_compat compat, sb_err *err)
{
    char *path = tok_resolve(spec, err);
    if (!path)
        return NULL;
    tok *t = sb_xcalloc(1, sizeof *t);
    t->path = path;
    t->compat = compat;
    int rc = load_json(t, path, err);
    if (rc < 0) {
        tok_free(t);
        return NULL;
    }
    char *dcopy = sb_xstrdup(path);
    rc = load_config(t, dirname(dcopy), err);
    free(dcopy);
    if (rc < 0) {
        tok_free(t);
        return NULL;
    }
    return t;
}

/* Everything t owns but t itself and its path. */
static void tok_free_parts(tok *t)
{
    tok_cache_detach(t);
    tok_model_free(&t->model);
    tok_norm_free(t->norm);
    tok_pretok_free(t->pre);
    tok_decoder_free(t->dec);
    for (size_t i = 0; i < t->n_added; i++) {
        free(t->added[i].content);
        free(t->added[i].dec);
    }
    free(t->added);
    if (t->added_map.slots)
        tok_smap_free(&t->added_map);
    free(t->added_by_id);
    free(t->dec_off);
    free(t->letters);
    free(t->dec_blob);
    free(t->dec_clean);
    if (t->trie_raw.term)
        tok_trie_free(&t->trie_raw);
    if (t->trie_norm.term)
        tok_trie_free(&t->trie_norm);
    free(t->post_pre);
    free(t->post_post);
    free(t->post_pair);
    free(t->special_ids);
    free(t->chat_template);
    free(t->bos);
    free(t->eos);
}

void tok_free(tok *t)
{
    if (!t)
        return;
    tok_free_parts(t);
    free(t->path);
    free(t);
}

bool tok_from_cache(const tok *t)
{
    return t->from_cache;
}
