/* SPDX-License-Identifier: Apache-2.0 */
/* burst.c - send and receive delay of a burst of N simultaneous requests,
 * servebench's engine against a minimal raw client, both measured by a
 * simulator in its own process.
 *
 * Usage: bench_burst [-s SERVEBENCH] [-r REPS] [-t TTFT_MS] [-p] [N ...]
 *        (default N: 100 1000 5000; SERVEBENCH defaults to $SB_BIN or
 *        ./build/servebench; -p pins the simulator to the last CPU and this
 *        process to the others)
 *
 * For each N and repetition one `servebench sim --record` process is
 * started; then, on the same simulator, the raw client (prepared requests;
 * per request socket() + blocking connect() + one write(), then an epoll
 * reader) and servebench's loop_run (all requests due at t0, no
 * concurrency limit, as `--request-rate inf`) on its own HTTP/1.1 transport
 * and on libcurl (--http-client curl) each send N requests, in rotating
 * order between repetitions. The simulator's record gives each
 * request's arrival (first byte read) and first-token write on
 * CLOCK_MONOTONIC, the clock both clients stamp with, so:
 *   send delay    = server arrival - client recorded start
 *                   (raw: its burst start t0; servebench: the record's start)
 *   send from t0  = server arrival - burst start t0 (the same zero for both)
 *   receive delay = client first-token time - server first-token write
 * The raw client is the physical floor on this machine: nothing is done per
 * request beyond the three system calls. */

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "http/engine.h"
#include "run/loop.h"
#include "bench_sim.h"

#define BODY                                                                                       \
    "{\"model\": \"sim\", \"prompt\": \"hello world\", \"max_tokens\": 4, \"ignore_eos\": true, "  \
    "\"stream\": true}"

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct side {
    double cpu_ms; /* the client's thread CPU over the whole run (send + receive) */
    double *send, *send_t0, *recv;
    size_t n_send, n_recv;
    size_t inversions; /* arrivals out of schedule order */
    size_t missing;    /* requests the simulator never recorded */
} side;

typedef struct truth {
    uint64_t arrival, first_emit;
    bool seen;
} truth;

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    if (!n)
        return 0;
    return v[(size_t)((double)(n - 1) * p + 0.5)];
}

static pid_t start_sim(const char *bin, size_t n, const char *ttft, const char *rec, bool pin,
                       int *port)
{
    char seqs[32];
    snprintf(seqs, sizeof seqs, "%zu", n * 2 + 16);
    char *argv[] = {(char *)bin, "sim",        "--port",    "0", "--quiet",
                    "--ttft-ms", (char *)ttft, "--itl-ms",  "1", "--max-num-seqs",
                    seqs,        "--record",   (char *)rec, NULL};
    return bench_sim_spawn(bin, argv, pin ? (int)sysconf(_SC_NPROCESSORS_ONLN) - 1 : -1, port);
}

/* ---- raw client -------------------------------------------------------- */

typedef struct rawc {
    int fd;
    uint32_t tail; /* last 4 bytes seen, for the header end across reads */
    bool body, done;
    uint64_t first_rx;
} rawc;

static double raw_run(int port, size_t n, uint64_t *t0_out, uint64_t *start, uint64_t *first_rx)
{
    char **req = malloc(n * sizeof *req);
    size_t *len = malloc(n * sizeof *len);
    for (size_t i = 0; i < n; i++) {
        char buf[512];
        int k = snprintf(buf, sizeof buf,
                         "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                         "Content-Type: application/json\r\nx-request-id: raw-%zu\r\n"
                         "Content-Length: %zu\r\n\r\n%s",
                         port, i, strlen(BODY), BODY);
        req[i] = strdup(buf);
        len[i] = (size_t)k;
    }
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(0x7f000001)};
    rawc *c = calloc(n, sizeof *c);
    int one = 1;
    double c0 = cpu_ms();
    uint64_t t0 = sb_now_ns();
    for (size_t i = 0; i < n; i++) {
        start[i] = sb_now_ns();
        c[i].fd = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(c[i].fd, (struct sockaddr *)&a, sizeof a) != 0 ||
            write(c[i].fd, req[i], len[i]) != (ssize_t)len[i])
            c[i].done = true;
    }
    *t0_out = t0;
    int ep = epoll_create1(0);
    size_t left = 0;
    for (size_t i = 0; i < n; i++) {
        if (c[i].done)
            continue;
        fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
        left++;
    }
    struct epoll_event evs[256];
    char buf[16384];
    while (left) {
        int m = epoll_wait(ep, evs, 256, 10000);
        if (m <= 0)
            break;
        for (int k = 0; k < m; k++) {
            rawc *r = &c[evs[k].data.u64];
            ssize_t got = read(r->fd, buf, sizeof buf);
            uint64_t t = sb_now_ns();
            if (got <= 0) {
                if (got < 0 && errno == EAGAIN)
                    continue;
                epoll_ctl(ep, EPOLL_CTL_DEL, r->fd, NULL);
                r->done = true;
                left--;
                continue;
            }
            bool had_body = r->body;
            ssize_t j = 0;
            for (; j < got && !r->body; j++) {
                r->tail = r->tail << 8 | (uint8_t)buf[j];
                r->body = r->tail == 0x0d0a0d0a;
            }
            if (r->body && !r->first_rx && (had_body || j < got))
                r->first_rx = t; /* the first body bytes: the first token's chunk */
            if (memmem(buf, (size_t)got, "[DONE]", 6)) {
                epoll_ctl(ep, EPOLL_CTL_DEL, r->fd, NULL);
                r->done = true;
                left--;
            }
        }
    }
    double used = cpu_ms() - c0;
    for (size_t i = 0; i < n; i++) {
        first_rx[i] = c[i].first_rx;
        close(c[i].fd);
        free(req[i]);
    }
    close(ep);
    free(c);
    free(req);
    free(len);
    return used;
}

