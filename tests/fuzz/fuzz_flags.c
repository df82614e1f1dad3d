/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_flags.c - libFuzzer target for the command-line parsers: `serve`
 * (cli_parse_serve, with every flag value parser behind it), `dataset stats`
 * (cli_parse_dataset_stats) and `sim` (sim_opts_parse), on argv vectors.
 *
 * Byte 0 picks the parser; the rest is split at NUL bytes into argv words.
 * Each must end in a parsed result, help, or -1 with a message, never a
 * crash, leak or UB (flag values are numbers the parsers range-check). Paths
 * in words stay inside a private empty directory ('/' becomes '_' and the
 * fuzzer runs there: fuzz_private_dir.h), so a word naming a file never reads the disk at large
 * and nothing a parser might create lands in the source tree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "fuzz_private_dir.h"
#include "sim/sim.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WORDS 256

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_enter_private_dir(*argc, *argv, "flags");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int which = data[0] % 3;
    char *buf = malloc(size);
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    for (size_t i = 0; i + 1 < size; i++)
        if (buf[i] == '/')
            buf[i] = '_';
    char *argv[MAX_WORDS + 2];
    int argc = 0;
    argv[argc++] = which == 2 ? "sim" : which == 1 ? "stats" : "serve";
    for (char *p = buf; p < buf + size && argc < MAX_WORDS; p += strlen(p) + 1) {
        argv[argc++] = p;
        if (p + strlen(p) >= buf + size - 1)
            break;
    }
    argv[argc] = NULL;
    sb_err err;
    sb_err_clear(&err);
    if (which == 2) {
        sim_opts o;
        sim_opts_default(&o);
        if (sim_opts_parse(&o, argc, argv, &err) < 0 && !err.msg[0])
            abort();
    } else {
        sb_config cfg;
        sb_buf notes;
        sb_buf_init(&notes);
        int rc = which == 1 ? cli_parse_dataset_stats(argc, argv, &cfg, &notes, &err)
                            : cli_parse_serve(argc, argv, &cfg, &notes, &err);
        if (rc == CLI_PARSED)
            sb_config_free(&cfg);
        else if (rc < 0 && !err.msg[0])
            abort();
        sb_buf_free(&notes);
    }
    free(buf);
    return 0;
}
