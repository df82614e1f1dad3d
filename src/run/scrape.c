/* SPDX-License-Identifier: Apache-2.0 */
/* scrape.c - GET {base}/metrics before and after the timed run (reference
 * vllm/benchmarks/serve.py: benchmark steps 7 and 9) for the speculative-decoding counters.
 *
 * A server without /metrics (404, connection refused, not Prometheus text)
 * is normal, not an error: the counts stay "not found" and the report prints
 * no spec-decode block, as the reference does. */
#include "run/run_prep.h"

#include "core/buf.h"

#define SCRAPE_TIMEOUT_S 10.0 /* a scrape must not hold up the run for long */

void run_scrape_spec(eng *e, const run_target *t, specdec_counts *out)
{
    sb_buf url, body;
    sb_buf_init(&url);
    sb_buf_init(&body);
    sb_buf_printf(&url, "%s/metrics", t->base);
    sb_err err;
    sb_err_clear(&err);
    int st = eng_fetch(e, "GET", url.data, t->headers, NULL, &body, SCRAPE_TIMEOUT_S, &err);
    if (st == 200 && body.data)
        specdec_parse(body.data, body.len, out);
    else
        *out = (specdec_counts){.found = false};
    sb_buf_free(&url);
    sb_buf_free(&body);
}
