/* SPDX-License-Identifier: Apache-2.0 */
/* sim_opts.c - `servebench sim` flags: defaults, parsing, --help text.
 *
 * Parsing lives apart from the command so sim_start() (tests, `serve --sim`)
 * accepts exactly the flags the command line does. Values are checked here,
 * once, so the loop never meets a negative rate or a zero batch width. */
#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/opt.h"
#include "sim/sim_internal.h"
#include "sim/sim_prefix.h"

static const char help_text[] =
    "usage: servebench sim [options]\n"
    "\n"
    "Runs a simulated OpenAI-compatible LLM server (vLLM-shaped responses) on one\n"
    "epoll thread. Prints `servebench sim listening on http://HOST:PORT`, serves\n"
    "until SIGINT/SIGTERM, then prints its totals. See docs/sim.md.\n"
    "\n"
    "server:\n"
    "  --host HOST               address to bind (default 127.0.0.1)\n"
    "  --port N                  TCP port, 0 = ephemeral (default 8000)\n"
    "  --model NAME              served model name (default sim)\n"
    "  --served-model-name NAME ...  names the base model answers to instead; the\n"
    "                            first is the one responses carry, --model the root\n"
    "  --enable-lora             serve LoRA adapters (vllm:lora_requests_info in /metrics)\n"
    "  --lora-modules SPEC ...   adapters requests may name: name=path or\n"
    "                            {\"name\":..,\"path\":..,\"base_model_name\":..} (up to 64)\n"
    "  --max-loras N             adapters one batch may mix; a request of another\n"
    "                            adapter waits (default 1, as vLLM)\n"
    "  --max-body-bytes N        largest request body accepted (default 67108864)\n"
    "  --max-header-bytes N      largest request header block (default 65536)\n"
    "  --record FILE             write one JSON line of ground truth per request\n"
    "  --record-messages         with --record: each chat request's \"messages\" (and\n"
    "                            \"tools\", \"tool_choice\") too\n"
    "  --tokenizer SPEC          count prompt tokens with this tokenizer (file, directory or\n"
    "                            HF cache name) as vLLM does, special tokens included;\n"
    "                            default: whitespace-separated words\n"
    "  --quiet                   do not print totals on exit\n"
    "timing model:\n"
    "  --ttft-ms F               time to first token, mean (default 20)\n"
    "  --ttft-std-ms F           TTFT standard deviation, normal draw (default 0)\n"
    "  --itl-ms F                inter-token latency, mean (default 5)\n"
    "  --itl-std-ms F            ITL standard deviation, normal draw (default 0)\n"
    "  --prefill-tok-per-s F     prefill speed; adds prompt_tokens/F to TTFT (default 0 = off)\n"
    "  --itl-per-seq-us F        ITL grows by F us per running sequence (default 0)\n"
    "  --max-num-seqs N          continuous batching width; others wait (default 256)\n"
    "  --max-model-len N         prompt + max_tokens limit, 400 beyond (default 0 = none)\n"
    "  --tokens-per-chunk N      tokens carried by each stream chunk (default 1)\n"
    "  --reasoning-tokens N      chat streams: the first N output tokens are\n"
    "                            reasoning_content deltas, the rest content (default 0)\n"
    "  --tool-call-tokens N      chat streams: the last N output tokens are one tool\n"
    "                            call's argument deltas (delta.tool_calls) (default 0)\n"
    "  --embedding-dim N         floats per embedding / pooling vector (default 16)\n"
    "  --seed N                  seed of every draw (default 0)\n"
    "  --firehose                no timing: emit every token as fast as possible\n"
    "prefix cache (full blocks of prompt tokens seen before cost no prefill):\n"
    "  --enable-prefix-caching   on (the default, as vLLM)\n"
    "  --no-enable-prefix-caching  off: every prompt token is prefilled\n"
    "  --block-size N            tokens per cached block (default 16)\n"
    "  --num-gpu-blocks-override N  cache capacity in blocks (default: the capacity\n"
    "                            mode's KV cache, else 1048576 tokens' worth)\n"
    "fault injection (rates in [0,1], drawn per request):\n"
    "  --fail-rate F             HTTP 500 with a JSON error (default 0)\n"
    "  --reject-rate F           HTTP 429 with a JSON error (default 0)\n"
    "  --reset-rate F            TCP reset before any response byte (default 0)\n"
    "  --drop-rate F             connection closed mid-stream (default 0)\n"
    "  --malformed-rate F        one corrupt SSE/JSON chunk (default 0)\n"
    "  --stall-rate F            one pause of --stall-ms mid-stream (default 0)\n"
    "  --structured-fault-rate F a JSON-schema answer loses its last byte (default 0)\n"
    "  --stall-ms F              length of a stall (default 1000)\n"
    "capacity mode (timing and admission from a model on a GPU, docs/sim.md):\n"
    "  --model-config SPEC       config.json, model folder or cached model name\n"
    "  --gpu NAME                t4, l4, a10, l40s, a100-40g, a100-80g, h100-pcie,\n"
    "                            h100, h200, b200, mi300x\n"
    "  --tensor-parallel-size N  GPUs the model is split over (default 1)\n"
    "  --gpu-memory-utilization F  share of GPU memory for weights + cache (0.9)\n"
    "  --kv-cache-dtype D        auto, fp8, ... (default auto)\n"
    "  --mfu F                   share of peak FLOP/s in prefill (default 0.5)\n"
    "  --mbu F                   share of peak bandwidth in decode (default 0.75)\n"
    "  --step-overhead-ms F      fixed cost of every step (default 1.5)\n"
    "  --allreduce-us F          one all-reduce with TP > 1, two per layer (30)\n"
    "  --overhead-gib F          memory kept from the KV cache per GPU (2)\n"
    "  --max-num-batched-tokens N  tokens one engine step computes at most\n"
    "                            (default: vLLM's, 8192 on GPUs of 70 GiB+\n"
    "                            other than the A100, else 2048)\n"
    "  -h, --help                this text\n";

