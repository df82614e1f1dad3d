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
    size_t cap = pow2_at_least(expect * 2 + 2);
    m->slots = sb_xcalloc(cap, sizeof *m->slots);
    m->mask = cap - 1;
    m->cap = expect ? expect : 16;
    m->ents = sb_xmalloc(m->cap * sizeof *m->ents);
    sb_buf_init(&m->keys);
}

void tok_smap_free(tok_smap *m)
{
    free(m->slots);
    free(m->ents);
    sb_buf_free(&m->keys);
    memset(m, 0, sizeof *m);
}

static void smap_grow(tok_smap *m)
{
    size_t cap = (m->mask + 1) * 2;
    uint32_t *slots = sb_xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < m->n; i++) {
        size_t j = m->ents[i].hash & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = (uint32_t)(i + 1);
    }
    free(m->slots);
    m->slots = slots;
    m->mask = cap - 1;
}

static uint32_t *smap_find(const tok_smap *m, const char *k, size_t len, uint64_t h)
{
    size_t j = h & m->mask;
    for (;;) {
        uint32_t s = m->slots[j];
        if (!s)
            return &m->slots[j];
        const struct tok_sent *e = &m->ents[s - 1];
        if (e->hash == h && e->len == len && memcmp(m->keys.data + e->off, k, len) == 0)
            return &m->slots[j];
        j = (j + 1) & m->mask;
    }
}

void tok_smap_put(tok_smap *m, const char *k, size_t len, int32_t val)
{
    uint64_t h = tok_hash(k, len);
    uint32_t *slot = smap_find(m, k, len, h);
    if (*slot) {
        m->ents[*slot - 1].val = val;
        return;
    }
    if (m->n == m->cap) {
        m->cap *= 2;
        m->ents = sb_xrealloc(m->ents, m->cap * sizeof *m->ents);
    }
    struct tok_sent *e = &m->ents[m->n];
    e->hash = h;
    e->off = (uint32_t)m->keys.len;
    e->len = (uint32_t)len;
    e->val = val;
    sb_buf_append(&m->keys, k, len);
    sb_buf_putc(&m->keys, '\0');
    *slot = (uint32_t)++m->n;
    if (m->n * 2 > m->mask + 1)
        smap_grow(m);
}

int32_t tok_smap_get(const tok_smap *m, const char *k, size_t len)
{
    if (!m->slots)
        return -1;
    uint32_t *slot = smap_find(m, k, len, tok_hash(k, len));
    return *slot ? m->ents[*slot - 1].val : -1;
}

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

void tok_pmap_init(tok_pmap *m, size_t expect)
{
    size_t cap = pow2_at_least(expect * 2 + 2);
    m->keys = sb_xcalloc(cap, sizeof *m->keys);
    m->va = sb_xmalloc(cap * sizeof *m->va);
    m->vb = sb_xmalloc(cap * sizeof *m->vb);
    m->mask = cap - 1;
    m->n = 0;
}

void tok_pmap_free(tok_pmap *m)
{
    free(m->keys);
    free(m->va);
    free(m->vb);
    memset(m, 0, sizeof *m);
}

static void pmap_grow(tok_pmap *m)
{
    tok_pmap g;
    tok_pmap_init(&g, (m->mask + 1));
    for (size_t i = 0; i <= m->mask; i++)
        if (m->keys[i])
            tok_pmap_put(&g, m->keys[i] - 1, m->va[i], m->vb[i]);
    tok_pmap_free(m);
    *m = g;
}

void tok_pmap_put(tok_pmap *m, uint64_t key, int32_t a, int32_t b)
{
    size_t j = mix64(key) & m->mask;
    while (m->keys[j] && m->keys[j] != key + 1)
        j = (j + 1) & m->mask;
    if (!m->keys[j]) {
        m->keys[j] = key + 1;
        m->n++;
    }
    m->va[j] = a;
    m->vb[j] = b;
    if (m->n * 2 > m->mask + 1)
        pmap_grow(m);
}

bool tok_pmap_get(const tok_pmap *m, uint64_t key, int32_t *a, int32_t *b)
{
    if (!m->keys)
        return false;
    size_t j = mix64(key) & m->mask;
    for (;;) {
        uint64_t k = m->keys[j];
        if (!k)
            return false;
        if (k == key + 1) {
            *a = m->va[j];
            if (b)
                *b = m->vb[j];
            return true;
        }
        j = (j + 1) & m->mask;
    }
}
