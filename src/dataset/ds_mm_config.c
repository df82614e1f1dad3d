/* SPDX-License-Identifier: Apache-2.0 */
/* ds_mm_config.c - random-mm's options as the reference reads them
 * (vllm/benchmarks/datasets/datasets.py: RandomMultiModalDataset.sample): --random-mm-bucket-config
 * is a Python literal (ast.literal_eval) dict of (H, W, T) -> probability whose keys may also be
 * strings holding such a tuple; --random-mm-limit-mm-per-prompt is JSON.
 * The checks run in the reference's order so the first error is the one
 * vLLM would report. Only the literal forms a bucket dict can hold are
 * parsed (ints, floats, strings, tuples); anything else is a clear error. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/pyfmt.h"
#include "dataset/ds_mm.h"

static const char mm_default_buckets[] =
    "{(256, 256, 1): 0.5, (720, 1280, 1): 0.5, (720, 1280, 16): 0.0}";

typedef struct lit {
    const char *s;
    size_t i;
    const char *what; /* flag name for messages */
} lit;

static void lit_ws(lit *l)
{
    while (l->s[l->i] && isspace((unsigned char)l->s[l->i]))
        l->i++;
}

static int lit_fail(lit *l, sb_err *err, const char *expected)
{
    return sb_err_set(err, "%s: expected %s at offset %zu in '%s'", l->what, expected, l->i, l->s);
}

/* A Python int or float literal (optional sign). is_int tells which. */
static int lit_number(lit *l, double *v, int64_t *iv, int *is_int, sb_err *err)
{
    lit_ws(l);
    const char *p = l->s + l->i;
    char *end;
    errno = 0;
    long long n = strtoll(p, &end, 10);
    if (end != p && *end != '.' && *end != 'e' && *end != 'E') {
        if (errno)
            return lit_fail(l, err, "an integer in range");
        *iv = n;
        *v = (double)n;
        *is_int = 1;
        l->i += (size_t)(end - p);
        return 0;
    }
    double d = strtod(p, &end);
    if (end == p || isalpha((unsigned char)*p) ||
        (*p && isalpha((unsigned char)p[1]) && (*p == '-' || *p == '+')))
        return lit_fail(l, err, "a number");
    *v = d;
    *is_int = 0;
    l->i += (size_t)(end - p);
    return 0;
}

/* A quoted string without escapes (bucket keys like "(256, 256, 1)"). */
static int lit_string(lit *l, char **out, sb_err *err)
{
    char q = l->s[l->i];
    const char *start = l->s + l->i + 1;
    const char *end = strchr(start, q);
    if (!end || memchr(start, '\\', (size_t)(end - start)))
        return lit_fail(l, err, "a closed string without escapes");
    *out = sb_xstrndup(start, (size_t)(end - start));
    l->i += (size_t)(end - start) + 2;
    return 0;
}

static int lit_char(lit *l, char c)
{
    lit_ws(l);
    if (l->s[l->i] != c)
        return 0;
    l->i++;
    return 1;
}

/* (H, W, T): three ints, optional trailing comma. */
static int lit_tuple(lit *l, int64_t key[3], sb_err *err)
{
    if (!lit_char(l, '('))
        return lit_fail(l, err, "'('");
    for (int k = 0; k < 3; k++) {
        double d;
        int is_int;
        if (lit_number(l, &d, &key[k], &is_int, err) != 0)
            return -1;
        if (!is_int)
            return sb_err_set(err,
                              "%s: invalid bucket key: element %d is not an integer "
                              "(expected a tuple (H, W, T) of ints)",
                              l->what, k + 1);
        if (k < 2 && !lit_char(l, ','))
            return lit_fail(l, err, "',' between the tuple's three integers");
    }
    lit_char(l, ',');
    if (!lit_char(l, ')'))
        return sb_err_set(err,
                          "%s: invalid bucket key at offset %zu: expected a tuple "
                          "(H, W, T) of exactly three ints",
                          l->what, l->i);
    return 0;
}

static int parse_key(lit *l, int64_t key[3], sb_err *err)
{
    lit_ws(l);
    if (l->s[l->i] != '"' && l->s[l->i] != '\'')
        return lit_tuple(l, key, err);
    char *str;
    if (lit_string(l, &str, err) != 0)
        return -1;
    lit inner = {.s = str, .i = 0, .what = l->what};
    int rc = lit_tuple(&inner, key, err);
    lit_ws(&inner);
    if (rc == 0 && inner.s[inner.i])
        rc =
            sb_err_set(err, "%s: invalid bucket key '%s'. Expected tuple (H, W, T).", l->what, str);
    free(str);
    return rc;
}