const char *sim_opts_help(void)
{
    return help_text;
}

void sim_opts_default(sim_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 8000;
    o->model = "sim";
    o->ttft_ms = 20;
    o->itl_ms = 5;
    o->max_num_seqs = 256;
    o->tokens_per_chunk = 1;
    o->embedding_dim = 16;
    o->stall_ms = 1000;
    o->max_body_bytes = 64u << 20;
    o->max_header_bytes = 64u << 10;
    o->tensor_parallel_size = 1;
    o->gpu_memory_utilization = 0.9;
    o->kv_cache_dtype = "auto";
    o->mfu = 0.5;
    o->mbu = 0.75;
    o->step_overhead_ms = 1.5;
    o->allreduce_us = 30;
    o->overhead_gib = 2;
    o->enable_prefix_caching = 1;
    o->block_size = 16;
    o->max_loras = 1;
}

size_t sim_count_words(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    size_t n = 0;
    int in_word = 0;
    for (size_t i = 0; i < len; i++) {
        int sp = isspace((unsigned char)text[i]);
        if (!sp && !in_word)
            n++;
        in_word = !sp;
    }
    return n ? n : 1;
}

static int parse_double(const char *flag, const char *v, double lo, double hi, double *out,
                        sb_err *err)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d) || d < lo || d > hi)
        return sb_err_set(err, "%s: '%s' is not a number in [%g, %g]", flag, v, lo, hi);
    *out = d;
    return 0;
}

static int parse_long(const char *flag, const char *v, long lo, long hi, long *out, sb_err *err)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi) {
        /* -1 in sight of the caller, which reads *out only on 0 */
        sb_err_set(err, "%s: '%s' is not an integer in [%ld, %ld]", flag, v, lo, hi);
        return -1;
    }
    *out = n;
    return 0;
}

typedef struct dflag {
    const char *name;
    size_t off;
    double lo, hi;
} dflag;

#define DF(name, field, lo, hi)                                                                    \
    {                                                                                              \
        name, offsetof(sim_opts, field), lo, hi                                                    \
    }
