/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_mm_config.c - libFuzzer target for random-mm's option parsers
 * (src/dataset/ds_mm_config.c): the --random-mm-bucket-config Python-literal
 * dict and the --random-mm-limit-mm-per-prompt JSON.
 *
 * Input: byte 0 picks what is fuzzed, byte 1 the base item count and byte 2
 * the range ratio; the rest is the option text (for "both", split at the
 * first newline: limits, then buckets). Every input must give a plan or an
 * sb_err with a message, never a crash, a leak or UB; a parsed plan must
 * hold normalised probabilities and a sane item range. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset/ds_mm.h"

/* A parsed bucket list must print (the INFO line) without trouble. */
static void parse_only(const char *text)
{
    mm_bucket *b;
    size_t n;
    sb_err err;
    sb_err_clear(&err);
    if (mm_parse_buckets(text, &b, &n, &err) != 0) {
        if (!err.msg[0])
            abort();
        return;
    }
    if (n && !b)
        abort();
    sb_buf out;
    sb_buf_init(&out);
    mm_buckets_repr(b, n, &out);
    free(b);
    sb_buf_free(&out);
}

static void plan(char *limits, char *buckets, long base, double ratio)
{
    sb_dataset_opts o;
    memset(&o, 0, sizeof o);
    o.random_mm_base_items_per_request = base;
    o.random_mm_num_mm_items_range_ratio = ratio;
    o.random_mm_limit_mm_per_prompt = limits;
    o.random_mm_bucket_config = buckets;
    sb_dataset ds;
    memset(&ds, 0, sizeof ds);
    mm_plan p;
    sb_err err;
    sb_err_clear(&err);
    if (mm_plan_build(&o, &ds, &p, &err) != 0) {
        if (!err.msg[0] || p.b)
            abort();
    } else {
        double sum = 0;
        for (size_t i = 0; i < p.n; i++) {
            if (!(p.b[i].p > 0 && p.b[i].p <= 1) || p.b[i].t < 1)
                abort();
            sum += p.b[i].p;
        }
        if (p.n == 0 || fabs(sum - 1.0) > 1e-9 || p.lo < 0 || p.lo > p.hi)
            abort();
        mm_plan_free(&p);
    }
    dataset_free(&ds);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 3)
        return 0;
    unsigned mode = data[0] % 4;
    /* small counts, and now and then one of the extremes the flag accepts */
    static const long big[] = {LONG_MAX, LONG_MIN, LONG_MAX / 2 + 1, -1, 1L << 53};
    long base = data[1] < 251 ? data[1] % 16 : big[data[1] - 251];
    double ratio = data[2] / 250.0; /* a few values above 1 to hit the range check */
    char *text = malloc(size - 2);
    memcpy(text, data + 3, size - 3);
    text[size - 3] = '\0';
    char *nl = strchr(text, '\n');
    switch (mode) {
    case 0:
        parse_only(text);
        break;
    case 1:
        plan(NULL, text, base, ratio);
        break;
    case 2:
        plan(text, NULL, base, ratio);
        break;
    default:
        if (nl)
            *nl = '\0';
        plan(text, nl ? nl + 1 : NULL, base, ratio);
        break;
    }
    free(text);
    return 0;
}
