/* SPDX-License-Identifier: Apache-2.0 */
/* test_sha256.c - core/sha256.c: the FIPS 180-4 example digests, and the
 * same digest as libcrypto's for every length around the block and padding
 * boundaries, fed in one piece and in uneven pieces. */
#include "testutil.h"

#include <openssl/evp.h>
#include <string.h>

#include "core/sha256.h"

static void test_fips_examples(void **state)
{
    (void)state;
    char hex[65];
    sb_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sb_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sb_sha256_hex(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* a million 'a', 1000 bytes at a time */
    char a[1000];
    memset(a, 'a', sizeof a);
    sb_sha256 s;
    sb_sha256_init(&s);
    for (int i = 0; i < 1000; i++)
        sb_sha256_update(&s, a, sizeof a);
    unsigned char d[32];
    sb_sha256_final(&s, d);
    sb_sha256_to_hex(d, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void ref_digest(const unsigned char *p, size_t n, unsigned char out[32])
{
    unsigned int dn = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_non_null(md);
    assert_true(EVP_DigestInit_ex(md, EVP_sha256(), NULL));
    assert_true(EVP_DigestUpdate(md, p, n));
    assert_true(EVP_DigestFinal_ex(md, out, &dn));
    assert_int_equal(dn, 32);
    EVP_MD_CTX_free(md);
}

static void test_same_as_libcrypto(void **state)
{
    (void)state;
    unsigned char buf[1100];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
    for (size_t n = 0; n <= sizeof buf; n += n < 200 ? 1 : 37) {
        unsigned char want[32], got[32], pieces[32];
        ref_digest(buf, n, want);
        sb_sha256 s;
        sb_sha256_init(&s);
        sb_sha256_update(&s, buf, n);
        sb_sha256_final(&s, got);
        assert_memory_equal(want, got, 32);
        /* pieces of 1, 2, 3, ... bytes */
        sb_sha256_init(&s);
        for (size_t at = 0, k = 1; at < n; at += k, k++)
            sb_sha256_update(&s, buf + at, k < n - at ? k : n - at);
        sb_sha256_final(&s, pieces);
        assert_memory_equal(want, pieces, 32);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_examples),
        cmocka_unit_test(test_same_as_libcrypto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
