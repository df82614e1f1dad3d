/* SPDX-License-Identifier: Apache-2.0 */
/* report_cmd.c - `servebench report FILE... -o report.html`.
 *
 * Reads result JSON files and sweep.jsonl files and writes one
 * self-contained HTML page (src/report/html.c). The page is built in memory
 * and written to a temporary file renamed over the target, so a failed run
 * never leaves half a report; an existing file is kept unless --force. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/commands.h"
#include "cli/opt.h"
#include "report/html.h"

static void usage(FILE *f)
{
    fputs("usage: servebench report FILE... [-o report.html] [--force]\n\n"
          "Writes one self-contained HTML report (inline SVG charts, no network) from result\n"
          "JSON files (`servebench serve --save-result [--save-detailed]`, or `vllm bench\n"
          "serve --save-result`) and sweep files (sweep.jsonl of `servebench sweep`).\n\n"
          "  -o, --output PATH   the HTML file (default report.html)\n"
          "  --force             overwrite PATH when it exists\n"
          "  -h, --help          this text\n\nSee docs/report.md.\n",
          f);
}

static const cli_opt report_flags[] = {
    {"output", true},
    {"o", true},
    {"force", false},
};

int report_cmd(int argc, char **argv)
{
    const char *out = "report.html";
    bool force = false;
    char **files = sb_xcalloc((size_t)argc + 1, sizeof *files);
    size_t nf = 0;
    cli_args args = {.argc = argc, .argv = argv, .i = 1};
    size_t row;
    const char *v;
    sb_err err;
    sb_err_clear(&err);
    for (int k; (k = cli_args_next(&args, report_flags, sizeof report_flags / sizeof *report_flags,
                                   &row, &v, &err)) != CLI_ARG_END;) {
        if (k == CLI_ARG_HELP) {
            usage(stdout);
            free(files);
            return SB_EXIT_OK;
        }
        if (k < 0) {
            fprintf(stderr, "servebench report: %s (see --help)\n", err.msg);
            free(files);
            return SB_EXIT_USAGE;
        }
        const char *name = k == CLI_ARG_FLAG ? report_flags[row].name : "";
        if (k == CLI_ARG_WORD)
            files[nf++] = argv[args.i - 1];
        else if (!strcmp(name, "output") || !strcmp(name, "o"))
            out = v;
        else if (!strcmp(name, "force"))
            force = true;
    }
    if (!nf) {
        fprintf(stderr, "servebench report: no input file\n");
        usage(stderr);
        free(files);
        return SB_EXIT_USAGE;
    }
    report_bundle b;
    if (report_bundle_load(&b, files, nf, &err) != 0) {
        fprintf(stderr, "servebench report: %s\n", err.msg);
        report_bundle_free(&b);
        free(files);
        return SB_EXIT_USAGE;
    }
    sb_buf html;
    sb_buf_init(&html);
    report_inputs in = {b.runs, b.n_runs, b.sweeps, b.n_sweeps, &b.charts};
    report_html(&html, &in);
    int rc = SB_EXIT_OK;
    if (report_write_file(out, html.data, html.len, force, &err) != 0) {
        fprintf(stderr, "servebench report: %s\n", err.msg);
        rc = SB_EXIT_FAIL;
    } else {
        printf("Wrote %s (%zu charts, %.1f kB)\n", out, b.charts.n, (double)html.len / 1024);
    }
    sb_buf_free(&html);
    report_bundle_free(&b);
    free(files);
    return rc;
}
