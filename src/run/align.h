/* SPDX-License-Identifier: Apache-2.0 */
/* align.h - the client's prompt lengths against the server's tokenizer
 * (--tokenizer-alignment, docs/serve.md TOKENIZER ALIGNMENT).
 *
 * A client tokenizer that differs from the server's (another transformers
 * version, a different tokenizer.json) makes every length-targeted prompt
 * the wrong size. Before the run, a sample of prompts is sent to the
 * server's POST /tokenize (vLLM and SGLang serve it) and the counts are
 * compared with the client's; on a mismatch random and prefix_repetition
 * prompts are re-aligned as newest vllm/benchmarks/serve.py does
 * (PR #44708): each prompt the server counts longer is cut to its length
 * through POST /detokenize. A server without /tokenize is "not checked",
 * never an error. Internal to src/run. */
#ifndef SB_RUN_ALIGN_H
#define SB_RUN_ALIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "dataset/dataset.h"
#include "http/engine.h"
#include "run/run_prep.h"

typedef enum { RUN_ALIGN_OFF, RUN_ALIGN_CHECK, RUN_ALIGN_FIX } run_align_mode;

/* Prompts compared with /tokenize: spread evenly over the request list. */
#define RUN_ALIGN_SAMPLE 8

typedef struct run_align {
    const char *status; /* "matched", "mismatch", "realigned", "not checked" */
    char reason[320];   /* "not checked": why */
    bool asked;         /* /tokenize was asked (the block shows a section) */
    bool add_special;   /* what /tokenize was asked (as the client counted) */
    size_t sampled;     /* prompts compared */
    size_t matched;     /* of them, counted alike */
    long first_index;   /* the first sampled prompt counted differently, or -1 */
    long first_server;  /* its server and client counts */
    long first_client;
    uint64_t client_tokens, server_tokens; /* sums over the sample */
    size_t realigned;                      /* prompts cut to their length (align mode) */
    size_t align_failed; /* prompts kept as they were: /tokenize or /detokenize failed */
} run_align;

/* Compares (and with RUN_ALIGN_FIX re-aligns) the prompts of ds, dataset
 * name dataset, against {t->base}/tokenize with model name model. Prints
 * the reference's warnings and one summary line on stdout. Never fails: a
 * server that cannot answer leaves the prompts as they are and out says why. */
void run_align_prompts(eng *e, const run_target *t, const char *model, const char *dataset,
                       bool multi_turn, run_align_mode mode, sb_dataset *ds, run_align *out);
/* The mode of a --tokenizer-alignment value (the flag table admits only
 * "align", "check" and "off"). */
run_align_mode run_align_mode_of(const char *s);
/* Marks out "not checked" for why, without asking the server. */
void run_align_skip(run_align *out, const char *why);

/* The result JSON member "tokenizer_alignment": {...} (after ", " when json
 * already holds members) and the block's section. */
void run_align_render(const run_align *a, sb_buf *json, sb_buf *text);

#endif
