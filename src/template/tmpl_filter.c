/* SPDX-License-Identifier: Apache-2.0 */
/* tmpl_filter.c - jinja2's filters and tests that chat templates use.
 *
 * Each filter follows jinja2 3.1's filters.py / tests.py behaviour (soft_str
 * turns Undefined into "", `first` of an empty sequence is Undefined, `title`
 * splits words on jinja2's own separators rather than Python's str.title),
 * except `tojson`, which is transformers' replacement: json.dumps with
 * ensure_ascii=False and no HTML escaping. The filter receives its operand as
 * positional argument 0, so declared argument i is at index i + 1. */
#include "template/tmpl_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

typedef tmpl_val (*filter_fn)(tmpl_ctx *c, tmpl_val v, const tmpl_args *a);

static tmpl_val *farg(const tmpl_args *a, size_t i, const char *kw)
{
    return tmpl_arg(a, i + 1, kw);
}

static tmpl_val soft_str(tmpl_ctx *c, tmpl_val v)
{
    return tmpl_to_str(c->ar, v);
}

static int64_t int_arg(tmpl_ctx *c, const tmpl_args *a, size_t i, const char *kw, int64_t def)
{
    tmpl_val *v = farg(a, i, kw);
    if (!v || v->t == TV_NONE)
        return def;
    if (v->t == TV_BOOL)
        return v->u.b;
    if (v->t != TV_INT)
        tmpl_ctx_throw(c, "argument '%s' must be an integer", kw);
    return v->u.i;
}

static bool bool_arg(const tmpl_args *a, size_t i, const char *kw)
{
    tmpl_val *v = farg(a, i, kw);
    return v && tmpl_truthy(*v);
}

static tmpl_val f_trim(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    tmpl_val s = soft_str(c, v), *ch = farg(a, 0, "chars");
    if (!ch || ch->t == TV_NONE)
        return tmpl_strip(s, NULL, 0, 3);
    tmpl_val cs = soft_str(c, *ch);
    return tmpl_strip(s, cs.u.s.p, cs.u.s.n, 3);
}

static tmpl_val f_length(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    switch (v.t) {
    case TV_UNDEF:
        return tmpl_v_int(0);
    case TV_STR:
        return tmpl_v_int((int64_t)tmpl_utf8_len(v.u.s.p, v.u.s.n));
    case TV_LIST:
        return tmpl_v_int((int64_t)v.u.l->n);
    case TV_DICT:
        if (!(v.flag & TV_F_NS))
            return tmpl_v_int((int64_t)v.u.d->n);
        break;
    default:
        break;
    }
    tmpl_ctx_throw(c, "object of type '%s' has no len()", tmpl_type_name(v));
}

/* transformers' tojson(x, ensure_ascii=False, indent=None, separators=None,
 * sort_keys=False) = json.dumps with those arguments. */
static tmpl_val f_tojson(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    tmpl_json_opts o = {.indent = -1};
    tmpl_val *asc = farg(a, 0, "ensure_ascii"), *ind = farg(a, 1, "indent");
    tmpl_val *sep = farg(a, 2, "separators");
    o.ensure_ascii = asc && tmpl_truthy(*asc);
    if (ind && (ind->t == TV_INT || ind->t == TV_BOOL)) {
        int64_t n = ind->t == TV_INT ? ind->u.i : ind->u.b;
        o.indent = n < 0 ? 0 : n > 64 ? 64 : (int)n;
    } else if (ind && ind->t != TV_NONE) {
        tmpl_ctx_throw(c, "tojson: indent must be an integer or None");
    }
    if (sep && sep->t != TV_NONE) {
        if (sep->t != TV_LIST || sep->u.l->n != 2 || sep->u.l->v[0].t != TV_STR ||
            sep->u.l->v[1].t != TV_STR)
            tmpl_ctx_throw(c, "tojson: separators must be a pair of strings");
        o.item_sep = sb_arena_strndup(c->ar, sep->u.l->v[0].u.s.p, sep->u.l->v[0].u.s.n);
        o.key_sep = sb_arena_strndup(c->ar, sep->u.l->v[1].u.s.p, sep->u.l->v[1].u.s.n);
    }
    o.sort_keys = bool_arg(a, 3, "sort_keys");
    tmpl_sb b;
    tmpl_sb_init(&b, c->ar);
    if (tmpl_json(&b, v, &o, 0) < 0)
        tmpl_ctx_throw(c, "Object of type %s is not JSON serializable", tmpl_type_name(v));
    return tmpl_v_str(b.p ? b.p : "", b.n);
}

static tmpl_val f_upper(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    return tmpl_str_case(c, soft_str(c, v), 'u');
}

static tmpl_val f_lower(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    return tmpl_str_case(c, soft_str(c, v), 'l');
}

