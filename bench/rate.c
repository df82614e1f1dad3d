/* SPDX-License-Identifier: Apache-2.0 */
/* rate.c - achieved vs requested request rate, and send lateness.
 *
 * Usage: bench_rate [rate=1000] [seconds=2] [burstiness=inf]
 * The in-process simulator answers every request with 2 tokens (1 ms TTFT,
 * 1 ms ITL); the schedule comes from sched_plan_build like a real run
 * (constant spacing for burstiness inf, gamma gaps otherwise). Prints the
 * achieved rate (sent / span of start times) and the lateness of each send
 * (start - intended). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "backend/backend.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/rng.h"
#include "http/engine.h"
#include "run/loop.h"
#include "sched/sched.h"
#include "sim/sim.h"
#include "run/run.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    double rate = argc > 1 ? atof(argv[1]) : 1000;
    double secs = argc > 2 ? atof(argv[2]) : 2;
    double burst = argc > 3 ? atof(argv[3]) : INFINITY;
    size_t n = (size_t)(rate * secs);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    char *sargv[] = {"sim", "--port",         "0",      "--quiet", "--ttft-ms", "1", "--itl-ms",
                     "1",   "--max-num-seqs", "100000", NULL};
    sb_err err;
    sim_server *sim = sim_start(10, sargv, &err);
    if (!sim) {
        fprintf(stderr, "sim: %s\n", err.msg);
        return 1;
    }
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.request_rate = rate;
    cfg.burstiness = burst;
    np_rs rs0;
    np_rs_seed(&rs0, 0);
    sched_plan plan;
    sched_opts so = {.request_rate = rate, .burstiness = burst, .ramp_up = SCHED_RAMP_NONE};
    if (sched_plan_build(&so, n, &rs0, NULL, &plan, &err) != 0) {
        fprintf(stderr, "sched: %s\n", err.msg);
        return 1;
    }
    bk_params bp;
    bk_params_init(&bp, backend_find("openai"), run_bk_opts(&cfg, &(bk_opts){0}), "sim", true,
                   &err);
    pyjson_obj o;
    pyjson_obj_init(&o);
    sb_buf b;
    sb_buf_init(&b);
    bk_req r = {.prompt = "hi", .prompt_bytes = 2, .prompt_len = 1, .output_len = 2};
    bk_build_body(&bp, &r, &o, &b);
    loop_req *reqs = calloc(n, sizeof *reqs);
    for (size_t i = 0; i < n; i++)
        reqs[i] = (loop_req){b.data, b.len, (long)i, NULL};
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/completions", sim_port(sim));
    eng_opts eo = {0};
    eng *e = eng_new(&eo, &err);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    loop_opts lo = {.url = url, .headers = h, .id_prefix = "r-", .mode = BK_MODE_COMPLETIONS};
    rec_store *st = rec_store_new(n);
    for (size_t i = 0; i < n; i++)
        st->recs[i].output_len = 2;
    loop_stats ls;
    st->bench_start_ns = sb_now_ns();
    if (loop_run(e, &lo, reqs, &plan, n, st, &ls, &err) != 0)
        return 1;
    double *lag = malloc(n * sizeof *lag);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        lag[i] = ((double)st->recs[i].start_ns - (double)st->recs[i].intended_ns) / 1e6;
        ok += st->recs[i].success;
    }
    double span = (double)(st->recs[n - 1].start_ns - st->recs[0].start_ns) / 1e9;
    double want_span = (double)(plan.offset_ns[n - 1] - plan.offset_ns[0]) / 1e9;
    qsort(lag, n, sizeof *lag, cmp);
    printf("rate: requested %.0f req/s (burstiness %g), %zu requests, %zu ok, %zu connections: "
           "achieved %.1f req/s (schedule %.1f), send lag p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
           rate, burst, n, ok, ls.slots, (double)(n - 1) / span, (double)(n - 1) / want_span,
           lag[n / 2], lag[(size_t)((double)(n - 1) * 0.99)], lag[n - 1]);
    sim_stop(sim);
    return 0;
}
