/* SPDX-License-Identifier: Apache-2.0 */
/* fingerprint.h - the workload fingerprint: one sha256 that names exactly
 * what a run sent and when, so two result files can be checked for "same
 * workload" without diffing datasets (same flags + same seed => same hash). */
#ifndef SB_RUN_FINGERPRINT_H
#define SB_RUN_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "run/loop.h"

#define RUN_FP_HEX 65 /* 64 hex digits + NUL */

/* sha256 over the request count, then each body (length, bytes) in order,
 * then each send offset in ns (all integers as 8 bytes little-endian; NULL
 * offsets hash as zeros, "all at once"). Writes lowercase hex into hex.
 * Returns 0, or -1 with err when libcrypto fails. */
int run_fingerprint(const loop_req *reqs, const uint64_t *offset_ns, size_t n, char hex[RUN_FP_HEX],
                    sb_err *err);

#endif
