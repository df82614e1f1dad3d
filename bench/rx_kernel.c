/* SPDX-License-Identifier: Apache-2.0 */
/* rx_kernel.c - user-space against kernel receive stamps (--rx-timestamps
 * kernel) on a loaded client, both measured against the simulator's own
 * emission times.
 *
 * Usage: bench_rx_kernel [-s SERVEBENCH] [-H HOGS] [-n REQUESTS] [-c CONCURRENCY]
 *                        [-t TOKENS] [-i ITL_MS] [-p] [-K]
 *        (defaults: 0 hogs, 200 requests, 50 at a time, 32 tokens, 5 ms ITL;
 *        -p pins the simulator to the last CPU, this process and the hogs to
 *        the first; -K runs without kernel stamps, for the client CPU they
 *        cost)
 *
 * A `servebench sim --record` process streams every request's tokens; the
 * engine (one loop_run, eng_opts.rx_kernel) receives them while HOGS
 * processes spin on the client's core, the "loaded client". The record gives
 * the simulator's write of each token on CLOCK_MONOTONIC, the clock of both
 * stamps, so per token message:
 *   user delay   = user-space stamp (curl's write callback) - server write
 *   kernel delay = kernel receive stamp - server write
 * and per request TTFT and each ITL gap as the user-space and the kernel
 * stamps give them, beside the server's own gaps. What the kernel figure
 * still holds is the network path (loopback here) and, when the client is
 * late, the wait between an earlier segment's arrival and the newest one's
 * (queued segments share the newest stamp: docs/engine.md). */
#include <jansson.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "http/engine.h"
#include "metrics/krx.h"
#include "run/loop.h"
#include "bench_sim.h"

#define MAX_HOGS 16

static void pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

static pid_t start_sim(const char *bin, const char *itl, const char *rec, int cpu, int *port)
{
    char *argv[] = {(char *)bin, "sim",      "--port",    "0",         "--quiet",
                    "--ttft-ms", "20",       "--itl-ms",  (char *)itl, "--max-num-seqs",
                    "100000",    "--record", (char *)rec, NULL};
    return bench_sim_spawn(bin, argv, cpu, port);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* p-quantile of v[0..n) (sorted here), nearest rank. */
static double q(double *v, size_t n, double p)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_d);
    return v[(size_t)((double)(n - 1) * p + 0.5)];
}

static double mean(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return n ? s / (double)n : 0;
}

static void row(const char *what, double *v, size_t n)
{
    double m = mean(v, n);
    double p50 = q(v, n, 0.5), p99 = q(v, n, 0.99), mx = n ? v[n - 1] : 0;
    printf("%-30s %9.3f %9.3f %9.3f %9.3f  (n=%zu)\n", what, m, p50, p99, mx, n);
}

