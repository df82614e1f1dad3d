/* SPDX-License-Identifier: Apache-2.0 */
/* tmpl_value.c - Python value semantics for the template evaluator.
 *
 * A chat template's output bytes depend on how Python prints and compares
 * values: str() of None is "None", floats print with repr()'s shortest
 * round-trip digits, `tojson` is json.dumps(ensure_ascii=False) as
 * transformers configures it, strings are sequences of code points (not
 * bytes) and "whitespace" is str.isspace(). This file is that part of Python,
 * and nothing else. */
#include "template/tmpl_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/pyfmt.h"
#include "core/utf8.h"

/* ---- arena string builder ---- */

void tmpl_sb_init(tmpl_sb *b, sb_arena *ar)
{
    b->ar = ar;
    b->p = NULL;
    b->n = b->cap = 0;
}

void tmpl_sb_add(tmpl_sb *b, const char *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *np = sb_arena_alloc(b->ar, cap);
        if (b->n)
            memcpy(np, b->p, b->n);
        b->p = np;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void tmpl_sb_addc(tmpl_sb *b, char c)
{
    tmpl_sb_add(b, &c, 1);
}

void tmpl_sb_adds(tmpl_sb *b, const char *s)
{
    tmpl_sb_add(b, s, strlen(s));
}

/* ---- constructors ---- */

tmpl_val tmpl_v_undef(const char *name)
{
    tmpl_val v = {.t = TV_UNDEF};
    v.u.s.p = name;
    v.u.s.n = name ? strlen(name) : 0;
    return v;
}

tmpl_val tmpl_v_none(void)
{
    return (tmpl_val){.t = TV_NONE};
}

tmpl_val tmpl_v_bool(bool b)
{
    tmpl_val v = {.t = TV_BOOL};
    v.u.b = b;
    return v;
}

tmpl_val tmpl_v_int(int64_t i)
{
    tmpl_val v = {.t = TV_INT};
    v.u.i = i;
    return v;
}

tmpl_val tmpl_v_float(double f)
{
    tmpl_val v = {.t = TV_FLOAT};
    v.u.f = f;
    return v;
}

tmpl_val tmpl_v_str(const char *p, size_t n)
{
    tmpl_val v = {.t = TV_STR};
    v.u.s.p = p;
    v.u.s.n = n;
    return v;
}

tmpl_val tmpl_v_cstr(const char *p)
{
    return tmpl_v_str(p, strlen(p));
}

tmpl_val tmpl_v_list(sb_arena *ar, size_t cap)
{
    tmpl_val v = {.t = TV_LIST};
    v.u.l = sb_arena_calloc(ar, sizeof *v.u.l);
    if (cap) {
        v.u.l->v = sb_arena_alloc(ar, cap * sizeof *v.u.l->v);
        v.u.l->cap = cap;
    }
    return v;
}

tmpl_val tmpl_v_dict(sb_arena *ar, size_t cap)
{
    tmpl_val v = {.t = TV_DICT};
    v.u.d = sb_arena_calloc(ar, sizeof *v.u.d);
    if (cap) {
        v.u.d->k = sb_arena_alloc(ar, cap * sizeof *v.u.d->k);
        v.u.d->v = sb_arena_alloc(ar, cap * sizeof *v.u.d->v);
        v.u.d->cap = cap;
    }
    return v;
}

void tmpl_list_push(sb_arena *ar, tmpl_list *l, tmpl_val v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        tmpl_val *nv = sb_arena_alloc(ar, cap * sizeof *nv);
        if (l->n)
            memcpy(nv, l->v, l->n * sizeof *nv);
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = v;
}

tmpl_val *tmpl_dict_find(const tmpl_dict *d, tmpl_val key)
{
    for (size_t i = 0; i < d->n; i++)
        if (tmpl_equal(d->k[i], key))
            return &d->v[i];
    return NULL;
}

tmpl_val *tmpl_dict_get(const tmpl_dict *d, const char *key, size_t n)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->k[i].t == TV_STR && d->k[i].u.s.n == n && memcmp(d->k[i].u.s.p, key, n) == 0)
            return &d->v[i];
    return NULL;
}

