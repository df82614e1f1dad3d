/* SPDX-License-Identifier: Apache-2.0 */
/* validate.c - checks on the whole parsed configuration (the flag rules of
 * vllm/benchmarks/serve.py: add_cli_args and the checks at the top of its main_async).
 *
 * Ramp-up messages are the reference's words, since scripts and users know
 * them; the other checks are ones the reference makes later (or crashes on)
 * that we make up front so a bad run never starts. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/flags.h"

static int check_ramp(const sb_config *cfg, sb_err *err)
{
    if (cfg->ramp_up == SB_RAMP_NONE)
        return 0;
    if (!isinf(cfg->request_rate))
        return sb_err_set(err, "When using ramp-up, do not specify --request-rate. The request "
                               "rate will be controlled by ramp-up parameters. Please remove the "
                               "--request-rate argument.");
    if (isnan(cfg->ramp_up_start_rps) || isnan(cfg->ramp_up_end_rps))
        return sb_err_set(err, "When using --ramp-up-strategy, both --ramp-up-start-rps and "
                               "--ramp-up-end-rps must be specified");
    if (cfg->ramp_up_start_rps < 0 || cfg->ramp_up_end_rps < 0)
        return sb_err_set(err, "Ramp-up start and end RPS must be non-negative");
    if (cfg->ramp_up_start_rps > cfg->ramp_up_end_rps)
        return sb_err_set(err, "Ramp-up start RPS must be less than end RPS");
    if (cfg->ramp_up == SB_RAMP_EXPONENTIAL && cfg->ramp_up_start_rps == 0)
        return sb_err_set(err, "For exponential ramp-up, the start RPS cannot be 0.");
    /* the reference divides by the first rate, so linear from 0 crashes there */
    if (cfg->ramp_up_start_rps == 0)
        return sb_err_set(err, "--ramp-up-start-rps 0: the first request would need an infinite "
                               "gap; start at 1 or more");
    return 0;
}

static int check_structured(const sb_config *cfg, sb_err *err)
{
    double r = cfg->structured_output_ratio;
    if (!isnan(r) && !(r >= 0 && r <= 1))
        return sb_err_set(err, "--structured-output-ratio %g: must be in [0, 1]", r);
    if (!isnan(r) && !cfg->json_schema_path)
        return sb_err_set(err, "--structured-output-ratio needs --json-schema-path (the schema "
                               "to send)");
    if (cfg->json_schema_path && cfg->ds.multi_turn)
        return sb_err_set(err, "--json-schema-path with --multi-turn is not supported yet");
    return 0;
}

static int check_dataset(const sb_config *cfg, sb_err *err)
{
    static const char *const synthetic[] = {"random", "random-mm", "random-rerank",
                                            "prefix_repetition"};
    for (size_t i = 0; i < sizeof synthetic / sizeof synthetic[0]; i++)
        if (cfg->ds.path && !strcmp(cfg->ds.name, synthetic[i]))
            return sb_err_set(err,
                              "--dataset-path %s cannot be used with --dataset-name %s (it "
                              "generates its prompts); choose the dataset kind of the file, "
                              "e.g. --dataset-name sharegpt or custom",
                              cfg->ds.path, cfg->ds.name);
    if (cfg->ds.strict && strcmp(cfg->ds.name, "mooncake") != 0 && !cfg->ds.multi_turn)
        return sb_err_set(err,
                          "--strict is not supported yet for --dataset-name %s (only mooncake "
                          "and --multi-turn skip bad rows)",
                          cfg->ds.name);
    static const char *const need_path[] = {"sharegpt",     "burstgpt",     "custom",
                                            "custom_image", "custom_audio", "custom_mm",
                                            "spec_bench",   "speed_bench",  "timed_trace",
                                            "hf",           "mooncake",     "conversations"};
    for (size_t i = 0; i < sizeof need_path / sizeof need_path[0]; i++)
        if (!cfg->ds.path && !strcmp(cfg->ds.name, need_path[i]) &&
            !(cfg->ds.hf_name && !strcmp(need_path[i], "hf")))
            return sb_err_set(err, "--dataset-name %s needs --dataset-path", cfg->ds.name);
    if (cfg->ds.num_prompts <= 0 && strncmp(cfg->ds.name, "custom", 6) != 0 &&
        strcmp(cfg->ds.name, "conversations") != 0)
        return sb_err_set(err, "--num-prompts %ld: must be > 0", cfg->ds.num_prompts);
    return 0;
}

