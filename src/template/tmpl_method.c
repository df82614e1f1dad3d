/* SPDX-License-Identifier: Apache-2.0 */
/* tmpl_method.c - attribute and item access, Python methods, globals.
 *
 * jinja2 resolves `obj.name` as getattr first and obj["name"] second, and
 * `obj["name"]` the other way round; that order matters for dicts whose keys
 * shadow methods (`message.items` is the method, `message["items"]` the key).
 * The methods here are those chat templates call on str and dict (the
 * sandbox forbids the mutating ones, so lists and dicts are read-only), plus
 * the globals transformers installs: raise_exception and strftime_now, and
 * jinja2's range (with the sandbox's 100000 limit), namespace and dict. */
#include "template/tmpl_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

enum {
    G_RANGE = 1,
    G_NAMESPACE,
    G_RAISE,
    G_STRFTIME,
    G_DICT,
    M_STARTSWITH,
    M_ENDSWITH,
    M_STRIP,
    M_LSTRIP,
    M_RSTRIP,
    M_SPLIT,
    M_RSPLIT,
    M_REPLACE,
    M_UPPER,
    M_LOWER,
    M_TITLE,
    M_CAPITALIZE,
    M_FIND,
    M_RFIND,
    M_COUNT,
    M_JOIN,
    M_SPLITLINES,
    M_ISDIGIT,
    M_ISSPACE,
    M_ISALPHA,
    M_GET,
    M_ITEMS,
    M_KEYS,
    M_VALUES,
    M_INDEX,
    M_CYCLE,
};

typedef struct method_def {
    const char *name;
    uint8_t type; /* TV_STR, TV_DICT, TV_LIST, TV_LOOP; TV_UNDEF = global */
    uint8_t id;
} method_def;

static const method_def methods[] = {
    {"range", TV_UNDEF, G_RANGE},
    {"namespace", TV_UNDEF, G_NAMESPACE},
    {"raise_exception", TV_UNDEF, G_RAISE},
    {"strftime_now", TV_UNDEF, G_STRFTIME},
    {"dict", TV_UNDEF, G_DICT},
    {"startswith", TV_STR, M_STARTSWITH},
    {"endswith", TV_STR, M_ENDSWITH},
    {"strip", TV_STR, M_STRIP},
    {"lstrip", TV_STR, M_LSTRIP},
    {"rstrip", TV_STR, M_RSTRIP},
    {"split", TV_STR, M_SPLIT},
    {"rsplit", TV_STR, M_RSPLIT},
    {"replace", TV_STR, M_REPLACE},
    {"upper", TV_STR, M_UPPER},
    {"lower", TV_STR, M_LOWER},
    {"title", TV_STR, M_TITLE},
    {"capitalize", TV_STR, M_CAPITALIZE},
    {"find", TV_STR, M_FIND},
    {"rfind", TV_STR, M_RFIND},
    {"count", TV_STR, M_COUNT},
    {"join", TV_STR, M_JOIN},
    {"splitlines", TV_STR, M_SPLITLINES},
    {"isdigit", TV_STR, M_ISDIGIT},
    {"isspace", TV_STR, M_ISSPACE},
    {"isalpha", TV_STR, M_ISALPHA},
    {"get", TV_DICT, M_GET},
    {"items", TV_DICT, M_ITEMS},
    {"keys", TV_DICT, M_KEYS},
    {"values", TV_DICT, M_VALUES},
    {"index", TV_LIST, M_INDEX},
    {"count", TV_LIST, M_COUNT},
    {"cycle", TV_LOOP, M_CYCLE},
};

static bool name_is(const char *name, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(name, lit, n) == 0;
}

static tmpl_val func(tmpl_ctx *c, int id, const tmpl_val *self)
{
    tmpl_val f = {.t = TV_FUNC};
    f.u.fn.id = id;
    if (self) {
        f.u.fn.self = sb_arena_alloc(c->ar, sizeof *self);
        *f.u.fn.self = *self;
    }
    return f;
}

tmpl_val tmpl_global_lookup(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (methods[i].type == TV_UNDEF && name_is(name, n, methods[i].name)) {
            tmpl_val f = {.t = TV_FUNC};
            f.u.fn.id = methods[i].id;
            return f;
        }
    return tmpl_v_undef(NULL);
}