void tmpl_dict_set(sb_arena *ar, tmpl_dict *d, tmpl_val k, tmpl_val v)
{
    tmpl_val *old = tmpl_dict_find(d, k);
    if (old) {
        *old = v;
        return;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4;
        tmpl_val *nk = sb_arena_alloc(ar, cap * sizeof *nk);
        tmpl_val *nv = sb_arena_alloc(ar, cap * sizeof *nv);
        if (d->n) {
            memcpy(nk, d->k, d->n * sizeof *nk);
            memcpy(nv, d->v, d->n * sizeof *nv);
        }
        d->k = nk;
        d->v = nv;
        d->cap = cap;
    }
    d->k[d->n] = k;
    d->v[d->n++] = v;
}

/* ---- truth, equality, ordering ---- */

bool tmpl_truthy(tmpl_val v)
{
    switch (v.t) {
    case TV_UNDEF:
    case TV_NONE:
        return false;
    case TV_BOOL:
        return v.u.b;
    case TV_INT:
        return v.u.i != 0;
    case TV_FLOAT:
        return v.u.f != 0.0;
    case TV_STR:
        return v.u.s.n > 0;
    case TV_LIST:
        return v.u.l->n > 0;
    case TV_DICT:
        return (v.flag & TV_F_NS) || v.u.d->n > 0; /* a namespace is an object */
    default:
        return true;
    }
}

static bool is_num(tmpl_val v)
{
    return v.t == TV_BOOL || v.t == TV_INT || v.t == TV_FLOAT;
}

static double num_f(tmpl_val v)
{
    return v.t == TV_FLOAT ? v.u.f : v.t == TV_INT ? (double)v.u.i : (double)v.u.b;
}

static int64_t num_i(tmpl_val v)
{
    return v.t == TV_INT ? v.u.i : (int64_t)v.u.b;
}

bool tmpl_equal(tmpl_val a, tmpl_val b)
{
    if (is_num(a) && is_num(b)) {
        if (a.t == TV_FLOAT || b.t == TV_FLOAT)
            return num_f(a) == num_f(b);
        return num_i(a) == num_i(b);
    }
    if (a.t != b.t)
        return false;
    switch (a.t) {
    case TV_UNDEF:
    case TV_NONE:
        return true;
    case TV_STR:
        return a.u.s.n == b.u.s.n && memcmp(a.u.s.p, b.u.s.p, a.u.s.n) == 0;
    case TV_LIST:
        if ((a.flag & TV_F_TUPLE) != (b.flag & TV_F_TUPLE) || a.u.l->n != b.u.l->n)
            return false;
        for (size_t i = 0; i < a.u.l->n; i++)
            if (!tmpl_equal(a.u.l->v[i], b.u.l->v[i]))
                return false;
        return true;
    case TV_DICT:
        if (a.flag != b.flag)
            return false;
        if (a.flag & TV_F_NS)
            return a.u.d == b.u.d;
        if (a.u.d->n != b.u.d->n)
            return false;
        for (size_t i = 0; i < a.u.d->n; i++) {
            tmpl_val *o = tmpl_dict_find(b.u.d, a.u.d->k[i]);
            if (!o || !tmpl_equal(a.u.d->v[i], *o))
                return false;
        }
        return true;
    case TV_FUNC:
        return a.u.fn.id == b.u.fn.id && a.u.fn.self == b.u.fn.self;
    case TV_MACRO:
        return a.u.macro == b.u.macro;
    default:
        return a.u.loop == b.u.loop;
    }
}

int tmpl_order(tmpl_val a, tmpl_val b)
{
    if (is_num(a) && is_num(b)) {
        if (a.t == TV_FLOAT || b.t == TV_FLOAT) {
            double x = num_f(a), y = num_f(b);
            return x < y ? -1 : x > y ? 1 : 0;
        }
        int64_t x = num_i(a), y = num_i(b);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.t == TV_STR && b.t == TV_STR) { /* UTF-8 byte order is code point order */
        size_t n = a.u.s.n < b.u.s.n ? a.u.s.n : b.u.s.n;
        int c = n ? memcmp(a.u.s.p, b.u.s.p, n) : 0;
        if (c)
            return c < 0 ? -1 : 1;
        return a.u.s.n < b.u.s.n ? -1 : a.u.s.n > b.u.s.n ? 1 : 0;
    }
    if (a.t == TV_LIST && b.t == TV_LIST && (a.flag & TV_F_TUPLE) == (b.flag & TV_F_TUPLE)) {
        size_t n = a.u.l->n < b.u.l->n ? a.u.l->n : b.u.l->n;
        for (size_t i = 0; i < n; i++) {
            if (tmpl_equal(a.u.l->v[i], b.u.l->v[i]))
                continue;
            return tmpl_order(a.u.l->v[i], b.u.l->v[i]);
        }
        return a.u.l->n < b.u.l->n ? -1 : a.u.l->n > b.u.l->n ? 1 : 0;
    }
    return -2;
}

