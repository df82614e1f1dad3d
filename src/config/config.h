/* SPDX-License-Identifier: Apache-2.0 */
/* config.h - the parsed, validated configuration of one `servebench serve` run.
 *
 * cli/ fills it from the command line (vLLM-compatible flag names and defaults,
 * vllm/benchmarks/serve.py: add_cli_args); every later stage only reads it. Strings point into
 * memory owned by the config (freed by sb_config_free). "Unset" is NULL for strings, NAN for
 * optional doubles and -1 for optional counts, so a stage can tell "not given" from a value. */
#ifndef SB_CONFIG_H
#define SB_CONFIG_H

/* Most event loops --num-workers may ask for (run/loop.h sizes its per-loop
 * health arrays with it). */
#define SB_MAX_WORKERS 64

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/kv.h"

typedef enum sb_ramp {
    SB_RAMP_NONE = 0,
    SB_RAMP_LINEAR,
    SB_RAMP_EXPONENTIAL,
} sb_ramp;

typedef struct sb_dataset_opts {
    char *name;         /* --dataset-name (default "random") */
    char *path;         /* --dataset-path */
    long num_prompts;   /* --num-prompts (1000) */
    uint64_t seed;      /* --seed (0) */
    bool no_oversample; /* --no-oversample */
    bool disable_shuffle;
    bool skip_chat_template;
    bool enable_multimodal_chat;
    bool no_stream;
    long input_len;  /* --input-len, -1 unset */
    long output_len; /* --output-len, -1 unset */
    /* random */
    long random_input_len;        /* 1024 */
    long random_output_len;       /* 128 */
    double random_range_ratio_in; /* --random-range-ratio (0.0; or JSON {"input","output"}) */
    double random_range_ratio_out;
    long random_prefix_len; /* 0 */
    long random_batch_size; /* 1 */
    bool no_reranker;
    /* sharegpt */
    long sharegpt_output_len; /* -1 unset */
    /* sonnet */
    long sonnet_input_len;  /* 550 */
    long sonnet_output_len; /* 150 */
    long sonnet_prefix_len; /* 200 */
    /* burstgpt */
    bool burstgpt_use_timestamps; /* ours: replay the CSV's arrival times */
    /* custom */
    long custom_output_len; /* 256; -1 = use output_tokens */
    /* prefix_repetition */
    long prefix_repetition_prefix_len;   /* 256 */
    long prefix_repetition_suffix_len;   /* 256 */
    long prefix_repetition_num_prefixes; /* 10 */
    long prefix_repetition_output_len;   /* 128 */
    /* hf (local files) */
    char *hf_subset;
    char *hf_split;
    char *hf_name;
    long hf_output_len;           /* -1 unset */
    double blazedit_min_distance; /* 0.0 */
    double blazedit_max_distance; /* 1.0 */
    double asr_min_audio_len_sec; /* 0.0 */
    double asr_max_audio_len_sec; /* inf */
    char *bfcl_categories;        /* comma list; NULL = simple,live_simple,multiple */
    /* spec_bench / speed_bench */
    long spec_bench_output_len; /* 256 */
    char *spec_bench_category;
    char *speed_bench_dataset_subset;
    long speed_bench_output_len; /* 4096 */
    char *speed_bench_category;
    /* timed_trace */
    long timed_trace_chunk_hash_size;  /* 16 */
    double timed_trace_sec_multiplier; /* 1 */
    /* ours: the PYTHONHASHSEED the reference ran with (its prompts depend on
     * it); -1 = unset: $PYTHONHASHSEED when a number, else 0 */
    long long timed_trace_hash_seed;
    /* mooncake (SGLang bench_serving's names; block size ours, AIPerf's 512) */
    long mooncake_block_size;        /* 512 tokens per hash id */
    double mooncake_slowdown_factor; /* 1.0: send at (ts - first ts) / 1000 x factor s */
    long mooncake_num_rounds;        /* 1: rounds per trace row (session) */
    bool strict;                     /* --strict: a bad dataset row stops the load */
    /* --multi-turn (ours): keep every turn of a conversation (sharegpt, custom) and check
     * that each has a user turn (run/session.h replays them) */
    bool multi_turn;
    char *request_id_prefix; /* --request-id-prefix; NULL = "bench-<8 hex>-" chosen at run */
    /* accepted for compatibility; datasets that use them read them here */
    long random_mm_base_items_per_request;     /* 1 */
    double random_mm_num_mm_items_range_ratio; /* 0.0 */
    char *random_mm_limit_mm_per_prompt;       /* JSON text, NULL = {"image":255,"video":1} */
    char *random_mm_bucket_config;             /* Python-literal dict text, NULL = default */
    bool custom_ensure_client_side_data;
    char *timed_trace_label_timestamp;     /* "timestamp" */
    char *timed_trace_label_input_length;  /* "input_length" */
    char *timed_trace_label_output_length; /* "output_length" */
    char *timed_trace_label_hash_ids;      /* "hash_ids" */
    char *chat_template_kwargs;            /* JSON object text */
    bool dataset_legacy;                   /* path came from the legacy --dataset */
} sb_dataset_opts;

