/* SPDX-License-Identifier: Apache-2.0 */
/* run.c - run_serve: one `servebench serve` benchmark, in the reference's
 * order (vllm/benchmarks/serve.py: benchmark): tokenizer, dataset, schedule, ready check, warm-ups,
 * the timed run, metrics, result block, result file.
 *
 * The only part of src/run that prints (run_serve is a command-level
 * function): progress and messages go where the reference puts them, the
 * result block to stdout. SIGINT during the timed run stops sending, gives
 * in-flight requests --grace-sec to finish, then reports what was measured
 * (marked partial). */
#include "run/run.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "core/exit.h"
#include "core/clock.h"
#include "core/rng.h"
#include "dataset/dataset.h"
#include "http/engine.h"
#include "metrics/krx.h"
#include "metrics/metrics.h"
#include "core/pyfmt.h"
#include "report/report.h"
#include "run/align.h"
#include "run/fingerprint.h"
#include "chart/chart.h"
#include "run/loop.h"
#include "run/probe.h"
#include "run/run_mpi.h"
#include "run/run_prep.h"
#include "run/run_krx.h"
#include "run/run_tm.h"
#include "run/session.h"
#include "run/structured.h"
#include "run/window.h"
#include "sched/sched.h"
#include "sim/sim.h"
#include "tokenizer/tokenizer.h"

_Static_assert(LOOP_MAX_WORKERS == SB_MAX_WORKERS, "loop.h and config.h disagree on --num-workers");

static volatile sig_atomic_t run_stop; /* the one signal flag */

/* The first Ctrl-C stops sending and starts the grace time; a second one
 * ends the grace time at once (the loop cancels what is still running). */
static void on_sigint(int sig)
{
    (void)sig;
    static const char msg[] = "\nInterrupted again: cancelling the requests in flight now.\n";
    if (run_stop && write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
        /* nothing to do: stderr is gone */
    }
    run_stop = run_stop ? 2 : 1;
}

static volatile sig_atomic_t run_job_stopped; /* under MPI: a forwarded Ctrl-Z stopped this rank */

/* Under mpirun, Ctrl-C or SIGTERM on mpirun reaches the ranks as Open MPI's
 * kill sequence: SIGCONT at once, then SIGTERM, then SIGKILL, each
 * odls_base_sigkill_timeout apart (docs/scale-out.md). So a SIGCONT that
 * does not resume a forwarded Ctrl-Z (SIGTSTP) is the stop, as is SIGTERM;
 * a later one does not cut the grace short (the SIGKILL bounds it). */
static void on_mpi_signal(int sig)
{
    int saved = errno;
    if (sig == SIGTSTP) {
        run_job_stopped = 1;
        kill(getpid(), SIGSTOP); /* what SIGTSTP would have done */
    } else if (sig == SIGCONT && run_job_stopped) {
        run_job_stopped = 0;
    } else if (!run_stop) {
        run_stop = 1;
    }
    errno = saved;
}

enum { RUN_MPI_SIGNALS = 3 };
static const int run_mpi_signals[RUN_MPI_SIGNALS] = {SIGTERM, SIGCONT, SIGTSTP};

typedef struct run_ctx {
    sb_config *cfg;
    const backend *be;
    sim_server *sim;
    run_target tgt;
    eng *e;
    tok *tk;
    char *model_id, *model_root, *prefix;
    sb_dataset ds;
    bool have_ds;
    sched_plan plan;
    bool have_plan;
    bk_params bp;
    bool have_bp;
    sb_arena bodies;
    loop_req *reqs;
    run_structured structured; /* the requests' parsed JSON schemas */
    rec_store *rs;
    bool progress_tty;
    char fingerprint[RUN_FP_HEX];
    bool usage_error; /* prepare failed on the user's input (exit 2), not the work */
    specdec_counts spec_before, spec_after; /* /metrics around the run */
    char *probe_body;                       /* --probe-request-rate's "Hi" request */
    metrics_probe probe;
    run_tm tm;        /* server and GPU telemetry during the timed run */
    run_point *pt;    /* NULL for a plain `serve` */
    bool tk_borrowed; /* c->tk belongs to pt's caller */
    char *tk_spec;    /* what c->tk was loaded from, when loaded here */
    run_shard sh;     /* this rank's part of an MPI job (run_mpi.h) */
    sess_set *sess;   /* --multi-turn: the conversations, else NULL */
    run_align align;  /* prompt lengths against the server's /tokenize */
    double grace_s;   /* --grace-sec as applied (under MPI: what fits before mpirun's SIGKILL) */
    bool mpi_sig_set; /* under MPI: mpirun's kill sequence handled until the result is out */
    struct sigaction old_mpi_sig[RUN_MPI_SIGNALS];
} run_ctx;

static int fail(const char *what, const sb_err *err)
{
    fprintf(stderr, "servebench serve: %s: %s\n", what, err->msg);
    return SB_EXIT_FAIL;
}

/* Splits each --sim-arg on blanks into an argv for sim_start. */
static int start_sim(run_ctx *c, sb_err *err)
{
    char *argv[128 + SIM_MAX_LORAS];
    int argc = 0;
    argv[argc++] = "sim";
    argv[argc++] = "--port";
    argv[argc++] = "0";
    argv[argc++] = "--quiet";
    /* Serve the model the requests name (docs/serve.md's `--sim --model
     * Qwen/Qwen3-4B` example); a --sim-arg --model given later still wins. */
    const char *model = c->cfg->served_model_name ? c->cfg->served_model_name : c->cfg->model;
    if (model) {
        argv[argc++] = "--model";
        argv[argc++] = (char *)model;
    }
    /* The adapters the requests name (--lora-modules), so the simulator
     * answers them as vLLM run with --enable-lora --lora-modules would, all
     * in one batch; a --sim-arg given later still wins. */
    size_t nl = c->cfg->n_lora_modules;
    if (nl > SIM_MAX_LORAS)
        return sb_err_set(err, "--lora-modules: --sim serves at most %d adapters, %zu given",
                          SIM_MAX_LORAS, nl);
    char max_loras[16];
    sb_buf specs[SIM_MAX_LORAS];
    if (nl) {
        snprintf(max_loras, sizeof max_loras, "%zu", nl);
        argv[argc++] = "--enable-lora";
        argv[argc++] = "--max-loras";
        argv[argc++] = max_loras;
        argv[argc++] = "--lora-modules";
    }
    for (size_t i = 0; i < nl; i++) { /* JSON: a name may hold '=' or ',' */
        const char *name = c->cfg->lora_modules[i];
        sb_buf_init(&specs[i]);
        sb_buf_puts(&specs[i], "{\"name\":");
        pyfmt_json_string_as(&specs[i], name, strlen(name), false);
        sb_buf_puts(&specs[i], ",\"path\":");
        pyfmt_json_string_as(&specs[i], name, strlen(name), false);
        sb_buf_puts(&specs[i], "}");
        argv[argc++] = specs[i].data;
    }
    char *copies[64];
    size_t nc = 0;
    for (size_t i = 0; i < c->cfg->n_sim_args && nc < 64; i++) {
        char *s = copies[nc++] = sb_xstrdup(c->cfg->sim_args[i]);
        for (char *tok = strtok(s, " \t"); tok && argc < 126 + SIM_MAX_LORAS;
             tok = strtok(NULL, " \t"))
            argv[argc++] = tok;
    }
    argv[argc] = NULL;
    sim_opts o;
    sim_opts_default(&o);
    int rc = sim_opts_parse(&o, argc, argv, err);
    if (rc == 1)
        sb_err_set(err, "--sim-arg: --help is not a server option");
    if (rc == 0 && c->tk && !o.tokenizer) {
        /* Count prompt tokens with the benchmark's own tokenizer, so usage.prompt_tokens
         * (which the reference's totals use) is what a real server would report. */
        o.count_tokens = sim_count_with_tok;
        o.count_ctx = c->tk;
    }
    c->sim = rc == 0 ? sim_start_opts(&o, err) : NULL;
    for (size_t i = 0; i < nc; i++)
        free(copies[i]);
    for (size_t i = 0; i < nl; i++)
        sb_buf_free(&specs[i]);
    return c->sim ? 0 : -1;
}