static const dflag dflags[] = {
    DF("--ttft-ms", ttft_ms, 0, 1e9),
    DF("--ttft-std-ms", ttft_std_ms, 0, 1e9),
    DF("--itl-ms", itl_ms, 0, 1e9),
    DF("--itl-std-ms", itl_std_ms, 0, 1e9),
    DF("--prefill-tok-per-s", prefill_tok_per_s, 0, 1e12),
    DF("--itl-per-seq-us", itl_per_seq_us, 0, 1e9),
    DF("--fail-rate", fail_rate, 0, 1),
    DF("--reject-rate", reject_rate, 0, 1),
    DF("--reset-rate", reset_rate, 0, 1),
    DF("--drop-rate", drop_rate, 0, 1),
    DF("--malformed-rate", malformed_rate, 0, 1),
    DF("--stall-rate", stall_rate, 0, 1),
    DF("--structured-fault-rate", structured_fault_rate, 0, 1),
    DF("--stall-ms", stall_ms, 0, 1e9),
    DF("--gpu-memory-utilization", gpu_memory_utilization, 0.01, 1),
    DF("--mfu", mfu, 0.001, 1),
    DF("--mbu", mbu, 0.001, 1),
    DF("--step-overhead-ms", step_overhead_ms, 0, 1e6),
    DF("--allreduce-us", allreduce_us, 0, 1e6),
    DF("--overhead-gib", overhead_gib, 0, 1e6),
};

/* Integer flags: returns 1 when name matched (and *consumed set). */
static int parse_int_flag(sim_opts *o, const char *name, const char *v, sb_err *err)
{
    long n = 0; /* parse_long sets it on success; 0 keeps gcc -O2 from guessing */
    if (!strcmp(name, "--port")) {
        if (parse_long(name, v, 0, 65535, &n, err))
            return -1;
        o->port = (int)n;
    } else if (!strcmp(name, "--max-num-seqs")) {
        if (parse_long(name, v, 1, 10000000, &n, err))
            return -1;
        o->max_num_seqs = (int)n;
    } else if (!strcmp(name, "--max-model-len")) {
        if (parse_long(name, v, 0, 1L << 31, &n, err))
            return -1;
        o->max_model_len = n;
    } else if (!strcmp(name, "--tokens-per-chunk")) {
        if (parse_long(name, v, 1, 1000000, &n, err))
            return -1;
        o->tokens_per_chunk = (int)n;
    } else if (!strcmp(name, "--reasoning-tokens")) {
        if (parse_long(name, v, 0, 1L << 31, &n, err))
            return -1;
        o->reasoning_tokens = n;
    } else if (!strcmp(name, "--tool-call-tokens")) {
        if (parse_long(name, v, 0, 1L << 31, &n, err))
            return -1;
        o->tool_call_tokens = n;
    } else if (!strcmp(name, "--embedding-dim")) {
        if (parse_long(name, v, 1, 65536, &n, err))
            return -1;
        o->embedding_dim = (int)n;
    } else if (!strcmp(name, "--seed")) {
        if (parse_long(name, v, 0, LONG_MAX, &n, err))
            return -1;
        o->seed = (uint64_t)n;
    } else if (!strcmp(name, "--tensor-parallel-size")) {
        if (parse_long(name, v, 1, 1024, &n, err))
            return -1;
        o->tensor_parallel_size = (int)n;
    } else if (!strcmp(name, "--block-size")) {
        if (parse_long(name, v, 1, 1L << 20, &n, err))
            return -1;
        o->block_size = (int)n;
    } else if (!strcmp(name, "--num-gpu-blocks-override")) {
        if (parse_long(name, v, 1, (long)SIM_PREFIX_MAX_BLOCKS, &n, err))
            return -1;
        o->num_gpu_blocks = n;
    } else if (!strcmp(name, "--max-num-batched-tokens")) {
        if (parse_long(name, v, 1, 1L << 30, &n, err))
            return -1;
        o->max_num_batched_tokens = n;
    } else if (!strcmp(name, "--max-body-bytes")) {
        if (parse_long(name, v, 0, 1L << 40, &n, err))
            return -1;
        o->max_body_bytes = (size_t)n;
    } else if (!strcmp(name, "--max-header-bytes")) {
        if (parse_long(name, v, 256, 1L << 30, &n, err))
            return -1;
        o->max_header_bytes = (size_t)n;
    } else {
        return 0;
    }
    return 1;
}