/* Backends whose body takes a list of texts (vllm/benchmarks/lib/endpoint_request_func.py:
 * async_request_openai_embeddings, async_request_vllm_rerank): embeddings `input`, /pooling
 * `input`, /rerank query + documents. */
static bool takes_lists(const char *backend)
{
    return !strcmp(backend, "openai-embeddings") || !strcmp(backend, "infinity-embeddings") ||
           !strcmp(backend, "vllm-pooling") || !strcmp(backend, "vllm-rerank");
}

/* List prompts: --random-batch-size > 1 (random) and random-rerank's
 * [query, documents...] go only to backends that take lists, and
 * vllm-rerank needs the query + documents form. The reference sends them
 * anyway and fails every request (or asserts); we stop before the run. */
static int check_lists(const sb_config *cfg, sb_err *err)
{
    const char *ds = cfg->ds.name, *be = cfg->backend;
    bool rerank_ds = !strcmp(ds, "random-rerank");
    if (cfg->ds.random_batch_size < 1)
        return sb_err_set(err, "--random-batch-size must be >= 1 (got %ld)",
                          cfg->ds.random_batch_size);
    if (!strcmp(ds, "random") && cfg->ds.random_batch_size > 1 && !takes_lists(be))
        return sb_err_set(err,
                          "--random-batch-size %ld sends lists of prompts, which only the "
                          "embeddings backends take (openai-embeddings, infinity-embeddings, "
                          "vllm-pooling), not --backend %s",
                          cfg->ds.random_batch_size, be);
    if (rerank_ds && !takes_lists(be))
        return sb_err_set(err,
                          "--dataset-name random-rerank sends [query, documents...] lists: use "
                          "--backend vllm-rerank (or openai-embeddings, infinity-embeddings, "
                          "vllm-pooling), not %s",
                          be);
    if (!strcmp(be, "vllm-rerank") && !rerank_ds)
        return sb_err_set(err,
                          "--backend vllm-rerank sends a query and documents: it needs "
                          "--dataset-name random-rerank (got %s)",
                          ds);
    return 0;
}

static bool openai_compatible(const char *backend)
{
    return !strcmp(backend, "openai") || !strcmp(backend, "vllm") ||
           !strcmp(backend, "openai-chat");
}

static int check_sampling(const sb_config *cfg, sb_err *err)
{
    double s[] = {cfg->temperature,
                  cfg->top_p,
                  cfg->top_k,
                  cfg->min_p,
                  cfg->frequency_penalty,
                  cfg->presence_penalty,
                  cfg->repetition_penalty};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        if (!isnan(s[i]) && !openai_compatible(cfg->backend))
            return sb_err_set(err,
                              "Sampling parameters are only supported by openai-compatible "
                              "backends (--backend openai, vllm or openai-chat), not %s.",
                              cfg->backend);
    return 0;
}

/* Seconds become integer milliseconds (curl) or nanoseconds (our clocks):
 * a value past 10^9 s would overflow them, and one below 1 ms would round
 * to curl's 0, which means "no timeout", the opposite of what was asked. */
static int check_seconds(const sb_config *cfg, sb_err *err)
{
    const struct {
        const char *flag;
        double v;
    } t[] = {{"--request-timeout", cfg->request_timeout_s},
             {"--stall-timeout", cfg->stall_timeout_s},
             {"--grace-sec", cfg->grace_s},
             {"--mpi-gather-timeout", cfg->mpi_gather_timeout_s},
             {"--ready-check-timeout-sec", cfg->ready_check_timeout_s}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].v > 1e9)
            return sb_err_set(err, "%s %g: more than 10^9 seconds", t[i].flag, t[i].v);
    if (cfg->request_timeout_s > 0 && cfg->request_timeout_s < 0.001)
        return sb_err_set(err,
                          "--request-timeout %g: below 1 ms, the finest timeout the HTTP "
                          "engine keeps (0 means no timeout)",
                          cfg->request_timeout_s);
    return 0;
}

static bool has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* A CR or LF inside a header would end the line on the wire and start a
 * header (or a body) of the user's making: header injection. Values are not
 * quoted in the message, since they may be secrets (Authorization). */
