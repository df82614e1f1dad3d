/* SPDX-License-Identifier: Apache-2.0 */
/* config_file.c - `--config FILE.yaml`: flags written as YAML keys.
 *
 * vLLM's FlexibleArgumentParser reads the file with yaml.safe_load and turns
 * the mapping into command-line words (vllm/utils/argparse_utils.py:
 * FlexibleArgumentParser.load_config_file): `key: value` becomes
 * `--key str(value)`, a list `--key str(item)...` (an empty one nothing), a
 * nested mapping `--key json.dumps(value)` (`extra-body: {a: 1}` is
 * `--extra-body '{"a": 1}'`), `true` a bare flag and `false` nothing.
 * libyaml parses the file (anchors, aliases, flow and block collections,
 * every quoting style); the YAML 1.1 implicit types PyYAML's
 * SafeLoader resolves in plain scalars are resolved here the same way and
 * written as Python's str() writes them, so `1_000` is 1000, `0x10` is 16,
 * `yes` is true, `~` is None, `1.5e+3` is 1500.0. Merge keys (`<<: *base`)
 * merge as PyYAML does. Timestamps with a time part and explicit tags other
 * than !!str stop with "not supported yet". */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <yaml.h>

#include "cli/flags.h"
#include "core/dynlib.h"
#include "core/pyfmt.h"

/* libyaml is opened on the first --config, not linked (core/dynlib.h): one
 * shared object fewer at every start. The calls below go through this table
 * (typed from yaml.h). */
#define YAML_FNS(X)                                                                                \
    X(yaml_document_delete)                                                                        \
    X(yaml_document_get_node)                                                                      \
    X(yaml_document_get_root_node)                                                                 \
    X(yaml_parser_delete)                                                                          \
    X(yaml_parser_initialize)                                                                      \
    X(yaml_parser_load)                                                                            \
    X(yaml_parser_set_input_string)
static struct {
    YAML_FNS(SB_DYNLIB_FIELD)
} yaml_fn;
static char yaml_why[512]; /* why libyaml could not be loaded; "" when it was */

static void yaml_load(void)
{
    static const char *const libs[] = {SB_YAML_SONAME};
    static const char *const names[] = {YAML_FNS(SB_DYNLIB_NAME)};
    void *syms[sizeof names / sizeof *names];
    _Static_assert(sizeof yaml_fn == sizeof syms, "one pointer per name");
    if (sb_dynlib_open(libs, 1, names, syms, sizeof syms / sizeof *syms, yaml_why,
                       sizeof yaml_why) == 0)
        memcpy(&yaml_fn, syms, sizeof yaml_fn);
}

#define yaml_document_delete yaml_fn.yaml_document_delete
#define yaml_document_get_node yaml_fn.yaml_document_get_node
#define yaml_document_get_root_node yaml_fn.yaml_document_get_root_node
#define yaml_parser_delete yaml_fn.yaml_parser_delete
#define yaml_parser_initialize yaml_fn.yaml_parser_initialize
#define yaml_parser_load yaml_fn.yaml_parser_load
#define yaml_parser_set_input_string yaml_fn.yaml_parser_set_input_string

#define CONFIG_MAX_BYTES (4u << 20) /* a config file is a few hundred bytes */
#define CONFIG_MAX_WORDS 100000     /* aliases can multiply words; cap them */
#define CONFIG_MAX_DEPTH 32         /* nested mappings (and alias cycles) */
#define CONFIG_MAX_VISITS 1000000   /* pairs read, merges and aliases counted again */

typedef struct words {
    char **v;
    int n, cap;
} words;

typedef struct cfg_ctx {
    const char *path;
    yaml_document_t *doc;
    words w;
    long visits;
    regex_t re_bool, re_float, re_int, re_null, re_date, re_time;
    sb_err *err;
} cfg_ctx;

static int push(cfg_ctx *c, char *s)
{
    if (c->w.n >= CONFIG_MAX_WORDS) {
        free(s);
        return sb_err_set(c->err, "--config %s: more than %d words (aliases nested too deep?)",
                          c->path, CONFIG_MAX_WORDS);
    }
    if (c->w.n == c->w.cap) {
        c->w.cap = c->w.cap ? c->w.cap * 2 : 16;
        c->w.v = sb_xrealloc(c->w.v, (size_t)c->w.cap * sizeof *c->w.v);
    }
    c->w.v[c->w.n++] = s;
    return 0;
}

static int fail_at(cfg_ctx *c, const yaml_node_t *n, const char *what, const char *text)
{
    return sb_err_set(c->err, "--config %s:%zu:%zu: %s%s%s", c->path, n->start_mark.line + 1,
                      n->start_mark.column + 1, what, text ? ": " : "", text ? text : "");
}

