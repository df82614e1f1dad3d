/* SPDX-License-Identifier: Apache-2.0 */
/* tmpl_eval.c - walks the AST and writes the rendered text.
 *
 * Scoping follows jinja2: `if` blocks share their scope, every iteration of a
 * for loop gets a fresh child scope (a `set` inside a loop never leaks out,
 * not even to the next iteration, which is why templates use namespace()),
 * and macros run in a child of the scope they were defined in (resolved at
 * call time, so a later top-level `set` is seen, a caller's `loop` is not). Names not found in
 * any scope fall back to the globals transformers installs (range, namespace,
 * raise_exception, strftime_now, dict) and else are jinja2's Undefined.
 * Runtime errors carry the line and column of the node being evaluated. */
#include "template/tmpl_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 400
#define MAX_OUTPUT_BYTES ((size_t)1 << 30)
/* A real chat template over a thousand messages executes ~1e5 statements;
 * these bounds only stop runaway templates (nested range loops, fuzz input). */
#define MAX_STEPS 5000000ull
#define MAX_ARENA_BYTES ((size_t)512 << 20)

struct tmpl_scope {
    tmpl_scope *parent;
    bool captured; /* a macro defined here keeps it: a loop may not reuse it */
    const char **names;
    size_t *lens;
    tmpl_val *vals;
    size_t n, cap;
};

enum { FLOW_NORMAL, FLOW_BREAK, FLOW_CONTINUE };

_Noreturn void tmpl_ctx_throw(tmpl_ctx *c, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tmpl_throw(c->fail, c->line, c->col, "%s", msg);
}

static void at(tmpl_ctx *c, const tmpl_node *x)
{
    c->line = x->line;
    c->col = x->col;
}

/* ---- scopes ---- */

static tmpl_scope *scope_new(tmpl_ctx *c, tmpl_scope *parent)
{
    tmpl_scope *s = sb_arena_calloc(c->ar, sizeof *s);
    s->parent = parent;
    return s;
}

static void scope_set(tmpl_ctx *c, tmpl_scope *s, const char *name, size_t n, tmpl_val v)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->lens[i] == n && memcmp(s->names[i], name, n) == 0) {
            s->vals[i] = v;
            return;
        }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        const char **nn = sb_arena_alloc(c->ar, cap * sizeof *nn);
        size_t *nl = sb_arena_alloc(c->ar, cap * sizeof *nl);
        tmpl_val *nv = sb_arena_alloc(c->ar, cap * sizeof *nv);
        if (s->n) {
            memcpy(nn, s->names, s->n * sizeof *nn);
            memcpy(nl, s->lens, s->n * sizeof *nl);
            memcpy(nv, s->vals, s->n * sizeof *nv);
        }
        s->names = nn;
        s->lens = nl;
        s->vals = nv;
        s->cap = cap;
    }
    s->names[s->n] = name;
    s->lens[s->n] = n;
    s->vals[s->n++] = v;
}

static tmpl_val lookup(tmpl_ctx *c, const char *name, size_t n)
{
    for (tmpl_scope *s = c->scope; s; s = s->parent)
        for (size_t i = s->n; i-- > 0;)
            if (s->lens[i] == n && memcmp(s->names[i], name, n) == 0)
                return s->vals[i];
    tmpl_val g = tmpl_global_lookup(name, n);
    return g.t == TV_UNDEF ? tmpl_v_undef(sb_arena_strndup(c->ar, name, n)) : g;
}

/* ---- expressions ---- */

static tmpl_val eval(tmpl_ctx *c, const tmpl_node *x);

_Noreturn static void undefined_error(tmpl_ctx *c, tmpl_val v)
{
    tmpl_undefined_error(c, v);
}

static bool is_num(tmpl_val v)
{
    return v.t == TV_BOOL || v.t == TV_INT || v.t == TV_FLOAT;
}

static double as_f(tmpl_val v)
{
    return v.t == TV_FLOAT ? v.u.f : v.t == TV_INT ? (double)v.u.i : (double)v.u.b;
}

static int64_t as_i(tmpl_val v)
{
    return v.t == TV_INT ? v.u.i : (int64_t)v.u.b;
}

