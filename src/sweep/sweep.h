/* SPDX-License-Identifier: Apache-2.0 */
/* sweep.h - many `serve` runs: a grid of flag values, repeats of each point,
 * and the search for the highest load that meets SLOs.
 *
 * Every run is a full serve run that writes the ordinary result JSON into
 * DIR/points/; one JSON Lines file DIR/sweep.jsonl records the sweep
 * (schema: docs/sweep.md). Runs go through a sweep_runner, so the same
 * driver can run points in this process (sweep_inproc_runner: one tokenizer
 * load for the whole sweep) or, later, spread a point across MPI ranks. */
#ifndef SB_SWEEP_H
#define SB_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "run/window.h"
#include "sweep/slo.h"

/* One grid axis: a serve flag ("--request-rate") and its values. */
typedef struct sweep_axis {
    char *flag;
    char **values;
    size_t n;
} sweep_axis;

/* One point's flag values. A NULL value is a bare flag (a boolean set). */
typedef struct sweep_params {
    size_t n;
    char **flags;
    char **values;
} sweep_params;

typedef enum sweep_search_axis {
    SWEEP_SEARCH_NONE = 0,
    SWEEP_SEARCH_RATE,
    SWEEP_SEARCH_CONCURRENCY,
} sweep_search_axis;

/* What the driver asks a runner to do: one run of one point. */
typedef struct sweep_run_req {
    size_t point;
    long run;    /* 1-based */
    char **argv; /* full serve argv, argv[0] = "serve" */
    int argc;
    const run_window_opts *window;
    const char *skip_if_fingerprint; /* skip when the workload has this fingerprint */
    /* Called once the run is about to start for real (not skipped). */
    void (*on_start)(void *ud, const char *fingerprint);
    void *ud;
} sweep_run_req;

typedef struct sweep_run_out {
    int status; /* serve's exit status */
    bool skipped, interrupted, measured;
    char fingerprint[65];
    char *result_path; /* malloc'd when a result file was written */
    char reason[512];  /* why it failed, when it did */
    long counted, excluded_head, excluded_tail;
    double window_s;
    uint64_t timed_start_ns, timed_end_ns; /* 0 when the timed part was not reached */
} sweep_run_out;

typedef struct sweep_runner sweep_runner;
struct sweep_runner {
    int (*run)(sweep_runner *self, const sweep_run_req *req, sweep_run_out *out);
    void (*free)(sweep_runner *self);
};

/* Runs points in this process through run_serve_point, keeping the
 * tokenizer between points (reloaded only when a point's --model or
 * --tokenizer differs from the one that loaded it). */
sweep_runner *sweep_inproc_runner(void);

/* Under MPI (docs/scale-out.md): rank 0 runs the sweep with
 * sweep_mpi_runner, which sends each run's request (serve flags, the
 * fingerprint to skip) to the other ranks and then runs it as rank 0 of the
 * job; the other ranks run sweep_mpi_follow, which runs each request it
 * receives as one more rank, until sweep_mpi_end (rank 0, on every way out
 * of the sweep, after the runner is freed). */
sweep_runner *sweep_mpi_runner(void);
/* Returns 0, or 1 after a failure to hear from rank 0 (printed). */
int sweep_mpi_follow(void);
void sweep_mpi_end(void);

typedef struct sweep_opts {
    char **serve_args; /* flags every point gets */
    size_t n_serve_args;
    sweep_axis *axes; /* crossed, last fastest */
    size_t n_axes;
    sweep_params *param_sets; /* a vLLM --bench-params list, crossed with the axes */
    size_t n_param_sets;
    const char *output_dir;
    bool force, stop_on_failure;
    long num_runs;
    run_window_opts window;
    const char *between_cmd;
    sweep_slo slo[SWEEP_SLO_MAX];
    size_t n_slo;
    sweep_search_axis search;
    double search_start, search_min, search_max;
    double search_tol; /* relative when search_tol_rel, else in load units */
    bool search_tol_rel;
    long search_max_runs;
    char **argv; /* the sweep's own command line, recorded in the header */
    int argc;
    const char *args_sha256; /* hash of what defines the points (see docs/sweep.md) */
} sweep_opts;

/* Runs the sweep (or search) of o with r. Prints progress and summaries to
 * stdout (a command-level function, like run_serve). Returns 0 when every
 * run succeeded (search: and a capacity was found), 1 when some run failed
 * or no load met the SLOs, or -1 with err for a problem that stopped it
 * (files, a sweep of other arguments in the directory, bad flags). */
int sweep_run(const sweep_opts *o, sweep_runner *r, sb_err *err);

#endif
