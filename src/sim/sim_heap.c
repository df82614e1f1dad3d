/* SPDX-License-Identifier: Apache-2.0 */
/* sim_heap.c - timer min-heap (see sim_heap.h).
 *
 * A heap rather than a timing wheel: deadlines span microseconds (firehose,
 * short ITLs) to minutes (--stall-ms) and a heap is exact at every scale with
 * no tick granularity to add schedule error. Ties break on insertion order so
 * streams due at the same instant are served round-robin. */
#include "sim/sim_heap.h"

#include <stdlib.h>

#include "core/buf.h"

void sim_timer_init(sim_timer *t)
{
    t->deadline_ns = 0;
    t->order = 0;
    t->idx = SIM_TIMER_IDLE;
    t->io = 0;
}

void sim_heap_init(sim_heap *h)
{
    h->v = NULL;
    h->n = h->cap = 0;
    h->next_order = 0;
}

void sim_heap_free(sim_heap *h)
{
    free(h->v);
    sim_heap_init(h);
}

static int before(const sim_timer *a, const sim_timer *b)
{
    if (a->deadline_ns != b->deadline_ns)
        return a->deadline_ns < b->deadline_ns;
    return a->order < b->order;
}

static void place(sim_heap *h, size_t i, sim_timer *t)
{
    h->v[i] = t;
    t->idx = i;
}

static void sift_up(sim_heap *h, size_t i)
{
    sim_timer *t = h->v[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(t, h->v[p]))
            break;
        place(h, i, h->v[p]);
        i = p;
    }
    place(h, i, t);
}

static void sift_down(sim_heap *h, size_t i)
{
    sim_timer *t = h->v[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && before(h->v[c + 1], h->v[c]))
            c++;
        if (!before(h->v[c], t))
            break;
        place(h, i, h->v[c]);
        i = c;
    }
    place(h, i, t);
}

void sim_heap_remove(sim_heap *h, sim_timer *t)
{
    size_t i = t->idx;
    if (i == SIM_TIMER_IDLE)
        return;
    t->idx = SIM_TIMER_IDLE;
    h->n--;
    if (i == h->n)
        return;
    sim_timer *moved = h->v[h->n];
    place(h, i, moved);
    sift_up(h, i);
    sift_down(h, moved->idx);
}

void sim_heap_push(sim_heap *h, sim_timer *t, uint64_t deadline_ns)
{
    sim_heap_remove(h, t);
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 256;
        h->v = sb_xrealloc(h->v, h->cap * sizeof *h->v);
    }
    t->deadline_ns = deadline_ns;
    t->order = h->next_order++;
    place(h, h->n, t);
    h->n++;
    sift_up(h, h->n - 1);
}

sim_timer *sim_heap_top(const sim_heap *h)
{
    return h->n ? h->v[0] : NULL;
}
