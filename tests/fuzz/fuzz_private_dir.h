/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_private_dir.h - runs a fuzz target inside a private empty directory.
 *
 * For targets whose inputs name files (flag values, config entries): with
 * '/' removed from the input, every path the code opens resolves inside this
 * directory, so fuzzing never reads the disk at large and nothing the code
 * creates lands in the source tree. libFuzzer reads corpus files lazily,
 * after LLVMFuzzerInitialize, so the corpus directories on its command line
 * are made absolute first (LLVMFuzzerInitialize may rewrite argv). */
#ifndef SB_FUZZ_PRIVATE_DIR_H
#define SB_FUZZ_PRIVATE_DIR_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzz_private_dir[64];

/* At exit: the files the target left (flat: nothing makes directories), then
 * the directory itself. */
static void fuzz_remove_private_dir(void)
{
    DIR *d = opendir(fuzz_private_dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(fuzz_private_dir);
}

static void fuzz_enter_private_dir(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++) {
        struct stat st;
        char *abs;
        if (argv[i][0] != '-' && argv[i][0] != '/' && stat(argv[i], &st) == 0 &&
            (abs = realpath(argv[i], NULL)) != NULL)
            argv[i] = abs; /* kept for the process's life, as argv is */
    }
    snprintf(fuzz_private_dir, sizeof fuzz_private_dir, "/tmp/sb-fuzz-%sXXXXXX", name);
    if (!mkdtemp(fuzz_private_dir) || chdir(fuzz_private_dir) != 0) {
        perror("fuzz: private directory");
        abort();
    }
    atexit(fuzz_remove_private_dir);
}

#endif
