/* dataset_cmd.c - `servebench dataset generate|stats`.
 *
 * generate: synthetic JSON Lines datasets (TensorRT-LLM prepare_dataset's
 * token-norm-dist / token-unif-dist) for `serve --dataset-name custom`.
 * stats: loads any dataset with serve's dataset flags (this file parses that
 * subset itself, with the reference's spellings: `_` or `-`, `--f=v`) and
 * prints input/output/total length statistics. Only this file prints. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/config.h"
#include "core/clock.h"
#include "dataset/dataset.h"
#include "dataset/ds_gen.h"

typedef enum opt_kind { O_STR, O_LONG, O_DOUBLE, O_BOOL, O_U64, O_RATIO } opt_kind;

typedef struct opt {
    const char *name;
    opt_kind kind;
    size_t off; /* into sb_dataset_opts */
} opt;

#define DS(f) offsetof(sb_dataset_opts, f)
static const opt ds_opts[] = {
    {"dataset-name", O_STR, DS(name)},
    {"dataset-path", O_STR, DS(path)},
    {"num-prompts", O_LONG, DS(num_prompts)},
    {"seed", O_U64, DS(seed)},
    {"no-oversample", O_BOOL, DS(no_oversample)},
    {"disable-shuffle", O_BOOL, DS(disable_shuffle)},
    {"skip-chat-template", O_BOOL, DS(skip_chat_template)},
    {"no-stream", O_BOOL, DS(no_stream)},
    {"input-len", O_LONG, DS(input_len)},
    {"output-len", O_LONG, DS(output_len)},
    {"random-input-len", O_LONG, DS(random_input_len)},
    {"random-output-len", O_LONG, DS(random_output_len)},
    {"random-range-ratio", O_RATIO, 0},
    {"random-prefix-len", O_LONG, DS(random_prefix_len)},
    {"sharegpt-output-len", O_LONG, DS(sharegpt_output_len)},
    {"sonnet-input-len", O_LONG, DS(sonnet_input_len)},
    {"sonnet-output-len", O_LONG, DS(sonnet_output_len)},
    {"sonnet-prefix-len", O_LONG, DS(sonnet_prefix_len)},
    {"burstgpt-use-timestamps", O_BOOL, DS(burstgpt_use_timestamps)},
    {"custom-output-len", O_LONG, DS(custom_output_len)},
    {"prefix-repetition-prefix-len", O_LONG, DS(prefix_repetition_prefix_len)},
    {"prefix-repetition-suffix-len", O_LONG, DS(prefix_repetition_suffix_len)},
    {"prefix-repetition-num-prefixes", O_LONG, DS(prefix_repetition_num_prefixes)},
    {"prefix-repetition-output-len", O_LONG, DS(prefix_repetition_output_len)},
    {"hf-subset", O_STR, DS(hf_subset)},
    {"hf-split", O_STR, DS(hf_split)},
    {"hf-name", O_STR, DS(hf_name)},
    {"hf-output-len", O_LONG, DS(hf_output_len)},
    {"spec-bench-output-len", O_LONG, DS(spec_bench_output_len)},
    {"spec-bench-category", O_STR, DS(spec_bench_category)},
};

#define GO(f) offsetof(dataset_gen_opts, f)
static const opt gen_opts[] = {
    {"num-requests", O_LONG, GO(num_requests)}, {"seed", O_U64, GO(seed)},
    {"input-mean", O_DOUBLE, GO(input_mean)},   {"input-stdev", O_DOUBLE, GO(input_stdev)},
    {"output-mean", O_DOUBLE, GO(output_mean)}, {"output-stdev", O_DOUBLE, GO(output_stdev)},
    {"input-min", O_LONG, GO(input_min)},       {"input-max", O_LONG, GO(input_max)},
    {"output-min", O_LONG, GO(output_min)},     {"output-max", O_LONG, GO(output_max)},
};

typedef struct cmd_common {
    const char *tokenizer; /* --tokenizer, else --model */
    const char *model;
    const char *backend;
    const char *output; /* generate: --output FILE (default stdout) */
    int json;           /* stats: --json */
    const char *export_path; /* stats: --export FILE writes the requests as JSON Lines */
} cmd_common;

/* "--foo_bar=1" -> name "foo-bar", value "1" (the reference normalises '_'). */
static void split_flag(const char *arg, char *name, size_t cap, const char **val)
{
    const char *eq = strchr(arg, '=');
    size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        name[i] = arg[i] == '_' ? '-' : arg[i];
    name[n] = '\0';
    *val = eq ? eq + 1 : NULL;
}

