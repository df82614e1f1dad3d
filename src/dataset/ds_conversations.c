/* SPDX-License-Identifier: Apache-2.0 */
/* ds_conversations.c - the `conversations` dataset: the input file of
 * upstream's multi-turn benchmark (vllm benchmarks/multi_turn/
 * benchmark_serving_multi_turn.py: main, --input-file), in either of its two
 * forms:
 *  - a JSON list of {"id", "messages": [{role, content}]} (ShareGPT
 *    conversations converted to OpenAI roles), taken in file order;
 *  - a JSON object {"filetype": "generate_conversations", ...}: synthetic
 *    conversations drawn from distributions of turns and token counts, with
 *    text cut from real text files (bench_dataset.py: parse_input_json_file,
 *    generate_conversations).
 *
 * Synthetic conversations differ from upstream's in one way on purpose: a
 * user message holds EXACTLY its drawn token count with the run's
 * tokenizer (upstream decodes a slice of token ids and sends whatever that
 * re-encodes to). The filler is cut from the tokenized text files and its
 * length corrected until the whole message encodes to the target, so each
 * message is encoded a small constant number of times: building costs the
 * new tokens, not the history. The dataset's replies exist only as token
 * counts (sb_request.turn_tokens; upstream fills them with text that is
 * never sent: the server's own replies replace them). Draws come from
 * numpy's legacy RandomState seeded with --seed, in upstream's order. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/datadir.h"
#include "core/pyfmt.h"
#include "dataset/ds_internal.h"

/* ---- distributions (bench_dataset.py: get_random_distribution) ---- */

enum { D_CONSTANT, D_UNIFORM, D_ZIPF, D_POISSON, D_LOGNORMAL };

typedef struct conv_dist {
    int kind;
    double value;     /* constant */
    int64_t min, max; /* uniform (inclusive) */
    double alpha;     /* zipf, poisson */
    double mu, sigma; /* lognormal: the underlying normal */
    double average;   /* lognormal by average (> 0), else 0 */
    double median_ratio;
    double cap; /* "max" of zipf, poisson, lognormal; 0 = none */
    char repr[96];
} conv_dist;

/* numpy's legacy zipf (Devroye's rejection method, as
 * numpy/random/src/distributions: random_zipf describes it). */
static double draw_zipf(np_rs *r, double a)
{
    double am1 = a - 1.0, b = pow(2.0, am1);
    for (;;) {
        double u = 1.0 - np_rs_random(r), v = np_rs_random(r);
        double x = floor(pow(u, -1.0 / am1));
        if (x > (double)INT64_MAX || x < 1.0)
            continue;
        double t = pow(1.0 + 1.0 / x, am1);
        if (v * x * (t - 1.0) / (b - 1.0) <= t / b)
            return x;
    }
}

/* log-gamma by Stirling's series, as numpy's random_loggam (used by PTRS). */
static double loggam(double x)
{
    static const double a[10] = {8.333333333333333e-02, -2.777777777777778e-03,
                                 7.936507936507937e-04, -5.952380952380952e-04,
                                 8.417508417508418e-04, -1.917526917526918e-03,
                                 6.410256410256410e-03, -2.955065359477124e-02,
                                 1.796443723688307e-01, -1.39243221690590e+00};
    if (x == 1.0 || x == 2.0)
        return 0.0;
    long n = x < 7.0 ? (long)(7 - x) : 0;
    double x0 = x + (double)n, x2 = 1.0 / (x0 * x0), g = a[9];
    for (int k = 8; k >= 0; k--)
        g = g * x2 + a[k];
    double gl = g / x0 + 0.5 * 1.8378770664093453 + (x0 - 0.5) * log(x0) - x0;
    for (long k = 1; k <= n; k++) {
        gl -= log(x0 - 1.0);
        x0 -= 1.0;
    }
    return gl;
}

/* numpy's poisson: products of uniforms below lambda 10, Hormann's PTRS
 * (transformed rejection with squeeze) from 10 on. */
