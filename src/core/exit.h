/* SPDX-License-Identifier: Apache-2.0 */
/* exit.h - the process exit statuses every subcommand returns.
 *
 *   0  success
 *   1  the work failed (server unreachable, all requests failed, I/O error)
 *   2  bad usage (unknown flag, bad value, missing file); message on stderr
 *   130 serve: interrupted by Ctrl-C; what was measured is reported, marked partial
 *       (as a shell reports a command ended by SIGINT)
 *
 * In core/ so that a stage (run/) can return them without including the
 * application layer (app/commands.h). */
#ifndef SB_EXIT_H
#define SB_EXIT_H

#define SB_EXIT_OK 0
#define SB_EXIT_FAIL 1
#define SB_EXIT_USAGE 2
#define SB_EXIT_INTERRUPTED 130

#endif
