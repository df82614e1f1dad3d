/* SPDX-License-Identifier: Apache-2.0 */
/* tmpl_parse.c - recursive-descent parser from tokens to the AST.
 *
 * The expression grammar and its precedence are jinja2's (parser.py), which
 * differ from Python in ways templates rely on: `is` tests and `|` filters
 * bind tighter than every binary operator (`not x is defined` is
 * `not (x is defined)`, `a + b | trim` trims only b), `~` binds tighter than
 * `+`, `**` is left-associative, and a for loop's iterable is parsed without
 * the conditional expression so `for x in xs if c` is a filtered loop.
 * Unknown filters and tests are errors here, at compile time, as in jinja2. */
#include "template/tmpl_int.h"
#include <stdio.h>

#include <string.h>

#define MAX_NEST 200

typedef struct parser {
    const tmpl_tok *t;
    size_t n, i;
    sb_arena *ar;
    tmpl_fail *f;
    int nest;
    int loops; /* for bodies being parsed (break/continue need one; macros reset it) */
} parser;

static const tmpl_tok *cur(parser *P)
{
    return &P->t[P->i];
}

static const tmpl_tok *advance(parser *P)
{
    const tmpl_tok *k = &P->t[P->i];
    if (k->t != T_EOF)
        P->i++;
    return k;
}

static bool is_op(const tmpl_tok *k, const char *op)
{
    return k->t == T_OP && k->n == strlen(op) && memcmp(k->p, op, k->n) == 0;
}

static bool is_name(const tmpl_tok *k, const char *name)
{
    return k->t == T_NAME && k->n == strlen(name) && memcmp(k->p, name, k->n) == 0;
}

static const char *tok_desc(const tmpl_tok *k)
{
    switch (k->t) {
    case T_EOF:
        return "end of template";
    case T_DATA:
        return "template data";
    case T_VAR_BEGIN:
        return "'{{'";
    case T_VAR_END:
        return "end of print statement '}}'";
    case T_BLOCK_BEGIN:
        return "'{%'";
    case T_BLOCK_END:
        return "end of statement block '%}'";
    case T_STR:
        return "string";
    case T_INT:
        return "integer";
    case T_FLOAT:
        return "float";
    default:
        return NULL;
    }
}

_Noreturn static void fail_at(parser *P, const tmpl_tok *k, const char *what)
{
    const char *d = tok_desc(k);
    if (d)
        tmpl_throw(P->f, k->line, k->col, "%s, got %s", what, d);
    tmpl_throw(P->f, k->line, k->col, "%s, got '%.*s'", what, (int)k->n, k->p);
}

static void expect_op(parser *P, const char *op)
{
    if (!is_op(cur(P), op)) {
        char msg[64];
        snprintf(msg, sizeof msg, "expected '%s'", op);
        fail_at(P, cur(P), msg);
    }
    advance(P);
}

static void expect_tok(parser *P, int t, const char *what)
{
    if (cur(P)->t != t)
        fail_at(P, cur(P), what);
    advance(P);
}

static const char *expect_name(parser *P, size_t *n)
{
    if (cur(P)->t != T_NAME)
        fail_at(P, cur(P), "expected a name");
    const tmpl_tok *k = advance(P);
    *n = k->n;
    return sb_arena_strndup(P->ar, k->p, k->n);
}

static tmpl_node *node(parser *P, int kind, const tmpl_tok *at)
{
    tmpl_node *x = sb_arena_calloc(P->ar, sizeof *x);
    x->kind = (uint8_t)kind;
    x->line = at->line;
    x->col = at->col;
    return x;
}

/* Growable node array in the arena. */
typedef struct nvec {
    tmpl_node **v;
    size_t n, cap;
} nvec;

static void nvec_push(parser *P, nvec *a, tmpl_node *x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        tmpl_node **nv = sb_arena_alloc(P->ar, cap * sizeof *nv);
        if (a->n)
            memcpy(nv, a->v, a->n * sizeof *nv);
        a->v = nv;
        a->cap = cap;
    }
    a->v[a->n++] = x;
}

