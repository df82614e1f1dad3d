/* SPDX-License-Identifier: Apache-2.0 */
/* tok_compat.c - the transformers layer over tokenizer.json.
 *
 * The reference (vllm/benchmarks/datasets/datasets.py) tokenizes through a
 * transformers fast tokenizer, which adds rules of its own on top of the
 * Rust library, taken from tokenizer_config.json:
 *
 *  - decode: when clean_up_tokenization_spaces is true, the decoded text goes
 *    through PreTrainedTokenizerBase.clean_up_tokenization, ten plain string
 *    replacements applied one after the other over the whole text (so a
 *    replacement can create a match for a later one, never for an earlier
 *    one). Absent means false (the PreTrainedTokenizerBase default since
 *    transformers 4.45). transformers >= 5.7 skips it for BPE models.
 *  - encode: LlamaTokenizerFast, CodeLlamaTokenizerFast and
 *    GemmaTokenizerFast rebuild the post-processor in their constructor
 *    (update_post_processor) from add_bos_token (default true) and
 *    add_eos_token (default false): BOS before the sequence, EOS after it,
 *    whatever tokenizer.json's own post-processor said. AutoTokenizer picks
 *    the fast class for tokenizer_class "LlamaTokenizer" too.
 *  - the special-token attributes these classes default when the config
 *    leaves them out (all_special_ids counts them).
 *
 * TOK_COMPAT_TOKENIZERS leaves all of it out: tokenizer.json alone. */
#include <math.h>
#include <string.h>

#include "tokenizer/tok_internal.h"

static const char *const compat_names[] = {"transformers", "transformers5", "tokenizers"};

int tok_compat_parse(const char *s, tok_compat *out)
{
    for (size_t i = 0; i < sizeof compat_names / sizeof *compat_names; i++)
        if (s && strcmp(s, compat_names[i]) == 0) {
            *out = (tok_compat)i;
            return 0;
        }
    return -1;
}

const char *tok_compat_name(tok_compat c)
{
    return (size_t)c < sizeof compat_names / sizeof *compat_names ? compat_names[c] : "?";
}

/* Fast classes whose constructor calls update_post_processor, with the
 * special tokens their signature defaults. */
typedef struct llama_class {
    const char *name; /* tokenizer_class, without "Fast" */
    const char *bos, *eos, *unk, *pad;
} llama_class;

static const llama_class llama_classes[] = {
    {"LlamaTokenizer", "<s>", "</s>", "<unk>", NULL},
    {"CodeLlamaTokenizer", "<s>", "</s>", "<unk>", NULL},
    {"GemmaTokenizer", "<bos>", "<eos>", "<unk>", "<pad>"},
};

static const llama_class *find_class(const char *cls)
{
    if (!cls)
        return NULL;
    size_t n = strlen(cls);
    if (n > 4 && strcmp(cls + n - 4, "Fast") == 0)
        n -= 4;
    for (size_t i = 0; i < sizeof llama_classes / sizeof *llama_classes; i++)
        if (strlen(llama_classes[i].name) == n && strncmp(llama_classes[i].name, cls, n) == 0)
            return &llama_classes[i];
    return NULL;
}

void tok_compat_defaults(json_t *cfg)
{
    const llama_class *c = find_class(json_string_value(json_object_get(cfg, "tokenizer_class")));
    if (!c)
        return;
    const char *keys[] = {"bos_token", "eos_token", "unk_token", "pad_token"};
    const char *vals[] = {c->bos, c->eos, c->unk, c->pad};
    for (size_t i = 0; i < 4; i++) /* only when absent: an explicit null stays null */
        if (vals[i] && !json_object_get(cfg, keys[i]))
            json_object_set_new(cfg, keys[i], json_string(vals[i]));
}

