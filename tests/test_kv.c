/* SPDX-License-Identifier: Apache-2.0 */
/* test_kv.c - `servebench kv`'s arithmetic (src/kv/) against values computed
 * by hand from the configs in tests/data/kv (the formula a person applies:
 * bytes per token = 2 x layers x KV heads x head dim x dtype bytes), one
 * config per family: standard GQA (Llama-3-8B), MLA (DeepSeek-V3), sliding
 * window (Mistral-7B-v0.1: every layer; Gemma-2-9B: every other layer;
 * Gemma-3-4B: 5 of 6, nested text_config), hybrid (Jamba: Mamba layers;
 * Qwen3-Next: Gated DeltaNet layers); and one published vLLM figure
 * (Qwen3-235B-A22B-FP8 on 4 x H100, vllm-project/vllm issue #21348:
 * "Available KV cache memory: 8.11 GiB", "GPU KV cache size: 178,880
 * tokens"). Also the safetensors weight readers and bad configs. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "kv/kv.h"
#include "kv/kv_perf.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

static void load(const char *name, kv_model *m)
{
    char rel[128];
    snprintf(rel, sizeof rel, "kv/%s", name);
    char *path = tu_data_path(rel);
    sb_buf b;
    sb_buf_init(&b);
    sb_err err;
    assert_int_equal(sb_read_file(path, &b, &err), 0);
    if (kv_model_parse(b.data, b.len, path, NULL, m, &err) != 0)
        fail_msg("%s", err.msg);
    sb_buf_free(&b);
    free(path);
}

/* 80 GiB at 0.9, 16 GiB of weights, 2 GiB overhead: 54 GiB of cache. */
static kv_opts h100(void)
{
    return (kv_opts){.cache_dtype = "auto",
                     .tp = 1,
                     .pp = 1,
                     .gpu_memory_gib = 80,
                     .utilization = 0.9,
                     .overhead_gib = 2,
                     .weights_bytes = 16 * GIB,
                     .block_size = 16};
}

static void gqa_llama3_8b(void **state)
{
    (void)state;
    kv_model m;
    load("llama3_8b.json", &m);
    kv_opts o = h100();
    o.target_concurrency = 64;
    kv_plan p;
    assert_int_equal(kv_plan_make(&m, &o, &p, NULL), 0);
    /* 2 x 32 layers x 8 heads x 128 dim x 2 bytes */
    assert_true(p.token_bytes_model == 131072.0);
    assert_true(p.kv_bytes == 54 * GIB);
    /* 54 GiB / (16 x 131072 B) = 27648 blocks of 16 tokens */
    assert_int_equal(p.kv_tokens, 442368);
    /* max_position 8192: one sequence is exactly 1 GiB */
    assert_int_equal(p.max_model_len, 8192);
    assert_int_equal(p.max_concurrency, 54);
    /* 54 GiB / 64 / 131072 B = 6912 tokens */
    assert_int_equal(p.len_for_target, 6912);
    /* TP 2: 4 KV heads per GPU, half the bytes, weights split */
    o.tp = 2;
    assert_int_equal(kv_plan_make(&m, &o, &p, NULL), 0);
    assert_true(p.token_bytes == 65536.0);
    assert_true(p.kv_bytes == (72 - 8 - 2) * GIB);
    /* fp8 cache: one byte per element */
    o.tp = 1;
    o.cache_dtype = "fp8";
    assert_int_equal(kv_plan_make(&m, &o, &p, NULL), 0);
    assert_true(p.token_bytes == 65536.0);
    /* TP 16 > 8 KV heads: one head per rank (replicated) */
    o.tp = 16;
    o.cache_dtype = "auto";
    assert_int_equal(kv_plan_make(&m, &o, &p, NULL), 0);
    assert_int_equal(p.kv_heads_per_gpu, 1);
    /* PP 4: 8 layers per stage */
    o.tp = 1;
    o.pp = 4;
    assert_int_equal(kv_plan_make(&m, &o, &p, NULL), 0);
    assert_int_equal(p.full_per_gpu, 8);
    assert_true(p.token_bytes == 8 * 4096.0);
    kv_model_free(&m);
}