/* --tokenizer-compat (the flag table admits only the three names). */
static tok_compat run_tok_compat(const sb_config *cfg)
{
    tok_compat tc = TOK_COMPAT_TRANSFORMERS;
    if (cfg->tokenizer_compat)
        (void)tok_compat_parse(cfg->tokenizer_compat, &tc);
    return tc;
}

/* With --sim the tokenizer is needed before the simulator starts (it counts
 * prompt tokens with it) and the model name may not name one: fall back to the
 * bundled GPT-2 unless --tokenizer was given explicitly. */
static int load_sim_tokenizer(run_ctx *c, sb_err *err)
{
    const sb_config *cfg = c->cfg;
    if (cfg->skip_tokenizer_init)
        return 0;
    if (c->tk)
        return 0; /* kept from an earlier run of a sweep */
    const char *spec = cfg->tokenizer ? cfg->tokenizer : cfg->model;
    tok_compat tc = run_tok_compat(cfg);
    c->tk = spec ? tok_load_compat(spec, tc, err) : NULL;
    if (!c->tk && !cfg->tokenizer)
        c->tk = tok_load_compat(spec = tok_default_spec(), tc, err);
    if (c->tk)
        c->tk_spec = sb_xstrdup(spec);
    return c->tk ? 0 : -1;
}

static int resolve_model(run_ctx *c, sb_err *err)
{
    if (c->cfg->model) {
        c->model_id = sb_xstrdup(c->cfg->model);
        c->model_root = sb_xstrdup(c->cfg->model);
        return 0;
    }
    printf("Model not specified, fetching first model from server...\n");
    if (run_fetch_model(c->e, &c->tgt, &c->model_id, &c->model_root, err) != 0)
        return -1;
    printf("First model name: %s, first model id: %s\n", c->model_id, c->model_root);
    return 0;
}

static int load_tokenizer(run_ctx *c, sb_err *err)
{
    if (c->cfg->skip_tokenizer_init || c->tk)
        return 0;
    const char *spec = c->cfg->tokenizer ? c->cfg->tokenizer : c->model_root;
    c->tk = tok_load_compat(spec, run_tok_compat(c->cfg), err);
    if (c->tk)
        c->tk_spec = sb_xstrdup(spec);
    return c->tk ? 0 : -1;
}

/* Send at the requests' own timestamps (vllm/benchmarks/serve.py: get_request self-timed): with
 * --self-timed, and by default for timed_trace and mooncake (SGLang ignores
 * the request rate for mooncake); --no-self-timed turns it off. */
static bool replays_trace(const sb_config *cfg, const sb_dataset *ds)
{
    bool on = cfg->self_timed == 1 ||
              (cfg->self_timed == -1 &&
               (!strcmp(cfg->ds.name, "timed_trace") || !strcmp(cfg->ds.name, "mooncake")));
    return on && ds->n && ds->reqs[0].timestamp_s >= 0;
}

const bk_opts *run_bk_opts(const sb_config *cfg, bk_opts *out)
{
    *out = (bk_opts){.top_p = cfg->top_p,
                     .top_k = cfg->top_k,
                     .min_p = cfg->min_p,
                     .temperature = cfg->temperature,
                     .frequency_penalty = cfg->frequency_penalty,
                     .presence_penalty = cfg->presence_penalty,
                     .repetition_penalty = cfg->repetition_penalty,
                     .logprobs = cfg->logprobs,
                     .best_of = cfg->best_of,
                     .extra_body = cfg->extra_body};
    return out;
}

const metrics_opts *run_metrics_opts(const sb_config *cfg, metrics_opts *out)
{
    *out = (metrics_opts){.backend = cfg->backend,
                          .percentile_metrics = cfg->percentile_metrics,
                          .metric_percentiles = cfg->metric_percentiles,
                          .n_metric_percentiles = cfg->n_metric_percentiles,
                          .goodput_ttft_ms = cfg->goodput_ttft_ms,
                          .goodput_tpot_ms = cfg->goodput_tpot_ms,
                          .goodput_e2el_ms = cfg->goodput_e2el_ms,
                          .goodput_set = cfg->goodput_set,
                          .max_concurrency = cfg->max_concurrency,
                          .skip_tokenizer_init = cfg->skip_tokenizer_init};
    return out;
}

const report_opts *run_report_opts(const sb_config *cfg, report_opts *out)
{
    *out = (report_opts){.backend = cfg->backend,
                         .label = cfg->label,
                         .model = cfg->model,
                         .tokenizer = cfg->tokenizer,
                         .num_prompts = cfg->ds.num_prompts,
                         .metadata = cfg->metadata,
                         .n_metadata = cfg->n_metadata,
                         .request_rate = cfg->request_rate,
                         .burstiness = cfg->burstiness,
                         .max_concurrency = cfg->max_concurrency,
                         .ramp_up_strategy = cfg->ramp_up == SB_RAMP_LINEAR        ? "linear"
                                             : cfg->ramp_up == SB_RAMP_EXPONENTIAL ? "exponential"
                                                                                   : NULL,
                         .ramp_up_start_rps = cfg->ramp_up_start_rps,
                         .ramp_up_end_rps = cfg->ramp_up_end_rps,
                         .goodput_set = cfg->goodput_set,
                         .save_detailed = cfg->save_detailed,
                         .append_result = cfg->append_result,
                         .result_dir = cfg->result_dir,
                         .result_filename = cfg->result_filename,
                         .timeline_itl_thresholds = cfg->timeline_itl_thresholds};
    return out;
}