static bool cfg_bool(json_t *cfg, const char *k, bool dflt)
{
    json_t *v = json_object_get(cfg, k);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static const char *cfg_token(json_t *cfg, const char *k)
{
    json_t *v = json_object_get(cfg, k);
    return json_is_string(v) ? json_string_value(v)
                             : json_string_value(json_object_get(v, "content"));
}

/* update_post_processor: [bos] $A [eos]. */
static int llama_post(tok *t, json_t *cfg, const char *cfg_path, sb_err *err)
{
    int32_t ids[2] = {-1, -1}; /* set below for each token that is on */
    const char *keys[2] = {"bos_token", "eos_token"};
    bool on[2] = {cfg_bool(cfg, "add_bos_token", true), cfg_bool(cfg, "add_eos_token", false)};
    for (int i = 0; i < 2; i++) {
        if (!on[i])
            continue;
        const char *s = cfg_token(cfg, keys[i]);
        if (!s)
            return sb_err_set(err, "%s: add_%.3s_token is true but %s is null", cfg_path, keys[i],
                              keys[i]);
        if ((ids[i] = tok_token_to_id(t, s)) < 0)
            return sb_err_set(err, "%s: %s \"%s\" is not in the vocabulary", cfg_path, keys[i], s);
    }
    free(t->post_pre);
    free(t->post_post);
    t->post_pre = t->post_post = NULL;
    t->n_post_pre = t->n_post_post = 0;
    if (on[0]) {
        t->post_pre = sb_xmalloc(sizeof *t->post_pre);
        t->post_pre[t->n_post_pre++] = ids[0];
    }
    if (on[1]) {
        t->post_post = sb_xmalloc(sizeof *t->post_post);
        t->post_post[t->n_post_post++] = ids[1];
    }
    /* pair: [bos] A [eos] [bos] B [eos] */
    free(t->post_pair);
    t->post_pair = sb_xmalloc(6 * sizeof *t->post_pair);
    t->n_post_pair = 0;
    t->pair_err = NULL;
    for (int s = 0; s < 2; s++) {
        if (on[0])
            t->post_pair[t->n_post_pair++] = ids[0];
        t->post_pair[t->n_post_pair++] = s ? TOK_PAIR_B : TOK_PAIR_A;
        if (on[1])
            t->post_pair[t->n_post_pair++] = ids[1];
    }
    return 0;
}

int tok_compat_apply(tok *t, json_t *cfg, const char *cfg_path, sb_err *err)
{
    json_t *mml = json_object_get(cfg, "model_max_length");
    t->max_length = json_is_number(mml) ? json_number_value(mml) : 1e30;
    if (t->compat == TOK_COMPAT_TOKENIZERS || !cfg)
        return 0;
    t->cleanup = cfg_bool(cfg, "clean_up_tokenization_spaces", false);
    if (t->compat == TOK_COMPAT_TRANSFORMERS5 && t->model.kind == TOK_MODEL_BPE)
        t->cleanup = false;
    if (find_class(json_string_value(json_object_get(cfg, "tokenizer_class"))))
        return llama_post(t, cfg, cfg_path, err);
    return 0;
}

/* The replacements, in transformers' order. Each pass shortens or keeps the
 * text, so it runs in place left to right. */
void tok_compat_cleanup(sb_buf *out, size_t from)
{
    static const char *const pat[][2] = {
        {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},     {" ' ", "'"},
        {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
    };
    if (!out->data || out->len <= from)
        return;
    for (size_t r = 0; r < sizeof pat / sizeof *pat; r++) {
        const char *p = pat[r][0], *q = pat[r][1];
        size_t pl = strlen(p), ql = strlen(q), w = from, i = from;
        if (!memmem(out->data + from, out->len - from, p, pl))
            continue;
        while (i < out->len) {
            if (out->len - i >= pl && memcmp(out->data + i, p, pl) == 0) {
                memmove(out->data + w, q, ql);
                w += ql;
                i += pl;
            } else {
                out->data[w++] = out->data[i++];
            }
        }
        out->len = w;
        out->data[w] = '\0';
    }
}

bool tok_cleans_up(const tok *t)
{
    return t->cleanup;
}

tok_compat tok_compat_of(const tok *t)
{
    return t->compat;
}

double tok_model_max_length(const tok *t)
{
    return isfinite(t->max_length) ? t->max_length : 1e30;
}
