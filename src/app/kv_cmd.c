/* SPDX-License-Identifier: Apache-2.0 */
/* kv_cmd.c - `servebench kv`: how much KV cache a model gets on a GPU, how
 * many sequences of a length fit, and the longest length for a concurrency,
 * with the arithmetic printed (src/kv/). docs/kv.md is the manual. */
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/commands.h"
#include "cli/opt.h"
#include "core/file.h"
#include "core/hf_cache.h"
#include "kv/kv.h"

static const char USAGE[] =
    "usage: servebench kv --config CONFIG --gpu-memory GIB [options]\n"
    "\n"
    "KV-cache sizing from a model's config.json, as vLLM allocates the cache.\n"
    "\n"
    "  --config SPEC              config.json, a model folder, or a model name in the\n"
    "                             Hugging Face cache (as --tokenizer)\n"
    "  --gpu-memory GIB           memory of one GPU in GiB (nvidia-smi's MiB / 1024)\n"
    "  --gpu-memory-utilization F share vLLM may use (default 0.9)\n"
    "  --kv-cache-dtype D         auto (the model's dtype), fp8, fp8_e4m3, fp8_e5m2,\n"
    "                             bfloat16, float16, float32 (default auto)\n"
    "  --tensor-parallel-size N   GPUs per pipeline stage (default 1)\n"
    "  --pipeline-parallel-size N pipeline stages (default 1)\n"
    "  --max-model-len N          length for the concurrency figure\n"
    "                             (default max_position_embeddings)\n"
    "  --target-concurrency N     also print the largest --max-model-len that fits\n"
    "                             N sequences\n"
    "  --weights-gib X            weights of the whole model in GiB (default: from the\n"
    "                             safetensors files beside config.json)\n"
    "  --params-b X               or: billions of parameters (x dtype bytes)\n"
    "  --overhead-gib X           per-GPU allowance for activations and CUDA graphs\n"
    "                             (default 2.0; vLLM measures its own peak)\n"
    "  --block-size N             tokens per KV block (default 16)\n"
    "  --assume-gqa               read an unknown architecture as standard attention\n"
    "  --json                     print the figures as one JSON object\n"
    "  -h, --help                 this text\n"
    "\n"
    "Exit status: 0 ok, 1 unreadable config or weights, 2 bad usage. See docs/kv.md.\n";

static const cli_opt kv_flags[] = {
    {"config", true},
    {"gpu-memory", true},
    {"gpu-memory-utilization", true},
    {"kv-cache-dtype", true},
    {"tensor-parallel-size", true},
    {"pipeline-parallel-size", true},
    {"max-model-len", true},
    {"target-concurrency", true},
    {"weights-gib", true},
    {"params-b", true},
    {"overhead-gib", true},
    {"block-size", true},
    {"assume-gqa", false},
    {"json", false},
};
#define N_KV_FLAGS (sizeof kv_flags / sizeof kv_flags[0])

typedef struct kv_args {
    const char *config;
    kv_opts o;
    double weights_gib, params_b;
    bool assume_gqa, json;
} kv_args;

/* A positive number (or >= 0 where zero_ok) into *out; -1 with err. */
static int number(const char *flag, const char *v, double lo, double hi, double *out, sb_err *err)
{
    char *end;
    double x = strtod(v, &end);
    if (*v == '\0' || *end || !(x >= lo && x <= hi))
        return sb_err_set(err, "--%s: '%s' is not a number in [%g, %g]", flag, v, lo, hi);
    *out = x;
    return 0;
}

static int integer(const char *flag, const char *v, long lo, long hi, long *out, sb_err *err)
{
    double x;
    if (number(flag, v, (double)lo, (double)hi, &x, err) != 0)
        return -1;
    if (x != floor(x))
        return sb_err_set(err, "--%s: '%s' is not a whole number", flag, v);
    *out = (long)x;
    return 0;
}

static int set_flag(kv_args *a, const char *name, const char *v, sb_err *err)
{
    long n = 0;
    int rc = 0;
    if (!strcmp(name, "config"))
        a->config = v;
    else if (!strcmp(name, "gpu-memory"))
        rc = number(name, v, 1e-3, 1e6, &a->o.gpu_memory_gib, err);
    else if (!strcmp(name, "gpu-memory-utilization"))
        rc = number(name, v, 1e-3, 1.0, &a->o.utilization, err);
    else if (!strcmp(name, "kv-cache-dtype"))
        a->o.cache_dtype = v;
    else if (!strcmp(name, "tensor-parallel-size") || !strcmp(name, "pipeline-parallel-size")) {
        rc = integer(name, v, 1, 4096, &n, err);
        if (rc == 0)
            *(name[0] == 't' ? &a->o.tp : &a->o.pp) = (int)n;
    } else if (!strcmp(name, "max-model-len"))
        rc = integer(name, v, 1, 1L << 40, &a->o.max_model_len, err);
    else if (!strcmp(name, "target-concurrency"))
        rc = integer(name, v, 1, 1L << 30, &a->o.target_concurrency, err);
    else if (!strcmp(name, "weights-gib"))
        rc = number(name, v, 0, 1e7, &a->weights_gib, err);
    else if (!strcmp(name, "params-b"))
        rc = number(name, v, 1e-6, 1e6, &a->params_b, err);
    else if (!strcmp(name, "overhead-gib"))
        rc = number(name, v, 0, 1e6, &a->o.overhead_gib, err);
    else if (!strcmp(name, "block-size"))
        rc = integer(name, v, 1, 1 << 20, &a->o.block_size, err);
    else if (!strcmp(name, "assume-gqa"))
        a->assume_gqa = true;
    else if (!strcmp(name, "json"))
        a->json = true;
    else
        rc = sb_err_set(err, "--%s: not supported yet", name); /* a row without a handler */
    return rc;
}