tmpl_val tmpl_method_lookup(tmpl_ctx *c, tmpl_val self, const char *name, size_t n)
{
    if (self.t == TV_DICT && (self.flag & TV_F_NS))
        return tmpl_v_undef(NULL);
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (methods[i].type == self.t && methods[i].type != TV_UNDEF &&
            name_is(name, n, methods[i].name))
            return func(c, methods[i].id, &self);
    return tmpl_v_undef(NULL);
}

static tmpl_val missing(tmpl_ctx *c, tmpl_val obj, const char *name, size_t n)
{
    char *msg = sb_arena_alloc(c->ar, n + 64);
    snprintf(msg, n + 64, "'%s object' has no attribute '%.*s'", tmpl_type_name(obj), (int)n, name);
    return tmpl_v_undef(msg);
}

static tmpl_val loop_attr(tmpl_ctx *c, tmpl_val lv, const char *name, size_t n)
{
    const tmpl_loop *l = lv.u.loop;
    int64_t i = (int64_t)l->i, len = (int64_t)l->items->n;
    if (name_is(name, n, "index"))
        return tmpl_v_int(i + 1);
    if (name_is(name, n, "index0"))
        return tmpl_v_int(i);
    if (name_is(name, n, "revindex"))
        return tmpl_v_int(len - i);
    if (name_is(name, n, "revindex0"))
        return tmpl_v_int(len - i - 1);
    if (name_is(name, n, "first"))
        return tmpl_v_bool(i == 0);
    if (name_is(name, n, "last"))
        return tmpl_v_bool(i == len - 1);
    if (name_is(name, n, "length"))
        return tmpl_v_int(len);
    if (name_is(name, n, "depth"))
        return tmpl_v_int(l->depth);
    if (name_is(name, n, "depth0"))
        return tmpl_v_int(l->depth - 1);
    if (name_is(name, n, "previtem"))
        return i > 0 ? l->items->v[i - 1] : tmpl_v_undef("there is no previous item");
    if (name_is(name, n, "nextitem"))
        return i + 1 < len ? l->items->v[i + 1] : tmpl_v_undef("there is no next item");
    tmpl_val m = tmpl_method_lookup(c, lv, name, n);
    return m.t == TV_UNDEF ? missing(c, lv, name, n) : m;
}

_Noreturn void tmpl_undefined_error(tmpl_ctx *c, tmpl_val u)
{
    const char *what = u.u.s.p ? u.u.s.p : "value";
    if (strchr(what, ' ')) /* already a sentence: "'dict object' has no attribute 'x'" */
        tmpl_ctx_throw(c, "%s", what);
    tmpl_ctx_throw(c, "'%s' is undefined", what);
}

tmpl_val tmpl_getattr(tmpl_ctx *c, tmpl_val obj, const char *name, size_t n)
{
    if (obj.t == TV_UNDEF)
        tmpl_undefined_error(c, obj);
    if (n >= 2 && name[0] == '_' && name[1] == '_')
        tmpl_ctx_throw(c, "access to attribute '%.*s' of '%s' object is unsafe", (int)n, name,
                       tmpl_type_name(obj));
    if (obj.t == TV_LOOP)
        return loop_attr(c, obj, name, n);
    tmpl_val m = tmpl_method_lookup(c, obj, name, n);
    if (m.t != TV_UNDEF)
        return m;
    if (obj.t == TV_DICT) {
        tmpl_val *v = tmpl_dict_get(obj.u.d, name, n);
        if (v)
            return *v;
    }
    return missing(c, obj, name, n);
}

static tmpl_val index_seq(tmpl_ctx *c, tmpl_val obj, int64_t k)
{
    if (obj.t == TV_LIST) {
        int64_t n = (int64_t)obj.u.l->n;
        if (k < 0)
            k += n;
        if (k < 0 || k >= n)
            return tmpl_v_undef("list index out of range");
        return obj.u.l->v[k];
    }
    int64_t n = (int64_t)tmpl_utf8_len(obj.u.s.p, obj.u.s.n);
    if (k < 0)
        k += n;
    if (k < 0 || k >= n)
        return tmpl_v_undef("string index out of range");
    size_t a = tmpl_utf8_off(obj.u.s.p, obj.u.s.n, (size_t)k);
    size_t b = tmpl_utf8_off(obj.u.s.p, obj.u.s.n, (size_t)k + 1);
    (void)c;
    return tmpl_v_str(obj.u.s.p + a, b - a);
}

