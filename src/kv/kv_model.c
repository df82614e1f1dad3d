/* SPDX-License-Identifier: Apache-2.0 */
/* kv_model.c - config.json -> per-layer KV facts (kv.h).
 *
 * Transformers configs name the same facts differently per family, and the
 * layer pattern (which layers slide, which are recurrent) is spelled four
 * ways: an explicit `layer_types` list (newest configs), Gemma-2's
 * alternation, Gemma-3's `sliding_window_pattern`, and the hybrids' period
 * fields (Jamba's attn_layer_period/offset, Qwen3-Next's
 * full_attention_interval). Each is read here once, into one list of layer
 * kinds, so the arithmetic in kv_plan.c never looks at a family again. */
#include "kv/kv.h"

#include <stdio.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct cfg_ctx {
    json_t *root, *lm; /* lm: text_config when the model is multimodal, else root */
    const char *file;
    const char *arch;
} cfg_ctx;

/* Integer field of the language model (text_config first); 0 = absent. */
static long get_int(const cfg_ctx *c, const char *key)
{
    json_t *v = json_object_get(c->lm, key);
    if (!v && c->lm != c->root)
        v = json_object_get(c->root, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

static json_t *get(const cfg_ctx *c, const char *key)
{
    json_t *v = json_object_get(c->lm, key);
    return v || c->lm == c->root ? v : json_object_get(c->root, key);
}

static int need(const cfg_ctx *c, const char *key, long *out, sb_err *err)
{
    *out = get_int(c, key);
    if (*out > 0)
        return 0;
    return sb_err_set(err, "%s: %s needs a positive integer \"%s\" (missing or not a number)",
                      c->file, c->arch, key);
}

static int dtype(const cfg_ctx *c, kv_model *m, sb_err *err)
{
    json_t *v = get(c, "torch_dtype");
    if (!v)
        v = get(c, "dtype");
    const char *s = json_string_value(v);
    static const struct {
        const char *name;
        int bytes;
    } t[] = {
        {"bfloat16", 2}, {"float16", 2}, {"half", 2}, {"float32", 4}, {"float", 4},
    };
    if (!s) {
        m->dtype_name = "bfloat16 (no torch_dtype in the config: assumed)";
        m->dtype_bytes = 2;
        return 0;
    }
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(s, t[i].name)) {
            m->dtype_name = t[i].name;
            m->dtype_bytes = t[i].bytes;
            return 0;
        }
    return sb_err_set(err, "%s: torch_dtype \"%s\" is not one of bfloat16, float16, float32",
                      c->file, s);
}

/* Fills m->layers from an explicit `layer_types` list. */
static int layer_types(const cfg_ctx *c, json_t *list, kv_model *m, sb_err *err)
{
    if (json_array_size(list) != (size_t)m->n_layers)
        return sb_err_set(err, "%s: layer_types has %zu entries for %d num_hidden_layers", c->file,
                          json_array_size(list), m->n_layers);
    for (int i = 0; i < m->n_layers; i++) {
        const char *t = json_string_value(json_array_get(list, (size_t)i));
        if (!t)
            return sb_err_set(err, "%s: layer_types[%d] is not a string", c->file, i);
        if (!strcmp(t, "full_attention") || !strcmp(t, "attention"))
            m->layers[i] = KV_LAYER_FULL;
        else if (!strcmp(t, "sliding_attention"))
            m->layers[i] = KV_LAYER_SLIDING;
        else if (!strcmp(t, "linear_attention") || !strcmp(t, "mamba"))
            m->layers[i] = KV_LAYER_STATE;
        else
            return sb_err_set(err,
                              "%s: layer_types[%d] \"%s\" is not full_attention, "
                              "sliding_attention, linear_attention or mamba",
                              c->file, i, t);
    }
    return 0;
}

/* Jamba (Mamba-1 layers): conv state d_inner x (d_conv - 1) plus SSM state
 * d_inner x d_state, d_inner = mamba_expand x hidden_size. */
static int jamba_state(const cfg_ctx *c, kv_model *m, sb_err *err)
{
    long period, offset = get_int(c, "attn_layer_offset"), hidden, d_state, d_conv, expand;
    if (need(c, "attn_layer_period", &period, err) || need(c, "hidden_size", &hidden, err) ||
        need(c, "mamba_d_state", &d_state, err) || need(c, "mamba_d_conv", &d_conv, err) ||
        need(c, "mamba_expand", &expand, err))
        return -1;
    for (int i = 0; i < m->n_layers; i++)
        m->layers[i] = i % period == offset ? KV_LAYER_FULL : KV_LAYER_STATE;
    double d_inner = (double)expand * (double)hidden;
    m->state_elems_per_layer = d_inner * (double)(d_conv - 1) + d_inner * (double)d_state;
    snprintf(m->state_formula, sizeof m->state_formula,
             "d_inner x (d_conv-1) + d_inner x d_state = %.0f x %ld + %.0f x %ld", d_inner,
             d_conv - 1, d_inner, d_state);
    return 0;
}

/* Qwen3-Next (Gated DeltaNet): conv state (2 x key_dim + value_dim) x
 * (kernel - 1) plus recurrent state value_heads x key_head_dim x
 * value_head_dim. */
static int qwen3_next_state(const cfg_ctx *c, kv_model *m, sb_err *err)
{
    long nk, dk, nv, dv, kern, interval = get_int(c, "full_attention_interval");
    if (need(c, "linear_num_key_heads", &nk, err) || need(c, "linear_key_head_dim", &dk, err) ||
        need(c, "linear_num_value_heads", &nv, err) || need(c, "linear_value_head_dim", &dv, err) ||
        need(c, "linear_conv_kernel_dim", &kern, err))
        return -1;
    json_t *lt = get(c, "layer_types");
    if (lt) {
        if (layer_types(c, lt, m, err) != 0)
            return -1;
    } else {
        if (interval <= 0)
            interval = 4; /* transformers' Qwen3NextConfig default */
        for (int i = 0; i < m->n_layers; i++)
            m->layers[i] = (i + 1) % interval == 0 ? KV_LAYER_FULL : KV_LAYER_STATE;
    }
    double key_dim = (double)(nk * dk), value_dim = (double)(nv * dv);
    m->state_elems_per_layer =
        (2 * key_dim + value_dim) * (double)(kern - 1) + (double)nv * (double)dk * (double)dv;
    snprintf(m->state_formula, sizeof m->state_formula,
             "(2 x %.0f + %.0f) x (%ld-1) + %ld x %ld x %ld", key_dim, value_dim, kern, nv, dk, dv);
    return 0;
}

/* Sliding-window layers for the attention families without layer_types. */
static void sliding_pattern(const cfg_ctx *c, kv_model *m)
{
    json_t *use = get(c, "use_sliding_window");
    if (m->sliding_window <= 0 || (use && json_is_false(use)))
        return;
    long pattern = get_int(c, "sliding_window_pattern");
    bool gemma2 = strstr(m->arch, "Gemma2") != NULL, gemma3 = strstr(m->arch, "Gemma3") != NULL;
    if (gemma3 && pattern <= 0)
        pattern = 6; /* Gemma3TextConfig default: 5 local layers, then 1 global */
    for (int i = 0; i < m->n_layers; i++) {
        bool slide = gemma2 ? i % 2 == 0 : pattern > 0 ? (i + 1) % pattern != 0 : true;
        m->layers[i] = slide ? KV_LAYER_SLIDING : KV_LAYER_FULL;
    }
}

static const char *const known_families[] = {
    "Llama",    "Mistral", "Mixtral", "Qwen2",  "Qwen3",    "Gemma",      "Phi3",    "Phi4",
    "Granite",  "OLMo",    "Olmo",    "Cohere", "InternLM", "Starcoder2", "GPTNeoX", "Falcon",
    "Deepseek", "Jamba",   "Ernie",   "GptOss", "GLM",      "Glm",        "Exaone",  "MiniCPM",
};

static bool known_arch(const char *arch)
{
    for (size_t i = 0; i < sizeof known_families / sizeof known_families[0]; i++)
        if (!strncmp(arch, known_families[i], strlen(known_families[i])))
            return true;
    return false;
}

static int attention(const cfg_ctx *c, kv_model *m, sb_err *err)
{
    long heads, kv_heads = get_int(c, "num_key_value_heads"), head_dim = get_int(c, "head_dim");
    if (need(c, "num_attention_heads", &heads, err) != 0)
        return -1;
    if (head_dim <= 0) {
        long hidden;
        if (need(c, "hidden_size", &hidden, err) != 0)
            return -1;
        head_dim = hidden / heads;
    }
    m->n_heads = (int)heads;
    m->n_kv_heads = (int)(kv_heads > 0 ? kv_heads : heads);
    m->head_dim = (int)head_dim;
    json_t *lora = get(c, "kv_lora_rank");
    if (json_is_integer(lora) && json_integer_value(lora) > 0) {
        long rope;
        if (need(c, "qk_rope_head_dim", &rope, err) != 0)
            return -1;
        m->mla = true;
        m->kv_lora_rank = (int)json_integer_value(lora);
        m->qk_rope_head_dim = (int)rope;
    }
    return 0;
}

static int layers(const cfg_ctx *c, kv_model *m, sb_err *err)
{
    json_t *sw = get(c, "sliding_window");
    m->sliding_window = json_is_integer(sw) ? (long)json_integer_value(sw) : 0;
    json_t *lt = get(c, "layer_types");
    if (strstr(m->arch, "Jamba"))
        return jamba_state(c, m, err);
    if (strstr(m->arch, "Qwen3Next"))
        return qwen3_next_state(c, m, err);
    if (lt)
        return layer_types(c, lt, m, err);
    sliding_pattern(c, m);
    return 0;
}

static void count_layers(kv_model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        m->n_full += m->layers[i] == KV_LAYER_FULL;
        m->n_sliding += m->layers[i] == KV_LAYER_SLIDING;
        m->n_state += m->layers[i] == KV_LAYER_STATE;
    }
    if (m->n_sliding == 0)
        m->sliding_window = 0;
    m->family = m->mla                       ? "MLA (compressed latent KV)"
                : m->n_state                 ? "hybrid (attention + recurrent state)"
                : m->n_sliding               ? "sliding-window attention"
                : m->n_kv_heads < m->n_heads ? "standard attention (GQA)"
                                             : "standard attention (MHA)";
}

