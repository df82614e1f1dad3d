/* SPDX-License-Identifier: Apache-2.0 */
/* mpi_runner.c - the points of a sweep across the ranks of an MPI job.
 *
 * Only rank 0 runs the sweep driver: it alone decides what runs next (grid,
 * repeats, the SLO search, resuming) and writes every file, so the ranks
 * cannot disagree on a decision. Before each run it broadcasts the run's
 * request, and every rank then runs that point with the in-process runner
 * as one rank of an ordinary multi-rank serve run (each builds the dataset
 * and schedule itself; rank 0 merges and writes the point's result). The
 * request is a few strings: "argc, argv[0..argc), skip fingerprint", each a
 * NUL-terminated string; an empty message ends the followers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "mpi/mpir.h"
#include "sweep/sweep.h"

typedef struct mpi_runner {
    sweep_runner base;
    sweep_runner *inner;
} mpi_runner;

static void pack(sb_buf *b, const sweep_run_req *req)
{
    sb_buf_printf(b, "%d", req->argc);
    sb_buf_putc(b, '\0');
    for (int i = 0; i < req->argc; i++) {
        sb_buf_puts(b, req->argv[i]);
        sb_buf_putc(b, '\0');
    }
    sb_buf_puts(b, req->skip_if_fingerprint ? req->skip_if_fingerprint : "");
    sb_buf_putc(b, '\0');
}

/* The strings of a request, pointing into b; NULL when malformed. */
static char **unpack(const sb_buf *b, int *argc, const char **skip)
{
    const char *p = b->data, *end = b->data + b->len;
    char *e;
    long n = strtol(p, &e, 10);
    if (e == p || *e || n < 1 || n > 100000)
        return NULL;
    p = e + 1;
    char **argv = sb_xcalloc((size_t)n + 1, sizeof *argv);
    for (long i = 0; i <= n; i++) {
        const char *z = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
        if (!z) {
            free(argv);
            return NULL;
        }
        if (i < n)
            argv[i] = (char *)p;
        else
            *skip = *p ? p : NULL;
        p = z + 1;
    }
    *argc = (int)n;
    return argv;
}

static int mpi_run(sweep_runner *self, const sweep_run_req *req, sweep_run_out *out)
{
    mpi_runner *m = (mpi_runner *)self;
    sb_buf b;
    sb_buf_init(&b);
    pack(&b, req);
    sb_err err;
    int rc = mpir_bcast(&b, &err);
    sb_buf_free(&b);
    if (rc != 0) {
        memset(out, 0, sizeof *out);
        out->status = 1;
        snprintf(out->reason, sizeof out->reason, "%.500s", err.msg);
        return 0;
    }
    return m->inner->run(m->inner, req, out);
}

static void mpi_free(sweep_runner *self)
{
    mpi_runner *m = (mpi_runner *)self;
    m->inner->free(m->inner);
    free(m);
}

sweep_runner *sweep_mpi_runner(void)
{
    mpi_runner *m = sb_xcalloc(1, sizeof *m);
    m->base.run = mpi_run;
    m->base.free = mpi_free;
    m->inner = sweep_inproc_runner();
    return &m->base;
}

void sweep_mpi_end(void)
{
    sb_buf b;
    sb_buf_init(&b);
    sb_err err;
    if (mpir_bcast(&b, &err) != 0)
        fprintf(stderr, "servebench sweep: rank 0: %s\n", err.msg);
    sb_buf_free(&b);
}

int sweep_mpi_follow(void)
{
    sweep_runner *in = sweep_inproc_runner();
    int status = 0;
    for (;;) {
        sb_buf b;
        sb_buf_init(&b);
        sb_err err;
        if (mpir_bcast(&b, &err) != 0) {
            fprintf(stderr, "servebench sweep: rank %d: %s\n", mpir_rank(), err.msg);
            sb_buf_free(&b);
            status = 1;
            break;
        }
        if (b.len == 0) { /* the sweep is over */
            sb_buf_free(&b);
            break;
        }
        int argc = 0;
        const char *skip = NULL;
        char **argv = unpack(&b, &argc, &skip);
        if (!argv) {
            fprintf(stderr, "servebench sweep: rank %d: malformed request from rank 0\n",
                    mpir_rank());
            sb_buf_free(&b);
            status = 1;
            break;
        }
        sweep_run_req req = {.argc = argc, .argv = argv, .skip_if_fingerprint = skip};
        sweep_run_out out;
        in->run(in, &req, &out); /* rank 0 reports the run, merged */
        free(out.result_path);
        free(argv);
        sb_buf_free(&b);
    }
    in->free(in);
    return status;
}
