/* SPDX-License-Identifier: Apache-2.0 */
/* mpir_comm.c - every MPI call of servebench (mpir.h). Built with MPI when
 * CMake found it (SB_HAVE_MPI); otherwise each entry point says that this
 * build has no MPI support, so `--mpi` or a start under mpirun never runs
 * N independent benchmarks by mistake.
 *
 * Open MPI is not linked but opened by mpir_start (SB_MPI_SONAME; CMake
 * defines it when the MPI found is Open MPI): libmpi and its tree (open-rte,
 * open-pal, hwloc, libevent, udev: 7 shared objects, 4,000 relocations)
 * cost about 1.5 ms at every start, and only runs under mpirun or with
 * --mpi use them. The calls below go through a table typed from mpi.h
 * (core/dynlib.h), and Open MPI's predefined handles (MPI_COMM_WORLD,
 * MPI_INT, ...), which its mpi.h defines as the addresses of its own
 * objects, are those objects' addresses looked up in the library. */
#include "mpi/mpir.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

#ifdef SB_MPI_SONAME /* (CMake sets it only when mpi.h is Open MPI's) */
#include "core/dynlib.h"

#define MPIR_FNS(X)                                                                                \
    X(MPI_Allreduce)                                                                               \
    X(MPI_Bcast)                                                                                   \
    X(MPI_Cancel)                                                                                  \
    X(MPI_Comm_dup)                                                                                \
    X(MPI_Comm_free)                                                                               \
    X(MPI_Comm_rank)                                                                               \
    X(MPI_Comm_set_errhandler)                                                                     \
    X(MPI_Comm_size)                                                                               \
    X(MPI_Error_string)                                                                            \
    X(MPI_Finalize)                                                                                \
    X(MPI_Iallreduce)                                                                              \
    X(MPI_Ibcast)                                                                                  \
    X(MPI_Init_thread)                                                                             \
    X(MPI_Irecv)                                                                                   \
    X(MPI_Recv)                                                                                    \
    X(MPI_Request_free)                                                                            \
    X(MPI_Send)                                                                                    \
    X(MPI_Test)
static struct {
    MPIR_FNS(SB_DYNLIB_FIELD)
} mpi_fn;
static const char *const mpi_fn_names[] = {MPIR_FNS(SB_DYNLIB_NAME)};

/* The objects behind the handles used here, in this order. */
enum { OBJ_COMM_WORLD, OBJ_INT, OBJ_UINT64, OBJ_BYTE, OBJ_SUM, OBJ_LAND, OBJ_ERRORS_RETURN, OBJ_N };
static const char *const mpi_obj_names[OBJ_N] = {
    "ompi_mpi_comm_world", "ompi_mpi_int",     "ompi_mpi_uint64_t",     "ompi_mpi_byte",
    "ompi_mpi_op_sum",     "ompi_mpi_op_land", "ompi_mpi_errors_return"};
static void *mpi_obj[OBJ_N];