/* The load-shape flags, the scheduler's own options. */
static sched_opts sched_opts_of(const sb_config *cfg)
{
    sched_opts o = {.request_rate = cfg->request_rate,
                    .burstiness = cfg->burstiness,
                    .ramp_up = cfg->ramp_up == SB_RAMP_LINEAR        ? SCHED_RAMP_LINEAR
                               : cfg->ramp_up == SB_RAMP_EXPONENTIAL ? SCHED_RAMP_EXPONENTIAL
                                                                     : SCHED_RAMP_NONE,
                    .ramp_up_start_rps = cfg->ramp_up_start_rps,
                    .ramp_up_end_rps = cfg->ramp_up_end_rps};
    return o;
}

/* The probe request of vllm/benchmarks/serve.py: prompt "Hi", one output
 * token, no multimodal data, no request id. */
static char *probe_body(const bk_params *p)
{
    bk_req r = {.prompt = "Hi", .prompt_bytes = 2, .prompt_len = 1, .output_len = 1};
    pyjson_obj scratch;
    pyjson_obj_init(&scratch);
    sb_buf b;
    sb_buf_init(&b);
    bk_build_body(p, &r, &scratch, &b);
    pyjson_obj_free(&scratch);
    return b.data; /* the buffer's memory, now owned by the caller */
}

static bool multi_turn_counts_turns(const sb_config *cfg)
{
    return !strcmp(cfg->multi_turn_rate, "turns");
}

/* --multi-turn: the conversations of the dataset as sessions (session.h). */
static int start_sessions(run_ctx *c, sb_err *err)
{
    const sb_config *cfg = c->cfg;
    /* Every turn's max tokens: --output-len or --sharegpt-output-len when
     * given, else the dataset's reply to that turn (upstream's default). */
    long fixed = cfg->ds.output_len >= 0             ? cfg->ds.output_len
                 : !strcmp(cfg->ds.name, "sharegpt") ? cfg->ds.sharegpt_output_len
                                                     : -1;
    if (fixed < 0 && !c->tk)
        return sb_err_set(err, "--multi-turn takes each turn's max tokens from the dataset's reply "
                               "counted with the tokenizer: with --skip-tokenizer-init give "
                               "--output-len");
    if (!c->prefix)
        c->prefix =
            cfg->ds.request_id_prefix ? sb_xstrdup(cfg->ds.request_id_prefix) : run_random_prefix();
    sess_opts so = {.max_active = cfg->max_active_conversations,
                    .rate_counts_turns = multi_turn_counts_turns(cfg),
                    .think_s = cfg->think_time_s,
                    .think_exponential = !strcmp(cfg->think_time_dist, "exponential"),
                    .session_header = cfg->session_header,
                    .id_prefix = c->prefix,
                    .seed = (uint32_t)cfg->ds.seed,
                    .fixed_output_len = fixed};
    if (c->pt) {
        so.max_requests = c->pt->sess_max_requests;
        so.max_messages = c->pt->sess_max_messages;
        so.keep_replies = c->pt->sess_keep_replies;
        so.pick_random = c->pt->sess_pick_random;
        so.send_conversation_id = c->pt->sess_send_conversation_id;
        so.max_user_turns = c->pt->sess_max_user_turns;
        so.first_replies = c->pt->sess_first_replies;
    }
    c->sess = sess_new(&so, &c->ds, &c->bp, c->tk, err);
    if (!c->sess)
        return -1;
    return rec_store_fits(sess_turns(c->sess), err);
}

/* The model name, tokenizer and dataset (usage_error set for what fails). */
static int load_inputs(run_ctx *c, sb_err *err)
{
    sb_config *cfg = c->cfg;
    if (resolve_model(c, err) != 0)
        return -1;
    c->usage_error = true; /* a missing tokenizer or dataset file, a bad row */
    if (load_tokenizer(c, err) != 0)
        return -1;
    if (cfg->ds.num_prompts > 0 && rec_store_fits((size_t)cfg->ds.num_prompts, err) != 0)
        return sb_err_prefix(err, "--num-prompts %ld: ", cfg->ds.num_prompts);
    return dataset_load(&cfg->ds, c->tk, cfg->backend, &c->ds, err);
}

typedef struct eng_job {
    eng_opts o;
    const char *url;
    eng *e;
    sb_err err;
} eng_job;

static void *eng_job_run(void *p)
{
    eng_job *j = p;
    j->e = eng_new(&j->o, &j->err);
    if (j->e && eng_curl_prepare(j->e, j->url, &j->err) != 0) {
        eng_free(j->e);
        j->e = NULL;
    }
    return NULL;
}

