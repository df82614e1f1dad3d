/* SPDX-License-Identifier: Apache-2.0 */
/* tok_norm.c - HF normalizers: NFC/NFD/NFKC/NFKD, Lowercase, Prepend,
 * Replace, Strip, StripAccents, BertNormalizer, Nmt, Precompiled
 * (tok_precompiled.c) and Sequence.
 *
 * A normalizer maps a string to a string. HF also tracks alignments so that
 * offsets map back; servebench only needs ids, so each stage writes a fresh
 * buffer and the two scratch buffers of the caller ping-pong. Unicode
 * normalization uses utf8proc. */
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenizer/tok_internal.h"
#include "tokenizer/tok_unicode.h"

typedef enum {
    N_NFC,
    N_NFD,
    N_NFKC,
    N_NFKD,
    N_LOWER,
    N_PREPEND,
    N_REPLACE,
    N_STRIP,
    N_STRIP_ACCENTS,
    N_BERT,
    N_NMT,
    N_PRECOMPILED,
    N_SEQ
} norm_kind;

struct tok_norm {
    norm_kind kind;
    char *str; /* Prepend text, Replace content */
    tok_pattern pat;
    bool left, right;                              /* Strip */
    bool clean, chinese, strip_accents, lowercase; /* Bert */
    tok_charsmap *cm;                              /* Precompiled */
    tok_norm **kids;
    size_t n_kids;
};

void tok_norm_free(tok_norm *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n_kids; i++)
        tok_norm_free(n->kids[i]);
    free(n->kids);
    free(n->str);
    tok_charsmap_free(n->cm);
    tok_pattern_free(&n->pat);
    free(n);
}

static bool jbool(json_t *o, const char *k, bool dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* Nested Sequences are flattened so that applying a Sequence never recurses
 * into the scratch buffers it is using. */
static void add_kid(tok_norm *n, tok_norm *k)
{
    if (k->kind != N_SEQ) {
        n->kids = sb_xrealloc(n->kids, (n->n_kids + 1) * sizeof *n->kids);
        n->kids[n->n_kids++] = k;
        return;
    }
    for (size_t i = 0; i < k->n_kids; i++)
        add_kid(n, k->kids[i]);
    k->n_kids = 0;
    tok_norm_free(k);
}

static tok_norm *parse_seq(tok_norm *n, json_t *j, const char *path, sb_err *err)
{
    json_t *arr = json_object_get(j, "normalizers");
    if (!json_is_array(arr)) {
        sb_err_set(err, "%s: Sequence normalizer without a \"normalizers\" array", path);
        tok_norm_free(n);
        return NULL;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s.normalizers[%zu]", path, i);
        tok_norm *k = tok_norm_parse(json_array_get(arr, i), sub, err);
        if (!k) {
            tok_norm_free(n);
            return NULL;
        }
        add_kid(n, k);
    }
    return n;
}

tok_norm *tok_norm_parse(json_t *j, const char *path, sb_err *err)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type) {
        sb_err_set(err, "%s: normalizer without a \"type\"", path);
        return NULL;
    }
    static const char *names[] = {
        "NFC",   "NFD",          "NFKC",           "NFKD", "Lowercase",   "Prepend", "Replace",
        "Strip", "StripAccents", "BertNormalizer", "Nmt",  "Precompiled", "Sequence"};
    int kind = -1;
    for (int i = 0; i < (int)(sizeof names / sizeof *names); i++)
        if (strcmp(type, names[i]) == 0)
            kind = i;
    if (kind < 0) {
        sb_err_set(err, "%s: unknown normalizer type \"%s\"", path, type);
        return NULL;
    }
    tok_norm *n = sb_xcalloc(1, sizeof *n);
    n->kind = (norm_kind)kind;
    switch (n->kind) {
    case N_SEQ:
        return parse_seq(n, j, path, err);
    case N_PREPEND: {
        const char *s = json_string_value(json_object_get(j, "prepend"));
        n->str = sb_xstrdup(s ? s : "");
        break;
    }
    case N_REPLACE: {
        const char *c = json_string_value(json_object_get(j, "content"));
        n->str = sb_xstrdup(c ? c : "");
        char sub[512];
        snprintf(sub, sizeof sub, "%s.pattern", path);
        if (tok_pattern_parse(&n->pat, json_object_get(j, "pattern"), sub, err) < 0) {
            tok_norm_free(n);
            return NULL;
        }
        break;
    }
    case N_PRECOMPILED:
        if (!(n->cm = tok_charsmap_parse(j, path, err))) {
            tok_norm_free(n);
            return NULL;
        }
        break;
    case N_STRIP:
        n->left = jbool(j, "strip_left", true);
        n->right = jbool(j, "strip_right", true);
        break;
    case N_BERT:
        n->clean = jbool(j, "clean_text", true);
        n->chinese = jbool(j, "handle_chinese_chars", true);
        n->lowercase = jbool(j, "lowercase", true);
        n->strip_accents = jbool(j, "strip_accents", n->lowercase);
        break;
    default:
        break;
    }
    return n;
}

