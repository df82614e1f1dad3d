/* SPDX-License-Identifier: Apache-2.0 */
/* gen_result.c - a synthetic --save-detailed result JSON for bench/report.sh.
 *
 * usage: bench_gen_result OUT.json N_REQUESTS ITLS_PER_REQUEST
 *
 * Same keys and number forms as `servebench serve --save-result
 * --save-detailed` (src/report/json.c): header, totals, per-request arrays
 * (input_lens, output_lens, ttfts, itls, start_times, generated_texts,
 * errors), percentile keys, then the "servebench" object. Values come from
 * a fixed-seed xorshift so every run writes the same bytes; 1 request in
 * 1000 fails (ttft 0, no ITLs, an error text). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state = 0x9e3779b97f4a7c15u;

static double uniform(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (double)(state >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s OUT.json N_REQUESTS ITLS_PER_REQUEST\n", argv[0]);
        return 2;
    }
    long n = atol(argv[2]), k = atol(argv[3]);
    if (n < 1 || n > 100000000 || k < 0 || k > 100000) {
        fprintf(stderr, "%s: N_REQUESTS 1..1e8, ITLS_PER_REQUEST 0..1e5\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    double rate = 1000.0, dur = (double)n / rate;
    fprintf(f,
            "{\"date\": \"20261203-080000\", \"endpoint_type\": \"openai\", \"backend\": "
            "\"openai\", \"label\": null, \"model_id\": \"sim\", \"tokenizer_id\": \"sim\", "
            "\"num_prompts\": %ld, \"request_rate\": %.1f, \"burstiness\": 1.0, "
            "\"max_concurrency\": null, \"duration\": %.6f, \"completed\": %ld, \"failed\": "
            "%ld, \"total_input_tokens\": %ld, \"total_output_tokens\": %ld, "
            "\"request_throughput\": %.3f, \"request_goodput\": null, \"output_throughput\": "
            "%.3f, \"total_token_throughput\": %.3f",
            n, rate, dur, n - n / 1000, n / 1000, n * 512, n * (k + 1), rate,
            rate * (double)(k + 1), rate * (double)(k + 513));
    const char *names[] = {"input_lens",  "output_lens",     "ttfts", "itls",
                           "start_times", "generated_texts", "errors"};
    for (int a = 0; a < 7; a++) {
        fprintf(f, ", \"%s\": [", names[a]);
        for (long i = 0; i < n; i++) {
            int failed = i % 1000 == 999;
            if (i)
                fputs(", ", f);
            switch (a) {
            case 0:
                fprintf(f, "%d", 256 + (int)(uniform() * 512));
                break;
            case 1:
                fprintf(f, "%ld", failed ? 0 : k + 1);
                break;
            case 2:
                fprintf(f, "%.17g", failed ? 0.0 : 0.02 + 0.05 * uniform() * uniform());
                break;
            case 3:
                fputc('[', f);
                for (long j = 0; !failed && j < k; j++)
                    fprintf(f, "%s%.17g", j ? ", " : "", 0.005 + 0.01 * uniform() * uniform());
                fputc(']', f);
                break;
            case 4:
                fprintf(f, "%.17g", 1000.0 + (double)i / rate);
                break;
            case 5:
                fputs("\"\"", f);
                break;
            case 6:
                fputs(failed ? "\"HTTP 500: Internal Server Error\"" : "\"\"", f);
                break;
            }
        }
        fputc(']', f);
    }
    const char *ms[] = {"ttft", "tpot", "itl", "e2el"};
    double base[] = {35, 9, 9, 120};
    for (int m = 0; m < 4; m++)
        fprintf(f,
                ", \"mean_%s_ms\": %.3f, \"median_%s_ms\": %.3f, \"std_%s_ms\": %.3f, "
                "\"p99_%s_ms\": %.3f",
                ms[m], base[m], ms[m], base[m] * 0.9, ms[m], base[m] * 0.2, ms[m], base[m] * 1.8);
    fprintf(f,
            ", \"max_output_tokens_per_s\": %.1f, \"max_concurrent_requests\": 150, "
            "\"servebench\": {\"version\": \"0.1.0\", \"workload_fingerprint\": "
            "\"%064d\", \"scheduler_lag_p99_ms\": 0.2, \"client_cpu_pct\": 35.0}}",
            rate * (double)(k + 1) * 1.2, 0);
    if (fclose(f) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