/* ---- servebench -------------------------------------------------------- */

static rec_store *sb_run(int port, size_t n, bool preconnect, bool curl, double *used)
{
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/completions", port);
    sb_err err;
    eng_opts eo = {.curl_only = curl};
    eng *e = eng_new(&eo, &err);
    if (!e) {
        fprintf(stderr, "engine: %s\n", err.msg);
        exit(1);
    }
    loop_req *reqs = calloc(n, sizeof *reqs);
    for (size_t i = 0; i < n; i++)
        reqs[i] = (loop_req){BODY, strlen(BODY), (long)i, NULL};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    loop_opts lo = {.url = url,
                    .headers = h,
                    .id_prefix = curl ? "sc-" : "sb-",
                    .mode = BK_MODE_COMPLETIONS,
                    .preconnect = preconnect};
    rec_store *rs = rec_store_new(n);
    for (size_t i = 0; i < n; i++)
        rs->recs[i].output_len = 4;
    loop_stats st;
    double c0 = cpu_ms();
    int rc = loop_run(e, &lo, reqs, NULL, n, rs, &st, &err);
    *used = cpu_ms() - c0;
    if (rc != 0) {
        fprintf(stderr, "servebench: %s\n", err.msg);
        exit(1);
    }
    curl_slist_free_all(h);
    free(reqs);
    eng_free(e);
    return rs;
}

/* ---- one measurement --------------------------------------------------- */

static size_t read_truth(const char *rec, const char *prefix, size_t n, truth *tr)
{
    FILE *f = fopen(rec, "r");
    char *line = NULL;
    size_t cap = 0, pl = strlen(prefix), got = 0;
    while (f && getline(&line, &cap, f) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        const char *id = json_string_value(json_object_get(j, "request_id"));
        if (id && !strncmp(id, prefix, pl)) {
            size_t i = strtoul(id + pl, NULL, 10);
            json_t *em = json_object_get(j, "emit_ns");
            if (i < n) {
                tr[i].arrival = (uint64_t)json_integer_value(json_object_get(j, "arrival_ns"));
                tr[i].first_emit = (uint64_t)json_integer_value(json_array_get(em, 0));
                tr[i].seen = true;
                got++;
            }
        }
        json_decref(j);
    }
    free(line);
    if (f)
        fclose(f);
    return got;
}

static void fill(side *s, const truth *tr, size_t n, const uint64_t *start, uint64_t t0,
                 const uint64_t *first_rx)
{
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        if (!tr[i].seen) {
            s->missing++;
            continue;
        }
        s->send[s->n_send] = ((double)tr[i].arrival - (double)start[i]) / 1e6;
        s->send_t0[s->n_send++] = ((double)tr[i].arrival - (double)t0) / 1e6;
        if (tr[i].arrival < prev)
            s->inversions++;
        prev = tr[i].arrival > prev ? tr[i].arrival : prev;
        if (first_rx[i] && tr[i].first_emit)
            s->recv[s->n_recv++] = ((double)first_rx[i] - (double)tr[i].first_emit) / 1e6;
    }
}

static void print_side(const char *name, side *s)
{
    qsort(s->send, s->n_send, sizeof(double), cmpd);
    qsort(s->send_t0, s->n_send, sizeof(double), cmpd);
    qsort(s->recv, s->n_recv, sizeof(double), cmpd);
    printf("  %-10s send p50 %8.3f p99 %8.3f max %8.3f | from t0 p50 %8.3f p99 %8.3f | "
           "recv p50 %6.3f p99 %6.3f max %7.3f ms | out of order %zu, missing %zu | CPU %.1f ms\n",
           name, pct(s->send, s->n_send, .5), pct(s->send, s->n_send, .99),
           s->n_send ? s->send[s->n_send - 1] : 0, pct(s->send_t0, s->n_send, .5),
           pct(s->send_t0, s->n_send, .99), pct(s->recv, s->n_recv, .5),
           pct(s->recv, s->n_recv, .99), s->n_recv ? s->recv[s->n_recv - 1] : 0, s->inversions,
           s->missing, s->cpu_ms);
}

