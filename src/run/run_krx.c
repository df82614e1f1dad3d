/* SPDX-License-Identifier: Apache-2.0 */
/* run_krx.c - kernel receive-stamp figures (run_krx.h). The sets match the
 * reference's (vllm/benchmarks/serve.py: calculate_metrics): TTFT of each
 * successful request, ITL over every gap of the successful requests; a
 * request or gap without a kernel stamp is left out and counted. */
#include "run/run_krx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pyfmt.h"
#include "metrics/krx.h"

/* One summarised list, in the reference's key names with a section prefix. */
static void json_stat(sb_buf *j, const char *name, const metrics_stat *st, const sb_metrics *m)
{
    const struct {
        const char *what;
        double v;
    } fixed[] = {{"mean", st->mean_ms}, {"median", st->median_ms}, {"std", st->std_ms}};
    for (size_t i = 0; i < 3; i++) {
        sb_buf_printf(j, ", \"%s_%s_ms\": ", fixed[i].what, name);
        pyfmt_json_number(j, fixed[i].v);
    }
    for (size_t i = 0; i < m->n_pcts; i++) {
        char pw[40];
        pyfmt_pct_word(pw, sizeof pw, m->pcts[i]);
        sb_buf_printf(j, ", \"p%s_%s_ms\": ", pw, name);
        pyfmt_json_number(j, st->pct_ms[i]);
    }
}

static void text_stat(sb_buf *t, const char *name, const metrics_stat *st, const sb_metrics *m)
{
    char label[96];
    snprintf(label, sizeof label, "Mean %s (ms):", name);
    sb_buf_printf(t, "%-40s %-10.2f\n", label, st->mean_ms);
    snprintf(label, sizeof label, "Median %s (ms):", name);
    sb_buf_printf(t, "%-40s %-10.2f\n", label, st->median_ms);
    for (size_t i = 0; i < m->n_pcts; i++) {
        char pw[40];
        pyfmt_pct_word(pw, sizeof pw, m->pcts[i]);
        snprintf(label, sizeof label, "P%s %s (ms):", pw, name);
        sb_buf_printf(t, "%-40s %-10.2f\n", label, st->pct_ms[i]);
    }
}

void run_krx_render(const rec_store *rs, const sb_metrics *m, sb_buf *json, sb_buf *text)
{
    const krx_store *k = rs->krx;
    if (!k)
        return;
    size_t n_gaps = 0, n_req = 0;
    uint64_t stamped = 0, missing = 0;
    for (size_t i = 0; i < rs->n && i < k->n; i++) {
        if (!rs->recs[i].success)
            continue;
        n_req++;
        n_gaps += k->reqs[i].n_itl;
        stamped += k->reqs[i].stamped;
        missing += k->reqs[i].missing;
    }
    double *ttft = sb_xmalloc((n_req ? n_req : 1) * sizeof *ttft);
    double *delay = sb_xmalloc((n_req ? n_req : 1) * sizeof *delay);
    double *itl = sb_xmalloc((n_gaps ? n_gaps : 1) * sizeof *itl);
    size_t nt = 0, ni = 0;
    for (size_t i = 0; i < rs->n && i < k->n; i++) {
        const krx_req *q = &k->reqs[i];
        if (!rs->recs[i].success)
            continue;
        if (q->has_ttft) {
            ttft[nt] = (double)q->ttft_ns;
            delay[nt++] = (double)rs->recs[i].ttft_ns - (double)q->ttft_ns;
        }
        for (uint32_t j = 0; j < q->n_itl; j++)
            itl[ni++] = (double)q->itl[j];
    }
    size_t np = m->n_pcts ? m->n_pcts : 1;
    double *pct = sb_xcalloc(3 * np, sizeof *pct);
    metrics_stat s_ttft = {.pct_ms = pct}, s_itl = {.pct_ms = pct + np},
                 s_delay = {.pct_ms = pct + 2 * np};
    metrics_stat_of(ttft, nt, m->pcts, m->n_pcts, &s_ttft);
    metrics_stat_of(itl, ni, m->pcts, m->n_pcts, &s_itl);
    metrics_stat_of(delay, nt, m->pcts, m->n_pcts, &s_delay);

    if (json->len)
        sb_buf_puts(json, ", ");
    sb_buf_printf(json,
                  "\"rx_kernel\": {\"token_messages_stamped\": %llu, "
                  "\"token_messages_unstamped\": %llu, \"ttft_samples\": %zu, \"itl_samples\": %zu",
                  (unsigned long long)stamped, (unsigned long long)missing, nt, ni);
    json_stat(json, "ttft", &s_ttft, m);
    json_stat(json, "itl", &s_itl, m);
    json_stat(json, "ttft_rx_delay", &s_delay, m);
    sb_buf_putc(json, '}');

    const char *title = "Kernel receive timestamps";
    int pad = 50 - (int)strlen(title);
    sb_buf_printf(text, "%.*s%s%.*s\n", pad / 2, "-------------------------", title, pad - pad / 2,
                  "-------------------------");
    sb_buf_printf(text, "%-40s %llu of %llu\n",
                  "Token messages with a kernel stamp:", (unsigned long long)stamped,
                  (unsigned long long)stamped + (unsigned long long)missing);
    text_stat(text, "TTFT, kernel rx", &s_ttft, m);
    text_stat(text, "ITL, kernel rx", &s_itl, m);
    text_stat(text, "TTFT rx delay", &s_delay, m); /* user - kernel */
    free(pct);
    free(ttft);
    free(delay);
    free(itl);
}