static tmpl_val f_capitalize(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    return tmpl_str_case(c, soft_str(c, v), 'c');
}

/* jinja2's title: words begin after runs of [-\s({\[<]; each word is
 * word[0].upper() + word[1:].lower(). */
static tmpl_val f_title(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    tmpl_val s = soft_str(c, v);
    tmpl_sb b;
    tmpl_sb_init(&b, c->ar);
    bool at_start = true;
    for (size_t i = 0; i < s.u.s.n;) {
        uint32_t cp;
        size_t k = tmpl_utf8_dec(s.u.s.p + i, s.u.s.n - i, &cp);
        bool sep = tmpl_py_space(cp) || (cp < 0x80 && strchr("-({[<", (int)cp) && cp);
        tmpl_val ch = tmpl_str_case(c, tmpl_v_str(s.u.s.p + i, k),
                                    sep        ? 'x'
                                    : at_start ? 'u'
                                               : 'l');
        tmpl_sb_add(&b, sep ? s.u.s.p + i : ch.u.s.p, sep ? k : ch.u.s.n);
        at_start = sep;
        i += k;
    }
    return tmpl_v_str(b.p ? b.p : "", b.n);
}

static tmpl_val f_default(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)c;
    tmpl_val *def = farg(a, 0, "default_value");
    bool boolean = bool_arg(a, 1, "boolean");
    if (v.t == TV_UNDEF || (boolean && !tmpl_truthy(v)))
        return def ? *def : tmpl_v_str("", 0);
    return v;
}

/* Dotted attribute path lookup as jinja2's make_attrgetter. */
static tmpl_val attr_path(tmpl_ctx *c, tmpl_val item, tmpl_val path)
{
    if (path.t == TV_INT)
        return tmpl_getitem(c, item, path);
    tmpl_val p = soft_str(c, path);
    size_t i = 0;
    while (i <= p.u.s.n) {
        const char *dot = memchr(p.u.s.p + i, '.', p.u.s.n - i);
        size_t end = dot ? (size_t)(dot - p.u.s.p) : p.u.s.n;
        tmpl_val part = tmpl_v_str(p.u.s.p + i, end - i);
        char *endp;
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%.*s", (int)part.u.s.n, part.u.s.p);
        long long k = strtoll(tmp, &endp, 10);
        if (part.u.s.n && *endp == '\0' && part.u.s.n < sizeof tmp)
            part = tmpl_v_int(k);
        if (item.t == TV_UNDEF)
            return item;
        item = tmpl_getitem(c, item, part);
        i = end + 1;
        if (!dot)
            break;
    }
    return item;
}

static tmpl_val f_join(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    tmpl_val *d = farg(a, 0, "d"), *attr = farg(a, 1, "attribute");
    tmpl_val sep = d ? soft_str(c, *d) : tmpl_v_str("", 0);
    tmpl_list *items = tmpl_iterate(c, v);
    tmpl_sb b;
    tmpl_sb_init(&b, c->ar);
    for (size_t i = 0; i < items->n; i++) {
        if (i)
            tmpl_sb_add(&b, sep.u.s.p, sep.u.s.n);
        tmpl_val it = attr ? attr_path(c, items->v[i], *attr) : items->v[i];
        tmpl_str(&b, it);
    }
    return tmpl_v_str(b.p ? b.p : "", b.n);
}

static tmpl_val f_first(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    tmpl_list *l = tmpl_iterate(c, v);
    return l->n ? l->v[0] : tmpl_v_undef("No first item, sequence was empty.");
}

static tmpl_val f_last(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    tmpl_list *l = tmpl_iterate(c, v);
    return l->n ? l->v[l->n - 1] : tmpl_v_undef("No last item, sequence was empty.");
}

static tmpl_val f_list(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    tmpl_list *l = tmpl_iterate(c, v);
    tmpl_val r = tmpl_v_list(c->ar, l->n);
    for (size_t i = 0; i < l->n; i++)
        tmpl_list_push(c->ar, r.u.l, l->v[i]);
    return r;
}

static tmpl_val f_string(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    return soft_str(c, v);
}

static tmpl_val f_safe(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    return v.t == TV_STR ? v : soft_str(c, v);
}

/* Python int(str, base) on a stripped string, with underscores; false when
 * it is not an integer literal. */
static bool parse_int(tmpl_val s, int base, int64_t *out)
{
    tmpl_val t = tmpl_strip(s, NULL, 0, 3);
    char tmp[80];
    size_t k = 0;
    for (size_t i = 0; i < t.u.s.n; i++) {
        if (t.u.s.p[i] == '_')
            continue;
        if (k + 1 >= sizeof tmp)
            return false;
        tmp[k++] = t.u.s.p[i];
    }
    tmp[k] = '\0';
    if (!k)
        return false;
    char *end;
    long long v = strtoll(tmp, &end, base);
    if (*end)
        return false;
    *out = v;
    return true;
}

