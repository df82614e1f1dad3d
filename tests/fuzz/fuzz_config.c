/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_config.c - libFuzzer target for the `--config FILE.yaml` reader: the
 * input is the file. It is read into words (cli_config_file_words) and then
 * through `serve --config FILE`, which expands the words before the command
 * line and parses them. Either must end in words/a config or an error naming
 * the file, never a crash, leak or UB. '/' bytes become '_' and the fuzzer
 * runs in a private directory, so a value naming a file (dataset path,
 * another --config) never reads the disk at large. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "fuzz_private_dir.h"
#include "cli/flags.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_enter_private_dir(*argc, *argv, "config");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen("c.yaml", "wb");
    if (!f)
        abort();
    for (size_t i = 0; i < size; i++)
        fputc(data[i] == '/' ? '_' : data[i], f);
    fclose(f);
    sb_err err;
    sb_err_clear(&err);
    char **words = NULL;
    int n = 0;
    if (cli_config_file_words("c.yaml", &words, &n, &err) == 0) {
        for (int i = 0; i < n; i++) {
            if (!words[i])
                abort();
            free(words[i]);
        }
        free(words);
    } else if (!strstr(err.msg, "c.yaml")) {
        abort(); /* an error must name the file */
    }
    char *argv[] = {"serve", "--config", "c.yaml", NULL};
    sb_config cfg;
    sb_buf notes;
    sb_buf_init(&notes);
    sb_err_clear(&err);
    int rc = cli_parse_serve(3, argv, &cfg, &notes, &err);
    if (rc == CLI_PARSED)
        sb_config_free(&cfg);
    else if (rc < 0 && !err.msg[0])
        abort();
    sb_buf_free(&notes);
    return 0;
}
