/* SPDX-License-Identifier: Apache-2.0 */
/* fidelity.c - TTFT/ITL/E2EL error against the simulator's ground truth at
 * high concurrency.
 *
 * Usage: bench_fidelity [streams=100] [tokens=32] [itl_ms=5] [ttft_ms=20] [recv_buf=0]
 * The in-process simulator records each chunk's emission time
 * (CLOCK_MONOTONIC, just before the kernel hand-over); the engine stamps each
 * received piece with the same clock. Prints the distribution of
 * |client - server| over every TTFT end, ITL gap and E2EL end, plus the
 * schedule figures (requests all due at time 0, one connection each). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backend/backend.h"
#include "config/config.h"
#include "core/clock.h"
#include "http/engine.h"
#include "run/loop.h"
#include "sim/sim.h"
#include "run/run.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double u64(json_t *a, size_t i)
{
    return (double)json_integer_value(json_array_get(a, i));
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    int tokens = argc > 2 ? atoi(argv[2]) : 32;
    const char *itl = argc > 3 ? argv[3] : "5";
    const char *ttft = argc > 4 ? argv[4] : "20";
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    char rec[] = "/tmp/sb_fidb_XXXXXX";
    close(mkstemp(rec));
    char nseq[16];
    snprintf(nseq, sizeof nseq, "%d", n);
    char *sargv[] = {"sim",        "--port",   "0",         "--quiet",        "--ttft-ms",
                     (char *)ttft, "--itl-ms", (char *)itl, "--max-num-seqs", nseq,
                     "--record",   rec,        NULL};
    sb_err err;
    sim_server *sim = sim_start(12, sargv, &err);
    if (!sim) {
        fprintf(stderr, "sim: %s\n", err.msg);
        return 1;
    }
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/completions", sim_port(sim));
    sb_config cfg;
    sb_config_defaults(&cfg);
    bk_params bp;
    bk_params_init(&bp, backend_find("openai"), run_bk_opts(&cfg, &(bk_opts){0}), "sim", true,
                   &err);
    pyjson_obj o;
    pyjson_obj_init(&o);
    sb_buf b;
    sb_buf_init(&b);
    bk_req r = {.prompt = "hello world", .prompt_bytes = 11, .prompt_len = 2, .output_len = tokens};
    bk_build_body(&bp, &r, &o, &b);
    loop_req *reqs = calloc((size_t)n, sizeof *reqs);
    for (int i = 0; i < n; i++)
        reqs[i] = (loop_req){b.data, b.len, i, NULL};
    eng_opts eo = {.recv_buffer_bytes = argc > 5 ? atol(argv[5]) : 0};
    eng *e = eng_new(&eo, &err);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    loop_opts lo = {.url = url, .headers = h, .id_prefix = "f-", .mode = BK_MODE_COMPLETIONS};
    rec_store *rs = rec_store_new((size_t)n);
    for (int i = 0; i < n; i++)
        rs->recs[i].output_len = tokens;
    loop_stats st;
    rs->bench_start_ns = sb_now_ns();
    if (loop_run(e, &lo, reqs, NULL, (size_t)n, rs, &st, &err) != 0)
        return 1;
    sim_stop(sim);

    double *errs = malloc(sizeof *errs * (size_t)n * (size_t)(tokens + 1));
    size_t ne = 0;
    long ok = 0;
    FILE *f = fopen(rec, "r");
    char *line = NULL;
    size_t cap = 0;
    while (f && getline(&line, &cap, f) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        const char *id = json_string_value(json_object_get(j, "request_id"));
        int i = id ? atoi(id + 2) : -1;
        if (i < 0 || i >= n || !rs->recs[i].success) {
            json_decref(j);
            continue;
        }
        sb_record *q = &rs->recs[i];
        ok++;
        json_t *em = json_object_get(j, "emit_ns");
        double t0 = (double)(rs->bench_start_ns + q->start_ns);
        errs[ne++] = t0 + (double)q->ttft_ns - u64(em, 0);
        for (uint32_t k = 0; k < q->n_itl; k++) {
            double g = (double)rec_store_itl_ns(rs, (size_t)i, k) - (u64(em, k + 1) - u64(em, k));
            errs[ne++] = g < 0 ? -g : g;
        }
        errs[ne++] = t0 + (double)q->latency_ns - u64(em, (size_t)q->n_chunks - 1);
        json_decref(j);
    }
    if (f)
        fclose(f);
    unlink(rec);
    qsort(errs, ne, sizeof *errs, cmp);
    printf("fidelity: %d streams x %d tokens, itl %s ms: %ld ok, %zu samples: |client - server| "
           "p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms\n",
           n, tokens, itl, ok, ne, errs[ne / 2] / 1e6,
           errs[(size_t)((double)(ne - 1) * 0.99)] / 1e6,
           errs[(size_t)((double)(ne - 1) * 0.999)] / 1e6, errs[ne - 1] / 1e6);
    size_t per = 0;
    for (size_t s = 0; s < st.slots; s++)
        per++;
    printf("memory: %zu in-flight slots for %d streams\n", per, n);
    return 0;
}
