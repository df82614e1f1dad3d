/* SPDX-License-Identifier: Apache-2.0 */
/* ingest.c - how many SSE token events one client core parses and stamps.
 *
 * Usage: bench_ingest [streams=8] [tokens_per_stream=200000] [epoll|poll] [engine]
 * (a fourth argument "engine" runs the engine part only, for perf record)
 * Starts the simulator in-process with --firehose (tokens as fast as the
 * socket takes them), then:
 *   engine: the real path (the own HTTP/1.1 transport on epoll, then
 *           libcurl's multi on epoll; poll: curl_multi_poll only), SSE
 *           framing, JSON scan, record updates, on `streams` concurrent
 *           completions streams;
 *   raw:    the physical limit on this machine: the same streams read with
 *           plain recv() into one buffer, counting "\n\n" only;
 *   json:   one real chunk through the hand-written scanner (scan.c), the
 *           previous YAJL event scan (scan_yajl.c) and jansson's tree
 *           (json_loadb), the peers a C implementer would otherwise pick.
 * Rates are token events per second of the client thread's own CPU time
 * (CLOCK_THREAD_CPUTIME_ID), so the simulator's CPU use does not count. */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/scan.h"
#include "oracle/scan_yajl.h"
#include "config/config.h"
#include "core/clock.h"
#include "http/engine.h"
#include "run/loop.h"
#include "sim/sim.h"
#include "run/run.h"

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *body_for(int tokens, size_t *len)
{
    sb_config cfg;
    sb_config_defaults(&cfg);
    bk_params p;
    sb_err err;
    bk_params_init(&p, backend_find("openai"), run_bk_opts(&cfg, &(bk_opts){0}), "sim", true, &err);
    pyjson_obj o;
    pyjson_obj_init(&o);
    sb_buf b;
    sb_buf_init(&b);
    bk_req r = {.prompt = "hi", .prompt_bytes = 2, .prompt_len = 1, .output_len = tokens};
    bk_build_body(&p, &r, &o, &b);
    pyjson_obj_free(&o);
    bk_params_free(&p);
    sb_config_free(&cfg);
    *len = b.len;
    return sb_buf_steal(&b);
}

static void bench_engine(int port, int streams, int tokens, bool use_poll, bool curl)
{
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/completions", port);
    size_t blen;
    char *body = body_for(tokens, &blen);
    loop_req *reqs = calloc((size_t)streams, sizeof *reqs);
    for (int i = 0; i < streams; i++)
        reqs[i] = (loop_req){body, blen, i, NULL};
    eng_opts eo = {.use_poll = use_poll, .curl_only = curl};
    if (getenv("SB_INGEST_RECV_BUF")) /* CURLOPT_BUFFERSIZE experiment */
        eo.recv_buffer_bytes = atol(getenv("SB_INGEST_RECV_BUF"));
    sb_err err;
    eng *e = eng_new(&eo, &err);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    loop_opts lo = {.url = url, .headers = h, .id_prefix = "ing-", .mode = BK_MODE_COMPLETIONS};
    if (getenv("SB_INGEST_WORKERS")) /* --num-workers: rate per wall second is the figure */
        lo.num_workers = atol(getenv("SB_INGEST_WORKERS"));
    rec_store *rs = rec_store_new((size_t)streams);
    for (int i = 0; i < streams; i++)
        rs->recs[i].output_len = tokens;
    loop_stats st;
    double c0 = thread_cpu_s();
    rs->bench_start_ns = sb_now_ns();
    if (loop_run(e, &lo, reqs, NULL, (size_t)streams, rs, &st, &err) != 0) {
        fprintf(stderr, "bench_ingest: %s\n", err.msg);
        exit(1);
    }
    double cpu = thread_cpu_s() - c0;
    double wall = (double)(rs->bench_end_ns - rs->bench_start_ns) / 1e9;
    long events = 0, ok = 0;
    for (int i = 0; i < streams; i++)
        events += rs->recs[i].n_chunks, ok += rs->recs[i].success;
    printf("engine (%s): %d streams, %ld token events, ok %ld/%d, wall %.3f s, client cpu %.3f s: "
           "%.0f events/s per client core (%.0f events/s wall)\n",
           use_poll ? "curl_multi_poll"
           : curl   ? "libcurl: epoll+socket_action"
                    : "own HTTP/1.1 transport, epoll",
           streams, events, ok, streams, wall, cpu, (double)events / cpu, (double)events / wall);
    rec_store_free(rs);
    curl_slist_free_all(h);
    eng_free(e);
    free(reqs);
    free(body);
}

/* Minimal reader: one request per socket by hand, then recv() until the
 * server closes (HTTP/1.0), counting blank lines. No HTTP or JSON work. */
