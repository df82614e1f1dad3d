/* SPDX-License-Identifier: Apache-2.0 */
/* test_tok.c - the tokenizer's interface facts and its behaviour on bad
 * input: vocab sizes / special ids / tokens added per sequence as
 * transformers reports them, resolving a model name in the Hugging Face cache
 * layout, error messages that name the component, JSON path and file,
 * malformed JSON positions, lossy handling of invalid UTF-8, out-of-range
 * ids, and encoding from several threads at once. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tokenizer/tokenizer.h"

static tok *load(const char *rel)
{
    char *p = tu_data_path(rel);
    sb_err err = {{0}};
    tok *t = tok_load(p, &err);
    if (!t)
        print_error("%s\n", err.msg);
    assert_non_null(t);
    free(p);
    return t;
}

typedef struct fact {
    const char *fam;
    size_t vocab, with_added, to_add;
    int32_t special[8];
    size_t n_special;
} fact;

/* Values transformers gives for these tokenizer.json + tokenizer_config.json:
 * vocab_size, len(tokenizer) upper bound, num_special_tokens_to_add(),
 * all_special_ids (sorted). */
static const fact FACTS[] = {
    {"gpt2", 50257, 50257, 0, {50256}, 1},
    {"qwen3",
     151643,
     151669,
     0,
     {151643, 151644, 151645, 151646, 151647, 151648, 151649, 151650},
     14},
    {"llama3", 128000, 128256, 1, {128000, 128009}, 2},
    /* LlamaTokenizerFast with add_bos_token: transformers adds BOS (id 0),
     * which tokenizer.json alone does not */
    {"deepseek_v3", 128000, 128815, 1, {0, 1}, 2},
    {"mistral", 32000, 32000, 1, {0, 1, 2}, 3},
    {"gemma3", 262144, 262145, 1, {0, 2, 3, 106, 255999, 256000, 262144}, 7},
};

static void facts_match_transformers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof FACTS / sizeof *FACTS; i++) {
        const fact *f = &FACTS[i];
        char rel[64];
        snprintf(rel, sizeof rel, "tokenizers/%s", f->fam);
        tok *t = load(rel);
        assert_int_equal(tok_vocab_size(t), f->vocab);
        assert_int_equal(tok_vocab_size_with_added(t), f->with_added);
        assert_int_equal(tok_num_special_to_add(t), f->to_add);
        const int32_t *ids;
        size_t n = tok_special_ids(t, &ids);
        assert_int_equal(n, f->n_special);
        for (size_t k = 0; k < n && k < 8; k++)
            assert_int_equal(ids[k], f->special[k]);
        tok_free(t);
    }
}

static void config_supplies_template_bos_eos(void **state)
{
    (void)state;
    tok *t = load("tokenizers/llama3");
    assert_string_equal(tok_bos_token(t), "<|begin_of_text|>");
    assert_string_equal(tok_eos_token(t), "<|eot_id|>");
    assert_non_null(strstr(tok_chat_template(t), "<|start_header_id|>"));
    assert_int_equal(tok_token_to_id(t, "<|eot_id|>"), 128009);
    assert_string_equal(tok_id_to_token(t, 128009), "<|eot_id|>");
    assert_int_equal(tok_token_to_id(t, "Hello"), 9906);
    assert_int_equal(tok_token_to_id(t, "no such token here"), -1);
    assert_null(tok_id_to_token(t, 999999));
    tok_free(t);
}

static void write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(s, f);
    fclose(f);
}

