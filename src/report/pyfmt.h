/* pyfmt.h - Python text forms for the result JSON (internal to src/report). */
#ifndef SB_REPORT_PYFMT_H
#define SB_REPORT_PYFMT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "report/report.h"

/* json.dump of a float: repr, with bare NaN / Infinity / -Infinity. */
void pyfmt_json_number(sb_buf *out, double v);
/* json.dump of the float ns / 1e9 (a time in seconds), without float
 * formatting: the fast path for the --save-detailed arrays. */
void pyfmt_json_ns_as_s(sb_buf *out, uint64_t ns);
/* json.dump of a str with ensure_ascii=True (\uXXXX lowercase, surrogate
 * pairs above the BMP); invalid UTF-8 bytes become U+FFFD. */
void pyfmt_json_string(sb_buf *out, const char *s, size_t len);

#endif
