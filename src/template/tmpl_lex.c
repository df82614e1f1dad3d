/* SPDX-License-Identifier: Apache-2.0 */
/* tmpl_lex.c - jinja2's lexer, as configured by transformers.
 *
 * transformers renders chat templates with trim_blocks and lstrip_blocks on,
 * so the whitespace around tags decides the bytes of every prompt. The rules
 * below follow jinja2 3.1's lexer (lexer.py tokeniter) case by case:
 *  - `{%-`, `{{-`, `{#-` strip all whitespace (Python str.rstrip) before the tag;
 *  - otherwise, for `{%` and `{#` (never `{{`) without `+`, the spaces between
 *    the last newline and the tag are dropped when only whitespace is there and
 *    the tag starts a line (lstrip_blocks);
 *  - `-%}`, `-}}`, `-#}` eat all following whitespace; `%}` and `#}` eat one
 *    newline (trim_blocks); `+%}` eats nothing;
 *  - inside brackets an end delimiter is an operator, not the end of the tag.
 * The source arrives already normalised (\r\n and \r turned into \n, one
 * trailing newline dropped), as jinja2 does before lexing. */
#include "template/tmpl_int.h"
#include "core/buf.h"
#include "core/utf8.h"

#include <stdlib.h>
#include <string.h>

typedef struct lexer {
    const char *s;
    size_t n;
    bool line_starting;
    size_t cur_off; /* push() position cache: line and line start of cur_off */
    int cur_line;
    size_t cur_ls;
    sb_arena *ar;
    tmpl_fail *f;
    tmpl_tok *toks;
    tmpl_tok **owner;
    size_t ntok, cap;
    char brackets[256];
    int nbr;
} lexer;

static int col_at(const lexer *L, size_t off)
{
    size_t ls = off;
    while (ls > 0 && L->s[ls - 1] != '\n')
        ls--;
    return (int)(off - ls) + 1;
}

static int line_at(const lexer *L, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off; i++)
        line += L->s[i] == '\n';
    return line;
}

_Noreturn static void lex_fail(lexer *L, size_t off, const char *what)
{
    tmpl_throw(L->f, line_at(L, off), col_at(L, off), "%s", what);
}

static tmpl_tok *push(lexer *L, int t, size_t off)
{
    if (L->ntok == L->cap) { /* heap, not arena: the tokens die right after parsing */
        L->cap = L->cap ? L->cap * 2 : 256;
        L->toks = sb_xrealloc(L->toks, L->cap * sizeof *L->toks);
        *L->owner = L->toks; /* the caller frees it, also after a longjmp */
    }
    tmpl_tok *k = &L->toks[L->ntok++];
    memset(k, 0, sizeof *k);
    k->t = (uint8_t)t;
    /* Tokens come in source order, so lines are counted incrementally. */
    for (; L->cur_off < off; L->cur_off++)
        if (L->s[L->cur_off] == '\n') {
            L->cur_line++;
            L->cur_ls = L->cur_off + 1;
        }
    k->line = L->cur_line;
    k->col = (int)(off - L->cur_ls) + 1;
    return k;
}

/* Length of the Python-whitespace code point at p, or 0. */
static size_t space_at(const char *p, size_t n)
{
    uint32_t cp;
    size_t k = tmpl_utf8_dec(p, n, &cp);
    return tmpl_py_space(cp) ? k : 0;
}

static size_t skip_space(const char *s, size_t n, size_t pos)
{
    size_t k;
    while (pos < n && (k = space_at(s + pos, n - pos)) > 0)
        pos += k;
    return pos;
}

/* End of text after Python rstrip(). */
static size_t rstrip_end(const char *s, size_t a, size_t b)
{
    while (b > a) {
        size_t st = b - 1;
        while (st > a && ((unsigned char)s[st] & 0xC0) == 0x80)
            st--;
        if (!space_at(s + st, b - st))
            break;
        b = st;
    }
    return b;
}

static void emit_data(lexer *L, size_t a, size_t b)
{
    if (b > a) {
        tmpl_tok *k = push(L, T_DATA, a);
        k->p = L->s + a;
        k->n = b - a;
    }
}