static int parse_value_flag(sim_opts *o, const char *name, const char *v, sb_err *err)
{
    for (size_t i = 0; i < sizeof dflags / sizeof dflags[0]; i++)
        if (!strcmp(name, dflags[i].name)) {
            /* offsetof arithmetic on the struct's bytes, not a reinterpretation */
            /* cppcheck-suppress invalidPointerCast */
            double *field = (double *)((char *)o + dflags[i].off);
            return parse_double(name, v, dflags[i].lo, dflags[i].hi, field, err);
        }
    if (!strcmp(name, "--host")) {
        if (!*v || strlen(v) >= 255)
            return sb_err_set(err, "--host: '%s' is not a host name", v);
        o->host = v;
        return 0;
    }
    if (!strcmp(name, "--model")) {
        if (!*v || strlen(v) > 200 || strpbrk(v, "\"\\\n"))
            return sb_err_set(err, "--model: '%s' is not a usable model name", v);
        o->model = v;
        return 0;
    }
    if (!strcmp(name, "--max-loras")) {
        long n = 0;
        if (parse_long(name, v, 1, SIM_MAX_LORAS, &n, err))
            return -1;
        o->max_loras = (int)n;
        return 0;
    }
    if (!strcmp(name, "--record")) {
        o->record_path = v;
        return 0;
    }
    if (!strcmp(name, "--tokenizer")) {
        o->tokenizer = v;
        return 0;
    }
    const char **strs[] = {&o->model_config, &o->gpu, &o->kv_cache_dtype};
    const char *str_names[] = {"--model-config", "--gpu", "--kv-cache-dtype"};
    for (size_t i = 0; i < 3; i++)
        if (!strcmp(name, str_names[i])) {
            *strs[i] = v;
            return 0;
        }
    int r = parse_int_flag(o, name, v, err);
    if (r < 0)
        return -1;
    if (r == 0) /* sim_flags lists a flag this file does not read */
        return sb_err_set(err, "%s: not supported yet", name);
    return 0;
}

/* A model or adapter name a JSON answer can carry between quotes unescaped
 * (responses print it with %s, as --model). */
static int usable_name(const char *v, size_t cap)
{
    return *v && strlen(v) < cap && !strpbrk(v, "\"\\\n");
}

