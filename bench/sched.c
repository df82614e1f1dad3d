/* SPDX-License-Identifier: Apache-2.0 */
/* sched.c - benchmark of the arrival scheduler (see bench/sched.md).
 *
 * 1. Schedule generation: sched_plan_build for N requests (gamma gaps from the
 *    legacy RandomState, cumulative sum, rescale), against
 *      - the floors: the N legacy gamma draws alone (work any exact
 *        reimplementation must do), and N raw MT19937 53-bit doubles (a
 *        shape-1 gap consumes exactly one), each written to an array of N;
 *      - the peer: the reference's own Python loop (np.random.gamma per request,
 *        list cumsum, rescale) run by python3+numpy in the same run, whose
 *        last offset must be bit-identical to ours.
 * 2. Send accuracy at R req/s: a bare clock_nanosleep(TIMER_ABSTIME) loop
 *    over absolute deadlines (the physical limit the engine's sender is
 *    compared with), against the reference's asyncio.sleep(start + d - now)
 *    loop in python3, both reporting lateness percentiles and achieved rate.
 *
 *   bench_sched [--n N] [--rate R] [--seconds S] [--no-python]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/rng.h"
#include "sched/sched.h"

typedef struct opts {
    size_t n;
    double rate;
    double seconds;
    int python;
    const char *py;
} opts;

static double secs(uint64_t ns)
{
    return (double)ns / 1e9;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Runs a python snippet (no single quotes inside) and returns its stdout line. */
static int run_python(const opts *o, const char *script, const char *args, char *out, size_t cap)
{
    sb_buf cmd;
    sb_buf_init(&cmd);
    sb_buf_printf(&cmd, "%s -c '%s' %s 2>&1", o->py, script, args);
    FILE *p = popen(cmd.data, "r");
    sb_buf_free(&cmd);
    if (!p)
        return -1;
    out[0] = '\0';
    size_t len = fread(out, 1, cap - 1, p);
    out[len] = '\0';
    return pclose(p) == 0 ? 0 : -1;
}

static const char *PY_SCHED =
    "import sys, time, numpy as np\n"
    "n = int(sys.argv[1]); rate = float(sys.argv[2]); k = float(sys.argv[3])\n"
    "np.random.seed(0)\n"
    "t = time.perf_counter()\n"
    "d = []\n"
    "for i in range(n):\n"
    "    d.append(np.random.gamma(shape=k, scale=1.0 / (rate * k)))\n"
    "for i in range(1, n):\n"
    "    d[i] += d[i - 1]\n"
    "f = (n / rate) / d[-1]\n"
    "d = [x * f for x in d]\n"
    "print(time.perf_counter() - t, float(d[n // 2]).hex())\n";

static void bench_generation(const opts *o, double k)
{
    sb_config cfg;
    sb_config_defaults(&cfg);
    cfg.request_rate = o->rate;
    cfg.burstiness = k;
    np_rs rs;
    sched_plan p;
    sb_err err;
    /* The first call pays the page faults of fresh output arrays (what a run
     * pays once); the best of the next five is the steady-state cost. */
    uint64_t t_first = 0, t_plan = UINT64_MAX, t_floor = UINT64_MAX, t_draws = UINT64_MAX;
    uint64_t t_touch = UINT64_MAX;
    double *floor_out = sb_xmalloc(o->n * sizeof *floor_out);
    memset(floor_out, 0, o->n * sizeof *floor_out); /* fault the pages in before timing */
    for (int rep = 0; rep < 6; rep++) {
        if (rep)
            sched_plan_free(&p);
        np_rs_seed(&rs, 0);
        uint64_t t0 = sb_now_ns();
        sched_opts so = {.request_rate = cfg.request_rate, .burstiness = cfg.burstiness};
        if (sched_plan_build(&so, o->n, &rs, NULL, &p, &err) < 0) {
            fprintf(stderr, "sched_plan_build: %s\n", err.msg);
            exit(1);
        }
        uint64_t t = sb_now_ns() - t0;
        if (rep == 0)
            t_first = t;
        else if (t < t_plan)
            t_plan = t;

        np_rs_seed(&rs, 0);
        t0 = sb_now_ns();
        for (size_t i = 0; i < o->n; i++)
            floor_out[i] = np_rs_random(&rs);
        t = sb_now_ns() - t0;
        if (rep > 0 && t < t_floor)
            t_floor = t;
        np_rs_seed(&rs, 0);
        double scale = 1.0 / (o->rate * k);
        t0 = sb_now_ns();
        for (size_t i = 0; i < o->n; i++)
            floor_out[i] = np_rs_gamma(&rs, k, scale);
        t = sb_now_ns() - t0;
        if (rep > 0 && t < t_draws)
            t_draws = t;
        /* The plan's own output: two fresh arrays of N (offset_s, offset_ns). */
        t0 = sb_now_ns();
        double *fresh_s = sb_xmalloc(o->n * sizeof *fresh_s);
        uint64_t *fresh_ns = sb_xmalloc(o->n * sizeof *fresh_ns);
        memset(fresh_s, 1, o->n * sizeof *fresh_s);
        memset(fresh_ns, 1, o->n * sizeof *fresh_ns);
        t = sb_now_ns() - t0;
        free(fresh_s);
        free(fresh_ns);
        if (rep > 0 && t < t_touch)
            t_touch = t;
    }
    volatile double sink = floor_out[o->n / 2];
    (void)sink;
    free(floor_out);

    printf("generation N=%zu rate=%g burstiness=%g\n", o->n, o->rate, k);
    printf("  servebench sched_plan_build : %8.3f ms  (first call, with page faults: %.3f ms)\n",
           secs(t_plan) * 1e3, secs(t_first) * 1e3);
    printf("  floor: the N gamma draws    : %8.3f ms  (plan / draws = %.2fx)\n",
           secs(t_draws) * 1e3, (double)t_plan / (double)t_draws);
    printf("  floor: N MT19937 doubles    : %8.3f ms  (plan / doubles = %.2fx)\n",
           secs(t_floor) * 1e3, (double)t_plan / (double)t_floor);
    printf("  floor: first touch of 2xN   : %8.3f ms  (draws + touch = %.3f ms, plan / that = "
           "%.2fx)\n",
           secs(t_touch) * 1e3, secs(t_draws + t_touch) * 1e3,
           (double)t_plan / (double)(t_draws + t_touch));
    if (o->python) {
        char line[512], args[128];
        snprintf(args, sizeof args, "%zu %.17g %.17g", o->n, o->rate, k);
        if (run_python(o, PY_SCHED, args, line, sizeof line) == 0) {
            double py_s = strtod(line, NULL);
            char *hex = strchr(line, ' ');
            double mid = hex ? strtod(hex + 1, NULL) : NAN;
            printf("  python+numpy reference loop : %8.3f ms  (python / servebench = %.0fx)\n",
                   py_s * 1e3, py_s / secs(t_plan));
            printf("  offset[N/2] identical to the reference: %s\n",
                   mid == p.offset_s[o->n / 2] ? "yes" : "NO");
        } else {
            printf("  python+numpy: not run (%s)\n", line);
        }
    }
    sched_plan_free(&p);
    sb_config_free(&cfg);
}