_Noreturn static void type_error(tmpl_ctx *c, const char *op, tmpl_val a, tmpl_val b)
{
    if (a.t == TV_UNDEF)
        undefined_error(c, a);
    if (b.t == TV_UNDEF)
        undefined_error(c, b);
    tmpl_ctx_throw(c, "unsupported operand type(s) for %s: '%s' and '%s'", op, tmpl_type_name(a),
                   tmpl_type_name(b));
}

static tmpl_val concat_str(tmpl_ctx *c, tmpl_val a, tmpl_val b)
{
    if (a.u.s.n + b.u.s.n > MAX_OUTPUT_BYTES)
        tmpl_ctx_throw(c, "string too long");
    char *p = sb_arena_alloc(c->ar, a.u.s.n + b.u.s.n + 1);
    memcpy(p, a.u.s.p, a.u.s.n);
    memcpy(p + a.u.s.n, b.u.s.p, b.u.s.n);
    p[a.u.s.n + b.u.s.n] = '\0';
    return tmpl_v_str(p, a.u.s.n + b.u.s.n);
}

static tmpl_val concat_list(tmpl_ctx *c, tmpl_val a, tmpl_val b)
{
    tmpl_val r = tmpl_v_list(c->ar, a.u.l->n + b.u.l->n);
    r.flag = a.flag;
    for (size_t i = 0; i < a.u.l->n; i++)
        tmpl_list_push(c->ar, r.u.l, a.u.l->v[i]);
    for (size_t i = 0; i < b.u.l->n; i++)
        tmpl_list_push(c->ar, r.u.l, b.u.l->v[i]);
    return r;
}

static tmpl_val repeat(tmpl_ctx *c, tmpl_val s, int64_t k)
{
    if (k <= 0)
        return s.t == TV_STR ? tmpl_v_str("", 0) : tmpl_v_list(c->ar, 0);
    if (s.t == TV_STR) {
        if (s.u.s.n && (uint64_t)k > MAX_OUTPUT_BYTES / s.u.s.n)
            tmpl_ctx_throw(c, "string repetition too large");
        tmpl_sb b;
        tmpl_sb_init(&b, c->ar);
        for (int64_t i = 0; i < k; i++)
            tmpl_sb_add(&b, s.u.s.p, s.u.s.n);
        return tmpl_v_str(b.p ? b.p : "", b.n);
    }
    if ((uint64_t)k > 10000000 || (uint64_t)k * (s.u.l->n + 1) > 10000000)
        tmpl_ctx_throw(c, "list repetition too large");
    tmpl_val r = tmpl_v_list(c->ar, 0);
    r.flag = s.flag;
    for (int64_t i = 0; i < k; i++)
        for (size_t j = 0; j < s.u.l->n; j++)
            tmpl_list_push(c->ar, r.u.l, s.u.l->v[j]);
    return r;
}

static tmpl_val int_result(tmpl_ctx *c, bool overflow, int64_t v)
{
    if (overflow)
        tmpl_ctx_throw(c, "integer overflow (templates are limited to 64-bit integers)");
    return tmpl_v_int(v);
}

