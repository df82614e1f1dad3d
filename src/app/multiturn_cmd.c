/* SPDX-License-Identifier: Apache-2.0 */
/* multiturn_cmd.c - `servebench multi-turn`: the command line of upstream's
 * multi-turn benchmark (vllm benchmarks/multi_turn/
 * benchmark_serving_multi_turn.py: main) run on servebench's own engine.
 *
 * The flags are translated into a `serve --multi-turn` run over the
 * `conversations` dataset (the same input file) and handed to run/ with a
 * run_point, so there is one engine: num_clients x one request each becomes
 * --max-concurrency, the per-client request rate a Poisson arrival of turns
 * at num_clients x that rate, --max-turns and --max-num-requests caps of the
 * sessions (run/session.h). After the run, the records give the figures
 * upstream prints (process_statistics: the parameters, runtime_sec,
 * requests_per_sec and describe() of each per-request column, per warm-up
 * percentage) and the files its --output-file and --stats-json-output
 * write. docs/multi-turn.md is the manual page. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/commands.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "core/clock.h"
#include "core/pyfmt.h"
#include "dataset/dataset.h"
#include "run/run.h"
#include "run/session.h"
#include "tokenizer/tokenizer.h"

static const char USAGE[] =
    "usage: servebench multi-turn -i INPUT_FILE -m MODEL [options]\n"
    "\n"
    "Benchmark serving with multi-turn conversations: the command line of vLLM's\n"
    "benchmarks/multi_turn/benchmark_serving_multi_turn.py on servebench's engine.\n"
    "\n"
    "  -i, --input-file FILE        conversations (a JSON list of {id, messages}) or a\n"
    "                               generate_conversations config (docs/multi-turn.md)\n"
    "  -o, --output-file FILE       write the finished conversations with the server's\n"
    "                               answers (JSON, indent 4)\n"
    "  --seed N                     seed of the generation and arrivals (default 0)\n"
    "  -m, --model MODEL            model (name in the API; tokenizer from its folder)\n"
    "  --served-model-name NAME     model name in the API (default --model)\n"
    "  --tokenizer SPEC             servebench: tokenizer if not --model's\n"
    "  -u, --url URL                server base URL (default http://localhost:8000)\n"
    "  --api-key KEY                sent as Authorization: Bearer KEY\n"
    "  --header 'NAME: value'       extra request header, NAME=value also; repeatable\n"
    "  -p, --num-clients N          requests in flight at most, one per client (default 1)\n"
    "  -k, --max-active-conversations N\n"
    "                               conversations in progress (default --num-clients)\n"
    "  -n, --max-num-requests N     stop after N requests (rounded down to a multiple of\n"
    "                               --num-clients)\n"
    "  --max-turns N                messages (user + assistant) per conversation at most\n"
    "  --no-early-stop              run every conversation to its end (always the case)\n"
    "  --limit-max-tokens N         max_tokens of every request (default 0: the dataset's\n"
    "                               answer length)\n"
    "  --limit-min-tokens N         checked with --limit-max-tokens (upstream does not\n"
    "                               send it)\n"
    "  --request-rate R             Poisson requests/s per client (default 0: no pause)\n"
    "  --request-timeout-sec S      timeout of a request (default 120)\n"
    "  --warmup-step                first send every conversation's first turn alone,\n"
    "                               unmeasured; the benchmark goes on from the second\n"
    "  --warmup-percentages P%,...  also summarise without the first P% of samples\n"
    "  --stats-json-output FILE     per-request figures as a JSON list\n"
    "  --conversation-sampling S    round_robin (default: the due conversation that\n"
    "                               waited longest) or random (any due one)\n"
    "  --send-conversation-id       \"conversation_id\" in each body and an X-Session-ID\n"
    "                               header (vLLM's disaggregated multi-turn proxy)\n"
    "  --trust-remote-code          accepted, no effect\n"
    "  --version                    print the version\n"
    "  -h, --help                   this text\n"
    "\n"
    "Not supported yet (they stop with a message): --no-stream,\n"
    "--max-retries above 0, --verify-output, -e/--excel-output, -v/--verbose,\n"
    "--print-content,\n"
    "--limit-max-tokens below 0.\n"
    "\n"
    "Exit status: 0 ok, 1 the run failed, 2 bad usage. See docs/multi-turn.md.\n";

static const cli_opt mt_flags[] = {
    {"i", true},
    {"input-file", true},
    {"o", true},
    {"output-file", true},
    {"seed", true},
    {"m", true},
    {"model", true},
    {"served-model-name", true},
    {"tokenizer", true},
    {"u", true},
    {"url", true},
    {"api-key", true},
    {"header", true},
    {"p", true},
    {"num-clients", true},
    {"k", true},
    {"max-active-conversations", true},
    {"n", true},
    {"max-num-requests", true},
    {"warmup-step", false},
    {"max-turns", true},
    {"no-early-stop", false},
    {"limit-max-tokens", true},
    {"limit-min-tokens", true},
    {"request-rate", true},
    {"max-retries", true},
    {"conversation-sampling", true},
    {"verify-output", false},
    {"request-timeout-sec", true},
    {"no-stream", false},
    {"send-conversation-id", false},
    {"e", false},
    {"excel-output", false},
    {"stats-json-output", true},
    {"v", false},
    {"verbose", false},
    {"print-content", false},
    {"warmup-percentages", true},
    {"trust-remote-code", false},
    {"version", false},
};
#define N_MT_FLAGS (sizeof mt_flags / sizeof mt_flags[0])

#define MT_MAX_HEADERS 64
#define MT_MAX_WARMUPS 32

typedef struct mt_args {
    const char *input, *output, *model, *served, *tokenizer, *url, *api_key, *stats_json;
    const char *headers[MT_MAX_HEADERS];
    size_t n_headers;
    long seed, num_clients, max_active, max_requests, max_turns, limit_max, limit_min;
    long max_retries, timeout_s;
    double rate;
    bool early_stop_off, version, max_active_given, pick_random, send_conv_id, warmup_step;
    const char *warmups_text;
    double warmups[MT_MAX_WARMUPS];
    size_t n_warmups;
} mt_args;

static int whole(const char *flag, const char *v, long lo, long *out, sb_err *err)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x < lo || x > (1L << 40) || x < -(1L << 40))
        return sb_err_set(err, "argument --%s: invalid int value: '%s'%s", flag, v,
                          lo == 0 ? " (must be >= 0)" : "");
    *out = x;
    return 0;
}

static int unsupported(const char *flag, const char *why, sb_err *err)
{
    return sb_err_set(err, "%s is not supported yet%s%s", flag, why ? ": " : "", why ? why : "");
}

static int set_flag(mt_args *a, const char *name, const char *v, sb_err *err)
{
    if (!strcmp(name, "i") || !strcmp(name, "input-file"))
        a->input = v;
    else if (!strcmp(name, "o") || !strcmp(name, "output-file"))
        a->output = v;
    else if (!strcmp(name, "seed"))
        return whole(name, v, 0, &a->seed, err);
    else if (!strcmp(name, "m") || !strcmp(name, "model"))
        a->model = v;
    else if (!strcmp(name, "served-model-name"))
        a->served = v;
    else if (!strcmp(name, "tokenizer"))
        a->tokenizer = v;
    else if (!strcmp(name, "u") || !strcmp(name, "url"))
        a->url = v;
    else if (!strcmp(name, "api-key"))
        a->api_key = v;
    else if (!strcmp(name, "header")) {
        if (a->n_headers == MT_MAX_HEADERS)
            return sb_err_set(err, "--header: at most %d headers", MT_MAX_HEADERS);
        a->headers[a->n_headers++] = v;
    } else if (!strcmp(name, "p") || !strcmp(name, "num-clients"))
        return whole("num-clients", v, LONG_MIN / 2, &a->num_clients, err);
    else if (!strcmp(name, "k") || !strcmp(name, "max-active-conversations"))
        return whole("max-active-conversations", v, LONG_MIN / 2, &a->max_active, err);
    else if (!strcmp(name, "n") || !strcmp(name, "max-num-requests"))
        return whole("max-num-requests", v, LONG_MIN / 2, &a->max_requests, err);
    else if (!strcmp(name, "max-turns"))
        return whole(name, v, LONG_MIN / 2, &a->max_turns, err);
    else if (!strcmp(name, "no-early-stop"))
        a->early_stop_off = true;
    else if (!strcmp(name, "limit-max-tokens"))
        return whole(name, v, LONG_MIN / 2, &a->limit_max, err);
    else if (!strcmp(name, "limit-min-tokens"))
        return whole(name, v, LONG_MIN / 2, &a->limit_min, err);
    else if (!strcmp(name, "request-rate")) {
        char *end;
        a->rate = strtod(v, &end);
        if (!*v || *end || !isfinite(a->rate))
            return sb_err_set(err, "argument --request-rate: invalid float value: '%s'", v);
    } else if (!strcmp(name, "max-retries"))
        return whole(name, v, LONG_MIN / 2, &a->max_retries, err);
    else if (!strcmp(name, "conversation-sampling")) {
        a->pick_random = !strcmp(v, "random");
        if (!a->pick_random && strcmp(v, "round_robin") != 0)
            return sb_err_set(err,
                              "argument --conversation-sampling: invalid choice: '%s' (choose "
                              "from 'round_robin', 'random')",
                              v);
    } else if (!strcmp(name, "request-timeout-sec"))
        return whole(name, v, LONG_MIN / 2, &a->timeout_s, err);
    else if (!strcmp(name, "stats-json-output"))
        a->stats_json = v;
    else if (!strcmp(name, "warmup-percentages"))
        a->warmups_text = v;
    else if (!strcmp(name, "version"))
        a->version = true;
    else if (!strcmp(name, "trust-remote-code"))
        fprintf(stderr, "note: --trust-remote-code is accepted for compatibility and has no "
                        "effect (servebench reads tokenizer.json)\n");
    else if (!strcmp(name, "warmup-step"))
        a->warmup_step = true;
    else if (!strcmp(name, "no-stream"))
        return unsupported("--no-stream", "servebench's chat requests always stream", err);
    else if (!strcmp(name, "verify-output"))
        return unsupported("--verify-output", NULL, err);
    else if (!strcmp(name, "send-conversation-id"))
        a->send_conv_id = true;
    else if (!strcmp(name, "e") || !strcmp(name, "excel-output"))
        return unsupported("-e/--excel-output", "no Excel writer; use --stats-json-output", err);
    else if (!strcmp(name, "v") || !strcmp(name, "verbose"))
        return unsupported("-v/--verbose", NULL, err);
    else if (!strcmp(name, "print-content"))
        return unsupported("--print-content", NULL, err);
    else
        return unsupported(name, NULL, err); /* a row without a handler */
    return 0;
}