/* float(val): a number, or a string float() accepts. */
static int parse_value(lit *l, double *v, sb_err *err)
{
    lit_ws(l);
    if (l->s[l->i] != '"' && l->s[l->i] != '\'') {
        int64_t iv;
        int is_int;
        return lit_number(l, v, &iv, &is_int, err);
    }
    char *str;
    if (lit_string(l, &str, err) != 0)
        return -1;
    char *end;
    *v = strtod(str, &end);
    while (isspace((unsigned char)*end))
        end++;
    int bad = end == str || *end;
    if (bad)
        sb_err_set(err, "%s: could not convert string to float: '%s'", l->what, str);
    free(str);
    return bad ? -1 : 0;
}

int mm_parse_buckets(const char *text, mm_bucket **out, size_t *n_out, sb_err *err)
{
    lit l = {.s = text ? text : mm_default_buckets, .i = 0, .what = "--random-mm-bucket-config"};
    *out = NULL;
    *n_out = 0;
    if (!lit_char(&l, '{'))
        return sb_err_set(err, "%s: bucket config must parse to a dict, got '%s'", l.what, l.s);
    size_t n = 0, cap = 0;
    mm_bucket *b = NULL;
    int rc = 0;
    while (rc == 0 && !lit_char(&l, '}')) {
        int64_t key[3];
        double v;
        rc = parse_key(&l, key, err);
        if (rc == 0 && !lit_char(&l, ':'))
            rc = lit_fail(&l, err, "':'");
        if (rc == 0)
            rc = parse_value(&l, &v, err);
        if (rc != 0)
            break;
        size_t k = 0;
        while (k < n && !(b[k].h == key[0] && b[k].w == key[1] && b[k].t == key[2]))
            k++;
        if (k == n) {
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                b = sb_xrealloc(b, cap * sizeof *b);
            }
            b[n++] = (mm_bucket){key[0], key[1], key[2], 0};
        }
        b[k].p = v;
        if (!lit_char(&l, ',')) {
            if (!lit_char(&l, '}'))
                rc = lit_fail(&l, err, "',' or '}'");
            break;
        }
    }
    lit_ws(&l);
    if (rc == 0 && l.s[l.i])
        rc = lit_fail(&l, err, "the end of the dict");
    if (rc != 0) {
        free(b);
        return -1;
    }
    *out = b;
    *n_out = n;
    return 0;
}

void mm_buckets_repr(const mm_bucket *b, size_t n, sb_buf *out)
{
    sb_buf_putc(out, '{');
    for (size_t i = 0; i < n; i++) {
        char f[64];
        sb_buf_printf(out, "%s(%lld, %lld, %lld): %s", i ? ", " : "", (long long)b[i].h,
                      (long long)b[i].w, (long long)b[i].t, py_float_repr(f, sizeof f, b[i].p));
    }
    sb_buf_putc(out, '}');
}

/* --random-mm-limit-mm-per-prompt: a JSON object of integer limits. */
static int parse_limits(const char *text, long *image, long *video, sb_err *err)
{
    *image = 255; /* DEFAULT_LIMIT_MM_PER_PROMPT */
    *video = 1;
    if (!text)
        return 0;
    json_error_t je;
    json_t *o = json_loads(text, JSON_DECODE_ANY, &je);
    if (!o)
        return sb_err_set(err, "--random-mm-limit-mm-per-prompt: invalid JSON at column %d: %s",
                          je.column, je.text);
    int rc = 0;
    *image = *video = -1;
    if (!json_is_object(o))
        rc = sb_err_set(err, "--random-mm-limit-mm-per-prompt must be a JSON object such as "
                             "{\"image\": 3, \"video\": 0}");
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (rc != 0)
            break;
        if (!json_is_integer(v))
            rc = sb_err_set(err,
                            "--random-mm-limit-mm-per-prompt: the limit of \"%s\" must be "
                            "an integer",
                            k);
        else if (!strcmp(k, "image"))
            *image = (long)json_integer_value(v);
        else if (!strcmp(k, "video"))
            *video = (long)json_integer_value(v);
    }
    json_decref(o);
    return rc;
}

static const char *modality(const mm_bucket *b)
{
    return b->t == 1 ? "image" : "video";
}