static int parse_ratio(const char *v, sb_dataset_opts *d)
{
    char *end;
    double r = strtod(v, &end);
    if (end != v && *end == '\0') {
        d->random_range_ratio_in = d->random_range_ratio_out = r;
        return 0;
    }
    /* {"input": a, "output": b} */
    const char *pi = strstr(v, "\"input\""), *po = strstr(v, "\"output\"");
    if (!pi || !po || !strchr(pi, ':') || !strchr(po, ':'))
        return -1;
    d->random_range_ratio_in = strtod(strchr(pi, ':') + 1, NULL);
    d->random_range_ratio_out = strtod(strchr(po, ':') + 1, NULL);
    return 0;
}

static int set_opt(const opt *o, void *base, const char *v, sb_dataset_opts *ds)
{
    char *end = NULL;
    void *p = (char *)base + o->off;
    errno = 0;
    switch (o->kind) {
    case O_STR:
        free(*(char **)p);
        *(char **)p = strdup(v);
        return 0;
    case O_LONG:
        *(long *)p = strtol(v, &end, 10);
        break;
    case O_U64:
        if (*v == '-')
            return -1;
        *(uint64_t *)p = strtoull(v, &end, 10);
        break;
    case O_DOUBLE:
        *(double *)p = strtod(v, &end);
        break;
    case O_RATIO:
        return parse_ratio(v, ds);
    case O_BOOL:
        return 0;
    }
    return errno || end == v || *end ? -1 : 0;
}

static const opt *find_opt(const opt *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t[i].name, name))
            return &t[i];
    return NULL;
}

/* Parses argv into the table's struct and the common flags; positional
 * arguments go to *pos (at most one). Returns 0, or prints and returns 2. */
static int parse_args(int argc, char **argv, const opt *t, size_t nt, void *base,
                      sb_dataset_opts *ds, cmd_common *cc, const char **pos)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            if (pos && !*pos) {
                *pos = a;
                continue;
            }
            fprintf(stderr, "servebench dataset: unexpected argument '%s'\n", a);
            return SB_EXIT_USAGE;
        }
        char name[128];
        const char *v;
        split_flag(a + 2, name, sizeof name, &v);
        const opt *o = find_opt(t, nt, name);
        int is_bool = o && o->kind == O_BOOL;
        int common = !strcmp(name, "tokenizer") || !strcmp(name, "model") ||
                     !strcmp(name, "backend") || !strcmp(name, "output") ||
                     (!strcmp(name, "export") && cc);
        if (!strcmp(name, "json") && cc) {
            cc->json = 1;
            continue;
        }
        if (!o && !common) {
            fprintf(stderr, "servebench dataset: unknown option --%s (see --help)\n", name);
            return SB_EXIT_USAGE;
        }
        if (is_bool) {
            *(bool *)((char *)base + o->off) = true;
            continue;
        }
        if (!v && i + 1 >= argc) {
            fprintf(stderr, "servebench dataset: --%s needs a value\n", name);
            return SB_EXIT_USAGE;
        }
        if (!v)
            v = argv[++i];
        if (common) {
            const char **dst = !strcmp(name, "tokenizer") ? &cc->tokenizer
                               : !strcmp(name, "model")   ? &cc->model
                               : !strcmp(name, "backend") ? &cc->backend
                               : !strcmp(name, "export")  ? &cc->export_path
                                                          : &cc->output;
            *dst = v;
        } else if (set_opt(o, base, v, ds) != 0) {
            fprintf(stderr, "servebench dataset: bad value '%s' for --%s\n", v, name);
            return SB_EXIT_USAGE;
        }
    }
    return 0;
}

static tok *load_tok(const cmd_common *cc)
{
    const char *spec = cc->tokenizer ? cc->tokenizer : cc->model;
    if (!spec) {
        fprintf(stderr, "servebench dataset: --tokenizer (or --model) is required\n");
        return NULL;
    }
    sb_err err;
    sb_err_clear(&err);
    tok *t = tok_load(spec, &err);
    if (!t)
        fprintf(stderr, "servebench dataset: %s\n", err.msg);
    return t;
}

