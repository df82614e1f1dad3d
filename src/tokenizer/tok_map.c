/* SPDX-License-Identifier: Apache-2.0 */
/* tok_map.c - the two hash maps the tokenizer lives on: token string -> id
 * (vocabularies of up to a few hundred thousand entries) and a 64-bit key ->
 * two int32 values (BPE merge pairs, trie edges).
 *
 * Open addressing with linear probing at load <= 1/2: lookups on the encode
 * path touch one or two cache lines and never allocate. String keys live in a
 * single blob so a 262k vocabulary costs a handful of allocations. */
#include "tokenizer/tok_internal.h"

#include <stdlib.h>
#include <string.h>

uint64_t tok_hash(const void *p, size_t n)
{
    /* FNV-1a over 8-byte words, then a final avalanche: fast on the short
     * keys that dominate (tokens average under 8 bytes). */
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ULL ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0x100000001b3ULL;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    return h;
}

static size_t pow2_at_least(size_t n)
{
    size_t c = 16;
    while (c < n)
        c <<= 1;
    return c;
}

void tok_smap_init(tok_smap *m, size_t expect)
{
    memset(m, 0, sizeof *m);
    size_t cap = pow2_at_least(expect + expect / 2 + 2);
    m->slots = sb_xcalloc(cap, sizeof *m->slots);
    m->mask = cap - 1;
    sb_buf_init(&m->blob);
    sb_buf_reserve(&m->blob, expect * 20 + 64);
}

void tok_smap_free(tok_smap *m)
{
    free(m->slots);
    sb_buf_free(&m->blob);
    memset(m, 0, sizeof *m);
}

typedef struct rec {
    int32_t val;
    uint32_t len;
    char key[];
} rec;

static rec *rec_at(const tok_smap *m, uint32_t off)
{
    return (rec *)(void *)(m->blob.data + off);
}

static void smap_grow(tok_smap *m)
{
    size_t cap = (m->mask + 1) * 2;
    struct tok_sslot *slots = sb_xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i <= m->mask; i++) {
        if (!m->slots[i].off)
            continue;
        const rec *r = rec_at(m, m->slots[i].off - 1);
        size_t j = tok_hash(r->key, r->len) & (cap - 1);
        while (slots[j].off)
            j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->mask = cap - 1;
}

static struct tok_sslot *smap_find(const tok_smap *m, const char *k, size_t len, uint64_t h)
{
    size_t j = h & m->mask;
    uint32_t tag = (uint32_t)(h >> 32);
    for (;;) {
        struct tok_sslot *s = &m->slots[j];
        if (!s->off)
            return s;
        if (s->tag == tag) {
            const rec *r = rec_at(m, s->off - 1);
            if (r->len == len && memcmp(r->key, k, len) == 0)
                return s;
        }
        j = (j + 1) & m->mask;
    }
}

void tok_smap_put(tok_smap *m, const char *k, size_t len, int32_t val)
{
    uint64_t h = tok_hash(k, len);
    struct tok_sslot *slot = smap_find(m, k, len, h);
    if (slot->off) {
        rec_at(m, slot->off - 1)->val = val;
        return;
    }
    size_t off = m->blob.len;
    rec hdr = {val, (uint32_t)len};
    sb_buf_append(&m->blob, &hdr, sizeof hdr);
    sb_buf_append(&m->blob, k, len);
    static const char pad[4] = {0};
    sb_buf_append(&m->blob, pad, 4 - (len & 3)); /* NUL + alignment */
    slot->off = (uint32_t)off + 1;
    slot->tag = (uint32_t)(h >> 32);
    m->n++;
    if (m->n * 3 > (m->mask + 1) * 2) /* load <= 2/3 */
        smap_grow(m);
}

int32_t tok_smap_get(const tok_smap *m, const char *k, size_t len)
{
    if (!m->slots)
        return -1;
    struct tok_sslot *slot = smap_find(m, k, len, tok_hash(k, len));
    return slot->off ? rec_at(m, slot->off - 1)->val : -1;
}

bool tok_smap_next(const tok_smap *m, size_t *pos, const char **key, size_t *len, int32_t *val)
{
    if (*pos >= m->blob.len)
        return false;
    const rec *r = rec_at(m, (uint32_t)*pos);
    *key = r->key;
    *len = r->len;
    *val = r->val;
    *pos += sizeof *r + r->len + (4 - (r->len & 3));
    return true;
}

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

void tok_pmap_init(tok_pmap *m, size_t expect)
{
    size_t cap = pow2_at_least(expect + expect / 2 + 2);
    m->slots = sb_xcalloc(cap, sizeof *m->slots);
    m->mask = cap - 1;
    m->n = 0;
}

void tok_pmap_free(tok_pmap *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static void pmap_grow(tok_pmap *m)
{
    size_t cap = (m->mask + 1) * 2;
    struct tok_pslot *slots = sb_xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i <= m->mask; i++) {
        if (!m->slots[i].key)
            continue;
        size_t j = mix64(m->slots[i].key - 1) & (cap - 1);
        while (slots[j].key)
            j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->mask = cap - 1;
}

void tok_pmap_put(tok_pmap *m, uint64_t key, int32_t a, int32_t b)
{
    size_t j = mix64(key) & m->mask;
    while (m->slots[j].key && m->slots[j].key != key + 1)
        j = (j + 1) & m->mask;
    if (!m->slots[j].key) {
        m->slots[j].key = key + 1;
        m->n++;
    }
    m->slots[j].a = a;
    m->slots[j].b = b;
    if (m->n * 3 > (m->mask + 1) * 2)
        pmap_grow(m);
}

bool tok_pmap_get(const tok_pmap *m, uint64_t key, int32_t *a, int32_t *b)
{
    if (!m->slots)
        return false;
    size_t j = mix64(key) & m->mask;
    for (;;) {
        const struct tok_pslot *s = &m->slots[j];
        if (!s->key)
            return false;
        if (s->key == key + 1) {
            *a = s->a;
            if (b)
                *b = s->b;
            return true;
        }
        j = (j + 1) & m->mask;
    }
}
