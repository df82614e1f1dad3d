/* SPDX-License-Identifier: Apache-2.0 */
/* flag_values.c - values that need more than a number or a string.
 *
 * Messages quote the reference's wording where users may grep for it
 * (goodput, ramp-up); every other message names the flag and the value. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/flags.h"
#include "core/pyfmt.h"

int fv_parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    while (isspace((unsigned char)*s))
        s++;
    long v = strtol(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (end == s || *end || errno)
        return -1;
    *out = v;
    return 0;
}

int fv_parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    while (isspace((unsigned char)*s))
        s++;
    /* strtod also reads hex floats and "nan(...)", which Python's float() does not */
    if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) || strchr(s, '('))
        return -1;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (end == s || *end || (errno && !isinf(v) && v != 0))
        return -1;
    *out = v;
    return 0;
}

int fv_max_concurrency(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    (void)n;
    long x;
    if (fv_parse_long(v[0], &x) < 0)
        return sb_err_set(err, "--max-concurrency: invalid int value: '%s'", v[0]);
    if (x <= 0)
        return sb_err_set(err,
                          "--max-concurrency must be a positive integer (got %ld); "
                          "leave it out for no limit",
                          x);
    cfg->max_concurrency = x;
    return 0;
}

/* --num-workers N | auto (0 in the config: run.c chooses). */
int fv_num_workers(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    (void)n;
    if (strcmp(v[0], "auto") == 0) {
        cfg->num_workers = 0;
        return 0;
    }
    long x;
    if (fv_parse_long(v[0], &x) < 0 || x < 1 || x > SB_MAX_WORKERS)
        return sb_err_set(err, "--num-workers must be auto or 1 to %d (got '%s')", SB_MAX_WORKERS,
                          v[0]);
    cfg->num_workers = x;
    return 0;
}

int fv_rate(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    (void)n;
    double x;
    if (fv_parse_double(v[0], &x) < 0 || isnan(x))
        return sb_err_set(err, "--request-rate: invalid float value: '%s'", v[0]);
    if (x <= 0)
        return sb_err_set(err, "--request-rate must be > 0 or inf (got '%s')", v[0]);
    cfg->request_rate = x;
    return 0;
}

static int ratio_ok(double r)
{
    return r >= 0.0 && r < 1.0;
}

/* A float, or JSON {"input": a, "output": b}; each in [0, 1). */
int fv_range_ratio(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    (void)n;
    double in, out;
    const char *s = v[0];
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '{') {
        json_error_t je;
        json_t *o = json_loads(s, 0, &je);
        json_t *a = o ? json_object_get(o, "input") : NULL,
               *b = o ? json_object_get(o, "output") : NULL;
        if (!o || !json_is_number(a) || !json_is_number(b) || json_object_size(o) != 2) {
            json_decref(o);
            return sb_err_set(err,
                              "--random-range-ratio: '%s' is neither a number nor a JSON "
                              "object {\"input\": a, \"output\": b}",
                              v[0]);
        }
        in = json_number_value(a);
        out = json_number_value(b);
        json_decref(o);
    } else if (fv_parse_double(s, &in) < 0) {
        return sb_err_set(err,
                          "--random-range-ratio: invalid value '%s' (a number in [0, 1) or "
                          "{\"input\": a, \"output\": b})",
                          v[0]);
    } else {
        out = in;
    }
    if (!ratio_ok(in) || !ratio_ok(out))
        return sb_err_set(err, "--random-range-ratio: each ratio must be in [0, 1), got '%s'",
                          v[0]);
    cfg->ds.random_range_ratio_in = in;
    cfg->ds.random_range_ratio_out = out;
    return 0;
}

int fv_ramp_strategy(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    (void)n;
    if (!strcmp(v[0], "linear"))
        cfg->ramp_up = SB_RAMP_LINEAR;
    else if (!strcmp(v[0], "exponential"))
        cfg->ramp_up = SB_RAMP_EXPONENTIAL;
    else
        return sb_err_set(err,
                          "--ramp-up-strategy: invalid choice: '%s' (choose from 'linear', "
                          "'exponential')",
                          v[0]);
    return 0;
}

static int ramp_rps(const char *flag, const char *s, double *out, sb_err *err)
{
    long x;
    if (fv_parse_long(s, &x) < 0)
        return sb_err_set(err, "%s: invalid int value: '%s'", flag, s);
    *out = (double)x;
    return 0;
}

int fv_ramp_start(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    (void)n;
    return ramp_rps("--ramp-up-start-rps", v[0], &cfg->ramp_up_start_rps, err);
}

int fv_ramp_end(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    (void)n;
    return ramp_rps("--ramp-up-end-rps", v[0], &cfg->ramp_up_end_rps, err);
}