static void print_row(const char *label, const dataset_len_stats *s)
{
    printf("%-16s %10.0f %10.0f %10.2f %10.2f %10.2f %10.2f %10.2f\n", label, s->min, s->max,
           s->avg, s->p50, s->p90, s->p95, s->p99);
}

static void print_json_col(const char *label, const dataset_len_stats *s, int last)
{
    printf("  \"%s\": {\"min\": %.0f, \"max\": %.0f, \"avg\": %.4f, \"p50\": %.4f, \"p90\": "
           "%.4f, \"p95\": %.4f, \"p99\": %.4f}%s\n",
           label, s->min, s->max, s->avg, s->p50, s->p90, s->p95, s->p99, last ? "" : ",");
}

static void print_stats(const sb_dataset *ds, const char *name, double load_s, int json)
{
    dataset_len_stats in, out, tot;
    dataset_stats(ds, &in, &out, &tot);
    if (json) {
        printf("{\n  \"dataset\": \"%s\",\n  \"num_requests\": %zu,\n  \"load_seconds\": %.3f,\n",
               name, ds->n, load_s);
        print_json_col("input_len", &in, 0);
        print_json_col("output_len", &out, 0);
        print_json_col("total_len", &tot, 1);
        printf("}\n");
        return;
    }
    printf("================ Dataset Statistics ================\n");
    printf("Dataset:                %s\n", name);
    printf("Number of requests:     %zu\n", ds->n);
    printf("Load time (s):          %.3f\n", load_s);
    printf("%-16s %10s %10s %10s %10s %10s %10s %10s\n", "(tokens)", "min", "max", "avg", "p50",
           "p90", "p95", "p99");
    print_row("input length", &in);
    print_row("output length", &out);
    print_row("total length", &tot);
}

static void stats_help(FILE *f)
{
    fprintf(f,
            "usage: servebench dataset stats --tokenizer TOK [dataset flags] [--json]\n\n"
            "Loads a dataset exactly as `servebench serve` would and prints the number of\n"
            "requests and min/max/avg/p50/p90/p95/p99 of input, output and total length.\n\n"
            "  --tokenizer TOK          tokenizer.json, a folder, or a cached model name\n"
            "  --model NAME             used as the tokenizer when --tokenizer is absent\n"
            "  --backend NAME           decides sonnet's raw (openai-chat) or templated prompt\n"
            "  --json                   print the statistics as JSON\n"
            "  --export FILE            also write the requests as JSON Lines\n"
            "                           ({\"prompt\", \"output_tokens\", \"prompt_len\"})\n"
            "  dataset flags, as serve: --dataset-name --dataset-path --num-prompts --seed\n"
            "  --no-oversample --disable-shuffle --skip-chat-template --no-stream --input-len\n"
            "  --output-len --random-input-len --random-output-len --random-range-ratio\n"
            "  --random-prefix-len --sharegpt-output-len --sonnet-input-len\n"
            "  --sonnet-output-len --sonnet-prefix-len --burstgpt-use-timestamps\n"
            "  --custom-output-len --prefix-repetition-{prefix-len,suffix-len,num-prefixes,\n"
            "  output-len} --hf-subset --hf-split --hf-name --hf-output-len\n"
            "  --spec-bench-output-len --spec-bench-category\n\n"
            "See docs/dataset.md.\n");
}

static void generate_help(FILE *f)
{
    fprintf(f,
            "usage: servebench dataset generate token-norm-dist|token-unif-dist\n"
            "         --tokenizer TOK --num-requests N [--seed S] [--output FILE] ...\n\n"
            "Writes a synthetic dataset as JSON Lines ({\"prompt\", \"output_tokens\"}), for\n"
            "`servebench serve --dataset-name custom --custom-output-len -1\n"
            "--skip-chat-template`. Each prompt re-encodes to exactly its drawn length.\n\n"
            "  token-norm-dist  --input-mean M --input-stdev S --output-mean M --output-stdev S\n"
            "                   lengths max(1, ceil(normal)) from numpy RandomState(seed)\n"
            "  token-unif-dist  --input-min A --input-max B --output-min A --output-max B\n"
            "                   lengths default_rng(seed).integers(min, max + 1)\n"
            "  --num-requests N number of requests (required)\n"
            "  --seed S         default 0\n"
            "  --output FILE    default: standard output\n\n"
            "See docs/dataset.md.\n");
}

static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}