int main(int argc, char **argv)
{
    const char *bin = getenv("SB_BIN") ? getenv("SB_BIN") : "./build/servebench";
    int hogs = 0, pin = 0, user_only = 0;
    long n = 200, cap = 50, tokens = 32;
    const char *itl = "5";
    int o;
    while ((o = getopt(argc, argv, "s:H:n:c:t:i:pK")) != -1) {
        switch (o) {
        case 's':
            bin = optarg;
            break;
        case 'H':
            hogs = atoi(optarg);
            break;
        case 'n':
            n = atol(optarg);
            break;
        case 'c':
            cap = atol(optarg);
            break;
        case 't':
            tokens = atol(optarg);
            break;
        case 'i':
            itl = optarg;
            break;
        case 'p':
            pin = 1;
            break;
        case 'K':
            user_only = 1;
            break;
        default:
            fprintf(stderr, "usage: bench_rx_kernel [-s SERVEBENCH] [-H HOGS] [-n REQUESTS] "
                            "[-c CONCURRENCY] [-t TOKENS] [-i ITL_MS] [-p] [-K]\n");
            return 2;
        }
    }
    if (hogs < 0 || hogs > MAX_HOGS || n < 1 || n > 100000 || cap < 1 || tokens < 2 ||
        tokens > 4096) {
        fprintf(stderr, "bench_rx_kernel: -H 0..%d, -n 1..100000, -c >= 1, -t 2..4096\n", MAX_HOGS);
        return 2;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    char rec[] = "/tmp/sb_rxk_XXXXXX";
    close(mkstemp(rec));
    int port = 0;
    pid_t sim = start_sim(bin, itl, rec, pin ? (int)ncpu - 1 : -1, &port);
    if (sim < 0) {
        fprintf(stderr, "bench_rx_kernel: cannot start %s sim\n", bin);
        return 1;
    }
    if (pin)
        pin_to(0);
    pid_t hog[MAX_HOGS];
    for (int h = 0; h < hogs; h++) {
        hog[h] = fork();
        if (hog[h] == 0) {
            volatile unsigned long x = 0;
            for (;;)
                x++;
        }
    }

    char body[256], url[96];
    snprintf(body, sizeof body,
             "{\"model\": \"sim\", \"prompt\": \"hello world\", \"max_tokens\": %ld, "
             "\"ignore_eos\": true, \"stream\": true}",
             tokens);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/completions", port);
    sb_err err;
    eng_opts eo = {.rx_kernel = !user_only};
    eng *e = eng_new(&eo, &err);
    if (!e) {
        fprintf(stderr, "bench_rx_kernel: %s\n", err.msg);
        return 1;
    }
    loop_req *reqs = calloc((size_t)n, sizeof *reqs);
    for (long i = 0; i < n; i++)
        reqs[i] = (loop_req){body, strlen(body), i, NULL};
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    loop_opts lo = {.url = url,
                    .headers = hdr,
                    .id_prefix = "x-",
                    .mode = BK_MODE_COMPLETIONS,
                    .max_concurrency = cap};
    rec_store *rs = rec_store_new((size_t)n);
    rs->krx = user_only ? NULL : krx_new((size_t)n);
    for (long i = 0; i < n; i++)
        rs->recs[i].output_len = (int32_t)tokens;
    loop_stats st;
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    int rc = loop_run(e, &lo, reqs, NULL, (size_t)n, rs, &st, &err);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    double cpu_ms = (double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6;
    for (int h = 0; h < hogs; h++)
        kill(hog[h], SIGKILL), waitpid(hog[h], NULL, 0);
    kill(sim, SIGTERM);
    waitpid(sim, NULL, 0);
    if (rc != 0) {
        fprintf(stderr, "bench_rx_kernel: %s\n", err.msg);
        return 1;
    }

    size_t cap_tok = (size_t)n * (size_t)tokens;
    double *du = malloc(cap_tok * sizeof *du), *dk = malloc(cap_tok * sizeof *dk);
    double *iu = malloc(cap_tok * sizeof *iu), *ik = malloc(cap_tok * sizeof *ik);
    double *is = malloc(cap_tok * sizeof *is);
    double *eu = malloc(cap_tok * sizeof *eu), *ek = malloc(cap_tok * sizeof *ek);
    double *tu = malloc((size_t)n * sizeof *tu), *tk = malloc((size_t)n * sizeof *tk);
    size_t nd = 0, ndk = 0, ni = 0, nik = 0, nt = 0, ntk = 0, unstamped = 0, failed = 0;
    FILE *f = fopen(rec, "r");
    char *line = NULL;
    size_t lcap = 0;
    while (f && getline(&line, &lcap, f) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        const char *id = j ? json_string_value(json_object_get(j, "request_id")) : NULL;
        long i = id ? atol(id + 2) : -1;
        if (i < 0 || i >= n || !rs->recs[i].success) {
            failed += i >= 0;
            json_decref(j);
            continue;
        }
        const sb_record *r = &rs->recs[i];
        static const krx_req none = {.missing = 1};
        const krx_req *k = rs->krx ? &rs->krx->reqs[i] : &none;
        unstamped += rs->krx ? k->missing : 0;
        json_t *em = json_object_get(j, "emit_ns");
        uint64_t start = rs->bench_start_ns + r->start_ns;
        uint64_t u = start + r->ttft_ns, kk = start + k->ttft_ns;
        bool kernel_ok = k->missing == 0 && k->n_itl == r->n_itl;
        tu[nt++] = (double)r->ttft_ns / 1e6;
        if (kernel_ok)
            tk[ntk++] = (double)k->ttft_ns / 1e6;
        for (uint32_t t = 0; t < (uint32_t)r->n_chunks && t < json_array_size(em); t++) {
            uint64_t emit = (uint64_t)json_integer_value(json_array_get(em, t));
            if (t) {
                uint64_t gu = rec_store_itl_ns(rs, (size_t)i, t - 1);
                u += gu;
                iu[ni] = (double)gu / 1e6;
                is[ni] =
                    (double)(emit - (uint64_t)json_integer_value(json_array_get(em, t - 1))) / 1e6;
                eu[ni] = fabs(iu[ni] - is[ni]);
                if (kernel_ok) {
                    kk += k->itl[t - 1];
                    ik[nik] = (double)k->itl[t - 1] / 1e6;
                    ek[nik] = fabs(ik[nik] - is[ni]);
                    nik++;
                }
                ni++;
            }
            du[nd++] = ((double)u - (double)emit) / 1e6;
            if (kernel_ok)
                dk[ndk++] = ((double)kk - (double)emit) / 1e6;
        }
        json_decref(j);
    }
    free(line);
    if (f)
        fclose(f);
    unlink(rec);

    printf("bench_rx_kernel: %ld requests x %ld tokens, %ld at a time, server ITL %s ms, "
           "%d hog(s) on the client's core%s; %s; %zu token messages without a kernel stamp, "
           "%zu failed; client CPU %.1f ms (%.2f us per token message)\n",
           n, tokens, cap, itl, hogs, pin ? " (pinned: client+hogs CPU 0, sim last CPU)" : "",
           user_only ? "user stamps only" : "kernel stamps on", unstamped, failed, cpu_ms,
           cpu_ms * 1e3 / (double)(n * tokens));
    printf("%-30s %9s %9s %9s %9s\n", "ms", "mean", "p50", "p99", "max");
    row("TTFT, user stamp", tu, nt);
    row("TTFT, kernel stamp", tk, ntk);
    row("ITL, server writes", is, ni);
    row("ITL, user stamps", iu, ni);
    row("ITL, kernel stamps", ik, nik);
    row("|ITL user - ITL server|", eu, ni);
    row("|ITL kernel - ITL server|", ek, nik);
    row("token delay, user - server", du, nd);
    row("token delay, kernel - server", dk, ndk);
    free(eu), free(ek);
    free(du), free(dk), free(iu), free(ik), free(is), free(tu), free(tk);
    rec_store_free(rs);
    free(reqs);
    curl_slist_free_all(hdr);
    eng_free(e);
    return 0;
}
