/* SPDX-License-Identifier: Apache-2.0 */
/* tmpl_int.h - shared internals of the template module (not for callers).
 *
 * The module is split like a small interpreter: tmpl_lex.c turns the source
 * into tokens exactly as jinja2's lexer would (whitespace control included),
 * tmpl_parse.c builds an AST, tmpl_eval.c walks it, tmpl_value.c holds the
 * Python value semantics (truth, equality, str(), repr(), json.dumps) and
 * tmpl_filter.c / tmpl_method.c the filters, tests, methods and globals.
 *
 * Every allocation of a parse or a render comes from one arena, and errors
 * unwind with longjmp to the entry point: a template can fail anywhere deep in
 * an expression, and threading -1 through every helper would double the code
 * without freeing anything the arena does not already free. */
#ifndef SB_TMPL_INT_H
#define SB_TMPL_INT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

/* ---- values (Python objects as jinja2 sees them) ---- */
enum {
    TV_UNDEF, /* jinja2 default Undefined: prints "", falsy, iterates empty */
    TV_NONE,
    TV_BOOL,
    TV_INT,
    TV_FLOAT,
    TV_STR,
    TV_LIST,  /* list; flag TV_F_TUPLE for tuples */
    TV_DICT,  /* insertion-ordered; flag TV_F_NS for namespace() objects */
    TV_FUNC,  /* global function or bound method: fn.id, fn.self */
    TV_MACRO, /* a {% macro %} */
    TV_LOOP,  /* the `loop` variable of a for loop */
};
#define TV_F_TUPLE 1
#define TV_F_NS 2

typedef struct tmpl_list tmpl_list;
typedef struct tmpl_dict tmpl_dict;
typedef struct tmpl_loop tmpl_loop;
typedef struct tmpl_node tmpl_node;
typedef struct tmpl_scope tmpl_scope;
typedef struct tmpl_macro tmpl_macro;

typedef struct tmpl_val {
    uint8_t t;
    uint8_t flag;
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            const char *p; /* for TV_UNDEF: the missing name (for messages) */
            size_t n;
        } s;
        tmpl_list *l;
        tmpl_dict *d;
        struct {
            int id;
            struct tmpl_val *self;
        } fn;
        const tmpl_macro *macro;
        tmpl_loop *loop;
    } u;
} tmpl_val;

struct tmpl_list {
    tmpl_val *v;
    size_t n, cap;
};
struct tmpl_dict {
    tmpl_val *k, *v;
    size_t n, cap;
};
struct tmpl_macro {
    const tmpl_node *def; /* the N_MACRO node */
    tmpl_scope *scope;    /* where it was defined: names resolve there at call time */
};
struct tmpl_loop {
    tmpl_list *items; /* the (filtered) sequence iterated */
    size_t i;         /* index0 */
    int depth;
};

/* ---- AST ---- */
enum {
    /* statements */
    N_BODY,
    N_TEXT,
    N_OUT,
    N_IF,
    N_FOR,
    N_SET,
    N_SETBLOCK,
    N_MACRO,
    N_BREAK,
    N_CONTINUE,
    N_FILTERBLOCK,
    /* expressions */
    N_LIT,
    N_NAME,
    N_LIST,
    N_TUPLE,
    N_DICT,
    N_BIN,
    N_NEG,
    N_POS,
    N_NOT,
    N_AND,
    N_OR,
    N_COND,
    N_CMP,
    N_ATTR,
    N_ITEM,
    N_SLICE,
    N_CALL,
    N_FILTER,
    N_TEST,
};
/* binary operators and comparison operators (N_BIN.op, N_CMP ops) */
enum {
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_FDIV,
    OP_MOD,
    OP_POW,
    OP_CAT,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_IN,
    OP_NOTIN
};

struct tmpl_node {
    uint8_t kind;
    uint8_t op; /* operator; N_TEST: 1 = negated; N_FOR: 1 = has filter */
    int line, col;
    const char *s; /* text, name, attribute, filter/test/macro name */
    size_t n;
    tmpl_val lit;
    tmpl_node *a, *b, *c, *d;
    tmpl_node **kids; /* body statements, list items, positional args, dict k/v pairs */
    size_t nkids;
    const char **kwn; /* keyword argument names / target names / macro params */
    tmpl_node **kwv;  /* keyword argument values / macro defaults (NULL = none) */
    size_t nkw;
    uint8_t *ops; /* N_CMP: one operator per right operand in kids */
};

