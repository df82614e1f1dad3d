/* mpir_comm.c - every MPI call of servebench (mpir.h). Built with MPI when
 * CMake found it (SB_HAVE_MPI); otherwise each entry point says that this
 * build has no MPI support, so `--mpi` or a start under mpirun never runs
 * N independent benchmarks by mistake. */
#include "mpi/mpir.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"

const char *mpir_launcher(void)
{
    /* Open MPI, then PMIx (Open MPI 5, Slurm), then PMI (MPICH, Slurm). */
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"};
    static char found[128];
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v) {
            snprintf(found, sizeof found, "%s=%s", vars[i], v);
            return found;
        }
    }
    return NULL;
}

#ifdef SB_HAVE_MPI

#include <mpi.h>

static struct {
    bool active;
    int rank, size;
} g;

bool mpir_built(void)
{
    return true;
}

static int mpi_fail(sb_err *err, const char *what, int rc)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
        snprintf(msg, sizeof msg, "error %d", rc);
    return sb_err_set(err, "MPI %s failed: %s", what, msg);
}

int mpir_start(bool required, sb_err *err)
{
    if (g.active)
        return 0;
    if (!required && !mpir_launcher())
        return 0;
    int rc = MPI_Init(NULL, NULL);
    if (rc != MPI_SUCCESS)
        return mpi_fail(err, "MPI_Init", rc);
    /* Errors come back as codes: a failed call is reported, not an abort. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &g.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g.size);
    g.active = true;
    if (g.rank != 0) { /* rank 0 alone prints the result */
        fflush(stdout);
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            close(fd);
        }
    }
    return 0;
}

void mpir_stop(void)
{
    if (!g.active)
        return;
    g.active = false;
    MPI_Finalize();
}

bool mpir_active(void)
{
    return g.active;
}

int mpir_rank(void)
{
    return g.active ? g.rank : 0;
}

int mpir_size(void)
{
    return g.active ? g.size : 1;
}

bool mpir_agree(bool ok)
{
    int in = ok ? 1 : 0, out = 0;
    if (MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD) != MPI_SUCCESS)
        return false;
    return out != 0;
}

/* This rank's clock with the test hook's shift (SB_MPI_TEST_CLOCK_SHIFT). */
static int64_t clock_shift(void)
{
    const char *v = getenv("SB_MPI_TEST_CLOCK_SHIFT");
    int rank = -1;
    long long ns = 0;
    if (v && sscanf(v, "%d:%lld", &rank, &ns) == 2 && rank == g.rank)
        return (int64_t)ns;
    return 0;
}