static void enter(parser *P)
{
    if (++P->nest > MAX_NEST)
        fail_at(P, cur(P), "template nested too deeply");
}

static tmpl_node *parse_expr(parser *P, bool with_cond);
static tmpl_node *parse_unary(parser *P, bool with_filter);
static tmpl_node *parse_primary(parser *P);
static tmpl_node *parse_postfix(parser *P, tmpl_node *x);
static tmpl_node *parse_or(parser *P);

/* `(a, b=c)` call arguments into x->kids / x->kwn / x->kwv. */
static void parse_call_args(parser *P, tmpl_node *x)
{
    expect_op(P, "(");
    nvec pos = {0}, kwv = {0};
    const char **kwn = NULL;
    size_t kwcap = 0;
    while (!is_op(cur(P), ")")) {
        if (pos.n || kwv.n)
            expect_op(P, ",");
        if (is_op(cur(P), ")"))
            break;
        if (is_op(cur(P), "*") || is_op(cur(P), "**"))
            fail_at(P, cur(P), "*args and **kwargs in calls are not supported");
        if (cur(P)->t == T_NAME && is_op(&P->t[P->i + 1], "=")) {
            size_t n;
            const char *name = expect_name(P, &n);
            advance(P);
            if (kwv.n == kwcap) {
                kwcap = kwcap ? kwcap * 2 : 4;
                const char **nk = sb_arena_alloc(P->ar, kwcap * sizeof *nk);
                if (kwv.n)
                    memcpy(nk, kwn, kwv.n * sizeof *nk);
                kwn = nk;
            }
            kwn[kwv.n] = name;
            nvec_push(P, &kwv, parse_expr(P, true));
        } else {
            if (kwv.n)
                fail_at(P, cur(P), "positional argument after keyword argument");
            nvec_push(P, &pos, parse_expr(P, true));
        }
    }
    advance(P);
    x->kids = pos.v;
    x->nkids = pos.n;
    x->kwn = kwn;
    x->kwv = kwv.v;
    x->nkw = kwv.n;
}

/* Dotted filter/test name (`a.b` is allowed by jinja2). */
static void parse_dotted(parser *P, tmpl_node *x)
{
    size_t n;
    const char *name = expect_name(P, &n);
    while (is_op(cur(P), ".")) {
        advance(P);
        size_t m;
        const char *more = expect_name(P, &m);
        char *joined = sb_arena_alloc(P->ar, n + m + 2);
        memcpy(joined, name, n);
        joined[n] = '.';
        memcpy(joined + n + 1, more, m + 1);
        name = joined;
        n += m + 1;
    }
    x->s = name;
    x->n = n;
}

static tmpl_node *parse_filter(parser *P, tmpl_node *operand)
{
    const tmpl_tok *at = advance(P); /* '|' */
    tmpl_node *x = node(P, N_FILTER, at);
    x->a = operand;
    parse_dotted(P, x);
    if (!tmpl_filter_exists(x->s, x->n))
        tmpl_throw(P->f, at->line, at->col, "no filter named '%s'", x->s);
    if (is_op(cur(P), "("))
        parse_call_args(P, x);
    return x;
}

static bool starts_test_arg(const tmpl_tok *k)
{
    if (k->t == T_NAME)
        return !is_name(k, "else") && !is_name(k, "or") && !is_name(k, "and");
    return k->t == T_STR || k->t == T_INT || k->t == T_FLOAT || is_op(k, "(") || is_op(k, "[") ||
           is_op(k, "{");
}