static int prepare(run_ctx *c, sb_err *err)
{
    sb_config *cfg = c->cfg;
    /* Bad input found here is the user's to fix (exit 2); each check is
     * made before anything is sent. */
    c->usage_error = true;
    /* Rank 0 alone writes the result: the others' machines need no result dir. */
    if ((cfg->save_result || cfg->append_result) && c->sh.rank == 0 &&
        report_check_result_dir(run_report_opts(cfg, &(report_opts){0}), err) != 0)
        return -1;
    if (cfg->sim && load_sim_tokenizer(c, err) != 0)
        return sb_err_prefix(err, "loading the tokenizer: ");
    c->usage_error = false;
    if (cfg->sim && start_sim(c, err) != 0)
        return sb_err_prefix(err, "starting the simulator: ");
    char simbase[96];
    if (c->sim)
        snprintf(simbase, sizeof simbase, "http://%s:%d", sim_host(c->sim), sim_port(c->sim));
    run_target_init(&c->tgt, cfg, c->sim ? simbase : NULL);
    run_target_headers(&c->tgt, cfg, backend_content_type(c->be));
    if (backend_check_url(c->be, c->tgt.url, err) != 0)
        return -1;
    /* SSL_CERT_FILE as OpenSSL's own tools read it: libcurl sets its built-in
     * bundle path, which hides the variable from OpenSSL. */
    const char *ca = cfg->ca_bundle ? cfg->ca_bundle : getenv("SSL_CERT_FILE");
    eng_opts eo = {.max_conns = cfg->max_concurrency > 0 ? cfg->max_concurrency : 0,
                   .http2 = cfg->http2,
                   .insecure = cfg->insecure,
                   .ca_bundle = ca && *ca ? ca : NULL,
                   .timeout_s = cfg->request_timeout_s,
                   .stall_s = cfg->stall_timeout_s,
                   .rx_kernel = cfg->rx_timestamps && !strcmp(cfg->rx_timestamps, "kernel"),
                   .curl_only = cfg->http_client && !strcmp(cfg->http_client, "curl")};
    /* Kernel stamps are peeked from the TCP queue: with TLS that is
     * ciphertext, whose records need not line up with curl's reads. */
    if (eo.rx_kernel && !strncasecmp(c->tgt.url, "https://", 8)) {
        c->usage_error = true;
        return sb_err_set(err, "--rx-timestamps kernel with an https:// server is not supported "
                               "yet (plain http:// only)");
    }
    if (!strncasecmp(c->tgt.url, "https://", 8) && eng_tls_check(&eo, c->tgt.url, 10.0, err) != 0)
        return -1;
    /* The engine is made on another core while the tokenizer and the dataset
     * load, when nothing there needs it (a named model: no /v1/models query),
     * with what its first requests need: the server's name resolved, and for
     * a run that goes through libcurl (https, --http2, a proxy, --http-client
     * curl) libcurl opened, about 5 ms of shared objects and curl_global_init
     * (a plain http:// run never loads it: core/curl_dl.h); docs/engine.md
     * "Start-up". */
    eng_job job = {.o = eo, .url = c->tgt.url};
    pthread_t th;
    bool bg = cfg->model && pthread_create(&th, NULL, eng_job_run, &job) == 0;
    if (!bg && !(c->e = eng_new(&eo, err)))
        return -1;
    int rc = load_inputs(c, err);
    if (bg) {
        pthread_join(th, NULL);
        c->e = job.e;
        if (!c->e && rc == 0) { /* not the user's input */
            *err = job.err;
            c->usage_error = false;
            rc = -1;
        }
    }
    if (rc != 0)
        return -1;
    c->usage_error = false;
    c->have_ds = true;
    for (size_t i = 0; c->be->multipart && i < c->ds.n; i++)
        if (!c->ds.reqs[i].forms.audio_wav) /* the reference raises TypeError here (3.8) */
            return sb_err_set(err,
                              "--backend %s sends each request's audio, but request %zu of "
                              "--dataset-name %s has none (use custom_audio without "
                              "--enable-multimodal-chat)",
                              c->be->name, i, cfg->ds.name);
    if (cfg->json_schema_path &&
        run_structured_apply(cfg->json_schema_path,
                             isnan(cfg->structured_output_ratio) ? 1.0
                                                                 : cfg->structured_output_ratio,
                             (uint64_t)cfg->ds.seed, &c->ds, err) != 0) {
        c->usage_error = true; /* the user's file */
        return -1;
    }
    if (c->ds.info) /* the reference logs these (INFO) while sampling */
        fprintf(stderr, "%s%s", c->ds.info,
                c->ds.info[0] && c->ds.info[strlen(c->ds.info) - 1] == '\n' ? "" : "\n");
    if (c->ds.warning)
        fprintf(stderr, "%s\n", c->ds.warning);
    const char *name = cfg->served_model_name ? cfg->served_model_name : c->model_id;
    if (!c->tk)
        run_align_skip(&c->align, "no client tokenizer (--skip-tokenizer-init)");
    else if (c->be->multipart)
        run_align_skip(&c->align, "a multipart backend's prompts are audio");
    else
        run_align_prompts(c->e, &c->tgt, name, cfg->ds.name, cfg->ds.multi_turn,
                          run_align_mode_of(cfg->tokenizer_alignment), &c->ds, &c->align);
    np_rs rs;
    np_rs_seed(&rs, (uint32_t)cfg->ds.seed);
    double *ts = NULL;
    bool trace = replays_trace(cfg, &c->ds);
    if (trace) {
        ts = sb_xmalloc(c->ds.n * sizeof *ts);
        for (size_t i = 0; i < c->ds.n; i++)
            ts[i] = c->ds.reqs[i].timestamp_s;
    }
    sched_opts so = sched_opts_of(cfg);
    /* --multi-turn: one send time per conversation, or per turn */
    size_t plan_n =
        cfg->ds.multi_turn ? sess_plan_size(&c->ds, multi_turn_counts_turns(cfg)) : c->ds.n;
    rc = sched_plan_build(&so, plan_n, &rs, ts, &c->plan, err);
    free(ts);
    if (rc != 0)
        return -1;
    c->have_plan = true;
    /* forced by the reference for these datasets (2.5) */
    bool random_ds = !strcmp(cfg->ds.name, "random") || !strcmp(cfg->ds.name, "random-mm") ||
                     !strcmp(cfg->ds.name, "timed_trace");
    bool ignore_eos = cfg->ignore_eos || (random_ds && c->be->openai_compat);
    if (bk_params_init(&c->bp, c->be, run_bk_opts(cfg, &(bk_opts){0}), name, ignore_eos, err) != 0)
        return -1;
    c->have_bp = true;
    if (cfg->ds.multi_turn && start_sessions(c, err) != 0)
        return -1;
    if (isnan(cfg->temperature) && c->be->openai_compat)
        printf("WARNING: vllm bench serve no longer sets temperature==0 (greedy) in requests by "
               "default. The default will be determined on the server side and can be "
               "model/API specific. For the old behavior, include --temperature=0.\n");
    sb_arena_init(&c->bodies, 0);
    c->reqs = sb_xcalloc(c->ds.n ? c->ds.n : 1, sizeof *c->reqs);
    run_lora lora = {.names = cfg->lora_modules,
                     .n = cfg->n_lora_modules,
                     .round_robin = !strcmp(cfg->lora_assignment, "round-robin")};
    if (!c->prefix) /* start_sessions may have chosen it */
        c->prefix =
            cfg->ds.request_id_prefix ? sb_xstrdup(cfg->ds.request_id_prefix) : run_random_prefix();
    run_build_bodies(&c->bp, &c->ds, &lora, c->prefix, &c->bodies, c->reqs);
    if (run_structured_attach(c->be, &c->ds, &c->structured, err) != 0) {
        c->usage_error = true; /* a schema the chosen backend cannot send */
        return -1;
    }
    if (cfg->probe_request_rate > 0)
        c->probe_body = probe_body(&c->bp);
    if (run_fingerprint(c->reqs, c->plan.offset_ns, c->ds.n, c->fingerprint, err) != 0)
        return -1;
    return 0;
}

/* tqdm-like: done/total, percentage, rate, elapsed and ETA, on stderr; in an
 * MPI run (v set) the sums over the ranks and their live TTFT percentiles.
 * end: the last line (a newline follows). */
static void progress_print(const run_ctx *c, size_t done, size_t total, const run_live *v, bool end)
{
    double el = (double)(sb_now_ns() - c->rs->bench_start_ns) / 1e9;
    double rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 && done < total ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\r%3.0f%% %zu/%zu [%02d:%02d<%02d:%02d, %.2f it/s",
            total ? 100.0 * (double)done / (double)total : 100.0, done, total, (int)(el / 60),
            (int)el % 60, (int)(eta / 60), (int)eta % 60, rate);
    if (v && isfinite(v->ttft_p50_ms))
        fprintf(stderr, ", TTFT p50 %.1f ms p99 %.1f ms", v->ttft_p50_ms, v->ttft_p99_ms);
    if (v)
        fprintf(stderr, ", %d ranks", c->sh.size);
    fputs("]   ", stderr);
    if (end)
        fputc('\n', stderr);
    fflush(stderr);
}

static void progress(void *ud, size_t done, size_t total)
{
    run_ctx *c = ud;
    if (!c->rs)
        return;
    if (c->sh.on) { /* every rank takes part in the live sums; rank 0 shows them */
        if (run_shard_live(&c->sh) && c->progress_tty)
            progress_print(c, c->sh.view.finished, c->ds.n, &c->sh.view, false);
        return;
    }
    if (c->progress_tty)
        progress_print(c, done, total, NULL, done == total);
}

