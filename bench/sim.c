/* SPDX-License-Identifier: Apache-2.0 */
/* sim.c - bench_sim: how fast and how punctually `servebench sim` emits.
 *
 *   bench_sim firehose N SECONDS   token events/s, --firehose, N streams
 *   bench_sim raw N SECONDS        the same bytes from a bare write() loop (the limit)
 *   bench_sim timed N SECONDS ITL_MS  schedule error at N timed streams
 *   bench_sim sleep 1 SECONDS ITL_MS  wake-up lateness of a bare clock_nanosleep
 *                                  loop (the floor any timed server sits on)
 *   ... PORT                       (optional last argument) measure an external server
 *
 * One process: the simulator (or the raw writer) runs on its own thread, the
 * client is a minimal epoll reader on the main thread that counts SSE events
 * ("\n\n") and timestamps each read. Schedule error comes from the simulator's
 * own histogram (actual - planned emission); the client also reports its
 * observed lateness (receive time - (send time + (k+1) x ITL), TTFT = ITL
 * here), the only figure an external peer server can be compared on. See
 * bench/sim.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "sim/sim.h"

/* A typical completions event as the simulator frames it (chunked encoding). */
static const char sample_event[] =
    "data: {\"id\":\"cmpl-84b8aff3751a56d000000001\",\"object\":\"text_completion\","
    "\"created\":1795426276,\"model\":\"sim\",\"choices\":[{\"index\":0,\"text\":\" when\","
    "\"logprobs\":null,\"finish_reason\":null,\"stop_reason\":null}],\"usage\":null}\n\n";

#define LAT_BUCKETS 100001 /* 10 us buckets up to 1 s, then overflow */

typedef struct client {
    int n, epfd;
    int *fds;
    uint64_t *first_ns, *events;
    char *last_ch;
    uint64_t total_events, total_bytes;
    uint64_t itl_ns;       /* 0 = do not compute lateness */
    uint64_t run_start_ns; /* events planned before the reads began are not judged */
    uint32_t *lat;
    uint64_t lat_n;
} client;

static void raise_nofile(int n)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t want = (rlim_t)n * 2 + 256;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("bench_sim: connect");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void client_open(client *c, int n, int port, const char *request)
{
    memset(c, 0, sizeof *c);
    c->n = n;
    c->epfd = epoll_create1(0);
    c->fds = calloc((size_t)n, sizeof *c->fds);
    c->first_ns = calloc((size_t)n, sizeof *c->first_ns);
    c->events = calloc((size_t)n, sizeof *c->events);
    c->last_ch = calloc((size_t)n, 1);
    c->lat = calloc(LAT_BUCKETS + 1, sizeof *c->lat);
    for (int i = 0; i < n; i++) {
        c->fds[i] = connect_to(port);
        c->first_ns[i] = sb_now_ns(); /* the request's send time: the plan's origin */
        if (request && send(c->fds[i], request, strlen(request), MSG_NOSIGNAL) < 0) {
            perror("bench_sim: send");
            exit(1);
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->fds[i], &ev);
    }
}

static void count_read(client *c, int i, const char *p, size_t n, uint64_t now)
{
    uint64_t k = 0;
    if (n && c->last_ch[i] == '\n' && p[0] == '\n')
        k++;
    for (const char *q = p, *end = p + n; (q = memchr(q, '\n', (size_t)(end - q))) != NULL;) {
        if (q + 1 < end && q[1] == '\n')
            k++;
        q++;
    }
    c->last_ch[i] = n ? p[n - 1] : c->last_ch[i];
    if (k && c->itl_ns) {
        /* Planned like the server plans: TTFT (= ITL in these runs) after the
         * send, then one ITL per event. */
        for (uint64_t e = c->events[i]; e < c->events[i] + k; e++) {
            uint64_t planned = c->first_ns[i] + (e + 1) * c->itl_ns;
            if (planned < c->run_start_ns)
                continue; /* still opening the other connections then */
            uint64_t late = now > planned ? (now - planned) / 10000 : 0;
            c->lat[late < LAT_BUCKETS ? late : LAT_BUCKETS]++;
            c->lat_n++;
        }
    }
    c->events[i] += k;
    c->total_events += k;
    c->total_bytes += n;
}

