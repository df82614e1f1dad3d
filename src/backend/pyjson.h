/* SPDX-License-Identifier: Apache-2.0 */
/* pyjson.h - JSON text written the way Python's json.dumps writes it.
 *
 * The reference sends bodies through aiohttp's json= (json.dumps defaults):
 * separators ", " and ": ", ensure_ascii (every non-ASCII character as
 * \uXXXX, surrogate pairs above U+FFFF), floats as repr() (shortest digits
 * that round-trip, "1.0" not "1", exponent past 1e16). Writing the same bytes
 * makes bodies comparable and the workload fingerprint meaningful. */
#ifndef SB_PYJSON_H
#define SB_PYJSON_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/pyfmt.h" /* strings and numbers: pyfmt_json_string, pyfmt_json_number */

/* Re-serialises the JSON text json (any value) in Python's style into b.
 * Returns 0, or -1 with err naming the offset of a syntax error. */
int pyjson_reformat(sb_buf *b, const char *json, sb_err *err);

/* An ordered dict of pre-rendered values: Python's dict.update semantics
 * (an existing key keeps its place and takes the new value; a new key goes
 * last), which is how the reference merges --extra-body into a body. */
typedef struct pyjson_kv {
    const char *key;
    size_t val_off, val_len; /* value text in the owner's buffer */
} pyjson_kv;

typedef struct pyjson_obj {
    pyjson_kv kv[48];
    size_t n;
    sb_buf vals; /* rendered values back to back */
} pyjson_obj;

void pyjson_obj_init(pyjson_obj *o);
void pyjson_obj_free(pyjson_obj *o);
void pyjson_obj_reset(pyjson_obj *o);
/* Sets key (not copied: must outlive the object) to the JSON text val. */
void pyjson_obj_set(pyjson_obj *o, const char *key, const char *val, size_t len);
/* Writes {"k": v, ...} into b. */
void pyjson_obj_write(const pyjson_obj *o, sb_buf *b);

#endif
