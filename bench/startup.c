/* SPDX-License-Identifier: Apache-2.0 */
/* startup.c - start-up of `servebench serve`: from exec to its first request
 * at a simulator in another process, and where that time goes.
 *
 * Usage: bench_startup [-s SERVEBENCH] [-t TOKENIZER] [-r RUNS] [-- SERVE ARGS...]
 *        (SERVEBENCH: $SB_BIN or ./build/servebench; TOKENIZER: the bundled
 *        GPT-2, data/tokenizers/gpt2; RUNS: 10; SERVE ARGS: the dataset part
 *        of the command line, default --dataset-name random --num-prompts 10
 *        --random-input-len 128 --random-output-len 4)
 *
 * End to end: one `servebench sim --record` is started; each run forks, the
 * child reads CLOCK_MONOTONIC and execs servebench serve against it; the
 * simulator's record gives each request's arrival (its first byte read, on
 * the same clock), so exec -> first byte at the server is the earliest arrival
 * after that run's exec time (runs are sequential). The simulator records
 * benchmark requests, not the POST /tokenize calls of serve's alignment check
 * (--tokenizer-alignment, on by default), which come before them and are
 * counted in the time; so the same runs are made a second time with
 * --tokenizer-alignment off (alternating with the first, so both see the
 * same machine), and the difference is that check's share. The child's CPU
 * time (user + system, whole run) comes from wait4.
 *
 * Breakdown, each measured on its own:
 *  - the dynamic loader and library constructors: exec to exit of
 *    `servebench --version` (wall and CPU), the number of shared objects
 *    loaded (LD_TRACE_LOADED_OBJECTS) and ld.so's own figures
 *    (LD_DEBUG=statistics: cycles in the loader, relocations);
 *  - in this process (libraries already loaded): the tokenizer load, the
 *    dataset build of the same arguments, curl_global_init, and a TCP
 *    connect to the simulator. Each is the first call of its kind here, as in
 *    a fresh servebench. */

#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "core/clock.h"
#include "dataset/dataset.h"
#include "tokenizer/tokenizer.h"
#include "bench_sim.h"

#define MAX_RUNS 1000
#define MAX_ARGS 64

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* min / median / max of v[0..n), sorted in place */
static void print_stats(const char *what, double *v, size_t n)
{
    if (!n) {
        printf("  %-44s (no data)\n", what);
        return;
    }
    qsort(v, n, sizeof *v, cmpd);
    printf("  %-44s min %7.2f  median %7.2f  max %7.2f ms (%zu runs)\n", what, v[0], v[n / 2],
           v[n - 1], n);
}