static void mla_deepseek_v3(void **state)
{
    (void)state;
    kv_model m;
    load("deepseek_v3.json", &m);
    assert_true(m.mla);
    kv_opts o = h100();
    o.tp = 8;
    kv_plan p;
    assert_int_equal(kv_plan_make(&m, &o, &p, NULL), 0);
    /* 61 layers x (512 + 64) x 2 bytes, the same on each of the 8 ranks */
    assert_true(p.token_bytes_model == 70272.0);
    assert_true(p.token_bytes == 70272.0);
    kv_model_free(&m);
}

static void sliding_window_models(void **state)
{
    (void)state;
    kv_model m;
    kv_opts o = h100();
    kv_plan p;
    /* Mistral-7B-v0.1: 32 sliding layers of window 4096 */
    load("mistral_7b_v01.json", &m);
    assert_int_equal(m.n_sliding, 32);
    o.max_model_len = 32768;
    assert_int_equal(kv_plan_make(&m, &o, &p, NULL), 0);
    /* window 4096 = 256 blocks, + 1 block: 4112 tokens x 131072 B */
    assert_true(p.seq_bytes == 4112.0 * 131072.0);
    kv_model_free(&m);
    /* Gemma-2-9B (float32): even layers slide; 21 + 21 */
    load("gemma2_9b.json", &m);
    assert_int_equal(m.n_full, 21);
    assert_int_equal(m.n_sliding, 21);
    o.max_model_len = 8192;
    assert_int_equal(kv_plan_make(&m, &o, &p, NULL), 0);
    /* per layer and token 2 x 8 x 256 x 4 = 16384 B; 21 x 8192 + 21 x 4112 tokens */
    assert_true(p.seq_bytes == 16384.0 * (21 * 8192.0 + 21 * 4112.0));
    kv_model_free(&m);
    /* Gemma-3-4B: text_config, pattern 6: layers 5, 11, 17, 23, 29 are global */
    load("gemma3_4b.json", &m);
    assert_int_equal(m.n_layers, 34);
    assert_int_equal(m.n_full, 5);
    assert_int_equal(m.n_sliding, 29);
    assert_int_equal(m.layers[5], KV_LAYER_FULL);
    assert_int_equal(m.layers[4], KV_LAYER_SLIDING);
    kv_model_free(&m);
}

static void hybrid_models(void **state)
{
    (void)state;
    kv_model m;
    kv_opts o = h100();
    kv_plan p;
    /* Jamba: attention at layers 4, 12, 20, 28; 28 Mamba layers of
     * d_inner 8192: conv 8192 x 3 + ssm 8192 x 16 = 155648 elements */
    load("jamba.json", &m);
    assert_int_equal(m.n_full, 4);
    assert_int_equal(m.n_state, 28);
    assert_int_equal(kv_plan_make(&m, &o, &p, NULL), 0);
    assert_true(p.token_bytes_model == 4 * 4096.0);
    assert_true(p.state_bytes_per_seq == 28 * 155648.0 * 2);
    kv_model_free(&m);
    /* Qwen3-Next-80B: every 4th layer full (12), 36 DeltaNet layers:
     * conv (2 x 2048 + 4096) x 3 + state 32 x 128 x 128 = 548864 elements */
    load("qwen3_next_80b.json", &m);
    assert_int_equal(m.n_full, 12);
    assert_int_equal(m.n_state, 36);
    assert_int_equal(kv_plan_make(&m, &o, &p, NULL), 0);
    assert_true(p.token_bytes_model == 12 * 2 * 2 * 256 * 2.0);
    assert_true(p.state_bytes_per_seq == 36 * 548864.0 * 2);
    o.tp = 2; /* the state is sharded with the heads */
    assert_int_equal(kv_plan_make(&m, &o, &p, NULL), 0);
    assert_true(p.state_bytes_per_seq == 36 * 548864.0);
    kv_model_free(&m);
}