static bool match(const regex_t *re, const char *s)
{
    return regexec(re, s, 0, NULL, 0) == 0;
}

/* s without '_' (PyYAML drops them from numbers before converting). */
static char *no_underscores(const char *s)
{
    char *o = sb_xstrdup(s), *w = o;
    for (const char *p = s; *p; p++)
        if (*p != '_')
            *w++ = *p;
    *w = '\0';
    return o;
}

/* str(int(s)) for s matching PyYAML's int pattern (construct_yaml_int):
 * 0b binary, 0x hex, a leading 0 octal, a:b:c base 60. NULL (err set) when
 * out of range. */
static char *yaml_int(cfg_ctx *c, const yaml_node_t *n, const char *text)
{
    char *v = no_underscores(text), *p = v;
    int neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    unsigned long long r = 0;
    bool ok = *p != '\0';
    if (!strncmp(p, "0b", 2) || !strncmp(p, "0x", 2) || (p[0] == '0' && p[1])) {
        int base = p[1] == 'b' ? 2 : p[1] == 'x' ? 16 : 8;
        const char *d = base == 8 ? p + 1 : p + 2;
        char *end;
        errno = 0;
        r = strtoull(d, &end, base);
        ok = *d && !*end && errno == 0;
    } else if (strchr(p, ':')) {
        for (char *part = p; ok && part;) {
            char *colon = strchr(part, ':');
            if (colon)
                *colon = '\0';
            unsigned long long d = strtoull(part, NULL, 10);
            ok = r <= (ULLONG_MAX - d) / 60;
            r = r * 60 + d;
            part = colon ? colon + 1 : NULL;
        }
    } else {
        char *end;
        errno = 0;
        r = strtoull(p, &end, 10);
        ok = !*end && errno == 0;
    }
    free(v);
    if (!ok || r > (unsigned long long)INT64_MAX + (unsigned long long)neg) {
        fail_at(c, n, "integer out of range", text);
        return NULL;
    }
    sb_buf b;
    sb_buf_init(&b);
    if (neg && r)
        sb_buf_printf(&b, "-%llu", r);
    else
        sb_buf_printf(&b, "%llu", r);
    return sb_buf_steal(&b);
}

/* Whether a YYYY-MM-DD text (the date pattern matched, so every field is
 * digits) names a day datetime.date accepts: PyYAML's construct_yaml_timestamp
 * builds one, which rejects year 0, month 13 and February 30. */
static bool valid_date(const char *s)
{
    int y = 0;
    for (int i = 0; i < 4; i++)
        y = y * 10 + (s[i] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m != 2 || d <= 28 || leap;
}

/* str(float(s)) for s matching PyYAML's float pattern (construct_yaml_float). */
static char *yaml_float(const char *text)
{
    char *v = no_underscores(text), *p = v;
    for (char *q = v; *q; q++)
        *q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
    double sign = *p == '-' ? -1.0 : 1.0, r;
    if (*p == '-' || *p == '+')
        p++;
    if (!strcmp(p, ".inf")) {
        r = sign * INFINITY;
    } else if (!strcmp(p, ".nan")) {
        r = NAN;
    } else if (strchr(p, ':')) { /* base 60, summed from the last part as PyYAML does */
        double parts[64];
        int np = 0;
        char *save = NULL;
        for (char *t = strtok_r(p, ":", &save); t && np < 64; t = strtok_r(NULL, ":", &save))
            parts[np++] = strtod(t, NULL);
        double base = 1.0;
        r = 0.0;
        for (int i = np - 1; i >= 0; i--) {
            r += parts[i] * base;
            base *= 60;
        }
        r *= sign;
    } else {
        r = sign * strtod(p, NULL);
    }
    free(v);
    char buf[40];
    return sb_xstrdup(py_float_repr(buf, sizeof buf, r));
}

typedef enum ytype { Y_STR, Y_TRUE, Y_FALSE, Y_NULL, Y_INT, Y_FLOAT, Y_DATE } ytype;

/* A scalar as Python's str() of what yaml.safe_load makes of it (a new
 * string), or NULL with err set; *t says which type it resolved to. The text
 * is the result rather than an out parameter so that no caller can use a
 * value a failed call did not write. */
static char *scalar_text(cfg_ctx *c, const yaml_node_t *n, ytype *t)
{
    const char *s = (const char *)n->data.scalar.value;
    const char *tag = (const char *)n->tag;
    *t = Y_STR;
    /* libyaml gives an untagged scalar the str tag; any other is explicit */
    if (tag && strcmp(tag, YAML_STR_TAG) != 0) {
        fail_at(c, n, "explicit YAML tags are not supported yet", tag);
        return NULL;
    }
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) /* quoted or block: a str */
        return sb_xstrdup(s);
    if (match(&c->re_bool, s)) {
        bool yes = strchr("yYtT", s[0]) || !strcmp(s, "on") || !strcmp(s, "On") || !strcmp(s, "ON");
        *t = yes ? Y_TRUE : Y_FALSE;
        return sb_xstrdup(yes ? "True" : "False");
    }
    if (match(&c->re_float, s)) {
        *t = Y_FLOAT;
        return yaml_float(s);
    }
    if (match(&c->re_int, s)) {
        *t = Y_INT;
        return yaml_int(c, n, s);
    }
    if (match(&c->re_null, s)) {
        *t = Y_NULL;
        return sb_xstrdup("None");
    }
    if (match(&c->re_date, s)) {
        *t = Y_DATE;
        if (!valid_date(s)) {
            fail_at(c, n, "not a valid date", s);
            return NULL;
        }
        return sb_xstrdup(s); /* str(datetime.date) is the same YYYY-MM-DD */
    }
    if (match(&c->re_time, s)) {
        fail_at(c, n, "timestamps are not supported yet", s);
        return NULL;
    }
    if (!strcmp(s, "=")) { /* PyYAML resolves it to the 'value' tag, which safe_load rejects */
        fail_at(c, n, "'=' is not a value safe_load accepts", NULL);
        return NULL;
    }
    return sb_xstrdup(s);
}

