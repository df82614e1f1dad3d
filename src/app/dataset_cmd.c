/* SPDX-License-Identifier: Apache-2.0 */
/* dataset_cmd.c - `servebench dataset generate|stats`.
 *
 * generate: synthetic JSON Lines datasets (TensorRT-LLM prepare_dataset's
 * token-norm-dist / token-unif-dist) for `serve --dataset-name custom`.
 * stats: loads any dataset from a serve command line (parsed by the cli
 * module's serve parser, so the flags cannot drift) and prints input, output
 * and total length statistics. generate's few flags are parsed here. Only
 * this file prints. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "app/commands.h"
#include "config/config.h"
#include "core/clock.h"
#include "dataset/dataset.h"
#include "dataset/ds_gen.h"

typedef enum opt_kind { O_STR, O_LONG, O_DOUBLE, O_BOOL, O_U64 } opt_kind;

typedef struct opt {
    const char *name;
    opt_kind kind;
    size_t off; /* into dataset_gen_opts */
} opt;

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
    const char *output;      /* generate: --output FILE (default stdout) */
    int json;                /* stats: --json */
    const char *export_path; /* stats: --export FILE writes the requests as JSON Lines */
    const char *compat;      /* stats: --tokenizer-compat */
} cmd_common;

static int set_opt(const opt *o, void *base, const char *v)
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
    case O_BOOL:
        return 0;
    }
    return errno || end == v || *end ? -1 : 0;
}

/* The flags every generator takes besides its table's. */
static const char *const common_flags[] = {"tokenizer", "model", "output"};
#define N_COMMON (sizeof common_flags / sizeof common_flags[0])

/* Parses argv into the table's struct and the common flags (cli/opt.h's
 * rules); positional arguments go to *pos (at most one). Returns 0, or
 * prints and returns 2. */
static int parse_args(int argc, char **argv, const opt *t, size_t nt, void *base, cmd_common *cc,
                      const char **pos)
{
    cli_opt *flags = sb_xmalloc((N_COMMON + nt) * sizeof *flags);
    for (size_t i = 0; i < N_COMMON; i++)
        flags[i] = (cli_opt){common_flags[i], true};
    for (size_t i = 0; i < nt; i++)
        flags[N_COMMON + i] = (cli_opt){t[i].name, t[i].kind != O_BOOL};
    cli_args a = {.argc = argc, .argv = argv, .i = 1};
    sb_err err;
    sb_err_clear(&err);
    int rc = 0;
    for (;;) {
        size_t row;
        const char *v;
        int k = cli_args_next(&a, flags, N_COMMON + nt, &row, &v, &err);
        if (k == CLI_ARG_END)
            break;
        if (k < 0 || k == CLI_ARG_HELP) { /* --help was handled before */
            fprintf(stderr, "servebench dataset: %s (see --help)\n", err.msg);
            rc = SB_EXIT_USAGE;
            break;
        }
        if (k == CLI_ARG_WORD) {
            if (pos && !*pos) {
                *pos = v;
                continue;
            }
            fprintf(stderr, "servebench dataset: unexpected argument '%s'\n", v);
            rc = SB_EXIT_USAGE;
            break;
        }
        if (row < N_COMMON) {
            const char **dst = row == 0 ? &cc->tokenizer : row == 1 ? &cc->model : &cc->output;
            *dst = v;
            continue;
        }
        const opt *o = &t[row - N_COMMON];
        if (o->kind == O_BOOL) {
            *(bool *)((char *)base + o->off) = true;
        } else if (set_opt(o, base, v) != 0) {
            fprintf(stderr, "servebench dataset: bad value '%s' for --%s\n", v, o->name);
            rc = SB_EXIT_USAGE;
            break;
        }
    }
    free(flags);
    return rc;
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
    tok_compat tc = TOK_COMPAT_TRANSFORMERS;
    if (cc->compat && tok_compat_parse(cc->compat, &tc) != 0) {
        fprintf(stderr,
                "servebench dataset: --tokenizer-compat: '%s' is not transformers, "
                "transformers5 or tokenizers\n",
                cc->compat);
        return NULL;
    }
    tok *t = tok_load_compat(spec, tc, &err);
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
    if (ds->trace.present) /* mooncake: the sharing its hash ids imply */
        printf("Trace rows:             %zu used, %zu skipped\n"
               "Prefix-shared tokens:   %llu of %llu (%.2f%%)\n",
               ds->trace.rows_used, ds->trace.rows_skipped,
               (unsigned long long)ds->trace.shared_tokens,
               (unsigned long long)ds->trace.prompt_tokens,
               ds->trace.prompt_tokens
                   ? 100.0 * (double)ds->trace.shared_tokens / (double)ds->trace.prompt_tokens
                   : 0.0);
    printf("%-16s %10s %10s %10s %10s %10s %10s %10s\n", "(tokens)", "min", "max", "avg", "p50",
           "p90", "p95", "p99");
    print_row("input length", &in);
    print_row("output length", &out);
    print_row("total length", &tot);
}