static void bench_raw(int port, int streams, int tokens)
{
    size_t blen;
    char *body = body_for(tokens, &blen);
    int ep = epoll_create1(0);
    int open = 0;
    for (int i = 0; i < streams; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
            continue;
        char hdr[256];
        int n = snprintf(hdr, sizeof hdr,
                         "POST /v1/completions HTTP/1.0\r\nContent-Type: application/json\r\n"
                         "Content-Length: %zu\r\n\r\n",
                         blen);
        if (write(fd, hdr, (size_t)n) < 0 || write(fd, body, blen) < 0)
            continue;
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        open++;
    }
    static char buf[1 << 16];
    long events = 0;
    char last = 0;
    double c0 = thread_cpu_s();
    uint64_t w0 = sb_now_ns();
    while (open > 0) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 1000);
        for (int i = 0; i < n; i++) {
            ssize_t r = recv(evs[i].data.fd, buf, sizeof buf, 0);
            if (r <= 0) {
                close(evs[i].data.fd);
                open--;
                continue;
            }
            volatile uint64_t t = sb_now_ns(); /* the same one stamp per read */
            (void)t;
            for (ssize_t k = 0; k < r; k++) {
                if (buf[k] == '\n' && last == '\n')
                    events++;
                last = buf[k];
            }
        }
    }
    double cpu = thread_cpu_s() - c0;
    double wall = (double)(sb_now_ns() - w0) / 1e9;
    printf("raw:    %d streams, %ld events (incl. usage and [DONE]), wall %.3f s, client cpu "
           "%.3f s: %.0f events/s per client core (%.0f events/s wall)\n",
           streams, events, wall, cpu, (double)events / cpu, (double)events / wall);
    close(ep);
    free(body);
}

static void bench_json(void)
{
    const char *m = "{\"id\":\"cmpl-0123456789abcdef\",\"object\":\"text_completion\","
                    "\"created\":1700000000,\"model\":\"sim\",\"choices\":[{\"index\":0,"
                    "\"text\":\" the\",\"logprobs\":null,\"finish_reason\":null,"
                    "\"stop_reason\":null}],\"usage\":null}";
    size_t len = strlen(m);
    int iters = 1000000;
    bk_scan *s = bk_scan_new();
    bk_yscan *ys = bk_yscan_new();
    sb_buf text;
    sb_buf_init(&text);
    char why[128];
    bk_msg msg;
    double c0 = thread_cpu_s();
    for (int i = 0; i < iters; i++) {
        sb_buf_reset(&text);
        bk_scan_parse(s, m, len, &msg, &text, NULL, why, sizeof why);
    }
    double mine = thread_cpu_s() - c0;
    c0 = thread_cpu_s();
    for (int i = 0; i < iters; i++) {
        sb_buf_reset(&text);
        bk_yscan_parse(ys, m, len, &msg, &text, NULL, why, sizeof why);
    }
    double yajl = thread_cpu_s() - c0;
    c0 = thread_cpu_s();
    for (int i = 0; i < iters; i++) {
        json_t *j = json_loadb(m, len, 0, NULL);
        json_t *c = json_array_get(json_object_get(j, "choices"), 0);
        sb_buf_reset(&text);
        const char *t = json_string_value(json_object_get(c, "text"));
        if (t)
            sb_buf_puts(&text, t);
        json_decref(j);
    }
    double jan = thread_cpu_s() - c0;
    printf("json:   one %zu-byte chunk x %d: scan.c %.0f ns/msg, YAJL scan %.0f ns/msg, jansson "
           "tree %.0f ns/msg (YAJL/scan.c = %.2f, jansson/scan.c = %.2f)\n",
           len, iters, mine / iters * 1e9, yajl / iters * 1e9, jan / iters * 1e9, yajl / mine,
           jan / mine);
    bk_scan_free(s);
    bk_yscan_free(ys);
    sb_buf_free(&text);
}

int main(int argc, char **argv)
{
    int streams = argc > 1 ? atoi(argv[1]) : 8;
    int tokens = argc > 2 ? atoi(argv[2]) : 200000;
    char *sargv[] = {"sim", "--port", "0", "--quiet", "--firehose", NULL};
    sb_err err;
    sim_server *sim = sim_start(5, sargv, &err);
    if (!sim) {
        fprintf(stderr, "sim: %s\n", err.msg);
        return 1;
    }
    if (!(argc > 4 && !strcmp(argv[4], "engine"))) {
        bench_json();
        bench_raw(sim_port(sim), streams, tokens);
    }
    bool poll = argc > 3 && !strcmp(argv[3], "poll");
    bench_engine(sim_port(sim), streams, tokens, poll, poll); /* own transport (epoll only) */
    if (!poll)
        bench_engine(sim_port(sim), streams, tokens, false, true); /* libcurl, same run */
    sim_stop(sim);
    return 0;
}