static tmpl_val f_int(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    int64_t def = int_arg(c, a, 0, "default", 0), base = int_arg(c, a, 1, "base", 10);
    int64_t r;
    if (v.t == TV_UNDEF) /* int(Undefined) raises, and jinja2 does not catch that */
        tmpl_undefined_error(c, v);
    switch (v.t) {
    case TV_INT:
        return v;
    case TV_BOOL:
        return tmpl_v_int(v.u.b);
    case TV_FLOAT:
        if (isfinite(v.u.f) && fabs(v.u.f) < 9.2e18)
            return tmpl_v_int((int64_t)v.u.f);
        if (isfinite(v.u.f)) /* Python would make a big integer */
            tmpl_ctx_throw(c, "int: %g is beyond 64-bit integers", v.u.f);
        return tmpl_v_int(def);
    case TV_STR:
        if (parse_int(v, (int)base, &r))
            return tmpl_v_int(r);
        {
            char *tmp = sb_arena_strndup(c->ar, v.u.s.p, v.u.s.n), *end;
            double f = strtod(tmp, &end);
            if (end != tmp && tmpl_strip(tmpl_v_cstr(end), NULL, 0, 3).u.s.n == 0 && isfinite(f) &&
                fabs(f) < 9.2e18)
                return tmpl_v_int((int64_t)f);
        }
        return tmpl_v_int(def);
    default:
        return tmpl_v_int(def);
    }
}

static tmpl_val f_float(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    tmpl_val *d = farg(a, 0, "default");
    double def = d && d->t == TV_FLOAT ? d->u.f : d && d->t == TV_INT ? (double)d->u.i : 0.0;
    if (v.t == TV_UNDEF)
        tmpl_undefined_error(c, v);
    if (v.t == TV_FLOAT)
        return v;
    if (v.t == TV_INT || v.t == TV_BOOL)
        return tmpl_v_float(v.t == TV_INT ? (double)v.u.i : v.u.b);
    if (v.t == TV_STR) {
        char *tmp = sb_arena_strndup(c->ar, v.u.s.p, v.u.s.n), *end;
        double f = strtod(tmp, &end);
        if (end != tmp && tmpl_strip(tmpl_v_cstr(end), NULL, 0, 3).u.s.n == 0)
            return tmpl_v_float(f);
    }
    return tmpl_v_float(def);
}

static tmpl_val f_replace(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    tmpl_val *o = farg(a, 0, "old"), *n = farg(a, 1, "new");
    if (!o || !n)
        tmpl_ctx_throw(c, "replace needs old and new strings");
    return tmpl_str_replace(c, soft_str(c, v), soft_str(c, *o), soft_str(c, *n),
                            int_arg(c, a, 2, "count", -1));
}

/* select/reject/selectattr/rejectattr: attr_mode uses arg 0 as the attribute. */
static tmpl_val select_common(tmpl_ctx *c, tmpl_val v, const tmpl_args *a, bool attr_mode,
                              bool keep)
{
    if (!tmpl_truthy(v)) /* jinja2 checks `if value:` before iterating */
        return tmpl_v_list(c->ar, 0);
    tmpl_list *items = tmpl_iterate(c, v);
    size_t test_at = attr_mode ? 2 : 1;
    tmpl_val *testname = tmpl_arg(a, test_at, NULL);
    if (attr_mode && a->npos < 2)
        tmpl_ctx_throw(c, "missing parameter for attribute name");
    tmpl_args ta = {0};
    size_t extra = a->npos > test_at + 1 ? a->npos - test_at - 1 : 0;
    ta.pos = sb_arena_alloc(c->ar, (extra + 1) * sizeof *ta.pos);
    ta.npos = extra + 1;
    for (size_t i = 0; i < extra; i++)
        ta.pos[i + 1] = a->pos[test_at + 1 + i];
    tmpl_val tn = testname ? soft_str(c, *testname) : tmpl_v_str("", 0);
    if (testname && !tmpl_test_exists(tn.u.s.p, tn.u.s.n))
        tmpl_ctx_throw(c, "no test named '%.*s'", (int)tn.u.s.n, tn.u.s.p);
    tmpl_val out = tmpl_v_list(c->ar, items->n);
    for (size_t i = 0; i < items->n; i++) {
        tmpl_val x = attr_mode ? attr_path(c, items->v[i], a->pos[1]) : items->v[i];
        ta.pos[0] = x;
        bool ok = testname ? tmpl_apply_test(c, tn.u.s.p, tn.u.s.n, x, &ta) : tmpl_truthy(x);
        if (ok == keep)
            tmpl_list_push(c->ar, out.u.l, items->v[i]);
    }
    return out;
}