static double draw_poisson(np_rs *r, double lam)
{
    if (lam == 0)
        return 0;
    if (lam < 10) {
        double limit = exp(-lam), prod = 1.0;
        for (long x = 0;; x++) {
            prod *= np_rs_random(r);
            if (prod <= limit)
                return (double)x;
        }
    }
    double slam = sqrt(lam), loglam = log(lam), b = 0.931 + 2.53 * slam;
    double a = -0.059 + 0.02483 * b, inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    double vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        double u = np_rs_random(r) - 0.5, v = np_rs_random(r), us = 0.5 - fabs(u);
        double k = floor((2 * a / us + b) * u + lam + 0.43);
        if (us >= 0.07 && v <= vr)
            return k;
        if (k < 0 || (us < 0.013 && v > us))
            continue;
        if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <= -lam + k * loglam - loggam(k + 1))
            return k;
    }
}

/* n draws into out, as Distribution.sample(n) (the lognormal's "average" form
 * scales the whole batch to that mean, so a batch is one call). */
static void dist_sample(const conv_dist *d, np_rs *r, size_t n, double *out)
{
    switch (d->kind) {
    case D_CONSTANT:
        for (size_t i = 0; i < n; i++)
            out[i] = d->value;
        return;
    case D_UNIFORM: {
        int64_t *v = sb_xmalloc((n ? n : 1) * sizeof *v);
        np_rs_randint(r, d->min, d->max + 1, n, v);
        for (size_t i = 0; i < n; i++)
            out[i] = (double)v[i];
        free(v);
        return;
    }
    case D_ZIPF:
    case D_POISSON:
        for (size_t i = 0; i < n; i++) {
            out[i] = d->kind == D_ZIPF ? draw_zipf(r, d->alpha) : draw_poisson(r, d->alpha);
            if (d->cap > 0 && out[i] > d->cap)
                out[i] = d->cap;
        }
        return;
    default: {
        double sum = 0;
        for (size_t i = 0; i < n; i++) {
            out[i] = exp(d->mu + d->sigma * np_rs_standard_normal(r));
            sum += out[i];
        }
        for (size_t i = 0; i < n; i++) {
            if (d->average > 0 && sum > 0)
                out[i] *= d->average / (sum / (double)n);
            if (d->cap > 0 && out[i] > d->cap)
                out[i] = d->cap;
            out[i] = nearbyint(out[i]); /* np.round: half to even */
        }
    }
    }
}

/* ---- the configuration (bench_dataset.py: parse_input_json_file) ---- */

typedef struct conv_cfg {
    const char *path;
    long n_convs;
    bool print_stats;
    conv_dist turns, common, prefix, in_tokens, out_tokens;
} conv_cfg;

