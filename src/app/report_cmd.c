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

int report_cmd(int argc, char **argv)
{
    const char *out = "report.html";
    bool force = false;
    char **files = sb_xcalloc((size_t)argc + 1, sizeof *files);
    size_t nf = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            free(files);
            return SB_EXIT_OK;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "servebench report: %s needs a file name\n", a);
                free(files);
                return SB_EXIT_USAGE;
            }
            out = argv[++i];
        } else if (!strncmp(a, "--output=", 9)) {
            out = a + 9;
        } else if (!strcmp(a, "--force")) {
            force = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "servebench report: unknown option '%s'\n", a);
            usage(stderr);
            free(files);
            return SB_EXIT_USAGE;
        } else {
            files[nf++] = argv[i];
        }
    }
    if (!nf) {
        fprintf(stderr, "servebench report: no input file\n");
        usage(stderr);
        free(files);
        return SB_EXIT_USAGE;
    }
    sb_err err;
    sb_err_clear(&err);
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