/* "0%,50%" -> sorted fractions in [0, 1) (main: warmup_percentages). */
static int parse_warmups(mt_args *a, sb_err *err)
{
    a->n_warmups = 0;
    if (!a->warmups_text) {
        a->warmups[a->n_warmups++] = 0.0;
        return 0;
    }
    const char *p = a->warmups_text;
    while (*p) {
        char *end;
        double x = strtod(p, &end);
        if (end == p || a->n_warmups == MT_MAX_WARMUPS)
            return sb_err_set(err, "Invalid --warmup-percentages=%s", a->warmups_text);
        if (*end == '%')
            end++;
        x /= 100.0;
        if (!(x >= 0.0 && x < 1.0) || (*end && *end != ','))
            return sb_err_set(err, "Invalid --warmup-percentages=%s", a->warmups_text);
        a->warmups[a->n_warmups++] = x;
        p = *end ? end + 1 : end;
    }
    for (size_t i = 1; i < a->n_warmups; i++) /* a few values: insertion sort */
        for (size_t j = i; j > 0 && a->warmups[j] < a->warmups[j - 1]; j--) {
            double t = a->warmups[j];
            a->warmups[j] = a->warmups[j - 1];
            a->warmups[j - 1] = t;
        }
    return 0;
}

/* The checks of get_client_config and main, with upstream's messages. */
static int check(mt_args *a, sb_err *err)
{
    if (!a->input)
        return sb_err_set(err, "the following arguments are required: -i/--input-file");
    if (!a->model)
        return sb_err_set(err, "the following arguments are required: -m/--model");
    if (a->num_clients < 1)
        return sb_err_set(err, "Number of clients must be a positive number");
    if (a->max_turns != -1 && a->max_turns < 1)
        return sb_err_set(err, "Max turns must be a positive number");
    if (a->max_requests != -1 && a->max_requests / a->num_clients < 1)
        return sb_err_set(err, "Number of requests should be at least one per client");
    if (a->max_active == -1)
        a->max_active = a->num_clients;
    if (a->max_active / a->num_clients < 1)
        return sb_err_set(err,
                          "Max active conversations %ld must be equal or greater than the "
                          "number of clients",
                          a->max_active);
    if (a->limit_min > 0 || a->limit_max > 0) {
        if (a->limit_min < 1 || a->limit_max < 1)
            return sb_err_set(err, "Invalid min/max tokens limits (both limits should be "
                                   "provided)");
        if (a->limit_min > a->limit_max)
            return sb_err_set(err, "Invalid min/max tokens limits (min should not be larger "
                                   "than max)");
    }
    if (a->limit_max < 0)
        return unsupported("--limit-max-tokens below 0 (no max_tokens)",
                           "servebench always sends max tokens", err);
    if (a->timeout_s <= 0)
        return sb_err_set(err, "Request timeout must be a positive number");
    if (a->max_retries < 0)
        return sb_err_set(err, "argument --max-retries: must be >= 0");
    if (a->max_retries > 0)
        return unsupported("--max-retries above 0 (MULTITURN_BENCH_MAX_RETRIES)",
                           "a failed turn ends its conversation", err);
    if (!(a->rate >= 0))
        return sb_err_set(err, "argument --request-rate: must be >= 0");
    if (parse_warmups(a, err) != 0)
        return -1;
    if (a->warmup_step) { /* main: warm-up percentages only without the step */
        a->n_warmups = 1;
        a->warmups[0] = 0.0;
    }
    return 0;
}