static tmpl_node *parse_test(parser *P, tmpl_node *operand)
{
    const tmpl_tok *at = advance(P); /* 'is' */
    tmpl_node *x = node(P, N_TEST, at);
    x->a = operand;
    if (is_name(cur(P), "not")) {
        advance(P);
        x->op = 1;
    }
    parse_dotted(P, x);
    if (!tmpl_test_exists(x->s, x->n))
        tmpl_throw(P->f, at->line, at->col, "no test named '%s'", x->s);
    if (is_op(cur(P), "(")) {
        parse_call_args(P, x);
    } else if (starts_test_arg(cur(P))) {
        if (is_name(cur(P), "is"))
            fail_at(P, cur(P), "you cannot chain multiple tests with is");
        x->kids = sb_arena_alloc(P->ar, sizeof *x->kids);
        x->kids[0] = parse_postfix(P, parse_primary(P));
        x->nkids = 1;
    }
    return x;
}

static tmpl_node *parse_filter_expr(parser *P, tmpl_node *x)
{
    for (;;) {
        if (is_op(cur(P), "|")) {
            x = parse_filter(P, x);
        } else if (is_name(cur(P), "is")) {
            x = parse_test(P, x);
        } else if (is_op(cur(P), "(")) {
            tmpl_node *call = node(P, N_CALL, cur(P));
            call->a = x;
            parse_call_args(P, call);
            x = call;
        } else {
            return x;
        }
    }
}

/* Inside `[...]`: an index or a slice a:b:c (parts may be missing). */
static tmpl_node *parse_subscribed(parser *P)
{
    const tmpl_tok *at = cur(P);
    tmpl_node *parts[3] = {NULL, NULL, NULL};
    if (!is_op(cur(P), ":")) {
        tmpl_node *e = parse_expr(P, true);
        if (!is_op(cur(P), ":"))
            return e;
        parts[0] = e;
    }
    advance(P);
    if (!is_op(cur(P), "]") && !is_op(cur(P), ",") && !is_op(cur(P), ":"))
        parts[1] = parse_expr(P, true);
    if (is_op(cur(P), ":")) {
        advance(P);
        if (!is_op(cur(P), "]") && !is_op(cur(P), ","))
            parts[2] = parse_expr(P, true);
    }
    tmpl_node *s = node(P, N_SLICE, at);
    s->b = parts[0];
    s->c = parts[1];
    s->d = parts[2];
    return s;
}

static tmpl_node *parse_subscript(parser *P, tmpl_node *x)
{
    const tmpl_tok *at = advance(P);
    if (at->t == T_OP && at->p[0] == '.') {
        const tmpl_tok *k = advance(P);
        if (k->t == T_NAME) {
            tmpl_node *y = node(P, N_ATTR, at);
            y->a = x;
            y->s = sb_arena_strndup(P->ar, k->p, k->n);
            y->n = k->n;
            return y;
        }
        if (k->t != T_INT)
            fail_at(P, k, "expected a name or number after '.'");
        tmpl_node *y = node(P, N_ITEM, at);
        y->a = x;
        y->b = node(P, N_LIT, k);
        y->b->lit = tmpl_v_int(k->i);
        return y;
    }
    tmpl_node *idx = parse_subscribed(P);
    if (is_op(cur(P), ",")) {
        nvec items = {0};
        nvec_push(P, &items, idx);
        while (is_op(cur(P), ",")) {
            advance(P);
            if (is_op(cur(P), "]"))
                break;
            nvec_push(P, &items, parse_subscribed(P));
        }
        for (size_t i = 0; i < items.n; i++) /* Python lists/str reject them anyway */
            if (items.v[i]->kind == N_SLICE)
                tmpl_throw(P->f, items.v[i]->line, items.v[i]->col,
                           "slices inside a tuple index are not supported");
        idx = node(P, N_TUPLE, at);
        idx->kids = items.v;
        idx->nkids = items.n;
    }
    expect_op(P, "]");
    tmpl_node *y = node(P, idx->kind == N_SLICE ? N_SLICE : N_ITEM, at);
    if (idx->kind == N_SLICE) {
        *y = *idx;
        y->a = x;
    } else {
        y->a = x;
        y->b = idx;
    }
    return y;
}