static int check_buckets(const mm_bucket *b, size_t n, long lim_image, long lim_video, sb_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (b[i].t < 1)
            return sb_err_set(err,
                              "--random-mm-bucket-config: invalid multimodal item "
                              "configuration: (%lld, %lld, %lld)",
                              (long long)b[i].h, (long long)b[i].w, (long long)b[i].t);
        if ((b[i].t == 1 ? lim_image : lim_video) < 0)
            return sb_err_set(err,
                              "random-mm: modality %s is not in "
                              "--random-mm-limit-mm-per-prompt",
                              modality(&b[i]));
    }
    return 0;
}

/* normalize_bucket_config: no negatives, drop zeros, divide by the sum
 * (summed left to right as Python's sum does). */
static int normalize(mm_bucket *b, size_t *n, sb_err *err)
{
    size_t k = 0;
    double total = 0;
    for (size_t i = 0; i < *n; i++) {
        if (b[i].p < 0)
            return sb_err_set(err, "--random-mm-bucket-config: bucket config values must be "
                                   "non-negative");
        /* inf or nan (1e999, "nan") make NaN probabilities, which the
         * reference's rng.choice rejects; our draw would pick bucket 0 */
        if (!isfinite(b[i].p))
            return sb_err_set(err,
                              "--random-mm-bucket-config: bucket config values must be "
                              "finite (got %g for (%lld, %lld, %lld))",
                              b[i].p, (long long)b[i].h, (long long)b[i].w, (long long)b[i].t);
        if (b[i].p > 0) {
            b[k++] = b[i];
            total += b[i].p;
        }
    }
    if (k == 0)
        return sb_err_set(err, "--random-mm-bucket-config: got invalid bucket config. Bucket "
                               "config values must be non-zero.");
    if (!isfinite(total))
        return sb_err_set(err, "--random-mm-bucket-config: the bucket config values' sum is "
                               "not finite (they would not normalise to probabilities)");
    for (size_t i = 0; i < k; i++)
        b[i].p /= total;
    *n = k;
    return 0;
}

/* A whole double as a long, saturated (a bare cast of one out of range is UB). */
static long clamp_long(double x)
{
    if (x >= (double)LONG_MAX)
        return LONG_MAX;
    return x <= (double)LONG_MIN ? LONG_MIN : (long)x;
}

int mm_plan_build(const sb_dataset_opts *o, sb_dataset *ds, mm_plan *p, sb_err *err)
{
    memset(p, 0, sizeof *p);
    double r = o->random_mm_num_mm_items_range_ratio;
    if (!(r >= 0.0 && r <= 1.0))
        return sb_err_set(err, "--random-mm-num-mm-items-range-ratio must be in [0, 1], got %g", r);
    long lim_image, lim_video;
    if (parse_limits(o->random_mm_limit_mm_per_prompt, &lim_image, &lim_video, err) != 0 ||
        mm_parse_buckets(o->random_mm_bucket_config, &p->b, &p->n, err) != 0 ||
        check_buckets(p->b, p->n, lim_image, lim_video, err) != 0 ||
        normalize(p->b, &p->n, err) != 0) {
        mm_plan_free(p);
        return -1;
    }
    sb_buf line;
    sb_buf_init(&line);
    mm_buckets_repr(p->b, p->n, &line);
    dataset_info(ds, "Normalized bucket config: %s", line.data);
    sb_buf_free(&line);
    /* Only the limits of modalities that still have buckets count. */
    int has_image = 0, has_video = 0;
    for (size_t i = 0; i < p->n; i++)
        *(p->b[i].t == 1 ? &has_image : &has_video) = 1;
    p->limit_image = has_image ? lim_image : -1;
    p->limit_video = has_video ? lim_video : -1;
    /* Python's ints do not overflow: saturate (both limits are >= 0 here). */
    long sum = has_image ? lim_image : 0;
    if (has_video)
        sum = lim_video > LONG_MAX - sum ? LONG_MAX : sum + lim_video;
    long base = o->random_mm_base_items_per_request;
    long hi = clamp_long(ceil((double)base * (1.0 + r)));
    long lo = clamp_long(floor((double)base * (1.0 - r)));
    p->hi = sum < hi ? sum : hi;
    p->lo = lo > 0 ? lo : 0;
    if (p->lo > p->hi) {
        sb_err_set(err, "random-mm: min num mm items is greater than max mm items: %ld > %ld",
                   p->lo, p->hi);
        mm_plan_free(p);
        return -1;
    }
    dataset_info(ds, "Sampling number of multimodal items from [%ld, %ld]", p->lo, p->hi);
    return 0;
}

void mm_plan_free(mm_plan *p)
{
    free(p->b);
    memset(p, 0, sizeof *p);
}
