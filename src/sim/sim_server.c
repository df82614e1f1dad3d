/* SPDX-License-Identifier: Apache-2.0 */
/* sim_server.c - creating, running on a thread, halting and freeing a server.
 *
 * Binding happens in the caller's thread so a busy port or bad host is an
 * error returned by sim_start, never a silent thread failure. The loop thread
 * then owns all server state until sim_halt joins it. */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "sim/sim_internal.h"

static int listen_on(sim_server *s, sb_err *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", s->o.port);
    int rc = getaddrinfo(s->o.host, port, &hints, &ai);
    if (rc != 0)
        return sb_err_set(err, "cannot resolve --host '%s': %s", s->o.host, gai_strerror(rc));
    int fd = -1, saved = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 4096) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0)
        return sb_err_set(err, "cannot listen on %s:%d: %s", s->o.host, s->o.port, strerror(saved));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    char hbuf[NI_MAXHOST], sbuf[NI_MAXSERV];
    getnameinfo((struct sockaddr *)&ss, sl, hbuf, sizeof hbuf, sbuf, sizeof sbuf,
                NI_NUMERICHOST | NI_NUMERICSERV);
    s->port = (int)strtol(sbuf, NULL, 10);
    snprintf(s->host, sizeof s->host, strchr(hbuf, ':') ? "[%s]" : "%s", hbuf);
    s->lfd = fd;
    return 0;
}

static int add_fd(sim_server *s, int fd, void *tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};
    return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void server_free(sim_server *s)
{
    int fds[] = {s->lfd, s->epfd, s->tfd, s->efd};
    for (size_t i = 0; i < 4; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (s->rec)
        fclose(s->rec);
    sim_tok_detach(s);
    sim_prefix_free(s->pfx);
    if (s->cap) {
        sim_capacity_free(s->cap);
        free(s->cap);
    }
    sim_heap_free(&s->heap);
    sb_buf_free(&s->scratch);
    sb_buf_free(&s->scratch2);
    free(s->own_host);
    free(s->own_model);
    free(s);
}

/* --model-config: the capacity model replaces the fixed timings; its one
 * line of facts goes to stderr so a run's log says what was simulated. */
static int capacity_attach(sim_server *s, sb_err *err)
{
    const sim_opts *o = &s->o;
    sim_capacity_opts co = {.model_config = o->model_config,
                            .gpu = o->gpu,
                            .tp = o->tensor_parallel_size,
                            .gpu_memory_utilization = o->gpu_memory_utilization,
                            .kv_cache_dtype = o->kv_cache_dtype,
                            .max_model_len = o->max_model_len,
                            .mfu = o->mfu,
                            .mbu = o->mbu,
                            .step_overhead_ms = o->step_overhead_ms,
                            .allreduce_us = o->allreduce_us,
                            .overhead_gib = o->overhead_gib,
                            .block_size = o->block_size,
                            .num_blocks = o->num_gpu_blocks,
                            .max_num_batched_tokens = o->max_num_batched_tokens};
    s->cap = sb_xcalloc(1, sizeof *s->cap);
    sim_timer_init(&s->step_timer);
    if (sim_capacity_init(s->cap, &co, err) != 0) {
        free(s->cap);
        s->cap = NULL;
        return -1;
    }
    s->o.model_config = s->o.gpu = s->o.kv_cache_dtype = NULL; /* argv may go */
    if (!o->quiet) {
        sb_buf line;
        sb_buf_init(&line);
        sim_capacity_describe(s->cap, &co, &line);
        fprintf(stderr, "servebench sim: %s\n", line.data);
        sb_buf_free(&line);
    }
    return 0;
}

/* The prefix cache holds --num-gpu-blocks-override blocks, else what the
 * capacity mode's KV cache holds, else 2^20 tokens' worth. */
static int prefix_attach(sim_server *s, sb_err *err)
{
    const sim_opts *o = &s->o;
    if (!o->enable_prefix_caching)
        return 0;
    long bs = o->block_size, blocks = o->num_gpu_blocks;
    if (blocks <= 0)
        blocks = s->cap ? s->cap->kv_tokens / bs : ((1L << 20) + bs - 1) / bs;
    if (blocks < 1)
        blocks = 1;
    if (blocks > (long)SIM_PREFIX_MAX_BLOCKS)
        blocks = (long)SIM_PREFIX_MAX_BLOCKS;
    s->pfx = sim_prefix_new((uint32_t)bs, (uint32_t)blocks, err);
    return s->pfx ? 0 : -1;
}

static sim_server *server_new(const sim_opts *o, sb_err *err)
{
    sim_server *s = sb_xcalloc(1, sizeof *s);
    s->o = *o;
    /* Own the strings: callers may free their argv once sim_start returns. */
    s->o.host = s->own_host = sb_xstrdup(o->host);
    s->o.model = s->own_model = sb_xstrdup(o->model);
    s->o.record_path = NULL;
    s->lfd = s->epfd = s->tfd = s->efd = -1;
    s->have_pwait2 = 1;
    s->max_out = o->max_out_bytes ? o->max_out_bytes : SIM_MAX_OUT_BYTES;
    s->read_timeout_ns =
        (uint64_t)(o->read_timeout_ms ? o->read_timeout_ms : SIM_READ_TIMEOUT_MS) * 1000000u;
    s->write_timeout_ns =
        (uint64_t)(o->write_timeout_ms ? o->write_timeout_ms : SIM_WRITE_TIMEOUT_MS) * 1000000u;
    s->idle_timeout_ns =
        (uint64_t)(o->idle_timeout_ms ? o->idle_timeout_ms : SIM_IDLE_TIMEOUT_MS) * 1000000u;
    sim_heap_init(&s->heap);
    sim_metrics_init(&s->m);
    sb_buf_init(&s->scratch);
    sb_buf_init(&s->scratch2);
    if (o->record_path && !(s->rec = fopen(o->record_path, "w"))) {
        sb_err_set(err, "--record: cannot open '%s': %s", o->record_path, strerror(errno));
        server_free(s);
        return NULL;
    }
    if ((o->model_config && capacity_attach(s, err) != 0) || prefix_attach(s, err) != 0) {
        server_free(s);
        return NULL;
    }
    if (sim_tok_attach(s, err) != 0 || listen_on(s, err) != 0) {
        server_free(s);
        return NULL;
    }
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->epfd < 0 || s->tfd < 0 || s->efd < 0 || add_fd(s, s->lfd, &s->lfd) ||
        add_fd(s, s->tfd, &s->tfd) || add_fd(s, s->efd, &s->efd)) {
        sb_err_set(err, "cannot set up the event loop: %s", strerror(errno));
        server_free(s);
        return NULL;
    }
    return s;
}

