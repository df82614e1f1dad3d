/* SPDX-License-Identifier: Apache-2.0 */
/* sim_cmd.c - `servebench sim`: flags, the listening line, signals, totals.
 *
 * SIGINT and SIGTERM are blocked before the server thread starts (so it
 * inherits the mask) and the main thread waits for them with sigwait: no
 * handler, no global flag, and the loop thread is never interrupted. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "app/commands.h"
#include "sim/sim.h"

static void print_totals(const sim_opts *o, const sim_totals *t)
{
    double span_s =
        t->last_emit_ns > t->first_req_ns ? (double)(t->last_emit_ns - t->first_req_ns) / 1e9 : 0;
    printf("servebench sim: stopped: %llu connections, %llu requests (%llu ok, %llu faults, "
           "%llu client errors, %llu abandoned)\n",
           (unsigned long long)t->connections, (unsigned long long)t->requests,
           (unsigned long long)t->ok, (unsigned long long)t->faults,
           (unsigned long long)t->client_errors, (unsigned long long)t->client_gone);
    printf("servebench sim: tokens: %llu prompt, %llu output in %llu chunks, %llu bytes sent; "
           "%.1f output tokens/s over %.3f s\n",
           (unsigned long long)t->prompt_tokens, (unsigned long long)t->output_tokens,
           (unsigned long long)t->chunks, (unsigned long long)t->bytes_out,
           span_s > 0 ? (double)t->output_tokens / span_s : 0.0, span_s);
    printf("servebench sim: schedule error (actual - planned emission): p50 %.1f us, p99 %.1f us, "
           "max %.1f us over %llu emissions\n",
           (double)t->sched_p50_ns / 1e3, (double)t->sched_p99_ns / 1e3,
           (double)t->sched_max_ns / 1e3, (unsigned long long)t->sched_samples);
    if (t->prefix_queries > 0)
        printf("servebench sim: prefix cache: %llu of %llu prompt tokens hit (%.2f%%)\n",
               (unsigned long long)t->prefix_hits, (unsigned long long)t->prefix_queries,
               100.0 * (double)t->prefix_hits / (double)t->prefix_queries);
    if (o->n_loras > 0) { /* per adapter: what vllm:lora_requests_info does not count */
        printf("servebench sim: lora requests:");
        for (int i = 0; i < o->n_loras; i++)
            printf(" %s %llu", o->loras[i].name, (unsigned long long)t->lora_requests[i]);
        printf("\n");
    }
}

int sim_cmd(int argc, char **argv)
{
    sim_opts o;
    sb_err err;
    sb_err_clear(&err);
    sim_opts_default(&o);
    int rc = sim_opts_parse(&o, argc, argv, &err);
    if (rc == 1) {
        fputs(sim_opts_help(), stdout);
        return SB_EXIT_OK;
    }
    if (rc != 0) {
        fprintf(stderr, "servebench sim: %s\n", err.msg);
        return SB_EXIT_USAGE;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sim_server *s = sim_start_opts(&o, &err);
    if (!s) {
        fprintf(stderr, "servebench sim: %s\n", err.msg);
        return SB_EXIT_FAIL;
    }
    printf("servebench sim listening on http://%s:%d\n", sim_host(s), sim_port(s));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    sim_halt(s);
    if (!o.quiet) {
        sim_totals t;
        sim_get_totals(s, &t);
        printf("servebench sim: %s received\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
        print_totals(&o, &t);
        fflush(stdout);
    }
    sim_stop(s);
    return SB_EXIT_OK;
}
