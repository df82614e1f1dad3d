/* SPDX-License-Identifier: Apache-2.0 */
/* fingerprint.c - sha256 of the workload (bodies in order + send schedule)
 * through OpenSSL's EVP interface.
 *
 * Integers are hashed as fixed 8-byte little-endian words and every body is
 * length-prefixed, so no two different workloads can produce the same byte
 * stream by shifting bytes between neighbouring bodies. The request-id
 * prefix is not part of it: it is random per run unless given, and it does
 * not change what the server is asked to do. */
#include "run/fingerprint.h"

#include <openssl/evp.h>

static int put_u64(EVP_MD_CTX *md, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return EVP_DigestUpdate(md, b, sizeof b);
}

static int hash_all(EVP_MD_CTX *md, const loop_req *reqs, const uint64_t *offset_ns, size_t n)
{
    if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL) || !put_u64(md, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!put_u64(md, reqs[i].body_len) ||
            (reqs[i].body_len && !EVP_DigestUpdate(md, reqs[i].body, reqs[i].body_len)))
            return 0;
    for (size_t i = 0; i < n; i++)
        if (!put_u64(md, offset_ns ? offset_ns[i] : 0))
            return 0;
    return 1;
}

int run_fingerprint(const loop_req *reqs, const uint64_t *offset_ns, size_t n, char hex[RUN_FP_HEX],
                    sb_err *err)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dn = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && hash_all(md, reqs, offset_ns, n) && EVP_DigestFinal_ex(md, d, &dn) && dn == 32;
    EVP_MD_CTX_free(md);
    if (!ok)
        return sb_err_set(err, "libcrypto: sha256 of the workload failed");
    for (size_t i = 0; i < dn; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[2 * (size_t)dn] = '\0';
    return 0;
}