static void stats_help(FILE *f)
{
    fprintf(f,
            "usage: servebench dataset stats [serve flags...] [--json] [--export FILE]\n\n"
            "Loads a dataset exactly as `servebench serve` would with the same command line\n"
            "(every serve flag is accepted; the dataset flags, --tokenizer/--model and\n"
            "--backend matter) and prints the number of requests and min/max/avg/p50/p90/\n"
            "p95/p99 of input, output and total length. Nothing is sent.\n\n"
            "  --tokenizer TOK  tokenizer.json, a folder, or a cached model name (else --model)\n"
            "  --json           print the statistics as JSON\n"
            "  --export FILE    also write the requests as JSON Lines\n"
            "                   ({\"prompt\", \"output_tokens\", \"prompt_len\"})\n\n"
            "See `servebench serve --help` for the dataset flags and docs/dataset.md.\n");
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
        fprintf(stderr, "servebench dataset: cannot write %s: %s\n", path, strerror(errno));
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

/* stats' own flags; every other argument is a serve command line, handed
 * on (cli_args's pass_unknown) to cli_parse_dataset_stats. */
static const cli_opt stats_flags[] = {{"json", false}, {"export", true}};

/* Takes stats' own flags out of argv into cc and the rest into out. Returns
 * the new argc, or -1 with err (a bad use of --json or --export). */
static int strip_stats_flags(int argc, char **argv, char **out, cmd_common *cc, sb_err *err)
{
    int n = 0;
    out[n++] = argv[0];
    cli_args a = {.argc = argc, .argv = argv, .i = 1, .pass_unknown = true};
    for (;;) {
        size_t row;
        const char *v = NULL;
        int k = cli_args_next(&a, stats_flags, sizeof stats_flags / sizeof stats_flags[0], &row, &v,
                              err);
        if (k == CLI_ARG_END)
            break;
        if (k < 0)
            return -1;
        if (k == CLI_ARG_FLAG && !strcmp(stats_flags[row].name, "json"))
            cc->json = 1;
        else if (k == CLI_ARG_FLAG && !strcmp(stats_flags[row].name, "export"))
            cc->export_path = v;
        else /* a serve flag or its value; help too (cli_parse_dataset_stats answers it) */
            out[n++] = argv[a.i - 1];
    }
    out[n] = NULL;
    return n;
}

static int stats_run(const sb_config *cfg, const cmd_common *cc)
{
    cmd_common tc = {
        .tokenizer = cfg->tokenizer, .model = cfg->model, .compat = cfg->tokenizer_compat};
    tok *t = load_tok(&tc);
    if (!t)
        return SB_EXIT_USAGE;
    sb_dataset ds;
    sb_err err;
    sb_err_clear(&err);
    int rc = SB_EXIT_OK;
    uint64_t t0 = sb_now_ns();
    if (dataset_load(&cfg->ds, t, cfg->backend, &ds, &err) != 0) {
        fprintf(stderr, "servebench dataset stats: %s\n", err.msg);
        rc = SB_EXIT_USAGE;
    } else {
        double load_s = (double)(sb_now_ns() - t0) / 1e9;
        if (ds.info)
            fprintf(stderr, "%s\n", ds.info);
        if (ds.warning)
            fprintf(stderr, "warning: %s\n", ds.warning);
        if (ds.n == 0) {
            fprintf(stderr, "servebench dataset stats: the dataset has no requests\n");
            rc = SB_EXIT_FAIL;
        } else {
            print_stats(&ds, cfg->ds.name, load_s, cc->json);
            if (cc->export_path)
                rc = write_out(&ds, cc->export_path);
        }
        dataset_free(&ds);
    }
    tok_free(t);
    return rc;
}

/* stats parses a whole `serve` command line with the cli module's parser,
 * so every flag, alias and spelling serve accepts is accepted here too. */
static int stats_cmd(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        stats_help(stdout);
        return SB_EXIT_OK;
    }
    cmd_common cc = {0};
    char **av = sb_xcalloc((size_t)argc + 1, sizeof *av);
    sb_err err;
    sb_err_clear(&err);
    int ac = strip_stats_flags(argc, argv, av, &cc, &err);
    if (ac < 0) {
        free(av);
        fprintf(stderr, "servebench dataset stats: error: %s (see --help)\n", err.msg);
        return SB_EXIT_USAGE;
    }
    sb_config cfg;
    sb_buf notes;
    sb_buf_init(&notes);
    int r = cli_parse_dataset_stats(ac, av, &cfg, &notes, &err);
    free(av);
    if (notes.len)
        fprintf(stderr, "%s", notes.data);
    sb_buf_free(&notes);
    if (r < 0) {
        fprintf(stderr, "servebench dataset stats: error: %s\n", err.msg);
        return SB_EXIT_USAGE;
    }
    if (r != CLI_PARSED) {
        stats_help(stdout);
        return SB_EXIT_OK;
    }
    int rc = stats_run(&cfg, &cc);
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
    int rc =
        parse_args(argc, argv, gen_opts, sizeof gen_opts / sizeof gen_opts[0], &go, &cc, &dist);
    if (rc)
        return rc;
    if (!dist || (strcmp(dist, "token-norm-dist") != 0 && strcmp(dist, "token-unif-dist") != 0)) {
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