/* Comma list of floats, as [float(p) for p in s.split(",")]. */
int fv_percentiles(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    (void)n;
    size_t cap = 1;
    for (const char *c = v[0]; *c; c++)
        cap += *c == ',';
    double *ps = sb_xmalloc(cap * sizeof *ps);
    char *copy = sb_xstrdup(v[0]), *save = NULL;
    size_t k = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (fv_parse_double(tok, &ps[k]) < 0 || !(ps[k] >= 0 && ps[k] <= 100)) {
            sb_err_set(err, "--metric-percentiles: '%s' is not a percentile in [0, 100]", tok);
            free(copy);
            free(ps);
            return -1;
        }
        k++;
    }
    free(copy);
    if (k == 0) {
        free(ps);
        return sb_err_set(err, "--metric-percentiles: empty list");
    }
    free(cfg->metric_percentiles);
    cfg->metric_percentiles = ps;
    cfg->n_metric_percentiles = k;
    return 0;
}

static const char goodput_format_msg[] =
    "Invalid format found for service level objectives. Specify service level objectives for "
    "goodput as \"KEY:VALUE\" pairs, where the key is a metric name, and the value is a number in "
    "milliseconds.";

/* KEY:VALUE pairs; the messages are the reference's (parse_goodput,
 * check_goodput_args). */
int fv_goodput(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    double t = NAN, p = NAN, e = NAN;
    for (size_t i = 0; i < n; i++) {
        const char *colon = strchr(v[i], ':');
        double x;
        if (!colon || strchr(colon + 1, ':') || fv_parse_double(colon + 1, &x) < 0)
            return sb_err_set(err, "--goodput %s: %s", v[i], goodput_format_msg);
        size_t klen = (size_t)(colon - v[i]);
        char pyval[48]; /* the reference prints the parsed float: 500.0 */
        py_float_repr(pyval, sizeof pyval, x);
        double *slot = klen == 4 && !strncmp(v[i], "ttft", 4)   ? &t
                       : klen == 4 && !strncmp(v[i], "tpot", 4) ? &p
                       : klen == 4 && !strncmp(v[i], "e2el", 4) ? &e
                                                                : NULL;
        if (!slot)
            return sb_err_set(err,
                              "Invalid metric name found, %.*s: %s. The service level "
                              "objective name should be one of ['ttft', 'tpot', 'e2el']. ",
                              (int)klen, v[i], pyval);
        if (x < 0)
            return sb_err_set(err,
                              "Invalid value found, %.*s: %s. The service level objective "
                              "value should be non-negative.",
                              (int)klen, v[i], pyval);
        *slot = x;
    }
    cfg->goodput_ttft_ms = t;
    cfg->goodput_tpot_ms = p;
    cfg->goodput_e2el_ms = e;
    cfg->goodput_set = n > 0;
    return 0;
}

int fv_legacy_dataset(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    (void)n;
    (void)err;
    free(cfg->ds.path);
    cfg->ds.path = sb_xstrdup(v[0]);
    free(cfg->ds.name);
    cfg->ds.name = sb_xstrdup("sharegpt");
    cfg->ds.dataset_legacy = true;
    return 0;
}

/* --timed-trace-hash-seed: what CPython accepts as PYTHONHASHSEED, except
 * "random", which has no reproducible prompts to match. */
int fv_hash_seed(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    (void)n;
    long long s;
    char *end;
    errno = 0;
    s = strtoll(v[0], &end, 10);
    if (!strcmp(v[0], "random"))
        return sb_err_set(err, "--timed-trace-hash-seed random: a random hash seed cannot be "
                               "reproduced; give the number the reference ran with as "
                               "PYTHONHASHSEED (0..4294967295)");
    if (end == v[0] || *end || errno || !isdigit((unsigned char)v[0][0]) || s > 4294967295LL)
        return sb_err_set(err,
                          "--timed-trace-hash-seed: invalid value '%s' (an integer in "
                          "0..4294967295, as PYTHONHASHSEED)",
                          v[0]);
    cfg->ds.timed_trace_hash_seed = s;
    return 0;
}

int fv_self_timed(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    (void)v, (void)n, (void)err;
    cfg->self_timed = 1;
    return 0;
}

int fv_server_metrics(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    (void)v, (void)n, (void)err;
    cfg->server_metrics = 1;
    return 0;
}

int fv_no_server_metrics(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    (void)v, (void)n, (void)err;
    cfg->server_metrics = 0;
    return 0;
}

int fv_no_self_timed(sb_config *cfg, char **v, size_t n, sb_err *err)
{
    (void)v, (void)n, (void)err;
    cfg->self_timed = 0;
    return 0;
}