static loop_opts base_loop_opts(run_ctx *c)
{
    loop_opts o = {.url = c->tgt.url,
                   .headers = c->tgt.headers,
                   .id_prefix = c->prefix,
                   .max_concurrency = c->cfg->max_concurrency,
                   .mode = c->be->mode,
                   .keep_text = c->cfg->save_detailed,
                   .grace_s = c->cfg->grace_s,
                   .ignore_eos = c->bp.ignore_eos};
    return o;
}

/* The first request without an id, retried every 5 s until success or the
 * timeout (reference step 3). */
static int ready_check(run_ctx *c)
{
    printf("Starting initial single prompt test run...\n");
    double limit = c->cfg->ready_check_timeout_s;
    if (!(limit > 0)) {
        printf("Skipping endpoint ready check.\n");
        return 0;
    }
    printf("Waiting for endpoint to become up in %g seconds\n", limit);
    loop_opts o = base_loop_opts(c);
    loop_req r0 = {c->reqs[0].body, c->reqs[0].body_len, -1, NULL};
    uint64_t end = sb_now_ns() + (uint64_t)(limit * 1e9);
    for (;;) {
        rec_store *one = rec_store_new(1);
        one->recs[0].output_len = c->ds.reqs[0].output_len;
        loop_one(c->e, &o, &r0, one);
        bool ok = one->recs[0].success;
        char *msg = NULL;
        if (one->recs[0].error) { /* a server's body may be in it: escaped */
            sb_buf e;
            sb_buf_init(&e);
            report_put_text(&e, one->recs[0].error);
            msg = sb_buf_steal(&e);
        }
        if (!ok)
            printf("Endpoint is not ready. Error='%s'\n", msg ? msg : "");
        rec_store_free(one);
        if (ok) {
            free(msg);
            printf("Initial test run completed.\n");
            return 0;
        }
        uint64_t now = sb_now_ns();
        if (now >= end || run_stop) {
            fprintf(stderr,
                    "ValueError: Initial test run failed - Please make sure benchmark "
                    "arguments are correctly specified. Error: %s\n",
                    msg ? msg : "");
            free(msg);
            return -1;
        }
        free(msg);
        uint64_t next = now + 5 * SB_NS_PER_S;
        sb_sleep_until_ns(next < end ? next : end);
    }
}

static void warmups(run_ctx *c)
{
    long n = c->cfg->num_warmups;
    if (n <= 0 || c->ds.n == 0)
        return;
    printf("Warming up with %ld requests...\n", n);
    loop_req *w = sb_xcalloc((size_t)n, sizeof *w);
    for (long i = 0; i < n; i++)
        w[i] = (loop_req){c->reqs[0].body, c->reqs[0].body_len, -1, NULL};
    rec_store *rs = rec_store_new((size_t)n);
    for (long i = 0; i < n; i++)
        rs->recs[i].output_len = c->ds.reqs[0].output_len;
    loop_opts o = base_loop_opts(c);
    loop_stats st;
    sb_err err;
    if (loop_run(c->e, &o, w, NULL, (size_t)n, rs, &st, &err) != 0)
        fprintf(stderr, "warm-up: %s\n", err.msg);
    rec_store_free(rs);
    free(w);
    printf("Warmup run completed.\n");
}

static void profile_call(run_ctx *c, const char *path, const char *before, const char *after)
{
    printf("%s\n", before);
    sb_buf url, body;
    sb_buf_init(&url);
    sb_buf_init(&body);
    sb_buf_printf(&url, "%s%s", c->tgt.base, path);
    sb_err err;
    int st = eng_fetch(c->e, "POST", url.data, c->tgt.headers, "{}", &body, 60.0, &err);
    if (st == 200)
        printf("%s\n", after);
    else if (st < 0)
        fprintf(stderr, "%s\n", err.msg);
    sb_buf_free(&url);
    sb_buf_free(&body);
}

static void print_load_shape(const sb_config *cfg, bool self_timed)
{
    char f[64];
    if (self_timed) {
        printf("Self timing is set, using the timestamps from the trace file.\n");
    } else if (cfg->ramp_up != SB_RAMP_NONE) {
        printf("Traffic ramp-up strategy: %s.\n",
               cfg->ramp_up == SB_RAMP_LINEAR ? "linear" : "exponential");
        printf("Will increase RPS from %g to %g RPS over the duration of the benchmark.\n",
               cfg->ramp_up_start_rps, cfg->ramp_up_end_rps);
    } else {
        printf("Traffic request rate: %s\n", py_float_repr(f, sizeof f, cfg->request_rate));
    }
    if (!self_timed)
        printf("Burstiness factor: %s (%s)\n", py_float_repr(f, sizeof f, cfg->burstiness),
               cfg->burstiness == 1.0 ? "Poisson process" : "Gamma distribution");
    if (cfg->max_concurrency > 0)
        printf("Maximum request concurrency: %ld\n", cfg->max_concurrency);
    else
        printf("Maximum request concurrency: None\n");
}