static int push_key(cfg_ctx *c, const char *key)
{
    sb_buf b;
    sb_buf_init(&b);
    sb_buf_printf(&b, "--%s", key);
    return push(c, sb_buf_steal(&b));
}

/* One mapping key as a new string, or NULL with err set (PyYAML would build
 * a non-str key, which FlexibleArgumentParser cannot turn into a flag). */
static char *key_text(cfg_ctx *c, const yaml_node_t *k)
{
    if (k->type != YAML_SCALAR_NODE) {
        fail_at(c, k, "a key must be a plain name", NULL);
        return NULL;
    }
    ytype t;
    char *key = scalar_text(c, k, &t);
    if (key && (t != Y_STR || !*key)) {
        fail_at(c, k, "a key must be a flag name", key);
        free(key);
        return NULL;
    }
    return key;
}

/* The pairs of a mapping in dict order: merge keys (`<<`) first, as
 * PyYAML's flatten_mapping puts them, then the mapping's own; a repeated
 * key keeps its first place and takes the last value. */
typedef struct pair {
    char *key;
    yaml_node_t *val;
} pair;

typedef struct pairs {
    pair *v;
    size_t n, cap;
} pairs;

static void pairs_set(pairs *p, char *key, yaml_node_t *val)
{
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->v[i].key, key)) {
            free(key);
            p->v[i].val = val;
            return;
        }
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->v = sb_xrealloc(p->v, p->cap * sizeof *p->v);
    }
    p->v[p->n++] = (pair){key, val};
}

static void pairs_free(pairs *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].key);
    free(p->v);
}

static bool is_merge_key(const yaml_node_t *k)
{
    return k->type == YAML_SCALAR_NODE && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           !strcmp((const char *)k->data.scalar.value, "<<");
}

static int collect_pairs(cfg_ctx *c, yaml_node_t *map, pairs *out, int depth);

static int merge_into(cfg_ctx *c, yaml_node_t *v, pairs *out, int depth)
{
    if (v->type == YAML_MAPPING_NODE)
        return collect_pairs(c, v, out, depth + 1);
    if (v->type != YAML_SEQUENCE_NODE)
        return fail_at(c, v, "'<<' merges a mapping or a list of mappings", NULL);
    /* PyYAML merges a list in reverse so that earlier mappings win */
    for (yaml_node_item_t *it = v->data.sequence.items.top; it > v->data.sequence.items.start;) {
        yaml_node_t *m = yaml_document_get_node(c->doc, *--it);
        if (!m || m->type != YAML_MAPPING_NODE)
            return fail_at(c, v, "'<<' merges a mapping or a list of mappings", NULL);
        if (collect_pairs(c, m, out, depth + 1) < 0)
            return -1;
    }
    return 0;
}

