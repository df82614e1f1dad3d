/* SPDX-License-Identifier: Apache-2.0 */
/* run_tm.c - the run's telemetry (run_tm.h). With no flag the server's
 * /metrics is tried: a server without one is normal (quietly off, as the
 * spec-decode scrape treats it); an explicit --server-metrics or
 * --server-metrics-url reports a failing endpoint once and records gaps. */
#include "run/run_tm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

static tm_scraper *start_one(const eng *e, const char *url, const run_target *tgt, double every,
                             bool quiet, const char *what)
{
    tm_scraper_opts o = {.e = e,
                         .url = url,
                         .headers = tgt->headers,
                         .interval_s = every,
                         .origin_ns = sb_now_ns(),
                         .quiet_if_absent = quiet,
                         .what = what};
    sb_err err;
    tm_scraper *sc = tm_scraper_start(&o, &err);
    if (!sc)
        fprintf(stderr, "servebench serve: %s; the run goes on without it\n", err.msg);
    return sc;
}

void run_tm_start(run_tm *t, const sb_config *cfg, const eng *e, const run_target *tgt)
{
    memset(t, 0, sizeof *t);
    bool explicit_on = cfg->server_metrics == 1 || cfg->server_metrics_url;
    if (cfg->server_metrics != 0) {
        sb_buf url;
        sb_buf_init(&url);
        if (cfg->server_metrics_url)
            sb_buf_puts(&url, cfg->server_metrics_url);
        else
            sb_buf_printf(&url, "%s/metrics", tgt->base);
        t->server_sc = start_one(e, url.data, tgt, cfg->server_metrics_interval_s, !explicit_on,
                                 "server metrics");
        sb_buf_free(&url);
    }
    if (cfg->gpu_metrics_url)
        t->gpu_sc = start_one(e, cfg->gpu_metrics_url, tgt, cfg->server_metrics_interval_s, false,
                              "GPU metrics");
}

static void stop_one(tm_scraper *sc, uint64_t origin, tm_series *s, bool *have)
{
    if (!sc)
        return;
    tm_scraper_set_origin(sc, origin);
    bool absent;
    tm_scraper_stop(sc, s, &absent);
    *have = !absent;
}

void run_tm_stop(run_tm *t, uint64_t origin_ns, uint64_t end_ns)
{
    (void)end_ns;
    stop_one(t->server_sc, origin_ns, &t->server, &t->have_server);
    stop_one(t->gpu_sc, origin_ns, &t->gpu, &t->have_gpu);
    t->server_sc = t->gpu_sc = NULL;
}

void run_tm_render(const run_tm *t, uint64_t duration_ns, sb_buf *json, sb_buf *text)
{
    const struct {
        const tm_series *s;
        bool have;
        const char *key, *title;
    } parts[] = {
        {&t->server, t->have_server, "server_metrics", "Server metrics"},
        {&t->gpu, t->have_gpu, "gpu_metrics", "GPU metrics"},
    };
    for (size_t i = 0; i < 2; i++) {
        if (!parts[i].have)
            continue;
        tm_summary sum;
        tm_summarize(parts[i].s, (int64_t)duration_ns + (int64_t)(parts[i].s->interval_s * 2e9),
                     &sum);
        if (json->len)
            sb_buf_puts(json, ", ");
        tm_write_json(json, parts[i].key, parts[i].s, &sum);
        tm_write_block(text, parts[i].title, parts[i].s, &sum);
    }
}

void run_tm_free(run_tm *t)
{
    tm_series_free(&t->server);
    tm_series_free(&t->gpu);
}
