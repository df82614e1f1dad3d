/* SPDX-License-Identifier: Apache-2.0 */
/* tok_pretok.c - HF pre-tokenizers: ByteLevel, Split, Digits, Metaspace,
 * Whitespace, WhitespaceSplit, Punctuation, BertPreTokenizer,
 * CharDelimiterSplit, UnicodeScripts, Sequence.
 *
 * Every splitter reduces to the same two steps HF uses: mark segments of a
 * piece as match / non-match (a regex, a literal, or a char predicate), then
 * apply a SplitDelimiterBehavior. ByteLevel does not rewrite bytes into the
 * GPT-2 alphabet here; it marks pieces `bytelevel` and the model maps each
 * byte through a 256-entry table, which gives the same ids without a copy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"
#include "tokenizer/tok_scripts.h"

typedef enum { B_REMOVED, B_ISOLATED, B_PREV, B_NEXT, B_CONTIG } behavior;
typedef enum {
    P_BYTELEVEL,
    P_SPLIT,
    P_DIGITS,
    P_METASPACE,
    P_WS,
    P_WSSPLIT,
    P_PUNCT,
    P_BERT,
    P_SEQ,
    P_CHARDELIM,
    P_SCRIPTS
} pre_kind;
typedef enum { PRED_NUMERIC, PRED_WHITESPACE, PRED_PUNCT, PRED_CHAR } pred_kind;

struct tok_pretok {
    pre_kind kind;
    tok_pattern pat;
    tok_regex *re; /* ByteLevel's GPT-2 regex, Whitespace's \w+|[^\w\s]+ */
    behavior beh;
    bool invert, add_prefix_space, use_regex, individual, split;
    int prepend; /* Metaspace: 0 never, 1 always, 2 first */
    char rep[8]; /* Metaspace replacement (UTF-8) */
    uint32_t rep_cp, delim;
    tok_pretok **kids;
    size_t n_kids;
};

static const char *GPT2_RE =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

void tok_pretok_free(tok_pretok *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_kids; i++)
        tok_pretok_free(p->kids[i]);
    free(p->kids);
    tok_pattern_free(&p->pat);
    tok_regex_free(p->re);
    free(p);
}

static bool jbool(json_t *o, const char *k, bool dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static int parse_behavior(json_t *j, const char *path, behavior *b, sb_err *err)
{
    const char *s = json_string_value(json_object_get(j, "behavior"));
    static const char *names[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext",
                                  "Contiguous"};
    if (!s) {
        *b = B_ISOLATED;
        return 0;
    }
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) {
            *b = (behavior)i;
            return 0;
        }
    return sb_err_set(err, "%s.behavior: unknown split behavior \"%s\"", path, s);
}

static int parse_metaspace(tok_pretok *p, json_t *j, const char *path, sb_err *err)
{
    const char *r = json_string_value(json_object_get(j, "replacement"));
    if (!r)
        r = "\xE2\x96\x81";
    size_t rl = strlen(r);
    if (rl == 0 || rl > 4 || tok_utf8_next(r, rl, &p->rep_cp) != rl)
        return sb_err_set(err, "%s.replacement: must be one character", path);
    memcpy(p->rep, r, rl);
    p->split = jbool(j, "split", true);
    const char *ps = json_string_value(json_object_get(j, "prepend_scheme"));
    if (!ps) /* older files: add_prefix_space */
        p->prepend = jbool(j, "add_prefix_space", true) ? 1 : 0;
    else if (strcmp(ps, "always") == 0)
        p->prepend = 1;
    else if (strcmp(ps, "never") == 0)
        p->prepend = 0;
    else if (strcmp(ps, "first") == 0)
        p->prepend = 2;
    else
        return sb_err_set(err, "%s.prepend_scheme: unknown value \"%s\"", path, ps);
    return 0;
}

static int parse_kids(tok_pretok *p, json_t *j, const char *path, sb_err *err)
{
    json_t *arr = json_object_get(j, "pretokenizers");
    if (!json_is_array(arr))
        return sb_err_set(err, "%s: Sequence without a \"pretokenizers\" array", path);
    p->n_kids = json_array_size(arr);
    p->kids = sb_xcalloc(p->n_kids + 1, sizeof *p->kids);
    for (size_t i = 0; i < p->n_kids; i++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s.pretokenizers[%zu]", path, i);
        p->kids[i] = tok_pretok_parse(json_array_get(arr, i), sub, err);
        if (!p->kids[i])
            return -1;
    }
    return 0;
}