static tmpl_node *parse_postfix(parser *P, tmpl_node *x)
{
    for (;;) {
        if (is_op(cur(P), ".") || is_op(cur(P), "[")) {
            x = parse_subscript(P, x);
        } else if (is_op(cur(P), "(")) {
            tmpl_node *call = node(P, N_CALL, cur(P));
            call->line = x->line; /* errors point at the callee, not the '(' */
            call->col = x->col;
            call->a = x;
            parse_call_args(P, call);
            x = call;
        } else {
            return x;
        }
    }
}

/* `[a, b]`, `(a, b)` or `{k: v}` after the opening bracket. */
static tmpl_node *parse_seq(parser *P, const tmpl_tok *at, int kind, const char *close)
{
    tmpl_node *x = node(P, kind, at);
    nvec items = {0};
    while (!is_op(cur(P), close)) {
        if (items.n)
            expect_op(P, ",");
        if (is_op(cur(P), close))
            break;
        nvec_push(P, &items, parse_expr(P, true));
        if (kind == N_DICT) {
            expect_op(P, ":");
            nvec_push(P, &items, parse_expr(P, true));
        }
    }
    advance(P);
    x->kids = items.v;
    x->nkids = items.n;
    return x;
}

static tmpl_node *parse_paren(parser *P, const tmpl_tok *at)
{
    if (is_op(cur(P), ")")) {
        advance(P);
        return node(P, N_TUPLE, at);
    }
    tmpl_node *first = parse_expr(P, true);
    if (is_op(cur(P), ")")) {
        advance(P);
        return first;
    }
    nvec items = {0};
    nvec_push(P, &items, first);
    while (is_op(cur(P), ",")) {
        advance(P);
        if (is_op(cur(P), ")"))
            break;
        nvec_push(P, &items, parse_expr(P, true));
    }
    expect_op(P, ")");
    tmpl_node *x = node(P, N_TUPLE, at);
    x->kids = items.v;
    x->nkids = items.n;
    return x;
}

static tmpl_node *parse_name_lit(parser *P, const tmpl_tok *k)
{
    tmpl_node *x = node(P, N_LIT, k);
    if (is_name(k, "true") || is_name(k, "True"))
        x->lit = tmpl_v_bool(true);
    else if (is_name(k, "false") || is_name(k, "False"))
        x->lit = tmpl_v_bool(false);
    else if (is_name(k, "none") || is_name(k, "None"))
        x->lit = tmpl_v_none();
    else {
        x->kind = N_NAME;
        x->s = sb_arena_strndup(P->ar, k->p, k->n);
        x->n = k->n;
    }
    return x;
}

static tmpl_node *parse_primary(parser *P)
{
    const tmpl_tok *k = advance(P);
    switch (k->t) {
    case T_NAME:
        return parse_name_lit(P, k);
    case T_STR: {
        tmpl_sb b;
        tmpl_sb_init(&b, P->ar);
        tmpl_sb_add(&b, k->p, k->n);
        while (cur(P)->t == T_STR) { /* adjacent literals concatenate */
            const tmpl_tok *m = advance(P);
            tmpl_sb_add(&b, m->p, m->n);
        }
        tmpl_node *x = node(P, N_LIT, k);
        x->lit = tmpl_v_str(b.p ? b.p : "", b.n);
        return x;
    }
    case T_INT:
    case T_FLOAT: {
        tmpl_node *x = node(P, N_LIT, k);
        x->lit = k->t == T_INT ? tmpl_v_int(k->i) : tmpl_v_float(k->f);
        return x;
    }
    default:
        break;
    }
    if (is_op(k, "("))
        return parse_paren(P, k);
    if (is_op(k, "["))
        return parse_seq(P, k, N_LIST, "]");
    if (is_op(k, "{"))
        return parse_seq(P, k, N_DICT, "}");
    fail_at(P, k, "unexpected token in expression");
}

