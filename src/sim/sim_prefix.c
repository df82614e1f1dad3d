/* SPDX-License-Identifier: Apache-2.0 */
/* sim_prefix.c - the prefix cache's table (sim_prefix.h).
 *
 * Entries live in one array sized at the start; buckets chain entries by
 * index. Entries are handed out from a never-used range first and from a
 * free list after evictions, so neither array is written before it is
 * needed: calloc's untouched pages cost no memory. Unpinned entries form a
 * doubly linked LRU list (head: evicted next), pinned ones are off it, as
 * vLLM's free-block queue holds only blocks with no reference. Block hashes
 * are 64-bit; two prefixes colliding would share a block, as in vLLM with its
 * non-cryptographic hash option. */
#include "sim/sim_prefix.h"

#include <assert.h>
#include <stdlib.h>

#include "core/buf.h"
#include "sim/sim_rng.h"

#define NONE UINT32_MAX

typedef struct pfx_ent {
    uint64_t hash;
    uint32_t prev, next; /* LRU links while unpinned */
    uint32_t chain;      /* next entry of the bucket, or of the free list */
    uint32_t ref;        /* running requests holding it */
} pfx_ent;

struct sim_prefix {
    uint32_t block_size;
    uint32_t cap;       /* entries: the capacity in blocks */
    uint32_t used;      /* entries holding a block */
    uint32_t unpinned;  /* of them, held by no running request */
    uint32_t room;      /* most unpinned entries allowed */
    uint32_t fresh;     /* entries [fresh, cap) were never used */
    uint32_t free_head; /* entries used once, then evicted */
    uint32_t lru_head, lru_tail;
    uint32_t mask;    /* buckets - 1 */
    uint32_t *bucket; /* first entry index + 1; 0 = empty */
    pfx_ent *e;
    uint64_t evictions;
};

static uint64_t mix(uint64_t x)
{
    return sim_splitmix64(&x);
}

uint64_t sim_pfx_hasher_root(uint64_t seed, const char *salt, size_t salt_len)
{
    return sim_hash(seed ^ 0x7066782d63616368ull, salt ? salt : "", salt ? salt_len : 0);
}

void sim_pfx_hasher_begin(sim_pfx_hasher *h, uint32_t block_size, uint64_t seed, const char *salt,
                          size_t salt_len, uint64_t *out, uint32_t max)
{
    sim_pfx_hasher_begin_at(h, block_size, sim_pfx_hasher_root(seed, salt, salt_len), out, max);
}

void sim_pfx_hasher_begin_at(sim_pfx_hasher *h, uint32_t block_size, uint64_t root, uint64_t *out,
                             uint32_t max)
{
    assert(block_size > 0);
    h->parent = root;
    h->acc = h->parent;
    h->block_size = block_size;
    h->fill = 0;
    h->out = out;
    h->n = 0;
    h->max = max;
}

void sim_pfx_hasher_push(sim_pfx_hasher *h, uint64_t id)
{
    if (h->n >= h->max)
        return;
    /* One multiply a token by an odd constant with dense bits (a bijection
     * of the state for each id); the block's closing splitmix64 spreads it.
     * A full mix per token cost three times as much (bench/prefix.c). */
    h->acc = (h->acc ^ id) * 0x9e3779b97f4a7c15ull;
    if (++h->fill < h->block_size)
        return;
    /* The block's hash covers its parent (acc started from it) and its ids. */
    h->parent = mix(h->acc ^ 0x626c6f636b656e64ull);
    h->out[h->n++] = h->parent;
    h->acc = h->parent;
    h->fill = 0;
}

sim_prefix *sim_prefix_new(uint32_t block_size, uint32_t capacity_blocks, sb_err *err)
{
    if (block_size == 0 || capacity_blocks == 0 || capacity_blocks > SIM_PREFIX_MAX_BLOCKS) {
        sb_err_set(err,
                   "prefix cache: %u blocks of %u tokens is not a usable size (1 to %u blocks)",
                   capacity_blocks, block_size, SIM_PREFIX_MAX_BLOCKS);
        return NULL;
    }
    sim_prefix *p = sb_xcalloc(1, sizeof *p);
    p->block_size = block_size;
    p->cap = p->room = capacity_blocks;
    p->free_head = p->lru_head = p->lru_tail = NONE;
    uint32_t nb = 1;
    while (nb < capacity_blocks)
        nb <<= 1;
    p->mask = nb - 1;
    p->bucket = sb_xcalloc(nb, sizeof *p->bucket);
    p->e = sb_xcalloc(capacity_blocks, sizeof *p->e);
    return p;
}

void sim_prefix_free(sim_prefix *p)
{
    if (!p)
        return;
    free(p->bucket);
    free(p->e);
    free(p);
}

