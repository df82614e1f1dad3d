/* run_prep.h - what run_serve prepares before the timed run: target URLs,
 * shared headers, the model name, request bodies. Internal to src/run. */
#ifndef SB_RUN_PREP_H
#define SB_RUN_PREP_H

#include <curl/curl.h>

#include "backend/backend.h"
#include "config/config.h"
#include "core/arena.h"
#include "core/err.h"
#include "dataset/dataset.h"
#include "http/engine.h"
#include "metrics/specdec.h"
#include "run/loop.h"

typedef struct run_target {
    char *base;        /* server base: --base-url, or http://host:port */
    char *url;         /* base + endpoint */
    struct curl_slist *headers;
} run_target;

/* Base and API URL as the reference builds them (plain concatenation; IPv6
 * hosts bracketed). */
void run_target_init(run_target *t, const sb_config *cfg, const char *sim_base);
/* Content-Type (content_type: backend_content_type) and Authorization,
 * overridden by --header pairs (3.2), plus "Expect:" so curl never waits for
 * a 100-continue. */
void run_target_headers(run_target *t, const sb_config *cfg, const char *content_type);
void run_target_free(run_target *t);

/* GET {base}/v1/models: data[0].id and data[0].root (malloc'd). */
int run_fetch_model(eng *e, const run_target *t, char **id, char **root, sb_err *err);

/* GET {base}/metrics and parse the spec-decode counters; out->found is
 * false when the server has no /metrics or no counters (scrape.c). */
void run_scrape_spec(eng *e, const run_target *t, specdec_counts *out);

/* "bench-" + 8 random hex digits + "-" (malloc'd). */
char *run_random_prefix(void);

/* Builds one body per request into arena memory. */
void run_build_bodies(const bk_params *p, const sb_dataset *ds, sb_arena *a, loop_req *out);

#endif