const char *tmpl_type_name(tmpl_val v)
{
    static const char *names[] = {"Undefined", "NoneType", "bool",     "int",   "float",      "str",
                                  "list",      "dict",     "function", "Macro", "LoopContext"};
    if (v.t == TV_LIST && (v.flag & TV_F_TUPLE))
        return "tuple";
    if (v.t == TV_DICT && (v.flag & TV_F_NS))
        return "Namespace";
    return names[v.t];
}

/* ---- UTF-8 and whitespace ---- */

size_t tmpl_utf8_dec(const char *p, size_t n, uint32_t *cp)
{
    size_t k = sb_utf8_decode(p, n, cp);
    if (!k) { /* invalid byte: one unit of its own, never whitespace */
        *cp = 0xFFFFFFFFu;
        return 1;
    }
    return k;
}

size_t tmpl_utf8_len(const char *p, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += tmpl_utf8_dec(p + i, n - i, &cp);
        count++;
    }
    return count;
}

size_t tmpl_utf8_off(const char *p, size_t n, size_t idx)
{
    size_t i = 0;
    while (idx-- > 0 && i < n) {
        uint32_t cp;
        i += tmpl_utf8_dec(p + i, n - i, &cp);
    }
    return i;
}

bool tmpl_py_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

static bool in_chars(uint32_t cp, const char *chars, size_t nchars)
{
    if (!chars)
        return tmpl_py_space(cp);
    for (size_t i = 0; i < nchars;) {
        uint32_t c;
        i += tmpl_utf8_dec(chars + i, nchars - i, &c);
        if (c == cp)
            return true;
    }
    return false;
}

tmpl_val tmpl_strip(tmpl_val s, const char *chars, size_t nchars, int which)
{
    const char *p = s.u.s.p;
    size_t a = 0, b = s.u.s.n;
    while ((which & 1) && a < b) {
        uint32_t cp;
        size_t k = tmpl_utf8_dec(p + a, b - a, &cp);
        if (!in_chars(cp, chars, nchars))
            break;
        a += k;
    }
    while ((which & 2) && b > a) {
        size_t st = b - 1;
        while (st > a && ((unsigned char)p[st] & 0xC0) == 0x80)
            st--;
        uint32_t cp;
        if (tmpl_utf8_dec(p + st, b - st, &cp) != b - st)
            st = b - 1;
        tmpl_utf8_dec(p + st, b - st, &cp);
        if (!in_chars(cp, chars, nchars))
            break;
        b = st;
    }
    return tmpl_v_str(p + a, b - a);
}

/* ---- str(), repr() ---- */

/* Python float repr (core/pyfmt.h); json.dumps spells the non-finite ones
 * NaN, Infinity, -Infinity. */
static void put_float(tmpl_sb *b, double f, bool json)
{
    char tmp[40];
    if (json && (isnan(f) || isinf(f)))
        tmpl_sb_adds(b, isnan(f) ? "NaN" : f < 0 ? "-Infinity" : "Infinity");
    else
        tmpl_sb_adds(b, py_float_repr(tmp, sizeof tmp, f));
}

static bool py_printable(uint32_t cp)
{
    if (cp == ' ')
        return true;
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return !(c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF || c == UTF8PROC_CATEGORY_CS ||
             c == UTF8PROC_CATEGORY_CO || c == UTF8PROC_CATEGORY_CN || c == UTF8PROC_CATEGORY_ZL ||
             c == UTF8PROC_CATEGORY_ZP || c == UTF8PROC_CATEGORY_ZS);
}

