/* SPDX-License-Identifier: Apache-2.0 */
/* metrics_json.c - how fast the --save-detailed result JSON is rendered.
 *
 * With --save-detailed the file holds every ITL gap as a Python float repr,
 * so a long run writes hundreds of millions of numbers. This times
 * report_json on a synthetic run (N requests x T token messages) against the
 * floor of copying the same number of bytes, and writes the ITL arrays for
 * bench/metrics_json.py, the peer (Python's json.dumps, which the reference
 * uses), to time on the same values.
 *
 * usage: bench_metrics_json [N [T [DIR]]]   (default 20000 256) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/clock.h"
#include "metrics/metrics.h"
#include "report/report.h"
#include "run/run.h"

static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
    uint32_t t = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 256;
    rec_store *s = rec_store_new(n);
    uint64_t seed = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        sb_record *r = &s->recs[i];
        rec_store_begin(s, i, t);
        r->start_ns = i * 1000000 + xs(&seed) % 100000;
        r->ttft_ns = 20000000 + xs(&seed) % 80000000;
        for (uint32_t j = 0; j + 1 < t; j++)
            rec_store_push_itl(s, i, 5000000 + xs(&seed) % 10000000);
        r->latency_ns = r->ttft_ns + (uint64_t)(t - 1) * 10000000;
        r->output_tokens = (int32_t)t;
        r->success = r->done = true;
    }
    s->bench_end_ns = n * 1000000 + 10 * SB_NS_PER_S;
    if (argc > 3) {
        char path[4096];
        snprintf(path, sizeof path, "%s/itl.bin", argv[3]);
        FILE *f = fopen(path, "wb");
        for (size_t i = 0; f && i < n; i++)
            fwrite(s->recs[i].itl, 4, s->recs[i].n_itl, f);
        if (f)
            fclose(f);
    }
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.model = strdup("m");
    cfg.save_detailed = true;
    sb_metrics m;
    metrics_compute(s, run_metrics_opts(&cfg, &(metrics_opts){0}), NULL, &m, NULL);
    report_ctx ctx = {.finished = 0, .client_cpu_pct = -1};
    sb_buf b;
    sb_buf_init(&b);
    uint64_t t0 = sb_now_ns();
    report_json(&b, run_report_opts(&cfg, &(report_opts){0}), &m, s, &ctx);
    double ours = (double)(sb_now_ns() - t0) / 1e9;
    char *copy = malloc(b.len);
    memset(copy, 1, b.len); /* fault the pages in before timing */
    t0 = sb_now_ns();
    memcpy(copy, b.data, b.len);
    double floor_s = (double)(sb_now_ns() - t0) / 1e9;
    printf("%zu requests x %u messages: %zu bytes of JSON\n", n, t, b.len);
    printf("copy of the bytes (floor) %.4f s   report_json %.3f s   ratio %.0f   %.1f MB/s\n",
           floor_s, ours, ours / floor_s, b.len / ours / 1e6);
    int first = copy[0]; /* keeps the copy observable */
    free(copy);
    sb_buf_free(&b);
    metrics_free(&m);
    sb_config_free(&cfg);
    rec_store_free(s);
    return first == '{' ? 0 : 1;
}