static tmpl_val f_select(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    return select_common(c, v, a, false, true);
}

static tmpl_val f_reject(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    return select_common(c, v, a, false, false);
}

static tmpl_val f_selectattr(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    return select_common(c, v, a, true, true);
}

static tmpl_val f_rejectattr(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    return select_common(c, v, a, true, false);
}

static tmpl_val f_map(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    if (!tmpl_truthy(v)) /* jinja2 checks `if value:` before iterating */
        return tmpl_v_list(c->ar, 0);
    tmpl_list *items = tmpl_iterate(c, v);
    tmpl_val out = tmpl_v_list(c->ar, items->n);
    tmpl_val *attr = tmpl_arg(a, (size_t)-1, "attribute");
    tmpl_val *def = tmpl_arg(a, (size_t)-1, "default");
    if (!attr && a->npos < 2)
        tmpl_ctx_throw(c, "map requires a filter name or attribute=");
    tmpl_args fa = {0};
    tmpl_val fname = attr ? tmpl_v_str("", 0) : soft_str(c, a->pos[1]);
    if (!attr) {
        if (!tmpl_filter_exists(fname.u.s.p, fname.u.s.n))
            tmpl_ctx_throw(c, "no filter named '%.*s'", (int)fname.u.s.n, fname.u.s.p);
        fa.npos = a->npos - 1;
        fa.pos = sb_arena_alloc(c->ar, fa.npos * sizeof *fa.pos);
        memcpy(fa.pos + 1, a->pos + 2, (fa.npos - 1) * sizeof *fa.pos);
        fa.kwn = a->kwn;
        fa.kwv = a->kwv;
        fa.nkw = a->nkw;
    }
    for (size_t i = 0; i < items->n; i++) {
        tmpl_val x;
        if (attr) {
            x = attr_path(c, items->v[i], *attr);
            if (x.t == TV_UNDEF && def)
                x = *def;
        } else {
            fa.pos[0] = items->v[i];
            x = tmpl_apply_filter(c, fname.u.s.p, fname.u.s.n, items->v[i], &fa);
        }
        tmpl_list_push(c->ar, out.u.l, x);
    }
    return out;
}

static tmpl_val f_items(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    if (v.t == TV_UNDEF)
        return tmpl_v_list(c->ar, 0);
    if (v.t != TV_DICT || (v.flag & TV_F_NS))
        tmpl_ctx_throw(c, "can only get item pairs from a mapping");
    tmpl_args none = {0};
    return tmpl_call_func(c, tmpl_getattr(c, v, "items", 5), &none);
}

static tmpl_val f_indent(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    tmpl_val *w = farg(a, 0, "width");
    tmpl_val ind;
    if (w && w->t == TV_STR) {
        ind = *w;
    } else {
        int64_t n = int_arg(c, a, 0, "width", 4);
        n = n < 0 ? 0 : n > 256 ? 256 : n;
        char *sp = sb_arena_alloc(c->ar, (size_t)n + 1);
        memset(sp, ' ', (size_t)n);
        ind = tmpl_v_str(sp, (size_t)n);
    }
    bool first = bool_arg(a, 1, "first"), blank = bool_arg(a, 2, "blank");
    if (v.t == TV_UNDEF)
        tmpl_undefined_error(c, v);
    if (v.t != TV_STR) /* jinja2 does `s += "\n"` on the value itself */
        tmpl_ctx_throw(c, "indent: unsupported operand type(s) for +=: '%s' and 'str'",
                       tmpl_type_name(v));
    tmpl_val s = v;
    tmpl_sb src;
    tmpl_sb_init(&src, c->ar);
    tmpl_sb_add(&src, s.u.s.p, s.u.s.n);
    tmpl_sb_addc(&src, '\n'); /* jinja2 appends a newline before splitlines() */
    tmpl_list *lines = tmpl_splitlines(c, tmpl_v_str(src.p, src.n));
    tmpl_sb b;
    tmpl_sb_init(&b, c->ar);
    if (first)
        tmpl_sb_add(&b, ind.u.s.p, ind.u.s.n);
    for (size_t i = 0; i < lines->n; i++) {
        tmpl_val l = lines->v[i];
        if (i) {
            tmpl_sb_addc(&b, '\n');
            if (blank || l.u.s.n)
                tmpl_sb_add(&b, ind.u.s.p, ind.u.s.n);
        }
        tmpl_sb_add(&b, l.u.s.p, l.u.s.n);
    }
    return tmpl_v_str(b.p ? b.p : "", b.n);
}

static tmpl_val f_abs(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    if (v.t == TV_FLOAT)
        return tmpl_v_float(fabs(v.u.f));
    if (v.t == TV_INT && v.u.i != INT64_MIN)
        return tmpl_v_int(v.u.i < 0 ? -v.u.i : v.u.i);
    if (v.t == TV_BOOL)
        return tmpl_v_int(v.u.b);
    tmpl_ctx_throw(c, "bad operand type for abs(): '%s'", tmpl_type_name(v));
}

