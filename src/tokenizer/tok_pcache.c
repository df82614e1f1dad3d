/* SPDX-License-Identifier: Apache-2.0 */
/* tok_pcache.c - a large per-thread pre-token -> ids cache for workloads that
 * re-encode the same pieces many times (the random dataset re-encodes nearly
 * the same text in its second round, and its prompts are windows of
 * consecutive vocabulary ids, so pieces recur across requests).
 *
 * Exact by construction: the model's output for a piece depends only on the
 * piece's bytes and its byte-level flag, which together form the key. Keys of
 * any length are kept (the small direct-mapped cache in tok_model.c stops at
 * 55 bytes, and long pieces are the expensive ones). Entries live in one
 * growing blob addressed by offset; the slot table is sized once from the
 * byte budget, and when either fills the whole cache is dropped: no eviction
 * bookkeeping on the hot path, and memory stays under the budget. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"

/* Entry in the blob (4-aligned): [uint32 keylen][uint32 nids][ids][key]. */
typedef struct pc_head {
    uint32_t klen, nids;
} pc_head;

struct tok_pcache {
    struct pc_slot {
        uint32_t off; /* entry offset / 4 + 1, 0 = empty */
        uint32_t tag; /* hash bits above the index */
    } * slots;
    size_t mask, n, max_n;
    char *blob;
    size_t len, cap, max_len;
};

tok_pcache *tok_pcache_new(size_t budget)
{
    if (budget < (1u << 20))
        budget = 1u << 20;
    tok_pcache *c = sb_xcalloc(1, sizeof *c);
    size_t slots = 1024;
    while (slots * 128 < budget) /* ~16 bytes of slots per ~100-byte entry */
        slots *= 2;
    c->slots = sb_xcalloc(slots, sizeof *c->slots);
    c->mask = slots - 1;
    c->max_n = slots / 4 * 3;
    c->max_len = budget - slots * sizeof *c->slots;
    if (c->max_len > ((size_t)UINT32_MAX - 1) * 4)
        c->max_len = ((size_t)UINT32_MAX - 1) * 4;
    return c;
}

void tok_pcache_free(tok_pcache *c)
{
    if (!c)
        return;
    free(c->slots);
    free(c->blob);
    free(c);
}

static uint64_t pc_hash(const char *k, size_t n, bool bytelevel)
{
    return tok_hash(k, n) ^ (bytelevel ? 0x9e3779b97f4a7c15ULL : 0);
}

const int32_t *tok_pcache_get(const tok_pcache *c, const char *k, size_t n, bool bytelevel,
                              size_t *nids)
{
    uint64_t h = pc_hash(k, n, bytelevel);
    uint32_t tag = (uint32_t)(h >> 32);
    uint32_t klen = (uint32_t)n * 2 + bytelevel;
    for (size_t j = h & c->mask; c->slots[j].off; j = (j + 1) & c->mask) {
        if (c->slots[j].tag != tag)
            continue;
        const char *e = c->blob + ((size_t)c->slots[j].off - 1) * 4;
        pc_head hd;
        memcpy(&hd, e, sizeof hd);
        const int32_t *ids = (const int32_t *)(const void *)(e + sizeof hd);
        if (hd.klen == klen && memcmp(ids + hd.nids, k, n) == 0) {
            *nids = hd.nids;
            return ids;
        }
    }
    return NULL;
}

static void pc_clear(tok_pcache *c)
{
    memset(c->slots, 0, (c->mask + 1) * sizeof *c->slots);
    c->n = 0;
    c->len = 0;
}

void tok_pcache_put(tok_pcache *c, const char *k, size_t n, bool bytelevel, const int32_t *ids,
                    size_t nids)
{
    size_t need = (sizeof(pc_head) + nids * sizeof *ids + n + 3) & ~(size_t)3;
    if (need > c->max_len / 4)
        return; /* one entry may not crowd out everything else */
    if (c->n >= c->max_n || c->len + need > c->max_len)
        pc_clear(c);
    if (c->len + need > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : (1u << 16);
        while (cap < c->len + need)
            cap *= 2;
        if (cap > c->max_len)
            cap = c->max_len;
        c->blob = sb_xrealloc(c->blob, cap);
        c->cap = cap;
    }
    char *e = c->blob + c->len;
    pc_head hd = {(uint32_t)n * 2 + bytelevel, (uint32_t)nids};
    memcpy(e, &hd, sizeof hd);
    memcpy(e + sizeof hd, ids, nids * sizeof *ids);
    memcpy(e + sizeof hd + nids * sizeof *ids, k, n);
    uint64_t h = pc_hash(k, n, bytelevel);
    size_t j = h & c->mask;
    while (c->slots[j].off)
        j = (j + 1) & c->mask;
    c->slots[j].off = (uint32_t)(c->len / 4 + 1);
    c->slots[j].tag = (uint32_t)(h >> 32);
    c->len += need;
    c->n++;
}