static long count_tokens(void *ctx, const char *text, size_t len)
{
    tok_ids ids;
    tok_ids_init(&ids);
    long n = tok_encode(ctx, text, len, false, &ids, NULL) == 0 ? (long)ids.n : -1;
    tok_ids_free(&ids);
    return n;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* Client health per event loop (--num-workers > 1): each loop's CPU and worst
 * send lag on stderr, and a warning for a loop that was busy nearly all the
 * time (its sends and receive stamps may then be late). */
static void report_workers(const loop_stats *st, double wall)
{
    if (st->workers < 2 || !(wall > 0))
        return;
    for (size_t k = 0; k < st->workers; k++) {
        double pct = 100.0 * st->worker_cpu_s[k] / wall;
        fprintf(stderr, "event loop %zu: CPU %.1f%% of one core, worst send lag %.3f ms\n", k + 1,
                pct, (double)st->worker_lag_ns[k] / 1e6);
        if (pct >= 90.0)
            fprintf(stderr,
                    "WARNING: event loop %zu was saturated (CPU %.0f%% of the run): its "
                    "requests may have been sent late and its tokens stamped late\n",
                    k + 1, pct);
    }
}

/* --num-workers auto: one event loop keeps up with a few hundred streams
 * (bench/engine.md (a): ~1.7 M token events/s per core), so a loop is added
 * per 512 streams expected in flight, up to the cores this process may use
 * less one (the progress thread, the kernel's network work, often the server
 * itself) and less one more for an in-process --sim. Streams expected:
 * --max-concurrency; else every request for --request-rate inf; else ten
 * seconds of arrivals. Under MPI each rank keeps one loop: ranks share the
 * machine's cores already. On the 2-core development machine this is 1. */
static long auto_workers(const sb_config *cfg, size_t n, bool mpi)
{
    cpu_set_t set;
    long cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    long free_cores = cpus - 1 - (cfg->sim ? 1 : 0);
    double streams = cfg->max_concurrency > 0   ? (double)cfg->max_concurrency
                     : isinf(cfg->request_rate) ? (double)n
                                                : cfg->request_rate * 10.0;
    if (streams > (double)n)
        streams = (double)n;
    long w = (long)(streams / 512.0);
    if (w > free_cores)
        w = free_cores;
    if (w > SB_MAX_WORKERS)
        w = SB_MAX_WORKERS;
    return mpi || w < 1 ? 1 : w;
}

/* Kept generated texts past RUN_TEXT_HOLD bytes go to a temporary file
 * (record.h: rec_store_spill_setup): in the result directory when the result
 * is saved (the disk the user chose for gigabytes of --save-detailed
 * output; /tmp may be a RAM file system), else in $TMPDIR or /tmp. Not with
 * MPI: a rank packs its records from memory and rank 0 holds every pack.
 * SB_TEXT_SPILL_AT (bytes) moves the threshold, for tests and for machines
 * with little memory. */
#define RUN_TEXT_HOLD ((size_t)64 << 20)
static int run_text_spill(run_ctx *c, sb_err *err)
{
    size_t hold = RUN_TEXT_HOLD;
    const char *env = getenv("SB_TEXT_SPILL_AT");
    if (env && *env) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(env, &end, 10);
        if (errno || *end || *env == '-' || v > SIZE_MAX)
            return sb_err_set(err, "SB_TEXT_SPILL_AT=%s: want a number of bytes", env);
        hold = (size_t)v;
    }
    const char *dir = getenv("TMPDIR");
    if (c->cfg->save_result || c->cfg->append_result)
        dir = c->cfg->result_dir && *c->cfg->result_dir ? c->cfg->result_dir : ".";
    else if (!dir || !*dir)
        dir = "/tmp";
    rec_store_spill_setup(c->rs, dir, hold);
    return 0;
}

static int timed_run(run_ctx *c, loop_stats *st, double *cpu_pct, sb_err *err)
{
    size_t n = c->ds.n;
    const loop_req *reqs = c->reqs;
    const uint64_t *offs = c->plan.offset_ns;
    if (mpir_dump_schedule(offs, n, c->sh.rank, c->sh.size, err) != 0)
        return sb_err_prefix(err, "test hook: ");
    if (c->sh.on && c->structured.by_req) /* the ranks' records do not carry the verdicts */
        return sb_err_set(err, "structured output (--json-schema-path, \"json_schema\" rows) under "
                               "MPI is not supported yet");
    if (c->sh.on) { /* this rank's shard, at the single-process times */
        run_shard_take(&c->sh, c->reqs, offs, n);
        n = c->sh.n, reqs = c->sh.reqs, offs = c->sh.offset_ns;
    }
    if (c->sess) /* the feed sets each turn's lengths when it sends it */
        n = sess_turns(c->sess);
    c->rs = rec_store_new(n);
    if (eng_options(c->e)->rx_kernel)
        c->rs->krx = krx_new(n);
    if (!c->sh.on && run_text_spill(c, err) != 0)
        return -1;
    for (size_t j = 0; !c->sess && j < n; j++) {
        size_t i = c->sh.on ? c->sh.gidx[j] : j;
        c->rs->recs[j].prompt_len = c->ds.reqs[i].prompt_len;
        c->rs->recs[j].output_len = c->ds.reqs[i].output_len;
        c->rs->recs[j].input_audio_s = c->ds.reqs[i].audio_duration_s;
    }
    run_scrape_spec(c->e, &c->tgt, &c->spec_before);
    loop_opts o = base_loop_opts(c);
    o.preconnect = c->cfg->preconnect;
    o.schemas = c->structured.by_req;
    o.num_workers =
        c->cfg->num_workers > 0 ? c->cfg->num_workers : auto_workers(c->cfg, n, c->sh.on);
    if (c->sh.on)
        o.max_concurrency = c->sh.max_conc = mpir_share(o.max_concurrency, c->sh.rank, c->sh.size);
    o.stop = &run_stop;
    if (c->sess)
        o.feed = sess_feed(c->sess, c->rs, &c->plan);
    o.progress = progress;
    o.progress_ud = c;
    if (c->sh.on) {
        c->sh.stop = &run_stop;
        c->sh.kill_after_s = mpir_kill_after_s();
    }
    o.grace_s = c->grace_s = run_shard_grace(&c->sh, c->cfg->grace_s);
    if (c->sh.live_on) {
        o.on_done = run_shard_on_done;
        o.on_done_ud = &c->sh;
    }
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old);
    if (c->sh.on) { /* until the merged result is written (cleanup restores them) */
        struct sigaction ms = {0};
        ms.sa_handler = on_mpi_signal;
        for (int k = 0; k < RUN_MPI_SIGNALS; k++)
            sigaction(run_mpi_signals[k], &ms, &c->old_mpi_sig[k]);
        c->mpi_sig_set = true;
    }
    uint64_t t0 = 0;
    if (c->sh.on && run_shard_start(&c->sh, &t0, err) != 0) {
        sigaction(SIGINT, &old, NULL);
        return sb_err_prefix(err, "synchronised start: ");
    }
    double cpu0 = cpu_s();
    run_probe *probe = NULL;
    if (c->probe_body && c->sh.rank == 0) { /* one probe stream per run, not per rank */
        sb_err perr;
        double timeout =
            c->cfg->request_timeout_s > 0 ? c->cfg->request_timeout_s : c->cfg->stall_timeout_s;
        probe = run_probe_start(c->e, c->tgt.url, c->tgt.headers, c->probe_body,
                                c->cfg->probe_request_rate, timeout, &perr);
        if (!probe)
            fprintf(stderr, "servebench serve: %s; the run goes on without probes\n", perr.msg);
    }
    if (c->sh.rank == 0) /* rank 0 scrapes for all */
        run_tm_start(&c->tm, c->cfg, c->e, &c->tgt);
    o.start_at_ns = t0; /* 0: when the preparation is done; else rank 0's instant */
    sched_plan shard = {.offset_ns = (uint64_t *)offs, .n = n};
    int rc = loop_run(c->e, &o, reqs, c->sh.on ? &shard : &c->plan, n, c->rs, st, err);
    if (rc == 0 && c->sess)
        sess_finish(c->sess, c->rs);
    /* On every rank, even after a failed start; then the sums once every
     * rank is done. */
    run_shard_live_end(&c->sh);
    if (c->sh.live_on && c->progress_tty)
        progress_print(c, c->sh.view.finished, c->ds.n, &c->sh.view, true);
    run_tm_stop(&c->tm, c->rs->bench_start_ns, c->rs->bench_end_ns);
    if (rec_store_spill_error(c->rs))
        fprintf(stderr, "servebench serve: %s; the texts after it were held in memory\n",
                rec_store_spill_error(c->rs));
    if (probe)
        run_probe_stop(probe, &c->probe);
    if (rc != 0) {
        sigaction(SIGINT, &old, NULL);
        return -1;
    }
    if (c->pt) {
        c->pt->timed_start_ns = c->rs->bench_start_ns;
        c->pt->timed_end_ns = c->rs->bench_end_ns;
        c->pt->interrupted = st->interrupted;
    }
    double wall = (double)(c->rs->bench_end_ns - c->rs->bench_start_ns) / 1e9;
    *cpu_pct = wall > 0 ? 100.0 * (cpu_s() - cpu0) / wall : NAN;
    report_workers(st, wall);
    sigaction(SIGINT, &old, NULL);
    run_scrape_spec(c->e, &c->tgt, &c->spec_after);
    if (c->sh.on && run_shard_merge(&c->sh, &c->rs, st, cpu_pct, c->ds.n, err) != 0)
        return sb_err_prefix(err, "merging the ranks' records: ");
    return 0;
}

