/* SPDX-License-Identifier: Apache-2.0 */
/* prom.h - a parser for the Prometheus text exposition format 0.0.4, the
 * /metrics body of vLLM, SGLang, TGI, llama.cpp, Dynamo and the DCGM
 * exporter.
 *
 * One pass over the text, no allocation per sample: each sample is handed to
 * a callback with pointers into the text (names, raw label values) and its
 * value, optional timestamp and the family type from the `# TYPE` line that
 * covers it (histogram and summary samples are their `_bucket`, `_sum`,
 * `_count` lines). A malformed line stops the parse with its line number. */
#ifndef SB_PROM_H
#define SB_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define PROM_MAX_LABELS 32

typedef enum prom_type {
    PROM_UNTYPED = 0,
    PROM_COUNTER,
    PROM_GAUGE,
    PROM_HISTOGRAM,
    PROM_SUMMARY,
} prom_type;

typedef struct prom_label {
    const char *name;
    size_t name_len;
    const char *value; /* raw: may hold \\, \" and \n escapes (prom_label_value) */
    size_t value_len;
} prom_label;

typedef struct prom_sample {
    const char *name;
    size_t name_len;
    prom_label labels[PROM_MAX_LABELS];
    size_t n_labels;
    double value; /* NaN, +Inf and -Inf included */
    bool has_ts;
    int64_t ts_ms;  /* milliseconds since the epoch, when has_ts */
    prom_type type; /* of the family, PROM_UNTYPED without a # TYPE line */
    size_t line;    /* 1-based */
} prom_sample;

/* Returns 0 to go on, non-zero to stop the parse (prom_parse returns it). */
typedef int (*prom_cb)(void *ud, const prom_sample *s);

/* Parses text[0..len) and calls cb for every sample in order. Returns 0, the
 * callback's non-zero value, or -1 with err naming the line and what is wrong
 * (bad name, unterminated label value, bad number, ...). */
int prom_parse(const char *text, size_t len, prom_cb cb, void *ud, sb_err *err);

/* True when the sample's name is exactly name. */
bool prom_name_is(const prom_sample *s, const char *name);
/* The unescaped value of label `name` appended to out; false when absent. */
bool prom_label_get(const prom_sample *s, const char *name, sb_buf *out);

#endif