/* From here on the names of mpi.h mean the table's entries. */
#define MPI_Allreduce mpi_fn.MPI_Allreduce
#define MPI_Bcast mpi_fn.MPI_Bcast
#define MPI_Cancel mpi_fn.MPI_Cancel
#define MPI_Comm_dup mpi_fn.MPI_Comm_dup
#define MPI_Comm_free mpi_fn.MPI_Comm_free
#define MPI_Comm_rank mpi_fn.MPI_Comm_rank
#define MPI_Comm_set_errhandler mpi_fn.MPI_Comm_set_errhandler
#define MPI_Comm_size mpi_fn.MPI_Comm_size
#define MPI_Error_string mpi_fn.MPI_Error_string
#define MPI_Finalize mpi_fn.MPI_Finalize
#define MPI_Iallreduce mpi_fn.MPI_Iallreduce
#define MPI_Ibcast mpi_fn.MPI_Ibcast
#define MPI_Init_thread mpi_fn.MPI_Init_thread
#define MPI_Irecv mpi_fn.MPI_Irecv
#define MPI_Recv mpi_fn.MPI_Recv
#define MPI_Request_free mpi_fn.MPI_Request_free
#define MPI_Send mpi_fn.MPI_Send
#define MPI_Test mpi_fn.MPI_Test
#undef MPI_COMM_WORLD
#undef MPI_INT
#undef MPI_UINT64_T
#undef MPI_BYTE
#undef MPI_SUM
#undef MPI_LAND
#undef MPI_ERRORS_RETURN
#define MPI_COMM_WORLD ((MPI_Comm)mpi_obj[OBJ_COMM_WORLD])
#define MPI_INT ((MPI_Datatype)mpi_obj[OBJ_INT])
#define MPI_UINT64_T ((MPI_Datatype)mpi_obj[OBJ_UINT64])
#define MPI_BYTE ((MPI_Datatype)mpi_obj[OBJ_BYTE])
#define MPI_SUM ((MPI_Op)mpi_obj[OBJ_SUM])
#define MPI_LAND ((MPI_Op)mpi_obj[OBJ_LAND])
#define MPI_ERRORS_RETURN ((MPI_Errhandler)mpi_obj[OBJ_ERRORS_RETURN])

/* Opens Open MPI (RTLD_GLOBAL: its own components, which it opens in turn,
 * resolve their symbols against it) and fills the tables; once. */
static int mpi_load(sb_err *err)
{
    static bool loaded;
    if (loaded)
        return 0;
    static const char *const libs[] = {SB_MPI_SONAME};
    char why[512];
    void *syms[sizeof mpi_fn_names / sizeof *mpi_fn_names];
    if (sb_dynlib_open_global(libs, 1, mpi_fn_names, syms, sizeof syms / sizeof *syms, why,
                              sizeof why) != 0 ||
        sb_dynlib_open_global(libs, 1, mpi_obj_names, mpi_obj, OBJ_N, why, sizeof why) != 0)
        return sb_err_set(err, "MPI support could not be loaded: %s", why);
    memcpy(&mpi_fn, syms, sizeof mpi_fn);
    loaded = true;
    return 0;
}
#else
static int mpi_load(sb_err *err)
{
    (void)err;
    return 0;
}
#endif

static struct {
    bool active;
    bool lost; /* a rank died: MPI_Finalize would wait for it */
    double init_s;
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
    if (mpi_load(err) != 0)
        return -1;
    uint64_t t0 = sb_now_ns();
    /* Other threads (event loops, the simulator) never call MPI; the main
     * thread makes every call. */
    int provided = MPI_THREAD_SINGLE;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    g.init_s = (double)(sb_now_ns() - t0) / 1e9;
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
    if (g.lost) { /* the job is broken; finalising would hang on the lost rank */
        fflush(NULL);
        return;
    }
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
    const char *v = getenv("SB_MPI_TEST_CLOCK_SHIFT"); /* "RANK:NS" */
    if (!v)
        return 0;
    char *end;
    long rank = strtol(v, &end, 10);
    if (*end != ':' || rank != g.rank)
        return 0;
    const char *ns_text = end + 1;
    long long ns = strtoll(ns_text, &end, 10);
    return *end == '\0' && end != ns_text ? (int64_t)ns : 0;
}