int mpir_sync_start(double lead_s, int samples, uint64_t *start_ns, mpir_clock *clk, sb_err *err)
{
    memset(clk, 0, sizeof *clk);
    if (samples < 1 || samples > 1000)
        samples = 20;
    int64_t shift = clock_shift();
    uint64_t *t = sb_xcalloc((size_t)samples * 3, sizeof *t);
    int rc = MPI_SUCCESS;
    /* One rank at a time, so rank 0's stamps are not delayed by the others. */
    for (int r = 1; r < g.size && rc == MPI_SUCCESS; r++) {
        for (int i = 0; i < samples && rc == MPI_SUCCESS; i++) {
            if (g.rank == 0) {
                uint64_t t1;
                rc = MPI_Recv(&t1, 1, MPI_UINT64_T, r, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                uint64_t t2 = sb_now_ns() + (uint64_t)shift;
                if (rc == MPI_SUCCESS)
                    rc = MPI_Send(&t2, 1, MPI_UINT64_T, r, 8, MPI_COMM_WORLD);
            } else if (g.rank == r) {
                uint64_t *t1 = &t[i], *t2 = &t[samples + i], *t4 = &t[2 * samples + i];
                *t1 = sb_now_ns() + (uint64_t)shift;
                rc = MPI_Send(t1, 1, MPI_UINT64_T, 0, 7, MPI_COMM_WORLD);
                if (rc == MPI_SUCCESS)
                    rc = MPI_Recv(t2, 1, MPI_UINT64_T, 0, 8, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                *t4 = sb_now_ns() + (uint64_t)shift;
            }
        }
    }
    if (rc == MPI_SUCCESS && g.rank != 0)
        mpir_offset_estimate(&t[0], &t[samples], &t[2 * samples], samples, clk);
    free(t);
    if (rc != MPI_SUCCESS)
        return mpi_fail(err, "clock offset ping-pong", rc);
    uint64_t start0 = g.rank == 0 ? sb_now_ns() + (uint64_t)shift + (uint64_t)(lead_s * 1e9) : 0;
    rc = MPI_Bcast(&start0, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS)
        return mpi_fail(err, "broadcast of the start instant", rc);
    /* rank-0 time -> this rank's (shifted) clock -> CLOCK_MONOTONIC */
    *start_ns = (uint64_t)((int64_t)start0 - clk->offset_ns - shift);
    return 0;
}

int mpir_gather(const void *buf, size_t len, char **all, size_t **lens, sb_err *err)
{
    *all = NULL;
    *lens = NULL;
    if (len > INT_MAX)
        return sb_err_set(err,
                          "rank %d's records take %zu bytes, over MPI's 2 GiB message "
                          "limit; use more ranks or fewer requests per run",
                          g.rank, len);
    int mine = (int)len;
    int *counts = g.rank == 0 ? sb_xcalloc((size_t)g.size, sizeof *counts) : NULL;
    int rc = MPI_Gather(&mine, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) {
        free(counts);
        return mpi_fail(err, "gather of the record sizes", rc);
    }
    int *displs = NULL;
    char *recv = NULL;
    bool too_big = false;
    if (g.rank == 0) {
        displs = sb_xcalloc((size_t)g.size, sizeof *displs);
        long long total = 0;
        for (int r = 0; r < g.size; r++) {
            if (total > INT_MAX)
                too_big = true;
            displs[r] = too_big ? 0 : (int)total;
            total += counts[r];
        }
        too_big = too_big || total > INT_MAX;
        recv = sb_xmalloc(too_big || total == 0 ? 1 : (size_t)total);
    }
    /* Everyone learns whether rank 0 can take it all in one call. */
    int big = too_big;
    MPI_Bcast(&big, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (big) {
        free(counts);
        free(displs);
        free(recv);
        return sb_err_set(err, "the ranks' records together exceed MPI's 2 GiB message limit");
    }
    rc = MPI_Gatherv(buf, mine, MPI_BYTE, recv, counts, displs, MPI_BYTE, 0, MPI_COMM_WORLD);
    free(displs);
    if (rc != MPI_SUCCESS) {
        free(counts);
        free(recv);
        return mpi_fail(err, "gather of the records", rc);
    }
    if (g.rank == 0) {
        *lens = sb_xcalloc((size_t)g.size, sizeof **lens);
        for (int r = 0; r < g.size; r++)
            (*lens)[r] = (size_t)counts[r];
        *all = recv;
    }
    free(counts);
    return 0;
}

#else /* no MPI at build time */

static const char no_mpi[] =
    "this servebench was built without MPI support (install libopenmpi-dev and rebuild; "
    "see docs/scale-out.md)";

bool mpir_built(void)
{
    return false;
}

int mpir_start(bool required, sb_err *err)
{
    const char *l = mpir_launcher();
    if (required)
        return sb_err_set(err, "--mpi: %s", no_mpi);
    if (l) /* N copies would each run the whole benchmark: refuse */
        return sb_err_set(err, "started by an MPI launcher (%s), but %s", l, no_mpi);
    return 0;
}

void mpir_stop(void)
{
}

bool mpir_active(void)
{
    return false;
}

int mpir_rank(void)
{
    return 0;
}

int mpir_size(void)
{
    return 1;
}

bool mpir_agree(bool ok)
{
    return ok;
}

int mpir_sync_start(double lead_s, int samples, uint64_t *start_ns, mpir_clock *clk, sb_err *err)
{
    (void)lead_s;
    (void)samples;
    (void)start_ns;
    memset(clk, 0, sizeof *clk);
    return sb_err_set(err, "%s", no_mpi);
}

int mpir_gather(const void *buf, size_t len, char **all, size_t **lens, sb_err *err)
{
    (void)buf;
    (void)len;
    *all = NULL;
    *lens = NULL;
    return sb_err_set(err, "%s", no_mpi);
}

#endif
