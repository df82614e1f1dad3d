/* SPDX-License-Identifier: Apache-2.0 */
/* commands.h - the subcommands main.c dispatches to.
 *
 * Each takes the arguments after its own name (argv[0] is the command name)
 * and returns the process exit status, one of core/exit.h's SB_EXIT_*. */
#ifndef SB_COMMANDS_H
#define SB_COMMANDS_H

#include "core/exit.h"

int serve_cmd(int argc, char **argv);     /* app/serve_cmd.c */
int sim_cmd(int argc, char **argv);       /* app/sim_cmd.c */
int tokenize_cmd(int argc, char **argv);  /* app/tokenize_cmd.c */
int dataset_cmd(int argc, char **argv);   /* app/dataset_cmd.c */
int kv_cmd(int argc, char **argv);        /* app/kv_cmd.c */
int sweep_cmd(int argc, char **argv);     /* app/sweep_cmd.c */
int compare_cmd(int argc, char **argv);   /* app/compare_cmd.c */
int report_cmd(int argc, char **argv);    /* app/report_cmd.c */
int plot_cmd(int argc, char **argv);      /* app/plot_cmd.c */
int multiturn_cmd(int argc, char **argv); /* app/multiturn_cmd.c */

#endif