int mpir_sync_start(double lead_s, int samples, uint64_t *start_ns, mpir_clock *clk, sb_err *err)
{
    memset(clk, 0, sizeof *clk);
    uint64_t began = sb_now_ns();
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
                uint64_t *t1 = &t[i], *t2 = &t[(size_t)samples + i],
                         *t4 = &t[2 * (size_t)samples + i];
                *t1 = sb_now_ns() + (uint64_t)shift;
                rc = MPI_Send(t1, 1, MPI_UINT64_T, 0, 7, MPI_COMM_WORLD);
                if (rc == MPI_SUCCESS)
                    rc = MPI_Recv(t2, 1, MPI_UINT64_T, 0, 8, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                *t4 = sb_now_ns() + (uint64_t)shift;
            }
        }
    }
    if (rc == MPI_SUCCESS && g.rank != 0)
        mpir_offset_estimate(&t[0], &t[samples], &t[2 * (size_t)samples], samples, clk);
    free(t);
    if (rc != MPI_SUCCESS)
        return mpi_fail(err, "clock offset ping-pong", rc);
    uint64_t start0 = g.rank == 0 ? sb_now_ns() + (uint64_t)shift + (uint64_t)(lead_s * 1e9) : 0;
    rc = MPI_Bcast(&start0, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS)
        return mpi_fail(err, "broadcast of the start instant", rc);
    clk->init_s = g.init_s;
    clk->sync_s = (double)(sb_now_ns() - began) / 1e9;
    /* rank-0 time -> this rank's (shifted) clock -> CLOCK_MONOTONIC */
    *start_ns = (uint64_t)((int64_t)start0 - clk->offset_ns - shift);
    return 0;
}

/* Rank 0's side of mpir_gather: one state per rank. */
typedef struct peer {
    MPI_Request rq;
    uint64_t len;
    char *buf;
    int state; /* 0 waiting for the size, 1 for the bytes, 2 done, 3 lost */
} peer;

/* The deadline of a wait that began at began_ns: w's timeout, cut short
 * once an interrupt arrived (stop_ns: when this rank first saw it). */
static uint64_t wait_deadline(const mpir_wait *w, uint64_t began_ns, uint64_t *stop_ns)
{
    uint64_t d = began_ns + (uint64_t)(w->timeout_s * 1e9);
    if (w->stop && *w->stop && !*stop_ns)
        *stop_ns = sb_now_ns();
    if (*stop_ns) {
        uint64_t s = *stop_ns + (uint64_t)(w->stop_timeout_s * 1e9);
        d = s < d ? s : d;
    }
    return d;
}