/* ---- the serve run ---- */

typedef struct argv_b {
    char **v;
    int n, cap;
} argv_b;

static void push(argv_b *b, const char *s)
{
    if (b->n + 2 > b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->v = sb_xrealloc(b->v, (size_t)b->cap * sizeof *b->v);
    }
    b->v[b->n++] = sb_xstrdup(s);
    b->v[b->n] = NULL;
}

static void push2(argv_b *b, const char *flag, const char *v)
{
    push(b, flag);
    push(b, v);
}

static void push_int(argv_b *b, const char *flag, long v)
{
    char f[32];
    snprintf(f, sizeof f, "%ld", v);
    push2(b, flag, f);
}

static void push_num(argv_b *b, const char *flag, double v)
{
    char f[64];
    py_float_repr(f, sizeof f, v);
    push2(b, flag, f);
}

/* --header 'Name: value' or Name=value (parse_custom_header) as serve's
 * KEY=VALUE. */
static int header_kv(const char *h, sb_buf *out, sb_err *err)
{
    const char *sep = strpbrk(h, ":=");
    if (!sep)
        return sb_err_set(err,
                          "Headers must be provided as 'Header-Name: value' or "
                          "'Header-Name=value' (got '%s')",
                          h);
    const char *k0 = h, *k1 = sep, *v0 = sep + 1, *v1 = h + strlen(h);
    while (k0 < k1 && (*k0 == ' ' || *k0 == '\t'))
        k0++;
    while (k1 > k0 && (k1[-1] == ' ' || k1[-1] == '\t'))
        k1--;
    while (v0 < v1 && (*v0 == ' ' || *v0 == '\t'))
        v0++;
    while (v1 > v0 && (v1[-1] == ' ' || v1[-1] == '\t'))
        v1--;
    if (k0 == k1)
        return sb_err_set(err,
                          "Headers must be provided as 'Header-Name: value' or "
                          "'Header-Name=value' (got '%s')",
                          h);
    sb_buf_reset(out);
    sb_buf_printf(out, "%.*s=%.*s", (int)(k1 - k0), k0, (int)(v1 - v0), v0);
    return 0;
}

