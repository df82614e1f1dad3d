/* SPDX-License-Identifier: Apache-2.0 */
/* scan_yajl.h - the YAJL-based field extraction that scan.c replaced, kept
 * as the differential oracle (tests/test_scan_diff.c) and as the "before"
 * figure of bench/ingest.c. Same bk_msg, same path rules as scan.h. */
#ifndef SB_SCAN_YAJL_H
#define SB_SCAN_YAJL_H

#include "backend/scan.h"

typedef struct bk_yscan bk_yscan;

bk_yscan *bk_yscan_new(void);
void bk_yscan_free(bk_yscan *s);
/* The old hot-path behaviour: one reused handle, yajl_allow_multiple_values
 * (a trailing incomplete number or literal after the value is not seen). */
int bk_yscan_parse(bk_yscan *s, const char *json, size_t len, bk_msg *out, sb_buf *text,
                   sb_buf *gen_text, char *why, size_t why_size);
/* Strict single-text parse: fresh handle, yajl_complete_parse at the end, so
 * "{} 5" or "{} tru" are errors. The oracle of the differential test. */
int bk_yscan_parse_strict(bk_yscan *s, const char *json, size_t len, bk_msg *out, sb_buf *text,
                          sb_buf *gen_text, char *why, size_t why_size);

#endif