static void unicode_norm_run(const char *s, size_t n, sb_buf *out, int opts)
{
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &dst,
                                      (utf8proc_option_t)(UTF8PROC_STABLE | opts));
    if (r < 0) /* input is valid UTF-8 by construction; keep it unchanged */
        sb_buf_append(out, s, n);
    else
        sb_buf_append(out, dst, (size_t)r);
    free(dst);
}

/* May a normalization run be cut right before cp? Yes when cp is a starter
 * with no decomposition that composes with nothing (utf8proc's comb_index)
 * and is not Hangul: nothing before it can reorder or compose across it, so
 * every normalization form of X cp Y is form(X) cp form(Y), and cp is its
 * own form. ASCII qualifies (no ASCII char is the second of a composition;
 * one being the first is fine, its marks stay on its side). */
static bool norm_cut_before(uint32_t cp)
{
    if (cp < 0x80)
        return true;
    if ((cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
        tok_unicode_nfc_unknown(cp))
        return false;
    const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
    return p->combining_class == 0 && p->decomp_seqindex == UINT16_MAX &&
           p->comb_index == UINT16_MAX;
}

/* What unicode_norm does with a BMP char, looked up once per char instead of
 * two property queries: the table is built on first use and only read after
 * (pthread_once), so threads share it. */
enum { CH_CUT = 0, CH_UNKNOWN = 1, CH_DIRTY = 2 };
static uint8_t bmp_class[0x10000];
static pthread_once_t bmp_once = PTHREAD_ONCE_INIT;

static void bmp_build(void)
{
    for (uint32_t cp = 0; cp < 0x10000; cp++)
        bmp_class[cp] = tok_unicode_nfc_unknown(cp) ? CH_UNKNOWN
                        : norm_cut_before(cp)       ? CH_CUT
                                                    : CH_DIRTY;
}

static int char_class(uint32_t cp)
{
    if (cp < 0x10000)
        return bmp_class[cp];
    return tok_unicode_nfc_unknown(cp) ? CH_UNKNOWN : norm_cut_before(cp) ? CH_CUT : CH_DIRTY;
}

/* Flushes s[*from..to): through utf8proc when something in it may change. */
static void norm_flush(const char *s, size_t *from, size_t to, bool dirty, sb_buf *out, int opts)
{
    if (dirty)
        unicode_norm_run(s + *from, to - *from, out, opts);
    else
        sb_buf_append(out, s + *from, to - *from);
    *from = to;
}

/* utf8proc knows newer Unicode than HF: code points HF's tables lack are
 * copied through and the text on either side is normalized on its own, which
 * is what a normalizer that sees them as plain unassigned starters does.
 * Only the stretches between cut points that hold a char which may change go
 * through utf8proc (its per-char cost dominated random-prompt encoding); the
 * rest is copied, which is exact by norm_cut_before. */
static void unicode_norm(const char *s, size_t n, sb_buf *out, int opts)
{
    pthread_once(&bmp_once, bmp_build);
    size_t from = 0, last_cut = 0;
    bool dirty = false;
    for (size_t i = 0; i < n;) {
        if ((unsigned char)s[i] < 0x80) {
            if (dirty)
                norm_flush(s, &from, i, true, out, opts);
            dirty = false;
            last_cut = i++;
            continue;
        }
        uint32_t cp;
        size_t l = tok_utf8_next(s + i, n - i, &cp);
        int cls = char_class(cp);
        if (cls == CH_UNKNOWN) {
            norm_flush(s, &from, i, dirty, out, opts);
            sb_buf_append(out, s + i, l);
            from = last_cut = i + l;
            dirty = false;
        } else if (cls == CH_CUT) {
            if (dirty)
                norm_flush(s, &from, i, true, out, opts);
            dirty = false;
            last_cut = i;
        } else if (!dirty) {
            norm_flush(s, &from, last_cut, false, out, opts); /* clean part before the cut */
            dirty = true;
        }
        i += l;
    }
    norm_flush(s, &from, n, dirty, out, opts);
}

static void lowercase(const char *s, size_t n, sb_buf *out)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += tok_utf8_next(s + i, n - i, &cp);
        if (cp == 0x130) { /* Rust's full mapping: I with dot -> i + U+0307 */
            sb_buf_append(out, "i\xCC\x87", 3);
            continue;
        }
        tok_buf_put_cp(out, (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp));
    }
}

