/* SPDX-License-Identifier: Apache-2.0 */
/* sim_heap.h - a binary min-heap of timers keyed on absolute deadlines (ns).
 *
 * Timers are embedded in their owners (one per connection), so pushing and
 * removing never allocates beyond the heap array's growth; each timer knows
 * its slot, making removal of a cancelled timer O(log n). */
#ifndef SB_SIM_HEAP_H
#define SB_SIM_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define SIM_TIMER_IDLE ((size_t)-1)

typedef struct sim_timer {
    uint64_t deadline_ns;
    uint64_t order; /* insertion number: equal deadlines fire first-in first-out */
    size_t idx;     /* slot in the heap, SIM_TIMER_IDLE when not queued */
    int io;         /* a connection's I/O deadline (sim_conn.io_timer), not its model tick */
} sim_timer;

typedef struct sim_heap {
    sim_timer **v;
    size_t n, cap;
    uint64_t next_order;
} sim_heap;

void sim_heap_init(sim_heap *h);
void sim_heap_free(sim_heap *h);
/* Queues t at deadline_ns (re-queues it if already queued). */
void sim_heap_push(sim_heap *h, sim_timer *t, uint64_t deadline_ns);
void sim_heap_remove(sim_heap *h, sim_timer *t);
/* Earliest timer or NULL. */
sim_timer *sim_heap_top(const sim_heap *h);
void sim_timer_init(sim_timer *t);

#endif