static int parse_body(tok_pretok *p, json_t *j, const char *path, sb_err *err)
{
    char sub[512];
    switch (p->kind) {
    case P_SEQ:
        return parse_kids(p, j, path, err);
    case P_BYTELEVEL:
        p->add_prefix_space = jbool(j, "add_prefix_space", true);
        p->use_regex = jbool(j, "use_regex", true);
        if (p->use_regex && !(p->re = tok_regex_new(GPT2_RE, err)))
            return -1;
        return 0;
    case P_SPLIT:
        p->invert = jbool(j, "invert", false);
        snprintf(sub, sizeof sub, "%s.pattern", path);
        if (tok_pattern_parse(&p->pat, json_object_get(j, "pattern"), sub, err) < 0)
            return -1;
        return parse_behavior(j, path, &p->beh, err);
    case P_PUNCT:
        return parse_behavior(j, path, &p->beh, err);
    case P_DIGITS:
        p->individual = jbool(j, "individual_digits", false);
        return 0;
    case P_METASPACE:
        return parse_metaspace(p, j, path, err);
    case P_WS:
        p->re = tok_regex_new("\\w+|[^\\w\\s]+", err);
        return p->re ? 0 : -1;
    case P_CHARDELIM: {
        const char *d = json_string_value(json_object_get(j, "delimiter"));
        if (!d || !*d)
            return sb_err_set(err, "%s.delimiter: missing", path);
        tok_utf8_next(d, strlen(d), &p->delim);
        return 0;
    }
    default:
        return 0;
    }
}

tok_pretok *tok_pretok_parse(json_t *j, const char *path, sb_err *err)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type) {
        sb_err_set(err, "%s: pre-tokenizer without a \"type\"", path);
        return NULL;
    }
    static const char *names[] = {
        "ByteLevel",       "Split",       "Digits",           "Metaspace", "Whitespace",
        "WhitespaceSplit", "Punctuation", "BertPreTokenizer", "Sequence",  "CharDelimiterSplit",
        "UnicodeScripts"};
    int kind = -1;
    for (int i = 0; i < (int)(sizeof names / sizeof *names); i++)
        if (strcmp(type, names[i]) == 0)
            kind = i;
    if (kind < 0) {
        sb_err_set(err, "%s: unknown pre-tokenizer type \"%s\"", path, type);
        return NULL;
    }
    tok_pretok *p = sb_xcalloc(1, sizeof *p);
    p->kind = (pre_kind)kind;
    if (parse_body(p, j, path, err) < 0) {
        tok_pretok_free(p);
        return NULL;
    }
    return p;
}

bool tok_pretok_bytelevel(const tok_pretok *p)
{
    if (!p)
        return false;
    if (p->kind == P_SEQ)
        return p->n_kids && tok_pretok_bytelevel(p->kids[p->n_kids - 1]);
    return p->kind == P_BYTELEVEL;
}

void tok_pieces_push(tok_pieces *p, const char *s, size_t len, uint32_t src, uint32_t src_end,
                     bool bytelevel, bool first)
{
    if (len == 0)
        return;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->v = sb_xrealloc(p->v, p->cap * sizeof *p->v);
    }
    tok_piece *pc = &p->v[p->n++];
    pc->off = (uint32_t)p->buf.len;
    pc->len = (uint32_t)len;
    pc->src = src;
    pc->src_end = src_end;
    pc->bytelevel = bytelevel;
    pc->first = first;
    sb_buf_append(&p->buf, s, len);
}

/* ---- segments ------------------------------------------------------------ */

static void seg_push(tok_scratch *sc, size_t *n, size_t s, size_t e, bool m)
{
    if (*n == sc->seg_cap) {
        sc->seg_cap = sc->seg_cap ? sc->seg_cap * 2 : 64;
        sc->segs = sb_xrealloc(sc->segs, sc->seg_cap * sizeof *sc->segs);
    }
    sc->segs[*n].s = (uint32_t)s;
    sc->segs[*n].e = (uint32_t)e;
    sc->segs[*n].m = m;
    (*n)++;
}

/* HF Pattern::find_matches for regexes and literals. */
static size_t segs_pattern(const tok_pattern *pat, const char *s, size_t n, tok_scratch *sc)
{
    size_t k = 0, prev = 0, pos = 0, ms, me;
    while (pos <= n && tok_pattern_find(pat, sc->md, s, n, pos, &ms, &me)) {
        if (me == ms) { /* Oniguruma's iterator steps one char past an empty match */
            if (ms >= n)
                break;
            uint32_t cp;
            pos = ms + tok_utf8_next(s + ms, n - ms, &cp);
            continue;
        }
        if (prev != ms)
            seg_push(sc, &k, prev, ms, false);
        seg_push(sc, &k, ms, me, true);
        prev = pos = me;
    }
    if (prev != n)
        seg_push(sc, &k, prev, n, false);
    return k;
}

