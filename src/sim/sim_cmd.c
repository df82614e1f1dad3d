/* sim_cmd.c - `servebench sim` (placeholder until its module lands). */
#include <stdio.h>

#include "cli/commands.h"

int sim_cmd(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "servebench sim: not built yet\n");
    return SB_EXIT_FAIL;
}
