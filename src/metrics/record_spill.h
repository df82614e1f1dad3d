/* SPDX-License-Identifier: Apache-2.0 */
/* record_spill.h - between record.c and record_spill.c only. */
#ifndef SB_RECORD_SPILL_H
#define SB_RECORD_SPILL_H

#include "metrics/record.h"

/* Closes the spill file and frees s->spill (rec_store_free). */
void rec_store_spill_free(rec_store *s);

#endif
