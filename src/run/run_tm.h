/* SPDX-License-Identifier: Apache-2.0 */
/* run_tm.h - the run's telemetry: the server's Prometheus metrics and a DCGM
 * exporter scraped during the timed run (src/telemetry), rendered for the
 * result JSON and the additions block. */
#ifndef SB_RUN_TM_H
#define SB_RUN_TM_H

#include "config/config.h"
#include "core/buf.h"
#include "http/engine.h"
#include "run/run_prep.h"
#include "telemetry/telemetry.h"

typedef struct run_tm {
    tm_scraper *server_sc, *gpu_sc;
    tm_series server, gpu;
    bool have_server, have_gpu;
} run_tm;

/* Starts the scrapers cfg asks for (the server's /metrics by default). */
void run_tm_start(run_tm *t, const sb_config *cfg, const eng *e, const run_target *tgt);
/* Takes the last scrapes and stops; origin_ns is the benchmark's start. */
void run_tm_stop(run_tm *t, uint64_t origin_ns, uint64_t end_ns);
/* `"server_metrics": {...}, "gpu_metrics": {...}` (or "") and the block
 * sections, appended. */
void run_tm_render(const run_tm *t, uint64_t duration_ns, sb_buf *json, sb_buf *text);
void run_tm_free(run_tm *t);

#endif