static side side_new(size_t cap)
{
    side s = {0};
    s.send = calloc(cap, sizeof(double));
    s.send_t0 = calloc(cap, sizeof(double));
    s.recv = calloc(cap, sizeof(double));
    return s;
}

int main(int argc, char **argv)
{
    const char *bin = getenv("SB_BIN") ? getenv("SB_BIN") : "./build/servebench";
    const char *ttft = "100";
    int reps = 3, opt;
    bool pin = false, pre = false, only_sb = false;
    while ((opt = getopt(argc, argv, "s:r:t:pPS")) != -1) {
        if (opt == 's')
            bin = optarg;
        else if (opt == 'r')
            reps = atoi(optarg);
        else if (opt == 't')
            ttft = optarg;
        else if (opt == 'p')
            pin = true;
        else if (opt == 'P')
            pre = true;
        else if (opt == 'S')
            only_sb = true; /* servebench only (for a profiler) */
        else
            return 2;
    }
    size_t ns[16] = {100, 1000, 5000}, nn = 3;
    if (optind < argc)
        for (nn = 0; optind < argc && nn < 16; optind++)
            ns[nn++] = strtoul(argv[optind], NULL, 10);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    signal(SIGPIPE, SIG_IGN);
    if (pin) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        cpu_set_t set;
        CPU_ZERO(&set);
        for (int c = 0; c < (int)nc - 1; c++)
            CPU_SET(c, &set);
        if (nc > 1)
            sched_setaffinity(0, sizeof set, &set);
    }
    for (size_t k = 0; k < nn; k++) {
        size_t n = ns[k];
        side raw = side_new(n * (size_t)reps);
        side sb[2] = {side_new(n * (size_t)reps), side_new(n * (size_t)reps)};
        double la[3] = {0};
        for (int r = 0; r < reps; r++) {
            char rec[] = "/tmp/sb_burst_XXXXXX";
            close(mkstemp(rec));
            int port;
            pid_t pid = start_sim(bin, n, ttft, rec, pin, &port);
            if (pid < 0) {
                fprintf(stderr, "bench_burst: cannot start %s sim\n", bin);
                return 1;
            }
            uint64_t raw_t0 = 0, *raw_rx = calloc(n, sizeof *raw_rx);
            uint64_t *raw_start = calloc(n, sizeof *raw_start);
            rec_store *rs[2] = {NULL, NULL}; /* own transport, libcurl */
            for (int w = 0; w < 3; w++) {
                int who = (w + r) % 3; /* 0 raw, 1 own, 2 libcurl */
                if (only_sb && who != 1)
                    continue;
                if (who == 0)
                    raw.cpu_ms += raw_run(port, n, &raw_t0, raw_start, raw_rx);
                else {
                    double u;
                    rs[who - 1] = sb_run(port, n, pre, who == 2, &u);
                    sb[who - 1].cpu_ms += u;
                }
                usleep(200000); /* let the simulator close the other side's connections */
            }
            kill(pid, SIGTERM);
            waitpid(pid, NULL, 0);
            truth *tr = calloc(n, sizeof *tr);
            uint64_t *start = calloc(n, sizeof *start), *rx = calloc(n, sizeof *rx);
            read_truth(rec, "raw-", n, tr);
            fill(&raw, tr, n, raw_start, raw_t0, raw_rx);
            memset(tr, 0, n * sizeof *tr);
            for (int k2 = 0; k2 < 2; k2++) {
                if (!rs[k2])
                    continue;
                memset(tr, 0, n * sizeof *tr);
                read_truth(rec, k2 ? "sc-" : "sb-", n, tr);
                for (size_t i = 0; i < n; i++) {
                    sb_record *q = &rs[k2]->recs[i];
                    start[i] = rs[k2]->bench_start_ns + q->start_ns;
                    rx[i] = q->success && q->ttft_ns ? start[i] + q->ttft_ns : 0;
                }
                fill(&sb[k2], tr, n, start, rs[k2]->bench_start_ns, rx);
                rec_store_free(rs[k2]);
            }
            free(tr);
            free(start);
            free(rx);
            free(raw_rx);
            free(raw_start);
            unlink(rec);
        }
        getloadavg(la, 3);
        printf("N=%zu x %d runs (load average %.2f)%s\n", n, reps, la[0],
               pre ? ", servebench with --preconnect" : "");
        print_side("raw", &raw);
        print_side("sb own", &sb[0]);
        print_side("sb curl", &sb[1]);
        for (int k2 = 0; k2 < 2; k2++)
            printf("  ratio servebench %s/raw: send p50 %.2f, p99 %.2f\n", k2 ? "curl" : "own",
                   pct(sb[k2].send, sb[k2].n_send, .5) / pct(raw.send, raw.n_send, .5),
                   pct(sb[k2].send, sb[k2].n_send, .99) / pct(raw.send, raw.n_send, .99));
        fflush(stdout);
    }
    return 0;
}
