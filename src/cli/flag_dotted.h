/* SPDX-License-Identifier: Apache-2.0 */
/* flag_dotted.h - `--extra-body.key value` options (internal to src/cli). */
#ifndef SB_CLI_FLAG_DOTTED_H
#define SB_CLI_FLAG_DOTTED_H

#include <jansson.h>
#include <stddef.h>

#include "config/config.h"
#include "core/err.h"

#define DOTTED_MAX 8

/* One JSON object per JSON-typed flag that was given with dotted keys. */
typedef struct dotted_set {
    size_t idx[DOTTED_MAX]; /* flag table row */
    json_t *obj[DOTTED_MAX];
    size_t n;
} dotted_set;

/* Records flag.path = value. The value is parsed as JSON, else as a
 * human-readable int ("1k" = 1000, "1K" = 1024), else kept as a string; a
 * trailing '+' on the last key splits the value at commas into a list. */
int dotted_add(dotted_set *d, size_t idx, const char *flag, const char *path, const char *value,
               sb_err *err);
/* Merges each object over the flag's JSON text (dotted keys win). */
int dotted_apply(dotted_set *d, sb_config *cfg, sb_err *err);
void dotted_free(dotted_set *d);

#endif
