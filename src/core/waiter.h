/* SPDX-License-Identifier: Apache-2.0 */
/* waiter.h - a side thread's sleep that its owner can cut short.
 *
 * The probe and metrics-scraper threads wake on their own schedule
 * (absolute CLOCK_MONOTONIC deadlines, so sleeps never drift) and must end
 * at once when the run ends, not after their next sleep. The mutex is also
 * the owner's lock for whatever else the thread shares with it. */
#ifndef SB_WAITER_H
#define SB_WAITER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct sb_waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    bool stop;         /* under mu */
} sb_waiter;

void sb_waiter_init(sb_waiter *w);
void sb_waiter_destroy(sb_waiter *w);
/* Sleeps until deadline_ns (sb_now_ns's clock) or sb_waiter_stop; true when
 * stopped. */
bool sb_waiter_sleep_until(sb_waiter *w, uint64_t deadline_ns);
/* Wakes the sleeper for good: every later sleep returns true at once. */
void sb_waiter_stop(sb_waiter *w);

#endif
