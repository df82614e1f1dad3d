/* SPDX-License-Identifier: Apache-2.0 */
/* serve_cmd.c - `servebench serve`: flags -> sb_config -> run_serve.
 *
 * The only place of the serve path that prints and picks exit codes: parse
 * messages and the Namespace-like summary here, the run itself in
 * src/run (run.h). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "app/commands.h"
#include "dataset/dataset.h"
#include "mpi/mpir.h"
#include "run/run.h"

int serve_cmd(int argc, char **argv)
{
    sb_config cfg;
    sb_buf notes, text;
    sb_err err;
    sb_buf_init(&notes);
    sb_buf_init(&text);
    int rc = cli_parse_serve(argc, argv, &cfg, &notes, &err);
    if (notes.len)
        fputs(notes.data, stderr);
    sb_buf_free(&notes);
    if (rc == CLI_HELP || rc == CLI_HELP_MD) {
        (rc == CLI_HELP ? cli_serve_help : cli_serve_help_markdown)(&text);
        fputs(text.data, stdout);
        sb_buf_free(&text);
        return SB_EXIT_OK;
    }
    if (rc < 0) {
        fprintf(stderr, "servebench serve: error: %s\n", err.msg);
        return SB_EXIT_USAGE;
    }
    /* Counts and lengths before anything is allocated from them. */
    if (dataset_check_opts(&cfg.ds, cfg.num_warmups, &err) != 0) {
        fprintf(stderr, "servebench serve: error: %s\n", err.msg);
        sb_config_free(&cfg);
        return SB_EXIT_USAGE;
    }
    /* Under mpirun (or with --mpi) this process is one rank of the run;
     * from here on only rank 0 prints to stdout (docs/scale-out.md). */
    if (mpir_start(cfg.mpi, &err) != 0) {
        fprintf(stderr, "servebench serve: error: %s\n", err.msg);
        sb_config_free(&cfg);
        return SB_EXIT_USAGE;
    }
    const char *key = getenv("OPENAI_API_KEY");
    if (key && *key)
        cfg.api_key = sb_xstrdup(key);
    cli_serve_summary(&cfg, &text);
    fputs(text.data, stdout);
    fflush(stdout);
    sb_buf_free(&text);
    int status = run_serve(&cfg);
    sb_config_free(&cfg);
    mpir_stop();
    return status;
}
