/* SPDX-License-Identifier: Apache-2.0 */
/* pyhash.h - CPython's hash() of a str, bit for bit, for a given
 * PYTHONHASHSEED.
 *
 * The reference's timed_trace dataset seeds random.Random with
 * hash(f"{h}:{size}") & 0xFFFFFFFF (vllm/benchmarks/datasets/datasets.py: TimedTrace.sample).
 * Python salts string hashes per process, so its prompts repeat only when PYTHONHASHSEED is fixed;
 * with PYTHONHASHSEED=N the reference sends what these functions give for
 * seed N. Only CPython 3.11+ is offered: its default algorithm is SipHash-1-3
 * (3.4-3.10 used SipHash-2-4), which is what the reference's Python runs. */
#ifndef SB_PYHASH_H
#define SB_PYHASH_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The 128-bit SipHash key CPython derives from its hash secret. */
typedef struct pyhash_key {
    uint64_t k0, k1;
} pyhash_key;

/* Largest PYTHONHASHSEED CPython accepts. */
#define PYHASH_SEED_MAX 4294967295ULL

/* The key of a process started with PYTHONHASHSEED=seed: 0 gives the zero
 * key (randomization off); otherwise CPython's lcg_urandom fills the secret. */
void pyhash_key_from_seed(pyhash_key *k, uint32_t seed);

/* SipHash-1-3 of data[0..len) as CPython's siphash13 computes it. */
uint64_t pyhash_siphash13(const pyhash_key *k, const void *data, size_t len);

/* _Py_HashBytes: 0 for empty input, the SipHash value as a signed 64-bit
 * Py_hash_t otherwise, with -1 turned into -2. */
int64_t pyhash_bytes(const pyhash_key *k, const void *data, size_t len);

/* hash(s) of the str whose UTF-8 text is utf8[0..len): hashed over CPython's
 * internal form (one byte per character up to U+00FF, two bytes up to
 * U+FFFF, else four; little-endian). Returns 0, or -1 with err set for text
 * that is not valid UTF-8. */
int pyhash_str(const pyhash_key *k, const char *utf8, size_t len, int64_t *out, sb_err *err);

#endif
