/* SPDX-License-Identifier: Apache-2.0 */
/* probe.c - the --probe-request-rate side loop (see probe.h).
 *
 * A thread of its own with blocking transfers (eng_fetch) rather than slots in
 * the measuring loop: probes are sequential by definition, and keeping them
 * off the event loop means they cannot delay a benchmark request's send or
 * receive timestamps. The sleep between probes waits on a condition variable
 * so that run_probe_stop ends it at once. */
#include "run/probe.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/waiter.h"

struct run_probe {
    eng *e;
    const char *url, *body;
    const struct curl_slist *headers;
    uint64_t gap_ns; /* 1 / rate */
    double timeout_s;
    pthread_t thread;
    sb_waiter w;
    double *e2el_ns; /* successful probes; owned */
    size_t n_ok, cap;
    long failed;
};

static void record_ok(run_probe *p, double e2el_ns)
{
    if (p->n_ok == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->e2el_ns = sb_xrealloc(p->e2el_ns, p->cap * sizeof *p->e2el_ns);
    }
    p->e2el_ns[p->n_ok++] = e2el_ns;
}

static void *probe_main(void *arg)
{
    run_probe *p = arg;
    sb_buf reply;
    sb_buf_init(&reply);
    do {
        sb_buf_reset(&reply);
        sb_err err;
        uint64_t t0 = sb_now_ns();
        int status =
            eng_fetch(p->e, "POST", p->url, p->headers, p->body, &reply, p->timeout_s, &err);
        uint64_t t1 = sb_now_ns();
        if (status == 200)
            record_ok(p, (double)(t1 - t0));
        else
            p->failed++;
        if (sb_waiter_sleep_until(&p->w, t1 + p->gap_ns))
            break;
    } while (true);
    sb_buf_free(&reply);
    return NULL;
}

run_probe *run_probe_start(const eng *e, const char *url, const struct curl_slist *headers,
                           const char *body, double rate_per_s, double timeout_s, sb_err *err)
{
    run_probe *p = sb_xcalloc(1, sizeof *p);
    *p = (run_probe){.e = (eng *)e, /* eng_fetch reads only its TLS options */
                     .url = url,
                     .body = body,
                     .headers = headers,
                     .gap_ns = (uint64_t)(1e9 / rate_per_s),
                     .timeout_s = timeout_s};
    sb_waiter_init(&p->w);
    if (pthread_create(&p->thread, NULL, probe_main, p) != 0) {
        sb_waiter_destroy(&p->w);
        free(p);
        sb_err_set(err, "--probe-request-rate: cannot start the probe thread");
        return NULL;
    }
    return p;
}

void run_probe_stop(run_probe *p, metrics_probe *out)
{
    sb_waiter_stop(&p->w);
    pthread_join(p->thread, NULL);
    metrics_probe_summary(p->e2el_ns, p->n_ok, p->failed, out);
    sb_waiter_destroy(&p->w);
    free(p->e2el_ns);
    free(p);
}