/* Reads until the deadline; returns the events counted after warm_ns. */
static void client_run(client *c, uint64_t seconds)
{
    static char buf[1 << 16];
    struct epoll_event evs[256];
    c->run_start_ns = sb_now_ns();
    uint64_t end = c->run_start_ns + seconds * SB_NS_PER_S;
    while (sb_now_ns() < end) {
        int m = epoll_wait(c->epfd, evs, 256, 100);
        uint64_t now = sb_now_ns();
        for (int j = 0; j < m; j++) {
            int i = (int)evs[j].data.u32;
            ssize_t r = recv(c->fds[i], buf, sizeof buf, MSG_DONTWAIT);
            if (r > 0)
                count_read(c, i, buf, (size_t)r, now);
            else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->fds[i], NULL);
            }
        }
    }
}

static double lat_quantile_us(const client *c, double q)
{
    if (!c->lat_n)
        return 0;
    uint64_t rank = (uint64_t)ceil(q * (double)c->lat_n), seen = 0;
    for (size_t b = 0; b <= LAT_BUCKETS; b++) {
        seen += c->lat[b];
        if (seen >= rank)
            return (double)(b + 1) * 10.0;
    }
    return 1e6;
}

static void client_close(client *c)
{
    for (int i = 0; i < c->n; i++)
        close(c->fds[i]);
    close(c->epfd);
    free(c->fds);
    free(c->first_ns);
    free(c->events);
    free(c->last_ch);
    free(c->lat);
}

/* ---- the physical limit: a bare writer of the same bytes ---- */

typedef struct raw_writer {
    int lfd, n;
    atomic_int stop;
    uint64_t bytes;
} raw_writer;