static int collect_pairs(cfg_ctx *c, yaml_node_t *map, pairs *out, int depth)
{
    if (depth > CONFIG_MAX_DEPTH)
        return fail_at(c, map, "mappings nested too deep", NULL);
    c->visits += (long)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    if (c->visits > CONFIG_MAX_VISITS)
        return fail_at(c, map, "aliases and merges expand too far", NULL);
    pairs own = {0};
    int rc = 0;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         rc == 0 && p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        if (is_merge_key(k)) {
            rc = merge_into(c, v, out, depth);
            continue;
        }
        char *key = key_text(c, k);
        if (key)
            pairs_set(&own, key, v);
        else
            rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < own.n; i++) {
        pairs_set(out, own.v[i].key, own.v[i].val);
        own.v[i].key = NULL;
    }
    pairs_free(&own);
    return rc;
}

/* json.dumps(value) of what safe_load makes of node v (default separators,
 * ensure_ascii, floats as repr, NaN/Infinity bare). */
static int write_json(cfg_ctx *c, yaml_node_t *v, sb_buf *b, int depth)
{
    if (depth > CONFIG_MAX_DEPTH)
        return fail_at(c, v, "mappings nested too deep", NULL);
    if (++c->visits > CONFIG_MAX_VISITS || b->len > CONFIG_MAX_BYTES)
        return fail_at(c, v, "aliases and merges expand too far", NULL);
    if (v->type == YAML_SEQUENCE_NODE) {
        sb_buf_putc(b, '[');
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
             it++) {
            if (it > v->data.sequence.items.start)
                sb_buf_puts(b, ", ");
            if (write_json(c, yaml_document_get_node(c->doc, *it), b, depth + 1) < 0)
                return -1;
        }
        sb_buf_putc(b, ']');
        return 0;
    }
    if (v->type == YAML_MAPPING_NODE) {
        pairs ps = {0};
        int rc = collect_pairs(c, v, &ps, depth);
        sb_buf_putc(b, '{');
        for (size_t i = 0; rc == 0 && i < ps.n; i++) {
            if (i)
                sb_buf_puts(b, ", ");
            pyfmt_json_string(b, ps.v[i].key, strlen(ps.v[i].key));
            sb_buf_puts(b, ": ");
            rc = write_json(c, ps.v[i].val, b, depth + 1);
        }
        sb_buf_putc(b, '}');
        pairs_free(&ps);
        return rc;
    }
    ytype t;
    char *s = scalar_text(c, v, &t);
    if (!s)
        return -1;
    int rc = 0;
    if (t == Y_STR)
        pyfmt_json_string(b, s, strlen(s));
    else if (t == Y_TRUE || t == Y_FALSE || t == Y_NULL)
        sb_buf_puts(b, t == Y_TRUE ? "true" : t == Y_FALSE ? "false" : "null");
    else if (t == Y_FLOAT && !strcmp(s, "nan"))
        sb_buf_puts(b, "NaN");
    else if (t == Y_FLOAT && (!strcmp(s, "inf") || !strcmp(s, "-inf")))
        sb_buf_puts(b, s[0] == '-' ? "-Infinity" : "Infinity");
    else if (t == Y_DATE)
        rc = fail_at(c, v, "a date inside a mapping is not JSON serializable", s);
    else
        sb_buf_puts(b, s);
    free(s);
    return rc;
}

/* One key with its value, as FlexibleArgumentParser.load_config_file does. */
static int emit_pair(cfg_ctx *c, const char *key, yaml_node_t *v, int depth)
{
    if (v->type == YAML_MAPPING_NODE) { /* one JSON object text, as json.dumps writes it */
        sb_buf json;
        sb_buf_init(&json);
        int rc = write_json(c, v, &json, depth + 1);
        if (rc == 0 && push_key(c, key) == 0)
            return push(c, sb_buf_steal(&json));
        sb_buf_free(&json);
        return -1;
    }
    if (v->type == YAML_SEQUENCE_NODE) {
        if (v->data.sequence.items.top == v->data.sequence.items.start)
            return 0; /* an empty list adds nothing */
        if (push_key(c, key) < 0)
            return -1;
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
             it++) {
            yaml_node_t *item = yaml_document_get_node(c->doc, *it);
            if (item->type != YAML_SCALAR_NODE)
                return fail_at(c, item, "lists of lists or mappings are not supported yet", NULL);
            ytype t;
            char *s = scalar_text(c, item, &t);
            if (!s || push(c, s) < 0)
                return -1;
        }
        return 0;
    }
    ytype t;
    char *s = scalar_text(c, v, &t);
    if (!s)
        return -1;
    if (t == Y_FALSE) { /* store_true flags stay off */
        free(s);
        return 0;
    }
    if (push_key(c, key) < 0) {
        free(s);
        return -1;
    }
    if (t == Y_TRUE) {
        free(s);
        return 0;
    }
    return push(c, s);
}

