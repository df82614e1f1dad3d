/* SPDX-License-Identifier: Apache-2.0 */
/* jschema.h - the JSON Schema subset servebench checks structured-output
 * answers against, and the simulator generates answers from.
 *
 * Keywords understood (the basic ones upstream's structured-output benchmark
 * relies on when it validates answers with the jsonschema package,
 * vllm/benchmarks/benchmark_serving_structured_output.py: evaluate):
 * type (a name or a list of names), properties, required,
 * additionalProperties (false, or a schema), items (one schema), minItems,
 * maxItems, enum, const, minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum, minLength, maxLength, anyOf, oneOf, allOf. Any other
 * keyword ($ref, pattern, format, ...) is accepted and not checked. */
#ifndef SB_JSCHEMA_H
#define SB_JSCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"

/* What one answer was. */
typedef enum jschema_verdict {
    JSCHEMA_INVALID_JSON = 0, /* the text is not one JSON value */
    JSCHEMA_MISMATCH,         /* JSON, but the schema rejects it */
    JSCHEMA_MATCH,
} jschema_verdict;

/* Parses text[0..len) (surrounding white space allowed) and checks it
 * against schema. */
jschema_verdict jschema_check_text(const json_t *schema, const char *text, size_t len);
/* Whether value satisfies schema. */
bool jschema_matches(const json_t *schema, const json_t *value);
/* Appends to out compact JSON that satisfies schema (for the keywords
 * above; the first alternative of anyOf/oneOf; allOf's first member), ASCII
 * only, chosen deterministically from seed. */
void jschema_generate(const json_t *schema, uint64_t seed, sb_buf *out);

#endif