static void repr_str(tmpl_sb *b, const char *p, size_t n)
{
    bool has_sq = memchr(p, '\'', n) != NULL, has_dq = memchr(p, '"', n) != NULL;
    char q = (has_sq && !has_dq) ? '"' : '\'';
    tmpl_sb_addc(b, q);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = tmpl_utf8_dec(p + i, n - i, &cp);
        char esc[16];
        if (cp == (uint32_t)q || cp == '\\') {
            tmpl_sb_addc(b, '\\');
            tmpl_sb_addc(b, (char)cp);
        } else if (cp == '\n' || cp == '\r' || cp == '\t') {
            tmpl_sb_adds(b, cp == '\n' ? "\\n" : cp == '\r' ? "\\r" : "\\t");
        } else if (cp == 0xFFFFFFFFu) {
            snprintf(esc, sizeof esc, "\\x%02x", (unsigned char)p[i]);
            tmpl_sb_adds(b, esc);
        } else if (cp < 0x7F ? (cp >= 0x20) : py_printable(cp)) {
            tmpl_sb_add(b, p + i, k);
        } else {
            if (cp < 0x100)
                snprintf(esc, sizeof esc, "\\x%02x", cp);
            else if (cp < 0x10000)
                snprintf(esc, sizeof esc, "\\u%04x", cp);
            else
                snprintf(esc, sizeof esc, "\\U%08x", cp);
            tmpl_sb_adds(b, esc);
        }
        i += k;
    }
    tmpl_sb_addc(b, q);
}

static void repr_seq(tmpl_sb *b, tmpl_val v)
{
    bool tuple = v.flag & TV_F_TUPLE;
    tmpl_sb_addc(b, tuple ? '(' : '[');
    for (size_t i = 0; i < v.u.l->n; i++) {
        if (i)
            tmpl_sb_adds(b, ", ");
        tmpl_repr(b, v.u.l->v[i]);
    }
    if (tuple && v.u.l->n == 1)
        tmpl_sb_addc(b, ',');
    tmpl_sb_addc(b, tuple ? ')' : ']');
}

static void repr_dict(tmpl_sb *b, tmpl_val v)
{
    if (v.flag & TV_F_NS)
        tmpl_sb_adds(b, "<Namespace ");
    tmpl_sb_addc(b, '{');
    for (size_t i = 0; i < v.u.d->n; i++) {
        if (i)
            tmpl_sb_adds(b, ", ");
        tmpl_repr(b, v.u.d->k[i]);
        tmpl_sb_adds(b, ": ");
        tmpl_repr(b, v.u.d->v[i]);
    }
    tmpl_sb_addc(b, '}');
    if (v.flag & TV_F_NS)
        tmpl_sb_addc(b, '>');
}

void tmpl_repr(tmpl_sb *b, tmpl_val v)
{
    switch (v.t) {
    case TV_STR:
        repr_str(b, v.u.s.p, v.u.s.n);
        break;
    case TV_UNDEF:
        tmpl_sb_adds(b, "Undefined");
        break;
    default:
        tmpl_str(b, v);
        break;
    }
}

void tmpl_str(tmpl_sb *b, tmpl_val v)
{
    char tmp[32];
    switch (v.t) {
    case TV_UNDEF:
        break;
    case TV_NONE:
        tmpl_sb_adds(b, "None");
        break;
    case TV_BOOL:
        tmpl_sb_adds(b, v.u.b ? "True" : "False");
        break;
    case TV_INT:
        snprintf(tmp, sizeof tmp, "%lld", (long long)v.u.i);
        tmpl_sb_adds(b, tmp);
        break;
    case TV_FLOAT:
        put_float(b, v.u.f, false);
        break;
    case TV_STR:
        tmpl_sb_add(b, v.u.s.p, v.u.s.n);
        break;
    case TV_LIST:
        repr_seq(b, v);
        break;
    case TV_DICT:
        repr_dict(b, v);
        break;
    case TV_MACRO:
        tmpl_sb_adds(b, "<Macro '");
        tmpl_sb_adds(b, v.u.macro->def->s);
        tmpl_sb_adds(b, "'>");
        break;
    case TV_LOOP:
        snprintf(tmp, sizeof tmp, "<LoopContext %zu/%zu>", v.u.loop->i + 1, v.u.loop->items->n);
        tmpl_sb_adds(b, tmp);
        break;
    default:
        tmpl_sb_adds(b, "<built-in function>");
        break;
    }
}

tmpl_val tmpl_to_str(sb_arena *ar, tmpl_val v)
{
    if (v.t == TV_STR)
        return v;
    tmpl_sb b;
    tmpl_sb_init(&b, ar);
    tmpl_str(&b, v);
    return tmpl_v_str(b.p ? b.p : "", b.n);
}

/* ---- json.dumps ---- */

/* json.dumps of a str (core/pyfmt.h), ensure_ascii as asked. */
static void json_str(tmpl_sb *b, const char *p, size_t n, bool ascii)
{
    sb_buf t;
    sb_buf_init(&t);
    pyfmt_json_string_as(&t, p, n, ascii);
    tmpl_sb_add(b, t.data, t.len);
    sb_buf_free(&t);
}

