/* SPDX-License-Identifier: Apache-2.0 */
/* ds_limits.c - range checks on every count and length flag of every dataset,
 * made before anything is allocated (dataset_check_opts in dataset.h).
 *
 * Why here and not in each loader: the loaders multiply these numbers into
 * allocation sizes (n prompts x (prefix + input) token ids, ITL arrays sized
 * from the output length), so a huge value overflowed a size_t (heap overflow
 * in ds_random.c for --random-prefix-len 2^61), a long (signed overflow for
 * 2^63-1), an int32 output length (max_tokens 1 for 2^63-1), or simply
 * allocated until the kernel killed us (--num-prompts 2^31). One table of
 * flags and one memory estimate catch all of them with a message naming the
 * flag and the value as given. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dataset/dataset.h"
#include "dataset/ds_internal.h"

typedef struct len_flag {
    const char *flag;
    long v;
    long lo;    /* smallest accepted value */
    long max;   /* largest accepted value */
    long unset; /* the "not given" value accepted besides [lo, max], or 0 for none */
    const char *unset_means;
} len_flag;

static int check_one(const len_flag *f, sb_err *err)
{
    if (f->unset && f->v == f->unset)
        return 0;
    if (f->v < f->lo) {
        if (f->unset)
            return sb_err_set(err, "--%s %ld: must be >= %ld, or %ld (%s)", f->flag, f->v, f->lo,
                              f->unset, f->unset_means);
        return sb_err_set(err, "--%s %ld: must be >= %ld", f->flag, f->v, f->lo);
    }
    if (f->v > f->max)
        return sb_err_set(err, "--%s %ld: more than %ld, the most servebench accepts (%s)", f->flag,
                          f->v, f->max,
                          f->max == DS_MAX_TOKENS ? "no model takes that many tokens"
                                                  : "more cannot be held in memory");
    return 0;
}

static double phys_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (double)pages * (double)size : INFINITY;
}

/* Token ids a request of the chosen dataset holds up front (prompts that
 * come from a file are not known before it is read: 0). */
static double in_tokens(const sb_dataset_opts *o, const char **which)
{
    const char *n = o->name ? o->name : "random";
    if (!strcmp(n, "random") || !strcmp(n, "random-mm") || !strcmp(n, "random-rerank")) {
        *which = "--random-input-len/--random-prefix-len";
        double in = (double)o->random_input_len * (1.0 + o->random_range_ratio_in);
        return (in + (double)o->random_prefix_len) *
               (double)(o->random_batch_size > 1 ? o->random_batch_size : 1);
    }
    if (!strcmp(n, "sonnet")) {
        *which = "--sonnet-input-len";
        return (double)o->sonnet_input_len;
    }
    if (!strcmp(n, "prefix_repetition")) {
        *which = "--prefix-repetition-prefix-len/--prefix-repetition-suffix-len";
        return (double)o->prefix_repetition_prefix_len + (double)o->prefix_repetition_suffix_len;
    }
    *which = NULL;
    return 0;
}

static double out_tokens(const sb_dataset_opts *o)
{
    long lens[] = {o->random_output_len,      o->sonnet_output_len,
                   o->sharegpt_output_len,    o->custom_output_len,
                   o->hf_output_len,          o->spec_bench_output_len,
                   o->speed_bench_output_len, o->prefix_repetition_output_len};
    const char *n = o->name ? o->name : "random";
    /* the output length of the chosen dataset; the largest if unsure */
    if (!strncmp(n, "random", 6))
        return (double)o->random_output_len * (1.0 + o->random_range_ratio_out);
    long m = 0;
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        if (lens[i] > m)
            m = lens[i];
    return (double)m;
}

static void human_bytes(char *out, size_t cap, double b)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    size_t u = 0;
    while (b >= 1024.0 && u + 1 < sizeof unit / sizeof unit[0])
        b /= 1024.0, u++;
    snprintf(out, cap, "%.1f %s", b, unit[u]);
}

int ds_check_memory(double need_bytes, const char *what, const char *advice, sb_err *err)
{
    double have = phys_bytes();
    if (!(need_bytes > have))
        return 0;
    char a[32], b[32];
    human_bytes(a, sizeof a, need_bytes);
    human_bytes(b, sizeof b, have);
    return sb_err_set(err,
                      "%s needs about %s of memory for its prompts, bodies and records, more than "
                      "this machine's %s: %s",
                      what, a, b, advice);
}

