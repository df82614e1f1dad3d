/* SPDX-License-Identifier: Apache-2.0 */
/* config.c - reference defaults for sb_config and its destructor (see config.h).
 * Defaults are those of the current `vllm bench serve` (vllm/benchmarks/serve.py: add_cli_args). */
#include "config/config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

void sb_config_defaults(sb_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->backend = sb_xstrdup("openai");
    cfg->host = sb_xstrdup("127.0.0.1");
    cfg->port = 8000;
    cfg->grace_s = 5.0;
    cfg->mpi_gather_timeout_s = 60.0;
    cfg->stall_timeout_s = 600.0;
    cfg->num_workers = 0; /* auto */
    cfg->endpoint = sb_xstrdup("/v1/completions");
    cfg->tokenizer_mode = sb_xstrdup("auto");
    cfg->tokenizer_compat = sb_xstrdup("transformers");
    cfg->tokenizer_alignment = sb_xstrdup("align");
    cfg->lora_assignment = sb_xstrdup("random");
    cfg->multi_turn_rate = sb_xstrdup("conversations");
    cfg->think_time_dist = sb_xstrdup("constant");

    sb_dataset_opts *ds = &cfg->ds;
    ds->name = sb_xstrdup("random");
    ds->num_prompts = 1000;
    ds->input_len = ds->output_len = -1;
    ds->random_input_len = 1024;
    ds->random_output_len = 128;
    ds->random_batch_size = 1;
    ds->sharegpt_output_len = -1;
    ds->sonnet_input_len = 550;
    ds->sonnet_output_len = 150;
    ds->sonnet_prefix_len = 200;
    ds->custom_output_len = 256;
    ds->prefix_repetition_prefix_len = 256;
    ds->prefix_repetition_suffix_len = 256;
    ds->prefix_repetition_num_prefixes = 10;
    ds->prefix_repetition_output_len = 128;
    ds->hf_output_len = -1;
    ds->blazedit_max_distance = 1.0;
    ds->asr_max_audio_len_sec = HUGE_VAL;
    ds->spec_bench_output_len = 256;
    ds->speed_bench_output_len = 4096;
    ds->timed_trace_chunk_hash_size = 16;
    ds->timed_trace_sec_multiplier = 1.0;
    ds->timed_trace_hash_seed = -1;
    ds->mooncake_block_size = 512;
    ds->mooncake_slowdown_factor = 1.0;
    ds->mooncake_num_rounds = 1;
    ds->random_mm_base_items_per_request = 1;
    ds->timed_trace_label_timestamp = sb_xstrdup("timestamp");
    ds->timed_trace_label_input_length = sb_xstrdup("input_length");
    ds->timed_trace_label_output_length = sb_xstrdup("output_length");
    ds->timed_trace_label_hash_ids = sb_xstrdup("hash_ids");
    cfg->self_timed = -1;
    cfg->server_metrics = -1;
    cfg->server_metrics_interval_s = 1.0;
    cfg->timeline_itl_thresholds = sb_xstrdup("25,50");

    cfg->request_rate = INFINITY;
    cfg->burstiness = 1.0;
    cfg->max_concurrency = -1;
    cfg->ramp_up_start_rps = cfg->ramp_up_end_rps = NAN;
    cfg->temperature = cfg->top_p = cfg->top_k = cfg->min_p = NAN;
    cfg->frequency_penalty = cfg->presence_penalty = cfg->repetition_penalty = NAN;
    cfg->logprobs = -1;
    cfg->structured_output_ratio = NAN;
    cfg->best_of = -1;
    cfg->metric_percentiles = sb_xmalloc(sizeof(double));
    cfg->metric_percentiles[0] = 99.0;
    cfg->n_metric_percentiles = 1;
    cfg->goodput_ttft_ms = cfg->goodput_tpot_ms = cfg->goodput_e2el_ms = NAN;
}

static void free_kvs(sb_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void sb_config_free(sb_config *cfg)
{
    char **strs[] = {&cfg->backend,
                     &cfg->base_url,
                     &cfg->host,
                     &cfg->endpoint,
                     &cfg->model,
                     &cfg->served_model_name,
                     &cfg->tokenizer,
                     &cfg->tokenizer_mode,
                     &cfg->tokenizer_compat,
                     &cfg->tokenizer_alignment,
                     &cfg->lora_assignment,
                     &cfg->multi_turn_rate,
                     &cfg->think_time_dist,
                     &cfg->session_header,
                     &cfg->extra_body,
                     &cfg->json_schema_path,
                     &cfg->percentile_metrics,
                     &cfg->result_dir,
                     &cfg->result_filename,
                     &cfg->label,
                     &cfg->api_key,
                     &cfg->ds.name,
                     &cfg->ds.path,
                     &cfg->ds.hf_subset,
                     &cfg->ds.hf_split,
                     &cfg->ds.hf_name,
                     &cfg->ds.bfcl_categories,
                     &cfg->ds.spec_bench_category,
                     &cfg->ds.speed_bench_dataset_subset,
                     &cfg->ds.speed_bench_category,
                     &cfg->ds.request_id_prefix,
                     &cfg->ds.random_mm_limit_mm_per_prompt,
                     &cfg->ds.random_mm_bucket_config,
                     &cfg->ds.timed_trace_label_timestamp,
                     &cfg->ds.timed_trace_label_input_length,
                     &cfg->ds.timed_trace_label_output_length,
                     &cfg->ds.timed_trace_label_hash_ids,
                     &cfg->ds.chat_template_kwargs,
                     &cfg->timeline_itl_thresholds,
                     &cfg->server_metrics_url,
                     &cfg->gpu_metrics_url,
                     &cfg->rx_timestamps,
                     &cfg->http_client};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
    free(cfg->ca_bundle);
    cfg->ca_bundle = NULL;
    free_kvs(cfg->headers, cfg->n_headers);
    free_kvs(cfg->metadata, cfg->n_metadata);
    free_strv(cfg->lora_modules, cfg->n_lora_modules);
    free_strv(cfg->sim_args, cfg->n_sim_args);
    free(cfg->metric_percentiles);
    memset(cfg, 0, sizeof *cfg);
}
