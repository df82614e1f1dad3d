/* SPDX-License-Identifier: Apache-2.0 */
/* sched_priv.h - helpers shared by the files of src/sched/ only. */
#ifndef SB_SCHED_PRIV_H
#define SB_SCHED_PRIV_H

#include "core/err.h"

/* "Obtained non-positive request rate R." with R as Python's repr(). */
int sched_err_rate(double rate, sb_err *err);

#endif
