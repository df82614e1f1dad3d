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

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void fuzz_enter_private_dir(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++) {
        struct stat st;
        char *abs;
        if (argv[i][0] != '-' && argv[i][0] != '/' && stat(argv[i], &st) == 0 &&
            (abs = realpath(argv[i], NULL)) != NULL)
            argv[i] = abs; /* kept for the process's life, as argv is */
    }
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/sb-fuzz-%sXXXXXX", name);
    if (!mkdtemp(dir) || chdir(dir) != 0) {
        perror("fuzz: private directory");
        abort();
    }
}

#endif
