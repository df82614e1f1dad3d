/* SPDX-License-Identifier: Apache-2.0 */
/* jschema.c - check and generate JSON for the schema subset of jschema.h.
 *
 * Both walk the schema recursively with a depth cap, so a deeply nested (or
 * hostile) schema or answer ends as "no match" / a null value, never as a
 * stack overflow. */
#include "schema/jschema.h"

#include <math.h>
#include <string.h>

#define JSCHEMA_MAX_DEPTH 64

static bool is_type(const json_t *v, const char *t)
{
    if (!strcmp(t, "object"))
        return json_is_object(v);
    if (!strcmp(t, "array"))
        return json_is_array(v);
    if (!strcmp(t, "string"))
        return json_is_string(v);
    if (!strcmp(t, "boolean"))
        return json_is_boolean(v);
    if (!strcmp(t, "null"))
        return json_is_null(v);
    if (!strcmp(t, "number"))
        return json_is_number(v);
    if (!strcmp(t, "integer")) /* 1.0 is an integer in JSON Schema */
        return json_is_integer(v) ||
               (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v));
    return true; /* an unknown type name is not ours to reject */
}

static bool type_ok(const json_t *schema, const json_t *v)
{
    const json_t *t = json_object_get(schema, "type");
    if (json_is_string(t))
        return is_type(v, json_string_value(t));
    if (json_is_array(t)) {
        size_t i;
        const json_t *e;
        json_array_foreach(t, i, e) if (json_is_string(e) &&
                                        is_type(v, json_string_value(e))) return true;
        return false;
    }
    return true;
}

static bool num_ok(const json_t *schema, double x)
{
    const json_t *b;
    if (json_is_number(b = json_object_get(schema, "minimum")) && x < json_number_value(b))
        return false;
    if (json_is_number(b = json_object_get(schema, "maximum")) && x > json_number_value(b))
        return false;
    if (json_is_number(b = json_object_get(schema, "exclusiveMinimum")) &&
        x <= json_number_value(b))
        return false;
    if (json_is_number(b = json_object_get(schema, "exclusiveMaximum")) &&
        x >= json_number_value(b))
        return false;
    return true;
}

/* Code points of a UTF-8 string (minLength counts characters, not bytes). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static long long get_count(const json_t *schema, const char *key, long long dflt)
{
    const json_t *v = json_object_get(schema, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static bool match(const json_t *schema, const json_t *v, int depth);

static bool object_ok(const json_t *schema, const json_t *v, int depth)
{
    const json_t *props = json_object_get(schema, "properties");
    const json_t *req = json_object_get(schema, "required");
    const json_t *addl = json_object_get(schema, "additionalProperties");
    size_t i;
    const json_t *e;
    if (json_is_array(req))
        json_array_foreach(req, i, e) if (json_is_string(e) &&
                                          !json_object_get(v, json_string_value(e))) return false;
    const char *k;
    json_t *m;
    json_object_foreach((json_t *)v, k, m)
    {
        const json_t *ps = json_is_object(props) ? json_object_get(props, k) : NULL;
        if (ps) {
            if (!match(ps, m, depth + 1))
                return false;
        } else if (json_is_false(addl)) {
            return false;
        } else if (json_is_object(addl) && !match(addl, m, depth + 1)) {
            return false;
        }
    }
    return true;
}

static bool array_ok(const json_t *schema, const json_t *v, int depth)
{
    long long n = (long long)json_array_size(v);
    if (n < get_count(schema, "minItems", 0) || n > get_count(schema, "maxItems", n))
        return false;
    const json_t *items = json_object_get(schema, "items");
    size_t i;
    const json_t *e;
    if (json_is_object(items))
        json_array_foreach(v, i, e) if (!match(items, e, depth + 1)) return false;
    return true;
}

static bool match(const json_t *schema, const json_t *v, int depth)
{
    if (depth > JSCHEMA_MAX_DEPTH)
        return false;
    if (json_is_false(schema))
        return false;
    if (!json_is_object(schema))
        return true; /* true, or not a schema at all: nothing to check */
    if (!type_ok(schema, v))
        return false;
    const json_t *en = json_object_get(schema, "enum");
    if (json_is_array(en)) {
        bool found = false;
        size_t i;
        const json_t *e;
        json_array_foreach(en, i, e) found = found || json_equal((json_t *)e, (json_t *)v);
        if (!found)
            return false;
    }
    const json_t *cn = json_object_get(schema, "const");
    if (cn && !json_equal((json_t *)cn, (json_t *)v))
        return false;
    if (json_is_number(v) && !num_ok(schema, json_number_value(v)))
        return false;
    if (json_is_string(v)) {
        long long n = (long long)utf8_chars(json_string_value(v));
        if (n < get_count(schema, "minLength", 0) || n > get_count(schema, "maxLength", n))
            return false;
    }
    if (json_is_object(v) && !object_ok(schema, v, depth))
        return false;
    if (json_is_array(v) && !array_ok(schema, v, depth))
        return false;
    const char *alts[] = {"anyOf", "oneOf", "allOf"};
    for (int a = 0; a < 3; a++) {
        const json_t *l = json_object_get(schema, alts[a]);
        if (!json_is_array(l) || json_array_size(l) == 0)
            continue;
        size_t i, hits = 0;
        const json_t *e;
        json_array_foreach(l, i, e) hits += match(e, v, depth + 1);
        if ((a == 0 && hits == 0) || (a == 1 && hits != 1) ||
            (a == 2 && hits != json_array_size(l)))
            return false;
    }
    return true;
}

