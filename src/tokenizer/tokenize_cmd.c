/* tokenize_cmd.c - `servebench tokenize` (placeholder until its module lands). */
#include <stdio.h>

#include "cli/commands.h"

int tokenize_cmd(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "servebench tokenize: not built yet\n");
    return SB_EXIT_FAIL;
}
