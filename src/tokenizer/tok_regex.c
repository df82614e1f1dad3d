/* SPDX-License-Identifier: Apache-2.0 */
/* tok_regex.c - the regexes of HF pre-tokenizers (written for Oniguruma)
 * run on PCRE2 with UTF + UCP and the JIT.
 *
 * Two Oniguruma/PCRE2 differences change token boundaries, so patterns are
 * rewritten before compiling (see tests/data/tokenizers/README.md):
 *  - `\s` is Unicode White_Space in Oniguruma; PCRE2's \s also matches
 *    U+180E, so \s/\S become explicit classes;
 *  - `\w` is Unicode's word class in Oniguruma (UTS #18: Alphabetic, marks,
 *    decimal digits, connector punctuation, joiners); PCRE2 10.42's \w is
 *    letters, numbers and '_' only, so Thai and Devanagari words split at
 *    their vowel signs: \w/\W become that explicit class;
 *  - HF's tables are Unicode 16 and PCRE2 10.42's are Unicode 14: \p{X} gets
 *    the code points that Unicode 15/16 added to X (tok_unicode_extra). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"
#include "tokenizer/tok_unicode.h"

struct tok_regex {
    pcre2_code *code;
};

#define WS_RANGES                                                                                  \
    "\\t-\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}" \
    "\\x{3000}"

#define WORD_CLASS "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}"

/* Writes \p{NAME} (or \P) plus the newer code points of NAME; in_class says
 * whether we are already inside [...]. */
static void put_property(sb_buf *o, const char *name, size_t nlen, bool neg, bool in_class)
{
    const char *extra = tok_unicode_extra(name, nlen);
    if (!extra) {
        sb_buf_printf(o, "\\%c{%.*s}", neg ? 'P' : 'p', (int)nlen, name);
        return;
    }
    if (in_class && neg) { /* cannot add to a negated property inside a class */
        sb_buf_printf(o, "\\P{%.*s}", (int)nlen, name);
        return;
    }
    if (!in_class)
        sb_buf_puts(o, neg ? "[^" : "[");
    sb_buf_printf(o, "\\p{%.*s}%s", (int)nlen, name, extra);
    if (!in_class)
        sb_buf_putc(o, ']');
}

/* The word class, plus what Unicode 15/16 added to letters, marks and
 * digits (Alphabetic beyond L is marks and Nl, none of them new since 14). */
static void put_word_class(sb_buf *o, bool neg, bool in_class)
{
    if (!in_class)
        sb_buf_puts(o, neg ? "[^" : "[");
    sb_buf_puts(o, WORD_CLASS);
    static const char *const newer[] = {"L", "M", "N"};
    for (size_t k = 0; k < sizeof newer / sizeof newer[0]; k++) {
        const char *extra = tok_unicode_extra(newer[k], 1);
        if (extra)
            sb_buf_puts(o, extra);
    }
    if (!in_class)
        sb_buf_putc(o, ']');
}

static void rewrite(const char *p, sb_buf *o)
{
    bool in_class = false;
    size_t n = strlen(p);
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\\' && i + 1 < n) {
            char d = p[i + 1];
            if (d == 's' || d == 'S') {
                if (d == 's')
                    sb_buf_puts(o, in_class ? WS_RANGES : "[" WS_RANGES "]");
                else
                    sb_buf_puts(o, in_class ? "\\S" : "[^" WS_RANGES "]");
                i++;
                continue;
            }
            if (d == 'w' || (d == 'W' && !in_class)) {
                /* (\W inside a class would need a negated union: left to PCRE2) */
                put_word_class(o, d == 'W', in_class);
                i++;
                continue;
            }
            if ((d == 'p' || d == 'P') && i + 2 < n && p[i + 2] == '{') {
                const char *end = strchr(p + i + 3, '}');
                if (end) {
                    const char *name = p + i + 3;
                    bool neg = d == 'P';
                    if (*name == '^') {
                        neg = !neg;
                        name++;
                    }
                    put_property(o, name, (size_t)(end - name), neg, in_class);
                    i = (size_t)(end - p);
                    continue;
                }
            }
            sb_buf_append(o, p + i, 2);
            i++;
            continue;
        }
        if (!in_class && c == '[') {
            in_class = true;
            sb_buf_putc(o, c);
            if (i + 1 < n && p[i + 1] == '^')
                sb_buf_putc(o, p[++i]);
            if (i + 1 < n && p[i + 1] == ']') /* a leading ] is literal */
                sb_buf_putc(o, p[++i]);
            continue;
        }
        if (in_class && c == ']')
            in_class = false;
        sb_buf_putc(o, c);
    }
}

tok_regex *tok_regex_new(const char *pattern, sb_err *err)
{
    sb_buf o;
    sb_buf_init(&o);
    rewrite(pattern, &o);
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)(o.data ? o.data : ""), o.len,
                                     PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL);
    sb_buf_free(&o);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        sb_err_set(err, "regex /%s/ does not compile at offset %zu: %s", pattern, (size_t)eo,
                   (char *)msg);
        return NULL;
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
    tok_regex *re = sb_xcalloc(1, sizeof *re);
    re->code = code;
    return re;
}

void tok_regex_free(tok_regex *re)
{
    if (!re)
        return;
    pcre2_code_free(re->code);
    free(re);
}

tok_rematch *tok_rematch_new(void)
{
    return (tok_rematch *)pcre2_match_data_create(1, NULL);
}

void tok_rematch_free(tok_rematch *md)
{
    pcre2_match_data_free((pcre2_match_data *)md);
}

uint64_t tok_regex_tables_key(const char *pattern)
{
    sb_buf o;
    sb_buf_init(&o);
    rewrite(pattern, &o);
    char ver[64] = "";
    if (pcre2_config(PCRE2_CONFIG_VERSION, ver) < 0)
        ver[0] = '\0';
    sb_buf_printf(&o, "\n%s\n%s", ver, pcre2_config(PCRE2_CONFIG_JIT, NULL) >= 0 ? "" : "-");
    uint64_t h = tok_hash(o.data, o.len);
    sb_buf_free(&o);
    return h;
}

bool tok_regex_find(const tok_regex *re, tok_rematch *md, const char *s, size_t n, size_t start,
                    size_t *ms, size_t *me)
{
    pcre2_match_data *m = (pcre2_match_data *)md;
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, start, PCRE2_NO_UTF_CHECK, m, NULL);
    if (rc < 0)
        return false;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m);
    *ms = ov[0];
    *me = ov[1];
    return true;
}
