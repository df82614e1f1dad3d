/* SPDX-License-Identifier: Apache-2.0 */
/* sim_loop.c - the simulator's single-threaded epoll loop.
 *
 * One thread serves every connection: epoll for sockets and an eventfd
 * sim_halt() writes to. The wait ends at the earliest deadline of the timer
 * heap with nanosecond precision through epoll_pwait2 (one syscall per
 * wake-up); kernels without it get a timerfd armed at that absolute
 * CLOCK_MONOTONIC deadline instead. Due timers run before each wait, so a
 * deadline met while busy fires without a syscall round trip. Closed
 * connections are freed at the end of each iteration. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "sim/sim_internal.h"

#define MAX_EVENTS 512

void sim_loop_arm(sim_server *s)
{
    sim_timer *t = sim_heap_top(&s->heap);
    uint64_t want = t ? (t->deadline_ns ? t->deadline_ns : 1) : 0;
    if (want == s->armed_ns)
        return;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = (time_t)(want / SB_NS_PER_S);
    its.it_value.tv_nsec = (long)(want % SB_NS_PER_S);
    timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL);
    s->armed_ns = want;
}

static void accept_all(sim_server *s)
{
    for (;;) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            sim_conn_new(s, fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* Out of descriptors: stop listening until a connection closes,
             * instead of spinning on a listener that stays readable. */
            epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL);
            s->accept_paused = 1;
        }
        return;
    }
}

static void run_due_timers(sim_server *s)
{
    uint64_t now = sb_now_ns();
    /* Bounded per pass (256 ticks of up to 64 chunks each) so socket events, a
     * /health probe among them, wait a few ms at most behind firehose streams. */
    for (int budget = 256; budget > 0; budget--) {
        sim_timer *t = sim_heap_top(&s->heap);
        if (!t)
            return;
        if (t->deadline_ns > now && t->deadline_ns > (now = sb_now_ns()))
            return;
        sim_heap_remove(&s->heap, t);
        if (t == &s->step_timer) {
            sim_step_run(s);
        } else if (t->io) {
            sim_conn_on_timer((sim_conn *)((char *)t - offsetof(sim_conn, io_timer)));
        } else {
            sim_conn *c = (sim_conn *)((char *)t - offsetof(sim_conn, timer));
            sim_model_tick(c);
        }
    }
}

static void bury(sim_server *s)
{
    while (s->graveyard) {
        sim_conn *c = s->graveyard;
        s->graveyard = c->next;
        sim_conn_free(c);
    }
}

/* Waits for events until the earliest timer is due. */
static int wait_events(sim_server *s, struct epoll_event *evs)
{
    sim_timer *top = sim_heap_top(&s->heap);
    uint64_t now = sb_now_ns();
    if (s->have_pwait2) {
        struct timespec ts = {0, 0};
        if (top && top->deadline_ns > now) {
            uint64_t d = top->deadline_ns - now;
            ts.tv_sec = (time_t)(d / SB_NS_PER_S);
            ts.tv_nsec = (long)(d % SB_NS_PER_S);
        }
        int n = epoll_pwait2(s->epfd, evs, MAX_EVENTS, top ? &ts : NULL, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n;
        s->have_pwait2 = 0; /* an old kernel: fall back to the timerfd */
    }
    sim_loop_arm(s);
    return epoll_wait(s->epfd, evs, MAX_EVENTS, top && top->deadline_ns <= now ? 0 : -1);
}

int sim_loop_run(sim_server *s)
{
    struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        run_due_timers(s);
        bury(s);
        int n = wait_events(s, evs);
        if (n < 0 && errno != EINTR)
            return -1;
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &s->efd)
                return 0;
            if (p == &s->lfd) {
                accept_all(s);
            } else if (p == &s->tfd) {
                uint64_t ticks;
                ssize_t r = read(s->tfd, &ticks, sizeof ticks);
                (void)r;
                s->armed_ns = 0; /* fired: re-arm on the next pass */
            } else {
                sim_conn_on_event(p, evs[i].events);
            }
        }
        bury(s);
    }
}
