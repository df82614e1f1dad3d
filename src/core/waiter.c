/* SPDX-License-Identifier: Apache-2.0 */
/* waiter.c - a side thread's sleep that its owner can cut short (waiter.h). */
#include "core/waiter.h"

#include <time.h>

void sb_waiter_init(sb_waiter *w)
{
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    /* the deadlines are sb_now_ns() values: the condition must use that clock */
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    w->stop = false;
}

void sb_waiter_destroy(sb_waiter *w)
{
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

bool sb_waiter_sleep_until(sb_waiter *w, uint64_t deadline_ns)
{
    struct timespec ts = {.tv_sec = (time_t)(deadline_ns / 1000000000u),
                          .tv_nsec = (long)(deadline_ns % 1000000000u)};
    pthread_mutex_lock(&w->mu);
    /* 0 is a wake-up (stop, or spurious: look again); ETIMEDOUT ends the sleep */
    while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
        ;
    bool stop = w->stop;
    pthread_mutex_unlock(&w->mu);
    return stop;
}

void sb_waiter_stop(sb_waiter *w)
{
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}