static bool pred(pred_kind k, uint32_t cp, uint32_t ch)
{
    switch (k) {
    case PRED_NUMERIC:
        return tok_is_numeric(cp);
    case PRED_WHITESPACE:
        return tok_is_whitespace(cp);
    case PRED_PUNCT:
        return tok_is_punct(cp);
    case PRED_CHAR:
        return cp == ch;
    }
    return false;
}

/* HF's char-predicate pattern: every matching char is its own match. */
static size_t segs_pred(pred_kind pk, uint32_t ch, const char *s, size_t n, tok_scratch *sc)
{
    size_t k = 0, prev = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = tok_utf8_next(s + i, n - i, &cp);
        if (pred(pk, cp, ch)) {
            if (prev != i)
                seg_push(sc, &k, prev, i, false);
            seg_push(sc, &k, i, i + l, true);
            prev = i + l;
        }
        i += l;
    }
    if (prev != n)
        seg_push(sc, &k, prev, n, false);
    return k;
}

/* HF's fixed_script (unicode_scripts/pre_tokenizer.rs), SentencePiece's
 * fix-ups from its unigram trainer: the prolonged sound mark U+30FC and the
 * kana count as Han, so Japanese stays one piece; ' ' is Any, part of
 * whatever script surrounds it (other spaces keep their script, Common). */
static uint8_t hf_script(uint32_t cp)
{
    if (cp == 0x30FC)
        return TOK_SCRIPT_HAN;
    if (cp == ' ')
        return TOK_SCRIPT_ANY;
    uint8_t s = tok_script(cp);
    return s == TOK_SCRIPT_HIRAGANA || s == TOK_SCRIPT_KATAKANA ? TOK_SCRIPT_HAN : s;
}

/* UnicodeScripts: a piece starts at every char whose script is not Any and
 * differs from the last script that was not Any. As in HF, the first piece
 * starts at the first such char: leading Any chars (spaces, code points
 * Unicode 9.0 did not assign) are dropped, and a piece of Any chars only
 * vanishes. */
static size_t segs_scripts(const char *s, size_t n, tok_scratch *sc)
{
    size_t k = 0, start = n;
    int last = -1;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = tok_utf8_next(s + i, n - i, &cp);
        uint8_t script = hf_script(cp);
        if (script != TOK_SCRIPT_ANY) {
            if (script != last) {
                if (start < i)
                    seg_push(sc, &k, start, i, false);
                start = i;
            }
            last = script;
        }
        i += l;
    }
    if (start < n)
        seg_push(sc, &k, start, n, false);
    return k;
}

/* Applies the behavior in place over sc->segs[0..k); returns the new count. */
static size_t segs_behave(tok_scratch *sc, size_t k, behavior b, bool invert)
{
    struct tok_seg *g = sc->segs;
    if (invert)
        for (size_t i = 0; i < k; i++)
            g[i].m = !g[i].m;
    size_t o = 0;
    bool prev = false;
    switch (b) {
    case B_ISOLATED:
        return k;
    case B_REMOVED:
        for (size_t i = 0; i < k; i++)
            if (!g[i].m)
                g[o++] = g[i];
        return o;
    case B_PREV:
        for (size_t i = 0; i < k; i++) {
            if (g[i].m && !prev && o > 0)
                g[o - 1].e = g[i].e;
            else
                g[o++] = g[i];
            prev = g[i].m;
        }
        return o;
    case B_CONTIG:
        for (size_t i = 0; i < k; i++) {
            if (g[i].m == prev && o > 0)
                g[o - 1].e = g[i].e;
            else
                g[o++] = g[i];
            prev = g[i].m;
        }
        return o;
    case B_NEXT: /* right to left, as HF folds it */
        o = k;
        for (size_t i = k; i-- > 0;) {
            if (g[i].m && !prev && o < k)
                g[o].s = g[i].s;
            else
                g[--o] = g[i];
            prev = g[i].m;
        }
        memmove(g, g + o, (k - o) * sizeof *g);
        return k - o;
    }
    return k;
}

static void emit_segs(const tok_piece *pc, const char *text, size_t k, tok_scratch *sc,
                      tok_pieces *out, bool bytelevel)
{
    bool aligned = pc->src_end - pc->src == pc->len;
    for (size_t i = 0; i < k; i++) {
        uint32_t s = sc->segs[i].s, e = sc->segs[i].e;
        uint32_t src = aligned ? pc->src + s : pc->src;
        uint32_t src_end = aligned ? pc->src + e : pc->src_end;
        tok_pieces_push(out, text + s, e - s, src, src_end, bytelevel || pc->bytelevel,
                        pc->first && s == 0);
    }
}

/* ---- per-kind splitting ----------------------------------------------------- */