tmpl_val tmpl_getitem(tmpl_ctx *c, tmpl_val obj, tmpl_val key)
{
    if (obj.t == TV_UNDEF)
        tmpl_undefined_error(c, obj);
    if (obj.t == TV_DICT && !(obj.flag & TV_F_NS)) {
        tmpl_val *v = tmpl_dict_find(obj.u.d, key);
        if (v)
            return *v;
    } else if ((obj.t == TV_LIST || obj.t == TV_STR) && (key.t == TV_INT || key.t == TV_BOOL)) {
        return index_seq(c, obj, key.t == TV_INT ? key.u.i : key.u.b);
    }
    /* jinja2's getitem: a failed obj[key] falls back to getattr for string
     * keys and is otherwise Undefined, never an error. */
    if (key.t == TV_STR)
        return tmpl_getattr(c, obj, key.u.s.p, key.u.s.n);
    return tmpl_v_undef("item not found");
}

tmpl_list *tmpl_iterate(tmpl_ctx *c, tmpl_val v)
{
    switch (v.t) {
    case TV_UNDEF:
        return tmpl_v_list(c->ar, 0).u.l;
    case TV_LIST:
        return v.u.l;
    case TV_DICT:
        if (v.flag & TV_F_NS)
            break;
        {
            tmpl_val l = tmpl_v_list(c->ar, v.u.d->n);
            for (size_t i = 0; i < v.u.d->n; i++)
                tmpl_list_push(c->ar, l.u.l, v.u.d->k[i]);
            return l.u.l;
        }
    case TV_STR: {
        tmpl_val l = tmpl_v_list(c->ar, v.u.s.n);
        for (size_t i = 0; i < v.u.s.n;) {
            uint32_t cp;
            size_t k = tmpl_utf8_dec(v.u.s.p + i, v.u.s.n - i, &cp);
            tmpl_list_push(c->ar, l.u.l, tmpl_v_str(v.u.s.p + i, k));
            i += k;
        }
        return l.u.l;
    }
    default:
        break;
    }
    tmpl_ctx_throw(c, "'%s' object is not iterable", tmpl_type_name(v));
}

tmpl_val *tmpl_arg(const tmpl_args *a, size_t i, const char *kw)
{
    if (i < a->npos)
        return &a->pos[i];
    for (size_t k = 0; kw && k < a->nkw; k++)
        if (strcmp(a->kwn[k], kw) == 0)
            return &a->kwv[k];
    return NULL;
}

/* ---- string methods ---- */

static tmpl_val want_str(tmpl_ctx *c, const tmpl_val *v, const char *what)
{
    if (!v || v->t != TV_STR)
        tmpl_ctx_throw(c, "%s must be a string, not %s", what, v ? tmpl_type_name(*v) : "nothing");
    return *v;
}

static bool affix(tmpl_val s, tmpl_val a, bool end)
{
    if (a.u.s.n > s.u.s.n)
        return false;
    const char *p = end ? s.u.s.p + s.u.s.n - a.u.s.n : s.u.s.p;
    return memcmp(p, a.u.s.p, a.u.s.n) == 0;
}

static tmpl_val starts_ends(tmpl_ctx *c, tmpl_val s, const tmpl_args *a, bool end)
{
    tmpl_val *x = tmpl_arg(a, 0, NULL);
    if (x && x->t == TV_LIST && (x->flag & TV_F_TUPLE)) {
        for (size_t i = 0; i < x->u.l->n; i++)
            if (affix(s, want_str(c, &x->u.l->v[i], "prefix"), end))
                return tmpl_v_bool(true);
        return tmpl_v_bool(false);
    }
    return tmpl_v_bool(affix(s, want_str(c, x, "prefix"), end));
}

static tmpl_val strip_m(tmpl_ctx *c, tmpl_val s, const tmpl_args *a, int which)
{
    tmpl_val *ch = tmpl_arg(a, 0, "chars");
    if (!ch || ch->t == TV_NONE)
        return tmpl_strip(s, NULL, 0, which);
    tmpl_val cs = want_str(c, ch, "strip chars");
    return tmpl_strip(s, cs.u.s.p, cs.u.s.n, which);
}

