/* SPDX-License-Identifier: Apache-2.0 */
/* metrics.c - how fast metrics_compute aggregates a large run.
 *
 * Builds a synthetic rec_store (N requests x T token messages, deterministic
 * xorshift gaps), times metrics_compute with four percentiles and every
 * metric selected, and sets it against the physical limit on the same data:
 * one streaming pass that only sums every ITL gap (memory bandwidth bound; any
 * exact aggregation must read each gap at least once). With a directory
 * argument it also writes the same data as raw arrays for
 * bench/metrics_numpy.py, the peer computation (numpy), and prints our
 * figures so both outputs can be compared.
 *
 * usage: bench_metrics [N [T [DIR]]]   (default 200000 256) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/clock.h"
#include "metrics/metrics.h"
#include "run/run.h"

static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static rec_store *build(size_t n, uint32_t t)
{
    rec_store *s = rec_store_new(n);
    uint64_t seed = 88172645463325252ull, clock_ns = 0;
    for (size_t i = 0; i < n; i++) {
        sb_record *r = &s->recs[i];
        rec_store_begin(s, i, t);
        r->intended_ns = clock_ns;
        r->start_ns = clock_ns + xs(&seed) % 200000;
        clock_ns += 1000000; /* 1000 req/s */
        r->ttft_ns = 20000000 + xs(&seed) % 80000000;
        uint64_t sum = 0;
        for (uint32_t j = 0; j + 1 < t; j++) {
            uint64_t g = 5000000 + xs(&seed) % 10000000;
            rec_store_push_itl(s, i, g);
            sum += g;
        }
        r->latency_ns = r->ttft_ns + sum;
        r->output_tokens = (int32_t)t;
        r->prompt_len = 1024;
        r->n_chunks = (int32_t)t;
        r->success = r->done = true;
    }
    s->bench_end_ns = clock_ns + 10 * SB_NS_PER_S;
    return s;
}

static void dump(const rec_store *s, const char *dir)
{
    char path[4096];
    const char *names[] = {"ttft", "latency", "start", "itl", "itl_count"};
    FILE *f[5];
    for (int k = 0; k < 5; k++) {
        snprintf(path, sizeof path, "%s/%s.bin", dir, names[k]);
        f[k] = fopen(path, "wb");
        if (!f[k]) {
            perror(path);
            exit(1);
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        const sb_record *r = &s->recs[i];
        fwrite(&r->ttft_ns, 8, 1, f[0]);
        fwrite(&r->latency_ns, 8, 1, f[1]);
        fwrite(&r->start_ns, 8, 1, f[2]);
        fwrite(r->itl, 4, r->n_itl, f[3]);
        fwrite(&r->n_itl, 4, 1, f[4]);
    }
    for (int k = 0; k < 5; k++)
        fclose(f[k]);
    snprintf(path, sizeof path, "%s/duration.txt", dir);
    FILE *d = fopen(path, "w");
    fprintf(d, "%.17g\n", (double)(s->bench_end_ns - s->bench_start_ns) / 1e9);
    fclose(d);
}

/* The floor: read every gap once. */
static double stream_pass_s(const rec_store *s, uint64_t *sink)
{
    uint64_t t0 = sb_now_ns(), acc = 0;
    for (size_t i = 0; i < s->n; i++) {
        const uint32_t *g = s->recs[i].itl;
        for (uint32_t j = 0; j < s->recs[i].n_itl; j++)
            acc += g[j];
    }
    *sink = acc;
    return (double)(sb_now_ns() - t0) / 1e9;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
    uint32_t t = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 256;
    rec_store *s = build(n, t);
    if (argc > 3)
        dump(s, argv[3]);

    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.percentile_metrics = strdup("ttft,tpot,itl,e2el");
    double pcts[] = {50, 90, 99, 99.9};
    free(cfg.metric_percentiles);
    cfg.metric_percentiles = malloc(sizeof pcts);
    memcpy(cfg.metric_percentiles, pcts, sizeof pcts);
    cfg.n_metric_percentiles = 4;

    uint64_t sink;
    double floor_s = stream_pass_s(s, &sink);
    floor_s = stream_pass_s(s, &sink) < floor_s ? stream_pass_s(s, &sink) : floor_s;
    sb_metrics m;
    sb_err err;
    uint64_t t0 = sb_now_ns();
    if (metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double ours_s = (double)(sb_now_ns() - t0) / 1e9;
    printf("requests %zu, token messages per request %u, ITL gaps %" PRIu64 "\n", n, t,
           (uint64_t)n * (t - 1));
    printf("stream pass (floor) %.3f s   metrics_compute %.3f s   ratio %.2f  (sink %" PRIu64 ")\n",
           floor_s, ours_s, ours_s / floor_s, sink % 10);
    for (int k = 0; k <= SB_M_E2EL; k++) { /* the four the numpy peer computes */
        const metrics_stat *st = &m.stat[k];
        printf("%-5s mean %.6f median %.6f std %.6f p50 %.6f p90 %.6f p99 %.6f p99.9 %.6f\n",
               metrics_kind_name((sb_metric_kind)k), st->mean_ms, st->median_ms, st->std_ms,
               st->pct_ms[0], st->pct_ms[1], st->pct_ms[2], st->pct_ms[3]);
    }
    printf("peak output tok/s %.0f  peak concurrency %ld (exact %ld)\n", m.max_output_tokens_per_s,
           m.max_concurrent_requests, m.ext.max_concurrent_exact);
    metrics_free(&m);
    sb_config_free(&cfg);
    rec_store_free(s);
    return 0;
}
