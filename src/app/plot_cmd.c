/* SPDX-License-Identifier: Apache-2.0 */
/* plot_cmd.c - `servebench plot FILE... -o out.png|out.svg --chart NAME`.
 *
 * Any chart of the report as a standalone image: the same chart description
 * (src/report/rcharts.c) drawn by the SVG writer or by cairo, chosen by the
 * output's suffix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "app/commands.h"
#include "cli/opt.h"
#include "report/html.h"

static void usage(FILE *f)
{
    fputs("usage: servebench plot FILE... -o OUT.png|OUT.svg --chart NAME [options]\n"
          "       servebench plot FILE... --list\n\n"
          "Draws one chart of `servebench report` as a PNG (cairo) or SVG file.\n\n"
          "  -o, --output PATH   image file; .png or .svg\n"
          "  --chart NAME        chart id (see --list); charts of the second and later files\n"
          "                      are named f2-NAME, f3-NAME, ...; turns-ttft and turns-input\n"
          "                      (runs with --multi-turn) span all the files\n"
          "  --width PX          image width (default 800)\n"
          "  --height PX         image height (default 480)\n"
          "  --list              print the chart ids the files give and exit\n"
          "  --force             overwrite OUT when it exists\n"
          "  -h, --help          this text\n\nSee docs/plot.md.\n",
          f);
}

static int size_arg(const char *flag, const char *v, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < 100 || n > 10000) {
        fprintf(stderr,
                "servebench plot: --%s must be a whole number of pixels from 100 to 10000 "
                "(got '%s')\n",
                flag, v);
        return -1;
    }
    *out = (int)n;
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcasecmp(s + a - b, suffix);
}

static const cli_opt plot_flags[] = {
    {"output", true}, {"o", true},     {"chart", true},  {"width", true},
    {"height", true}, {"list", false}, {"force", false},
};

int plot_cmd(int argc, char **argv)
{
    const char *out = NULL, *name = NULL;
    bool force = false, list = false;
    int w = 800, h = 480;
    char **files = sb_xcalloc((size_t)argc + 1, sizeof *files);
    size_t nf = 0;
    int rc = SB_EXIT_USAGE;
    cli_args args = {.argc = argc, .argv = argv, .i = 1};
    size_t row;
    const char *v;
    sb_err err;
    sb_err_clear(&err);
    for (int k; (k = cli_args_next(&args, plot_flags, sizeof plot_flags / sizeof *plot_flags, &row,
                                   &v, &err)) != CLI_ARG_END;) {
        if (k == CLI_ARG_HELP) {
            usage(stdout);
            free(files);
            return SB_EXIT_OK;
        }
        if (k < 0) {
            fprintf(stderr, "servebench plot: %s (see --help)\n", err.msg);
            goto done;
        }
        const char *flag = k == CLI_ARG_FLAG ? plot_flags[row].name : "";
        if (k == CLI_ARG_WORD)
            files[nf++] = argv[args.i - 1];
        else if (!strcmp(flag, "output") || !strcmp(flag, "o"))
            out = v;
        else if (!strcmp(flag, "chart"))
            name = v;
        else if (!strcmp(flag, "width") || !strcmp(flag, "height")) {
            if (size_arg(flag, v, flag[0] == 'w' ? &w : &h) < 0)
                goto done;
        } else if (!strcmp(flag, "list"))
            list = true;
        else if (!strcmp(flag, "force"))
            force = true;
    }
    if (!nf || (!list && (!out || !name))) {
        fprintf(stderr, "servebench plot: %s\n",
                !nf ? "no input file" : "needs -o OUT.png|OUT.svg and --chart NAME (or --list)");
        usage(stderr);
        goto done;
    }
    bool png = out && ends_with(out, ".png");
    if (!list && !png && !ends_with(out, ".svg")) {
        fprintf(stderr, "servebench plot: -o %s: the name must end in .png or .svg\n", out);
        goto done;
    }
    report_bundle b;
    if (report_bundle_load(&b, files, nf, &err) != 0) {
        fprintf(stderr, "servebench plot: %s\n", err.msg);
        report_bundle_free(&b);
        goto done;
    }
    if (list) {
        for (size_t i = 0; i < b.charts.n; i++)
            printf("%-24s %s\n", b.charts.c[i]->id, b.charts.c[i]->title);
        rc = SB_EXIT_OK;
    } else {
        const chart *c = report_charts_find(&b.charts, name);
        if (!c) {
            fprintf(stderr,
                    "servebench plot: no chart '%s' in these files (`servebench plot "
                    "FILE... --list` names them)\n",
                    name);
        } else if (png && !force && access(out, F_OK) == 0) {
            fprintf(stderr, "servebench plot: %s exists; use --force to overwrite it\n", out);
        } else if (png) {
            rc = chart_png(out, &c, 1, 1, w, h, &err) == 0 ? SB_EXIT_OK : SB_EXIT_FAIL;
            chart_png_shutdown();
        } else {
            sb_buf svg;
            sb_buf_init(&svg);
            sb_buf_puts(&svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            chart_svg(&svg, c, w, h, true);
            rc = report_write_file(out, svg.data, svg.len, force, &err) == 0 ? SB_EXIT_OK
                                                                             : SB_EXIT_FAIL;
            sb_buf_free(&svg);
        }
        if (rc == SB_EXIT_FAIL)
            fprintf(stderr, "servebench plot: %s\n", err.msg);
        else if (rc == SB_EXIT_OK)
            printf("Wrote %s (%s, %dx%d)\n", out, c->id, w, h);
    }
    report_bundle_free(&b);
done:
    free(files);
    return rc;
}
