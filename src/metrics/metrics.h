/* SPDX-License-Identifier: Apache-2.0 */
/* metrics.h - the reference's aggregate figures computed from a rec_store.
 *
 * metrics_compute applies the formulas of vllm/benchmarks/serve.py: calculate_metrics (completed,
 * throughputs, TTFT/TPOT/ITL/E2EL mean/median/std/percentiles with numpy's
 * "linear" rule, goodput, peak output tokens/s and peak concurrency with the
 * reference's 1 s buckets) and, separately in sb_metrics_ext, servebench's own
 * figures (coordinated-omission corrected latencies, send lag, failures by
 * reason, token-accurate ITL, exact peak concurrency). Nothing here prints.
 *
 * Time base: every sb_record time (intended_ns, queued_ns, start_ns) is
 * relative to rec_store.bench_start_ns; duration is bench_end_ns -
 * bench_start_ns. */
#ifndef SB_METRICS_H
#define SB_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "metrics/record.h"
#include "metrics/specdec.h"

/* Re-tokenization of generated text, for requests whose server reported no
 * usage.completion_tokens (vllm/benchmarks/serve.py: calculate_metrics output_len rule). count
 * returns the number of ids of text encoded without special tokens, or -1 on error (then 1 is
 * used). Keeps metrics independent of the tokenizer module. */
typedef struct metrics_tok_cb {
    long (*count)(void *ctx, const char *text, size_t len);
    void *ctx;
} metrics_tok_cb;

typedef enum sb_metric_kind {
    SB_M_TTFT = 0,
    SB_M_TPOT,
    SB_M_ITL,
    SB_M_E2EL,
    SB_M_QUEUE,      /* client_queue_time: start - due time (waiting for a concurrency slot) */
    SB_M_E2EL_QUEUE, /* e2el_including_client_queue: latency + queue time */
    SB_M_COUNT_
} sb_metric_kind;

/* "ttft", "tpot", "itl", "e2el", "client_queue_time",
 * "e2el_including_client_queue" (the --percentile-metrics names). */
const char *metrics_kind_name(sb_metric_kind k);

/* One latency distribution, in milliseconds. Empty list -> every figure 0
 * (the reference replaces an empty list by the scalar 0). */
typedef struct metrics_stat {
    size_t n;                          /* samples */
    double mean_ms, median_ms, std_ms; /* std is population (ddof 0) */
    double min_ms, max_ms;
    double *pct_ms; /* one per sb_metrics.pcts, same order */
} metrics_stat;

/* servebench's own figures (never replace the reference ones). */
typedef struct sb_metrics_ext {
    metrics_stat ttft_corrected; /* ttft + (start - intended): coordinated-omission corrected */
    metrics_stat e2el_corrected; /* latency + (start - intended) */
    metrics_stat itl_token;      /* gap / tokens in gap, when itl_tokens were recorded */
    bool has_itl_token;
    double send_lag_p50_ms, send_lag_p99_ms,
        send_lag_max_ms;     /* start - intended, all sent requests */
    double sched_lag_p99_ms; /* queued - intended: scheduler lateness without the semaphore wait */
    long fail_by_reason[SB_FAIL_COUNT_];
    long max_concurrent_exact;        /* sweep over [start, start+latency), ends before starts */
    long concurrency_used;            /* max concurrency, or number of requests when unlimited */
    double generate_speed_per_client; /* output_throughput / concurrency_used */
    long token_events;                /* token messages received (sum of n_chunks) */
    /* chat stream channels over successful requests (ours) */
    long reasoning_responses, tool_call_responses; /* requests with >= 1 such message */
    long reasoning_msgs, answer_msgs, tool_call_msgs;
    metrics_stat ttf_reasoning; /* first reasoning message - start, where there was one */
    metrics_stat ttf_answer;    /* first answer (content) message - start, where there was one */
    double token_events_per_s;
    /* structured output (ours): requests sent with a JSON schema, and of the
     * successful ones, answers that parsed as JSON and that matched the schema */
    long structured_sent, structured_answered, structured_valid_json, structured_match;
} sb_metrics_ext;

/* --probe-request-rate: the side loop of 1-token "Hi" requests, reported apart
 * from the benchmark (vllm/benchmarks/serve.py: the probe section). */
typedef struct metrics_probe {
    bool ran; /* probes were enabled */
    long completed, failed;
    double median_ms, p99_ms, max_ms; /* E2EL of the successful probes */
} metrics_probe;