static double tv_ms(struct timeval tv)
{
    return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

/* The simulator counts prompt tokens with the same tokenizer, as the server
 * of a real run does: serve's /tokenize alignment check (on by default)
 * then finds the counts equal and re-aligns nothing. */
static pid_t start_sim(const char *bin, const char *rec, const char *tokdir, int *port)
{
    char *argv[] = {(char *)bin,    "sim",      "--port",    "0", "--quiet",
                    "--ttft-ms",    "1",        "--itl-ms",  "1", "--tokenizer",
                    (char *)tokdir, "--record", (char *)rec, NULL};
    return bench_sim_spawn(bin, argv, -1, port);
}

/* Forks and execs argv with envp extra (NULL: none) and stdout/stderr to
 * out_fd (-1: /dev/null); the child's exec time goes to *t_exec. Returns
 * the child's exit status, its CPU time in *cpu_ms and its wall time. */
static int run_child(char *const *argv, const char *env, int out_fd, uint64_t *t_exec,
                     double *cpu_ms, double *wall_ms)
{
    int tp[2];
    if (pipe(tp) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(tp[0]);
        int fd = out_fd >= 0 ? out_fd : open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        if (env)
            putenv((char *)env);
        uint64_t t = sb_now_ns();
        if (write(tp[1], &t, sizeof t) != (ssize_t)sizeof t)
            _exit(126);
        close(tp[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(tp[1]);
    uint64_t t = 0;
    if (read(tp[0], &t, sizeof t) != (ssize_t)sizeof t)
        t = 0;
    close(tp[0]);
    int st = 0;
    struct rusage ru;
    wait4(pid, &st, 0, &ru);
    uint64_t end = sb_now_ns();
    *t_exec = t;
    *cpu_ms = tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime);
    *wall_ms = t ? (double)(end - t) / 1e6 : 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Earliest arrival_ns in the record after each t[i] and before t[i+1]. */
static void first_arrivals(const char *rec, const uint64_t *t, size_t n, uint64_t *first)
{
    memset(first, 0, n * sizeof *first);
    FILE *f = fopen(rec, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        uint64_t a = (uint64_t)json_integer_value(json_object_get(j, "arrival_ns"));
        json_decref(j);
        for (size_t i = 0; i < n; i++)
            if (a >= t[i] && (i + 1 == n || a < t[i + 1]) && (!first[i] || a < first[i]))
                first[i] = a;
    }
    free(line);
    fclose(f);
}

static void loader_stats(const char *bin)
{
    char *argv[] = {(char *)bin, "--version", NULL};
    int pfd[2];
    if (pipe(pfd) != 0)
        return;
    uint64_t t;
    double cpu, wall;
    run_child(argv, "LD_TRACE_LOADED_OBJECTS=1", pfd[1], &t, &cpu, &wall);
    close(pfd[1]);
    FILE *f = fdopen(pfd[0], "r");
    char line[1024];
    int nlib = 0;
    while (fgets(line, sizeof line, f))
        nlib++;
    fclose(f);
    printf("  shared objects loaded (LD_TRACE_LOADED_OBJECTS lines): %d\n", nlib);
    if (pipe(pfd) != 0)
        return;
    run_child(argv, "LD_DEBUG=statistics", pfd[1], &t, &cpu, &wall);
    close(pfd[1]);
    f = fdopen(pfd[0], "r");
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "total startup time in dynamic loader:");
        const char *q = strstr(line, "final number of relocations:");
        const char *s = p ? p : q;
        if (s)
            printf("  ld.so: %s", s);
    }
    fclose(f);
}

/* The value of --flag in args, or def. */
static const char *arg_of(char **args, int n, const char *flag, const char *def)
{
    for (int i = 0; i + 1 < n; i++)
        if (!strcmp(args[i], flag))
            return args[i + 1];
    return def;
}

static double ms_since(uint64_t t0)
{
    return (double)(sb_now_ns() - t0) / 1e6;
}

static void in_process(const char *tokdir, char **args, int nargs, int port)
{
    uint64_t t0 = sb_now_ns();
    sb_err err;
    tok *tk = tok_load(tokdir, &err);
    printf("  tokenizer load (%s): %.2f ms%s%s\n", tokdir, ms_since(t0),
           tk ? "" : " FAILED: ", tk ? "" : err.msg);
    if (!tk)
        return;
    t0 = sb_now_ns();
    tok *tk2 = tok_load(tokdir, &err);
    printf("  tokenizer load again (warm page cache, same process): %.2f ms\n", ms_since(t0));
    tok_free(tk2);
    sb_config cfg;
    sb_config_defaults(&cfg);
    free(cfg.ds.name);
    cfg.ds.name = strdup(arg_of(args, nargs, "--dataset-name", "random"));
    cfg.ds.num_prompts = atol(arg_of(args, nargs, "--num-prompts", "1000"));
    cfg.ds.random_input_len = atol(arg_of(args, nargs, "--random-input-len", "1024"));
    cfg.ds.random_output_len = atol(arg_of(args, nargs, "--random-output-len", "128"));
    sb_dataset ds;
    t0 = sb_now_ns();
    int rc = dataset_load(&cfg.ds, tk, "openai", &ds, &err);
    printf("  dataset build (%s, %ld prompts, input %ld): %.2f ms%s%s\n", cfg.ds.name,
           cfg.ds.num_prompts, cfg.ds.random_input_len, ms_since(t0), rc ? " FAILED: " : "",
           rc ? err.msg : "");
    if (!rc)
        dataset_free(&ds);
    sb_config_free(&cfg);
    tok_free(tk);
    t0 = sb_now_ns();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    printf("  curl_global_init: %.2f ms\n", ms_since(t0));
    t0 = sb_now_ns();
    CURL *h = curl_easy_init();
    CURLM *m = curl_multi_init();
    printf("  first easy + multi handle: %.2f ms\n", ms_since(t0));
    curl_multi_cleanup(m);
    curl_easy_cleanup(h);
    t0 = sb_now_ns();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(0x7f000001)};
    rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    printf("  TCP connect to 127.0.0.1:%d: %.3f ms%s\n", port, ms_since(t0), rc ? " FAILED" : "");
    close(fd);
}

int main(int argc, char **argv)
{
    const char *bin = getenv("SB_BIN") ? getenv("SB_BIN") : "./build/servebench";
    const char *tokdir = "data/tokenizers/gpt2";
    long runs = 10;
    int opt;
    while ((opt = getopt(argc, argv, "s:t:r:")) != -1) {
        if (opt == 's')
            bin = optarg;
        else if (opt == 't')
            tokdir = optarg;
        else if (opt == 'r')
            runs = strtol(optarg, NULL, 10);
        else {
            fprintf(stderr, "usage: %s [-s SERVEBENCH] [-t TOKENIZER] [-r RUNS] [-- ARGS]\n",
                    argv[0]);
            return 2;
        }
    }
    if (runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "-r: 1..%d runs\n", MAX_RUNS);
        return 2;
    }
    char *defargs[] = {"--dataset-name",     "random", "--num-prompts",       "10",
                       "--random-input-len", "128",    "--random-output-len", "4"};
    char **dargs = optind < argc ? argv + optind : defargs;
    int ndargs = optind < argc ? argc - optind : (int)(sizeof defargs / sizeof *defargs);
    if (ndargs > MAX_ARGS - 16) {
        fprintf(stderr, "too many serve arguments\n");
        return 2;
    }
    char rec[] = "/tmp/sb_startup_XXXXXX";
    int rfd = mkstemp(rec);
    if (rfd < 0)
        return 1;
    close(rfd);
    int port;
    pid_t sim = start_sim(bin, rec, tokdir, &port);
    if (sim < 0) {
        fprintf(stderr, "could not start %s sim\n", bin);
        return 1;
    }
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    char *sargv[MAX_ARGS], *oargv[MAX_ARGS];
    int k = 0;
    sargv[k++] = (char *)bin;
    sargv[k++] = "serve";
    sargv[k++] = "--port";
    sargv[k++] = portstr;
    sargv[k++] = "--model";
    sargv[k++] = "sim";
    sargv[k++] = "--tokenizer";
    sargv[k++] = (char *)tokdir;
    for (int i = 0; i < ndargs; i++)
        sargv[k++] = dargs[i];
    sargv[k] = NULL;
    memcpy(oargv, sargv, (size_t)k * sizeof *sargv);
    oargv[k] = "--tokenizer-alignment";
    oargv[k + 1] = "off";
    oargv[k + 2] = NULL;
    printf("servebench start-up: %s serve --port P --model sim --tokenizer %s", bin, tokdir);
    for (int i = 0; i < ndargs; i++)
        printf(" %s", dargs[i]);
    printf("\n");

    /* runs alternate: even ones as given, odd ones without the alignment check */
    size_t nr = 2 * (size_t)runs;
    uint64_t *texec = calloc(nr, sizeof *texec);
    uint64_t *first = calloc(nr, sizeof *first);
    double *e2e = calloc(nr, sizeof *e2e), *cpu = calloc(nr, sizeof *cpu);
    double *wall = calloc(nr, sizeof *wall);
    double *e2e_off = calloc(nr, sizeof *e2e_off), *cpu_off = calloc(nr, sizeof *cpu_off);
    double *wall_off = calloc(nr, sizeof *wall_off);
    int failed = 0;
    for (size_t i = 0; i < nr; i++)
        if (run_child(i % 2 ? oargv : sargv, NULL, -1, &texec[i], &cpu[i], &wall[i]) != 0)
            failed++;
    kill(sim, SIGTERM);
    waitpid(sim, NULL, 0);
    first_arrivals(rec, texec, nr, first);
    unlink(rec);
    size_t ne = 0, ne_off = 0;
    for (size_t i = 0; i < nr; i++) {
        if (i % 2) {
            cpu_off[i / 2] = cpu[i];
            wall_off[i / 2] = wall[i];
            if (first[i])
                e2e_off[ne_off++] = (double)(first[i] - texec[i]) / 1e6;
        } else {
            cpu[i / 2] = cpu[i];
            wall[i / 2] = wall[i];
            if (first[i])
                e2e[ne++] = (double)(first[i] - texec[i]) / 1e6;
        }
    }
    if (failed)
        printf("  %d of %zu runs exited non-zero\n", failed, nr);
    print_stats("exec -> first request byte at the server", e2e, ne);
    print_stats("whole run, wall (exec -> exit)", wall, (size_t)runs);
    print_stats("whole run, CPU (user + system)", cpu, (size_t)runs);
    printf("the same with --tokenizer-alignment off (no POST /tokenize before the run):\n");
    print_stats("exec -> first request byte at the server", e2e_off, ne_off);
    print_stats("whole run, wall (exec -> exit)", wall_off, (size_t)runs);
    print_stats("whole run, CPU (user + system)", cpu_off, (size_t)runs);

    char *vargv[] = {(char *)bin, "--version", NULL};
    for (long i = 0; i < runs; i++)
        run_child(vargv, NULL, -1, &texec[i], &cpu[i], &wall[i]);
    print_stats("servebench --version, wall", wall, (size_t)runs);
    print_stats("servebench --version, CPU", cpu, (size_t)runs);
    loader_stats(bin);

    /* a simulator again for the connect */
    char rec2[] = "/tmp/sb_startup_XXXXXX";
    rfd = mkstemp(rec2);
    if (rfd >= 0) {
        close(rfd);
        sim = start_sim(bin, rec2, tokdir, &port);
        printf("in this process (libraries loaded):\n");
        in_process(tokdir, dargs, ndargs, port);
        if (sim > 0) {
            kill(sim, SIGTERM);
            waitpid(sim, NULL, 0);
        }
        unlink(rec2);
    }
    free(texec);
    free(first);
    free(e2e);
    free(cpu);
    free(wall);
    free(e2e_off);
    free(cpu_off);
    free(wall_off);
    return 0;
}