bool jschema_matches(const json_t *schema, const json_t *value)
{
    return match(schema, value, 0);
}

jschema_verdict jschema_check_text(const json_t *schema, const char *text, size_t len)
{
    json_error_t je;
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY, &je);
    if (!v)
        return JSCHEMA_INVALID_JSON;
    jschema_verdict r = match(schema, v, 0) ? JSCHEMA_MATCH : JSCHEMA_MISMATCH;
    json_decref(v);
    return r;
}

/* ---- generation ---- */

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static const char *const gen_words[16] = {"alpha", "bravo",  "cedar", "delta", "ember",   "fjord",
                                          "grove", "harbor", "iris",  "jade",  "kestrel", "lumen",
                                          "maple", "nova",   "onyx",  "pine"};

/* The type to generate: the schema's (the first non-null of a list), else
 * what its keywords imply. */
static const char *gen_type(const json_t *schema)
{
    const json_t *t = json_object_get(schema, "type");
    if (json_is_string(t))
        return json_string_value(t);
    if (json_is_array(t)) {
        size_t i;
        const json_t *e;
        json_array_foreach(t, i, e) if (json_is_string(e) && strcmp(json_string_value(e), "null") !=
                                                                 0) return json_string_value(e);
        if (json_array_size(t))
            return "null";
    }
    if (json_object_get(schema, "properties") || json_object_get(schema, "required"))
        return "object";
    if (json_object_get(schema, "items"))
        return "array";
    return "string";
}

static void put_value(const json_t *v, sb_buf *out)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
    sb_buf_puts(out, s ? s : "null");
    free(s);
}

static void put_key(const char *k, sb_buf *out)
{
    json_t *s = json_string(k);
    put_value(s ? s : json_null(), out);
    json_decref(s);
}

static void gen_string(const json_t *schema, uint64_t *st, sb_buf *out)
{
    long long lo = get_count(schema, "minLength", 0), hi = get_count(schema, "maxLength", -1);
    if (lo > 4096) /* a longer minimum is a schema no answer in the sim needs to honour */
        lo = 4096;
    const char *w = gen_words[mix(st) & 15];
    long long wl = (long long)strlen(w);
    long long n = wl > lo ? wl : lo;
    if (hi >= 0 && n > hi)
        n = hi;
    sb_buf_putc(out, '"');
    for (long long k = 0; k < n; k++)
        sb_buf_putc(out, k < wl ? w[k] : 'x');
    sb_buf_putc(out, '"');
}