static void *raw_main(void *arg)
{
    raw_writer *w = arg;
    int ep = epoll_create1(0);
    int *fds = calloc((size_t)w->n, sizeof *fds);
    for (int i = 0; i < w->n; i++) {
        fds[i] = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
    }
    /* 64 KiB of back-to-back chunk-framed events, the simulator's exact bytes. */
    sb_buf block;
    sb_buf_init(&block);
    while (block.len < 65536)
        sb_buf_printf(&block, "%zx\r\n%s\r\n", sizeof sample_event - 1, sample_event);
    struct epoll_event evs[256];
    while (!atomic_load(&w->stop)) {
        int m = epoll_wait(ep, evs, 256, 50);
        for (int j = 0; j < m; j++) {
            int fd = fds[evs[j].data.u32];
            ssize_t r;
            while ((r = send(fd, block.data, block.len, MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
                w->bytes += (uint64_t)r;
        }
    }
    for (int i = 0; i < w->n; i++)
        close(fds[i]);
    free(fds);
    sb_buf_free(&block);
    close(ep);
    return NULL;
}

/* The floor: lateness of absolute-deadline sleeps on this machine, now. */
static int sleep_floor(int seconds, double itl_ms)
{
    static uint32_t lat[LAT_BUCKETS + 1];
    uint64_t step = (uint64_t)(itl_ms * 1e6), n = 0, max = 0;
    uint64_t next = sb_now_ns() + step, end = sb_now_ns() + (uint64_t)seconds * SB_NS_PER_S;
    while (next < end) {
        sb_sleep_until_ns(next);
        uint64_t late = sb_now_ns() - next;
        max = late > max ? late : max;
        lat[late / 10000 < LAT_BUCKETS ? late / 10000 : LAT_BUCKETS]++;
        n++;
        next += step;
    }
    double q[2] = {0.5, 0.99}, v[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        uint64_t rank = (uint64_t)ceil(q[k] * (double)n), seen = 0;
        for (size_t b = 0; b <= LAT_BUCKETS; b++)
            if ((seen += lat[b]) >= rank) {
                v[k] = (double)(b + 1) * 10.0;
                break;
            }
    }
    printf("sleep wakeups=%llu lateness_us p50<=%.0f p99<=%.0f max=%.1f\n", (unsigned long long)n,
           v[0], v[1], max / 1e3);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_sim firehose|raw|timed|sleep STREAMS SECONDS [ITL_MS] [PORT]\n");
    return 2;
}

static sim_server *start_sim(int firehose, int streams, double itl_ms)
{
    sim_opts o;
    sim_opts_default(&o);
    o.port = 0;
    o.firehose = firehose;
    o.ttft_ms = itl_ms;
    o.itl_ms = itl_ms;
    o.max_num_seqs = streams;
    sb_err err;
    sim_server *s = sim_start_opts(&o, &err);
    if (!s) {
        fprintf(stderr, "bench_sim: %s\n", err.msg);
        exit(1);
    }
    return s;
}

static void request_text(sb_buf *b, long max_tokens)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"model\":\"sim\",\"prompt\":\"hello world\",\"max_tokens\":%ld,\"stream\":true,"
             "\"ignore_eos\":true}",
             max_tokens);
    sb_buf_printf(b,
                  "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                  "application/json\r\nContent-Length: %zu\r\n\r\n%s",
                  strlen(body), body);
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return usage();
    const char *mode = argv[1];
    int streams = atoi(argv[2]);
    int seconds = atoi(argv[3]);
    int timed = !strcmp(mode, "timed");
    double itl_ms = timed && argc > 4 ? atof(argv[4]) : 0;
    int ext_port = argc > 4 + timed ? atoi(argv[4 + timed]) : 0;
    if (!strcmp(mode, "sleep") && argc > 4) {
        prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
        return sleep_floor(seconds, atof(argv[4]));
    }
    if (streams <= 0 || seconds <= 0 || (timed && itl_ms <= 0))
        return usage();
    raise_nofile(streams * 2);
    client c;
    sb_buf req;
    sb_buf_init(&req);
    /* Enough tokens to outlast the run at either rate. */
    request_text(&req, timed ? (long)(seconds * 1000.0 / itl_ms) + 100 : 16777216L);
    if (!strcmp(mode, "raw")) {
        raw_writer w = {.n = streams};
        w.lfd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t al = sizeof a;
        bind(w.lfd, (struct sockaddr *)&a, sizeof a);
        listen(w.lfd, 4096);
        getsockname(w.lfd, (struct sockaddr *)&a, &al);
        pthread_t t;
        pthread_create(&t, NULL, raw_main, &w);
        client_open(&c, streams, ntohs(a.sin_port), NULL);
        uint64_t t0 = sb_now_ns();
        client_run(&c, (uint64_t)seconds);
        double el = (double)(sb_now_ns() - t0) / 1e9;
        atomic_store(&w.stop, 1);
        pthread_join(t, NULL);
        close(w.lfd);
        printf("raw streams=%d events/s=%.0f MB/s=%.1f\n", streams, c.total_events / el,
               c.total_bytes / el / 1e6);
    } else if (!strcmp(mode, "firehose") || timed) {
        sim_server *s = ext_port ? NULL : start_sim(!timed, streams, itl_ms);
        int port = ext_port ? ext_port : sim_port(s);
        client_open(&c, streams, port, req.data);
        c.itl_ns = (uint64_t)(itl_ms * 1e6);
        uint64_t t0 = sb_now_ns();
        client_run(&c, (uint64_t)seconds);
        double el = (double)(sb_now_ns() - t0) / 1e9;
        printf("%s%s streams=%d events/s=%.0f MB/s=%.1f", mode, ext_port ? "(external)" : "",
               streams, c.total_events / el, c.total_bytes / el / 1e6);
        if (timed)
            printf(" client_lateness_us p50=%.0f p99=%.0f", lat_quantile_us(&c, 0.5),
                   lat_quantile_us(&c, 0.99));
        if (s) {
            sim_halt(s);
            sim_totals t;
            sim_get_totals(s, &t);
            if (timed)
                printf(" sim_schedule_error_us p50=%.1f p99=%.1f max=%.1f samples=%llu",
                       t.sched_p50_ns / 1e3, t.sched_p99_ns / 1e3, t.sched_max_ns / 1e3,
                       (unsigned long long)t.sched_samples);
            sim_stop(s);
        }
        printf("\n");
        client_close(&c);
        sb_buf_free(&req);
        return 0;
    } else {
        return usage();
    }
    client_close(&c);
    sb_buf_free(&req);
    return 0;
}