int dataset_check_opts(const sb_dataset_opts *o, long num_warmups, sb_err *err)
{
    const char *name = o->name ? o->name : "random";
    bool custom = !strncmp(name, "custom", 6) || !strcmp(name, "conversations");
    const long T = DS_MAX_TOKENS;
    const len_flag flags[] = {
        /* custom datasets take <= 0 as every row */
        {"num-prompts", o->num_prompts, custom ? LONG_MIN : 1, DS_MAX_PROMPTS, 0, NULL},
        {"num-warmups", num_warmups, 0, DS_MAX_PROMPTS, 0, NULL},
        {"input-len", o->input_len, 0, T, -1, "not given"},
        {"output-len", o->output_len, 0, T, -1, "not given"},
        {"random-input-len", o->random_input_len, 0, T, 0, NULL},
        {"random-output-len", o->random_output_len, 0, T, 0, NULL},
        {"random-prefix-len", o->random_prefix_len, 0, T, 0, NULL},
        {"random-batch-size", o->random_batch_size, 1, 1L << 16, 0, NULL},
        {"random-mm-base-items-per-request", o->random_mm_base_items_per_request, 0, 1L << 16, 0,
         NULL},
        {"sharegpt-output-len", o->sharegpt_output_len, 0, T, -1, "each conversation's own"},
        {"sonnet-input-len", o->sonnet_input_len, 0, T, 0, NULL},
        {"sonnet-output-len", o->sonnet_output_len, 0, T, 0, NULL},
        {"sonnet-prefix-len", o->sonnet_prefix_len, 0, T, 0, NULL},
        {"custom-output-len", o->custom_output_len, 0, T, -1, "each row's output_tokens"},
        {"hf-output-len", o->hf_output_len, 0, T, -1, "not given"},
        {"spec-bench-output-len", o->spec_bench_output_len, 0, T, 0, NULL},
        {"speed-bench-output-len", o->speed_bench_output_len, 0, T, 0, NULL},
        {"prefix-repetition-prefix-len", o->prefix_repetition_prefix_len, 0, T, 0, NULL},
        {"prefix-repetition-suffix-len", o->prefix_repetition_suffix_len, 0, T, 0, NULL},
        {"prefix-repetition-num-prefixes", o->prefix_repetition_num_prefixes, 1, DS_MAX_PROMPTS, 0,
         NULL},
        {"prefix-repetition-output-len", o->prefix_repetition_output_len, 0, T, 0, NULL},
        {"timed-trace-chunk-hash-size", o->timed_trace_chunk_hash_size, 1, T, 0, NULL},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (check_one(&flags[i], err) != 0)
            return -1;
    /* Each length is in range; their product with the prompt count may
     * still not fit in this machine (doubles: no overflow to check). */
    const char *which;
    double n = (double)(o->num_prompts > 0 ? o->num_prompts : 0);
    double need = n * (DS_BYTES_PER_REQUEST + in_tokens(o, &which) * DS_BYTES_PER_IN_TOKEN +
                       out_tokens(o) * DS_BYTES_PER_OUT_TOKEN) +
                  (double)num_warmups * DS_BYTES_PER_REQUEST;
    if (!strcmp(name, "random-mm"))
        need += n * (double)o->random_mm_base_items_per_request *
                (1.0 + o->random_mm_num_mm_items_range_ratio) * DS_BYTES_PER_MM_ITEM;
    if (!strcmp(name, "prefix_repetition"))
        need += (double)o->prefix_repetition_num_prefixes *
                (double)o->prefix_repetition_prefix_len * DS_BYTES_PER_IN_TOKEN;
    char flags_used[160];
    snprintf(flags_used, sizeof flags_used, "--num-prompts %ld%s%s%s", o->num_prompts,
             which ? " with " : "", which ? which : "",
             !strcmp(name, "random-mm") ? " and --random-mm-base-items-per-request" : "");
    if (ds_check_memory(need, flags_used, "lower --num-prompts or the lengths", err) != 0)
        return -1;
    return 0;
}