/* Parameters of a standard decoder from its shapes: embeddings (twice unless
 * tied), per layer Q/K/V/O projections, a gated MLP (3 x hidden x
 * intermediate) or MoE experts (num_experts of moe_intermediate_size, of
 * which num_experts_per_tok are active, plus the router), and the norms.
 * Qwen3-4B: 4.02e9, as its model card's 4.0B. Not for MLA or hybrids. */
static void estimate_params(const cfg_ctx *c, kv_model *m)
{
    double h = (double)get_int(c, "hidden_size"), inter = (double)get_int(c, "intermediate_size");
    double vocab = (double)get_int(c, "vocab_size");
    if (m->mla || m->n_state || h <= 0 || vocab <= 0)
        return;
    double experts = (double)get_int(c, "num_experts"),
           active = (double)get_int(c, "num_experts_per_tok");
    if (experts <= 0)
        experts = (double)get_int(c, "num_local_experts");
    double moe_inter = (double)get_int(c, "moe_intermediate_size");
    if (moe_inter <= 0)
        moe_inter = inter;
    double q = (double)m->n_heads * m->head_dim, kv = (double)m->n_kv_heads * m->head_dim;
    double attn = h * q + 2 * h * kv + q * h + 2 * h;
    double mlp_all = experts > 0 ? experts * 3 * h * moe_inter + h * experts : 3 * h * inter;
    double mlp_active = experts > 0 ? active * 3 * h * moe_inter + h * experts : mlp_all;
    if (inter <= 0 && experts <= 0)
        return;
    json_t *tie = get(c, "tie_word_embeddings");
    double embed = vocab * h * (tie && json_is_true(tie) ? 1 : 2) + h;
    m->params_total = m->n_layers * (attn + mlp_all) + embed;
    m->params_active = m->n_layers * (attn + mlp_active) + embed;
}

