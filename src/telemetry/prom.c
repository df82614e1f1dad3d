/* SPDX-License-Identifier: Apache-2.0 */
/* prom.c - Prometheus text format 0.0.4 (prom.h).
 *
 * The format requires a family's samples to follow its `# TYPE` line, so only
 * the current family is remembered: a sample gets that family's type when its
 * name is the family name or the family name plus a histogram/summary suffix
 * (`_bucket`, `_sum`, `_count`) or `_total`. That keeps the parse linear in
 * the text whatever it holds (no table to search per sample). */
#include "telemetry/prom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct cursor {
    const char *p, *end; /* the current line, without its newline */
    size_t line;
    sb_err *err;
} cursor;

static bool name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9');
}

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

static int fail(cursor *c, const char *what)
{
    return sb_err_set(c->err, "Prometheus text, line %zu: %s", c->line, what);
}

/* A metric name (colons allowed) or, with label, a label name. */
static int read_name(cursor *c, bool label, const char **name, size_t *len)
{
    const char *s = c->p;
    if (s == c->end || !name_start(*s) || (label && *s == ':'))
        return fail(c, label ? "a label name was expected" : "a metric name was expected");
    while (c->p < c->end && name_char(*c->p) && !(label && *c->p == ':'))
        c->p++;
    *name = s;
    *len = (size_t)(c->p - s);
    return 0;
}

static int read_label_value(cursor *c, prom_label *l)
{
    if (c->p == c->end || *c->p != '"')
        return fail(c, "a label value must be in double quotes");
    const char *s = ++c->p;
    while (c->p < c->end && *c->p != '"') {
        if (*c->p == '\\') {
            if (c->p + 1 == c->end)
                break;
            char e = c->p[1];
            if (e != '\\' && e != '"' && e != 'n')
                return fail(c, "a label value has an escape other than \\\\, \\\" or \\n");
            c->p++;
        }
        c->p++;
    }
    if (c->p == c->end)
        return fail(c, "unterminated label value");
    l->value = s;
    l->value_len = (size_t)(c->p - s);
    c->p++;
    return 0;
}

static int read_labels(cursor *c, prom_sample *s)
{
    c->p++; /* '{' */
    for (;;) {
        skip_ws(c);
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            return 0;
        }
        if (s->n_labels == PROM_MAX_LABELS)
            return fail(c, "more than 32 labels on one sample");
        prom_label *l = &s->labels[s->n_labels++];
        if (read_name(c, true, &l->name, &l->name_len) != 0)
            return -1;
        skip_ws(c);
        if (c->p == c->end || *c->p != '=')
            return fail(c, "'=' was expected after a label name");
        c->p++;
        skip_ws(c);
        if (read_label_value(c, l) != 0)
            return -1;
        skip_ws(c);
        if (c->p < c->end && *c->p == ',')
            c->p++;
        else if (c->p == c->end || *c->p != '}')
            return fail(c, "',' or '}' was expected after a label");
    }
}

/* The next blank-separated token as a number (Go's ParseFloat spellings:
 * NaN, +Inf, -Inf, decimal, exponent). */
static int read_number(cursor *c, double *out)
{
    skip_ws(c);
    const char *s = c->p;
    while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
        c->p++;
    size_t n = (size_t)(c->p - s);
    char tok[64];
    if (n == 0 || n >= sizeof tok)
        return fail(c, n ? "a value is too long" : "a sample has no value");
    memcpy(tok, s, n);
    tok[n] = '\0';
    char *end;
    *out = strtod(tok, &end);
    if (*end != '\0')
        return fail(c, "a value is not a number");
    return 0;
}

static int read_timestamp(cursor *c, prom_sample *s)
{
    skip_ws(c);
    if (c->p == c->end)
        return 0;
    const char *q = c->p;
    if (*q == '-' || *q == '+')
        q++;
    int64_t v = 0;
    const char *digits = q;
    while (q < c->end && *q >= '0' && *q <= '9' && q - digits < 18)
        v = v * 10 + (*q++ - '0');
    if (q == digits)
        return fail(c, "the timestamp is not an integer");
    s->has_ts = true;
    s->ts_ms = *c->p == '-' ? -v : v;
    c->p = q;
    skip_ws(c);
    return c->p == c->end ? 0 : fail(c, "text after the timestamp");
}