static char *tmpdir(void)
{
    char tmpl[] = "/tmp/sbtokXXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void copy_file(const char *from, const char *to)
{
    sb_buf b;
    sb_buf_init(&b);
    assert_int_equal(tu_read_file(from, &b), 0);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    fwrite(b.data, 1, b.len, f);
    fclose(f);
    sb_buf_free(&b);
}

/* tokenizer_config.json rules (tok_compat.c): a LlamaTokenizerFast config
 * with add_eos_token puts BOS and EOS around the sequence (and the pair);
 * special_tokens_map.json overrides the config's eos_token;
 * chat_template.jinja wins over the config's template; the clean-up runs in
 * decode; none of it under TOK_COMPAT_TOKENIZERS. */
static void config_rules_as_transformers(void **state)
{
    (void)state;
    char *d = tmpdir(), p[600];
    char *src = tu_data_path("tokenizers/small/unigram_nmt.json"); /* <unk>=0 <s>=1 </s>=2 */
    snprintf(p, sizeof p, "%s/tokenizer.json", d);
    copy_file(src, p);
    snprintf(p, sizeof p, "%s/tokenizer_config.json", d);
    write_file(p, "{\"tokenizer_class\": \"LlamaTokenizerFast\", \"add_eos_token\": true,"
                  " \"eos_token\": \"<unk>\", \"clean_up_tokenization_spaces\": true,"
                  " \"chat_template\": \"from-config\", \"model_max_length\": 4096}");
    snprintf(p, sizeof p, "%s/special_tokens_map.json", d);
    write_file(p, "{\"eos_token\": {\"content\": \"</s>\"}}");
    snprintf(p, sizeof p, "%s/chat_template.jinja", d);
    write_file(p, "from-file");
    sb_err err = {{0}};
    tok *t = tok_load(d, &err);
    assert_non_null(t);
    assert_int_equal(tok_num_special_to_add(t), 2);
    assert_string_equal(tok_eos_token(t), "</s>");
    assert_string_equal(tok_bos_token(t), "<s>"); /* the class default */
    assert_string_equal(tok_chat_template(t), "from-file");
    assert_true(tok_model_max_length(t) == 4096.0);
    tok_ids ids, pair;
    tok_ids_init(&ids);
    tok_ids_init(&pair);
    assert_int_equal(tok_encode(t, "the", 3, true, &ids, &err), 0);
    assert_true(ids.n >= 3);
    assert_int_equal(ids.v[0], 1);
    assert_int_equal(ids.v[ids.n - 1], 2);
    assert_int_equal(tok_encode_pair(t, "the", 3, "the", 3, true, &pair, &err), 0);
    assert_int_equal(pair.n, 2 * ids.n);
    assert_memory_equal(pair.v, ids.v, ids.n * sizeof *ids.v);
    assert_memory_equal(pair.v + ids.n, ids.v, ids.n * sizeof *ids.v);
    int32_t dot[2];
    dot[0] = tok_token_to_id(t, "\xe2\x96\x81the");
    dot[1] = tok_token_to_id(t, "\xe2\x96\x81.");
    assert_true(dot[0] >= 0 && dot[1] >= 0);
    sb_buf out;
    sb_buf_init(&out);
    assert_int_equal(tok_decode(t, dot, 2, false, &out, &err), 0);
    assert_string_equal(out.data, "the."); /* "the ." cleaned up */
    sb_buf_free(&out);
    tok_free(t);
    t = tok_load_compat(d, TOK_COMPAT_TOKENIZERS, &err);
    assert_non_null(t);
    assert_int_equal(tok_num_special_to_add(t), 0);
    assert_false(tok_cleans_up(t));
    sb_buf_init(&out);
    assert_int_equal(tok_decode(t, dot, 2, false, &out, &err), 0);
    assert_string_equal(out.data, "the .");
    sb_buf_free(&out);
    tok_free(t);
    /* add_bos_token with no bos token is an error naming the file */
    snprintf(p, sizeof p, "%s/special_tokens_map.json", d);
    write_file(p, "{\"bos_token\": null}");
    assert_null(tok_load(d, &err));
    assert_non_null(strstr(err.msg, "tokenizer_config.json"));
    assert_non_null(strstr(err.msg, "bos_token"));
    tok_ids_free(&ids);
    tok_ids_free(&pair);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s", d);
    assert_int_equal(system(cmd), 0);
    free(src);
    free(d);
}

/* A malformed precompiled_charsmap is an error naming it. */
static void bad_charsmap_is_named(void **state)
{
    (void)state;
    const char *bad[] = {"\"!!notbase64\"", "\"AAAA\"", "\"/////w==\"", "null"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": %s},"
                 " \"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0},"
                 " \"unk_token\": \"a\"}}",
                 bad[i]);
        sb_err err = {{0}};
        assert_null(tok_load_buffer(json, strlen(json), "cm.json", &err));
        assert_non_null(strstr(err.msg, "normalizer"));
        assert_non_null(strstr(err.msg, "precompiled_charsmap"));
    }
}