static tmpl_val arith_num(tmpl_ctx *c, int op, tmpl_val a, tmpl_val b)
{
    bool fl = a.t == TV_FLOAT || b.t == TV_FLOAT;
    int64_t x = fl ? 0 : as_i(a), y = fl ? 0 : as_i(b), r = 0;
    double fx = as_f(a), fy = as_f(b);
    bool ovf;
    switch (op) {
    case OP_ADD:
        if (fl)
            return tmpl_v_float(fx + fy);
        ovf = __builtin_add_overflow(x, y, &r);
        return int_result(c, ovf, r);
    case OP_SUB:
        if (fl)
            return tmpl_v_float(fx - fy);
        ovf = __builtin_sub_overflow(x, y, &r);
        return int_result(c, ovf, r);
    case OP_MUL:
        if (fl)
            return tmpl_v_float(fx * fy);
        ovf = __builtin_mul_overflow(x, y, &r);
        return int_result(c, ovf, r);
    case OP_DIV:
        if (fy == 0.0)
            tmpl_ctx_throw(c, "division by zero");
        return tmpl_v_float(fx / fy);
    default:
        break;
    }
    if (fl ? fy == 0.0 : y == 0)
        tmpl_ctx_throw(c, "integer division or modulo by zero");
    if (op == OP_FDIV) {
        if (fl)
            return tmpl_v_float(floor(fx / fy));
        if (x == INT64_MIN && y == -1)
            tmpl_ctx_throw(c, "integer overflow");
        int64_t q = x / y;
        return tmpl_v_int((x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q);
    }
    if (fl) { /* Python float modulo takes the divisor's sign */
        double m = fmod(fx, fy);
        if (m != 0.0 && ((m < 0) != (fy < 0)))
            m += fy;
        else if (m == 0.0)
            m = copysign(0.0, fy); /* as CPython's float_rem */
        return tmpl_v_float(m);
    }
    if (y == -1)
        return tmpl_v_int(0);
    int64_t m = x % y;
    return tmpl_v_int((m != 0 && ((m < 0) != (y < 0))) ? m + y : m);
}

static tmpl_val power(tmpl_ctx *c, tmpl_val a, tmpl_val b)
{
    if (a.t == TV_FLOAT || b.t == TV_FLOAT || as_i(b) < 0)
        return tmpl_v_float(pow(as_f(a), as_f(b)));
    int64_t base = as_i(a), e = as_i(b), r = 1;
    while (e > 0) {
        if ((e & 1) && __builtin_mul_overflow(r, base, &r))
            return int_result(c, true, 0);
        e >>= 1;
        if (e && __builtin_mul_overflow(base, base, &base))
            return int_result(c, true, 0);
    }
    return tmpl_v_int(r);
}

/* Python's `str % args` for the conversions templates use: %s %r %d %i %%.
 * A tuple supplies one argument per conversion; a dict or list with no
 * conversion in the string is accepted as Python accepts a mapping. */
static tmpl_val str_format(tmpl_ctx *c, tmpl_val fmt, tmpl_val args)
{
    bool tuple = args.t == TV_LIST && (args.flag & TV_F_TUPLE);
    size_t nargs = tuple ? args.u.l->n : 1, used = 0;
    tmpl_sb b;
    tmpl_sb_init(&b, c->ar);
    const char *p = fmt.u.s.p, *end = p + fmt.u.s.n;
    while (p < end) {
        const char *pct = memchr(p, '%', (size_t)(end - p));
        if (!pct) {
            tmpl_sb_add(&b, p, (size_t)(end - p));
            break;
        }
        tmpl_sb_add(&b, p, (size_t)(pct - p));
        char conv = pct + 1 < end ? pct[1] : 0;
        p = pct + 2;
        if (conv == '%') {
            tmpl_sb_addc(&b, '%');
            continue;
        }
        if (conv != 's' && conv != 'r' && conv != 'd' && conv != 'i')
            tmpl_ctx_throw(c, "unsupported format character in %%-formatting");
        if (used >= nargs)
            tmpl_ctx_throw(c, "not enough arguments for format string");
        tmpl_val v = tuple ? args.u.l->v[used] : args;
        used++;
        if (conv == 'r')
            tmpl_repr(&b, v);
        else if (conv == 's')
            tmpl_str(&b, v);
        else if (v.t == TV_INT || v.t == TV_BOOL || v.t == TV_FLOAT)
            tmpl_str(&b, v.t == TV_FLOAT ? tmpl_v_int((int64_t)v.u.f) : tmpl_v_int(as_i(v)));
        else
            tmpl_ctx_throw(c, "%%d format: a real number is required, not %s", tmpl_type_name(v));
    }
    bool mapping = !tuple && (args.t == TV_DICT || args.t == TV_LIST || args.t == TV_UNDEF);
    if (used < nargs && !(mapping && used == 0))
        tmpl_ctx_throw(c, "not all arguments converted during string formatting");
    return tmpl_v_str(b.p ? b.p : "", b.n);
}

static tmpl_val binary(tmpl_ctx *c, int op, tmpl_val a, tmpl_val b)
{
    static const char *names[] = {"+", "-", "*", "/", "//", "%", "**", "~"};
    if (op == OP_CAT) {
        tmpl_val sa = tmpl_to_str(c->ar, a), sb = tmpl_to_str(c->ar, b);
        return concat_str(c, sa, sb);
    }
    if (is_num(a) && is_num(b))
        return op == OP_POW ? power(c, a, b) : arith_num(c, op, a, b);
    if (op == OP_ADD && a.t == TV_STR && b.t == TV_STR)
        return concat_str(c, a, b);
    if (op == OP_MOD && a.t == TV_STR)
        return str_format(c, a, b);
    if (op == OP_ADD && a.t == TV_LIST && b.t == TV_LIST && a.flag == b.flag)
        return concat_list(c, a, b);
    if (op == OP_MUL && (a.t == TV_STR || a.t == TV_LIST) && (b.t == TV_INT || b.t == TV_BOOL))
        return repeat(c, a, as_i(b));
    if (op == OP_MUL && (b.t == TV_STR || b.t == TV_LIST) && (a.t == TV_INT || a.t == TV_BOOL))
        return repeat(c, b, as_i(a));
    type_error(c, names[op], a, b);
}

static bool contains(tmpl_ctx *c, tmpl_val hay, tmpl_val needle)
{
    switch (hay.t) {
    case TV_UNDEF:
        return false;
    case TV_STR:
        if (needle.t != TV_STR)
            tmpl_ctx_throw(c, "'in <string>' requires string as left operand, not %s",
                           tmpl_type_name(needle));
        return needle.u.s.n == 0 ||
               memmem(hay.u.s.p, hay.u.s.n, needle.u.s.p, needle.u.s.n) != NULL;
    case TV_LIST:
        for (size_t i = 0; i < hay.u.l->n; i++)
            if (tmpl_equal(hay.u.l->v[i], needle))
                return true;
        return false;
    case TV_DICT:
        if (hay.flag & TV_F_NS)
            break;
        if ((needle.t == TV_LIST && !(needle.flag & TV_F_TUPLE)) || needle.t == TV_DICT)
            tmpl_ctx_throw(c, "unhashable type: '%s'", tmpl_type_name(needle));
        return tmpl_dict_find(hay.u.d, needle) != NULL;
    default:
        break;
    }
    tmpl_ctx_throw(c, "argument of type '%s' is not iterable", tmpl_type_name(hay));
}

static bool compare(tmpl_ctx *c, int op, tmpl_val a, tmpl_val b)
{
    switch (op) {
    case OP_EQ:
        return tmpl_equal(a, b);
    case OP_NE:
        return !tmpl_equal(a, b);
    case OP_IN:
        return contains(c, b, a);
    case OP_NOTIN:
        return !contains(c, b, a);
    default:
        break;
    }
    int o = tmpl_order(a, b);
    if (o == -2) {
        static const char *names[] = {"<", "<=", ">", ">="};
        if (a.t == TV_UNDEF)
            undefined_error(c, a);
        if (b.t == TV_UNDEF)
            undefined_error(c, b);
        tmpl_ctx_throw(c, "'%s' not supported between instances of '%s' and '%s'",
                       names[op - OP_LT], tmpl_type_name(a), tmpl_type_name(b));
    }
    switch (op) {
    case OP_LT:
        return o < 0;
    case OP_LE:
        return o <= 0;
    case OP_GT:
        return o > 0;
    default:
        return o >= 0;
    }
}

static tmpl_val eval_cmp(tmpl_ctx *c, const tmpl_node *x)
{
    tmpl_val left = eval(c, x->a);
    for (size_t i = 0; i < x->nkids; i++) {
        tmpl_val right = eval(c, x->kids[i]);
        at(c, x);
        if (!compare(c, x->ops[i], left, right))
            return tmpl_v_bool(false);
        left = right;
    }
    return tmpl_v_bool(true);
}

static tmpl_val eval_seq(tmpl_ctx *c, const tmpl_node *x)
{
    if (x->kind == N_DICT) {
        tmpl_val d = tmpl_v_dict(c->ar, x->nkids / 2);
        for (size_t i = 0; i + 1 < x->nkids; i += 2) {
            tmpl_val k = eval(c, x->kids[i]);
            if (k.t == TV_LIST && !(k.flag & TV_F_TUPLE)) {
                at(c, x->kids[i]);
                tmpl_ctx_throw(c, "unhashable type: 'list'");
            }
            tmpl_dict_set(c->ar, d.u.d, k, eval(c, x->kids[i + 1]));
        }
        return d;
    }
    tmpl_val l = tmpl_v_list(c->ar, x->nkids);
    if (x->kind == N_TUPLE)
        l.flag = TV_F_TUPLE;
    for (size_t i = 0; i < x->nkids; i++)
        tmpl_list_push(c->ar, l.u.l, eval(c, x->kids[i]));
    return l;
}

/* Evaluates call arguments of x into a. */
static void eval_args(tmpl_ctx *c, const tmpl_node *x, tmpl_args *a, tmpl_val *first)
{
    size_t extra = first ? 1 : 0;
    a->npos = x->nkids + extra;
    a->pos = sb_arena_alloc(c->ar, (a->npos ? a->npos : 1) * sizeof *a->pos);
    if (first)
        a->pos[0] = *first;
    for (size_t i = 0; i < x->nkids; i++)
        a->pos[i + extra] = eval(c, x->kids[i]);
    a->nkw = x->nkw;
    a->kwn = x->kwn;
    a->kwv = sb_arena_alloc(c->ar, (x->nkw ? x->nkw : 1) * sizeof *a->kwv);
    for (size_t i = 0; i < x->nkw; i++)
        a->kwv[i] = eval(c, x->kwv[i]);
}

static tmpl_val eval_call(tmpl_ctx *c, const tmpl_node *x)
{
    tmpl_val fn = eval(c, x->a);
    tmpl_args a;
    eval_args(c, x, &a, NULL);
    at(c, x);
    if (fn.t == TV_FUNC)
        return tmpl_call_func(c, fn, &a);
    if (fn.t == TV_MACRO)
        return tmpl_call_macro(c, fn, &a);
    if (fn.t == TV_UNDEF)
        undefined_error(c, fn);
    tmpl_ctx_throw(c, "'%s' object is not callable", tmpl_type_name(fn));
}

/* Python slice indices for a sequence of length n. */
static void slice_bounds(tmpl_ctx *c, const tmpl_node *x, int64_t n, int64_t *start, int64_t *stop,
                         int64_t *step)
{
    tmpl_val parts[3];
    const tmpl_node *nodes[3] = {x->b, x->c, x->d};
    for (int i = 0; i < 3; i++) {
        parts[i] = nodes[i] ? eval(c, nodes[i]) : tmpl_v_none();
        if (parts[i].t != TV_NONE && parts[i].t != TV_INT && parts[i].t != TV_BOOL) {
            at(c, x);
            tmpl_ctx_throw(c, "slice indices must be integers or None");
        }
    }
    *step = parts[2].t == TV_NONE ? 1 : as_i(parts[2]);
    if (*step == 0) {
        at(c, x);
        tmpl_ctx_throw(c, "slice step cannot be zero");
    }
    int64_t lo = *step > 0 ? 0 : -1, hi = *step > 0 ? n : n - 1;
    int64_t v[2] = {*step > 0 ? lo : hi, *step > 0 ? hi : lo};
    for (int i = 0; i < 2; i++) {
        if (parts[i].t == TV_NONE)
            continue;
        int64_t k = as_i(parts[i]);
        if (k < 0)
            k = k + n < lo ? lo : k + n;
        else if (k > hi)
            k = hi;
        v[i] = k;
    }
    *start = v[0];
    *stop = v[1];
}

static tmpl_val eval_slice(tmpl_ctx *c, const tmpl_node *x)
{
    tmpl_val obj = eval(c, x->a);
    if (obj.t == TV_UNDEF)
        undefined_error(c, obj);
    /* jinja2 compiles slices to a plain Python subscript (not its forgiving
     * getitem), so slicing anything but a sequence is Python's TypeError. */
    if (obj.t == TV_DICT && !(obj.flag & TV_F_NS)) {
        at(c, x);
        tmpl_ctx_throw(c, "unhashable type: 'slice'");
    }
    if (obj.t != TV_STR && obj.t != TV_LIST) {
        at(c, x);
        tmpl_ctx_throw(c, "'%s' object is not subscriptable", tmpl_type_name(obj));
    }
    tmpl_list *chars = obj.t == TV_STR ? tmpl_iterate(c, obj) : obj.u.l;
    int64_t start, stop, step;
    slice_bounds(c, x, (int64_t)chars->n, &start, &stop, &step);
    tmpl_val r = tmpl_v_list(c->ar, 0);
    r.flag = obj.flag;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step)
        tmpl_list_push(c->ar, r.u.l, chars->v[i]);
    if (obj.t == TV_LIST)
        return r;
    tmpl_sb b;
    tmpl_sb_init(&b, c->ar);
    for (size_t i = 0; i < r.u.l->n; i++)
        tmpl_sb_add(&b, r.u.l->v[i].u.s.p, r.u.l->v[i].u.s.n);
    return tmpl_v_str(b.p ? b.p : "", b.n);
}

