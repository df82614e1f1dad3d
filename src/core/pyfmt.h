/* SPDX-License-Identifier: Apache-2.0 */
/* pyfmt.h - Python text forms servebench must reproduce byte for byte: repr(float)
 * and json.dumps output (request bodies as aiohttp sends them, the result JSON). */
#ifndef SB_PYFMT_H
#define SB_PYFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Python repr() of a float (shortest round-trip digits, "inf", "nan",
 * integral values with ".0"); writes into buf (>= 32 bytes), returns buf. */
char *py_float_repr(char *buf, size_t size, double v);
/* A percentile as the reference names it in labels and keys ("P99",
 * "p99.9_ttft_ms"): str(int(p)) when integral, else str(p). */
void pyfmt_pct_word(char *buf, size_t size, double p);
/* json.dump of a float: repr, with bare NaN / Infinity / -Infinity. */
void pyfmt_json_number(sb_buf *out, double v);
/* json.dump of the float ns / 1e9 (a time in seconds), without float
 * formatting: the fast path for the --save-detailed arrays. */
void pyfmt_json_ns_as_s(sb_buf *out, uint64_t ns);
/* json.dump of a str with ensure_ascii=True (\uXXXX lowercase, surrogate
 * pairs above the BMP); invalid UTF-8 bytes become U+FFFD. */
void pyfmt_json_string(sb_buf *out, const char *s, size_t len);
/* The same with ensure_ascii chosen: false writes bytes >= 0x7F as they are
 * (json.dumps(ensure_ascii=False), Jinja's tojson filter without it). */
void pyfmt_json_string_as(sb_buf *out, const char *s, size_t len, bool ensure_ascii);

#endif
