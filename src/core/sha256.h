/* SPDX-License-Identifier: Apache-2.0 */
/* sha256.h - SHA-256 (FIPS 180-4), streaming.
 *
 * Own code rather than libcrypto's EVP interface: the first EVP digest of a
 * process costs about 0.5 ms (OpenSSL 3 fetches the algorithm from its
 * provider), and the workload fingerprint is computed before the first
 * request of every run (docs/engine.md "Start-up"). */
#ifndef SB_SHA256_H
#define SB_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sb_sha256 {
    uint32_t h[8];
    uint64_t len; /* bytes hashed so far */
    unsigned char blk[64];
    size_t nblk; /* bytes waiting in blk */
} sb_sha256;

void sb_sha256_init(sb_sha256 *s);
void sb_sha256_update(sb_sha256 *s, const void *p, size_t n);
void sb_sha256_final(sb_sha256 *s, unsigned char out[32]);
/* The digest of p[0..n) as 64 lowercase hex digits and a NUL. */
void sb_sha256_hex(const void *p, size_t n, char hex[65]);
/* out[0..65) from a digest. */
void sb_sha256_to_hex(const unsigned char d[32], char hex[65]);

#endif
