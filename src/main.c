/* SPDX-License-Identifier: Apache-2.0 */
/* main.c - servebench's entry point: picks the subcommand, nothing else.
 * All work lives in the library under src/; see docs/ARCHITECTURE.md. */
#include <stdio.h>
#include <string.h>

#include "app/commands.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"serve", serve_cmd, "benchmark an LLM server (drop-in for `vllm bench serve`)"},
    {"sim", sim_cmd, "run the built-in simulated OpenAI-compatible LLM server"},
    {"tokenize", tokenize_cmd, "encode/decode text with a Hugging Face tokenizer.json"},
    {"dataset", dataset_cmd, "generate synthetic datasets and show dataset statistics"},
    {"kv", kv_cmd, "KV-cache sizing: tokens and sequences that fit on a GPU, from config.json"},
    {"sweep", sweep_cmd, "run serve over a grid, repeat points, search the capacity under SLOs"},
    {"compare", compare_cmd, "compare result JSON files metric by metric, with significance"},
    {"report", report_cmd, "one self-contained HTML report from result and sweep files"},
    {"plot", plot_cmd, "one report chart as a PNG or SVG image"},
    {"multi-turn", multiturn_cmd,
     "multi-turn conversations with the command line of vLLM's multi-turn benchmark"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: servebench <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "  %-10s %s\n", "help", "this text, or `servebench help <command>`");
    fprintf(out, "  %-10s %s\n", "version", "print the version");
    fprintf(
        out,
        "\n`servebench <command> --help` describes each command; docs/ has the manual pages.\n");
}

static const command *find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return SB_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
        if (argc > 2 && find(argv[2])) {
            char *help_argv[] = {argv[2], "--help", NULL};
            return find(argv[2])->run(2, help_argv);
        }
        usage(stdout);
        return SB_EXIT_OK;
    }
    if (!strcmp(name, "version") || !strcmp(name, "--version")) {
        printf("servebench %s\n", SB_VERSION);
        return SB_EXIT_OK;
    }
    const command *c = find(name);
    if (!c) {
        fprintf(stderr, "servebench: unknown command '%s'\n\n", name);
        usage(stderr);
        return SB_EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
