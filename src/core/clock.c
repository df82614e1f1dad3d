/* SPDX-License-Identifier: Apache-2.0 */
/* clock.c - monotonic and wall clocks (see clock.h). */
#include "core/clock.h"

#include <errno.h>
#include <time.h>

uint64_t sb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * SB_NS_PER_S + (uint64_t)ts.tv_nsec;
}

uint64_t sb_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * SB_NS_PER_S + (uint64_t)ts.tv_nsec;
}

void sb_sleep_until_ns(uint64_t deadline_ns)
{
    struct timespec ts = {.tv_sec = (time_t)(deadline_ns / SB_NS_PER_S),
                          .tv_nsec = (long)(deadline_ns % SB_NS_PER_S)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}
