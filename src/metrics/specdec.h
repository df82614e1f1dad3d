/* SPDX-License-Identifier: Apache-2.0 */
/* specdec.h - speculative-decoding figures from the server's /metrics.
 *
 * The reference reads vLLM's Prometheus counters before and after the run
 * and prints their deltas (vllm/benchmarks/serve.py: calculate_metrics, "Spec-decode block").
 * The engine fetches the two texts; this parses and subtracts them. */
#ifndef SB_METRICS_SPECDEC_H
#define SB_METRICS_SPECDEC_H

#include <stdbool.h>
#include <stddef.h>

#define SPECDEC_MAX_POS 32

typedef struct specdec_counts {
    bool found; /* every total counter was present */
    double drafts, draft_tokens, accepted;
    double per_pos[SPECDEC_MAX_POS]; /* accepted tokens at position k */
    size_t n_pos;
} specdec_counts;

typedef struct specdec_result {
    bool present;               /* counters found before and after */
    double acceptance_rate_pct; /* accepted / draft tokens * 100 */
    double acceptance_length;   /* 1 + accepted / drafts */
    long drafts, draft_tokens, accepted;
    double per_pos_rate[SPECDEC_MAX_POS]; /* delta accepted_k / delta drafts (fraction) */
    size_t n_pos;
} specdec_result;

/* Sums the vllm:spec_decode_*_total counters of a Prometheus text
 * exposition over all label sets (several engines), per position for the
 * per-position counter. Never fails: missing counters leave found false. */
void specdec_parse(const char *text, size_t len, specdec_counts *out);
/* Deltas and rates; present is false unless both snapshots were found. */
void specdec_delta(const specdec_counts *before, const specdec_counts *after, specdec_result *out);

#endif