/* ---- tokens ---- */
enum {
    T_EOF,
    T_DATA,
    T_VAR_BEGIN,
    T_VAR_END,
    T_BLOCK_BEGIN,
    T_BLOCK_END,
    T_NAME,
    T_STR,
    T_INT,
    T_FLOAT,
    T_OP,
};
typedef struct tmpl_tok {
    uint8_t t;
    int line, col;
    const char *p; /* T_DATA/T_STR: decoded text; T_NAME/T_OP: source text */
    size_t n;
    int64_t i;
    double f;
} tmpl_tok;

/* Parse/render failure: message already in *err, unwind to the entry point. */
typedef struct tmpl_fail {
    jmp_buf jb;
    sb_err *err;
} tmpl_fail;

_Noreturn void tmpl_throw(tmpl_fail *f, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Lexes normalised source into a heap array of tokens ending in T_EOF; *owner
 * always holds the array (also when lexing fails) and the caller frees it.
 * Token texts live in the arena. */
tmpl_tok *tmpl_lex(const char *src, size_t n, sb_arena *ar, tmpl_fail *f, size_t *ntok,
                   tmpl_tok **owner);
/* Parses tokens into an N_BODY root. */
tmpl_node *tmpl_parse(const tmpl_tok *toks, size_t ntok, sb_arena *ar, tmpl_fail *f);
/* True when the named filter / test exists (checked at parse time, as jinja2 does). */
bool tmpl_filter_exists(const char *name, size_t n);
bool tmpl_test_exists(const char *name, size_t n);

/* ---- Python-side helpers (tmpl_value.c) ---- */
typedef struct tmpl_sb { /* arena string builder */
    sb_arena *ar;
    char *p;
    size_t n, cap;
} tmpl_sb;
void tmpl_sb_init(tmpl_sb *b, sb_arena *ar);
void tmpl_sb_add(tmpl_sb *b, const char *p, size_t n);
void tmpl_sb_addc(tmpl_sb *b, char c);
void tmpl_sb_adds(tmpl_sb *b, const char *s);

tmpl_val tmpl_v_undef(const char *name);
tmpl_val tmpl_v_none(void);
tmpl_val tmpl_v_bool(bool b);
tmpl_val tmpl_v_int(int64_t i);
tmpl_val tmpl_v_float(double f);
tmpl_val tmpl_v_str(const char *p, size_t n);
tmpl_val tmpl_v_cstr(const char *p);
tmpl_val tmpl_v_list(sb_arena *ar, size_t cap);
tmpl_val tmpl_v_dict(sb_arena *ar, size_t cap);
void tmpl_list_push(sb_arena *ar, tmpl_list *l, tmpl_val v);
void tmpl_dict_set(sb_arena *ar, tmpl_dict *d, tmpl_val k, tmpl_val v);
tmpl_val *tmpl_dict_get(const tmpl_dict *d, const char *key, size_t n);
tmpl_val *tmpl_dict_find(const tmpl_dict *d, tmpl_val key);

bool tmpl_truthy(tmpl_val v);
bool tmpl_equal(tmpl_val a, tmpl_val b);
/* Python ordering; returns -2 when the types cannot be ordered. */
int tmpl_order(tmpl_val a, tmpl_val b);
const char *tmpl_type_name(tmpl_val v);
/* str(v) and repr(v), appended. */
void tmpl_str(tmpl_sb *b, tmpl_val v);
void tmpl_repr(tmpl_sb *b, tmpl_val v);
/* json.dumps options as transformers' tojson passes them. */
typedef struct tmpl_json_opts {
    int indent; /* < 0: None (one line) */
    bool sort_keys;
    bool ensure_ascii;    /* \uXXXX for non-ASCII (transformers' default is False) */
    const char *item_sep; /* NULL: ", " without indent, "," with it */
    const char *key_sep;  /* NULL: ": " */
} tmpl_json_opts;
/* json.dumps(v, ...). Returns -1 for values json cannot encode (undefined,
 * functions, namespaces). */
int tmpl_json(tmpl_sb *b, tmpl_val v, const tmpl_json_opts *o, int level);
/* Python str.isspace() for one code point; UTF-8 helpers. */
bool tmpl_py_space(uint32_t cp);
size_t tmpl_utf8_dec(const char *p, size_t n, uint32_t *cp); /* bytes used (>= 1) */
size_t tmpl_utf8_len(const char *p, size_t n);               /* code points */
size_t tmpl_utf8_off(const char *p, size_t n, size_t idx);   /* byte offset of code point idx */
/* Python str.strip(chars): which = 1 left, 2 right, 3 both; chars NULL = whitespace. */
tmpl_val tmpl_strip(tmpl_val s, const char *chars, size_t nchars, int which);
/* str(v) as a value (strings are returned as is). */
tmpl_val tmpl_to_str(sb_arena *ar, tmpl_val v);

/* ---- evaluation context (tmpl_eval.c), used by filters and methods ---- */
typedef struct tmpl_ctx {
    sb_arena *ar;
    tmpl_fail *fail;
    tmpl_scope *scope;
    tmpl_scope *root;
    tmpl_sb *out;
    int depth;
    uint64_t steps; /* statements executed, bounded so no template runs away */
    int line, col;  /* of the node being evaluated, for messages */
} tmpl_ctx;

_Noreturn void tmpl_ctx_throw(tmpl_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Arguments of a call: positional then keyword. */
typedef struct tmpl_args {
    tmpl_val *pos;
    size_t npos;
    const char **kwn;
    tmpl_val *kwv;
    size_t nkw;
} tmpl_args;
/* Positional index i or keyword name, else NULL. */
tmpl_val *tmpl_arg(const tmpl_args *a, size_t i, const char *kw);
tmpl_val tmpl_apply_filter(tmpl_ctx *c, const char *name, size_t n, tmpl_val v, const tmpl_args *a);
bool tmpl_apply_test(tmpl_ctx *c, const char *name, size_t n, tmpl_val v, const tmpl_args *a);
/* Fails the way using an Undefined fails ("'x' is undefined" or the hint it
 * carries, such as "'dict object' has no attribute 'x'"). */
_Noreturn void tmpl_undefined_error(tmpl_ctx *c, tmpl_val u);
/* obj.name as jinja2's getattr (attribute first, then item). */
tmpl_val tmpl_getattr(tmpl_ctx *c, tmpl_val obj, const char *name, size_t n);
/* obj[key] as jinja2's getitem (item first, then attribute). */
tmpl_val tmpl_getitem(tmpl_ctx *c, tmpl_val obj, tmpl_val key);
/* Bound method of str/dict/list, or TV_UNDEF when there is none. */
tmpl_val tmpl_method_lookup(tmpl_ctx *c, tmpl_val self, const char *name, size_t n);
/* Calls a TV_FUNC. */
tmpl_val tmpl_call_func(tmpl_ctx *c, tmpl_val fn, const tmpl_args *a);
/* Global function by name (range, namespace, ...), or TV_UNDEF. */
tmpl_val tmpl_global_lookup(const char *name, size_t n);
/* Iterates v as a Python for loop would, into a list (dict → keys, str → chars). */
tmpl_list *tmpl_iterate(tmpl_ctx *c, tmpl_val v);
/* Renders root into c->out (template.c's entry into the evaluator). */
void tmpl_exec(tmpl_ctx *c, const tmpl_node *root);
/* Sets a variable in the root scope (creating it on first use). */
void tmpl_scope_set_root(tmpl_ctx *c, const char *name, tmpl_val v);
/* String helpers shared by methods and filters (tmpl_method.c). mode of
 * tmpl_str_case: 'u' upper, 'l' lower, 't' str.title(), 'c' capitalize(). */
tmpl_val tmpl_str_case(tmpl_ctx *c, tmpl_val s, char mode);
tmpl_val tmpl_str_replace(tmpl_ctx *c, tmpl_val s, tmpl_val old, tmpl_val new_, int64_t count);
tmpl_list *tmpl_splitlines(tmpl_ctx *c, tmpl_val s);
/* Calls a macro value with arguments; returns its output as a string. */
tmpl_val tmpl_call_macro(tmpl_ctx *c, tmpl_val m, const tmpl_args *a);

#endif
