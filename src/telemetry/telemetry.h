/* SPDX-License-Identifier: Apache-2.0 */
/* telemetry.h - the server's own figures during a run: a thread scrapes a
 * Prometheus endpoint (the server's /metrics, or a DCGM exporter for the
 * GPUs) every interval, maps the metric names of vLLM (v0 and v1), SGLang,
 * TGI, llama.cpp and Dynamo to one set of quantities (KV-cache usage,
 * running and waiting requests, preemptions, prefix-cache hits, ...), and
 * keeps a time series of them on the benchmark's clock.
 *
 * The thread only reads the engine's TLS options; it never touches the
 * measuring loop, so a slow or broken endpoint cannot delay a benchmark
 * request. A failed scrape is a gap in the series with its reason, reported
 * once; the run goes on. */
#ifndef SB_TELEMETRY_H
#define SB_TELEMETRY_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "http/engine.h"

typedef enum tm_quantity {
    TM_KV_USAGE,        /* fraction of the KV cache in use, 0..1 (gauge) */
    TM_RUNNING,         /* requests being computed (gauge) */
    TM_WAITING,         /* requests queued in the server (gauge) */
    TM_PREEMPTIONS,     /* requests preempted (counter) */
    TM_PREFIX_QUERIES,  /* prefix-cache lookups, tokens (counter) */
    TM_PREFIX_HITS,     /* prefix-cache hits, tokens (counter) */
    TM_PREFIX_HIT_RATE, /* hit rate the server computes itself, 0..1 (gauge) */
    TM_SPEC_DRAFT,      /* speculative draft tokens (counter) */
    TM_SPEC_ACCEPTED,   /* accepted draft tokens (counter) */
    TM_PROMPT_TOKENS,   /* prefill tokens processed (counter) */
    TM_GEN_TOKENS,      /* tokens generated (counter) */
    TM_GPU_UTIL,        /* GPU utilisation % (DCGM, mean over GPUs) */
    TM_GPU_MEM_USED,    /* framebuffer used, MiB (DCGM, sum over GPUs) */
    TM_GPU_POWER,       /* power draw, W (DCGM, sum over GPUs) */
    TM_GPU_SM_CLOCK,    /* SM clock, MHz (DCGM, mean over GPUs) */
    TM_COUNT_
} tm_quantity;

/* The quantity's key in the result JSON ("kv_cache_usage", ...). */
const char *tm_quantity_key(tm_quantity q);
/* True for counters (reported as rates per second in the series). */
bool tm_quantity_is_counter(tm_quantity q);

/* One scrape: the time (ns since the benchmark start; negative before it)
 * and every quantity found (NaN where the endpoint has none). */
typedef struct tm_row {
    int64_t t_ns;
    double v[TM_COUNT_];
} tm_row;

/* A scrape that failed, with why. */
typedef struct tm_gap {
    int64_t t_ns;
    char *why;
} tm_gap;

typedef struct tm_series {
    char *url;
    double interval_s;
    const char *source; /* "vllm", "sglang", ... from the names seen; "unknown" */
    tm_row *rows;
    size_t n_rows, cap_rows;
    tm_gap *gaps;
    size_t n_gaps, cap_gaps;
} tm_series;

/* Adds one scrape's body to s at t_ns: parses it (a malformed body becomes a
 * gap naming the line) and maps the names it knows. */
void tm_series_add_body(tm_series *s, int64_t t_ns, const char *body, size_t len);
void tm_series_add_gap(tm_series *s, int64_t t_ns, const char *why);
void tm_series_free(tm_series *s);

/* Figures over the run (rows with 0 <= t <= end_ns). */
typedef struct tm_summary {
    size_t samples;
    double kv_peak, kv_mean; /* fractions; NaN when absent */
    double running_mean, waiting_mean, running_peak, waiting_peak;
    double preemptions;     /* counter delta */
    double prefix_hit_rate; /* delta hits / delta queries, else mean gauge */
    double spec_acceptance; /* delta accepted / delta draft */
    double prompt_tok_per_s, gen_tok_per_s;
    double gpu_util_mean, gpu_mem_peak, gpu_power_mean, gpu_sm_clock_mean;
} tm_summary;

void tm_summarize(const tm_series *s, int64_t end_ns, tm_summary *out);
/* `"key": {...}` for the result JSON: url, interval, source, the series (gauges
 * as sampled, counters as rates between scrapes; null for missing), the gaps
 * and the summary. */
void tm_write_json(sb_buf *out, const char *key, const tm_series *s, const tm_summary *sum);
/* The additions section (title and lines); nothing when no scrape succeeded. */
void tm_write_block(sb_buf *out, const char *title, const tm_series *s, const tm_summary *sum);

/* The scraping thread. */
typedef struct tm_scraper tm_scraper;
typedef struct tm_scraper_opts {
    const eng *e;                     /* TLS options only */
    const char *url;                  /* full URL of the metrics text */
    const struct curl_slist *headers; /* sent with each scrape (auth) */
    double interval_s;
    uint64_t origin_ns;   /* the benchmark's time origin (rows are relative to it) */
    bool quiet_if_absent; /* a first scrape that fails ends scraping without a word */
    const char *what;     /* "server metrics" / "GPU metrics", for messages */
} tm_scraper_opts;

/* Takes a first scrape before returning (the counters' baseline: what the
 * caller sends afterwards is inside the run's deltas; a hanging endpoint
 * delays the return by the scrape timeout, one interval, at least 1 s), then
 * scrapes on a thread. NULL with err if the thread could not start. */
tm_scraper *tm_scraper_start(const tm_scraper_opts *o, sb_err *err);
/* Sets the benchmark origin once it is known (rows before it are negative). */
void tm_scraper_set_origin(tm_scraper *sc, uint64_t origin_ns);
/* Takes a last scrape, stops the thread, and hands over the series (the
 * caller frees it with tm_series_free). absent is set when the endpoint never
 * answered and quiet_if_absent was asked (the series is then empty). */
void tm_scraper_stop(tm_scraper *sc, tm_series *out, bool *absent);

#endif