static tmpl_val eval_filter(tmpl_ctx *c, const tmpl_node *x, tmpl_val operand)
{
    tmpl_args a;
    eval_args(c, x, &a, &operand);
    at(c, x);
    return tmpl_apply_filter(c, x->s, x->n, operand, &a);
}

static tmpl_val eval_logic(tmpl_ctx *c, const tmpl_node *x)
{
    switch (x->kind) {
    case N_NOT:
        return tmpl_v_bool(!tmpl_truthy(eval(c, x->a)));
    case N_AND: {
        tmpl_val l = eval(c, x->a);
        return tmpl_truthy(l) ? eval(c, x->b) : l;
    }
    case N_OR: {
        tmpl_val l = eval(c, x->a);
        return tmpl_truthy(l) ? l : eval(c, x->b);
    }
    default: /* N_COND */
        if (tmpl_truthy(eval(c, x->a)))
            return eval(c, x->b);
        return x->c ? eval(c, x->c)
                    : tmpl_v_undef("the inline if-expression evaluated to false and no else "
                                   "section was defined");
    }
}

static tmpl_val eval_unary(tmpl_ctx *c, const tmpl_node *x)
{
    tmpl_val v = eval(c, x->a);
    at(c, x);
    if (!is_num(v)) {
        if (v.t == TV_UNDEF)
            undefined_error(c, v);
        tmpl_ctx_throw(c, "bad operand type for unary %s: '%s'", x->kind == N_NEG ? "-" : "+",
                       tmpl_type_name(v));
    }
    if (x->kind == N_POS)
        return v.t == TV_BOOL ? tmpl_v_int(v.u.b) : v;
    if (v.t == TV_FLOAT)
        return tmpl_v_float(-v.u.f);
    return int_result(c, as_i(v) == INT64_MIN, -as_i(v));
}