/* warm: the warm-up run's (one conversation per client at a time). */
static int serve_argv(const mt_args *a, bool warm, argv_b *b, sb_err *err)
{
    push(b, "serve");
    push2(b, "--backend", "openai-chat");
    push2(b, "--endpoint", "/v1/chat/completions");
    push2(b, "--base-url", a->url);
    push2(b, "--model", a->served ? a->served : a->model);
    push2(b, "--tokenizer", a->tokenizer ? a->tokenizer : a->model);
    push2(b, "--dataset-name", "conversations");
    push2(b, "--dataset-path", a->input);
    push2(b, "--num-prompts", "-1"); /* every conversation of the file */
    push(b, "--multi-turn");
    push_int(b, "--max-concurrency", a->num_clients);
    /* each client holds max_active // num_clients conversations */
    push_int(b, "--max-active-conversations",
             warm ? a->num_clients : a->max_active / a->num_clients * a->num_clients);
    push_int(b, "--seed", a->seed);
    if (a->rate > 0) { /* per client: Poisson; the clients together */
        push_num(b, "--request-rate", a->rate * (double)a->num_clients);
        push2(b, "--multi-turn-rate", "turns");
    }
    if (a->limit_max > 0)
        push_int(b, "--output-len", a->limit_max);
    /* upstream raises the timeout to 0.2 s per max token when that is longer */
    double timeout = (double)a->timeout_s;
    if (a->limit_max > 0 && 0.2 * (double)a->limit_max > timeout)
        timeout = floor(0.2 * (double)a->limit_max);
    push_num(b, "--request-timeout", timeout);
    sb_buf kv;
    sb_buf_init(&kv);
    int rc = 0;
    if (a->n_headers) {
        push(b, "--header");
        for (size_t i = 0; i < a->n_headers && rc == 0; i++) {
            rc = header_kv(a->headers[i], &kv, err);
            if (rc == 0)
                push(b, kv.data);
        }
    }
    sb_buf_free(&kv);
    return rc;
}

/* serve's parse of b, its range checks, and --api-key. */
static int parse_serve(const mt_args *a, argv_b *b, sb_config *cfg, sb_buf *notes, sb_err *err)
{
    sb_buf_reset(notes);
    int rc = cli_parse_serve(b->n, b->v, cfg, notes, err);
    if (notes->len)
        fputs(notes->data, stderr);
    if (rc < 0)
        return -1;
    if (dataset_check_opts(&cfg->ds, cfg->num_warmups, err) != 0) {
        sb_config_free(cfg);
        return -1;
    }
    if (a->api_key)
        cfg->api_key = sb_xstrdup(a->api_key);
    return 0;
}

/* ---- upstream's figures (process_statistics) ---- */

enum { COL_TTFT, COL_TPOT, COL_LAT, COL_TURNS, COL_IN, COL_OUT, COL_CHUNKS, N_COLS };
static const char *const col_names[N_COLS] = {
    "ttft_ms",          "tpot_ms",           "latency_ms",       "input_num_turns",
    "input_num_tokens", "output_num_tokens", "output_num_chunks"};

typedef struct mt_row {
    double col[N_COLS];
    double start_ms, end_ms, cached_pct;
    size_t ds_index;
} mt_row;

typedef struct mt_ctx {
    const mt_args *a;
    char *gen_params; /* the generation config's lines, or NULL */
    int status;       /* a file that could not be written: 1 */
    /* --warmup-step: each conversation's first reply by dataset index */
    sess_first_reply *first;
    size_t n_first;
    double warmup_s; /* its run time, < 0 without */
} mt_ctx;

/* The reply to dataset user turn u of conversation c (the warm-up's for
 * u = 0 after --warmup-step), or NULL. */
static const char *reply_of(const mt_ctx *x, const sess_set *s, size_t c, uint32_t u, size_t *len)
{
    if (!x->first)
        return sess_reply(s, c, u, len);
    if (u > 0)
        return sess_reply(s, c, u - 1, len);
    const sess_first_reply *f = &x->first[sess_conv_ds_index(s, c)];
    *len = f->len;
    return f->text;
}

static int by_start(const void *x, const void *y)
{
    const mt_row *a = x, *b = y;
    return (a->start_ms > b->start_ms) - (a->start_ms < b->start_ms);
}