static int set_name(char *dst, size_t cap, const char *v)
{
    if (!usable_name(v, cap))
        return -1;
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

/* One --lora-modules value, as vllm/entrypoints/openai/cli_args.py:
 * LoRAParserAction reads it: `name=path` when it has a '=' and no ',', else
 * a JSON object with "name", "path" and optionally "base_model_name". */
static int parse_lora(sim_lora *l, const char *v, sb_err *err)
{
    memset(l, 0, sizeof *l);
    const char *eq = strchr(v, '=');
    if (eq && !strchr(v, ',')) {
        if (strchr(eq + 1, '='))
            return sb_err_set(err, "--lora-modules: '%s': name=path with one '=' expected", v);
        char name[SIM_NAME_MAX];
        size_t n = (size_t)(eq - v);
        if (n >= sizeof name || !eq[1] || strlen(eq + 1) >= sizeof l->path)
            return sb_err_set(err, "--lora-modules: '%s': empty or too long a name or path", v);
        memcpy(name, v, n);
        name[n] = '\0';
        if (set_name(l->name, sizeof l->name, name) != 0)
            return sb_err_set(err, "--lora-modules: '%s': '%s' is not a usable adapter name", v,
                              name);
        memcpy(l->path, eq + 1, strlen(eq + 1) + 1);
        return 0;
    }
    json_error_t jerr;
    json_t *j = json_loads(v, 0, &jerr);
    if (!j)
        return sb_err_set(err, "--lora-modules: '%s' is neither name=path nor JSON (column %d: %s)",
                          v, jerr.column, jerr.text);
    int rc = -1;
    const char *key;
    json_t *val;
    json_t *name = json_object_get(j, "name"), *path = json_object_get(j, "path");
    json_t *base = json_object_get(j, "base_model_name");
    if (!json_is_object(j)) {
        sb_err_set(err, "--lora-modules: '%s': a JSON object expected", v);
        goto out;
    }
    json_object_foreach(j, key, val)
    {
        if (strcmp(key, "name") != 0 && strcmp(key, "path") != 0 &&
            strcmp(key, "base_model_name") != 0) {
            sb_err_set(err, "--lora-modules: '%s': field \"%s\" is not supported yet", v, key);
            goto out;
        }
    }
    if (!json_is_string(name) || !json_is_string(path)) {
        sb_err_set(err, "--lora-modules: '%s': \"name\" and \"path\" strings are required", v);
        goto out;
    }
    if (set_name(l->name, sizeof l->name, json_string_value(name)) != 0) {
        sb_err_set(err, "--lora-modules: '%s': \"name\" is not a usable adapter name", v);
        goto out;
    }
    if (!json_string_length(path) || json_string_length(path) >= sizeof l->path ||
        strlen(json_string_value(path)) != json_string_length(path)) {
        sb_err_set(err, "--lora-modules: '%s': \"path\" is empty or too long", v);
        goto out;
    }
    memcpy(l->path, json_string_value(path), json_string_length(path) + 1);
    if (base && !json_is_null(base) &&
        (!json_is_string(base) ||
         set_name(l->base, sizeof l->base, json_string_value(base)) != 0)) {
        sb_err_set(err, "--lora-modules: '%s': \"base_model_name\" is not a usable model name", v);
        goto out;
    }
    rc = 0;
out:
    json_decref(j);
    return rc;
}

/* A word after --lora-modules or --served-model-name (argparse's nargs='+'). */
static int add_list_word(sim_opts *o, const char *list, const char *v, sb_err *err)
{
    if (!*v) /* LoRAParserAction skips empty items */
        return 0;
    if (!strcmp(list, "served-model-name")) {
        if (o->n_served == SIM_MAX_SERVED_NAMES)
            return sb_err_set(err, "--served-model-name: more than %d names", SIM_MAX_SERVED_NAMES);
        if (set_name(o->served[o->n_served], SIM_NAME_MAX, v) != 0)
            return sb_err_set(err, "--served-model-name: '%s' is not a usable model name", v);
        o->n_served++;
        return 0;
    }
    if (o->n_loras == SIM_MAX_LORAS)
        return sb_err_set(err, "--lora-modules: more than %d adapters", SIM_MAX_LORAS);
    if (parse_lora(&o->loras[o->n_loras], v, err) != 0)
        return -1;
    o->n_loras++;
    return 0;
}

/* The checks that need every flag read. */
static int check_names(const sim_opts *o, sb_err *err)
{
    if (o->n_loras && !o->enable_lora)
        return sb_err_set(err, "--lora-modules: needs --enable-lora (vLLM loads no adapter "
                               "without it)");
    if (o->max_loras != 1 && !o->enable_lora)
        return sb_err_set(err, "--max-loras: needs --enable-lora");
    int ns = o->n_served ? o->n_served : 1;
    for (int i = 0; i < o->n_loras; i++) /* the first match is an earlier name */
        if (sim_model_find(o, o->loras[i].name) != ns + i)
            return sb_err_set(err,
                              "--lora-modules: the name '%s' is given twice (or is a "
                              "served model name)",
                              o->loras[i].name);
    return 0;
}

int sim_model_find(const sim_opts *o, const char *name)
{
    int ns = o->n_served ? o->n_served : 1;
    for (int i = 0; i < ns; i++)
        if (!strcmp(name, sim_model_name(o, i)))
            return i;
    for (int i = 0; i < o->n_loras; i++)
        if (!strcmp(name, o->loras[i].name))
            return ns + i;
    return -1;
}

const char *sim_model_name(const sim_opts *o, int ref)
{
    int ns = o->n_served ? o->n_served : 1;
    if (ref < ns)
        return o->n_served ? o->served[ref] : o->model;
    return o->loras[ref - ns].name;
}

const char *sim_model_resp(const sim_conn *c)
{
    const sim_opts *o = &c->srv->o;
    /* vllm/entrypoints/openai/models/serving.py: model_name: the adapter's
     * name, else the first served name whichever alias was asked for */
    return c->req.lora ? o->loras[c->req.lora - 1].name : sim_model_name(o, 0);
}

int sim_model_pick(sim_conn *c, const char *name)
{
    const sim_opts *o = &c->srv->o;
    int ref = name ? sim_model_find(o, name) : 0;
    if (ref < 0)
        return -1;
    int ns = o->n_served ? o->n_served : 1;
    c->req.model_ref = (uint16_t)ref;
    c->req.lora = (uint16_t)(ref >= ns ? ref - ns + 1 : 0);
    if (c->req.lora)
        c->srv->t.lora_requests[c->req.lora - 1]++;
    return 0;
}

/* Every sim flag; the values are read by parse_value_flag. */
static const cli_opt sim_flags[] = {
    {"host", true},
    {"port", true},
    {"model", true},
    {"served-model-name", true},
    {"enable-lora", false},
    {"lora-modules", true},
    {"max-loras", true},
    {"max-body-bytes", true},
    {"max-header-bytes", true},
    {"record", true},
    {"tokenizer", true},
    {"quiet", false},
    {"record-messages", false},
    {"ttft-ms", true},
    {"ttft-std-ms", true},
    {"itl-ms", true},
    {"itl-std-ms", true},
    {"prefill-tok-per-s", true},
    {"itl-per-seq-us", true},
    {"max-num-seqs", true},
    {"max-model-len", true},
    {"tokens-per-chunk", true},
    {"embedding-dim", true},
    {"seed", true},
    {"firehose", false},
    {"fail-rate", true},
    {"reject-rate", true},
    {"reset-rate", true},
    {"drop-rate", true},
    {"malformed-rate", true},
    {"stall-rate", true},
    {"structured-fault-rate", true},
    {"stall-ms", true},
    {"reasoning-tokens", true},
    {"tool-call-tokens", true},
    {"model-config", true},
    {"gpu", true},
    {"tensor-parallel-size", true},
    {"gpu-memory-utilization", true},
    {"kv-cache-dtype", true},
    {"mfu", true},
    {"mbu", true},
    {"step-overhead-ms", true},
    {"allreduce-us", true},
    {"overhead-gib", true},
    {"enable-prefix-caching", false},
    {"no-enable-prefix-caching", false},
    {"block-size", true},
    {"num-gpu-blocks-override", true},
    {"max-num-batched-tokens", true},
};

int sim_opts_parse(sim_opts *o, int argc, char **argv, sb_err *err)
{
    cli_args a = {.argc = argc, .argv = argv, .i = 1};
    size_t row;
    const char *v;
    const char *list = NULL; /* the nargs='+' flag the next words belong to */
    for (;;) {
        int k = cli_args_next(&a, sim_flags, sizeof sim_flags / sizeof sim_flags[0], &row, &v, err);
        if (k == CLI_ARG_END) {
            if (o->max_num_batched_tokens && !o->model_config)
                return sb_err_set(err, "--max-num-batched-tokens: needs --model-config (the "
                                       "step budget exists in capacity mode only)");
            return check_names(o, err);
        }
        if (k == CLI_ARG_HELP)
            return 1;
        if (k < 0)
            return -1;
        if (k == CLI_ARG_WORD && list) {
            if (add_list_word(o, list, v, err) != 0)
                return -1;
            continue;
        }
        if (k == CLI_ARG_WORD)
            return sb_err_set(err, "unexpected argument '%s' (see servebench sim --help)", v);
        const char *name = sim_flags[row].name;
        list = NULL;
        if (!strcmp(name, "firehose"))
            o->firehose = 1;
        else if (!strcmp(name, "quiet"))
            o->quiet = 1;
        else if (!strcmp(name, "record-messages"))
            o->record_messages = 1;
        else if (!strcmp(name, "enable-prefix-caching"))
            o->enable_prefix_caching = 1;
        else if (!strcmp(name, "no-enable-prefix-caching"))
            o->enable_prefix_caching = 0;
        else if (!strcmp(name, "enable-lora"))
            o->enable_lora = 1;
        else if (!strcmp(name, "lora-modules") || !strcmp(name, "served-model-name")) {
            /* a repeated flag replaces the list, as argparse's does */
            list = name;
            if (*name == 'l')
                o->n_loras = 0;
            else
                o->n_served = 0;
            if (add_list_word(o, list, v, err) != 0)
                return -1;
        } else {
            char flag[64];
            snprintf(flag, sizeof flag, "--%s", name);
            if (parse_value_flag(o, flag, v, err) != 0)
                return -1;
        }
    }
}