static int parse_root(cfg_ctx *c, kv_model *m, const kv_load_opts *o, sb_err *err)
{
    if (!json_is_object(c->root))
        return sb_err_set(err, "%s: not a JSON object", c->file);
    const char *arch =
        json_string_value(json_array_get(json_object_get(c->root, "architectures"), 0));
    snprintf(m->arch, sizeof m->arch, "%s", arch ? arch : "(no architectures field)");
    c->arch = m->arch;
    json_t *text = json_object_get(c->root, "text_config");
    c->lm = json_is_object(text) ? text : c->root;
    if (!known_arch(m->arch) && !(o && o->assume_gqa))
        return sb_err_set(err,
                          "%s: architecture %s is not a known family (supported: Llama, Mistral, "
                          "Mixtral, Qwen2/3, Qwen3-Next, Gemma 1-3, Phi-3/4, Granite, OLMo, "
                          "Cohere, InternLM, DeepSeek-V2/V3 (MLA), Jamba, gpt-oss, GLM, ...); "
                          "--assume-gqa reads it as standard attention",
                          c->file, m->arch);
    long n;
    if (need(c, "num_hidden_layers", &n, err) != 0 || n > 100000)
        return n > 100000 ? sb_err_set(err, "%s: num_hidden_layers %ld", c->file, n) : -1;
    m->n_layers = (int)n;
    m->layers = sb_xcalloc((size_t)n, sizeof *m->layers); /* zero = KV_LAYER_FULL */
    m->max_position = get_int(c, "max_position_embeddings");
    if (dtype(c, m, err) || attention(c, m, err) || layers(c, m, err))
        return -1;
    count_layers(m);
    estimate_params(c, m);
    return 0;
}

int kv_model_parse(const char *json, size_t len, const char *file, const kv_load_opts *o,
                   kv_model *m, sb_err *err)
{
    memset(m, 0, sizeof *m);
    json_error_t je;
    cfg_ctx c = {.root = json_loadb(json, len, 0, &je), .file = file};
    if (!c.root)
        return sb_err_set(err, "%s:%d:%d: %s", file, je.line, je.column, je.text);
    int rc = parse_root(&c, m, o, err);
    json_decref(c.root);
    if (rc != 0)
        kv_model_free(m);
    return rc;
}

void kv_model_free(kv_model *m)
{
    free(m->layers);
    m->layers = NULL;
}