static int check_headers(const sb_config *cfg, sb_err *err)
{
    for (size_t i = 0; i < cfg->n_headers; i++) {
        const char *k = cfg->headers[i].key, *v = cfg->headers[i].value;
        if (!*k || strpbrk(k, ": \t") || has_ctl(k))
            return sb_err_set(err,
                              "--header #%zu: the name must be a non-empty HTTP token (no "
                              "spaces, colons or control characters)",
                              i + 1);
        for (const char *p = v; *p; p++)
            if (*p == '\r' || *p == '\n' || *p == 0x7f || ((unsigned char)*p < 0x20 && *p != '\t'))
                return sb_err_set(err,
                                  "--header %s: the value holds a CR, LF or other control "
                                  "character, which would end the header line on the wire",
                                  k);
    }
    return 0;
}

/* The URL as libcurl would take it, checked now rather than failing every
 * request later: http or https, a host, a port in 1-65535 if one is given. */
static int check_url(const char *url, sb_err *err)
{
    size_t skip = !strncasecmp(url, "http://", 7) ? 7 : !strncasecmp(url, "https://", 8) ? 8 : 0;
    if (!skip)
        return sb_err_set(err, "--base-url '%.*s': the scheme must be http:// or https://",
                          (int)strcspn(url, ":/@"), url);
    if (has_ctl(url) || strchr(url, ' '))
        return sb_err_set(err, "--base-url: holds a space or control character");
    const char *a = url + skip;
    size_t alen = strcspn(a, "/?#");
    const char *at = memchr(a, '@', alen);
    while (at && memchr(at + 1, '@', alen - (size_t)(at + 1 - a)))
        at = memchr(at + 1, '@', alen - (size_t)(at + 1 - a));
    if (at) /* never quoted: it is a secret, and error messages name the URL */
        return sb_err_set(err, "--base-url: a user:password@ part is not accepted (messages "
                               "name the URL); send it as --header Authorization=...");
    const char *host_end = a;
    if (*a == '[') {
        host_end = memchr(a, ']', alen);
        if (!host_end)
            return sb_err_set(err, "--base-url: an IPv6 address '[' without ']'");
        host_end++;
    } else {
        while (host_end < a + alen && *host_end != ':')
            host_end++;
    }
    if (host_end == a || (*a == '[' && host_end - a <= 2))
        return sb_err_set(err, "--base-url '%.*s': has no host", (int)skip, url);
    if (host_end < a + alen) {
        if (*host_end != ':')
            return sb_err_set(err, "--base-url: unexpected text after the IPv6 address");
        const char *p = host_end + 1, *end = a + alen;
        long port = 0;
        if (p == end)
            return sb_err_set(err, "--base-url: ':' without a port number");
        for (; p < end; p++) {
            if (*p < '0' || *p > '9')
                return sb_err_set(err, "--base-url: the port is not a number");
            port = port * 10 + (*p - '0');
            if (port > 65535)
                break;
        }
        if (port < 1 || port > 65535)
            return sb_err_set(err, "--base-url: port %.*s is not a TCP port (1-65535)",
                              (int)(end - host_end - 1), host_end + 1);
    }
    return 0;
}

static int check_tls(const sb_config *cfg, sb_buf *notes, sb_err *err)
{
    if (cfg->ca_bundle && access(cfg->ca_bundle, R_OK) != 0)
        return sb_err_set(err, "--ca-bundle %s: %s", cfg->ca_bundle, strerror(errno));
    if (cfg->insecure)
        sb_buf_puts(notes, "warning: --insecure: https:// certificates and host names are not "
                           "verified; anyone on the path can read and change the traffic\n");
    return 0;
}

static int check_target(const sb_config *cfg, sb_err *err)
{
    if (cfg->base_url && !cfg->sim && check_url(cfg->base_url, err) != 0)
        return -1;
    if (!cfg->base_url && !cfg->sim &&
        (!*cfg->host || has_ctl(cfg->host) || strpbrk(cfg->host, " /@")))
        return sb_err_set(err, "--host '%s' is not a host name or address", cfg->host);
    if (!cfg->base_url && !cfg->sim && cfg->port == 0)
        return sb_err_set(err, "--port 0 is not a port a server listens on (1-65535)");
    return check_headers(cfg, err);
}

