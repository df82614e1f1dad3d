/* SPDX-License-Identifier: Apache-2.0 */
/* test_pyhash.c - CPython's hash(str) for a PYTHONHASHSEED (core/pyhash.c)
 * against vectors printed by real interpreters (tests/gen/gen_pyhash_vectors.py,
 * committed as tests/data/rng/pyhash.json), plus the timed_trace chunk draw
 * random.Random(hash(key) & 0xFFFFFFFF).choices(range(pop), k). Set
 * SB_PYHASH_VECTORS to a freshly generated file to check other seeds
 * (tests/pyhash_live.sh does). */
#include "testutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/pyhash.h"
#include "core/rng.h"

static json_t *load_vectors(void)
{
    const char *env = getenv("SB_PYHASH_VECTORS");
    char *path = env && *env ? strdup(env) : tu_data_path("rng/pyhash.json");
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        fail_msg("%s:%d: %s", path, je.line, je.text);
    free(path);
    if (json_array_size(json_object_get(root, "cases")) == 0)
        fail_msg("no \"cases\" in the vectors");
    return root;
}

static void pyhash_matches_cpython_for_every_seed_and_string(void **state)
{
    (void)state;
    json_t *root = load_vectors();
    json_t *strings = json_object_get(root, "strings");
    size_t ci, checked = 0;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), ci, c)
    {
        pyhash_key k;
        pyhash_key_from_seed(
            &k, (uint32_t)strtoull(json_string_value(json_object_get(c, "seed")), NULL, 10));
        json_t *want = json_object_get(c, "hash");
        assert_int_equal(json_array_size(want), json_array_size(strings));
        for (size_t i = 0; i < json_array_size(strings); i++) {
            json_t *s = json_array_get(strings, i);
            int64_t got;
            assert_int_equal(
                pyhash_str(&k, json_string_value(s), json_string_length(s), &got, NULL), 0);
            long long w = strtoll(json_string_value(json_array_get(want, i)), NULL, 10);
            if (got != w)
                fail_msg("seed %s, hash(%s): got %lld, python %lld",
                         json_string_value(json_object_get(c, "seed")), json_string_value(s),
                         (long long)got, w);
            checked++;
        }
    }
    assert_true(checked > 100);
    json_decref(root);
}

static void pyhash_seeds_the_chunk_draws_like_python(void **state)
{
    (void)state;
    json_t *root = load_vectors();
    json_t *draws = json_object_get(root, "draws");
    size_t ci;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), ci, c)
    {
        pyhash_key k;
        pyhash_key_from_seed(
            &k, (uint32_t)strtoull(json_string_value(json_object_get(c, "seed")), NULL, 10));
        for (size_t d = 0; d < json_array_size(draws); d++) {
            json_t *spec = json_array_get(draws, d);
            const char *key = json_string_value(json_object_get(spec, "key"));
            size_t pop = (size_t)json_integer_value(json_object_get(spec, "population"));
            size_t n = (size_t)json_integer_value(json_object_get(spec, "k"));
            int64_t h;
            assert_int_equal(pyhash_str(&k, key, strlen(key), &h, NULL), 0);
            py_random r;
            py_random_seed(&r, (uint32_t)h); /* hash(key) & 0xFFFFFFFF */
            size_t got[64];
            assert_true(n <= 64);
            py_random_choices(&r, pop, n, got);
            json_t *want = json_array_get(json_object_get(c, "draws"), d);
            for (size_t j = 0; j < n; j++)
                assert_int_equal(got[j],
                                 strtoull(json_string_value(json_array_get(want, j)), NULL, 10));
        }
    }
    json_decref(root);
}

/* Fixed facts that hold without any vector file. */
static void pyhash_known_values(void **state)
{
    (void)state;
    pyhash_key k;
    pyhash_key_from_seed(&k, 0);
    assert_true(k.k0 == 0 && k.k1 == 0); /* PYTHONHASHSEED=0 disables the salt */
    int64_t h;
    assert_int_equal(pyhash_str(&k, "", 0, &h, NULL), 0);
    assert_true(h == 0); /* hash("") is 0 whatever the seed */
    /* CPython 3.11 (SipHash-1-3): PYTHONHASHSEED=0 hash("a"), hash("0:16") */
    assert_int_equal(pyhash_str(&k, "a", 1, &h, NULL), 0);
    assert_true(h == 4644417185603328019LL);
    assert_int_equal(pyhash_str(&k, "0:16", 4, &h, NULL), 0);
    assert_true(h == 2911543553534064838LL);
    pyhash_key_from_seed(&k, 1); /* PYTHONHASHSEED=1 hash("0:16") */
    assert_int_equal(pyhash_str(&k, "0:16", 4, &h, NULL), 0);
    assert_true(h == -8582388542914680901LL);
    sb_err err;
    assert_int_equal(pyhash_str(&k, "\xff", 1, &h, &err), -1);
    assert_non_null(strstr(err.msg, "UTF-8"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pyhash_matches_cpython_for_every_seed_and_string),
        cmocka_unit_test(pyhash_seeds_the_chunk_draws_like_python),
        cmocka_unit_test(pyhash_known_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