/* Python str.split / rsplit. */
static tmpl_val split_m(tmpl_ctx *c, tmpl_val s, const tmpl_args *a, bool from_right)
{
    tmpl_val *sepv = tmpl_arg(a, 0, "sep"), *maxv = tmpl_arg(a, 1, "maxsplit");
    int64_t maxsplit = (maxv && maxv->t == TV_INT) ? maxv->u.i : -1;
    tmpl_val out = tmpl_v_list(c->ar, 0);
    const char *p = s.u.s.p;
    size_t n = s.u.s.n;
    if (!sepv || sepv->t == TV_NONE) {
        tmpl_list *words = tmpl_v_list(c->ar, 0).u.l;
        size_t i = 0;
        while (i < n) {
            tmpl_val rest = tmpl_strip(tmpl_v_str(p + i, n - i), NULL, 0, 1);
            i = (size_t)(rest.u.s.p - p);
            if (i >= n)
                break;
            size_t j = i;
            while (j < n) {
                uint32_t cp;
                size_t k = tmpl_utf8_dec(p + j, n - j, &cp);
                if (tmpl_py_space(cp))
                    break;
                j += k;
            }
            tmpl_list_push(c->ar, words, tmpl_v_str(p + i, j - i));
            i = j;
        }
        if (maxsplit < 0 || (size_t)maxsplit >= words->n || words->n == 0) {
            out.u.l = words;
            return out;
        }
        /* maxsplit with whitespace: the remainder keeps its inner spacing. */
        size_t keep = (size_t)maxsplit;
        if (!from_right) {
            for (size_t w = 0; w < keep; w++)
                tmpl_list_push(c->ar, out.u.l, words->v[w]);
            const char *rs = words->v[keep].u.s.p;
            tmpl_val rest = tmpl_strip(tmpl_v_str(rs, (size_t)(p + n - rs)), NULL, 0, 2);
            tmpl_list_push(c->ar, out.u.l, rest);
        } else {
            tmpl_val last = words->v[words->n - 1 - keep];
            tmpl_val head =
                tmpl_strip(tmpl_v_str(p, (size_t)(last.u.s.p - p) + last.u.s.n), NULL, 0, 1);
            tmpl_list_push(c->ar, out.u.l, head);
            for (size_t w = words->n - keep; w < words->n; w++)
                tmpl_list_push(c->ar, out.u.l, words->v[w]);
        }
        return out;
    }
    tmpl_val sep = want_str(c, sepv, "separator");
    if (sep.u.s.n == 0)
        tmpl_ctx_throw(c, "empty separator");
    size_t cnt = 0;
    if (!from_right || maxsplit < 0) {
        size_t i = 0;
        for (;;) {
            const char *hit = (maxsplit >= 0 && (int64_t)cnt >= maxsplit)
                                  ? NULL
                                  : memmem(p + i, n - i, sep.u.s.p, sep.u.s.n);
            if (!hit) {
                tmpl_list_push(c->ar, out.u.l, tmpl_v_str(p + i, n - i));
                return out;
            }
            tmpl_list_push(c->ar, out.u.l, tmpl_v_str(p + i, (size_t)(hit - (p + i))));
            i = (size_t)(hit - p) + sep.u.s.n;
            cnt++;
        }
    }
    /* rsplit with a limit: find splits from the right, then emit in order. */
    size_t end = n;
    tmpl_list *rev = tmpl_v_list(c->ar, 0).u.l;
    while ((int64_t)cnt < maxsplit && end >= sep.u.s.n) {
        size_t k = end - sep.u.s.n;
        for (;; k--) {
            if (memcmp(p + k, sep.u.s.p, sep.u.s.n) == 0)
                break;
            if (k == 0) {
                k = (size_t)-1;
                break;
            }
        }
        if (k == (size_t)-1)
            break;
        tmpl_list_push(c->ar, rev, tmpl_v_str(p + k + sep.u.s.n, end - k - sep.u.s.n));
        end = k;
        cnt++;
    }
    tmpl_list_push(c->ar, out.u.l, tmpl_v_str(p, end));
    for (size_t i = rev->n; i-- > 0;)
        tmpl_list_push(c->ar, out.u.l, rev->v[i]);
    return out;
}