static int check_ranges(const sb_config *cfg, sb_err *err)
{
    /* Kernel stamps are peeked per socket before curl reads it (docs/engine.md, "Receive
     * timestamps"): one HTTP/1.1 stream per connection, one process. (https: run.c, which
     * knows the URL.) */
    bool krx = cfg->rx_timestamps && !strcmp(cfg->rx_timestamps, "kernel");
    if (krx && cfg->http2)
        return sb_err_set(err, "--rx-timestamps kernel with --http2 is not supported yet");
    if (krx && cfg->mpi)
        return sb_err_set(err, "--rx-timestamps kernel with --mpi is not supported yet");
    if (cfg->http_client && strcmp(cfg->http_client, "auto") != 0 &&
        strcmp(cfg->http_client, "curl") != 0)
        return sb_err_set(err, "--http-client must be auto or curl (got '%s')", cfg->http_client);
    if (cfg->rx_timestamps && !krx && strcmp(cfg->rx_timestamps, "user") != 0)
        return sb_err_set(err, "--rx-timestamps must be user or kernel (got '%s')",
                          cfg->rx_timestamps);
    if (cfg->port < 0 || cfg->port > 65535)
        return sb_err_set(err, "--port %d is not a TCP port (0-65535)", cfg->port);
    if (!(cfg->burstiness > 0))
        return sb_err_set(err, "--burstiness must be > 0 (got %g); 1 is Poisson", cfg->burstiness);
    if (!(cfg->request_timeout_s >= 0))
        return sb_err_set(err, "--request-timeout must be >= 0 seconds (got %g)",
                          cfg->request_timeout_s);
    if (!(cfg->stall_timeout_s > 0) || isinf(cfg->stall_timeout_s))
        return sb_err_set(err, "--stall-timeout must be a number of seconds > 0 (got %g)",
                          cfg->stall_timeout_s);
    if (!(cfg->grace_s >= 0) || isinf(cfg->grace_s))
        return sb_err_set(err, "--grace-sec must be a number of seconds >= 0 (got %g)",
                          cfg->grace_s);
    if (!(cfg->mpi_gather_timeout_s > 0))
        return sb_err_set(err, "--mpi-gather-timeout must be a number of seconds > 0 (got %g)",
                          cfg->mpi_gather_timeout_s);
    if (!(cfg->ready_check_timeout_s >= 0))
        return sb_err_set(err, "--ready-check-timeout-sec must be >= 0 (got %g)",
                          cfg->ready_check_timeout_s);
    if (cfg->num_workers < 0 || cfg->num_workers > SB_MAX_WORKERS)
        return sb_err_set(err, "--num-workers must be auto or 1 to %d (got %ld)", SB_MAX_WORKERS,
                          cfg->num_workers);
    if (cfg->num_warmups < 0)
        return sb_err_set(err, "--num-warmups must be >= 0 (got %ld)", cfg->num_warmups);
    /* Counts and lengths: dataset_check_opts (serve_cmd and dataset_load). */
    return check_seconds(cfg, err);
}

/* The reference checks the thresholds up front when a timeline is asked for. */
static int check_timeline(const sb_config *cfg, sb_err *err)
{
    /* two numbers "A,B" and nothing else; strtod, unlike sscanf, reports a bad number */
    const char *s = cfg->timeline_itl_thresholds;
    char *end = NULL;
    bool ok = s != NULL;
    if (ok) {
        (void)strtod(s, &end);
        ok = end != s && *end == ',';
    }
    if (ok) {
        s = end + 1;
        (void)strtod(s, &end);
        ok = end != s && *end == '\0';
    }
    if (cfg->plot_timeline && !ok)
        return sb_err_set(err,
                          "Invalid --timeline-itl-thresholds format: expected 2 ITL threshold "
                          "values, got '%s'",
                          cfg->timeline_itl_thresholds ? cfg->timeline_itl_thresholds : "");
    return 0;
}

static void note_metrics(const sb_config *cfg, sb_buf *notes)
{
    static const char *const known[] = {
        "ttft", "tpot", "itl", "e2el", "client_queue_time", "e2el_including_client_queue"};
    if (!cfg->percentile_metrics)
        return;
    const char *p = cfg->percentile_metrics;
    while (*p) {
        size_t len = strcspn(p, ",");
        bool ok = false;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            ok |= strlen(known[k]) == len && !strncmp(p, known[k], len);
        if (!ok)
            sb_buf_printf(notes,
                          "warning: --percentile-metrics: '%.*s' is not one of ttft, "
                          "tpot, itl, e2el, client_queue_time, "
                          "e2el_including_client_queue; it is ignored\n",
                          (int)len, p);
        p += len + (p[len] == ',');
    }
}

/* --input-len / --output-len are copied into the dataset-specific flags
 * (reference: since 2025-12-17). */
static void apply_generic_lens(sb_config *cfg)
{
    sb_dataset_opts *ds = &cfg->ds;
    if (ds->input_len >= 0)
        ds->random_input_len = ds->sonnet_input_len = ds->input_len;
    if (ds->output_len >= 0) {
        ds->random_output_len = ds->sonnet_output_len = ds->sharegpt_output_len = ds->output_len;
        ds->custom_output_len = ds->hf_output_len = ds->spec_bench_output_len = ds->output_len;
        ds->prefix_repetition_output_len = ds->output_len;
    }
}