static void model_name_resolves_in_hf_cache(void **state)
{
    (void)state;
    char *root = tmpdir();
    char p[512], q[600];
    snprintf(p, sizeof p, "%s/hub/models--acme--tiny/snapshots/abc123", root);
    char cmd[700];
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s %s/hub/models--acme--tiny/refs "
             "%s/hub/models--acme--tiny/snapshots/zzz",
             p, root, root);
    assert_int_equal(system(cmd), 0);
    snprintf(q, sizeof q, "%s/tokenizer.json.gz", p);
    char *src = tu_data_path("tokenizers/gpt2/tokenizer.json.gz");
    copy_file(src, q);
    free(src);
    snprintf(q, sizeof q, "%s/hub/models--acme--tiny/refs/main", root);
    write_file(q, "abc123\n");
    snprintf(q, sizeof q, "%s", root);
    setenv("HF_HOME", q, 1); /* $HF_HOME/hub */
    unsetenv("HF_HUB_CACHE");
    sb_err err = {{0}};
    tok *t = tok_load("acme/tiny", &err);
    if (!t)
        print_error("%s\n", err.msg);
    assert_non_null(t);
    assert_non_null(strstr(tok_source_path(t), "snapshots/abc123/tokenizer.json.gz"));
    tok_free(t);
    snprintf(q, sizeof q, "%s/hub", root);
    setenv("HF_HUB_CACHE", q, 1);
    t = tok_load("acme/missing", &err);
    assert_null(t);
    assert_non_null(strstr(err.msg, "models--acme--missing"));
    assert_non_null(strstr(err.msg, "works offline"));
    assert_non_null(strstr(err.msg, "SERVEBENCH_DOWNLOAD=1"));
    unsetenv("HF_HUB_CACHE");
    unsetenv("HF_HOME");
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
    free(root);
}

static const char *TINY_HEAD = "{\"version\":\"1.0\",\"added_tokens\":[],\"normalizer\":null,";
static const char *TINY_MODEL =
    "\"model\":{\"type\":\"BPE\",\"unk_token\":null,\"vocab\":{\"a\":0,\"b\":1,\"ab\":2},"
    "\"merges\":[\"a b\"]}}";

static void expect_load_error(const char *json, const char *const *needles)
{
    char *d = tmpdir();
    char p[300];
    snprintf(p, sizeof p, "%s/tokenizer.json", d);
    write_file(p, json);
    sb_err err = {{0}};
    tok *t = tok_load(p, &err);
    assert_null(t);
    for (; *needles; needles++) {
        if (!strstr(err.msg, *needles))
            print_error("message \"%s\" lacks \"%s\"\n", err.msg, *needles);
        assert_non_null(strstr(err.msg, *needles));
    }
    assert_non_null(strstr(err.msg, p)); /* names the file */
    unlink(p);
    rmdir(d);
    free(d);
}

