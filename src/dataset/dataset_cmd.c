/* dataset_cmd.c - `servebench dataset` (placeholder until its module lands). */
#include <stdio.h>

#include "cli/commands.h"

int dataset_cmd(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "servebench dataset: not built yet\n");
    return SB_EXIT_FAIL;
}