static void json_newline(tmpl_sb *b, int indent, int level)
{
    tmpl_sb_addc(b, '\n');
    for (int i = 0; i < indent * level; i++)
        tmpl_sb_addc(b, ' ');
}

/* A dict key as json.dumps converts it; -1 for keys it rejects. */
static int json_key(tmpl_sb *b, tmpl_val k, bool ascii)
{
    if (k.t == TV_STR) {
        json_str(b, k.u.s.p, k.u.s.n, ascii);
        return 0;
    }
    if (k.t != TV_NONE && k.t != TV_BOOL && k.t != TV_INT && k.t != TV_FLOAT)
        return -1;
    tmpl_sb_addc(b, '"');
    if (k.t == TV_NONE)
        tmpl_sb_adds(b, "null");
    else if (k.t == TV_BOOL)
        tmpl_sb_adds(b, k.u.b ? "true" : "false");
    else if (k.t == TV_FLOAT)
        put_float(b, k.u.f, true);
    else
        tmpl_str(b, k);
    tmpl_sb_addc(b, '"');
    return 0;
}

static int cmp_keys(const void *x, const void *y)
{
    const tmpl_val *a = *(const tmpl_val *const *)x, *b = *(const tmpl_val *const *)y;
    int c = tmpl_order(*a, *b);
    return c == -2 ? 0 : c;
}

static const char *item_sep(const tmpl_json_opts *o)
{
    return o->item_sep ? o->item_sep : o->indent >= 0 ? "," : ", ";
}

static int json_dict(tmpl_sb *b, tmpl_val v, const tmpl_json_opts *o, int level)
{
    size_t n = v.u.d->n;
    if (!n) {
        tmpl_sb_adds(b, "{}");
        return 0;
    }
    size_t *order = sb_arena_alloc(b->ar, n * sizeof *order);
    const tmpl_val **keys = sb_arena_alloc(b->ar, n * sizeof *keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = &v.u.d->k[i];
    if (o->sort_keys)
        qsort(keys, n, sizeof *keys, cmp_keys);
    for (size_t i = 0; i < n; i++)
        order[i] = (size_t)(keys[i] - v.u.d->k);
    tmpl_sb_addc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            tmpl_sb_adds(b, item_sep(o));
        if (o->indent >= 0)
            json_newline(b, o->indent, level + 1);
        if (json_key(b, v.u.d->k[order[i]], o->ensure_ascii) < 0)
            return -1;
        tmpl_sb_adds(b, o->key_sep ? o->key_sep : ": ");
        if (tmpl_json(b, v.u.d->v[order[i]], o, level + 1) < 0)
            return -1;
    }
    if (o->indent >= 0)
        json_newline(b, o->indent, level);
    tmpl_sb_addc(b, '}');
    return 0;
}

int tmpl_json(tmpl_sb *b, tmpl_val v, const tmpl_json_opts *o, int level)
{
    if (level > 100)
        return -1;
    switch (v.t) {
    case TV_NONE:
        tmpl_sb_adds(b, "null");
        return 0;
    case TV_BOOL:
        tmpl_sb_adds(b, v.u.b ? "true" : "false");
        return 0;
    case TV_INT:
        tmpl_str(b, v);
        return 0;
    case TV_FLOAT:
        put_float(b, v.u.f, true);
        return 0;
    case TV_STR:
        json_str(b, v.u.s.p, v.u.s.n, o->ensure_ascii);
        return 0;
    case TV_LIST:
        if (!v.u.l->n) {
            tmpl_sb_adds(b, "[]");
            return 0;
        }
        tmpl_sb_addc(b, '[');
        for (size_t i = 0; i < v.u.l->n; i++) {
            if (i)
                tmpl_sb_adds(b, item_sep(o));
            if (o->indent >= 0)
                json_newline(b, o->indent, level + 1);
            if (tmpl_json(b, v.u.l->v[i], o, level + 1) < 0)
                return -1;
        }
        if (o->indent >= 0)
            json_newline(b, o->indent, level);
        tmpl_sb_addc(b, ']');
        return 0;
    case TV_DICT:
        if (v.flag & TV_F_NS)
            return -1;
        return json_dict(b, v, o, level);
    default:
        return -1;
    }
}
