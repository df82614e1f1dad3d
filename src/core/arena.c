/* SPDX-License-Identifier: Apache-2.0 */
/* arena.c - bump allocator (see arena.h). Large requests get a block of their
 * own so a 50 MB prompt does not waste the rest of a 1 MiB block. */
#include "core/arena.h"
#include "core/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sb_arena_block {
    sb_arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char mem[];
};

void sb_arena_init(sb_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : (1u << 20);
    a->total_bytes = 0;
}

void sb_arena_free(sb_arena *a)
{
    sb_arena_block *b = a->head;
    while (b) {
        sb_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total_bytes = 0;
}

void *sb_arena_alloc(sb_arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    sb_arena_block *b = a->head;
    if (!b || b->cap - b->used < need) {
        size_t cap = need > a->block_size / 4 ? need : a->block_size;
        sb_arena_block *nb = sb_xmalloc(sizeof *nb + cap);
        nb->used = 0;
        nb->cap = cap;
        if (b && cap == need) {
            /* Dedicated block: keep the current block at the head for small allocations. */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = b->mem + b->used;
    b->used += need;
    a->total_bytes += n;
    return p;
}

void *sb_arena_calloc(sb_arena *a, size_t n)
{
    void *p = sb_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *sb_arena_strndup(sb_arena *a, const char *s, size_t n)
{
    char *p = sb_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *sb_arena_strdup(sb_arena *a, const char *s)
{
    return sb_arena_strndup(a, s, strlen(s));
}