static void replace(const tok_norm *nm, const char *s, size_t n, sb_buf *out, tok_scratch *sc)
{
    size_t pos = 0, ms, me;
    while (pos <= n && tok_pattern_find(&nm->pat, sc->md, s, n, pos, &ms, &me)) {
        sb_buf_append(out, s + pos, ms - pos);
        sb_buf_puts(out, nm->str);
        if (me == ms) { /* empty match: keep one char and move on */
            if (ms >= n)
                return;
            uint32_t cp;
            size_t k = tok_utf8_next(s + ms, n - ms, &cp);
            sb_buf_append(out, s + ms, k);
            me = ms + k;
        }
        pos = me;
    }
    if (pos < n)
        sb_buf_append(out, s + pos, n - pos);
}

static void strip(const tok_norm *nm, const char *s, size_t n, sb_buf *out)
{
    size_t a = 0, b = n;
    while (nm->left && a < b) {
        uint32_t cp;
        size_t k = tok_utf8_next(s + a, b - a, &cp);
        if (!tok_is_whitespace(cp))
            break;
        a += k;
    }
    while (nm->right && b > a) {
        size_t k = b - 1;
        while (k > a && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        uint32_t cp;
        tok_utf8_next(s + k, b - k, &cp);
        if (!tok_is_whitespace(cp))
            break;
        b = k;
    }
    sb_buf_append(out, s + a, b - a);
}

static void filter_marks(const char *s, size_t n, sb_buf *out, bool nonspacing_only)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = tok_utf8_next(s + i, n - i, &cp);
        bool drop = nonspacing_only
                        ? utf8proc_category((utf8proc_int32_t)cp) == UTF8PROC_CATEGORY_MN
                        : tok_is_mark(cp);
        if (!drop)
            sb_buf_append(out, s + i, k);
        i += k;
    }
}

static void bert_clean(const tok_norm *nm, const char *s, size_t n, sb_buf *out)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = tok_utf8_next(s + i, n - i, &cp);
        i += k;
        if (nm->clean && (cp == 0 || cp == 0xFFFD || tok_is_control(cp)))
            continue;
        if (nm->clean && tok_is_whitespace(cp)) {
            sb_buf_putc(out, ' ');
            continue;
        }
        bool cjk = nm->chinese && tok_is_cjk(cp);
        if (cjk)
            sb_buf_putc(out, ' ');
        tok_buf_put_cp(out, cp);
        if (cjk)
            sb_buf_putc(out, ' ');
    }
}

/* SentencePiece's nmt_nfkc rules without the NFKC (HF normalizers::unicode
 * Nmt): C0/DEL/some C1 controls are dropped, and tab, LF, FF, CR, U+1680,
 * U+200B..U+200F, U+2028, U+2029, U+2581, U+FEFF and U+FFFD become a space. */
