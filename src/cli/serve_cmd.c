/* serve_cmd.c - `servebench serve` (placeholder until its module lands). */
#include <stdio.h>

#include "cli/commands.h"

int serve_cmd(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "servebench serve: not built yet\n");
    return SB_EXIT_FAIL;
}