/* The published figure: 8.11 GiB of cache on each of 4 H100s gave 178,880
 * tokens. 94 layers x 2 x (4 heads / 4 ranks) x 128 x 2 B = 48128 B per token
 * per GPU; 8.11 GiB / 48128 B = 180,928 tokens in blocks of 16: within 1.2%
 * (the printed 8.11 GiB is rounded, and vLLM keeps a little back). */
static void published_qwen3_235b_on_4_h100(void **state)
{
    (void)state;
    kv_model m;
    load("qwen3_235b_a22b.json", &m);
    kv_opts o = {.cache_dtype = "auto",
                 .tp = 4,
                 .pp = 1,
                 .gpu_memory_gib = 8.11,
                 .utilization = 1.0,
                 .block_size = 16};
    kv_plan p;
    assert_int_equal(kv_plan_make(&m, &o, &p, NULL), 0);
    assert_true(p.token_bytes == 48128.0);
    assert_int_equal(p.kv_tokens, 180928);
    double err = (double)(p.kv_tokens - 178880) / 178880.0;
    assert_true(err > 0 && err < 0.012);
    kv_model_free(&m);
}

/* The roofline step model on Qwen3-4B (4.02e9 parameters from its shapes, as
 * its model card's 4.0B): on one T4, a decode step of 5 sequences holding
 * 1,536 tokens each reads 8.045e9 B of weights + 7,680 x 147,456 B of KV
 * = 9.177e9 B at 320 GB/s x 0.75 = 38.24 ms, + 1.5 ms overhead. */
static void roofline_qwen3_4b(void **state)
{
    (void)state;
    kv_model m;
    load("qwen3_4b.json", &m);
    assert_true(fabs(m.params_total - 4.0225e9) < 1e6);
    assert_true(m.params_total == m.params_active);
    kv_opts o = h100();
    o.weights_bytes = m.params_total * 2;
    kv_plan plan;
    assert_int_equal(kv_plan_make(&m, &o, &plan, NULL), 0);
    assert_true(plan.token_bytes == 147456.0);
    kv_perf_opts po = KV_PERF_DEFAULTS;
    po.gpu = kv_gpu_find("t4");
    assert_non_null(po.gpu);
    kv_perf p;
    assert_int_equal(kv_perf_init(&p, &m, &plan, o.weights_bytes, &po, NULL), 0);
    double want = (m.params_total * 2 + 7680.0 * 147456.0) / (320e9 * 0.75) * 1e3 + 1.5;
    assert_true(fabs(kv_perf_decode_ms(&p, 5, 7680) - want) < 1e-9);
    assert_true(fabs(want - 39.74) < 0.05);
    /* prefill of 1,024 tokens: compute 2 x 4.02e9 x 1024 / (65e12 x 0.5) = 253 ms */
    assert_true(fabs(kv_perf_prefill_ms(&p, 1024) -
                     (2 * m.params_active * 1024 / 32.5e12 * 1e3 + 1.5)) < 1e-9);
    /* TP 4 adds 2 x 36 all-reduces of 30 us and splits the weights */
    po.tp = 4;
    po.gpu = kv_gpu_find("a100-80g");
    assert_int_equal(kv_perf_init(&p, &m, &plan, o.weights_bytes, &po, NULL), 0);
    assert_true(fabs(p.weights_bytes_gpu - m.params_total * 2 / 4) < 1);
    assert_null(kv_gpu_find("gtx480"));
    kv_model_free(&m);
}