static void unknown_component_names_type_path_and_file(void **state)
{
    (void)state;
    sb_buf j;
    sb_buf_init(&j);
    sb_buf_printf(&j,
                  "%s\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":["
                  "{\"type\":\"Digits\"},{\"type\":\"Bogus\"}]},%s",
                  TINY_HEAD, TINY_MODEL);
    const char *n1[] = {"Bogus", "pre_tokenizer.pretokenizers[1]", "pre-tokenizer", NULL};
    expect_load_error(j.data, n1);
    sb_buf_reset(&j);
    sb_buf_printf(&j, "%s\"decoder\":{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Nope\"}]},%s",
                  TINY_HEAD, TINY_MODEL);
    const char *n2[] = {"Nope", "decoder.decoders[0]", NULL};
    expect_load_error(j.data, n2);
    sb_buf_reset(&j);
    sb_buf_printf(&j, "%s\"normalizer\":{\"type\":\"Precompiled\"},%s", TINY_HEAD, TINY_MODEL);
    const char *n3[] = {"Precompiled", "normalizer", NULL};
    expect_load_error(j.data, n3);
    sb_buf_reset(&j);
    sb_buf_printf(&j, "%s\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[\"a c\"]}}",
                  TINY_HEAD);
    const char *n4[] = {"model.merges[0]", "\"c\"", "not in the vocabulary", NULL};
    expect_load_error(j.data, n4);
    sb_buf_reset(&j); /* found by fuzz_tok_load: a 2e9 id must not size a table */
    sb_buf_printf(&j,
                  "%s\"model\":{\"type\":\"BPE\",\"vocab\":{\"l\":2051251898},"
                  "\"merges\":[]}}",
                  TINY_HEAD);
    const char *n6[] = {"model.vocab[\"l\"]", "0..16777215", NULL};
    expect_load_error(j.data, n6);
    sb_buf_reset(&j);
    sb_buf_printf(&j, "%s\"model\":{\"type\":\"Magic\"}}", TINY_HEAD);
    const char *n5[] = {"model.type", "Magic", NULL};
    expect_load_error(j.data, n5);
    sb_buf_free(&j);
}

static void malformed_json_reports_position(void **state)
{
    (void)state;
    const char *n[] = {"malformed JSON", "line 2", "column", NULL};
    expect_load_error("{\"version\": \"1.0\",\n  \"model\": {,}}", n);
    const char *n2[] = {"regex", "does not compile", "pre_tokenizer.pattern", NULL};
    sb_buf j;
    sb_buf_init(&j);
    sb_buf_printf(&j,
                  "%s\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(ab\"},"
                  "\"behavior\":\"Isolated\"},%s",
                  TINY_HEAD, TINY_MODEL);
    expect_load_error(j.data, n2);
    sb_buf_free(&j);
}

static void encode_ids(const tok *t, const char *s, size_t n, tok_ids *out)
{
    tok_ids_init(out);
    assert_int_equal(tok_encode(t, s, n, false, out, NULL), 0);
}

static void invalid_utf8_is_replaced_like_hf(void **state)
{
    (void)state;
    tok *t = load("tokenizers/gpt2");
    /* Rust's from_utf8_lossy: one U+FFFD per maximal ill-formed subpart */
    const char bad[] = "a\xff\xe2\x82 b\xed\xa0\x80";
    const char good[] = "a\xef\xbf\xbd\xef\xbf\xbd b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd";
    tok_ids x, y;
    encode_ids(t, bad, sizeof bad - 1, &x);
    encode_ids(t, good, sizeof good - 1, &y);
    assert_int_equal(x.n, y.n);
    assert_memory_equal(x.v, y.v, x.n * sizeof *x.v);
    tok_ids_free(&x);
    tok_ids_free(&y);
    tok_free(t);
}

static void decode_rejects_ids_outside_vocab(void **state)
{
    (void)state;
    tok *t = load("tokenizers/mistral");
    int32_t ids[] = {1, 22557, 32000};
    sb_buf out;
    sb_buf_init(&out);
    sb_err err = {{0}};
    assert_int_equal(tok_decode(t, ids, 3, false, &out, &err), -1);
    assert_non_null(strstr(err.msg, "32000"));
    assert_non_null(strstr(err.msg, "position 2"));
    int32_t neg[] = {-5};
    assert_int_equal(tok_decode(t, neg, 1, false, &out, &err), -1);
    sb_buf_reset(&out);
    assert_int_equal(tok_decode(t, ids, 2, true, &out, &err), 0);
    assert_string_equal(out.data, "Hello");
    sb_buf_free(&out);
    tok_free(t);
}

typedef struct thr {
    const tok *t;
    const char *text;
    tok_ids ids;
} thr;

static void *thr_run(void *arg)
{
    thr *x = arg;
    tok_ctx *c = tok_ctx_new(x->t);
    tok_ids_init(&x->ids);
    for (int r = 0; r < 20; r++) {
        x->ids.n = 0;
        tok_encode_ctx(x->t, c, x->text, strlen(x->text), true, &x->ids, NULL);
    }
    tok_ctx_free(c);
    return NULL;
}

static void threads_share_one_tokenizer(void **state)
{
    (void)state;
    tok *t = load("tokenizers/qwen3");
    const char *text = "Concurrency: 4 threads encode the same text, 日本語 too! <|im_start|>x";
    tok_ids want;
    tok_ids_init(&want);
    tok_encode(t, text, strlen(text), true, &want, NULL);
    thr th[4];
    pthread_t id[4];
    for (int i = 0; i < 4; i++) {
        th[i] = (thr){t, text, {0}};
        pthread_create(&id[i], NULL, thr_run, &th[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(id[i], NULL);
        assert_int_equal(th[i].ids.n, want.n);
        assert_memory_equal(th[i].ids.v, want.v, want.n * sizeof *want.v);
        tok_ids_free(&th[i].ids);
    }
    tok_ids_free(&want);
    tok_free(t);
}

static void default_tokenizer_is_bundled_gpt2(void **state)
{
    (void)state;
    sb_err err = {{0}};
    tok *t = tok_load(tok_default_spec(), &err);
    assert_non_null(t);
    assert_int_equal(tok_vocab_size(t), 50257);
    tok_ids ids;
    encode_ids(t, "Hello world!", 12, &ids);
    assert_int_equal(ids.n, 3);
    assert_int_equal(ids.v[0], 15496);
    tok_ids_free(&ids);
    tok_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(facts_match_transformers),
        cmocka_unit_test(config_supplies_template_bos_eos),
        cmocka_unit_test(model_name_resolves_in_hf_cache),
        cmocka_unit_test(unknown_component_names_type_path_and_file),
        cmocka_unit_test(malformed_json_reports_position),
        cmocka_unit_test(invalid_utf8_is_replaced_like_hf),
        cmocka_unit_test(decode_rejects_ids_outside_vocab),
        cmocka_unit_test(threads_share_one_tokenizer),
        cmocka_unit_test(default_tokenizer_is_bundled_gpt2),
        cmocka_unit_test(config_rules_as_transformers),
        cmocka_unit_test(bad_charsmap_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