static tmpl_val eval(tmpl_ctx *c, const tmpl_node *x)
{
    if (++c->depth > MAX_DEPTH) {
        at(c, x);
        tmpl_ctx_throw(c, "expression nested too deeply");
    }
    tmpl_val v;
    switch (x->kind) {
    case N_LIT:
        v = x->lit;
        break;
    case N_NAME:
        v = lookup(c, x->s, x->n);
        break;
    case N_LIST:
    case N_TUPLE:
    case N_DICT:
        v = eval_seq(c, x);
        break;
    case N_BIN: {
        tmpl_val a = eval(c, x->a), b = eval(c, x->b);
        at(c, x);
        v = binary(c, x->op, a, b);
        break;
    }
    case N_NEG:
    case N_POS:
        v = eval_unary(c, x);
        break;
    case N_NOT:
    case N_AND:
    case N_OR:
    case N_COND:
        v = eval_logic(c, x);
        break;
    case N_CMP:
        v = eval_cmp(c, x);
        break;
    case N_ATTR: {
        tmpl_val o = eval(c, x->a);
        at(c, x);
        v = tmpl_getattr(c, o, x->s, x->n);
        break;
    }
    case N_ITEM: {
        tmpl_val o = eval(c, x->a), k = eval(c, x->b);
        at(c, x);
        v = tmpl_getitem(c, o, k);
        break;
    }
    case N_SLICE:
        v = eval_slice(c, x);
        break;
    case N_CALL:
        v = eval_call(c, x);
        break;
    case N_FILTER:
        v = eval_filter(c, x, eval(c, x->a));
        break;
    case N_TEST: {
        tmpl_val o = eval(c, x->a);
        tmpl_args a;
        eval_args(c, x, &a, &o);
        at(c, x);
        v = tmpl_v_bool(tmpl_apply_test(c, x->s, x->n, o, &a) != (x->op == 1));
        break;
    }
    default:
        at(c, x);
        tmpl_ctx_throw(c, "internal error: unknown expression node");
    }
    c->depth--;
    return v;
}

