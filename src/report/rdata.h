/* SPDX-License-Identifier: Apache-2.0 */
/* rdata.h - result files read back for `servebench report` and `plot`.
 *
 * A result JSON (ours or the reference's `vllm bench serve --save-result`)
 * becomes a report_run: its scalar keys as text (for the run table and the
 * printed percentiles, never recomputed) and, with --save-detailed, the
 * per-request arrays as doubles. A `servebench sweep` sweep.jsonl becomes a
 * report_sweep: one entry per point with the mean of its runs.
 *
 * Result files can be large (a 1,000,000-request run with ITLs is hundreds of
 * MB), so they are read in one pass over the mapped file straight into flat
 * arrays instead of being built as a DOM. */
#ifndef SB_REPORT_RDATA_H
#define SB_REPORT_RDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct report_vec {
    double *v;
    size_t n, cap;
} report_vec;

typedef struct report_kv {
    char *key; /* top-level key, or "servebench.<key>" for our nested figures */
    char *val; /* text as written (numbers) or unescaped (strings); "null" */
    bool is_str;
} report_kv;

/* One server-side time series block of the result JSON
 * (servebench.server_metrics or servebench.gpu_metrics, docs/serve.md). */
typedef struct report_tm_series {
    char *key;    /* "kv_cache_usage", "prompt_tokens_per_s", ... */
    report_vec v; /* one value per scrape time, NAN where the scrape had none */
} report_tm_series;

/* series kept per block; a foreign file's extra ones are skipped */
#define REPORT_TM_MAX_SERIES 64

typedef struct report_tm {
    bool present;
    char *source; /* "vllm", "dcgm", ... */
    double interval_s;
    report_vec t;    /* t_s: scrape times, seconds from the benchmark start */
    report_vec gaps; /* gaps[].t_s: times of failed scrapes */
    report_tm_series *s;
    size_t n_s;
} report_tm;

/* One entry of servebench.multi_turn.per_turn (`serve --multi-turn`);
 * NAN where the file has no number. */
typedef struct report_turn {
    double turn, requests, completed, mean_input_len, mean_output_len;
    double ttft_mean, ttft_median, ttft_p99; /* ms; ttft_p99 only with 99 in --metric-percentiles */
} report_turn;

/* per_turn entries kept per file; later ones are counted in turns_skipped */
#define REPORT_MAX_TURNS 100000

typedef struct report_run {
    char *path;
    report_kv *kv;
    size_t n_kv, cap_kv;
    /* --save-detailed arrays (n == 0 when absent); times in seconds */
    report_vec input_lens, output_lens, ttfts, latencies, start_times;
    report_vec itls;       /* every request's ITLs, one after another */
    report_vec itl_off;    /* request i's ITLs are itls.v[itl_off.v[i] .. itl_off.v[i+1]) */
    report_vec failed;     /* 1 where errors[i] is a non-empty string */
    report_tm server, gpu; /* servebench.server_metrics, servebench.gpu_metrics */
    report_turn *turns;    /* servebench.multi_turn.per_turn, in file order */
    size_t n_turns, cap_turns;
    /* per_turn entries left out: not an object, no numeric "turn", a field
     * of the wrong type, or past REPORT_MAX_TURNS (the chart's note says so) */
    size_t turns_skipped;
} report_run;

/* Reads one result JSON (the first object of a JSON Lines file written with
 * --append-result). -1 with err naming the file and what is wrong. r starts
 * zeroed; report_run_free it whatever the result. */
int report_run_load(report_run *r, const char *path, sb_err *err);
void report_run_free(report_run *r);
/* The value text of key, or NULL. */
const char *report_run_get(const report_run *r, const char *key);
/* The number at key, or NAN when absent, null or not a number. */
double report_run_num(const report_run *r, const char *key);
/* The series of block tm with this key, or NULL. */
const report_vec *report_tm_get(const report_tm *tm, const char *key);
/* Number of requests in the detailed arrays (0 when not saved). */
size_t report_run_requests(const report_run *r);

typedef struct report_point {
    int index;
    char *params;           /* "--request-rate=4 --max-concurrency=8" */
    char *group;            /* params without the load axis (one curve per group) */
    double load;            /* the load axis value (INFINITY for inf, NAN if none) */
    double max_concurrency; /* its --max-concurrency, NAN when not set */
    char *client_health;
    bool partial;
    int runs, ok_runs;
    char *result_file; /* first ok run's result file (relative to the sweep file) */
    char *fingerprint;
    /* means over ok runs of every metric, by name */
    char **keys;
    double *means, *ci_lo, *ci_hi;
    size_t n_keys;
} report_point;

typedef struct report_slo {
    char *key, *op;
    double value;
} report_slo;

typedef struct report_sweep {
    char *path;
    char *mode, *load_axis; /* load_axis: "--request-rate", ... */
    report_point *pts;
    size_t n_pts;
    report_slo *slo;
    size_t n_slo;
    bool has_capacity, capacity_found;
    double capacity, upper;
    char *capacity_reason;
    size_t n_failed_runs;
} report_sweep;

/* True when the file's first line starts with a "type" key, as every line
 * of a sweep.jsonl does (a result JSON starts with "date"). */
bool report_is_sweep(const char *path);
/* s starts zeroed; report_sweep_free it whatever the result. */
int report_sweep_load(report_sweep *s, const char *path, sb_err *err);
void report_sweep_free(report_sweep *s);
/* Mean of metric key at point p, NAN when absent. */
double report_point_mean(const report_point *p, const char *key);

#endif