static void bad_configs_name_field_and_arch(void **state)
{
    (void)state;
    kv_model m;
    sb_err err;
    const char *missing = "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 64, "
                          "\"num_attention_heads\": 4}";
    assert_int_equal(kv_model_parse(missing, strlen(missing), "c.json", NULL, &m, &err), -1);
    assert_non_null(strstr(err.msg, "LlamaForCausalLM"));
    assert_non_null(strstr(err.msg, "num_hidden_layers"));
    const char *foo = "{\"architectures\": [\"FooForCausalLM\"], \"hidden_size\": 64, "
                      "\"num_attention_heads\": 4, \"num_hidden_layers\": 2}";
    assert_int_equal(kv_model_parse(foo, strlen(foo), "c.json", NULL, &m, &err), -1);
    assert_non_null(strstr(err.msg, "--assume-gqa"));
    kv_load_opts gqa = {.assume_gqa = true};
    assert_int_equal(kv_model_parse(foo, strlen(foo), "c.json", &gqa, &m, &err), 0);
    assert_int_equal(m.head_dim, 16);
    kv_opts o = h100();
    o.tp = 3; /* does not divide 4 heads */
    kv_plan p;
    assert_int_equal(kv_plan_make(&m, &o, &p, &err), -1);
    assert_non_null(strstr(err.msg, "--tensor-parallel-size 3"));
    o.tp = 1;
    o.cache_dtype = "int3";
    assert_int_equal(kv_plan_make(&m, &o, &p, &err), -1);
    assert_non_null(strstr(err.msg, "--kv-cache-dtype int3"));
    kv_model_free(&m);
    const char *types = "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 64, "
                        "\"num_attention_heads\": 4, \"num_hidden_layers\": 2, "
                        "\"layer_types\": [\"full_attention\"]}";
    assert_int_equal(kv_model_parse(types, strlen(types), "c.json", NULL, &m, &err), -1);
    assert_non_null(strstr(err.msg, "layer_types has 1 entries for 2"));
    assert_int_equal(kv_model_parse("[1", 2, "c.json", NULL, &m, &err), -1);
    assert_non_null(strstr(err.msg, "c.json:1:"));
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* A safetensors file: 8-byte little-endian header length, JSON header. */
static void write_safetensors(const char *path, const char *header)
{
    size_t n = strlen(header);
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(n >> (8 * i));
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(le, 1, 8, f);
    fwrite(header, 1, n, f);
    fclose(f);
}

static void weights_from_index_or_headers(void **state)
{
    (void)state;
    char dir[] = "/tmp/sb-kv-XXXXXX", p[256];
    assert_non_null(mkdtemp(dir));
    sb_err err;
    assert_int_equal(kv_weights_bytes(dir, &err), 0); /* nothing there */
    snprintf(p, sizeof p, "%s/a.safetensors", dir);
    write_safetensors(p, "{\"__metadata__\": {\"format\": \"pt\"}, \"w\": {\"dtype\": \"BF16\", "
                         "\"shape\": [2, 3], \"data_offsets\": [0, 12]}, \"b\": {\"dtype\": "
                         "\"F32\", \"shape\": [5], \"data_offsets\": [12, 32]}}");
    snprintf(p, sizeof p, "%s/b.safetensors", dir);
    write_safetensors(
        p, "{\"x\": {\"dtype\": \"BF16\", \"shape\": [50], \"data_offsets\": [0, 100]}}");
    assert_int_equal(kv_weights_bytes(dir, &err), 132);
    snprintf(p, sizeof p, "%s/c.safetensors", dir);
    write_file(p, "\xff\xff\xff\xff\xff\xff\xff\x7f", 8); /* absurd header length */
    assert_int_equal(kv_weights_bytes(dir, &err), -1);
    assert_non_null(strstr(err.msg, "c.safetensors"));
    unlink(p);
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", dir);
    const char *idx = "{\"metadata\": {\"total_size\": 16060522496}, \"weight_map\": {}}";
    write_file(p, idx, strlen(idx));
    assert_int_equal(kv_weights_bytes(dir, &err), 16060522496LL); /* the index wins */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gqa_llama3_8b),
        cmocka_unit_test(mla_deepseek_v3),
        cmocka_unit_test(sliding_window_models),
        cmocka_unit_test(hybrid_models),
        cmocka_unit_test(published_qwen3_235b_on_4_h100),
        cmocka_unit_test(roofline_qwen3_4b),
        cmocka_unit_test(bad_configs_name_field_and_arch),
        cmocka_unit_test(weights_from_index_or_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