static tmpl_val f_reverse(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    tmpl_list *l = tmpl_iterate(c, v);
    tmpl_val r = tmpl_v_list(c->ar, l->n);
    for (size_t i = l->n; i-- > 0;)
        tmpl_list_push(c->ar, r.u.l, l->v[i]);
    if (v.t != TV_STR)
        return r;
    tmpl_sb b;
    tmpl_sb_init(&b, c->ar);
    for (size_t i = 0; i < r.u.l->n; i++)
        tmpl_sb_add(&b, r.u.l->v[i].u.s.p, r.u.l->v[i].u.s.n);
    return tmpl_v_str(b.p ? b.p : "", b.n);
}

static tmpl_val f_sum(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    tmpl_val *attr = farg(a, 0, "attribute"), *start = farg(a, 1, "start");
    tmpl_list *l = tmpl_iterate(c, v);
    tmpl_val acc = start ? *start : tmpl_v_int(0);
    for (size_t i = 0; i < l->n; i++) {
        tmpl_val x = attr ? attr_path(c, l->v[i], *attr) : l->v[i];
        bool fl = acc.t == TV_FLOAT || x.t == TV_FLOAT;
        if ((acc.t != TV_INT && acc.t != TV_FLOAT && acc.t != TV_BOOL) ||
            (x.t != TV_INT && x.t != TV_FLOAT && x.t != TV_BOOL))
            tmpl_ctx_throw(c, "sum: unsupported operand types '%s' and '%s'", tmpl_type_name(acc),
                           tmpl_type_name(x));
        if (fl) {
            double fa = acc.t == TV_FLOAT ? acc.u.f : acc.t == TV_INT ? (double)acc.u.i : acc.u.b;
            double fx = x.t == TV_FLOAT ? x.u.f : x.t == TV_INT ? (double)x.u.i : x.u.b;
            acc = tmpl_v_float(fa + fx);
        } else {
            int64_t r, ia = acc.t == TV_INT ? acc.u.i : acc.u.b, ix = x.t == TV_INT ? x.u.i : x.u.b;
            if (__builtin_add_overflow(ia, ix, &r))
                tmpl_ctx_throw(c, "integer overflow");
            acc = tmpl_v_int(r);
        }
    }
    return acc;
}