static int emit_mapping(cfg_ctx *c, yaml_node_t *map)
{
    pairs ps = {0};
    int rc = collect_pairs(c, map, &ps, 0);
    for (size_t i = 0; rc == 0 && i < ps.n; i++)
        rc = emit_pair(c, ps.v[i].key, ps.v[i].val, 0);
    pairs_free(&ps);
    return rc;
}

/* PyYAML's implicit resolvers (yaml/resolver.py: Resolver), in its order.
 * Returns 0, or -1 when the C library rejects a pattern (then none is kept). */
static int compile_resolvers(cfg_ctx *c)
{
    static const char *const pats[6] = {
        "^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
        "^([-+]?[0-9][0-9_]*\\.[0-9_]*([eE][-+][0-9]+)?|\\.[0-9][0-9_]*([eE][-+][0-9]+)?"
        "|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
        "^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
        "|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$",
        "^(~|null|Null|NULL|)$",
        "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        "^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]*)?"
        "([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?$",
    };
    regex_t *res[6] = {&c->re_bool, &c->re_float, &c->re_int,
                       &c->re_null, &c->re_date,  &c->re_time};
    for (int i = 0; i < 6; i++)
        if (regcomp(res[i], pats[i], REG_EXTENDED | REG_NOSUB) != 0) {
            while (i-- > 0)
                regfree(res[i]);
            return sb_err_set(c->err, "--config %s: cannot compile the YAML type patterns",
                              c->path);
        }
    return 0;
}

static void free_resolvers(cfg_ctx *c)
{
    regfree(&c->re_bool);
    regfree(&c->re_float);
    regfree(&c->re_int);
    regfree(&c->re_null);
    regfree(&c->re_date);
    regfree(&c->re_time);
}

static int parse_error(cfg_ctx *c, const yaml_parser_t *p)
{
    const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->context_mark;
    return sb_err_set(c->err, "--config %s:%zu:%zu: %s%s%s", c->path, m->line + 1, m->column + 1,
                      p->problem ? p->problem : "not valid YAML", p->context ? " " : "",
                      p->context ? p->context : "");
}

static int load(cfg_ctx *c, const unsigned char *text, size_t len)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, yaml_load);
    if (yaml_why[0])
        return sb_err_set(c->err, "--config %s: libyaml: %s", c->path, yaml_why);
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    if (!yaml_parser_initialize(&parser))
        return sb_err_set(c->err, "--config %s: out of memory", c->path);
    yaml_parser_set_input_string(&parser, text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        int rc = parse_error(c, &parser);
        yaml_parser_delete(&parser);
        return rc;
    }
    int rc = 0;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root) { /* a second document is an error for safe_load too */
        if (!yaml_parser_load(&parser, &extra))
            rc = parse_error(c, &parser);
        else if (yaml_document_get_root_node(&extra))
            rc = sb_err_set(c->err, "--config %s: more than one YAML document", c->path);
        yaml_document_delete(&extra);
    }
    c->doc = &doc;
    if (rc == 0 && root && root->type != YAML_MAPPING_NODE)
        rc = fail_at(c, root, "the file must be a mapping of flag names to values", NULL);
    else if (rc == 0 && root)
        rc = emit_mapping(c, root);
    c->doc = NULL; /* doc lives on this stack frame only */
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int cli_config_file_words(const char *path, char ***out, int *n_out, sb_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sb_err_set(err, "--config %s: %s", path, strerror(errno));
    sb_buf text;
    sb_buf_init(&text);
    char chunk[8192];
    size_t got;
    int rc = 0;
    while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        sb_buf_append(&text, chunk, got);
        if (text.len > CONFIG_MAX_BYTES)
            rc = sb_err_set(err, "--config %s: larger than %u bytes", path, CONFIG_MAX_BYTES);
    }
    if (rc == 0 && ferror(f))
        rc = sb_err_set(err, "--config %s: %s", path, strerror(errno));
    fclose(f);
    cfg_ctx c = {.path = path, .err = err};
    if (rc == 0) {
        rc = compile_resolvers(&c);
        if (rc == 0) {
            rc = load(&c, (const unsigned char *)(text.data ? text.data : ""), text.len);
            free_resolvers(&c);
        }
    }
    sb_buf_free(&text);
    if (rc < 0) {
        for (int i = 0; i < c.w.n; i++)
            free(c.w.v[i]);
        free(c.w.v);
        return -1;
    }
    *out = c.w.v;
    *n_out = c.w.n;
    return 0;
}