/* ---- statements ---- */

static int exec_body(tmpl_ctx *c, const tmpl_node *body);
static void check_budget(tmpl_ctx *c, const tmpl_node *x);

static void assign_targets(tmpl_ctx *c, tmpl_scope *s, const tmpl_node *x, tmpl_val v)
{
    if (x->nkw == 1) {
        scope_set(c, s, x->kwn[0], strlen(x->kwn[0]), v);
        return;
    }
    tmpl_list *items = tmpl_iterate(c, v);
    if (items->n != x->nkw)
        tmpl_ctx_throw(c, "cannot unpack %zu values into %zu names", items->n, x->nkw);
    for (size_t i = 0; i < x->nkw; i++)
        scope_set(c, s, x->kwn[i], strlen(x->kwn[i]), items->v[i]);
}

static void exec_set(tmpl_ctx *c, const tmpl_node *x)
{
    tmpl_val v = eval(c, x->b);
    at(c, x);
    if (!x->a) {
        assign_targets(c, c->scope, x, v);
        return;
    }
    tmpl_val ns = eval(c, x->a);
    at(c, x);
    if (ns.t != TV_DICT || !(ns.flag & TV_F_NS))
        tmpl_ctx_throw(c, "cannot assign attribute on non-namespace object");
    tmpl_dict_set(c->ar, ns.u.d, tmpl_v_str(x->s, x->n), v);
}

