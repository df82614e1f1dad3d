/* SPDX-License-Identifier: Apache-2.0 */
/* testutil.h - shared plumbing for the cmocka tests: paths from the
 * environment CTest sets, running the real binary, and starting a real
 * `servebench sim` on an ephemeral port. */
#ifndef SB_TESTUTIL_H
#define SB_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

#include "core/buf.h"

/* Value of an environment variable CTest sets (SB_BIN, SB_SOURCE_DIR,
 * SB_TEST_DATA, SB_BUILD_DIR); fails the test when missing. */
const char *tu_env(const char *name);
/* malloc'd path: $SB_TEST_DATA/<rel>. */
char *tu_data_path(const char *rel);
/* Reads a whole file into out; returns 0 or -1. */
int tu_read_file(const char *path, sb_buf *out);
/* A JSON Lines file (the simulator's --record) as a JSON array of its lines,
 * in order; asserts the file exists and every line parses. */
struct json_t *tu_read_jsonl(const char *path);
/* Runs a shell command, captures stdout (and stderr if merge_stderr) into
 * out, returns the exit status (or -1). */
int tu_run(const char *cmd, int merge_stderr, sb_buf *out);

typedef struct tu_sim {
    pid_t pid;
    int port;
    char url[64]; /* http://127.0.0.1:PORT */
} tu_sim;

/* Starts `$SB_BIN sim --port 0 <extra_args>` and waits for its first stdout
 * line ("servebench sim listening on http://HOST:PORT"). Returns 0 or -1. */
int tu_sim_start(tu_sim *sim, const char *extra_args);
/* SIGTERM, then waits; returns its exit status. The sim's stdout after the
 * first line is appended to out when out is not NULL. */
int tu_sim_stop(tu_sim *sim, sb_buf *out);

#endif
