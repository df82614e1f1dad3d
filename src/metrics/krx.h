/* SPDX-License-Identifier: Apache-2.0 */
/* krx.h - kernel receive stamps of a run's token messages (--rx-timestamps
 * kernel), kept beside the records (rec_store.krx), never inside them, so a
 * run without the flag pays nothing: per request the first token message's
 * kernel time and the gaps between the token messages' kernel times, from
 * which TTFT and ITL are computed with the client's own delay left out
 * (docs/engine.md "Receive timestamps"). Indexed like rec_store.recs; a
 * request is written by the one loop that runs it, so no lock. Gaps are
 * full 64-bit ns: 8 bytes per token message, only with the flag. */
#ifndef SB_KRX_H
#define SB_KRX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct krx_req {
    uint64_t ttft_ns; /* first token message's kernel stamp - start; valid when has_ttft */
    uint64_t prev_ns; /* absolute kernel stamp of the newest token message; 0 = none */
    uint64_t *itl;    /* gaps between consecutive stamped token messages, ns */
    uint32_t n_itl, cap_itl;
    uint32_t stamped, missing; /* token messages with / without a usable kernel stamp */
    bool has_ttft;
} krx_req;

typedef struct krx_store {
    krx_req *reqs;
    size_t n;
} krx_store;

krx_store *krx_new(size_t n);
void krx_free(krx_store *k);
/* Request i starts: forgets what an earlier run of index i left, reserves
 * room for expected_gaps gaps. */
void krx_begin(krx_store *k, size_t i, uint32_t expected_gaps);
/* A token message of request i (started at start_ns, absolute monotonic)
 * whose kernel stamp is k_ns (0: none). first: the request's first token
 * message (its TTFT). A stamp before the start or before the previous
 * message's counts as missing (it cannot be right) and breaks the chain: the
 * next gap is not taken. */
void krx_token(krx_store *k, size_t i, uint64_t start_ns, uint64_t k_ns, bool first);
/* Request i ended: its gap array is cut to the gaps received. */
void krx_trim(krx_store *k, size_t i);
/* As rec_store_keep: keeps the requests i < n with keep[i], moved to the front. */
void krx_keep(krx_store *k, const unsigned char *keep, size_t n);

#endif
