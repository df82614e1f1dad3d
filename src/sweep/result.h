/* SPDX-License-Identifier: Apache-2.0 */
/* result.h - reading result JSON files back: ours (`serve --save-result`),
 * the reference's (`vllm bench serve --save-result`), JSON Lines of several
 * runs (`--append-result`), and sweep files.
 *
 * Python's json.dump writes NaN and Infinity for non-finite floats; those
 * tokens are read as null so a reference-written file loads. Every error
 * names the file, and the line and column or the field. */
#ifndef SB_SWEEP_RESULT_H
#define SB_SWEEP_RESULT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/* Largest file read (a detailed result of a million requests is ~200 MB). */
#define SWEEP_RESULT_MAX_BYTES ((size_t)2 << 30)

typedef enum sweep_file_kind {
    SWEEP_FILE_RESULT = 1, /* one or more benchmark result objects */
    SWEEP_FILE_SWEEP,      /* a servebench sweep.jsonl */
} sweep_file_kind;

/* Loads path: one JSON object, or JSON Lines (one object per non-blank line).
 * *objs gets a new JSON array of the objects in file order. Result objects
 * must carry "duration" and "completed" (the reference's keys); a file
 * whose first object has "type": "sweep" is a sweep file. A file that is
 * neither, empty, truncated or not JSON fails with err naming path and the
 * line/column or field. When allow_truncated_tail, a JSON Lines file whose
 * last line does not parse (a killed writer) loads without it and
 * *truncated_tail is set. */
int sweep_json_load(const char *path, bool allow_truncated_tail, json_t **objs,
                    sweep_file_kind *kind, bool *truncated_tail, sb_err *err);

/* The number stored under key in obj (integer or real), or NAN when absent,
 * null or not a number. */
double sweep_json_num(const json_t *obj, const char *key);

/* True for top-level keys of a result that describe the configuration, not
 * a measurement (num_prompts, request_rate, burstiness, max_concurrency, ...). */
bool sweep_is_config_key(const char *key);

#endif
