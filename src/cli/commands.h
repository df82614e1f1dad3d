/* commands.h - the subcommands main.c dispatches to.
 *
 * Each takes the arguments after its own name (argv[0] is the command name)
 * and returns the process exit status:
 *   0  success
 *   1  the work failed (server unreachable, all requests failed, I/O error)
 *   2  bad usage (unknown flag, bad value, missing file); message on stderr */
#ifndef SB_COMMANDS_H
#define SB_COMMANDS_H

#define SB_EXIT_OK 0
#define SB_EXIT_FAIL 1
#define SB_EXIT_USAGE 2

int serve_cmd(int argc, char **argv);    /* cli/serve_cmd.c */
int sim_cmd(int argc, char **argv);      /* sim/sim_cmd.c */
int tokenize_cmd(int argc, char **argv); /* tokenizer/tokenize_cmd.c */
int dataset_cmd(int argc, char **argv);  /* dataset/dataset_cmd.c */
int report_cmd(int argc, char **argv);   /* app/report_cmd.c */
int plot_cmd(int argc, char **argv);     /* app/plot_cmd.c */

#endif