typedef struct sb_config {
    /* target and transport */
    char *backend;  /* "openai" */
    char *base_url; /* NULL unless --base-url */
    char *host;     /* "127.0.0.1" */
    int port;       /* 8000 */
    char *endpoint; /* "/v1/completions" */
    sb_kv *headers; /* --header KEY=VALUE ... */
    size_t n_headers;
    bool insecure;
    /* ours: --ca-bundle PEM file; NULL = $SSL_CERT_FILE or the system's */
    char *ca_bundle;
    double request_timeout_s; /* ours: per-request timeout; 0 = none (reference: 6 h) */
    bool http2;               /* ours: --http2 */
    bool preconnect;          /* ours: --preconnect, connections opened before t0 */
    long num_workers;         /* ours: --num-workers, event loops (1..SB_MAX_WORKERS); 0 = auto */
    char *rx_timestamps;      /* ours: --rx-timestamps, "user" (NULL = user) */
    char *http_client;        /* ours: --http-client, "auto" or "curl" (NULL = auto) */
    double grace_s;           /* ours: --grace-sec, in-flight time after Ctrl-C (5) */
    double stall_timeout_s;   /* ours: --stall-timeout, silence that fails a stream (600) */

    /* model and tokenizer */
    char *model; /* NULL = ask GET /v1/models */
    char *served_model_name;
    char *tokenizer;        /* NULL = model */
    char *tokenizer_mode;   /* "auto" */
    char *tokenizer_compat; /* "transformers": rules over tokenizer.json (tokenizer.h) */
    bool skip_tokenizer_init;
    char *tokenizer_alignment; /* "align" | "check" | "off": compare prompt lengths with the
                                  server's /tokenize (run/align.h) */
    char **lora_modules;
    size_t n_lora_modules;
    char *lora_assignment; /* "random" | "round-robin" */

    sb_dataset_opts ds;

    /* load shape */
    double request_rate;  /* INFINITY default */
    double burstiness;    /* 1.0 */
    long max_concurrency; /* -1 = unlimited */
    sb_ramp ramp_up;
    double ramp_up_start_rps, ramp_up_end_rps;
    long num_warmups;             /* 0 */
    double ready_check_timeout_s; /* 0 */
    bool ignore_eos;
    int self_timed; /* --self-timed / --no-self-timed: -1 unset, 0, 1 */
    /* Server and GPU telemetry during the run (src/telemetry). */
    int server_metrics;               /* --server-metrics / --no-server-metrics: -1 auto, 0, 1 */
    char *server_metrics_url;         /* default base URL + /metrics */
    double server_metrics_interval_s; /* 1.0 */
    char *gpu_metrics_url;            /* DCGM exporter, or NULL */
    double probe_request_rate;        /* 0.0 = no probes */

    /* sampling and body; NAN = not given */
    double temperature, top_p, top_k, min_p, frequency_penalty, presence_penalty,
        repetition_penalty;
    long logprobs;    /* -1 = null */
    long best_of;     /* legacy, -1 unset */
    char *extra_body; /* JSON object text, merged last */
    /* structured output (benchmarks/benchmark_serving_structured_output.py's names) */
    char *json_schema_path;         /* schema file sent with a fraction of requests, or NULL */
    double structured_output_ratio; /* that fraction; NAN = not given (1.0 with a path) */

    /* metrics selection */
    char *percentile_metrics;   /* NULL = "ttft,tpot,itl" */
    double *metric_percentiles; /* default {99} */
    size_t n_metric_percentiles;
    double goodput_ttft_ms, goodput_tpot_ms, goodput_e2el_ms; /* NAN = no SLO */
    bool goodput_set;

    /* output */
    bool save_result, save_detailed, append_result;
    char *result_dir;
    char *result_filename;
    sb_kv *metadata;
    size_t n_metadata;
    char *label;
    bool disable_tqdm;
    bool profile;
    bool plot_timeline;
    char *timeline_itl_thresholds; /* "25,50" */
    bool plot_dataset_stats;

    /* ours */
    bool sim;                    /* --sim: start the built-in simulator in-process */
    bool mpi;                    /* --mpi: require an MPI job (src/mpi, docs/scale-out.md) */
    double mpi_gather_timeout_s; /* --mpi-gather-timeout: rank 0 waits this long for a rank (60) */
    char **sim_args;             /* --sim-arg "--ttft-ms 50" passed to the simulator */
    size_t n_sim_args;
    char *api_key; /* from OPENAI_API_KEY; never printed or saved */
    /* --multi-turn sessions (ours, run/session.h); ds.multi_turn is the switch */
    long max_active_conversations; /* 0 = no limit */
    char *multi_turn_rate;         /* what --request-rate counts: "conversations" | "turns" */
    double think_time_s;           /* pause between a reply and the next turn (0) */
    char *think_time_dist;         /* "constant" | "exponential" (mean think_time_s) */
    char *session_header;          /* header carrying the conversation id, NULL = none */
} sb_config;

/* Fills every field with the reference defaults. */
void sb_config_defaults(sb_config *cfg);
/* Frees every string and array the config owns. */
void sb_config_free(sb_config *cfg);

#endif