/* Renders body into a fresh buffer and returns it as a string value. */
static tmpl_val capture(tmpl_ctx *c, const tmpl_node *body)
{
    tmpl_sb buf, *saved = c->out;
    tmpl_sb_init(&buf, c->ar);
    c->out = &buf;
    exec_body(c, body);
    c->out = saved;
    return tmpl_v_str(buf.p ? buf.p : "", buf.n);
}

static tmpl_list *filter_items(tmpl_ctx *c, const tmpl_node *x, tmpl_list *items)
{
    tmpl_val out = tmpl_v_list(c->ar, items->n);
    tmpl_scope *saved = c->scope;
    for (size_t i = 0; i < items->n; i++) {
        c->scope = scope_new(c, saved);
        at(c, x);
        assign_targets(c, c->scope, x, items->v[i]);
        if (tmpl_truthy(eval(c, x->d)))
            tmpl_list_push(c->ar, out.u.l, items->v[i]);
    }
    c->scope = saved;
    return out.u.l;
}

static void exec_for(tmpl_ctx *c, const tmpl_node *x)
{
    tmpl_val seq = eval(c, x->a);
    at(c, x);
    tmpl_list *items = tmpl_iterate(c, seq);
    if (x->op == 1)
        items = filter_items(c, x, items);
    tmpl_loop *lp = sb_arena_calloc(c->ar, sizeof *lp);
    lp->items = items;
    lp->depth = 1; /* depth only grows in recursive loops, which are not supported */
    tmpl_val lv = {.t = TV_LOOP};
    lv.u.loop = lp;
    tmpl_scope *saved = c->scope, *iter = NULL;
    for (size_t i = 0; i < items->n; i++) {
        check_budget(c, x);
        lp->i = i;
        /* Every iteration starts from an empty scope; the previous one is
         * recycled unless a macro captured it. */
        if (!iter || iter->captured)
            iter = scope_new(c, saved);
        iter->n = 0;
        c->scope = iter;
        at(c, x);
        assign_targets(c, c->scope, x, items->v[i]);
        scope_set(c, c->scope, "loop", 4, lv);
        int flow = exec_body(c, x->b);
        if (flow == FLOW_BREAK)
            break;
    }
    c->scope = saved;
    if (items->n == 0 && x->c)
        exec_body(c, x->c);
}

static void exec_macro_def(tmpl_ctx *c, const tmpl_node *x)
{
    tmpl_macro *mac = sb_arena_alloc(c->ar, sizeof *mac);
    mac->def = x;
    mac->scope = c->scope;
    c->scope->captured = true;
    tmpl_val m = {.t = TV_MACRO};
    m.u.macro = mac;
    scope_set(c, c->scope, x->s, x->n, m);
}