/* servebench reads tokenizer.json as transformers' fast tokenizer does, which
 * is what vLLM's "auto" and "hf" modes load; the other modes (the slow
 * SentencePiece/Python tokenizers, mistral_common, model-specific plugins)
 * encode differently and are not implemented. */
static int check_tokenizer_mode(const sb_config *cfg, sb_err *err)
{
    const char *m = cfg->tokenizer_mode;
    if (!strcmp(m, "auto") || !strcmp(m, "hf"))
        return 0;
    return sb_err_set(err,
                      "--tokenizer-mode %s is not supported yet (servebench reads "
                      "tokenizer.json as the fast tokenizer: auto or hf)",
                      m);
}

/* --multi-turn and its flags (run/session.h): each session flag needs the
 * switch, and the switch needs a chat backend and a conversation dataset. */
static int check_multi_turn(const sb_config *cfg, sb_err *err)
{
    const char *only = NULL;
    if (cfg->max_active_conversations != 0)
        only = "--max-active-conversations";
    else if (strcmp(cfg->multi_turn_rate, "conversations") != 0)
        only = "--multi-turn-rate";
    else if (cfg->think_time_s != 0.0)
        only = "--think-time";
    else if (strcmp(cfg->think_time_dist, "constant") != 0)
        only = "--think-time-distribution";
    else if (cfg->session_header)
        only = "--session-header";
    if (!cfg->ds.multi_turn)
        return only ? sb_err_set(err, "%s applies to --multi-turn runs only", only) : 0;
    if (strcmp(cfg->backend, "openai-chat") != 0)
        return sb_err_set(err,
                          "--multi-turn sends the conversation history as chat messages: use "
                          "--backend openai-chat (with --endpoint /v1/chat/completions), not %s",
                          cfg->backend);
    if (strcmp(cfg->ds.name, "sharegpt") != 0 && strcmp(cfg->ds.name, "custom") != 0 &&
        strcmp(cfg->ds.name, "conversations") != 0)
        return sb_err_set(err,
                          "--multi-turn needs conversations: --dataset-name sharegpt, custom or "
                          "conversations (not %s)",
                          cfg->ds.name);
    if (cfg->num_workers > 1)
        return sb_err_set(err,
                          "--multi-turn with --num-workers %ld is not supported yet (one "
                          "event loop runs the sessions)",
                          cfg->num_workers);
    if (cfg->self_timed == 1)
        return sb_err_set(err, "--multi-turn with --self-timed is not supported yet");
    if (cfg->n_lora_modules)
        return sb_err_set(err, "--multi-turn with --lora-modules is not supported yet");
    if (cfg->max_active_conversations < 0)
        return sb_err_set(err, "--max-active-conversations %ld: must be >= 1 (or 0: no limit)",
                          cfg->max_active_conversations);
    if (!(cfg->think_time_s >= 0.0 && cfg->think_time_s <= 86400.0))
        return sb_err_set(err, "--think-time %g: must be in 0..86400 seconds", cfg->think_time_s);
    const char *h = cfg->session_header;
    if (h && (!*h || strpbrk(h, ": \t") || has_ctl(h)))
        return sb_err_set(err, "--session-header: the name must be a non-empty HTTP token (no "
                               "spaces, colons or control characters)");
    return 0;
}

int cli_validate(sb_config *cfg, sb_buf *notes, sb_err *err)
{
    if (check_multi_turn(cfg, err) < 0)
        return -1;
    if (check_ramp(cfg, err) < 0 || check_structured(cfg, err) < 0 || check_dataset(cfg, err) < 0 ||
        check_sampling(cfg, err) < 0 || check_lists(cfg, err) < 0 || check_ranges(cfg, err) < 0 ||
        check_timeline(cfg, err) < 0 || check_tokenizer_mode(cfg, err) < 0 ||
        check_target(cfg, err) < 0 || check_tls(cfg, notes, err) < 0)
        return -1;
    note_metrics(cfg, notes);
    apply_generic_lens(cfg);
    if (cfg->append_result)
        cfg->save_result = true; /* the reference saves when either is given */
    if (cfg->ds.dataset_legacy)
        sb_buf_puts(notes, "note: --dataset is the legacy name of --dataset-path (with "
                           "--dataset-name sharegpt)\n");
    return 0;
}