static const char *PY_SLEEP = "import sys, time, asyncio\n"
                              "n = int(sys.argv[1]); rate = float(sys.argv[2])\n"
                              "async def main():\n"
                              "    d = [(i + 1) / rate for i in range(n)]\n"
                              "    late = []\n"
                              "    s0 = time.time()\n"
                              "    for x in d:\n"
                              "        s = s0 + x - time.time()\n"
                              "        if s > 0:\n"
                              "            await asyncio.sleep(s)\n"
                              "        late.append(time.time() - (s0 + x))\n"
                              "    span = time.time() - s0\n"
                              "    late.sort()\n"
                              "    q = lambda p: late[min(n - 1, int(p * n))] * 1e6\n"
                              "    print(q(0.5), q(0.99), late[-1] * 1e6, n / span)\n"
                              "asyncio.run(main())\n";

static void sleep_loop(const opts *o, const char *label)
{
    size_t n = (size_t)(o->rate * o->seconds);
    if (n < 2)
        n = 2;
    uint64_t *late = sb_xmalloc(n * sizeof *late);
    uint64_t step = (uint64_t)llround(1e9 / o->rate);
    uint64_t start = sb_now_ns();
    for (size_t i = 0; i < n; i++) {
        uint64_t deadline = start + (i + 1) * step;
        struct timespec ts = {.tv_sec = (time_t)(deadline / SB_NS_PER_S),
                              .tv_nsec = (long)(deadline % SB_NS_PER_S)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
        }
        uint64_t now = sb_now_ns();
        late[i] = now > deadline ? now - deadline : 0;
    }
    uint64_t span = sb_now_ns() - start;
    qsort(late, n, sizeof *late, cmp_u64);
    printf("  %-30s: lateness p50 %7.1f us  p99 %7.1f us  max %8.1f us  achieved %.1f req/s\n",
           label, late[n / 2] / 1e3, late[(size_t)(0.99 * (double)n)] / 1e3, late[n - 1] / 1e3,
           (double)n / secs(span));
    free(late);
}

static void bench_sleep(const opts *o)
{
    size_t n = (size_t)(o->rate * o->seconds);
    if (n < 2)
        n = 2;
    printf("send accuracy at %g req/s, %zu deadlines (%.1f s)\n", o->rate, n, o->seconds);
    sleep_loop(o, "clock_nanosleep, default slack");
    /* Linux adds up to 50 us of timer slack to every sleep by default; the
     * engine may set it to 1 ns, so both figures are worth knowing. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    sleep_loop(o, "clock_nanosleep, slack 1 ns");
    if (o->python) {
        char line[512], args[128];
        snprintf(args, sizeof args, "%zu %.17g", n, o->rate);
        if (run_python(o, PY_SLEEP, args, line, sizeof line) == 0) {
            double p50, p99, mx, ach;
            if (sscanf(line, "%lf %lf %lf %lf", &p50, &p99, &mx, &ach) == 4)
                printf("  python asyncio (reference)    : lateness p50 %7.1f us  p99 %7.1f us"
                       "  max %8.1f us  achieved %.1f req/s\n",
                       p50, p99, mx, ach);
        } else {
            printf("  python asyncio: not run (%s)\n", line);
        }
    }
}

int main(int argc, char **argv)
{
    opts o = {1000000, 10000, 2.0, 1,
              getenv("SB_PYTHON") ? getenv("SB_PYTHON") : "/usr/bin/python3"};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc)
            o.n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
            o.rate = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            o.seconds = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "--no-python"))
            o.python = 0;
        else {
            fprintf(stderr, "usage: bench_sched [--n N] [--rate R] [--seconds S] [--no-python]\n");
            return 2;
        }
    }
    if (o.n < 1 || !(o.rate > 0) || isinf(o.rate) || !(o.seconds > 0)) {
        fprintf(stderr, "bench_sched: --n >= 1, finite --rate > 0 and --seconds > 0 needed\n");
        return 2;
    }
    bench_generation(&o, 1.0);
    bench_generation(&o, 0.5);
    bench_sleep(&o);
    return 0;
}