uint32_t sim_prefix_block_size(const sim_prefix *p)
{
    return p->block_size;
}

uint32_t sim_prefix_capacity(const sim_prefix *p)
{
    return p->cap;
}

void sim_prefix_get_stats(const sim_prefix *p, sim_prefix_stats *out)
{
    out->used = p->used;
    out->unpinned = p->unpinned;
    out->evictions = p->evictions;
}

static uint32_t *bucket_of(sim_prefix *p, uint64_t hash)
{
    return &p->bucket[(uint32_t)(hash ^ (hash >> 32)) & p->mask];
}

static uint32_t lookup(sim_prefix *p, uint64_t hash)
{
    for (uint32_t i1 = *bucket_of(p, hash); i1; i1 = p->e[i1 - 1].chain)
        if (p->e[i1 - 1].hash == hash)
            return i1 - 1;
    return NONE;
}

static void lru_unlink(sim_prefix *p, uint32_t i)
{
    pfx_ent *x = &p->e[i];
    if (x->prev != NONE)
        p->e[x->prev].next = x->next;
    else
        p->lru_head = x->next;
    if (x->next != NONE)
        p->e[x->next].prev = x->prev;
    else
        p->lru_tail = x->prev;
    x->prev = x->next = NONE;
    p->unpinned--;
}

static void lru_append(sim_prefix *p, uint32_t i)
{
    pfx_ent *x = &p->e[i];
    x->prev = p->lru_tail;
    x->next = NONE;
    if (p->lru_tail != NONE)
        p->e[p->lru_tail].next = i;
    else
        p->lru_head = i;
    p->lru_tail = i;
    p->unpinned++;
}

/* Removes the least recently used unpinned entry from the table; returns its
 * index (now free for reuse) or NONE when every entry is pinned. */
static uint32_t evict_one(sim_prefix *p)
{
    uint32_t i = p->lru_head;
    if (i == NONE)
        return NONE;
    assert(p->e[i].ref == 0);
    lru_unlink(p, i);
    uint32_t *link = bucket_of(p, p->e[i].hash);
    while (*link != i + 1)
        link = &p->e[*link - 1].chain;
    *link = p->e[i].chain;
    p->used--;
    p->evictions++;
    return i;
}

/* A new pinned entry for hash, or NONE when the table is full of pinned ones. */
static uint32_t insert(sim_prefix *p, uint64_t hash)
{
    uint32_t i;
    if (p->free_head != NONE) {
        i = p->free_head;
        p->free_head = p->e[i].chain;
    } else if (p->fresh < p->cap) {
        i = p->fresh++;
    } else if ((i = evict_one(p)) == NONE) {
        return NONE;
    }
    pfx_ent *x = &p->e[i];
    x->hash = hash;
    x->ref = 1;
    x->prev = x->next = NONE;
    uint32_t *b = bucket_of(p, hash);
    x->chain = *b;
    *b = i + 1;
    p->used++;
    return i;
}

static void pin(sim_prefix *p, uint32_t i)
{
    if (p->e[i].ref++ == 0)
        lru_unlink(p, i);
}

/* Evictions until at most room unpinned entries remain; freed entries go to
 * the free list. */
static void trim(sim_prefix *p)
{
    while (p->unpinned > p->room) {
        uint32_t i = evict_one(p);
        p->e[i].chain = p->free_head;
        p->free_head = i;
    }
}

uint32_t sim_prefix_acquire(sim_prefix *p, const uint64_t *hashes, uint32_t n, uint32_t max_hit,
                            uint32_t *ents, uint32_t *held)
{
    uint32_t hits = 0, k = 0;
    for (uint32_t b = 0; b < n; b++) {
        uint32_t i = lookup(p, hashes[b]);
        if (i != NONE) {
            if (hits == b && b < max_hit)
                hits++;
            pin(p, i);
        } else if ((i = insert(p, hashes[b])) == NONE) {
            break;
        }
        ents[k++] = i;
    }
    *held = k;
    return hits;
}

void sim_prefix_release(sim_prefix *p, const uint32_t *ents, uint32_t held)
{
    /* Last block first: it reaches the LRU list first, so it is evicted
     * before the blocks that lead to it (vllm/v1/core/single_type_kv_cache_manager.py:
     * free frees in reverse order). */
    for (uint32_t k = held; k-- > 0;) {
        pfx_ent *x = &p->e[ents[k]];
        assert(x->ref > 0);
        if (--x->ref == 0)
            lru_append(p, ents[k]);
    }
    trim(p);
}

void sim_prefix_set_room(sim_prefix *p, uint32_t room)
{
    p->room = room < p->cap ? room : p->cap;
    trim(p);
}