/* num_input_sequences summed over the successes, as vLLM counts a pooling
 * request's inputs: each text of a batch, each document of a rerank request
 * (texts[0] is its query), else one. */
static long input_sequences(const run_ctx *c)
{
    bool rerank = !strcmp(c->be->name, "vllm-rerank");
    long total = 0;
    for (size_t i = 0; i < c->ds.n && i < c->rs->n; i++) {
        if (!c->rs->recs[i].success)
            continue;
        uint32_t k = c->ds.reqs[i].forms.n_texts;
        total += k == 0 ? 1 : rerank && k > 1 ? (long)k - 1 : (long)k;
    }
    return total;
}

/* A sweep's steady-state window: drops the ramp-up and drain requests from
 * the store before the metrics (window.h) and says what counted. */
static int trim_window(run_ctx *c, sb_err *err)
{
    run_point *p = c->pt;
    run_window_opts o = {p->warmup_s, p->cooldown_s, p->warmup_requests, p->cooldown_requests};
    if (!run_window_active(&o))
        return 0;
    run_window_info wi;
    if (run_window_apply(c->rs, &o, &wi, err) != 0)
        return -1;
    p->counted = wi.counted;
    p->excluded_head = wi.excluded_head;
    p->excluded_tail = wi.excluded_tail;
    p->window_s = wi.duration_s;
    printf("Steady-state window: %ld requests counted over %.3f s (%ld excluded at the start, "
           "%ld at the end)\n",
           wi.counted, wi.duration_s, wi.excluded_head, wi.excluded_tail);
    return 0;
}

static int report(run_ctx *c, const loop_stats *st, double cpu_pct)
{
    sb_config *cfg = c->cfg;
    if (st->interrupted)
        fprintf(stderr,
                "Interrupted: %zu of %zu requests were sent; %zu still running after "
                "%g s were cancelled. The results below are partial.\n",
                st->sent, c->sess ? sess_turns(c->sess) : c->ds.n, st->cancelled, c->grace_s);
    metrics_tok_cb cb = {count_tokens, c->tk};
    sb_metrics m;
    sb_err err;
    if (c->pt && trim_window(c, &err) != 0)
        return fail("steady-state window", &err);
    if (metrics_compute(c->rs, run_metrics_opts(cfg, &(metrics_opts){0}), c->tk ? &cb : NULL, &m,
                        &err) != 0)
        return fail("computing metrics", &err);
    specdec_delta(&c->spec_before, &c->spec_after, &m.spec);
    m.probe = c->probe;
    if (m.pooling)
        metrics_set_input_sequences(&m, input_sequences(c));
    if (m.completed == 0)
        fprintf(stderr, "UserWarning: All requests failed. This is likely due to a "
                        "misconfiguration on the benchmark arguments.\n");
    report_ctx rc = {.model_id = c->model_id,
                     .tokenizer_id = cfg->tokenizer ? cfg->tokenizer : c->model_root,
                     .fingerprint = c->fingerprint,
                     .client_cpu_pct = cpu_pct,
                     .finished = time(NULL),
                     .partial = st->interrupted,
                     .sent = st->sent,
                     .planned = c->sess ? sess_turns(c->sess) : c->ds.n,
                     .mpi_text = c->sh.text.data,
                     .mpi_json = c->sh.json.data};
    if (c->ds.trace.present)
        rc.trace = (report_trace){.present = true,
                                  .dataset = cfg->ds.name,
                                  .rows = c->ds.trace.rows_used,
                                  .rows_skipped = c->ds.trace.rows_skipped,
                                  .prompt_tokens = c->ds.trace.prompt_tokens,
                                  .shared_tokens = c->ds.trace.shared_tokens};
    sb_buf out, tm_json, tm_text;
    sb_buf_init(&out);
    sb_buf_init(&tm_json);
    sb_buf_init(&tm_text);
    report_opts ro;
    run_report_opts(cfg, &ro);
    run_tm_render(&c->tm, c->rs->bench_end_ns - c->rs->bench_start_ns, &tm_json, &tm_text);
    run_align_render(&c->align, &tm_json, &tm_text);
    if (c->sess)
        sess_render(c->sess, c->rs, &m, &tm_json, &tm_text);
    run_krx_render(c->rs, &m, &tm_json, &tm_text);
    rc.ours_json = tm_json.data;
    rc.extras_text = tm_text.data;
    report_failures(&out, c->rs);
    report_plot(&out, &m, 70, 12);
    report_block(&out, &ro, &m);
    report_extras(&out, &ro, &m, &rc);
    fputs(out.data ? out.data : "", stdout);
    fflush(stdout);
    sb_buf_free(&out);
    if (c->pt && c->pt->on_records) {
        run_records v = {.rs = c->rs, .m = &m, .sess = c->sess, .ds = &c->ds};
        c->pt->on_records(c->pt->ud, &v);
    }
    if (cfg->profile)
        profile_call(c, "/stop_profile", "Stopping profiler...", "Profiler stopped");
    /* An interrupted run must not look complete to a script: 130, as a
     * shell reports a command ended by SIGINT (docs/serve.md EXIT STATUS). */
    int status = st->interrupted    ? SB_EXIT_INTERRUPTED
                 : m.completed == 0 ? SB_EXIT_FAIL
                                    : SB_EXIT_OK;
    /* Like the reference (vllm/benchmarks/serve.py: main), the plots go next
     * to the result name whether or not the result is saved, and a plot that
     * cannot be written is a warning, not a failed run. */
    char *plot_path = NULL;
    if (cfg->plot_timeline) {
        if (report_save_timeline(&ro, c->rs, &rc, &plot_path, &err) == 0)
            printf("Timeline plot saved to: %s\n", plot_path);
        else
            fprintf(stderr, "UserWarning: Failed to generate timeline plot: %s\n", err.msg);
        free(plot_path);
        plot_path = NULL;
    }
    if (cfg->plot_dataset_stats) {
        if (report_save_dataset_stats(&ro, &m, c->rs, &rc, &plot_path, &err) == 0)
            printf("Dataset statistics plot saved to: %s\n", plot_path);
        else
            fprintf(stderr, "UserWarning: Failed to generate dataset statistics plot: %s\n",
                    err.msg);
        free(plot_path);
        chart_png_shutdown(); /* fonts loaded for the PNG, freed before exit */
    }
    if (cfg->save_result || cfg->append_result) {
        char *path = NULL;
        if (report_save(&ro, &m, c->rs, &rc, &path, &err) != 0)
            status = fail("saving the result", &err);
        if (c->pt && status == SB_EXIT_OK)
            c->pt->result_path = path;
        else
            free(path);
    }
    if (c->pt)
        c->pt->measured = true;
    metrics_free(&m);
    sb_buf_free(&tm_json);
    sb_buf_free(&tm_text);
    return status;
}