typedef struct family {
    const char *name;
    size_t len;
    prom_type type;
} family;

static prom_type type_of(const family *f, const char *name, size_t len)
{
    static const char *const suffixes[] = {"_bucket", "_sum", "_count", "_total", ""};
    if (!f->name || len < f->len || memcmp(name, f->name, f->len) != 0)
        return PROM_UNTYPED;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (len - f->len == strlen(suffixes[i]) &&
            !memcmp(name + f->len, suffixes[i], len - f->len))
            return f->type;
    return PROM_UNTYPED;
}

/* "# TYPE name kind" sets the current family; other comments are skipped. */
static int comment(cursor *c, family *f)
{
    c->p++;
    skip_ws(c);
    if (c->end - c->p < 5 || memcmp(c->p, "TYPE", 4) != 0 || (c->p[4] != ' ' && c->p[4] != '\t'))
        return 0;
    c->p += 4;
    skip_ws(c);
    family nf = {0};
    if (read_name(c, false, &nf.name, &nf.len) != 0)
        return -1;
    skip_ws(c);
    static const struct {
        const char *word;
        prom_type t;
    } kinds[] = {
        {"counter", PROM_COUNTER}, {"gauge", PROM_GAUGE},     {"histogram", PROM_HISTOGRAM},
        {"summary", PROM_SUMMARY}, {"untyped", PROM_UNTYPED},
    };
    size_t n = (size_t)(c->end - c->p);
    while (n && (c->p[n - 1] == ' ' || c->p[n - 1] == '\t'))
        n--;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (n == strlen(kinds[i].word) && !memcmp(c->p, kinds[i].word, n)) {
            nf.type = kinds[i].t;
            *f = nf;
            return 0;
        }
    return fail(c, "# TYPE names no known type (counter, gauge, histogram, summary, untyped)");
}

static int sample(cursor *c, const family *f, prom_cb cb, void *ud)
{
    prom_sample s;
    s.n_labels = 0;
    s.has_ts = false;
    s.ts_ms = 0;
    s.line = c->line;
    if (read_name(c, false, &s.name, &s.name_len) != 0)
        return -1;
    const char *after_name = c->p;
    skip_ws(c);
    bool labels = c->p < c->end && *c->p == '{';
    if (labels && read_labels(c, &s) != 0)
        return -1;
    bool blank = labels ? c->p < c->end && (*c->p == ' ' || *c->p == '\t') : c->p > after_name;
    if (!blank)
        return fail(c, "a blank was expected before the value");
    if (read_number(c, &s.value) != 0 || read_timestamp(c, &s) != 0)
        return -1;
    s.type = type_of(f, s.name, s.name_len);
    return cb(ud, &s);
}

int prom_parse(const char *text, size_t len, prom_cb cb, void *ud, sb_err *err)
{
    family f = {0};
    const char *p = text, *end = text + len;
    cursor c = {.err = err};
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        c.p = p;
        c.end = le > p && le[-1] == '\r' ? le - 1 : le;
        c.line++;
        skip_ws(&c);
        int rc = 0;
        if (c.p == c.end)
            rc = 0;
        else if (*c.p == '#')
            rc = comment(&c, &f);
        else
            rc = sample(&c, &f, cb, ud);
        if (rc != 0)
            return rc;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

bool prom_name_is(const prom_sample *s, const char *name)
{
    return strlen(name) == s->name_len && !memcmp(s->name, name, s->name_len);
}

bool prom_label_get(const prom_sample *s, const char *name, sb_buf *out)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < s->n_labels; i++) {
        const prom_label *l = &s->labels[i];
        if (l->name_len != n || memcmp(l->name, name, n) != 0)
            continue;
        for (size_t k = 0; k < l->value_len; k++) {
            char ch = l->value[k];
            if (ch == '\\' && k + 1 < l->value_len) {
                ch = l->value[++k];
                if (ch == 'n')
                    ch = '\n';
            }
            sb_buf_putc(out, ch);
        }
        return true;
    }
    return false;
}
