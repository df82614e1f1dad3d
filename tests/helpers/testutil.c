/* SPDX-License-Identifier: Apache-2.0 */
/* testutil.c - see testutil.h. */
#include "testutil.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"

const char *tu_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        print_error("environment variable %s is not set (run the tests through ctest)\n", name);
        fail();
    }
    return v;
}

char *tu_data_path(const char *rel)
{
    sb_buf b;
    sb_buf_init(&b);
    sb_buf_printf(&b, "%s/%s", tu_env("SB_TEST_DATA"), rel);
    return sb_buf_steal(&b);
}

int tu_read_file(const char *path, sb_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        sb_buf_append(out, tmp, n);
    fclose(f);
    return 0;
}

struct json_t *tu_read_jsonl(const char *path)
{
    sb_buf b;
    sb_buf_init(&b);
    assert_int_equal(tu_read_file(path, &b), 0);
    json_t *all = json_array();
    for (char *line = strtok(b.data ? b.data : (char *)"", "\n"); line; line = strtok(NULL, "\n")) {
        json_t *j = json_loads(line, 0, NULL);
        assert_non_null(j);
        json_array_append_new(all, j);
    }
    sb_buf_free(&b);
    return all;
}

int tu_run(const char *cmd, int merge_stderr, sb_buf *out)
{
    sb_buf c;
    sb_buf_init(&c);
    sb_buf_printf(&c, "%s%s", cmd, merge_stderr ? " 2>&1" : "");
    FILE *p = popen(c.data, "r");
    sb_buf_free(&c);
    if (!p)
        return -1;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, p)) > 0)
        if (out)
            sb_buf_append(out, tmp, n);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int sim_out_fd[1024];

int tu_sim_start(tu_sim *sim, const char *extra_args)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        sb_buf c;
        sb_buf_init(&c);
        sb_buf_printf(&c, "exec '%s' sim --port 0 %s", tu_env("SB_BIN"),
                      extra_args ? extra_args : "");
        execl("/bin/sh", "sh", "-c", c.data, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    sim->pid = pid;
    sim->port = 0;
    char line[512];
    size_t len = 0;
    char ch;
    while (len + 1 < sizeof line && read(fds[0], &ch, 1) == 1 && ch != '\n')
        line[len++] = ch;
    line[len] = '\0';
    const char *p = strstr(line, "http://");
    const char *colon = p ? strrchr(p + 7, ':') : NULL;
    if (!colon) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(fds[0]);
        return -1;
    }
    sim->port = atoi(colon + 1);
    snprintf(sim->url, sizeof sim->url, "http://127.0.0.1:%d", sim->port);
    /* Keep the read end open until tu_sim_stop: closing it would SIGPIPE the
     * simulator when it prints its totals on exit. */
    sim_out_fd[pid % 1024] = fds[0];
    return sim->port > 0 ? 0 : -1;
}

int tu_sim_stop(tu_sim *sim, sb_buf *out)
{
    kill(sim->pid, SIGTERM);
    int fd = sim_out_fd[sim->pid % 1024];
    if (fd > 0) {
        char tmp[4096];
        ssize_t n;
        while ((n = read(fd, tmp, sizeof tmp)) > 0)
            if (out)
                sb_buf_append(out, tmp, (size_t)n);
        close(fd);
        sim_out_fd[sim->pid % 1024] = 0;
    }
    int st = 0;
    waitpid(sim->pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
