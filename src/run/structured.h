/* SPDX-License-Identifier: Apache-2.0 */
/* structured.h - structured-output requests (ours, after
 * vllm/benchmarks/benchmark_serving_structured_output.py): which requests carry a JSON
 * schema, and the parsed schemas the loop hands to each request's answer check. */
#ifndef SB_RUN_STRUCTURED_H
#define SB_RUN_STRUCTURED_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "core/err.h"
#include "dataset/dataset.h"

/* --json-schema-path: reads the file (one JSON object) and gives its schema
 * to each request that has none of its own (a custom row's "json_schema")
 * when a draw seeded by seed and the request index is below ratio. */
int run_structured_apply(const char *path, double ratio, uint64_t seed, sb_dataset *ds,
                         sb_err *err);

/* The parsed schemas of a run's requests, owned here. */
typedef struct run_structured {
    struct json_t **by_req;  /* per request: its parsed schema or NULL; NULL when none has one */
    struct json_t **schemas; /* one per parsed distinct rendering (owned) */
    size_t n, cap;
} run_structured;

/* Parses each request's schema into out->by_req (loop_opts.schemas). Fails
 * when a request has a schema but backend be cannot send one (only the
 * completions and chat backends can). */
int run_structured_attach(const backend *be, const sb_dataset *ds, run_structured *out,
                          sb_err *err);
void run_structured_free(run_structured *s);

#endif