static void metaspace(const tok_pretok *p, const tok_piece *pc, const char *text, tok_scratch *sc,
                      tok_pieces *out)
{
    sb_buf *t = &sc->tmp;
    sb_buf_reset(t);
    size_t rl = strlen(p->rep);
    bool starts = pc->len >= rl && memcmp(text, p->rep, rl) == 0;
    bool starts_space = pc->len > 0 && text[0] == ' ';
    if (((p->prepend == 1) || (p->prepend == 2 && pc->first)) && !starts && !starts_space)
        sb_buf_append(t, p->rep, rl);
    for (size_t i = 0; i < pc->len; i++) {
        if (text[i] == ' ')
            sb_buf_append(t, p->rep, rl);
        else
            sb_buf_putc(t, text[i]);
    }
    tok_piece np = *pc;
    np.len = (uint32_t)t->len;
    size_t k;
    if (p->split) {
        k = segs_pred(PRED_CHAR, p->rep_cp, t->data, t->len, sc);
        k = segs_behave(sc, k, B_NEXT, false);
    } else {
        k = 0;
        seg_push(sc, &k, 0, t->len, false);
    }
    emit_segs(&np, t->data, k, sc, out, false);
}

static void bytelevel(const tok_pretok *p, const tok_piece *pc, const char *text, tok_scratch *sc,
                      tok_pieces *out)
{
    const char *s = text;
    size_t n = pc->len;
    tok_piece np = *pc;
    if (p->add_prefix_space && text[0] != ' ') {
        sb_buf_reset(&sc->tmp);
        sb_buf_putc(&sc->tmp, ' ');
        sb_buf_append(&sc->tmp, text, n);
        s = sc->tmp.data;
        n = sc->tmp.len;
        np.len = (uint32_t)n;
    }
    size_t k = 0;
    if (p->use_regex) {
        tok_pattern pat = {.re = p->re};
        k = segs_pattern(&pat, s, n, sc);
    } else {
        seg_push(sc, &k, 0, n, false);
    }
    emit_segs(&np, s, k, sc, out, true);
}

static void split_piece(const tok_pretok *p, const tok_piece *pc, const char *text, tok_scratch *sc,
                        tok_pieces *out)
{
    size_t k = 0;
    tok_pattern wpat = {.re = p->re};
    switch (p->kind) {
    case P_BYTELEVEL:
        bytelevel(p, pc, text, sc, out);
        return;
    case P_METASPACE:
        metaspace(p, pc, text, sc, out);
        return;
    case P_SPLIT:
        k = segs_pattern(&p->pat, text, pc->len, sc);
        k = segs_behave(sc, k, p->beh, p->invert);
        break;
    case P_DIGITS:
        k = segs_pred(PRED_NUMERIC, 0, text, pc->len, sc);
        k = segs_behave(sc, k, p->individual ? B_ISOLATED : B_CONTIG, false);
        break;
    case P_WS:
        k = segs_pattern(&wpat, text, pc->len, sc);
        k = segs_behave(sc, k, B_REMOVED, true);
        break;
    case P_WSSPLIT:
        k = segs_pred(PRED_WHITESPACE, 0, text, pc->len, sc);
        k = segs_behave(sc, k, B_REMOVED, false);
        break;
    case P_PUNCT:
        k = segs_pred(PRED_PUNCT, 0, text, pc->len, sc);
        k = segs_behave(sc, k, p->beh, false);
        break;
    case P_CHARDELIM:
        k = segs_pred(PRED_CHAR, p->delim, text, pc->len, sc);
        k = segs_behave(sc, k, B_REMOVED, false);
        break;
    case P_SCRIPTS:
        k = segs_scripts(text, pc->len, sc);
        break;
    case P_BERT:
    case P_SEQ:
        break;
    }
    emit_segs(pc, text, k, sc, out, false);
}

static void stage(const tok_pretok *p, tok_scratch *sc)
{
    tok_pieces *in = &sc->a, *out = &sc->b;
    out->n = 0;
    sb_buf_reset(&out->buf);
    for (size_t i = 0; i < in->n; i++)
        split_piece(p, &in->v[i], in->buf.data + in->v[i].off, sc, out);
    tok_pieces t = *in;
    *in = *out;
    *out = t;
}

void tok_pretok_apply(const tok_pretok *p, tok_scratch *sc)
{
    if (p->kind == P_SEQ) {
        for (size_t i = 0; i < p->n_kids; i++)
            tok_pretok_apply(p->kids[i], sc);
        return;
    }
    if (p->kind == P_BERT) {
        tok_pretok ws = {.kind = P_WSSPLIT}, pu = {.kind = P_PUNCT, .beh = B_ISOLATED};
        stage(&ws, sc);
        stage(&pu, sc);
        return;
    }
    stage(p, sc);
}