static tmpl_val f_wordcount(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    tmpl_val s = soft_str(c, v);
    int64_t n = 0;
    bool in_word = false;
    for (size_t i = 0; i < s.u.s.n;) {
        uint32_t cp;
        i += tmpl_utf8_dec(s.u.s.p + i, s.u.s.n - i, &cp);
        bool w = (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
                 cp == '_' || (cp >= 0x80 && !tmpl_py_space(cp));
        if (w && !in_word)
            n++;
        in_word = w;
    }
    return tmpl_v_int(n);
}

/* Sorting: a merge sort (stable, as Python's) over values, comparing with
 * tmpl_order; strings compare lower-cased unless case_sensitive. */
typedef struct sort_ctx {
    tmpl_ctx *c;
    bool case_sensitive;
    tmpl_val attr;
    bool has_attr;
} sort_ctx;

static tmpl_val sort_key(sort_ctx *s, tmpl_val v)
{
    if (s->has_attr)
        v = attr_path(s->c, v, s->attr);
    if (v.t == TV_STR && !s->case_sensitive)
        v = tmpl_str_case(s->c, v, 'l');
    return v;
}

static int sort_cmp(sort_ctx *s, tmpl_val a, tmpl_val b)
{
    int o = tmpl_order(sort_key(s, a), sort_key(s, b));
    if (o == -2)
        tmpl_ctx_throw(s->c, "'<' not supported between instances of '%s' and '%s'",
                       tmpl_type_name(a), tmpl_type_name(b));
    return o;
}

static void merge_sort(sort_ctx *s, tmpl_val *v, tmpl_val *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(s, v, tmp, h);
    merge_sort(s, v + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = sort_cmp(s, v[j], v[i]) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

static tmpl_val f_sort(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    tmpl_val r = f_list(c, v, a);
    tmpl_val *attr = farg(a, 2, "attribute");
    sort_ctx s = {c, bool_arg(a, 1, "case_sensitive"), attr ? *attr : tmpl_v_none(), attr != NULL};
    size_t n = r.u.l->n;
    tmpl_val *tmp = sb_arena_alloc(c->ar, (n ? n : 1) * sizeof *tmp);
    merge_sort(&s, r.u.l->v, tmp, n);
    if (bool_arg(a, 0, "reverse"))
        for (size_t i = 0; i < n / 2; i++) {
            tmpl_val t = r.u.l->v[i];
            r.u.l->v[i] = r.u.l->v[n - 1 - i];
            r.u.l->v[n - 1 - i] = t;
        }
    return r;
}

static tmpl_val min_max(tmpl_ctx *c, tmpl_val v, const tmpl_args *a, int want)
{
    tmpl_list *l = tmpl_iterate(c, v);
    tmpl_val *attr = farg(a, 1, "attribute");
    sort_ctx s = {c, bool_arg(a, 0, "case_sensitive"), attr ? *attr : tmpl_v_none(), attr != NULL};
    if (!l->n)
        return tmpl_v_undef("No aggregated item, sequence was empty.");
    tmpl_val best = l->v[0];
    for (size_t i = 1; i < l->n; i++)
        if (sort_cmp(&s, l->v[i], best) == want)
            best = l->v[i];
    return best;
}

static tmpl_val f_min(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    return min_max(c, v, a, -1);
}

static tmpl_val f_max(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    return min_max(c, v, a, 1);
}

static tmpl_val f_unique(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    tmpl_list *l = tmpl_iterate(c, v);
    sort_ctx s = {c, bool_arg(a, 0, "case_sensitive"), tmpl_v_none(), false};
    tmpl_val *attr = farg(a, 1, "attribute");
    if (attr) {
        s.attr = *attr;
        s.has_attr = true;
    }
    tmpl_val out = tmpl_v_list(c->ar, l->n);
    for (size_t i = 0; i < l->n; i++) {
        tmpl_val k = sort_key(&s, l->v[i]);
        if ((k.t == TV_LIST && !(k.flag & TV_F_TUPLE)) || k.t == TV_DICT) /* jinja2 uses a set */
            tmpl_ctx_throw(c, "unhashable type: '%s'", tmpl_type_name(k));
        bool seen = false;
        for (size_t j = 0; j < out.u.l->n && !seen; j++)
            seen = tmpl_equal(sort_key(&s, out.u.l->v[j]), sort_key(&s, l->v[i]));
        if (!seen)
            tmpl_list_push(c->ar, out.u.l, l->v[i]);
    }
    return out;
}

static tmpl_val f_escape(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    (void)a;
    tmpl_val s = soft_str(c, v);
    tmpl_sb b;
    tmpl_sb_init(&b, c->ar);
    for (size_t i = 0; i < s.u.s.n; i++) {
        switch (s.u.s.p[i]) {
        case '&':
            tmpl_sb_adds(&b, "&amp;");
            break;
        case '<':
            tmpl_sb_adds(&b, "&lt;");
            break;
        case '>':
            tmpl_sb_adds(&b, "&gt;");
            break;
        case '"':
            tmpl_sb_adds(&b, "&#34;");
            break;
        case '\'':
            tmpl_sb_adds(&b, "&#39;");
            break;
        default:
            tmpl_sb_addc(&b, s.u.s.p[i]);
        }
    }
    return tmpl_v_str(b.p ? b.p : "", b.n);
}

static tmpl_val f_round(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    int64_t prec = int_arg(c, a, 0, "precision", 0);
    tmpl_val *m = farg(a, 1, "method");
    tmpl_val method = m ? soft_str(c, *m) : tmpl_v_cstr("common");
    if (v.t != TV_INT && v.t != TV_FLOAT && v.t != TV_BOOL)
        tmpl_ctx_throw(c, "round: '%s' is not a number", tmpl_type_name(v));
    if (v.t != TV_FLOAT && method.u.s.n == 6 && memcmp(method.u.s.p, "common", 6) == 0 &&
        prec >= 0) /* Python round(int, n >= 0) is the int itself */
        return tmpl_v_int(v.t == TV_INT ? v.u.i : v.u.b);
    double x = v.t == TV_FLOAT ? v.u.f : v.t == TV_INT ? (double)v.u.i : v.u.b;
    double p = pow(10.0, (double)prec), y = x * p;
    if (method.u.s.n == 4 && memcmp(method.u.s.p, "ceil", 4) == 0)
        y = ceil(y);
    else if (method.u.s.n == 5 && memcmp(method.u.s.p, "floor", 5) == 0)
        y = floor(y);
    else
        y = nearbyint(y); /* Python round(): half to even */
    return tmpl_v_float(y / p);
}

static tmpl_val f_attr(tmpl_ctx *c, tmpl_val v, const tmpl_args *a)
{
    tmpl_val *n = farg(a, 0, "name");
    if (!n || n->t != TV_STR)
        tmpl_ctx_throw(c, "attr needs a name");
    /* Python getattr only: unlike `.name`, no fallback to dict items. */
    if (v.t == TV_UNDEF || v.t == TV_LOOP || (v.t == TV_DICT && (v.flag & TV_F_NS)))
        return tmpl_getattr(c, v, n->u.s.p, n->u.s.n);
    tmpl_val m = tmpl_method_lookup(c, v, n->u.s.p, n->u.s.n);
    return m.t == TV_UNDEF ? tmpl_v_undef("no such attribute") : m;
}

typedef struct filter_def {
    const char *name;
    filter_fn fn;
} filter_def;

static const filter_def filters[] = {
    {"trim", f_trim},
    {"length", f_length},
    {"count", f_length},
    {"tojson", f_tojson},
    {"upper", f_upper},
    {"lower", f_lower},
    {"capitalize", f_capitalize},
    {"title", f_title},
    {"default", f_default},
    {"d", f_default},
    {"join", f_join},
    {"first", f_first},
    {"last", f_last},
    {"list", f_list},
    {"string", f_string},
    {"safe", f_safe},
    {"int", f_int},
    {"float", f_float},
    {"replace", f_replace},
    {"select", f_select},
    {"reject", f_reject},
    {"selectattr", f_selectattr},
    {"rejectattr", f_rejectattr},
    {"map", f_map},
    {"items", f_items},
    {"indent", f_indent},
    {"abs", f_abs},
    {"reverse", f_reverse},
    {"sum", f_sum},
    {"wordcount", f_wordcount},
    {"sort", f_sort},
    {"min", f_min},
    {"max", f_max},
    {"unique", f_unique},
    {"escape", f_escape},
    {"e", f_escape},
    {"forceescape", f_escape},
    {"round", f_round},
    {"attr", f_attr},
};

static const filter_def *find_filter(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
        if (strlen(filters[i].name) == n && memcmp(filters[i].name, name, n) == 0)
            return &filters[i];
    return NULL;
}

bool tmpl_filter_exists(const char *name, size_t n)
{
    return find_filter(name, n) != NULL;
}

tmpl_val tmpl_apply_filter(tmpl_ctx *c, const char *name, size_t n, tmpl_val v, const tmpl_args *a)
{
    const filter_def *f = find_filter(name, n);
    if (!f)
        tmpl_ctx_throw(c, "no filter named '%.*s'", (int)n, name);
    return f->fn(c, v, a);
}

/* ---- tests ---- */

static bool t_numeric(tmpl_val v)
{
    return v.t == TV_INT || v.t == TV_FLOAT || v.t == TV_BOOL;
}

/* Python str.islower()/isupper(): at least one cased character, and no
 * character that the opposite mapping would change. */
static bool test_case(tmpl_ctx *c, tmpl_val v, char mode)
{
    tmpl_val s = soft_str(c, v);
    bool cased = false;
    for (size_t i = 0; i < s.u.s.n;) {
        uint32_t cp;
        i += tmpl_utf8_dec(s.u.s.p + i, s.u.s.n - i, &cp);
        if (cp == 0xFFFFFFFFu)
            continue;
        utf8proc_category_t cat = utf8proc_category((int32_t)cp);
        if (cat == UTF8PROC_CATEGORY_LT)
            return false;
        if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL) {
            if ((cat == UTF8PROC_CATEGORY_LU) != (mode == 'u'))
                return false;
            cased = true;
        }
    }
    return cased;
}

/* `value % num == 0` with Python numbers (bool counts as int). */
static bool py_mod_is_zero(tmpl_ctx *c, tmpl_val v, tmpl_val d)
{
    if (v.t == TV_UNDEF)
        tmpl_undefined_error(c, v);
    if (!t_numeric(v) || !t_numeric(d))
        tmpl_ctx_throw(c, "unsupported operand type(s) for %%: '%s' and '%s'", tmpl_type_name(v),
                       tmpl_type_name(d));
    if (v.t == TV_FLOAT || d.t == TV_FLOAT) {
        double x = v.t == TV_FLOAT ? v.u.f : v.t == TV_INT ? (double)v.u.i : v.u.b;
        double y = d.t == TV_FLOAT ? d.u.f : d.t == TV_INT ? (double)d.u.i : d.u.b;
        if (y == 0.0)
            tmpl_ctx_throw(c, "float modulo by zero");
        return fmod(x, y) == 0.0;
    }
    int64_t x = v.t == TV_INT ? v.u.i : v.u.b, y = d.t == TV_INT ? d.u.i : d.u.b;
    if (y == 0)
        tmpl_ctx_throw(c, "integer division or modulo by zero");
    return y == -1 || x % y == 0;
}

static bool test_cmp(tmpl_ctx *c, const char *t, tmpl_val v, tmpl_val *o)
{
    if (!o)
        tmpl_ctx_throw(c, "test '%s' needs an argument", t);
    if (!strcmp(t, "eq") || !strcmp(t, "equalto") || !strcmp(t, "=="))
        return tmpl_equal(v, *o);
    if (!strcmp(t, "ne") || !strcmp(t, "!="))
        return !tmpl_equal(v, *o);
    if (!strcmp(t, "sameas"))
        return v.t == o->t && ((v.t == TV_NONE || v.t == TV_UNDEF) || tmpl_equal(v, *o));
    if (!strcmp(t, "in")) {
        if (o->t == TV_STR && v.t == TV_STR)
            return memmem(o->u.s.p, o->u.s.n, v.u.s.p, v.u.s.n) != NULL || v.u.s.n == 0;
        if (o->t == TV_DICT)
            return tmpl_dict_find(o->u.d, v) != NULL;
        tmpl_list *l = tmpl_iterate(c, *o);
        for (size_t i = 0; i < l->n; i++)
            if (tmpl_equal(l->v[i], v))
                return true;
        return false;
    }
    if (!strcmp(t, "divisibleby"))
        return py_mod_is_zero(c, v, *o);
    int r = tmpl_order(v, *o);
    if (r == -2)
        tmpl_ctx_throw(c, "test '%s': '%s' and '%s' cannot be compared", t, tmpl_type_name(v),
                       tmpl_type_name(*o));
    if (!strcmp(t, "lt") || !strcmp(t, "lessthan") || !strcmp(t, "<"))
        return r < 0;
    if (!strcmp(t, "le") || !strcmp(t, "<="))
        return r <= 0;
    if (!strcmp(t, "gt") || !strcmp(t, "greaterthan") || !strcmp(t, ">"))
        return r > 0;
    return r >= 0;
}

static const char *const tests[] = {
    "defined", "undefined",   "none",        "boolean", "false",    "true",     "integer",
    "float",   "number",      "string",      "mapping", "iterable", "sequence", "callable",
    "odd",     "even",        "lower",       "upper",   "escaped",  "eq",       "equalto",
    "==",      "ne",          "!=",          "lt",      "lessthan", "<",        "le",
    "<=",      "gt",          "greaterthan", ">",       "ge",       ">=",       "sameas",
    "in",      "divisibleby",
};

bool tmpl_test_exists(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        if (strlen(tests[i]) == n && memcmp(tests[i], name, n) == 0)
            return true;
    return false;
}

bool tmpl_apply_test(tmpl_ctx *c, const char *name, size_t n, tmpl_val v, const tmpl_args *a)
{
    char t[32];
    if (n >= sizeof t || !tmpl_test_exists(name, n))
        tmpl_ctx_throw(c, "no test named '%.*s'", (int)n, name);
    memcpy(t, name, n);
    t[n] = '\0';
    if (!strcmp(t, "defined"))
        return v.t != TV_UNDEF;
    if (!strcmp(t, "undefined"))
        return v.t == TV_UNDEF;
    if (!strcmp(t, "none"))
        return v.t == TV_NONE;
    if (!strcmp(t, "boolean"))
        return v.t == TV_BOOL;
    if (!strcmp(t, "false"))
        return v.t == TV_BOOL && !v.u.b;
    if (!strcmp(t, "true"))
        return v.t == TV_BOOL && v.u.b;
    if (!strcmp(t, "integer"))
        return v.t == TV_INT;
    if (!strcmp(t, "float"))
        return v.t == TV_FLOAT;
    if (!strcmp(t, "number"))
        return t_numeric(v);
    if (!strcmp(t, "string"))
        return v.t == TV_STR;
    if (!strcmp(t, "mapping"))
        return v.t == TV_DICT && !(v.flag & TV_F_NS);
    if (!strcmp(t, "iterable") || !strcmp(t, "sequence"))
        return v.t == TV_UNDEF || v.t == TV_STR || v.t == TV_LIST ||
               (v.t == TV_DICT && !(v.flag & TV_F_NS));
    if (!strcmp(t, "callable")) /* jinja2's Undefined defines __call__ (to fail) */
        return v.t == TV_FUNC || v.t == TV_MACRO || v.t == TV_UNDEF;
    if (!strcmp(t, "odd") || !strcmp(t, "even")) {
        if (t[0] == 'e')
            return py_mod_is_zero(c, v, tmpl_v_int(2));
        if (!t_numeric(v))
            tmpl_ctx_throw(c, "test 'odd': '%s' is not a number", tmpl_type_name(v));
        return v.t == TV_FLOAT ? fabs(fmod(v.u.f, 2.0)) == 1.0
                               : (v.t == TV_INT ? v.u.i : v.u.b) % 2 != 0;
    }
    if (!strcmp(t, "lower"))
        return test_case(c, v, 'l');
    if (!strcmp(t, "upper"))
        return test_case(c, v, 'u');
    if (!strcmp(t, "escaped"))
        return false;
    return test_cmp(c, t, v, tmpl_arg(a, 1, NULL));
}
