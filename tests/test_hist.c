/* SPDX-License-Identifier: Apache-2.0 */
/* test_hist.c - the mergeable log-linear histogram (src/metrics/hist.c): the
 * bucket layout covers every value exactly once, quantiles over random
 * samples stay within the stated relative precision of the exact
 * nearest-rank value, and merging is the histogram of the union. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "metrics/hist.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Log-uniform over [1, 2^max_exp): every bucket width gets its share. */
static uint64_t draw(py_random *r, int max_exp)
{
    double e = py_random_random(r) * max_exp;
    uint64_t v = (uint64_t)exp2(e);
    return v ? v : 1;
}

static void buckets_tile_the_range(void **state)
{
    (void)state;
    hist h;
    assert_int_equal(hist_init(&h, 4, 20, NULL), 0);
    /* consecutive buckets touch: low(i) + width(i) == low(i + 1) */
    for (size_t i = 0; i + 1 < h.n; i++)
        assert_true(hist_bucket_low(&h, i) + hist_bucket_width(&h, i) ==
                    hist_bucket_low(&h, i + 1));
    assert_int_equal(hist_bucket_low(&h, h.n - 1) + hist_bucket_width(&h, h.n - 1), 1u << 20);
    /* every value in its bucket; small values exact */
    for (uint64_t v = 0; v < (1u << 20); v += 1 + v / 97) {
        size_t i = hist_index(&h, v);
        assert_true(hist_bucket_low(&h, i) <= v);
        assert_true(v < hist_bucket_low(&h, i) + hist_bucket_width(&h, i));
        if (v < 32)
            assert_int_equal(hist_bucket_width(&h, i), 1);
    }
    assert_int_equal(hist_index(&h, 1u << 20), h.n); /* over the range */
    assert_int_equal(hist_index(&h, UINT64_MAX), h.n);
    hist_free(&h);
    /* the full 64-bit range has no over-range values */
    assert_int_equal(hist_init(&h, 7, 64, NULL), 0);
    assert_int_equal(hist_index(&h, UINT64_MAX), h.n - 1);
    assert_true(hist_bucket_low(&h, h.n - 1) <= UINT64_MAX - hist_bucket_width(&h, h.n - 1) + 1);
    hist_free(&h);
}

static void bad_shapes_are_refused(void **state)
{
    (void)state;
    hist h;
    sb_err err;
    assert_int_equal(hist_init(&h, 0, 20, &err), -1);
    assert_non_null(strstr(err.msg, "sub_bits 0"));
    assert_int_equal(hist_init(&h, 8, 8, &err), -1);
    assert_int_equal(hist_init(&h, 8, 65, &err), -1);
    hist a, b;
    assert_int_equal(hist_init(&a, 5, 30, NULL), 0);
    assert_int_equal(hist_init(&b, 6, 30, NULL), 0);
    assert_int_equal(hist_merge(&a, &b, &err), -1);
    assert_non_null(strstr(err.msg, "shapes differ"));
    hist_free(&a);
    hist_free(&b);
}

/* For several precisions: every quantile of 20000 random values is within
 * hist_precision() of the exact nearest-rank value, relative to it. */
static void quantiles_keep_the_stated_precision(void **state)
{
    (void)state;
    py_random r;
    py_random_seed(&r, 7);
    enum { N = 20000 };
    uint64_t *v = malloc(N * sizeof *v);
    static const int subs[] = {1, 3, 5, 7, 10};
    for (size_t s = 0; s < sizeof subs / sizeof *subs; s++) {
        hist h;
        assert_int_equal(hist_init(&h, subs[s], 40, NULL), 0);
        for (int i = 0; i < N; i++) {
            v[i] = draw(&r, 40);
            hist_record(&h, v[i]);
        }
        assert_int_equal(hist_total(&h), N);
        qsort(v, N, sizeof *v, cmp_u64);
        double worst = 0;
        for (int k = 1; k <= 1000; k++) {
            double q = k / 1000.0;
            uint64_t rank = (uint64_t)ceil(q * N);
            uint64_t exact = v[rank - 1], got = hist_quantile(&h, q);
            double rel = fabs((double)got - (double)exact) / (double)exact;
            worst = rel > worst ? rel : worst;
            assert_true(rel <= hist_precision(&h));
        }
        /* the bound is tight enough to mean something: a coarse histogram
         * does come near it */
        if (subs[s] == 1)
            assert_true(worst > hist_precision(&h) / 4);
        hist_free(&h);
    }
    free(v);
}

static void merge_is_the_histogram_of_the_union(void **state)
{
    (void)state;
    py_random r;
    py_random_seed(&r, 11);
    hist parts[4], all, merged;
    for (int k = 0; k < 4; k++)
        assert_int_equal(hist_init(&parts[k], 6, 36, NULL), 0);
    assert_int_equal(hist_init(&all, 6, 36, NULL), 0);
    assert_int_equal(hist_init(&merged, 6, 36, NULL), 0);
    for (int i = 0; i < 30000; i++) {
        uint64_t x = draw(&r, 38); /* some over the range */
        hist_record(&parts[i % 4 == 3 ? 3 : (int)(x % 3)], x);
        hist_record(&all, x);
    }
    for (int k = 0; k < 4; k++)
        assert_int_equal(hist_merge(&merged, &parts[k], NULL), 0);
    assert_memory_equal(merged.counts, all.counts, hist_counts_len(&all) * sizeof *all.counts);
    assert_true(all.counts[all.n] > 0);
    for (double q = 0.01; q <= 1.0; q += 0.01)
        assert_true(hist_quantile(&merged, q) == hist_quantile(&all, q));
    assert_true(hist_quantile(&all, 1.0) == UINT64_MAX); /* the maximum is over the range */
    hist_reset(&all);
    assert_int_equal(hist_total(&all), 0);
    assert_int_equal(hist_quantile(&all, 0.5), 0);
    for (int k = 0; k < 4; k++)
        hist_free(&parts[k]);
    hist_free(&all);
    hist_free(&merged);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buckets_tile_the_range),
        cmocka_unit_test(bad_shapes_are_refused),
        cmocka_unit_test(quantiles_keep_the_stated_precision),
        cmocka_unit_test(merge_is_the_histogram_of_the_union),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
