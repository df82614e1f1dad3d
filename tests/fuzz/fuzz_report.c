/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_report.c - libFuzzer target for what `servebench report` and `plot`
 * read: a result JSON (report_run_load, the one-pass reader over the mapped
 * file, with its fast path for the per-request arrays) and a sweep JSON Lines
 * file (report_sweep_load). The input is the file. Besides "never crash,
 * leak or UB": a refusal names the file; an accepted result's per-request
 * arrays agree with report_run_requests (what the charts index them by),
 * and its ITL offsets are a non-decreasing index into the ITLs. Runs in a private directory (the
 * file is written there). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_private_dir.h"
#include "report/rdata.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_enter_private_dir(*argc, *argv, "report");
    return 0;
}

static void check_run(const report_run *r)
{
    /* The charts loop over the requests (ttfts) and read another array only
     * when it is present: without ttfts nothing is read per request. */
    size_t n = report_run_requests(r);
    if (n == 0)
        return;
    const report_vec *per_req[] = {&r->input_lens, &r->output_lens, &r->latencies, &r->start_times,
                                   &r->failed};
    for (size_t k = 0; k < sizeof per_req / sizeof per_req[0]; k++)
        if (per_req[k]->n != 0 && per_req[k]->n != n)
            abort();
    if (r->itl_off.n == 0)
        return;
    if (r->itl_off.n != n + 1)
        abort();
    for (size_t i = 0; i + 1 < r->itl_off.n; i++)
        if (r->itl_off.v[i] > r->itl_off.v[i + 1])
            abort();
    if ((size_t)r->itl_off.v[r->itl_off.n - 1] > r->itls.n)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen("r.json", "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    sb_err err;
    sb_err_clear(&err);
    if (report_is_sweep("r.json")) {
        report_sweep s;
        memset(&s, 0, sizeof s);
        if (report_sweep_load(&s, "r.json", &err) != 0 && !strstr(err.msg, "r.json"))
            abort();           /* an error must name the file */
        report_sweep_free(&s); /* (what it read so far, also after an error) */
        return 0;
    }
    report_run r;
    memset(&r, 0, sizeof r);
    if (report_run_load(&r, "r.json", &err) == 0) {
        check_run(&r);
        (void)report_run_num(&r, "request_throughput");
    } else if (!strstr(err.msg, "r.json")) {
        abort();
    }
    report_run_free(&r);
    return 0;
}