static void *thread_main(void *arg)
{
    /* The default 50 us timer slack would add up to 50 us of schedule error
     * to every timed wake-up; the loop wants its deadlines to the microsecond. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    sim_loop_run(arg);
    return NULL;
}

sim_server *sim_start_opts(const sim_opts *o, sb_err *err)
{
    sim_server *s = server_new(o, err);
    if (!s)
        return NULL;
    int rc = pthread_create(&s->thread, NULL, thread_main, s);
    if (rc != 0) {
        sb_err_set(err, "cannot start the simulator thread: %s", strerror(rc));
        server_free(s);
        return NULL;
    }
    s->thread_running = 1;
    return s;
}

sim_server *sim_start(int argc, char **argv, sb_err *err)
{
    sim_opts o;
    sim_opts_default(&o);
    int rc = sim_opts_parse(&o, argc, argv, err);
    if (rc == 1)
        sb_err_set(err, "--help is not a server option");
    if (rc != 0)
        return NULL;
    return sim_start_opts(&o, err);
}

int sim_port(const sim_server *s)
{
    return s->port;
}

const char *sim_host(const sim_server *s)
{
    return s->host;
}

void sim_halt(sim_server *s)
{
    if (!s || s->halted)
        return;
    s->halted = 1;
    if (s->thread_running) {
        uint64_t one = 1;
        ssize_t w = write(s->efd, &one, sizeof one);
        (void)w;
        pthread_join(s->thread, NULL);
        s->thread_running = 0;
    }
    while (s->conns)
        sim_conn_close(s->conns, 0);
    while (s->graveyard) {
        sim_conn *c = s->graveyard;
        s->graveyard = c->next;
        sim_conn_free(c);
    }
    if (s->rec)
        fflush(s->rec);
}

void sim_get_totals(sim_server *s, sim_totals *out)
{
    *out = s->t;
    out->sched_samples = s->m.lag.n;
    out->sched_p50_ns = sim_lag_quantile(&s->m.lag, 0.50);
    out->sched_p99_ns = sim_lag_quantile(&s->m.lag, 0.99);
    out->sched_max_ns = s->m.lag.max_ns;
}

void sim_stop(sim_server *s)
{
    if (!s)
        return;
    sim_halt(s);
    server_free(s);
}