typedef struct sb_metrics {
    long completed, failed;
    long total_input, total_output;
    double duration_s;
    double request_throughput;
    double request_goodput; /* NAN when no --goodput */
    double output_throughput, total_token_throughput;
    double max_output_tokens_per_s; /* reference: token *messages* in the busiest 1 s bucket */
    long max_concurrent_requests;   /* reference bucket method (overcounts; see ext) */
    double rtfx;        /* inverse real-time factor: audio seconds of successes / duration (6) */
    bool has_tokenizer; /* false with --skip-tokenizer-init */
    bool pooling;       /* embeddings/pooling/rerank backend: no output tokens */
    bool selected[SB_M_COUNT_]; /* --percentile-metrics */
    double *pcts;               /* --metric-percentiles, copied */
    size_t n_pcts;
    metrics_stat stat[SB_M_COUNT_];
    int32_t *output_lens; /* per request in store order; 0 for failures */
    /* Per-second series behind the peaks (for the terminal plot); n_buckets 0
     * when nothing succeeded. */
    double *tokens_per_s;
    long *concurrent_per_s;
    size_t n_buckets;
    sb_metrics_ext ext;
    /* Speculative decoding deltas from /metrics: metrics_compute leaves it
     * empty; the run fills it with specdec_delta when it read the counters. */
    specdec_result spec;
    /* Pooling: inputs embedded or scored by the successful requests (a batch
     * counts its texts, a rerank request its documents) and per second. The
     * run fills the count (metrics_set_input_sequences); 0 otherwise. */
    long total_input_sequences;
    double input_sequence_throughput;
    metrics_probe probe; /* filled by the run with metrics_probe_summary */
} sb_metrics;

/* The metric flags, all metrics_compute reads of the configuration (run/
 * fills it from sb_config; tests set it). Pointers are only read during the
 * call. */
typedef struct metrics_opts {
    const char *backend;              /* --backend: pooling backends default to e2el */
    const char *percentile_metrics;   /* --percentile-metrics, NULL = the default */
    const double *metric_percentiles; /* --metric-percentiles */
    size_t n_metric_percentiles;
    double goodput_ttft_ms, goodput_tpot_ms, goodput_e2el_ms; /* NAN = no SLO */
    bool goodput_set;                                         /* --goodput given */
    long max_concurrency;                                     /* -1 = unlimited */
    bool skip_tokenizer_init;                                 /* --skip-tokenizer-init */
} metrics_opts;

/* Computes every figure from s. cfg supplies the percentiles, the selected
 * metrics, goodput SLOs, max concurrency and --skip-tokenizer-init; cb may be
 * NULL (then a request without usage counts 1 output token). Output length
 * per request: output_tokens when non-zero; else record.output_len when the
 * engine set it and kept no text; else cb on the text (NULL text = ""); else
 * 1. Returns 0, or -1 with err set (bad percentile); out is then left freed. */
int metrics_compute(const rec_store *s, const metrics_opts *cfg, const metrics_tok_cb *cb,
                    sb_metrics *out, sb_err *err);
/* True for the reference's pooling backends (openai-embeddings*,
 * infinity-embeddings*, vllm-pooling, vllm-rerank): their result has no
 * output tokens and reports E2EL by default (vllm/benchmarks/serve.py: calculate_metrics). */
bool metrics_backend_is_pooling(const char *backend);
/* client_queue_time of one request in ns: start - due time (time spent waiting
 * for a --max-concurrency slot), 0 when it never waited. */
double metrics_queue_ns(const sb_record *r);
/* Sets the pooling input count and its throughput over m->duration_s. */
void metrics_set_input_sequences(sb_metrics *m, long n);
/* Summarises probe E2ELs e2el_ns[0..n) (reordered) of n successes and
 * `failed` failures into out, with numpy's median and linear percentile. */
void metrics_probe_summary(double *e2el_ns, size_t n, long failed, metrics_probe *out);
/* Summarises v_ns[0..n) (nanoseconds; reordered in place) into st as
 * metrics_compute summarises each latency list (numpy mean, median, std and
 * "linear" percentiles; every figure 0 when n is 0). st->pct_ms must have
 * room for n_pcts values. For figures beside the reference's (per turn). */
void metrics_stat_of(double *v_ns, size_t n, const double *pcts, size_t n_pcts, metrics_stat *st);
/* Frees what metrics_compute allocated inside m. */
void metrics_free(sb_metrics *m);

#endif