static tmpl_node *parse_unary(parser *P, bool with_filter)
{
    enter(P);
    const tmpl_tok *k = cur(P);
    tmpl_node *x;
    if (is_op(k, "-") || is_op(k, "+")) {
        advance(P);
        x = node(P, is_op(k, "-") ? N_NEG : N_POS, k);
        x->a = parse_unary(P, false);
    } else {
        x = parse_primary(P);
    }
    x = parse_postfix(P, x);
    if (with_filter)
        x = parse_filter_expr(P, x);
    P->nest--;
    return x;
}

static tmpl_node *binop(parser *P, const tmpl_tok *at, int op, tmpl_node *a, tmpl_node *b)
{
    tmpl_node *x = node(P, N_BIN, at);
    x->op = (uint8_t)op;
    x->a = a;
    x->b = b;
    return x;
}

static tmpl_node *parse_pow(parser *P)
{
    tmpl_node *x = parse_unary(P, true);
    while (is_op(cur(P), "**")) {
        const tmpl_tok *at = advance(P);
        x = binop(P, at, OP_POW, x, parse_unary(P, true));
    }
    return x;
}

static tmpl_node *parse_math2(parser *P)
{
    tmpl_node *x = parse_pow(P);
    for (;;) {
        const tmpl_tok *k = cur(P);
        int op = is_op(k, "*")    ? OP_MUL
                 : is_op(k, "/")  ? OP_DIV
                 : is_op(k, "//") ? OP_FDIV
                 : is_op(k, "%")  ? OP_MOD
                                  : -1;
        if (op < 0)
            return x;
        advance(P);
        x = binop(P, k, op, x, parse_pow(P));
    }
}

static tmpl_node *parse_concat(parser *P)
{
    tmpl_node *x = parse_math2(P);
    while (is_op(cur(P), "~")) {
        const tmpl_tok *at = advance(P);
        x = binop(P, at, OP_CAT, x, parse_math2(P));
    }
    return x;
}

static tmpl_node *parse_math1(parser *P)
{
    tmpl_node *x = parse_concat(P);
    for (;;) {
        const tmpl_tok *k = cur(P);
        int op = is_op(k, "+") ? OP_ADD : is_op(k, "-") ? OP_SUB : -1;
        if (op < 0)
            return x;
        advance(P);
        x = binop(P, k, op, x, parse_concat(P));
    }
}