tmpl_val tmpl_call_macro(tmpl_ctx *c, tmpl_val mv, const tmpl_args *a)
{
    const tmpl_node *m = mv.u.macro->def;
    if (a->npos > m->nkw)
        tmpl_ctx_throw(c, "macro '%s' takes not more than %zu argument(s)", m->s, m->nkw);
    if (c->depth > MAX_DEPTH / 2)
        tmpl_ctx_throw(c, "macro recursion too deep");
    tmpl_scope *saved = c->scope;
    tmpl_scope *s = scope_new(c, mv.u.macro->scope);
    c->scope = s;
    for (size_t i = 0; i < m->nkw; i++) {
        tmpl_val *kw = NULL;
        for (size_t k = 0; k < a->nkw; k++)
            if (strcmp(a->kwn[k], m->kwn[i]) == 0)
                kw = &a->kwv[k];
        tmpl_val v = i < a->npos ? a->pos[i]
                     : kw        ? *kw
                     : m->kwv[i] ? eval(c, m->kwv[i])
                                 : tmpl_v_undef(m->kwn[i]);
        scope_set(c, s, m->kwn[i], strlen(m->kwn[i]), v);
    }
    for (size_t k = 0; k < a->nkw; k++) {
        bool known = false;
        for (size_t i = 0; i < m->nkw; i++)
            known |= strcmp(a->kwn[k], m->kwn[i]) == 0;
        if (!known)
            tmpl_ctx_throw(c, "macro '%s' takes no keyword argument '%s'", m->s, a->kwn[k]);
    }
    c->depth += 8;
    tmpl_val r = capture(c, m->b);
    c->depth -= 8;
    c->scope = saved;
    return r;
}

static void exec_out(tmpl_ctx *c, const tmpl_node *x)
{
    tmpl_val v = eval(c, x->a);
    tmpl_str(c->out, v);
    if (c->out->n > MAX_OUTPUT_BYTES) {
        at(c, x);
        tmpl_ctx_throw(c, "rendered output exceeds %zu bytes", MAX_OUTPUT_BYTES);
    }
}

static void check_budget(tmpl_ctx *c, const tmpl_node *x)
{
    if (++c->steps > MAX_STEPS || c->ar->total_bytes > MAX_ARENA_BYTES ||
        c->out->n > MAX_OUTPUT_BYTES) {
        at(c, x);
        tmpl_ctx_throw(c, "template exceeds the rendering budget (%llu statements, %zu bytes)",
                       MAX_STEPS, MAX_ARENA_BYTES);
    }
}

static int exec_stmt(tmpl_ctx *c, const tmpl_node *x)
{
    check_budget(c, x);
    switch (x->kind) {
    case N_TEXT:
        tmpl_sb_add(c->out, x->s, x->n);
        return FLOW_NORMAL;
    case N_OUT:
        exec_out(c, x);
        return FLOW_NORMAL;
    case N_IF:
        if (tmpl_truthy(eval(c, x->a)))
            return exec_body(c, x->b);
        return x->c ? (x->c->kind == N_IF ? exec_stmt(c, x->c) : exec_body(c, x->c)) : FLOW_NORMAL;
    case N_FOR:
        exec_for(c, x);
        return FLOW_NORMAL;
    case N_SET:
        exec_set(c, x);
        return FLOW_NORMAL;
    case N_SETBLOCK: {
        tmpl_val v = capture(c, x->b);
        for (const tmpl_node *f = x->c; f; f = NULL) /* {% set x | filter %} */
            v = eval_filter(c, f, v);
        scope_set(c, c->scope, x->kwn[0], strlen(x->kwn[0]), v);
        return FLOW_NORMAL;
    }
    case N_MACRO:
        exec_macro_def(c, x);
        return FLOW_NORMAL;
    case N_BREAK:
        return FLOW_BREAK;
    case N_CONTINUE:
        return FLOW_CONTINUE;
    case N_FILTERBLOCK: {
        tmpl_val v = capture(c, x->b);
        v = eval_filter(c, x->c, v);
        tmpl_str(c->out, v);
        return FLOW_NORMAL;
    }
    case N_BODY:
        return exec_body(c, x);
    default:
        at(c, x);
        tmpl_ctx_throw(c, "internal error: unknown statement node");
    }
}

static int exec_body(tmpl_ctx *c, const tmpl_node *body)
{
    if (++c->depth > MAX_DEPTH) {
        at(c, body);
        tmpl_ctx_throw(c, "template nested too deeply");
    }
    int flow = FLOW_NORMAL;
    for (size_t i = 0; i < body->nkids && flow == FLOW_NORMAL; i++)
        flow = exec_stmt(c, body->kids[i]);
    c->depth--;
    return flow;
}

void tmpl_exec(tmpl_ctx *c, const tmpl_node *root)
{
    exec_body(c, root);
}

void tmpl_scope_set_root(tmpl_ctx *c, const char *name, tmpl_val v)
{
    if (!c->root) {
        c->root = scope_new(c, NULL);
        c->scope = c->root;
    }
    scope_set(c, c->root, name, strlen(name), v);
}
