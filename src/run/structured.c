/* SPDX-License-Identifier: Apache-2.0 */
/* structured.c - see structured.h. */
#include "run/structured.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/file.h"

/* splitmix64 of (seed, index): a per-request draw that does not depend on
 * how many draws other stages made. */
static double draw(uint64_t seed, size_t i)
{
    uint64_t z = seed ^ ((uint64_t)i * 0x9e3779b97f4a7c15ull) ^ 0x5eedfacecafe1234ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0; /* [0, 1) */
}

int run_structured_apply(const char *path, double ratio, uint64_t seed, sb_dataset *ds, sb_err *err)
{
    sb_buf data;
    sb_buf_init(&data);
    if (sb_read_file(path, &data, err) != 0) {
        sb_buf_free(&data);
        return sb_err_prefix(err, "--json-schema-path: ");
    }
    json_error_t je;
    json_t *schema = json_loadb(data.data ? data.data : "", data.len, 0, &je);
    sb_buf_free(&data);
    if (!schema)
        return sb_err_set(err, "--json-schema-path %s:%d:%d: not JSON: %s", path, je.line,
                          je.column, je.text);
    if (!json_is_object(schema)) {
        json_decref(schema);
        return sb_err_set(err,
                          "--json-schema-path %s: the schema must be a JSON object (e.g. "
                          "{\"type\": \"object\", \"properties\": {...}})",
                          path);
    }
    char *s = json_dumps(schema, JSON_ENSURE_ASCII); /* Python json.dumps separators */
    json_decref(schema);
    if (!s)
        return sb_err_set(err, "--json-schema-path %s: the schema cannot be rendered", path);
    size_t len = strlen(s);
    const char *kept = sb_arena_strndup(&ds->arena, s, len);
    free(s);
    for (size_t i = 0; i < ds->n; i++) {
        sb_prompt_forms *f = &ds->reqs[i].forms;
        if (!f->json_schema && draw(seed, i) < ratio) {
            f->json_schema = kept;
            f->json_schema_bytes = len;
        }
    }
    return 0;
}

int run_structured_attach(const backend *be, const sb_dataset *ds, run_structured *out, sb_err *err)
{
    memset(out, 0, sizeof *out);
    const char *last = NULL;
    json_t *last_parsed = NULL;
    for (size_t i = 0; i < ds->n; i++) {
        const sb_prompt_forms *f = &ds->reqs[i].forms;
        if (!f->json_schema)
            continue;
        if (be->mode != BK_MODE_COMPLETIONS && be->mode != BK_MODE_CHAT)
            return sb_err_set(err,
                              "structured output (a JSON schema on request %zu) is not supported "
                              "yet with --backend %s; use openai, vllm or openai-chat",
                              i, be->name);
        if (f->json_schema != last) { /* --json-schema-path's requests share one rendering */
            json_error_t je;
            last_parsed = json_loadb(f->json_schema, f->json_schema_bytes, 0, &je);
            if (!last_parsed)
                return sb_err_set(err, "request %zu: its JSON schema does not parse: %s", i,
                                  je.text);
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 8;
                out->schemas = sb_xrealloc(out->schemas, out->cap * sizeof *out->schemas);
            }
            out->schemas[out->n++] = last_parsed;
            last = f->json_schema;
        }
        if (!out->by_req)
            out->by_req = sb_xcalloc(ds->n, sizeof *out->by_req);
        out->by_req[i] = last_parsed;
    }
    return 0;
}

void run_structured_free(run_structured *s)
{
    for (size_t i = 0; i < s->n; i++)
        json_decref(s->schemas[i]);
    free(s->schemas);
    free(s->by_req);
    memset(s, 0, sizeof *s);
}