static int cfg_err(sb_err *err, const char *path, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int cfg_err(sb_err *err, const char *path, const char *field, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sb_err_set(err, "%s: %s: %s", path, field, msg);
}

/* A number field of a distribution; must be >= lo. */
static int num_field(json_t *o, const char *key, double lo, bool whole, const char *path,
                     const char *field, double *out, sb_err *err)
{
    json_t *v = json_object_get(o, key);
    char f[96];
    snprintf(f, sizeof f, "%s.%s", field, key);
    if (!json_is_number(v))
        return cfg_err(err, path, f,
                       v ? "must be a number" : "missing (the distribution needs it)");
    double x = json_number_value(v);
    if (whole && (!json_is_integer(v) && x != floor(x)))
        return cfg_err(err, path, f, "%g is not a whole number", x);
    if (!(x >= lo) || !isfinite(x))
        return cfg_err(err, path, f, "%g: must be >= %g", x, lo);
    *out = x;
    return 0;
}

static int opt_cap(json_t *o, const char *path, const char *field, double *cap, sb_err *err)
{
    *cap = 0;
    if (!json_object_get(o, "max"))
        return 0;
    return num_field(o, "max", 1, true, path, field, cap, err);
}

/* A number as Python's repr writes the int or float given. */
static const char *num_repr(char *f, size_t cap, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(f, cap, "%.0f", v);
    else
        py_float_repr(f, cap, v);
    return f;
}

static const char *cap_repr(char *f, size_t cap, double v)
{
    return v > 0 ? num_repr(f, cap, v) : "None";
}

static int parse_dist(json_t *sec, const char *sec_name, const char *sub, bool optional,
                      const char *path, conv_dist *d, sb_err *err)
{
    char field[96];
    snprintf(field, sizeof field, "%s.%s", sec_name, sub);
    memset(d, 0, sizeof *d);
    json_t *o = json_object_get(sec, sub);
    if (!o && optional) { /* upstream: an absent optional field is always 0 */
        snprintf(d->repr, sizeof d->repr, "Constant[0]");
        return 0;
    }
    if (!json_is_object(o))
        return cfg_err(err, path, field,
                       o ? "must be an object with a \"distribution\""
                         : "missing (every numeric field needs a distribution)");
    json_t *dv = json_object_get(o, "distribution");
    if (!json_is_string(dv))
        return cfg_err(err, path, field, "missing field \"distribution\" (a string)");
    const char *name = json_string_value(dv);
    if (!strcmp(name, "constant")) {
        d->kind = D_CONSTANT;
        if (num_field(o, "value", 0, true, path, field, &d->value, err) != 0)
            return -1;
        snprintf(d->repr, sizeof d->repr, "Constant[%.0f]", d->value);
    } else if (!strcmp(name, "uniform")) {
        d->kind = D_UNIFORM;
        double lo = 0, hi = 0;
        if (num_field(o, "min", 1, true, path, field, &lo, err) != 0 ||
            num_field(o, "max", 1, true, path, field, &hi, err) != 0)
            return -1;
        if (lo > hi)
            return cfg_err(err, path, field, "min %.0f is above max %.0f", lo, hi);
        if (hi > (double)DS_MAX_TOKENS * 16)
            return cfg_err(err, path, field, "max %.0f is too large", hi);
        d->min = (int64_t)lo;
        d->max = (int64_t)hi;
        snprintf(d->repr, sizeof d->repr, "UniformDistribution[%.0f, %.0f]", lo, hi);
    } else if (!strcmp(name, "zipf") || !strcmp(name, "poisson")) {
        d->kind = name[0] == 'z' ? D_ZIPF : D_POISSON;
        if (num_field(o, "alpha", 0, false, path, field, &d->alpha, err) != 0 ||
            opt_cap(o, path, field, &d->cap, err) != 0)
            return -1;
        if (d->kind == D_ZIPF && !(d->alpha > 1.0))
            return cfg_err(err, path, field, "zipf alpha %g: must be > 1", d->alpha);
        if (d->kind == D_POISSON && d->alpha > 1e9)
            return cfg_err(err, path, field, "poisson alpha %g is too large", d->alpha);
        char f[40];
        snprintf(d->repr, sizeof d->repr, "%s[%s]",
                 d->kind == D_ZIPF ? "ZipfDistribution" : "PoissonDistribution",
                 num_repr(f, sizeof f, d->alpha));
    } else if (!strcmp(name, "lognormal")) {
        d->kind = D_LOGNORMAL;
        if (opt_cap(o, path, field, &d->cap, err) != 0)
            return -1;
        if (json_object_get(o, "average")) {
            if (json_object_get(o, "mean") || json_object_get(o, "sigma"))
                return cfg_err(err, path, field,
                               "give \"average\" (and \"median_ratio\") or \"mean\" and "
                               "\"sigma\", not both");
            if (num_field(o, "average", 1, false, path, field, &d->average, err) != 0)
                return -1;
            d->median_ratio = 0.85; /* upstream's default: a fairly wide spread */
            if (json_object_get(o, "median_ratio") &&
                num_field(o, "median_ratio", 0, false, path, field, &d->median_ratio, err) != 0)
                return -1;
            if (!(d->median_ratio > 0 && d->median_ratio < 1))
                return cfg_err(err, path, field, "median_ratio %g: must be in (0, 1)",
                               d->median_ratio);
            /* median/mean = exp(-sigma^2/2), median = exp(mu) */
            double median = d->average * d->median_ratio;
            d->sigma = sqrt(2 * log(d->average / median));
            d->mu = log(median);
            char f1[40], f2[40], f3[40];
            snprintf(d->repr, sizeof d->repr, "LognormalDistribution[%s, %s, %s]",
                     num_repr(f1, sizeof f1, d->average), num_repr(f2, sizeof f2, d->median_ratio),
                     cap_repr(f3, sizeof f3, d->cap));
        } else {
            if (num_field(o, "mean", 0, false, path, field, &d->mu, err) != 0 ||
                num_field(o, "sigma", 0, false, path, field, &d->sigma, err) != 0)
                return -1;
            if (!(d->mu > 0))
                return cfg_err(err, path, field, "lognormal mean %g: must be > 0", d->mu);
            if (d->mu > 20 || d->sigma > 10)
                return cfg_err(err, path, field, "lognormal mean %g / sigma %g are too large",
                               d->mu, d->sigma);
            char f1[40], f2[40], f3[40];
            snprintf(d->repr, sizeof d->repr, "LognormalDistribution[%s, %s, %s]",
                     num_repr(f1, sizeof f1, d->mu), num_repr(f2, sizeof f2, d->sigma),
                     cap_repr(f3, sizeof f3, d->cap));
        }
    } else {
        return cfg_err(err, path, field,
                       "unknown distribution \"%.40s\" (choose from constant, uniform, zipf, "
                       "poisson, lognormal)",
                       name);
    }
    return 0;
}

static int parse_config(json_t *root, const char *path, conv_cfg *g, sb_err *err)
{
    memset(g, 0, sizeof *g);
    g->path = path;
    json_t *ft = json_object_get(root, "filetype");
    if (!ft)
        return sb_err_set(err,
                          "%s: the input file is invalid (missing 'filetype'; a JSON list "
                          "holds conversations, an object is a generation config)",
                          path);
    if (!json_is_string(ft) || strcmp(json_string_value(ft), "generate_conversations") != 0)
        return cfg_err(err, path, "filetype", "must be \"generate_conversations\"");
    json_t *n = json_object_get(root, "num_conversations");
    if (!json_is_integer(n) || json_integer_value(n) <= 0 || json_integer_value(n) > DS_MAX_PROMPTS)
        return cfg_err(err, path, "num_conversations",
                       n ? "must be a whole number in 1..%ld" : "missing (a number in 1..%ld)",
                       DS_MAX_PROMPTS);
    g->n_convs = (long)json_integer_value(n);
    json_t *ps = json_object_get(root, "print_stats");
    if (ps && !json_is_boolean(ps))
        return cfg_err(err, path, "print_stats", "should be either true or false");
    g->print_stats = json_is_true(ps);
    json_t *in = json_object_get(root, "prompt_input"),
           *out = json_object_get(root, "prompt_output");
    if (!json_is_object(in))
        return cfg_err(err, path, "prompt_input", in ? "must be an object" : "missing");
    if (!json_is_object(out))
        return cfg_err(err, path, "prompt_output", out ? "must be an object" : "missing");
    /* prefix_num_tokens is required upstream; here it may be left out (0). */
    if (parse_dist(in, "prompt_input", "num_turns", false, path, &g->turns, err) != 0 ||
        parse_dist(in, "prompt_input", "num_tokens", false, path, &g->in_tokens, err) != 0 ||
        parse_dist(in, "prompt_input", "common_prefix_num_tokens", true, path, &g->common, err) !=
            0 ||
        parse_dist(in, "prompt_input", "prefix_num_tokens", true, path, &g->prefix, err) != 0 ||
        parse_dist(out, "prompt_output", "num_tokens", false, path, &g->out_tokens, err) != 0)
        return -1;
    return 0;
}

/* ---- the text pool ---- */

typedef struct conv_gen {
    const tok *t;
    tok_ctx *ctx;
    const char *path;
    int32_t *pool; /* the text files' ids, used as a cycle */
    size_t n_pool;
    tok_ids ids;
    sb_buf text, msg;
    long long mismatch; /* messages that could not be made exact (tokens off, summed) */
} conv_gen;

/* Appends the decode of pool[a .. a+len) (cyclic) to out. */
static int pool_text(conv_gen *g, size_t a, size_t len, sb_buf *out, sb_err *err)
{
    while (len > 0) {
        a %= g->n_pool;
        size_t take = g->n_pool - a < len ? g->n_pool - a : len;
        if (tok_decode(g->t, g->pool + a, take, false, out, err) != 0)
            return -1;
        a += take;
        len -= take;
    }
    return 0;
}

static int count(conv_gen *g, const char *s, size_t n, int64_t *out, sb_err *err)
{
    g->ids.n = 0;
    if (tok_encode_ctx(g->t, g->ctx, s, n, false, &g->ids, err) != 0)
        return -1;
    *out = (int64_t)g->ids.n;
    return 0;
}

/* g->msg = head + pool text from `from` + tail, with the pool part's length
 * chosen so the whole encodes to exactly target tokens (target >=
 * tokens(head + tail), which is head_tokens).
 * Decode/encode boundaries move a count by a token or two, so the length is
 * corrected by the difference a few times, then stepped by one. */
static int exact_message(conv_gen *g, const char *head, size_t head_len, const char *tail,
                         int64_t head_tokens, int64_t target, size_t from, sb_err *err)
{
    size_t tail_len = strlen(tail);
    int64_t len = target - head_tokens, n = 0, best_len = 0, best_off = INT64_MAX;
    for (int round = 0; round < 24; round++) {
        if (len < 0)
            len = 0;
        sb_buf_reset(&g->msg);
        sb_buf_append(&g->msg, head, head_len);
        if (len > 0 && pool_text(g, from, (size_t)len, &g->msg, err) != 0)
            return -1;
        sb_buf_append(&g->msg, tail, tail_len);
        if (len == 0)
            n = head_tokens;
        else if (count(g, g->msg.data, g->msg.len, &n, err) != 0)
            return -1;
        if (n == target)
            return 0;
        int64_t off = n > target ? n - target : target - n;
        if (off < best_off)
            best_off = off, best_len = len;
        len += round < 12 ? target - n : (n < target ? 1 : -1);
    }
    /* no length gives the exact count (a rare tokenizer boundary): the closest */
    sb_buf_reset(&g->msg);
    sb_buf_append(&g->msg, head, head_len);
    if (best_len > 0 && pool_text(g, from, (size_t)best_len, &g->msg, err) != 0)
        return -1;
    sb_buf_append(&g->msg, tail, tail_len);
    g->mismatch += best_off;
    return 0;
}

static int load_pool(const dataset_ctx *c, json_t *root, const char *path, conv_gen *g, sb_err *err)
{
    json_t *files = json_object_get(root, "text_files");
    if (files && (!json_is_array(files) || json_array_size(files) == 0))
        return cfg_err(err, path, "text_files", "should be a list with at least one file");
    tok_ids all;
    tok_ids_init(&all);
    sb_buf data;
    sb_buf_init(&data);
    char *dir_copy = sb_xstrdup(path);
    const char *dir = dirname(dir_copy);
    size_t n_files = files ? json_array_size(files) : 1;
    int rc = 0;
    for (size_t i = 0; i < n_files && rc == 0; i++) {
        char field[48];
        snprintf(field, sizeof field, "text_files[%zu]", i);
        const char *name = files ? json_string_value(json_array_get(files, i)) : NULL;
        if (files && (!name || !*name)) {
            rc = cfg_err(err, path, field, "must be a file name");
            break;
        }
        /* absent: the bundled sonnet.txt (upstream has no default) */
        sb_buf full;
        sb_buf_init(&full);
        if (!name)
            sb_buf_puts(&full, sb_data_path("sonnet.txt"));
        else if (name[0] == '/')
            sb_buf_puts(&full, name);
        else
            sb_buf_printf(&full, "%s/%s", dir, name);
        sb_err ferr;
        sb_buf_reset(&data);
        if (sb_read_file(full.data, &data, &ferr) != 0)
            rc = cfg_err(err, path, field, "%s", ferr.msg);
        else if (tok_encode_ctx(c->t, g->ctx, data.data ? data.data : "", data.len, false, &all,
                                err) != 0)
            rc = -1;
        sb_buf_free(&full);
    }
    free(dir_copy);
    sb_buf_free(&data);
    if (rc == 0 && all.n == 0)
        rc = cfg_err(err, path, "text_files", "the files hold no text to cut prompts from");
    if (rc != 0) {
        tok_ids_free(&all);
        return -1;
    }
    g->pool = all.v;
    g->n_pool = all.n;
    return 0;
}

/* One draw as a count, refused when negative or past the caps. */
static int to_count(double x, int64_t hi, const char *path, const char *field, int64_t *out,
                    sb_err *err)
{
    if (!(x >= 0))
        return cfg_err(err, path, field, "drew %g: counts cannot be negative", x);
    if (x > (double)hi)
        return cfg_err(err, path, field, "drew %.0f, above the cap of %lld (give \"max\")", x,
                       (long long)hi);
    *out = (int64_t)x;
    return 0;
}

static const char BASE_PROMPT[] = "Please rewrite the following text and add more content: ";

static int generate(const dataset_ctx *c, const conv_cfg *cf, conv_gen *g, sb_dataset *ds,
                    sb_err *err)
{
    const char *path = cf->path;
    long n_convs = cf->n_convs;
    if (c->o->num_prompts > 0 && c->o->num_prompts < n_convs)
        n_convs = c->o->num_prompts; /* --num-prompts takes the first N */
    np_rs r;
    if (np_rs_seed_checked(&r, c->o->seed, err) != 0)
        return -1;
    /* upstream's order of draws: turns and prefixes of every conversation,
     * the common prefix, then per conversation its user and reply lengths */
    size_t nc = (size_t)cf->n_convs;
    double *turns = sb_xmalloc(nc * sizeof *turns), *pre = sb_xmalloc(nc * sizeof *pre);
    dist_sample(&cf->turns, &r, nc, turns);
    dist_sample(&cf->prefix, &r, nc, pre);
    double common_d;
    dist_sample(&cf->common, &r, 1, &common_d);
    int rc = 0;
    int64_t common_n = 0, base_n = 0;
    rc = to_count(common_d, DS_MAX_TOKENS, path, "prompt_input.common_prefix_num_tokens", &common_n,
                  err);
    sb_buf common, head;
    sb_buf_init(&common);
    sb_buf_init(&head);
    double *in = NULL, *out = NULL;
    /* the common prefix: the pool's first tokens and a "." to end the
     * sentence (upstream's), exactly common_n tokens on its own */
    int64_t dot_n = 0;
    if (rc == 0 && common_n > 0)
        rc = count(g, ".", 1, &dot_n, err);
    if (rc == 0 && common_n > 0)
        rc = exact_message(g, "", 0, ".", dot_n, common_n > dot_n ? common_n : dot_n, 0, err);
    if (rc == 0 && common_n > 0)
        sb_buf_append(&common, g->msg.data, g->msg.len);
    if (rc == 0)
        rc = count(g, BASE_PROMPT, sizeof BASE_PROMPT - 1, &base_n, err);
    size_t offset = (size_t)common_n;
    uint64_t user_tokens = 0, reply_tokens = 0, user_msgs = 0;
    for (long ci = 0; ci < n_convs && rc == 0; ci++) {
        int64_t n_msgs = 0, prefix_n = 0;
        if (to_count(turns[ci], 1 << 20, path, "prompt_input.num_turns", &n_msgs, err) != 0 ||
            to_count(pre[ci], DS_MAX_TOKENS, path, "prompt_input.prefix_num_tokens", &prefix_n,
                     err) != 0) {
            rc = -1;
            break;
        }
        /* at least one user message and its reply; an even count */
        n_msgs = n_msgs < 2 ? 2 : n_msgs + n_msgs % 2;
        size_t nm = (size_t)n_msgs;
        in = sb_xrealloc(in, nm * sizeof *in);
        out = sb_xrealloc(out, nm * sizeof *out);
        dist_sample(&cf->in_tokens, &r, nm, in);
        dist_sample(&cf->out_tokens, &r, nm, out);
        int64_t max_in = 0;
        for (size_t k = 0; k < nm && rc == 0; k++) {
            int64_t v;
            rc = to_count(in[k], DS_MAX_TOKENS, path, "prompt_input.num_tokens", &v, err);
            if (rc == 0)
                rc = to_count(out[k], DS_MAX_TOKENS, path, "prompt_output.num_tokens", &v, err);
            if (rc == 0 && (int64_t)in[k] > max_in)
                max_in = (int64_t)in[k];
        }
        if (rc != 0)
            break;
        const char **texts = sb_arena_alloc(&ds->arena, nm * sizeof *texts);
        const char **roles = sb_arena_alloc(&ds->arena, nm * sizeof *roles);
        int32_t *toks = sb_arena_alloc(&ds->arena, nm * sizeof *toks);
        for (size_t k = 0; k < nm && rc == 0; k += 2) {
            /* the user message: [common prefix] "<id> is a nice number... "
             * [<id>, conversation prefix] base prompt, filler */
            sb_buf_reset(&head);
            if (k == 0 && common.len)
                sb_buf_append(&head, common.data, common.len);
            sb_buf_printf(&head, "%ld is a nice number... ", ci);
            if (k == 0 && prefix_n > 0) {
                sb_buf_printf(&head, "%ld, ", ci);
                rc = pool_text(g, offset, (size_t)prefix_n, &head, err);
                offset += (size_t)prefix_n;
            }
            sb_buf_append(&head, BASE_PROMPT, sizeof BASE_PROMPT - 1);
            int64_t head_n = 0;
            if (rc == 0)
                rc = count(g, head.data, head.len, &head_n, err);
            /* num_tokens covers the common prefix and the question; the
             * conversation prefix comes on top (upstream's accounting) */
            int64_t want = (int64_t)in[k] + (k == 0 ? prefix_n : 0);
            if (want < head_n)
                want = head_n;
            if (want > DS_MAX_TOKENS)
                rc = cfg_err(err, path, "prompt_input",
                             "conversation %ld turn %zu would hold %lld tokens, above %ld", ci,
                             k / 2 + 1, (long long)want, DS_MAX_TOKENS);
            if (rc == 0)
                rc = exact_message(g, head.data, head.len, "", head_n, want,
                                   offset + k / 2 * (size_t)max_in, err);
            if (rc != 0)
                break;
            texts[k] = sb_arena_strndup(&ds->arena, g->msg.data, g->msg.len);
            roles[k] = "user";
            toks[k] = (int32_t)want;
            texts[k + 1] = "";
            roles[k + 1] = "assistant";
            toks[k + 1] = out[k + 1] < 1 ? 1 : (int32_t)out[k + 1];
            user_tokens += (uint64_t)want;
            reply_tokens += (uint64_t)toks[k + 1];
            user_msgs++;
        }
        if (rc != 0)
            break;
        offset += nm;
        sb_request *q = dataset_push(ds);
        q->prompt = texts[0];
        q->prompt_bytes = strlen(texts[0]);
        q->prompt_len = toks[0];
        q->output_len = toks[1];
        q->turns = texts;
        q->roles = roles;
        q->turn_tokens = toks;
        q->n_turns = (uint32_t)nm;
        char idb[40];
        snprintf(idb, sizeof idb, "CONV_ID_%ld", ci);
        q->conv_id = sb_arena_strdup(&ds->arena, idb);
    }
    if (rc == 0 && g->mismatch)
        dataset_warn(ds,
                     "%s: %lld tokens off in all over the messages that no filler length made "
                     "exact",
                     path, g->mismatch);
    if (rc == 0 && cf->print_stats && user_msgs)
        dataset_info(ds,
                     "Conversations statistics: %zu conversations, %.2f turns (messages) on "
                     "average, %.2f user tokens and %.2f assistant tokens per message",
                     ds->n, 2.0 * (double)user_msgs / (double)ds->n,
                     (double)user_tokens / (double)user_msgs,
                     (double)reply_tokens / (double)user_msgs);
    free(in);
    free(out);
    free(turns);
    free(pre);
    sb_buf_free(&common);
    sb_buf_free(&head);
    return rc;
}

/* ---- the list form (bench_dataset.py: conversations_list_to_dict) ---- */

static int load_list(const dataset_ctx *c, json_t *root, const char *path, sb_dataset *ds,
                     sb_err *err)
{
    size_t i;
    json_t *item;
    long want = c->o->num_prompts;
    tok_ids scratch;
    tok_ids_init(&scratch);
    int rc = 0;
    json_array_foreach(root, i, item)
    {
        if (want > 0 && (long)ds->n >= want)
            break;
        rc = -1; /* until the row is taken */
        char where[PATH_MAX + 64], why[160];
        json_t *id = json_object_get(item, "id");
        json_t *msgs = json_object_get(item, "messages");
        snprintf(where, sizeof where, "%s: conversation %zu", path, i + 1);
        if (!json_is_object(item)) {
            sb_err_set(err, "%s: not an object with \"id\" and \"messages\"", where);
            break;
        }
        if (id && !json_is_string(id)) {
            sb_err_set(err, "%s: \"id\" must be a string", where);
            break;
        }
        if (!msgs)
            msgs = json_object_get(item, "conversations"); /* ShareGPT's own key */
        if (dataset_conv_check(msgs, why, sizeof why) != 0) {
            if (dataset_conv_skip(c->o, ds, where, why, err) != 0)
                break;
            rc = 0;
            continue;
        }
        sb_request *q = dataset_push(ds);
        bool mt = ds->multi_turn;
        ds->multi_turn = true; /* the OpenAI role names, also for single-turn use */
        dataset_keep_turns(ds, q, msgs);
        ds->multi_turn = mt;
        /* single-turn use: the first user message, and the reply after it */
        uint32_t first = 0;
        while (strcmp(q->roles[first], "user") != 0)
            first++; /* dataset_conv_check saw one */
        q->prompt = q->turns[first];
        q->prompt_bytes = strlen(q->prompt);
        q->output_len = 128;
        if (c->t) {
            if (dataset_count_tokens(c->t, q->prompt, q->prompt_bytes, false, &scratch,
                                     &q->prompt_len, err) != 0)
                break;
            int32_t out = 0;
            if (first + 1 < q->n_turns && !strcmp(q->roles[first + 1], "assistant") &&
                dataset_count_tokens(c->t, q->turns[first + 1], strlen(q->turns[first + 1]), false,
                                     &scratch, &out, err) != 0)
                break;
            if (out > 0)
                q->output_len = out;
        }
        if (id)
            q->conv_id = sb_arena_strdup(&ds->arena, json_string_value(id));
        else {
            char idb[40];
            snprintf(idb, sizeof idb, "CONV_ID_%zu", i);
            q->conv_id = sb_arena_strdup(&ds->arena, idb);
        }
        rc = 0;
    }
    tok_ids_free(&scratch);
    if (rc == 0 && ds->n == 0)
        rc = sb_err_set(err, "%s: no conversation with a user turn", path);
    return rc;
}

int dataset_conversations(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    const char *path = c->o->path;
    if (!path)
        return sb_err_set(err, "--dataset-name conversations needs --dataset-path (a JSON list of "
                               "conversations or a generate_conversations config)");
    sb_buf data;
    sb_buf_init(&data);
    if (sb_read_file(path, &data, err) != 0)
        return -1;
    json_error_t je;
    json_t *root = json_loadb(data.data ? data.data : "", data.len, JSON_DECODE_ANY, &je);
    sb_buf_free(&data);
    if (!root)
        return sb_err_set(err, "%s:%d:%d: not JSON: %s", path, je.line, je.column, je.text);
    int rc;
    if (json_is_array(root)) {
        rc = load_list(c, root, path, ds, err);
    } else if (json_is_object(root)) {
        conv_cfg cf;
        rc = parse_config(root, path, &cf, err);
        if (rc == 0 && !c->t)
            rc = sb_err_set(err,
                            "%s: generating conversations needs a tokenizer (not "
                            "--skip-tokenizer-init)",
                            path);
        if (rc == 0) {
            conv_gen g = {.t = c->t, .path = path};
            g.ctx = tok_ctx_new(c->t);
            tok_ids_init(&g.ids);
            sb_buf_init(&g.text);
            sb_buf_init(&g.msg);
            rc = load_pool(c, root, path, &g, err);
            if (rc == 0)
                rc = generate(c, &cf, &g, ds, err);
            free(g.pool);
            tok_ids_free(&g.ids);
            sb_buf_free(&g.text);
            sb_buf_free(&g.msg);
            tok_ctx_free(g.ctx);
        }
    } else {
        rc = sb_err_set(err,
                        "%s: the input file is invalid (neither a list of conversations nor "
                        "a generation config object)",
                        path);
    }
    json_decref(root);
    return rc;
}

int dataset_conversations_params(const char *path, sb_buf *out, sb_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sb_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    int ch;
    do
        ch = fgetc(f);
    while (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r');
    fclose(f);
    if (ch != '{') /* a list (or not JSON: the load names it) */
        return 0;
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return sb_err_set(err, "%s:%d:%d: not JSON: %s", path, je.line, je.column, je.text);
    conv_cfg cf;
    int rc = parse_config(root, path, &cf, err);
    if (rc == 0) {
        json_t *files = json_object_get(root, "text_files");
        sb_buf_puts(out, "text_files=");
        if (!files)
            sb_buf_puts(out, "sonnet.txt (bundled)");
        for (size_t i = 0; i < json_array_size(files); i++) {
            const char *s = json_string_value(json_array_get(files, i));
            sb_buf_printf(out, "%s%s", i ? ", " : "", s ? s : "");
        }
        sb_buf_printf(out,
                      "\ninput_num_turns=%s\ninput_common_prefix_num_tokens=%s\n"
                      "input_prefix_num_tokens=%s\ninput_num_tokens=%s\noutput_num_tokens=%s\n",
                      cf.turns.repr, cf.common.repr, cf.prefix.repr, cf.in_tokens.repr,
                      cf.out_tokens.repr);
        rc = 1;
    }
    json_decref(root);
    return rc;
}