static int by_value(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* numpy's linear percentile of sorted v[0..n) */
static double pct_of(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (v[hi] - v[lo]) * (pos - (double)lo);
}

static void fmt2(char *f, size_t cap, double v)
{
    if (isnan(v))
        snprintf(f, cap, "NaN");
    else
        snprintf(f, cap, "%.2f", v);
}

/* describe(percentiles).transpose() of rows[0..n), as pandas prints it
 * with display.precision 2. */
static void describe(const mt_row *rows, size_t n, const double *pcts, size_t n_pcts)
{
    char head[16][16];
    size_t n_head = 0;
    snprintf(head[n_head++], 16, "count");
    snprintf(head[n_head++], 16, "mean");
    snprintf(head[n_head++], 16, "std");
    snprintf(head[n_head++], 16, "min");
    for (size_t p = 0; p < n_pcts; p++) {
        char f[32];
        py_float_repr(f, sizeof f, pcts[p] * 100);
        size_t l = strlen(f);
        if (l > 2 && !strcmp(f + l - 2, ".0"))
            f[l - 2] = '\0';
        snprintf(head[n_head++], 16, "%.10s%%", f);
    }
    snprintf(head[n_head++], 16, "max");
    double cells[N_COLS][16];
    double *v = sb_xmalloc(n * sizeof *v);
    for (int c = 0; c < N_COLS; c++) {
        double sum = 0, ss = 0;
        for (size_t i = 0; i < n; i++) {
            v[i] = rows[i].col[c];
            sum += v[i];
        }
        double mean = sum / (double)n;
        for (size_t i = 0; i < n; i++)
            ss += (v[i] - mean) * (v[i] - mean);
        qsort(v, n, sizeof *v, by_value);
        size_t k = 0;
        cells[c][k++] = (double)n;
        cells[c][k++] = mean;
        cells[c][k++] = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
        cells[c][k++] = v[0];
        for (size_t p = 0; p < n_pcts; p++)
            cells[c][k++] = pct_of(v, n, pcts[p]);
        cells[c][k++] = v[n - 1];
    }
    free(v);
    int width[16];
    for (size_t k = 0; k < n_head; k++) {
        width[k] = (int)strlen(head[k]);
        for (int c = 0; c < N_COLS; c++) {
            char f[48];
            if (k == 0)
                snprintf(f, sizeof f, "%.1f", cells[c][k]);
            else
                fmt2(f, sizeof f, cells[c][k]);
            if ((int)strlen(f) > width[k])
                width[k] = (int)strlen(f);
        }
    }
    printf("%-17s", "");
    for (size_t k = 0; k < n_head; k++)
        printf("  %*s", width[k], head[k]);
    printf("\n");
    for (int c = 0; c < N_COLS; c++) {
        printf("%-17s", col_names[c]);
        for (size_t k = 0; k < n_head; k++) {
            char f[48];
            if (k == 0)
                snprintf(f, sizeof f, "%.1f", cells[c][k]);
            else
                fmt2(f, sizeof f, cells[c][k]);
            printf("  %*s", width[k], f);
        }
        printf("\n");
    }
}

static const char SEP[] = "----------------------------------------------------------------------"
                          "------------------------------";

static void print_statistics(mt_ctx *x, mt_row *rows, size_t n, size_t n_convs)
{
    const mt_args *a = x->a;
    if (n == 0) {
        printf("No samples to process\n");
        return;
    }
    printf("Processing %zu samples...\n", n);
    double pcts[8] = {0.25, 0.5, 0.75, 0.9};
    size_t n_pcts = 4;
    if (n >= 100)
        pcts[n_pcts++] = 0.99;
    if (n >= 1000)
        pcts[n_pcts++] = 0.999;
    if (n >= 10000)
        pcts[n_pcts++] = 0.9999;
    printf("%s\nParameters:\n", SEP);
    printf("model=%s\nnum_clients=%ld\nnum_conversations=%zu\n", a->model, a->num_clients, n_convs);
    if (a->max_active_given)
        printf("active_conversations=%ld\n", a->max_active);
    else
        printf("active_conversations=None\n");
    printf("seed=%ld\n", a->seed);
    if (a->limit_min > 0)
        printf("min_tokens=%ld\n", a->limit_min);
    if (a->limit_max > 0)
        printf("max_tokens=%ld\n", a->limit_max);
    if (x->gen_params)
        printf("Conversations Generation Parameters:\n%s", x->gen_params);
    printf("%s\n", SEP);
    for (size_t w = 0; w < a->n_warmups; w++) {
        double pc = a->warmups[w];
        size_t skip = (size_t)(pc * (double)n), tail = n - skip;
        if (tail == 0)
            break;
        const mt_row *df = rows + skip;
        double runtime_s = (df[tail - 1].end_ms - df[0].start_ms) / 1000.0;
        if (pc > 0 || a->n_warmups > 1)
            printf("Statistics summary (assuming %.0f%% warmup samples):\n", pc * 100);
        else
            printf("Statistics summary:\n");
        printf("runtime_sec = %.3f\nrequests_per_sec = %.3f\n", runtime_s,
               (double)tail / runtime_s);
        if (x->warmup_s >= 0)
            printf("warmup_runtime_sec = %.3f\ntotal_runtime_incl_warmup_sec = %.3f\n", x->warmup_s,
                   runtime_s + x->warmup_s);
        printf("%s\n", SEP);
        describe(df, tail, pcts, n_pcts);
        printf("%s\n", SEP);
    }
}

static void json_num(sb_buf *b, double v)
{
    char f[64];
    if (isfinite(v))
        sb_buf_puts(b, py_float_repr(f, sizeof f, v));
    else
        sb_buf_puts(b, "NaN"); /* json.dump's spelling */
}

/* --stats-json-output: RequestStats._asdict() of each sample, indent 2. */
static int write_stats(const char *path, const mt_row *rows, size_t n, const sb_dataset *ds,
                       sb_err *err)
{
    sb_buf b;
    sb_buf_init(&b);
    sb_buf_puts(&b, n ? "[\n" : "[]");
    for (size_t i = 0; i < n; i++) {
        const mt_row *r = &rows[i];
        sb_buf_puts(&b, "  {\n    \"ttft_ms\": ");
        json_num(&b, r->col[COL_TTFT]);
        sb_buf_puts(&b, ",\n    \"tpot_ms\": ");
        json_num(&b, r->col[COL_TPOT]);
        sb_buf_puts(&b, ",\n    \"latency_ms\": ");
        json_num(&b, r->col[COL_LAT]);
        sb_buf_puts(&b, ",\n    \"start_time_ms\": ");
        json_num(&b, r->start_ms);
        sb_buf_printf(&b,
                      ",\n    \"input_num_turns\": %.0f,\n    \"input_num_tokens\": %.0f,\n    "
                      "\"output_num_tokens\": %.0f,\n    \"output_num_chunks\": %.0f,\n    "
                      "\"output_num_first_chunk_tokens\": null,\n    \"approx_cached_percent\": ",
                      r->col[COL_TURNS], r->col[COL_IN], r->col[COL_OUT], r->col[COL_CHUNKS]);
        json_num(&b, r->cached_pct);
        sb_buf_puts(&b, ",\n    \"conversation_id\": ");
        const char *id = ds->reqs[r->ds_index].conv_id ? ds->reqs[r->ds_index].conv_id : "";
        pyfmt_json_string(&b, id, strlen(id));
        sb_buf_printf(&b, ",\n    \"client_id\": null\n  }%s", i + 1 < n ? ",\n" : "\n]");
    }
    FILE *f = fopen(path, "w");
    int rc = 0;
    if (!f || fwrite(b.data, 1, b.len, f) != b.len)
        rc = sb_err_set(err, "cannot write %s", path);
    if (f && fclose(f) != 0 && rc == 0)
        rc = sb_err_set(err, "cannot write %s", path);
    sb_buf_free(&b);
    return rc;
}

static void put_message(sb_buf *b, const char *role, const char *text, size_t len, bool last)
{
    sb_buf_printf(b,
                  "            {\n                \"role\": \"%s\",\n                "
                  "\"content\": ",
                  role);
    pyfmt_json_string(b, text, len);
    sb_buf_printf(b, "\n            }%s\n", last ? "" : ",");
}

/* --output-file: the finished conversations with the server's answers in
 * place of the dataset's (conversations_dict_to_list, json.dump indent 4). */
static int write_conversations(const mt_ctx *x, const char *path, const sess_set *s,
                               const sb_dataset *ds, sb_err *err)
{
    sb_buf b;
    sb_buf_init(&b);
    size_t written = 0;
    for (size_t c = 0; c < sess_conversations(s); c++) {
        if (!sess_conv_completed(s, c))
            continue;
        const sb_request *q = &ds->reqs[sess_conv_ds_index(s, c)];
        sb_buf_puts(&b, written++ ? ",\n    {\n        \"id\": " : "[\n    {\n        \"id\": ");
        pyfmt_json_string(&b, q->conv_id ? q->conv_id : "", q->conv_id ? strlen(q->conv_id) : 0);
        sb_buf_puts(&b, ",\n        \"messages\": [\n");
        /* Count the messages first: the last one has no comma. */
        uint32_t user = 0;
        size_t total = 0;
        for (uint32_t k = 0; k < q->n_turns; k++) {
            total++;
            size_t len;
            if (!strcmp(q->roles[k], "user") && reply_of(x, s, c, user++, &len) &&
                !(k + 1 < q->n_turns && !strcmp(q->roles[k + 1], "assistant")))
                total++; /* an answer to a user message the dataset left unanswered */
        }
        size_t put = 0;
        user = 0;
        for (uint32_t k = 0; k < q->n_turns; k++) {
            if (strcmp(q->roles[k], "user") != 0) {
                put_message(&b, q->roles[k], q->turns[k], strlen(q->turns[k]), ++put == total);
                continue;
            }
            put_message(&b, "user", q->turns[k], strlen(q->turns[k]), ++put == total);
            size_t len = 0;
            const char *reply = reply_of(x, s, c, user++, &len);
            if (!reply)
                continue;
            if (k + 1 < q->n_turns && !strcmp(q->roles[k + 1], "assistant"))
                k++; /* the dataset's answer, replaced */
            put_message(&b, "assistant", reply, len, ++put == total);
        }
        sb_buf_puts(&b, "        ]\n    }");
    }
    sb_buf_puts(&b, written ? "\n]" : "[]");
    FILE *f = fopen(path, "w");
    int rc = 0;
    if (!f || fwrite(b.data, 1, b.len, f) != b.len)
        rc = sb_err_set(err, "cannot write %s", path);
    if (f && fclose(f) != 0 && rc == 0)
        rc = sb_err_set(err, "cannot write %s", path);
    sb_buf_free(&b);
    return rc;
}

/* The warm-up run's records: each answered first turn's reply, kept for
 * the benchmark run's histories (upstream keeps the conversations that
 * finished the warm-up). */
static void on_warmup(void *ud, const run_records *v)
{
    mt_ctx *x = ud;
    x->n_first = v->ds->n;
    x->first = sb_xcalloc(x->n_first ? x->n_first : 1, sizeof *x->first);
    for (size_t i = 0; i < v->rs->n; i++) {
        const sb_record *r = &v->rs->recs[i];
        sess_rec_info info;
        sess_record(v->sess, i, &info);
        if (!r->success || info.turn != 0)
            continue;
        sess_first_reply *f = &x->first[info.ds_index];
        f->tokens = v->m->output_lens ? v->m->output_lens[i] : r->output_len;
    }
    for (size_t c = 0; c < sess_conversations(v->sess); c++) {
        size_t len = 0;
        const char *t = sess_reply(v->sess, c, 0, &len);
        if (!t || !sess_conv_completed(v->sess, c))
            continue;
        sess_first_reply *f = &x->first[sess_conv_ds_index(v->sess, c)];
        char *copy = sb_xmalloc(len + 1);
        memcpy(copy, t, len + 1);
        f->text = copy;
        f->len = len;
    }
}

static void on_records(void *ud, const run_records *v)
{
    mt_ctx *x = ud;
    const rec_store *rs = v->rs;
    mt_row *rows = sb_xcalloc(rs->n ? rs->n : 1, sizeof *rows);
    size_t n = 0;
    for (size_t i = 0; i < rs->n; i++) {
        const sb_record *r = &rs->recs[i];
        if (!r->success) /* upstream keeps the valid responses only */
            continue;
        sess_rec_info info;
        sess_record(v->sess, i, &info);
        mt_row *w = &rows[n++];
        double out = v->m->output_lens ? v->m->output_lens[i] : r->output_len;
        double ttft = (double)r->ttft_ns / 1e6, lat = (double)r->latency_ns / 1e6;
        w->col[COL_TTFT] = ttft;
        /* send_turn: decode time over the tokens after the first chunk
         * (one token a chunk: the first chunk's own count is not known here) */
        w->col[COL_TPOT] = out > 1 ? (lat - ttft) / (out - 1) : 0.0;
        w->col[COL_LAT] = lat;
        w->col[COL_TURNS] = info.n_msgs;
        w->col[COL_IN] = (double)info.input_tokens;
        w->col[COL_OUT] = out;
        /* chunk_delay: the content chunks after the first */
        w->col[COL_CHUNKS] = r->n_answer_msgs > 0 ? r->n_answer_msgs - 1 : 0;
        w->start_ms = (double)r->start_ns / 1e6;
        w->end_ms = w->start_ms + lat;
        w->cached_pct =
            info.input_tokens > 0
                ? 100.0 * (double)(info.input_tokens - info.user_tokens) / (double)info.input_tokens
                : 0.0;
        w->ds_index = info.ds_index;
    }
    qsort(rows, n, sizeof *rows, by_start); /* raw_data.sort_values("start_time_ms") */
    print_statistics(x, rows, n, sess_conversations(v->sess));
    sb_err err;
    if (x->a->stats_json) {
        if (write_stats(x->a->stats_json, rows, n, v->ds, &err) != 0) {
            fprintf(stderr, "servebench multi-turn: %s\n", err.msg);
            x->status = SB_EXIT_FAIL;
        } else {
            printf("Writing per-request stats JSON: %s\n", x->a->stats_json);
        }
    }
    if (x->a->output) {
        if (write_conversations(x, x->a->output, v->sess, v->ds, &err) != 0) {
            fprintf(stderr, "servebench multi-turn: %s\n", err.msg);
            x->status = SB_EXIT_FAIL;
        } else {
            printf("Writing conversations file: %s\n", x->a->output);
        }
    }
    fflush(stdout);
    free(rows);
}

int multiturn_cmd(int argc, char **argv)
{
    mt_args a = {.url = "http://localhost:8000",
                 .num_clients = 1,
                 .max_active = -1,
                 .max_requests = -1,
                 .max_turns = -1,
                 .timeout_s = 120};
    const char *env_retries = getenv("MULTITURN_BENCH_MAX_RETRIES");
    sb_err err;
    sb_err_clear(&err);
    if (env_retries && whole("max-retries", env_retries, LONG_MIN / 2, &a.max_retries, &err) != 0) {
        fprintf(stderr, "servebench multi-turn: MULTITURN_BENCH_MAX_RETRIES: %s\n", err.msg);
        return SB_EXIT_USAGE;
    }
    cli_args it = {.argc = argc, .argv = argv, .i = 1};
    size_t row;
    const char *v;
    for (;;) {
        int k = cli_args_next(&it, mt_flags, N_MT_FLAGS, &row, &v, &err);
        if (k == CLI_ARG_END)
            break;
        if (k == CLI_ARG_HELP) {
            fputs(USAGE, stdout);
            return SB_EXIT_OK;
        }
        if (k == CLI_ARG_WORD)
            sb_err_set(&err, "unrecognized arguments: %s", v);
        if (k < 0 || k == CLI_ARG_WORD || set_flag(&a, mt_flags[row].name, v, &err) != 0) {
            fprintf(stderr, "servebench multi-turn: error: %s\n", err.msg);
            return SB_EXIT_USAGE;
        }
        if (!strcmp(mt_flags[row].name, "k") ||
            !strcmp(mt_flags[row].name, "max-active-conversations"))
            a.max_active_given = true;
    }
    if (a.version) {
        printf("servebench multi-turn %s (benchmark_serving_multi_turn.py command line)\n",
               SB_VERSION);
        return SB_EXIT_OK;
    }
    if (check(&a, &err) != 0) {
        fprintf(stderr, "servebench multi-turn: error: %s\n", err.msg);
        return SB_EXIT_USAGE;
    }
    if (!a.early_stop_off)
        fprintf(stderr, "note: servebench runs every conversation to its end (upstream's "
                        "--no-early-stop): there is no client to stop first\n");
    argv_b b = {0};
    int status = SB_EXIT_USAGE;
    sb_config cfg;
    bool have_cfg = false;
    sb_buf notes;
    sb_buf_init(&notes);
    mt_ctx x = {.a = &a, .warmup_s = -1};
    tok *tk = NULL; /* loaded once, by the first run */
    char *tok_spec = NULL;
    if (serve_argv(&a, false, &b, &err) != 0 || parse_serve(&a, &b, &cfg, &notes, &err) != 0)
        goto out;
    have_cfg = true;
    sb_buf gen;
    sb_buf_init(&gen);
    int rc = dataset_conversations_params(a.input, &gen, &err);
    if (rc < 0) {
        sb_buf_free(&gen);
        goto out;
    }
    x.gen_params = rc > 0 ? sb_buf_steal(&gen) : NULL;
    sb_buf_free(&gen);
    printf("url=%s\nmodel=%s\nnum_clients=%ld\n", a.url, a.model, a.num_clients);
    fflush(stdout);
    if (a.warmup_step) {
        /* upstream's warm-up: every conversation's first turn, one
         * conversation per client at a time, not measured */
        argv_b wb = {0};
        sb_config wcfg;
        int wrc = serve_argv(&a, true, &wb, &err);
        if (wrc == 0)
            wrc = parse_serve(&a, &wb, &wcfg, &notes, &err);
        for (int i = 0; i < wb.n; i++)
            free(wb.v[i]);
        free(wb.v);
        if (wrc != 0)
            goto out;
        printf("Warmup start\n");
        fflush(stdout);
        run_point wp = {.ud = &x,
                        .on_records = on_warmup,
                        .sess_max_user_turns = 1,
                        .sess_keep_replies = true,
                        .sess_pick_random = a.pick_random,
                        .sess_send_conversation_id = a.send_conv_id};
        uint64_t t0 = sb_now_ns();
        status = run_serve_point(&wcfg, &wp);
        x.warmup_s = (double)(sb_now_ns() - t0) / 1e9;
        sb_config_free(&wcfg);
        tk = wp.tk;
        tok_spec = wp.tok_spec;
        free(wp.result_path);
        if (status != SB_EXIT_OK)
            goto out;
        if (!x.first) { /* no metrics: nothing was measured */
            status = SB_EXIT_FAIL;
            goto out;
        }
        printf("Warmup runtime: %.3f sec (%.3f ms)\nWarmup done\n", x.warmup_s, x.warmup_s * 1000);
        fflush(stdout);
    }
    run_point pt = {.ud = &x,
                    .tk = tk,
                    .sess_first_replies = x.first,
                    .on_records = on_records,
                    .sess_max_requests =
                        a.max_requests > 0 ? a.max_requests / a.num_clients * a.num_clients : 0,
                    .sess_max_messages = a.max_turns > 0 ? a.max_turns : 0,
                    .sess_keep_replies = a.output != NULL,
                    .sess_pick_random = a.pick_random,
                    .sess_send_conversation_id = a.send_conv_id};
    status = run_serve_point(&cfg, &pt);
    if (status == SB_EXIT_OK && x.status)
        status = x.status;
    free(pt.result_path);
    if (!tk) { /* the benchmark run loaded it */
        tk = pt.tk;
        tok_spec = pt.tok_spec;
    }
out:
    if (tk)
        tok_free(tk);
    free(tok_spec);
    for (size_t i = 0; i < x.n_first; i++)
        free((char *)x.first[i].text);
    free(x.first);
    if (status == SB_EXIT_USAGE && err.msg[0])
        fprintf(stderr, "servebench multi-turn: error: %s\n", err.msg);
    if (have_cfg)
        sb_config_free(&cfg);
    for (int i = 0; i < b.n; i++)
        free(b.v[i]);
    free(b.v);
    free(x.gen_params);
    sb_buf_free(&notes);
    return status;
}