static int write_out(const sb_dataset *ds, const char *path)
{
    FILE *f = path ? fopen(path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "servebench dataset: cannot write %s: %s\n", path,
                strerror(errno));
        return SB_EXIT_FAIL;
    }
    sb_err err;
    sb_err_clear(&err);
    int bad = dataset_write_jsonl(ds, f, &err);
    if (path && fclose(f) != 0 && !bad)
        bad = sb_err_set(&err, "closing %s failed", path);
    if (bad) {
        fprintf(stderr, "servebench dataset: %s\n", err.msg);
        return SB_EXIT_FAIL;
    }
    return SB_EXIT_OK;
}

static int stats_cmd(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        stats_help(stdout);
        return SB_EXIT_OK;
    }
    sb_config cfg;
    sb_config_defaults(&cfg);
    cmd_common cc = {0};
    int rc = parse_args(argc, argv, ds_opts, sizeof ds_opts / sizeof ds_opts[0], &cfg.ds, &cfg.ds,
                        &cc, NULL);
    tok *t = rc == 0 ? load_tok(&cc) : NULL;
    if (rc == 0 && !t)
        rc = SB_EXIT_USAGE;
    if (rc == 0) {
        sb_dataset ds;
        sb_err err;
        sb_err_clear(&err);
        uint64_t t0 = sb_now_ns();
        if (dataset_load(&cfg.ds, t, cc.backend ? cc.backend : cfg.backend, &ds, &err) != 0) {
            fprintf(stderr, "servebench dataset stats: %s\n", err.msg);
            rc = SB_EXIT_USAGE;
        } else {
            double load_s = (double)(sb_now_ns() - t0) / 1e9;
            if (ds.warning)
                fprintf(stderr, "warning: %s\n", ds.warning);
            if (ds.n == 0) {
                fprintf(stderr, "servebench dataset stats: the dataset has no requests\n");
                rc = SB_EXIT_FAIL;
            } else {
                print_stats(&ds, cfg.ds.name, load_s, cc.json);
                if (cc.export_path)
                    rc = write_out(&ds, cc.export_path);
            }
            dataset_free(&ds);
        }
    }
    tok_free(t);
    sb_config_free(&cfg);
    return rc;
}

static int generate_cmd(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        generate_help(stdout);
        return SB_EXIT_OK;
    }
    dataset_gen_opts go = {.input_stdev = 0, .output_stdev = 0};
    cmd_common cc = {0};
    const char *dist = NULL;
    sb_dataset_opts unused = {0};
    int rc = parse_args(argc, argv, gen_opts, sizeof gen_opts / sizeof gen_opts[0], &go, &unused,
                        &cc, &dist);
    if (rc)
        return rc;
    if (!dist || (strcmp(dist, "token-norm-dist") && strcmp(dist, "token-unif-dist"))) {
        fprintf(stderr, "servebench dataset generate: give token-norm-dist or token-unif-dist\n");
        return SB_EXIT_USAGE;
    }
    go.dist = strcmp(dist, "token-norm-dist") ? DATASET_GEN_UNIF : DATASET_GEN_NORM;
    tok *t = load_tok(&cc);
    if (!t)
        return SB_EXIT_USAGE;
    sb_dataset ds;
    sb_err err;
    sb_err_clear(&err);
    if (dataset_generate(&go, t, &ds, &err) != 0) {
        fprintf(stderr, "servebench dataset generate: %s\n", err.msg);
        rc = SB_EXIT_USAGE;
    } else {
        if (ds.warning)
            fprintf(stderr, "warning: %s\n", ds.warning);
        rc = write_out(&ds, cc.output);
        dataset_free(&ds);
    }
    tok_free(t);
    return rc;
}

int dataset_cmd(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL;
    if (sub && !strcmp(sub, "generate"))
        return generate_cmd(argc - 1, argv + 1);
    if (sub && !strcmp(sub, "stats"))
        return stats_cmd(argc - 1, argv + 1);
    FILE *f = sub && (!strcmp(sub, "--help") || !strcmp(sub, "-h")) ? stdout : stderr;
    fprintf(f, "usage: servebench dataset generate|stats [options]\n\n"
               "  generate   write a synthetic dataset (token-norm-dist, token-unif-dist) as\n"
               "             JSON Lines for --dataset-name custom\n"
               "  stats      length statistics of any dataset, loaded as serve would\n\n"
               "`servebench dataset <sub> --help` lists the options; see docs/dataset.md.\n");
    return f == stdout ? SB_EXIT_OK : SB_EXIT_USAGE;
}