/* Applies the strip sign / lstrip_blocks rule to data [a, b) before a tag. */
static size_t strip_before(lexer *L, size_t a, size_t b, char sign, bool is_var)
{
    if (sign == '-')
        return rstrip_end(L->s, a, b);
    if (sign == '+' || is_var)
        return b;
    size_t l = b;
    while (l > a && L->s[l - 1] != '\n')
        l--;
    if (l == a && !L->line_starting)
        return b;
    if (l < b && skip_space(L->s, b, l) == b)
        return l;
    return b;
}

/* Matches `%}` style ends at pos: returns bytes consumed (0 = none). */
static size_t match_end(const lexer *L, size_t pos, char c, bool trim)
{
    const char *s = L->s;
    size_t n = L->n;
    if (trim && c != '}' && pos + 2 < n && s[pos] == '+' && s[pos + 1] == c && s[pos + 2] == '}')
        return 3;
    if (pos + 2 < n && s[pos] == '-' && s[pos + 1] == c && s[pos + 2] == '}')
        return skip_space(s, n, pos + 3) - pos;
    if (pos + 1 < n && s[pos] == c && s[pos + 1] == '}') {
        if (trim && pos + 2 < n && s[pos + 2] == '\n')
            return 3;
        return 2;
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void put_utf8(tmpl_sb *b, uint32_t cp)
{
    char u[4];
    tmpl_sb_add(b, u, sb_utf8_encode(u, cp));
}

/* One escape after a backslash at s[i] (Python unicode-escape); returns the
 * index after it. */
static size_t unescape_one(lexer *L, tmpl_sb *b, size_t i, size_t end)
{
    const char *s = L->s;
    char c = s[i + 1];
    static const char from[] = "\\'\"abfnrtv", to[] = "\\'\"\a\b\f\n\r\t\v";
    const char *hit = strchr(from, c);
    if (hit && c) {
        tmpl_sb_addc(b, to[hit - from]);
        return i + 2;
    }
    if (c == '\n')
        return i + 2;
    if (c >= '0' && c <= '7') {
        uint32_t v = 0;
        size_t j = i + 1;
        while (j < end && j < i + 4 && s[j] >= '0' && s[j] <= '7')
            v = v * 8 + (uint32_t)(s[j++] - '0');
        put_utf8(b, v);
        return j;
    }
    int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
    if (!digits) {
        tmpl_sb_addc(b, '\\');
        return i + 1;
    }
    uint32_t v = 0;
    for (int d = 0; d < digits; d++) {
        size_t j = i + 2 + (size_t)d;
        if (j >= end || hexval(s[j]) < 0)
            lex_fail(L, i, "truncated \\x/\\u/\\U escape in string literal");
        v = v * 16 + (uint32_t)hexval(s[j]);
    }
    if (v > 0x10FFFF)
        lex_fail(L, i, "illegal Unicode character in string literal");
    put_utf8(b, v);
    return i + 2 + (size_t)digits;
}

static size_t lex_string(lexer *L, size_t pos)
{
    const char *s = L->s;
    char q = s[pos];
    size_t i = pos + 1;
    while (i < L->n && s[i] != q)
        i += (s[i] == '\\' && i + 1 < L->n) ? 2 : 1;
    if (i >= L->n)
        lex_fail(L, pos, "unexpected char (unterminated string literal)");
    tmpl_sb b;
    tmpl_sb_init(&b, L->ar);
    size_t j = pos + 1;
    while (j < i) {
        if (s[j] == '\\')
            j = unescape_one(L, &b, j, i);
        else
            tmpl_sb_addc(&b, s[j++]);
    }
    tmpl_sb_addc(&b, '\0');
    tmpl_tok *k = push(L, T_STR, pos);
    k->p = b.p;
    k->n = b.n - 1;
    return i + 1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Digits with single underscores between them, as jinja2's number regexes. */
static size_t scan_digits(const char *s, size_t n, size_t i)
{
    if (i >= n || !is_digit(s[i]))
        return i;
    while (i < n && is_digit(s[i])) {
        i++;
        if (i + 1 < n && s[i] == '_' && is_digit(s[i + 1]))
            i++;
    }
    return i;
}

/* 0x / 0o / 0b integers (digits may be separated by single underscores). */
static size_t lex_prefixed(lexer *L, size_t pos)
{
    const char *s = L->s;
    char p = s[pos + 1];
    int base = (p == 'x' || p == 'X') ? 16 : (p == 'o' || p == 'O') ? 8 : 2;
    uint64_t v = 0;
    size_t end = pos + 2;
    while (end < L->n) {
        int d = hexval(s[end]);
        if (s[end] == '_' && end + 1 < L->n && hexval(s[end + 1]) >= 0 &&
            hexval(s[end + 1]) < base) {
            end++;
            continue;
        }
        if (d < 0 || d >= base)
            break;
        v = v * (uint64_t)base + (uint64_t)d;
        end++;
    }
    tmpl_tok *t = push(L, T_INT, pos);
    t->i = (int64_t)v;
    return end;
}

static size_t lex_number(lexer *L, size_t pos)
{
    const char *s = L->s;
    size_t n = L->n;
    if (s[pos] == '0' && pos + 2 < L->n && strchr("xXoObB", s[pos + 1]) && s[pos + 1] &&
        hexval(s[pos + 2]) >= 0)
        return lex_prefixed(L, pos);
    size_t i = scan_digits(s, n, pos), end = i;
    bool is_float = false;
    if (i + 1 < n && s[i] == '.' && is_digit(s[i + 1])) {
        end = scan_digits(s, n, i + 1);
        is_float = true;
    }
    if (end < n && (s[end] == 'e' || s[end] == 'E')) {
        size_t e = end + 1;
        if (e < n && (s[e] == '+' || s[e] == '-'))
            e++;
        if (e < n && is_digit(s[e])) {
            end = scan_digits(s, n, e);
            is_float = true;
        }
    }
    char tmp[128];
    size_t k = 0;
    for (size_t j = pos; j < end && k + 1 < sizeof tmp; j++)
        if (s[j] != '_')
            tmp[k++] = s[j];
    tmp[k] = '\0';
    if (is_float) {
        tmpl_tok *t = push(L, T_FLOAT, pos);
        t->f = strtod(tmp, NULL);
        return end;
    }
    tmpl_tok *t = push(L, T_INT, pos);
    t->i = (int64_t)strtoull(tmp, NULL, 10);
    return end;
}

static bool name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static size_t lex_operator(lexer *L, size_t pos)
{
    static const char *two[] = {"**", "//", "==", "!=", ">=", "<="};
    const char *s = L->s;
    for (size_t i = 0; i < sizeof two / sizeof two[0]; i++)
        if (pos + 1 < L->n && s[pos] == two[i][0] && s[pos + 1] == two[i][1]) {
            tmpl_tok *k = push(L, T_OP, pos);
            k->p = s + pos;
            k->n = 2;
            return pos + 2;
        }
    char c = s[pos];
    if (!c || !strchr("+-/*%~[](){}<>=.:|,;", c))
        lex_fail(L, pos, "unexpected char in tag");
    if (c == '(' || c == '[' || c == '{') {
        if (L->nbr >= (int)sizeof L->brackets)
            lex_fail(L, pos, "brackets nested too deeply");
        L->brackets[L->nbr++] = c == '(' ? ')' : c == '[' ? ']' : '}';
    } else if (c == ')' || c == ']' || c == '}') {
        if (L->nbr == 0)
            lex_fail(L, pos, "unexpected closing bracket");
        if (L->brackets[--L->nbr] != c)
            lex_fail(L, pos, "closing bracket does not match the opening one");
    }
    tmpl_tok *k = push(L, T_OP, pos);
    k->p = s + pos;
    k->n = 1;
    return pos + 1;
}

/* Tokens of one {% %} or {{ }} tag starting after its opening delimiter. */
static size_t lex_tag(lexer *L, size_t pos, bool is_block, size_t open_at)
{
    char endc = is_block ? '%' : '}';
    const char *s = L->s;
    L->nbr = 0;
    for (;;) {
        if (pos >= L->n)
            lex_fail(L, open_at,
                     is_block ? "tag '{%' is never closed" : "tag '{{' is never closed");
        size_t e = L->nbr ? 0 : match_end(L, pos, endc, is_block);
        if (e) {
            push(L, is_block ? T_BLOCK_END : T_VAR_END, pos);
            L->line_starting = s[pos + e - 1] == '\n';
            return pos + e;
        }
        size_t w = space_at(s + pos, L->n - pos);
        if (w) {
            pos += w;
        } else if (is_digit(s[pos])) {
            pos = lex_number(L, pos);
        } else if (name_start((unsigned char)s[pos])) {
            size_t i = pos;
            while (i < L->n && (name_start((unsigned char)s[i]) || is_digit(s[i])))
                i++;
            tmpl_tok *k = push(L, T_NAME, pos);
            k->p = s + pos;
            k->n = i - pos;
            pos = i;
        } else if (s[pos] == '\'' || s[pos] == '"') {
            pos = lex_string(L, pos);
        } else {
            pos = lex_operator(L, pos);
        }
    }
}

static size_t lex_comment(lexer *L, size_t pos, size_t open_at)
{
    const char *s = L->s;
    if (pos >= L->n) /* jinja2 quietly accepts a `{#` that ends the template */
        return pos;
    for (size_t i = pos; i + 1 < L->n; i++) {
        size_t e = match_end(L, i, '#', true);
        if (e) {
            L->line_starting = s[i + e - 1] == '\n';
            return i + e;
        }
    }
    lex_fail(L, open_at, "missing end of comment tag");
}

/* `{% raw %}` at pos (just after `{%` and its sign)? Returns the offset after
 * the opening tag, or 0. */
static size_t raw_open(const lexer *L, size_t pos)
{
    size_t i = skip_space(L->s, L->n, pos);
    if (L->n - i < 3 || memcmp(L->s + i, "raw", 3) != 0)
        return 0;
    i = skip_space(L->s, L->n, i + 3);
    if (i + 2 < L->n && L->s[i] == '-' && L->s[i + 1] == '%' && L->s[i + 2] == '}')
        return skip_space(L->s, L->n, i + 3);
    if (i + 1 < L->n && L->s[i] == '%' && L->s[i + 1] == '}')
        return i + 2;
    return 0;
}

static size_t lex_raw(lexer *L, size_t pos, size_t open_at)
{
    const char *s = L->s;
    for (size_t i = pos; i + 1 < L->n; i++) {
        if (s[i] != '{' || s[i + 1] != '%')
            continue;
        size_t j = i + 2;
        char sign = (j < L->n && (s[j] == '-' || s[j] == '+')) ? s[j++] : 0;
        j = skip_space(s, L->n, j);
        if (L->n - j < 6 || memcmp(s + j, "endraw", 6) != 0)
            continue;
        j = skip_space(s, L->n, j + 6);
        size_t e = match_end(L, j, '%', true);
        if (!e)
            continue;
        emit_data(L, pos, strip_before(L, pos, i, sign, false));
        L->line_starting = s[j + e - 1] == '\n';
        return j + e;
    }
    lex_fail(L, open_at, "missing end of raw directive");
}

static void lex_root(lexer *L)
{
    const char *s = L->s;
    size_t pos = 0;
    while (pos < L->n) {
        size_t i = pos;
        while (i + 1 < L->n &&
               !(s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#')))
            i++;
        if (i + 1 >= L->n) {
            emit_data(L, pos, L->n);
            return;
        }
        char kind = s[i + 1];
        size_t after = i + 2;
        char sign = (after < L->n && (s[after] == '-' || s[after] == '+')) ? s[after++] : 0;
        size_t raw = kind == '%' ? raw_open(L, after) : 0;
        emit_data(L, pos, strip_before(L, pos, i, sign, kind == '{'));
        L->line_starting = false;
        if (raw) {
            pos = lex_raw(L, raw, i);
        } else if (kind == '#') {
            pos = lex_comment(L, after, i);
        } else {
            push(L, kind == '%' ? T_BLOCK_BEGIN : T_VAR_BEGIN, i);
            pos = lex_tag(L, after, kind == '%', i);
        }
    }
}

tmpl_tok *tmpl_lex(const char *src, size_t n, sb_arena *ar, tmpl_fail *f, size_t *ntok,
                   tmpl_tok **owner)
{
    lexer L = {
        .s = src, .n = n, .cur_line = 1, .line_starting = true, .ar = ar, .f = f, .owner = owner};
    lex_root(&L);
    push(&L, T_EOF, n);
    *ntok = L.ntok;
    return L.toks;
}