/* 0 parsed, 1 help printed, -1 usage error printed. */
static int parse(int argc, char **argv, kv_args *a)
{
    *a = (kv_args){.o = {.cache_dtype = "auto",
                         .tp = 1,
                         .pp = 1,
                         .utilization = 0.9,
                         .overhead_gib = 2.0,
                         .block_size = 16},
                   .weights_gib = -1,
                   .params_b = -1};
    cli_args it = {.argc = argc, .argv = argv, .i = 1};
    size_t row;
    const char *v;
    sb_err err;
    sb_err_clear(&err);
    for (;;) {
        int k = cli_args_next(&it, kv_flags, N_KV_FLAGS, &row, &v, &err);
        if (k == CLI_ARG_END)
            break;
        if (k == CLI_ARG_HELP) {
            fputs(USAGE, stdout);
            return 1;
        }
        if (k == CLI_ARG_WORD)
            sb_err_set(&err, "unexpected argument '%s'", v);
        if (k < 0 || k == CLI_ARG_WORD || set_flag(a, kv_flags[row].name, v, &err) != 0) {
            fprintf(stderr, "servebench kv: %s (see --help)\n", err.msg);
            return -1;
        }
    }
    if (!a->config || !(a->o.gpu_memory_gib > 0)) {
        fprintf(stderr, "servebench kv: --config and --gpu-memory are required (see --help)\n");
        return -1;
    }
    return 0;
}

/* Weights from the flags, else from the safetensors beside config.json. */
static int weights(kv_args *a, const kv_model *m, const char *config_path, sb_err *err)
{
    if (a->weights_gib >= 0) {
        a->o.weights_bytes = a->weights_gib * 1024.0 * 1024.0 * 1024.0;
        return 0;
    }
    if (a->params_b > 0) {
        a->o.weights_bytes = a->params_b * 1e9 * m->dtype_bytes;
        return 0;
    }
    char *copy = sb_xstrdup(config_path);
    int64_t b = kv_weights_bytes(dirname(copy), err);
    free(copy);
    if (b < 0)
        return -1;
    if (b == 0)
        return sb_err_set(err,
                          "weights size unknown: no model.safetensors.index.json or "
                          ".safetensors beside %s; give --weights-gib or --params-b",
                          config_path);
    a->o.weights_bytes = (double)b;
    return 0;
}

static int run(kv_args *a)
{
    static const char *const names[] = {"config.json"};
    char *path = hf_find(a->config, names, 1);
    if (!path) {
        fprintf(stderr,
                "servebench kv: no config.json at %s (a file, a model folder, or a "
                "model name in the Hugging Face cache)\n",
                a->config);
        return SB_EXIT_USAGE;
    }
    sb_buf text, out;
    sb_buf_init(&text);
    sb_buf_init(&out);
    sb_err err;
    kv_model m = {0};
    kv_load_opts lo = {.assume_gqa = a->assume_gqa};
    kv_plan p;
    int status = SB_EXIT_FAIL;
    if (sb_read_file(path, &text, &err) == 0 &&
        kv_model_parse(text.data, text.len, path, &lo, &m, &err) == 0 &&
        weights(a, &m, path, &err) == 0) {
        status = kv_plan_make(&m, &a->o, &p, &err) == 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
    }
    if (status == SB_EXIT_OK) {
        if (a->json)
            kv_plan_json(&m, &a->o, &p, &out);
        else
            kv_plan_print(&m, &a->o, &p, &out);
        fputs(out.data, stdout);
        if (a->json)
            fputc('\n', stdout);
    } else {
        fprintf(stderr, "servebench kv: %s\n", err.msg);
    }
    kv_model_free(&m);
    sb_buf_free(&text);
    sb_buf_free(&out);
    free(path);
    return status;
}

int kv_cmd(int argc, char **argv)
{
    kv_args a;
    int rc = parse(argc, argv, &a);
    if (rc != 0)
        return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
    return run(&a);
}
