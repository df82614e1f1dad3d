/* SPDX-License-Identifier: Apache-2.0 */
/* clock.h - the one clock servebench measures with.
 *
 * Everything inside the program is monotonic uint64_t nanoseconds
 * (CLOCK_MONOTONIC, which the simulator also uses, so client and server
 * timestamps on one machine are directly comparable). Convert to ms or s only
 * when reporting. */
#ifndef SB_CLOCK_H
#define SB_CLOCK_H

#include <stdint.h>

/* Monotonic now, in nanoseconds. */
uint64_t sb_now_ns(void);

/* Wall clock (CLOCK_REALTIME) in nanoseconds since the Unix epoch. */
uint64_t sb_wall_ns(void);

/* Sleeps until the monotonic deadline (absolute, so repeated sleeps never drift). */
void sb_sleep_until_ns(uint64_t deadline_ns);

#define SB_NS_PER_S 1000000000ull
#define SB_NS_PER_MS 1000000ull
#define SB_NS_PER_US 1000ull

#endif