tmpl_val tmpl_str_replace(tmpl_ctx *c, tmpl_val s, tmpl_val old, tmpl_val new_, int64_t count)
{
    tmpl_sb b;
    tmpl_sb_init(&b, c->ar);
    const char *p = s.u.s.p;
    size_t n = s.u.s.n, i = 0;
    int64_t done = 0;
    if (old.u.s.n == 0) { /* Python inserts `new` around every code point */
        for (;;) {
            if (count >= 0 && done >= count) {
                tmpl_sb_add(&b, p + i, n - i);
                break;
            }
            tmpl_sb_add(&b, new_.u.s.p, new_.u.s.n);
            done++;
            if (i >= n)
                break;
            uint32_t cp;
            size_t k = tmpl_utf8_dec(p + i, n - i, &cp);
            tmpl_sb_add(&b, p + i, k);
            i += k;
        }
        return tmpl_v_str(b.p ? b.p : "", b.n);
    }
    while (i <= n) {
        const char *hit =
            (count >= 0 && done >= count) ? NULL : memmem(p + i, n - i, old.u.s.p, old.u.s.n);
        if (!hit) {
            tmpl_sb_add(&b, p + i, n - i);
            break;
        }
        tmpl_sb_add(&b, p + i, (size_t)(hit - (p + i)));
        tmpl_sb_add(&b, new_.u.s.p, new_.u.s.n);
        i = (size_t)(hit - p) + old.u.s.n;
        done++;
    }
    return tmpl_v_str(b.p ? b.p : "", b.n);
}

/* Python's full case mappings that differ from the simple one-to-one
 * mappings utf8proc gives (the common ones only; see docs/chat-template.md). */
static const char *special_upper(uint32_t cp)
{
    switch (cp) {
    case 0xDF:
        return "SS";
    case 0xFB00:
        return "FF";
    case 0xFB01:
        return "FI";
    case 0xFB02:
        return "FL";
    case 0xFB03:
        return "FFI";
    case 0xFB04:
        return "FFL";
    case 0xFB05:
    case 0xFB06:
        return "ST";
    case 0x149:
        return "\xCA\xBCN";
    default:
        return NULL;
    }
}

/* Python's full title-case mappings for the same characters. */
static const char *special_title(uint32_t cp)
{
    switch (cp) {
    case 0xDF:
        return "Ss";
    case 0xFB00:
        return "Ff";
    case 0xFB01:
        return "Fi";
    case 0xFB02:
        return "Fl";
    case 0xFB03:
        return "Ffi";
    case 0xFB04:
        return "Ffl";
    case 0xFB05:
    case 0xFB06:
        return "St";
    case 0x149:
        return "\xCA\xBCN";
    default:
        return NULL;
    }
}

static void put_cp(tmpl_sb *b, int32_t cp)
{
    utf8proc_uint8_t u[4];
    utf8proc_ssize_t k = utf8proc_encode_char(cp, u);
    tmpl_sb_add(b, (const char *)u, (size_t)k);
}

/* mode: 'u' upper, 'l' lower, 't' Python title(), 'c' capitalize(). */
tmpl_val tmpl_str_case(tmpl_ctx *c, tmpl_val s, char mode)
{
    tmpl_sb b;
    tmpl_sb_init(&b, c->ar);
    bool prev_cased = false, first = true;
    for (size_t i = 0; i < s.u.s.n;) {
        uint32_t cp;
        size_t k = tmpl_utf8_dec(s.u.s.p + i, s.u.s.n - i, &cp);
        if (cp == 0xFFFFFFFFu) {
            tmpl_sb_add(&b, s.u.s.p + i, k);
            i += k;
            continue;
        }
        bool up = mode == 'u' || (mode == 't' && !prev_cased) || (mode == 'c' && first);
        const char *sp = !up ? NULL : mode == 'u' ? special_upper(cp) : special_title(cp);
        if (sp)
            tmpl_sb_adds(&b, sp);
        else if (!up && cp == 0x130)
            tmpl_sb_adds(&b, "i\xCC\x87");
        else if (up)
            put_cp(&b, mode == 'u' ? utf8proc_toupper((int32_t)cp) : utf8proc_totitle((int32_t)cp));
        else
            put_cp(&b, utf8proc_tolower((int32_t)cp));
        utf8proc_category_t cat = utf8proc_category((int32_t)cp);
        prev_cased = cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL ||
                     cat == UTF8PROC_CATEGORY_LT;
        first = false;
        i += k;
    }
    return tmpl_v_str(b.p ? b.p : "", b.n);
}