static void cleanup(run_ctx *c)
{
    for (int k = 0; c->mpi_sig_set && k < RUN_MPI_SIGNALS; k++)
        sigaction(run_mpi_signals[k], &c->old_mpi_sig[k], NULL);
    run_shard_free(&c->sh);
    sess_free(c->sess);
    rec_store_free(c->rs);
    free(c->reqs);
    run_structured_free(&c->structured);
    sb_arena_free(&c->bodies);
    if (c->have_bp)
        bk_params_free(&c->bp);
    if (c->have_plan)
        sched_plan_free(&c->plan);
    if (c->have_ds)
        dataset_free(&c->ds);
    /* The simulator counts prompt tokens with c->tk on its own thread: stop it first. */
    if (c->sim)
        sim_stop(c->sim);
    if (c->pt && !c->tk_borrowed && c->tk) {
        c->pt->tk = c->tk; /* handed to the sweep, which runs the next point with it */
        c->pt->tok_spec = c->tk_spec;
        c->tk_spec = NULL;
    } else if (!c->tk_borrowed) {
        tok_free(c->tk);
    }
    free(c->tk_spec);
    eng_free(c->e);
    run_target_free(&c->tgt);
    free(c->model_id);
    free(c->model_root);
    free(c->prefix);
    free(c->probe_body);
    run_tm_free(&c->tm);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int run_serve(sb_config *cfg)
{
    return run_serve_point(cfg, NULL);
}

int run_serve_point(sb_config *cfg, run_point *pt)
{
    run_ctx c;
    memset(&c, 0, sizeof c);
    sb_arena_init(&c.bodies, 0);
    c.cfg = cfg;
    c.pt = pt;
    if (pt && pt->tk) {
        c.tk = pt->tk;
        c.tk_borrowed = true;
    }
    c.sh = (run_shard){.on = mpir_active(),
                       .rank = mpir_rank(),
                       .size = mpir_size(),
                       .lead_s = 0.2,
                       .gather_timeout_s = cfg->mpi_gather_timeout_s};
    /* Under mpirun a rank's stderr is a pipe to mpirun, whatever mpirun's
     * own is: rank 0 shows the progress unless --disable-tqdm. */
    c.progress_tty = !cfg->disable_tqdm && c.sh.rank == 0 && (c.sh.on || isatty(STDERR_FILENO));
    c.sh.live_on = c.sh.on && !cfg->disable_tqdm;
    sb_err err;
    sb_err_clear(&err);
    raise_fd_limit();
    run_stop = 0;
    if (!(c.be = backend_find(cfg->backend))) {
        fprintf(stderr, "servebench serve: unknown backend '%s' (choose from %s)\n", cfg->backend,
                backend_names());
        return SB_EXIT_USAGE;
    }
    if (cfg->mpi && !c.sh.on) { /* only `servebench serve` enters MPI mode (serve_cmd.c) */
        fprintf(stderr, "servebench: --mpi is supported by `servebench serve` only\n");
        return SB_EXIT_USAGE;
    }
    if (!c.sh.on && cfg->mpi_gather_timeout_s != 60.0) { /* not silently ignored */
        fprintf(stderr, "servebench serve: --mpi-gather-timeout applies to MPI runs only "
                        "(mpirun, or --mpi)\n");
        return SB_EXIT_USAGE;
    }
    if (c.sh.on && cfg->ds.multi_turn) {
        fprintf(stderr, "servebench serve: --multi-turn under MPI is not supported yet (a "
                        "conversation's turns must stay on one rank)\n");
        return SB_EXIT_USAGE;
    }
    if (c.sh.size > 1 && cfg->sim) {
        fprintf(stderr, "servebench serve: --sim under MPI would start one simulator per rank; "
                        "start `servebench sim` once and point --base-url at it\n");
        return SB_EXIT_USAGE;
    }
    if (c.sh.size > 1 && cfg->max_concurrency > 0 && cfg->max_concurrency < c.sh.size) {
        fprintf(stderr,
                "servebench serve: --max-concurrency %ld is split across %d ranks: give "
                "at least one per rank\n",
                cfg->max_concurrency, c.sh.size);
        return SB_EXIT_USAGE;
    }
    int status = SB_EXIT_FAIL;
    loop_stats st;
    double cpu_pct = NAN;
    int prep = prepare(&c, &err);
    if (prep != 0) {
        status = fail("setup", &err);
        if (c.usage_error)
            status = SB_EXIT_USAGE;
    }
    bool all_ok = run_shard_agree(&c.sh, prep == 0); /* every rank, or none, goes on */
    if (prep != 0) {
        /* reported above */
    } else if (!all_ok) {
        fprintf(stderr, "servebench serve: rank %d: another rank failed its setup\n", c.sh.rank);
    } else if (pt && (memcpy(pt->fingerprint, c.fingerprint, RUN_FP_HEX),
                      /* a sweep across ranks: all skip or none (same fingerprint) */
                      !run_shard_agree(&c.sh, !(pt->skip && pt->skip(pt->ud, c.fingerprint))))) {
        pt->skipped = true;
        status = SB_EXIT_OK;
    } else if (!run_shard_agree(&c.sh, ready_check(&c) == 0)) {
        if (c.sh.on)
            fprintf(stderr, "servebench serve: rank %d: the ready check failed on a rank\n",
                    c.sh.rank);
    } else {
        if (c.sh.rank == 0) /* once, not once per rank */
            warmups(&c);
        printf("Starting main benchmark run...\n");
        if (cfg->profile)
            profile_call(&c, "/start_profile", "Starting profiler...", "Profiler started");
        print_load_shape(cfg, replays_trace(cfg, &c.ds));
        if (c.sess)
            printf("Multi-turn: %zu conversations, %zu turns; the request rate counts %s\n",
                   sess_conversations(c.sess), sess_turns(c.sess), cfg->multi_turn_rate);
        fflush(stdout);
        if (timed_run(&c, &st, &cpu_pct, &err) != 0)
            status = fail("setup", &err);
        else if (c.sh.rank != 0) /* rank 0 reports for all */
            status = st.interrupted ? SB_EXIT_INTERRUPTED : SB_EXIT_OK;
        else
            status = report(&c, &st, cpu_pct);
    }
    cleanup(&c);
    return status;
}
