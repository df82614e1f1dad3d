/* SPDX-License-Identifier: Apache-2.0 */
/* bench_sim.h - starts `servebench sim` in its own process for the bench
 * programs that measure against it (burst, startup, rx_kernel). Header-only:
 * every bench program is its own executable (bench/CMakeLists.txt). */
#ifndef SB_BENCH_SIM_H
#define SB_BENCH_SIM_H

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Forks bin with argv (argv[0] is bin; the flags must include --port 0),
 * pinned to cpu (-1: anywhere), and reads the port from the first line the
 * simulator prints ("listening on http://HOST:PORT"). Returns its pid, or -1
 * when it printed no port. */
static inline pid_t bench_sim_spawn(const char *bin, char *const *argv, int cpu, int *port)
{
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        if (cpu >= 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            sched_setaffinity(0, sizeof set, &set);
        }
        dup2(pfd[1], 1);
        close(pfd[0]);
        execv(bin, argv);
        _exit(127);
    }
    close(pfd[1]);
    FILE *f = fdopen(pfd[0], "r");
    char line[256] = "";
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    const char *c = got ? strrchr(line, ':') : NULL;
    *port = c ? atoi(c + 1) : 0;
    return *port > 0 ? pid : -1;
}

#endif
