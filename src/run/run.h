/* run.h - one `servebench serve` benchmark, start to finish.
 *
 * Loads the tokenizer and dataset, optionally starts the in-process simulator
 * (--sim), runs the ready check and warm-ups, sends the schedule through the
 * engine, then computes metrics and prints/saves the report. */
#ifndef SB_RUN_H
#define SB_RUN_H

#include "backend/backend.h"
#include "config/config.h"
#include "metrics/metrics.h"

/* Runs the benchmark described by cfg. Prints progress and the result block
 * to stdout, messages to stderr. Returns a process exit status
 * (core/exit.h). */
int run_serve(sb_config *cfg);

/* The backend's options from cfg (the sampling flags, --logprobs,
 * --extra-body), written into out, which is returned; out points into cfg. */
const bk_opts *run_bk_opts(const sb_config *cfg, bk_opts *out);
/* The metrics' options from cfg, the same way. */
const metrics_opts *run_metrics_opts(const sb_config *cfg, metrics_opts *out);

#endif
