/* SPDX-License-Identifier: Apache-2.0 */
/* fingerprint.c - sha256 of the workload (bodies in order + send schedule)
 * (core/sha256.h).
 *
 * Integers are hashed as fixed 8-byte little-endian words and every body is
 * length-prefixed, so no two different workloads can produce the same byte
 * stream by shifting bytes between neighbouring bodies. The request-id
 * prefix is not part of it: it is random per run unless given, and it does
 * not change what the server is asked to do. */
#include "run/fingerprint.h"

#include "core/sha256.h"

static void put_u64(sb_sha256 *md, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    sb_sha256_update(md, b, sizeof b);
}

int run_fingerprint(const loop_req *reqs, const uint64_t *offset_ns, size_t n, char hex[RUN_FP_HEX],
                    sb_err *err)
{
    (void)err; /* (nothing can fail) */
    sb_sha256 md;
    sb_sha256_init(&md);
    put_u64(&md, n);
    for (size_t i = 0; i < n; i++) {
        put_u64(&md, reqs[i].body_len);
        if (reqs[i].body_len)
            sb_sha256_update(&md, reqs[i].body, reqs[i].body_len);
    }
    for (size_t i = 0; i < n; i++)
        put_u64(&md, offset_ns ? offset_ns[i] : 0);
    unsigned char d[32];
    sb_sha256_final(&md, d);
    sb_sha256_to_hex(d, hex);
    return 0;
}