static void nmt(const char *s, size_t n, sb_buf *out)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = tok_utf8_next(s + i, n - i, &cp);
        bool drop = (cp >= 0x01 && cp <= 0x08) || cp == 0x0B || (cp >= 0x0E && cp <= 0x1F) ||
                    cp == 0x7F || cp == 0x8F || cp == 0x9F;
        bool space = cp == 0x09 || cp == 0x0A || cp == 0x0C || cp == 0x0D || cp == 0x1680 ||
                     (cp >= 0x200B && cp <= 0x200F) || cp == 0x2028 || cp == 0x2029 ||
                     cp == 0x2581 || cp == 0xFEFF || cp == 0xFFFD;
        if (space)
            sb_buf_putc(out, ' ');
        else if (!drop)
            sb_buf_append(out, s + i, k);
        i += k;
    }
}

/* True when every char is below U+0300: such text is in NFC and nothing in
 * it composes (lead bytes >= 0xCC start U+0300 and up). Most prompts. */
static bool below_u0300(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0xCC)
            return false;
    return true;
}

/* One stage: in -> out (out reset). */
static void apply_one(const tok_norm *nm, const char *s, size_t n, sb_buf *out, tok_scratch *sc)
{
    switch (nm->kind) {
    case N_NFC:
        if (below_u0300(s, n)) /* NFC leaves U+0000..U+02FF text as it is */
            sb_buf_append(out, s, n);
        else
            unicode_norm(s, n, out, UTF8PROC_COMPOSE);
        break;
    case N_NFD:
        unicode_norm(s, n, out, UTF8PROC_DECOMPOSE);
        break;
    case N_NFKC:
        unicode_norm(s, n, out, UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
        break;
    case N_NFKD:
        unicode_norm(s, n, out, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
        break;
    case N_LOWER:
        lowercase(s, n, out);
        break;
    case N_PREPEND:
        if (n)
            sb_buf_puts(out, nm->str);
        sb_buf_append(out, s, n);
        break;
    case N_REPLACE:
        replace(nm, s, n, out, sc);
        break;
    case N_STRIP:
        strip(nm, s, n, out);
        break;
    case N_STRIP_ACCENTS:
        filter_marks(s, n, out, false);
        break;
    case N_BERT: {
        sb_buf a, b;
        sb_buf_init(&a);
        sb_buf_init(&b);
        bert_clean(nm, s, n, &a);
        if (nm->strip_accents) {
            unicode_norm(a.data ? a.data : "", a.len, &b, UTF8PROC_DECOMPOSE);
            sb_buf_reset(&a);
            filter_marks(b.data ? b.data : "", b.len, &a, true);
        }
        if (nm->lowercase)
            lowercase(a.data ? a.data : "", a.len, out);
        else
            sb_buf_append(out, a.data ? a.data : "", a.len);
        sb_buf_free(&a);
        sb_buf_free(&b);
        break;
    }
    case N_NMT:
        nmt(s, n, out);
        break;
    case N_PRECOMPILED:
        tok_charsmap_apply(nm->cm, s, n, out);
        break;
    case N_SEQ:
        break;
    }
}

void tok_norm_apply(const tok_norm *nm, const char *s, size_t n, sb_buf *out, tok_scratch *sc)
{
    sb_buf_reset(out);
    if (nm->kind != N_SEQ) {
        apply_one(nm, s, n, out, sc);
        sb_buf_putc(out, '\0'); /* keeps data non-NULL */
        out->len--;
        return;
    }
    sb_buf_append(out, s, n);
    sb_buf_putc(out, '\0');
    out->len--;
    for (size_t i = 0; i < nm->n_kids; i++) {
        sb_buf_reset(&sc->tmp);
        tok_norm_apply(nm->kids[i], out->data, out->len, &sc->tmp, sc);
        sb_buf t = *out;
        *out = sc->tmp;
        sc->tmp = t;
    }
}
