/* SPDX-License-Identifier: Apache-2.0 */
/* run_krx.h - the figures of --rx-timestamps kernel: TTFT and ITL from the
 * kernel's receive stamps (rec_store.krx, metrics/krx.h), summarised over the
 * same successful requests as the reference's TTFT and ITL and rendered beside
 * them (the user-space figures stay the reference's). docs/engine.md
 * "Receive timestamps" says what the kernel figure means. */
#ifndef SB_RUN_KRX_H
#define SB_RUN_KRX_H

#include "core/buf.h"
#include "metrics/metrics.h"
#include "metrics/record.h"

/* Appends `"rx_kernel": {...}` to json (", "-separated from what is there)
 * and a block section to text. Nothing when rs->krx is NULL. */
void run_krx_render(const rec_store *rs, const sb_metrics *m, sb_buf *json, sb_buf *text);

#endif