static tmpl_val find_m(tmpl_ctx *c, tmpl_val s, const tmpl_args *a, bool rev)
{
    tmpl_val sub = want_str(c, tmpl_arg(a, 0, NULL), "substring");
    const char *hit = NULL;
    if (!rev) {
        hit = memmem(s.u.s.p, s.u.s.n, sub.u.s.p, sub.u.s.n);
    } else {
        for (size_t k = s.u.s.n + 1; k-- > 0 && !hit;)
            if (k + sub.u.s.n <= s.u.s.n && memcmp(s.u.s.p + k, sub.u.s.p, sub.u.s.n) == 0)
                hit = s.u.s.p + k;
    }
    if (!hit)
        return tmpl_v_int(-1);
    return tmpl_v_int((int64_t)tmpl_utf8_len(s.u.s.p, (size_t)(hit - s.u.s.p)));
}

static tmpl_val count_str(tmpl_ctx *c, tmpl_val s, const tmpl_args *a)
{
    tmpl_val sub = want_str(c, tmpl_arg(a, 0, NULL), "substring");
    if (sub.u.s.n == 0)
        return tmpl_v_int((int64_t)tmpl_utf8_len(s.u.s.p, s.u.s.n) + 1);
    int64_t cnt = 0;
    for (size_t i = 0; i + sub.u.s.n <= s.u.s.n;) {
        const char *hit = memmem(s.u.s.p + i, s.u.s.n - i, sub.u.s.p, sub.u.s.n);
        if (!hit)
            break;
        cnt++;
        i = (size_t)(hit - s.u.s.p) + sub.u.s.n;
    }
    return tmpl_v_int(cnt);
}

static tmpl_val join_m(tmpl_ctx *c, tmpl_val s, const tmpl_args *a)
{
    tmpl_val *seq = tmpl_arg(a, 0, NULL);
    if (!seq)
        tmpl_ctx_throw(c, "join() takes exactly one argument");
    tmpl_list *items = tmpl_iterate(c, *seq);
    tmpl_sb b;
    tmpl_sb_init(&b, c->ar);
    for (size_t i = 0; i < items->n; i++) {
        if (i)
            tmpl_sb_add(&b, s.u.s.p, s.u.s.n);
        tmpl_val it = want_str(c, &items->v[i], "join item");
        tmpl_sb_add(&b, it.u.s.p, it.u.s.n);
    }
    return tmpl_v_str(b.p ? b.p : "", b.n);
}