static void gen_number(const json_t *schema, bool integer, uint64_t *st, sb_buf *out)
{
    const json_t *b;
    double lo = -INFINITY, hi = INFINITY;
    if (json_is_number(b = json_object_get(schema, "minimum")))
        lo = json_number_value(b);
    if (json_is_number(b = json_object_get(schema, "exclusiveMinimum")))
        lo = fmax(lo, json_number_value(b) + (integer ? 1 : 1e-6));
    if (json_is_number(b = json_object_get(schema, "maximum")))
        hi = json_number_value(b);
    if (json_is_number(b = json_object_get(schema, "exclusiveMaximum")))
        hi = fmin(hi, json_number_value(b) - (integer ? 1 : 1e-6));
    if (integer) {
        lo = ceil(lo);
        hi = floor(hi);
    }
    double base = isfinite(lo) ? lo : isfinite(hi) ? fmin(hi, 0) - 100 : 0;
    double span = isfinite(hi) && hi >= base ? hi - base : 100;
    double x = base + (double)(mix(st) % 1001) / 1000.0 * span;
    if (integer)
        x = floor(x);
    if (x > hi)
        x = hi;
    if (x < lo)
        x = lo;
    if (integer && fabs(x) < 9e15)
        sb_buf_printf(out, "%lld", (long long)x);
    else
        sb_buf_printf(out, "%.17g", isfinite(x) ? x : 0.0);
}

static void gen(const json_t *schema, uint64_t *st, sb_buf *out, int depth)
{
    if (depth > JSCHEMA_MAX_DEPTH || !json_is_object(schema)) {
        sb_buf_puts(out, depth > JSCHEMA_MAX_DEPTH ? "null" : "\"x\"");
        return;
    }
    const json_t *cn = json_object_get(schema, "const");
    const json_t *en = json_object_get(schema, "enum");
    if (cn) {
        put_value(cn, out);
        return;
    }
    if (json_is_array(en) && json_array_size(en)) {
        put_value(json_array_get(en, mix(st) % json_array_size(en)), out);
        return;
    }
    const char *alts[] = {"anyOf", "oneOf", "allOf"};
    for (int a = 0; a < 3; a++) {
        const json_t *l = json_object_get(schema, alts[a]);
        if (json_is_array(l) && json_array_size(l) && !json_object_get(schema, "type")) {
            gen(json_array_get(l, 0), st, out, depth + 1);
            return;
        }
    }
    const char *t = gen_type(schema);
    if (!strcmp(t, "object")) {
        const json_t *props = json_object_get(schema, "properties");
        const json_t *req = json_object_get(schema, "required");
        bool first = true;
        sb_buf_putc(out, '{');
        const char *k;
        json_t *ps;
        if (json_is_object(props))
            json_object_foreach((json_t *)props, k, ps)
            {
                sb_buf_puts(out, first ? "" : ",");
                first = false;
                put_key(k, out);
                sb_buf_putc(out, ':');
                gen(ps, st, out, depth + 1);
            }
        size_t i;
        const json_t *e;
        if (json_is_array(req)) /* required names without a property schema */
            json_array_foreach(req, i, e)
            {
                if (!json_is_string(e) ||
                    (json_is_object(props) && json_object_get(props, json_string_value(e))))
                    continue;
                sb_buf_puts(out, first ? "" : ",");
                first = false;
                put_key(json_string_value(e), out);
                sb_buf_putc(out, ':');
                const json_t *addl = json_object_get(schema, "additionalProperties");
                gen(json_is_object(addl) ? addl : NULL, st, out, depth + 1);
            }
        sb_buf_putc(out, '}');
    } else if (!strcmp(t, "array")) {
        long long n = get_count(schema, "minItems", 0);
        long long hi = get_count(schema, "maxItems", n > 2 ? n : 2);
        if (n < 2)
            n = hi < 2 ? hi : 2;
        if (n > 1024)
            n = 1024;
        sb_buf_putc(out, '[');
        for (long long i = 0; i < n; i++) {
            sb_buf_puts(out, i ? "," : "");
            gen(json_object_get(schema, "items"), st, out, depth + 1);
        }
        sb_buf_putc(out, ']');
    } else if (!strcmp(t, "integer") || !strcmp(t, "number")) {
        gen_number(schema, !strcmp(t, "integer"), st, out);
    } else if (!strcmp(t, "boolean")) {
        sb_buf_puts(out, mix(st) & 1 ? "true" : "false");
    } else if (!strcmp(t, "null")) {
        sb_buf_puts(out, "null");
    } else {
        gen_string(schema, st, out);
    }
}

void jschema_generate(const json_t *schema, uint64_t seed, sb_buf *out)
{
    uint64_t st = seed;
    gen(schema, &st, out, 0);
}