static int cmp_op(parser *P)
{
    const tmpl_tok *k = cur(P);
    static const struct {
        const char *s;
        int op;
    } ops[] = {{"==", OP_EQ}, {"!=", OP_NE}, {"<", OP_LT},
               {"<=", OP_LE}, {">", OP_GT},  {">=", OP_GE}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (is_op(k, ops[i].s)) {
            advance(P);
            return ops[i].op;
        }
    if (is_name(k, "in")) {
        advance(P);
        return OP_IN;
    }
    if (is_name(k, "not") && is_name(&P->t[P->i + 1], "in")) {
        advance(P);
        advance(P);
        return OP_NOTIN;
    }
    return -1;
}

static tmpl_node *parse_compare(parser *P)
{
    const tmpl_tok *at = cur(P);
    tmpl_node *x = parse_math1(P);
    nvec rhs = {0};
    uint8_t ops[64];
    int op;
    while ((op = cmp_op(P)) >= 0) {
        if (rhs.n == sizeof ops)
            fail_at(P, cur(P), "comparison chain too long");
        ops[rhs.n] = (uint8_t)op;
        nvec_push(P, &rhs, parse_math1(P));
    }
    if (!rhs.n)
        return x;
    tmpl_node *c = node(P, N_CMP, at);
    c->a = x;
    c->kids = rhs.v;
    c->nkids = rhs.n;
    c->ops = sb_arena_alloc(P->ar, rhs.n);
    memcpy(c->ops, ops, rhs.n);
    return c;
}

static tmpl_node *parse_not(parser *P)
{
    if (is_name(cur(P), "not")) {
        enter(P);
        const tmpl_tok *at = advance(P);
        tmpl_node *x = node(P, N_NOT, at);
        x->a = parse_not(P);
        P->nest--;
        return x;
    }
    return parse_compare(P);
}

static tmpl_node *parse_and(parser *P)
{
    tmpl_node *x = parse_not(P);
    while (is_name(cur(P), "and")) {
        tmpl_node *y = node(P, N_AND, advance(P));
        y->a = x;
        y->b = parse_not(P);
        x = y;
    }
    return x;
}

static tmpl_node *parse_or(parser *P)
{
    tmpl_node *x = parse_and(P);
    while (is_name(cur(P), "or")) {
        tmpl_node *y = node(P, N_OR, advance(P));
        y->a = x;
        y->b = parse_and(P);
        x = y;
    }
    return x;
}

static tmpl_node *parse_condexpr(parser *P)
{
    tmpl_node *x = parse_or(P);
    while (is_name(cur(P), "if")) {
        tmpl_node *c = node(P, N_COND, advance(P));
        c->a = parse_or(P);
        c->b = x;
        if (is_name(cur(P), "else")) {
            advance(P);
            enter(P);
            c->c = parse_condexpr(P);
            P->nest--;
        }
        x = c;
    }
    return x;
}

static tmpl_node *parse_expr(parser *P, bool with_cond)
{
    enter(P);
    tmpl_node *x = with_cond ? parse_condexpr(P) : parse_or(P);
    P->nest--;
    return x;
}

/* Expression list `a, b` (an implicit tuple) as in `{{ a, b }}` or set values. */
static tmpl_node *parse_tuple(parser *P, bool with_cond)
{
    const tmpl_tok *at = cur(P);
    tmpl_node *x = parse_expr(P, with_cond);
    if (!is_op(cur(P), ","))
        return x;
    nvec items = {0};
    nvec_push(P, &items, x);
    while (is_op(cur(P), ",")) {
        advance(P);
        if (cur(P)->t == T_BLOCK_END || cur(P)->t == T_VAR_END || is_name(cur(P), "if"))
            break;
        nvec_push(P, &items, parse_expr(P, with_cond));
    }
    tmpl_node *t = node(P, N_TUPLE, at);
    t->kids = items.v;
    t->nkids = items.n;
    return t;
}

/* ---- statements ---- */

static tmpl_node *parse_body(parser *P, const char *const *stops);

static void end_block(parser *P)
{
    expect_tok(P, T_BLOCK_END, "expected end of statement block");
}

/* Consumes `{% name %}` where the parser stands at name (after `{%`). */
static void expect_end_tag(parser *P, const char *name)
{
    if (!is_name(cur(P), name)) {
        char msg[64];
        snprintf(msg, sizeof msg, "expected '%s'", name);
        fail_at(P, cur(P), msg);
    }
    advance(P);
    end_block(P);
}

/* Target names of for/set: `a` or `a, b` (optionally parenthesised). */
static void parse_targets(parser *P, tmpl_node *x)
{
    bool paren = is_op(cur(P), "(");
    if (paren)
        advance(P);
    const char *names[16];
    size_t n = 0;
    do {
        if (n)
            advance(P);
        if (n == 16)
            fail_at(P, cur(P), "too many assignment targets");
        size_t len;
        names[n++] = expect_name(P, &len);
    } while (is_op(cur(P), ","));
    if (paren)
        expect_op(P, ")");
    x->kwn = sb_arena_alloc(P->ar, n * sizeof *x->kwn);
    memcpy(x->kwn, names, n * sizeof *names);
    x->nkw = n;
}

static tmpl_node *parse_if(parser *P, const tmpl_tok *at)
{
    static const char *const stops[] = {"elif", "else", "endif", NULL};
    tmpl_node *x = node(P, N_IF, at);
    x->a = parse_tuple(P, true);
    end_block(P);
    x->b = parse_body(P, stops);
    const tmpl_tok *k = advance(P);
    if (is_name(k, "elif")) {
        x->c = parse_if(P, k);
        return x;
    }
    if (is_name(k, "else")) {
        end_block(P);
        static const char *const endif[] = {"endif", NULL};
        x->c = parse_body(P, endif);
        advance(P);
    }
    end_block(P);
    return x;
}

static tmpl_node *parse_for(parser *P, const tmpl_tok *at)
{
    static const char *const stops[] = {"endfor", "else", NULL};
    static const char *const endfor[] = {"endfor", NULL};
    tmpl_node *x = node(P, N_FOR, at);
    parse_targets(P, x);
    if (!is_name(cur(P), "in"))
        fail_at(P, cur(P), "expected 'in' in for loop");
    advance(P);
    x->a = parse_tuple(P, false);
    if (is_name(cur(P), "if")) {
        advance(P);
        x->d = parse_expr(P, true);
        x->op = 1;
    }
    if (is_name(cur(P), "recursive"))
        fail_at(P, cur(P), "recursive for loops are not supported");
    end_block(P);
    P->loops++;
    x->b = parse_body(P, stops);
    P->loops--;
    if (is_name(advance(P), "else")) {
        end_block(P);
        x->c = parse_body(P, endfor);
        advance(P);
    }
    end_block(P);
    return x;
}

static tmpl_node *parse_set(parser *P, const tmpl_tok *at)
{
    tmpl_node *x = node(P, N_SET, at);
    if (cur(P)->t == T_NAME && is_op(&P->t[P->i + 1], ".")) {
        tmpl_node *ns = node(P, N_NAME, cur(P));
        ns->s = expect_name(P, &ns->n);
        advance(P);
        x->a = ns;
        x->s = expect_name(P, &x->n);
    } else {
        parse_targets(P, x);
    }
    if (is_op(cur(P), "=")) {
        advance(P);
        x->b = parse_tuple(P, true);
        end_block(P);
        return x;
    }
    if (x->a || x->nkw != 1)
        fail_at(P, cur(P), "expected '='");
    x->kind = N_SETBLOCK;
    while (is_op(cur(P), "|")) /* {% set x | filter %} */
        x->c = parse_filter(P, x->c);
    end_block(P);
    static const char *const endset[] = {"endset", NULL};
    x->b = parse_body(P, endset);
    expect_end_tag(P, "endset");
    return x;
}

static tmpl_node *parse_macro(parser *P, const tmpl_tok *at)
{
    tmpl_node *x = node(P, N_MACRO, at);
    x->s = expect_name(P, &x->n);
    expect_op(P, "(");
    nvec defs = {0};
    const char *names[64] = {0};
    size_t n = 0;
    while (!is_op(cur(P), ")")) {
        if (n)
            expect_op(P, ",");
        if (n == 64)
            fail_at(P, cur(P), "too many macro parameters");
        size_t len;
        names[n] = expect_name(P, &len);
        tmpl_node *d = NULL;
        if (is_op(cur(P), "=")) {
            advance(P);
            d = parse_expr(P, true);
        } else if (defs.n && defs.v[defs.n - 1]) {
            fail_at(P, cur(P), "non-default argument follows default argument");
        }
        nvec_push(P, &defs, d);
        n++;
    }
    advance(P);
    end_block(P);
    x->kwn = sb_arena_alloc(P->ar, (n ? n : 1) * sizeof *x->kwn);
    memcpy(x->kwn, names, n * sizeof *names);
    x->kwv = defs.v;
    x->nkw = n;
    static const char *const endmacro[] = {"endmacro", NULL};
    int loops = P->loops;
    P->loops = 0;
    x->b = parse_body(P, endmacro);
    P->loops = loops;
    expect_end_tag(P, "endmacro");
    return x;
}

static tmpl_node *parse_filter_block(parser *P, const tmpl_tok *at)
{
    tmpl_node *x = node(P, N_FILTERBLOCK, at);
    P->i--; /* parse_filter expects to stand on a separator token */
    tmpl_node *chain = NULL;
    do
        chain = parse_filter(P, chain);
    while (is_op(cur(P), "|"));
    x->c = chain;
    end_block(P);
    static const char *const endfilter[] = {"endfilter", NULL};
    x->b = parse_body(P, endfilter);
    expect_end_tag(P, "endfilter");
    return x;
}

/* The statement after `{%`; the parser stands on its keyword. */
static tmpl_node *parse_statement(parser *P)
{
    const tmpl_tok *k = advance(P);
    if (k->t != T_NAME)
        fail_at(P, k, "tag name expected");
    if (is_name(k, "if"))
        return parse_if(P, k);
    if (is_name(k, "for"))
        return parse_for(P, k);
    if (is_name(k, "set"))
        return parse_set(P, k);
    if (is_name(k, "macro"))
        return parse_macro(P, k);
    if (is_name(k, "filter"))
        return parse_filter_block(P, k);
    if (is_name(k, "break") || is_name(k, "continue")) {
        if (!P->loops) /* jinja2 fails when compiling the generated Python */
            tmpl_throw(P->f, k->line, k->col, "'%.*s' outside loop", (int)k->n, k->p);
        tmpl_node *x = node(P, is_name(k, "break") ? N_BREAK : N_CONTINUE, k);
        end_block(P);
        return x;
    }
    if (is_name(k, "generation")) { /* transformers' AssistantTracker tag: renders its body */
        end_block(P);
        static const char *const endgen[] = {"endgeneration", NULL};
        tmpl_node *x = parse_body(P, endgen);
        expect_end_tag(P, "endgeneration");
        return x;
    }
    tmpl_throw(P->f, k->line, k->col, "encountered unknown tag '%.*s'", (int)k->n, k->p);
}

static bool is_stop(const tmpl_tok *k, const char *const *stops)
{
    for (; stops && *stops; stops++)
        if (is_name(k, *stops))
            return true;
    return false;
}

/* Statements until `{% <stop> ` (left at the stop name) or the end. */
static tmpl_node *parse_body(parser *P, const char *const *stops)
{
    enter(P);
    tmpl_node *body = node(P, N_BODY, cur(P));
    nvec kids = {0};
    for (;;) {
        const tmpl_tok *k = cur(P);
        if (k->t == T_EOF) {
            if (stops)
                tmpl_throw(P->f, k->line, k->col, "unexpected end of template, expected '%s'",
                           stops[0]);
            break;
        }
        advance(P);
        if (k->t == T_DATA) {
            tmpl_node *x = node(P, N_TEXT, k);
            x->s = k->p;
            x->n = k->n;
            nvec_push(P, &kids, x);
        } else if (k->t == T_VAR_BEGIN) {
            tmpl_node *x = node(P, N_OUT, k);
            x->a = parse_tuple(P, true);
            expect_tok(P, T_VAR_END, "expected end of print statement '}}'");
            nvec_push(P, &kids, x);
        } else if (k->t == T_BLOCK_BEGIN) {
            if (is_stop(cur(P), stops))
                break;
            nvec_push(P, &kids, parse_statement(P));
        } else {
            fail_at(P, k, "unexpected token");
        }
    }
    body->kids = kids.v;
    body->nkids = kids.n;
    P->nest--;
    return body;
}

tmpl_node *tmpl_parse(const tmpl_tok *toks, size_t ntok, sb_arena *ar, tmpl_fail *f)
{
    parser P = {.t = toks, .n = ntok, .ar = ar, .f = f};
    return parse_body(&P, NULL);
}
