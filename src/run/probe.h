/* SPDX-License-Identifier: Apache-2.0 */
/* probe.h - --probe-request-rate: a side loop of 1-token "Hi" requests during
 * the timed run, reported apart from the benchmark (newest
 * vllm/benchmarks/serve.py: the probe task): send one, wait for the whole
 * answer, sleep 1/rate, again, until the main run ends. It shows what a light
 * interactive user sees while the benchmark loads the server. */
#ifndef SB_RUN_PROBE_H
#define SB_RUN_PROBE_H

#include <curl/curl.h>
#include <stddef.h>

#include "core/err.h"
#include "http/engine.h"
#include "metrics/metrics.h"

typedef struct run_probe run_probe;

/* Starts the probe thread: POSTs body to url with headers at most rate_per_s
 * times a second (one at a time). e supplies the TLS options only (read, never
 * driven: the probes use their own blocking transfers on their own thread).
 * url, headers and body must outlive run_probe_stop. NULL with err set if the
 * thread could not start. */
run_probe *run_probe_start(const eng *e, const char *url, const struct curl_slist *headers,
                           const char *body, double rate_per_s, double timeout_s, sb_err *err);
/* Stops the loop (a probe in flight is waited for), joins the thread, fills
 * out with the probes' counts and E2EL figures, and frees p. */
void run_probe_stop(run_probe *p, metrics_probe *out);

#endif
