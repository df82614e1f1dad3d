/* SPDX-License-Identifier: Apache-2.0 */
/* sim_prefix.h - the simulator's prefix cache: which blocks of prompt tokens
 * the simulated server has already computed, so a request whose prompt starts
 * with them skips their prefill (docs/sim.md, PREFIX CACHE).
 *
 * The shape of vLLM's v1 KV-cache manager (vllm/v1/core/kv_cache_utils.py:
 * hash_block_tokens; vllm/v1/core/block_pool.py: BlockPool): a prompt is cut
 * into blocks of block_size tokens, each full block is named by a hash chained
 * over the block before it and its own token ids, so equal hashes mean equal
 * prefixes. A running request holds (pins) its blocks; when it ends they stay
 * cached, unpinned, in least-recently-used order, its last block first in
 * line for eviction. A new block takes a free entry, or evicts the least
 * recently used unpinned one; when every entry is pinned it is not cached. */
#ifndef SB_SIM_PREFIX_H
#define SB_SIM_PREFIX_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The largest capacity accepted (24 bytes an entry plus 4 a bucket, touched
 * only as entries are used). */
#define SIM_PREFIX_MAX_BLOCKS ((uint32_t)1 << 24)

typedef struct sim_prefix sim_prefix;

/* A chained hash being built over a stream of token ids: a block is closed
 * every block_size ids and its hash appended to out (up to max; ids past the
 * max-th block are ignored). */
typedef struct sim_pfx_hasher {
    uint64_t parent, acc;
    uint32_t block_size, fill;
    uint64_t *out;
    uint32_t n, max;
} sim_pfx_hasher;

/* Starts a hash chain; seed and salt (vLLM's cache_salt; NULL for none) go
 * into the first block's parent, so different salts never share a block. */
void sim_pfx_hasher_begin(sim_pfx_hasher *h, uint32_t block_size, uint64_t seed, const char *salt,
                          size_t salt_len, uint64_t *out, uint32_t max);
/* The root a chain started with (seed and salt folded in): what
 * sim_pfx_hasher_begin_at takes to hash the same request's tokens again. */
uint64_t sim_pfx_hasher_root(uint64_t seed, const char *salt, size_t salt_len);
void sim_pfx_hasher_begin_at(sim_pfx_hasher *h, uint32_t block_size, uint64_t root, uint64_t *out,
                             uint32_t max);
void sim_pfx_hasher_push(sim_pfx_hasher *h, uint64_t id);

/* A cache of capacity_blocks blocks (1..SIM_PREFIX_MAX_BLOCKS) of
 * block_size tokens. */
sim_prefix *sim_prefix_new(uint32_t block_size, uint32_t capacity_blocks, sb_err *err);
void sim_prefix_free(sim_prefix *p);
uint32_t sim_prefix_block_size(const sim_prefix *p);
uint32_t sim_prefix_capacity(const sim_prefix *p);

/* A request starts with the full blocks hashes[0..n): returns how many of
 * its leading blocks were cached, counting at most max_hit (vLLM recomputes
 * at least the last prompt token: max_hit = (prompt_tokens - 1) /
 * block_size). Every block is then pinned, cached ones found and the others
 * inserted, until one cannot be (every entry pinned); the pinned entries go
 * to ents (room for n), their number to *held. */
uint32_t sim_prefix_acquire(sim_prefix *p, const uint64_t *hashes, uint32_t n, uint32_t max_hit,
                            uint32_t *ents, uint32_t *held);
/* The request ended: its blocks become unpinned and most recently used, its
 * last block first in line for eviction. */
void sim_prefix_release(sim_prefix *p, const uint32_t *ents, uint32_t held);
/* Lets at most room unpinned blocks stay, evicting the least recently used
 * beyond it (capacity mode: the KV memory running requests leave free). */
void sim_prefix_set_room(sim_prefix *p, uint32_t room);

typedef struct sim_prefix_stats {
    uint32_t used;      /* blocks cached */
    uint32_t unpinned;  /* of them, held by no running request */
    uint64_t evictions; /* blocks evicted so far */
} sim_prefix_stats;
void sim_prefix_get_stats(const sim_prefix *p, sim_prefix_stats *out);

#endif
