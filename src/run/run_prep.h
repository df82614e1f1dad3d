/* SPDX-License-Identifier: Apache-2.0 */
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
    char *base; /* server base: --base-url, or http://host:port */
    char *url;  /* base + endpoint */
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

/* --lora-modules: the names a request's "model" field is replaced by. */
typedef struct run_lora {
    char *const *names; /* NULL or empty: no replacement */
    size_t n;
    bool round_robin; /* request i gets names[i % n]; else random.choice */
} run_lora;

/* Builds one body per request into arena memory, with request i's LoRA name
 * picked as vllm/benchmarks/serve.py: benchmark does; id_prefix + i is the
 * x-request-id the body builders may read (vlm2vec numbers its prompts). */
void run_build_bodies(const bk_params *p, const sb_dataset *ds, const run_lora *lora,
                      const char *id_prefix, sb_arena *a, loop_req *out);

#endif