static void nap_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void gather_root(const void *mine, size_t len, const mpir_wait *w, peer *p)
{
    p[0].len = len;
    p[0].buf = sb_xmalloc(len ? len : 1);
    memcpy(p[0].buf, mine, len);
    p[0].state = 2;
    for (int r = 1; r < g.size; r++)
        if (MPI_Irecv(&p[r].len, 1, MPI_UINT64_T, r, 20, MPI_COMM_WORLD, &p[r].rq) != MPI_SUCCESS)
            p[r].state = 3;
    uint64_t began = sb_now_ns(), stop_ns = 0;
    for (;;) {
        bool waiting = false;
        for (int r = 1; r < g.size; r++) {
            if (p[r].state > 1)
                continue;
            int flag = 0;
            if (MPI_Test(&p[r].rq, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
                p[r].state = 3;
                continue;
            }
            if (!flag) {
                waiting = true;
            } else if (p[r].state == 0 && p[r].len <= INT_MAX) {
                p[r].buf = sb_xmalloc(p[r].len ? p[r].len : 1);
                p[r].state = MPI_Irecv(p[r].buf, (int)p[r].len, MPI_BYTE, r, 21, MPI_COMM_WORLD,
                                       &p[r].rq) == MPI_SUCCESS
                                 ? 1
                                 : 3;
                waiting = waiting || p[r].state == 1;
            } else {
                p[r].state = p[r].state == 1 ? 2 : 3; /* too big to receive: lost */
            }
        }
        if (!waiting)
            return;
        if (sb_now_ns() > wait_deadline(w, began, &stop_ns))
            break;
        nap_ms(1);
    }
    for (int r = 1; r < g.size; r++)
        if (p[r].state < 2) { /* silent past the deadline: lost */
            MPI_Cancel(&p[r].rq);
            MPI_Request_free(&p[r].rq);
            p[r].buf = NULL; /* may still be written by a late message: left allocated */
            p[r].state = 3;
        }
}

int mpir_gather(const void *buf, size_t len, const mpir_wait *w, char **all, size_t **lens,
                bool **lost, sb_err *err)
{
    *all = NULL;
    *lens = NULL;
    *lost = NULL;
    if (g.rank != 0) {
        uint64_t l = len;
        int rc = MPI_Send(&l, 1, MPI_UINT64_T, 0, 20, MPI_COMM_WORLD);
        if (rc == MPI_SUCCESS && len <= INT_MAX)
            rc = MPI_Send(buf, (int)len, MPI_BYTE, 0, 21, MPI_COMM_WORLD);
        int verdict = 0;
        if (rc == MPI_SUCCESS)
            rc = MPI_Recv(&verdict, 1, MPI_INT, 0, 22, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return mpi_fail(err, "sending the records to rank 0", rc);
        g.lost = verdict != 0;
        if (len > INT_MAX)
            return sb_err_set(err,
                              "rank %d's records take %zu bytes, over MPI's 2 GiB message "
                              "limit; use more ranks or fewer requests per run",
                              g.rank, len);
        return 0;
    }
    peer *p = sb_xcalloc((size_t)g.size, sizeof *p);
    gather_root(buf, len, w, p);
    *lens = sb_xcalloc((size_t)g.size, sizeof **lens);
    *lost = sb_xcalloc((size_t)g.size, sizeof **lost);
    size_t total = 0;
    for (int r = 0; r < g.size; r++)
        if (p[r].state == 2)
            total += p[r].len;
        else
            (*lost)[r] = g.lost = true;
    *all = sb_xmalloc(total ? total : 1);
    for (int r = 0, off = 0; r < g.size; r++) {
        if (p[r].state != 2)
            continue;
        memcpy(*all + off, p[r].buf, p[r].len);
        off += (int)p[r].len;
        (*lens)[r] = p[r].len;
    }
    /* The survivors learn whether to skip MPI_Finalize. */
    int verdict = g.lost;
    for (int r = 1; r < g.size; r++) {
        if (p[r].state == 2)
            MPI_Send(&verdict, 1, MPI_INT, r, 22, MPI_COMM_WORLD);
        if (p[r].state != 3)
            free(p[r].buf);
    }
    free(p[0].buf);
    free(p);
    return 0;
}

/* Waits for rq, napping between tests (1 ms). */
static int wait_polite(MPI_Request *rq)
{
    for (;;) {
        int flag = 0;
        int rc = MPI_Test(rq, &flag, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS || flag)
            return rc;
        nap_ms(1);
    }
}

int mpir_bcast(sb_buf *b, sb_err *err)
{
    uint64_t len = g.rank == 0 ? b->len : 0;
    MPI_Request rq;
    int rc = MPI_Ibcast(&len, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, &rq);
    if (rc == MPI_SUCCESS)
        rc = wait_polite(&rq);
    if (rc != MPI_SUCCESS)
        return mpi_fail(err, "broadcast from rank 0", rc);
    if (len > INT_MAX)
        return sb_err_set(err, "broadcast from rank 0: %llu bytes, over MPI's 2 GiB limit",
                          (unsigned long long)len);
    if (g.rank != 0) {
        sb_buf_free(b);
        sb_buf_init(b);
        sb_buf_reserve(b, len + 1);
        b->len = len;
        b->data[len] = 0;
    }
    if (len == 0)
        return 0;
    rc = MPI_Ibcast(b->data, (int)len, MPI_BYTE, 0, MPI_COMM_WORLD, &rq);
    if (rc == MPI_SUCCESS)
        rc = wait_polite(&rq);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(err, "broadcast from rank 0", rc);
}

struct mpir_live {
    MPI_Comm comm;
    MPI_Request rq;
    size_t words; /* the caller's; word 0 of the buffers is the done flag */
    uint64_t *send, *recv;
    bool pending, all_done, broken;
};

mpir_live *mpir_live_open(size_t words, sb_err *err)
{
    mpir_live *l = sb_xcalloc(1, sizeof *l);
    l->words = words;
    /* A communicator of its own: the rounds never match the gather's
     * messages or a collective of the run. */
    int rc = MPI_Comm_dup(MPI_COMM_WORLD, &l->comm);
    if (rc != MPI_SUCCESS) {
        free(l);
        mpi_fail(err, "MPI_Comm_dup for the live progress", rc);
        return NULL;
    }
    MPI_Comm_set_errhandler(l->comm, MPI_ERRORS_RETURN);
    l->send = sb_xcalloc(words + 1, sizeof *l->send);
    l->recv = sb_xcalloc(words + 1, sizeof *l->recv);
    return l;
}

static int live_round(mpir_live *l, const uint64_t *mine, bool done, uint64_t *sum)
{
    if (l->broken)
        return -1;
    int got = 0;
    if (l->pending) {
        int flag = 0;
        if (MPI_Test(&l->rq, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
            l->broken = true;
            return -1;
        }
        if (!flag)
            return 0;
        l->pending = false;
        memcpy(sum, l->recv + 1, l->words * sizeof *sum);
        /* Every rank sees the same sums: all stop after the same round. */
        l->all_done = l->recv[0] == (uint64_t)g.size;
        got = 1;
    }
    if (l->all_done)
        return got;
    l->send[0] = done ? 1 : 0;
    memcpy(l->send + 1, mine, l->words * sizeof *mine);
    if (l->words + 1 > INT_MAX ||
        MPI_Iallreduce(l->send, l->recv, (int)(l->words + 1), MPI_UINT64_T, MPI_SUM, l->comm,
                       &l->rq) != MPI_SUCCESS) {
        l->broken = true;
        return -1;
    }
    l->pending = true;
    return got;
}

int mpir_live_step(mpir_live *l, const uint64_t *mine, uint64_t *sum)
{
    return live_round(l, mine, false, sum);
}

int mpir_live_close(mpir_live *l, const uint64_t *mine, uint64_t *sum, const mpir_wait *w)
{
    uint64_t began = sb_now_ns(), stop_ns = 0;
    while (!l->all_done && !l->broken) {
        if (live_round(l, mine, true, sum) != 0 || l->all_done)
            continue;
        if (sb_now_ns() > wait_deadline(w, began, &stop_ns)) {
            l->broken = true;
            break;
        }
        nap_ms(1);
    }
    if (l->broken) {
        /* A round may never complete (a rank is gone): its buffers and the
         * communicator stay as they are, and MPI_Finalize would wait. */
        g.lost = true;
        return -1;
    }
    MPI_Comm_free(&l->comm);
    free(l->send);
    free(l->recv);
    free(l);
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

int mpir_gather(const void *buf, size_t len, const mpir_wait *w, char **all, size_t **lens,
                bool **lost, sb_err *err)
{
    (void)buf;
    (void)len;
    (void)w;
    *all = NULL;
    *lens = NULL;
    *lost = NULL;
    return sb_err_set(err, "%s", no_mpi);
}

int mpir_bcast(sb_buf *b, sb_err *err)
{
    (void)b;
    return sb_err_set(err, "%s", no_mpi);
}

mpir_live *mpir_live_open(size_t words, sb_err *err)
{
    (void)words;
    sb_err_set(err, "%s", no_mpi);
    return NULL;
}

int mpir_live_step(mpir_live *l, const uint64_t *mine, uint64_t *sum)
{
    (void)l;
    (void)mine;
    (void)sum;
    return -1;
}

int mpir_live_close(mpir_live *l, const uint64_t *mine, uint64_t *sum, const mpir_wait *w)
{
    (void)l;
    (void)mine;
    (void)sum;
    (void)w;
    return -1;
}

#endif
