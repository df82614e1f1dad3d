/* SPDX-License-Identifier: Apache-2.0 */
/* fsutil.h - file helpers shared by the report writers (internal). */
#ifndef SB_REPORT_FSUTIL_H
#define SB_REPORT_FSUTIL_H

#include "core/err.h"

/* mkdir -p, as Python's os.makedirs(exist_ok=True). 0 or -1 with err. */
int report_make_dirs(const char *dir, sb_err *err);

#endif