/* Python str.splitlines() line boundaries. */
static size_t line_break(const char *p, size_t n, size_t i, size_t *len)
{
    uint32_t cp;
    size_t k = tmpl_utf8_dec(p + i, n - i, &cp);
    *len = k;
    if (cp == '\r' && i + 1 < n && p[i + 1] == '\n') {
        *len = 2;
        return 1;
    }
    return cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || cp == 0x1C || cp == 0x1D ||
           cp == 0x1E || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

tmpl_list *tmpl_splitlines(tmpl_ctx *c, tmpl_val s)
{
    tmpl_list *l = tmpl_v_list(c->ar, 0).u.l;
    size_t start = 0, i = 0, n = s.u.s.n;
    while (i < n) {
        size_t len;
        if (line_break(s.u.s.p, n, i, &len)) {
            tmpl_list_push(c->ar, l, tmpl_v_str(s.u.s.p + start, i - start));
            i += len;
            start = i;
        } else {
            i += len;
        }
    }
    if (start < n)
        tmpl_list_push(c->ar, l, tmpl_v_str(s.u.s.p + start, n - start));
    return l;
}

static tmpl_val is_class(tmpl_val s, int which)
{
    if (s.u.s.n == 0)
        return tmpl_v_bool(false);
    for (size_t i = 0; i < s.u.s.n;) {
        uint32_t cp;
        i += tmpl_utf8_dec(s.u.s.p + i, s.u.s.n - i, &cp);
        utf8proc_category_t cat = utf8proc_category((int32_t)cp);
        bool ok = which == 0   ? cat == UTF8PROC_CATEGORY_ND
                  : which == 1 ? tmpl_py_space(cp)
                               : (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO);
        if (!ok)
            return tmpl_v_bool(false);
    }
    return tmpl_v_bool(true);
}

static tmpl_val call_str_method(tmpl_ctx *c, int id, tmpl_val s, const tmpl_args *a)
{
    switch (id) {
    case M_STARTSWITH:
        return starts_ends(c, s, a, false);
    case M_ENDSWITH:
        return starts_ends(c, s, a, true);
    case M_STRIP:
        return strip_m(c, s, a, 3);
    case M_LSTRIP:
        return strip_m(c, s, a, 1);
    case M_RSTRIP:
        return strip_m(c, s, a, 2);
    case M_SPLIT:
        return split_m(c, s, a, false);
    case M_RSPLIT:
        return split_m(c, s, a, true);
    case M_REPLACE: {
        tmpl_val *cnt = tmpl_arg(a, 2, "count");
        return tmpl_str_replace(c, s, want_str(c, tmpl_arg(a, 0, NULL), "old"),
                                want_str(c, tmpl_arg(a, 1, NULL), "new"),
                                cnt && cnt->t == TV_INT ? cnt->u.i : -1);
    }
    case M_UPPER:
        return tmpl_str_case(c, s, 'u');
    case M_LOWER:
        return tmpl_str_case(c, s, 'l');
    case M_TITLE:
        return tmpl_str_case(c, s, 't');
    case M_CAPITALIZE:
        return tmpl_str_case(c, s, 'c');
    case M_FIND:
        return find_m(c, s, a, false);
    case M_RFIND:
        return find_m(c, s, a, true);
    case M_COUNT:
        return count_str(c, s, a);
    case M_JOIN:
        return join_m(c, s, a);
    case M_SPLITLINES: {
        tmpl_val l = {.t = TV_LIST};
        l.u.l = tmpl_splitlines(c, s);
        return l;
    }
    case M_ISDIGIT:
        return is_class(s, 0);
    case M_ISSPACE:
        return is_class(s, 1);
    default:
        return is_class(s, 2);
    }
}

/* ---- dict, list, loop methods ---- */

static tmpl_val dict_view(tmpl_ctx *c, int id, tmpl_val d)
{
    tmpl_val l = tmpl_v_list(c->ar, d.u.d->n);
    for (size_t i = 0; i < d.u.d->n; i++) {
        if (id == M_KEYS) {
            tmpl_list_push(c->ar, l.u.l, d.u.d->k[i]);
        } else if (id == M_VALUES) {
            tmpl_list_push(c->ar, l.u.l, d.u.d->v[i]);
        } else {
            tmpl_val pair = tmpl_v_list(c->ar, 2);
            pair.flag = TV_F_TUPLE;
            tmpl_list_push(c->ar, pair.u.l, d.u.d->k[i]);
            tmpl_list_push(c->ar, pair.u.l, d.u.d->v[i]);
            tmpl_list_push(c->ar, l.u.l, pair);
        }
    }
    return l;
}

static tmpl_val call_other_method(tmpl_ctx *c, int id, tmpl_val self, const tmpl_args *a)
{
    tmpl_val *x = tmpl_arg(a, 0, NULL);
    switch (id) {
    case M_GET: {
        if (!x)
            tmpl_ctx_throw(c, "get expected at least 1 argument, got 0");
        tmpl_val *v = tmpl_dict_find(self.u.d, *x);
        tmpl_val *def = tmpl_arg(a, 1, NULL);
        return v ? *v : def ? *def : tmpl_v_none();
    }
    case M_ITEMS:
    case M_KEYS:
    case M_VALUES:
        return dict_view(c, id, self);
    case M_CYCLE:
        if (!a->npos)
            tmpl_ctx_throw(c, "no items for cycling given");
        return a->pos[self.u.loop->i % a->npos];
    default:
        break;
    }
    if (!x)
        tmpl_ctx_throw(c, "list method expects an argument");
    int64_t cnt = 0;
    for (size_t i = 0; i < self.u.l->n; i++)
        if (tmpl_equal(self.u.l->v[i], *x)) {
            if (id == M_INDEX)
                return tmpl_v_int((int64_t)i);
            cnt++;
        }
    if (id == M_INDEX)
        tmpl_ctx_throw(c, "value is not in list");
    return tmpl_v_int(cnt);
}

/* ---- globals ---- */

static tmpl_val range_g(tmpl_ctx *c, const tmpl_args *a)
{
    int64_t v[3] = {0, 0, 1};
    if (a->npos < 1 || a->npos > 3)
        tmpl_ctx_throw(c, "range expected 1 to 3 arguments, got %zu", a->npos);
    for (size_t i = 0; i < a->npos; i++) {
        if (a->pos[i].t != TV_INT && a->pos[i].t != TV_BOOL)
            tmpl_ctx_throw(c, "'%s' object cannot be interpreted as an integer",
                           tmpl_type_name(a->pos[i]));
        v[a->npos == 1 ? 1 : i] = a->pos[i].t == TV_INT ? a->pos[i].u.i : a->pos[i].u.b;
    }
    if (v[2] == 0)
        tmpl_ctx_throw(c, "range() arg 3 must not be zero");
    tmpl_val l = tmpl_v_list(c->ar, 0);
    for (int64_t i = v[0]; v[2] > 0 ? i < v[1] : i > v[1]; i += v[2]) {
        if (l.u.l->n >= 100000) /* jinja2 sandbox MAX_RANGE */
            tmpl_ctx_throw(c, "Range too big. The sandbox blocks ranges larger than MAX_RANGE "
                              "(100000).");
        tmpl_list_push(c->ar, l.u.l, tmpl_v_int(i));
    }
    return l;
}

static tmpl_val dict_g(tmpl_ctx *c, const tmpl_args *a, bool ns)
{
    tmpl_val d = tmpl_v_dict(c->ar, a->nkw);
    if (ns)
        d.flag = TV_F_NS;
    if (a->npos > 1)
        tmpl_ctx_throw(c, "%s expected at most 1 positional argument", ns ? "namespace" : "dict");
    if (a->npos == 1) {
        tmpl_val src = a->pos[0];
        if (src.t != TV_DICT)
            tmpl_ctx_throw(c, "cannot convert '%s' to a dict", tmpl_type_name(src));
        for (size_t i = 0; i < src.u.d->n; i++)
            tmpl_dict_set(c->ar, d.u.d, src.u.d->k[i], src.u.d->v[i]);
    }
    for (size_t i = 0; i < a->nkw; i++)
        tmpl_dict_set(c->ar, d.u.d, tmpl_v_cstr(a->kwn[i]), a->kwv[i]);
    return d;
}

static tmpl_val strftime_g(tmpl_ctx *c, const tmpl_args *a)
{
    tmpl_val fmt = want_str(c, tmpl_arg(a, 0, NULL), "strftime_now format");
    char *f = sb_arena_strndup(c->ar, fmt.u.s.p, fmt.u.s.n);
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char out[512];
    size_t n = strftime(out, sizeof out, f, &tm);
    return tmpl_v_str(sb_arena_strndup(c->ar, out, n), n);
}

tmpl_val tmpl_call_func(tmpl_ctx *c, tmpl_val fn, const tmpl_args *a)
{
    int id = fn.u.fn.id;
    switch (id) {
    case G_RANGE:
        return range_g(c, a);
    case G_NAMESPACE:
        return dict_g(c, a, true);
    case G_DICT:
        return dict_g(c, a, false);
    case G_RAISE: {
        tmpl_val *m = tmpl_arg(a, 0, NULL);
        tmpl_val s = m ? tmpl_to_str(c->ar, *m) : tmpl_v_str("", 0);
        tmpl_ctx_throw(c, "raise_exception: %.*s", (int)s.u.s.n, s.u.s.p);
    }
    case G_STRFTIME:
        return strftime_g(c, a);
    default:
        break;
    }
    tmpl_val self = *fn.u.fn.self;
    if (self.t == TV_STR)
        return call_str_method(c, id, self, a);
    return call_other_method(c, id, self, a);
}
