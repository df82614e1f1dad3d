/* SPDX-License-Identifier: Apache-2.0 */
/* tok_decode.c - HF decoders: ByteLevel, Metaspace, ByteFallback, Fuse,
 * Strip, Replace, WordPiece, BPEDecoder, CTC and Sequence.
 *
 * HF decoders map a list of token strings to a list of strings
 * (decode_chain) and the results are concatenated, so a chain such as
 * Replace -> ByteFallback -> Fuse -> Strip sees exactly the token boundaries
 * the Rust library sees. Invalid UTF-8 follows HF: ByteLevel repairs the
 * joined bytes lossily, ByteFallback turns a bad byte run into one U+FFFD per
 * byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"

typedef enum {
    D_BYTELEVEL,
    D_METASPACE,
    D_BYTEFALLBACK,
    D_FUSE,
    D_STRIP,
    D_REPLACE,
    D_WORDPIECE,
    D_BPE,
    D_CTC,
    D_SEQ
} dec_kind;

struct tok_decoder {
    dec_kind kind;
    tok_pattern pat;
    char *content, *prefix, *pad, *delim;
    uint32_t strip_cp, rep_cp;
    size_t start, stop;
    bool cleanup, prepend;
    uint16_t rev[0x144]; /* ByteLevel: alphabet char -> byte + 1, 0 = none */
    tok_decoder **kids;
    size_t n_kids;
};

/* A list of strings in one buffer. */
typedef struct dlist {
    sb_buf buf;
    size_t *off, *len;
    size_t n, cap;
} dlist;

static void dl_push(dlist *l, const char *s, size_t n)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->off = sb_xrealloc(l->off, l->cap * sizeof *l->off);
        l->len = sb_xrealloc(l->len, l->cap * sizeof *l->len);
    }
    l->off[l->n] = l->buf.len;
    l->len[l->n] = n;
    l->n++;
    sb_buf_append(&l->buf, s, n);
}

/* Extends the last pushed string (its bytes must be the buffer's tail). */
static void dl_extend(dlist *l, const char *s, size_t n)
{
    sb_buf_append(&l->buf, s, n);
    l->len[l->n - 1] += n;
}

static const char *dl_str(const dlist *l, size_t i)
{
    return l->buf.data + l->off[i];
}

static void dl_free(dlist *l)
{
    sb_buf_free(&l->buf);
    free(l->off);
    free(l->len);
}

void tok_decoder_free(tok_decoder *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_kids; i++)
        tok_decoder_free(d->kids[i]);
    free(d->kids);
    tok_pattern_free(&d->pat);
    free(d->content);
    free(d->prefix);
    free(d->pad);
    free(d->delim);
    free(d);
}

static char *jdup(json_t *j, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(j, k));
    return sb_xstrdup(s ? s : dflt);
}

static bool jbool(json_t *o, const char *k, bool dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static int parse_body(tok_decoder *d, json_t *j, const char *path, sb_err *err)
{
    char sub[512];
    switch (d->kind) {
    case D_SEQ: {
        json_t *arr = json_object_get(j, "decoders");
        if (!json_is_array(arr))
            return sb_err_set(err, "%s: Sequence without a \"decoders\" array", path);
        d->n_kids = json_array_size(arr);
        d->kids = sb_xcalloc(d->n_kids + 1, sizeof *d->kids);
        for (size_t i = 0; i < d->n_kids; i++) {
            snprintf(sub, sizeof sub, "%s.decoders[%zu]", path, i);
            if (!(d->kids[i] = tok_decoder_parse(json_array_get(arr, i), sub, err)))
                return -1;
        }
        return 0;
    }
    case D_BYTELEVEL: {
        uint16_t map[256];
        tok_bytelevel_table(map);
        for (int b = 0; b < 256; b++)
            d->rev[map[b]] = (uint16_t)(b + 1);
        return 0;
    }
    case D_METASPACE: {
        char *r = jdup(j, "replacement", "\xE2\x96\x81");
        tok_utf8_next(r, strlen(r), &d->rep_cp);
        free(r);
        const char *ps = json_string_value(json_object_get(j, "prepend_scheme"));
        d->prepend = ps ? strcmp(ps, "never") != 0 : jbool(j, "add_prefix_space", true);
        return 0;
    }
    case D_STRIP: {
        char *c = jdup(j, "content", " ");
        tok_utf8_next(c, strlen(c), &d->strip_cp);
        free(c);
        d->start = (size_t)json_integer_value(json_object_get(j, "start"));
        d->stop = (size_t)json_integer_value(json_object_get(j, "stop"));
        return 0;
    }
    case D_REPLACE:
        d->content = jdup(j, "content", "");
        snprintf(sub, sizeof sub, "%s.pattern", path);
        return tok_pattern_parse(&d->pat, json_object_get(j, "pattern"), sub, err);
    case D_WORDPIECE:
        d->prefix = jdup(j, "prefix", "##");
        d->cleanup = jbool(j, "cleanup", true);
        return 0;
    case D_BPE:
        d->content = jdup(j, "suffix", "</w>");
        return 0;
    case D_CTC:
        d->pad = jdup(j, "pad_token", "<pad>");
        d->delim = jdup(j, "word_delimiter_token", "|");
        d->cleanup = jbool(j, "cleanup", true);
        return 0;
    default:
        return 0;
    }
}

tok_decoder *tok_decoder_parse(json_t *j, const char *path, sb_err *err)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type) {
        sb_err_set(err, "%s: decoder without a \"type\"", path);
        return NULL;
    }
    static const char *names[] = {"ByteLevel", "Metaspace", "ByteFallback", "Fuse", "Strip",
                                  "Replace",   "WordPiece", "BPEDecoder",   "CTC",  "Sequence"};
    int kind = -1;
    for (int i = 0; i < (int)(sizeof names / sizeof *names); i++)
        if (strcmp(type, names[i]) == 0)
            kind = i;
    if (kind < 0) {
        sb_err_set(err, "%s: unknown decoder type \"%s\"", path, type);
        return NULL;
    }
    tok_decoder *d = sb_xcalloc(1, sizeof *d);
    d->kind = (dec_kind)kind;
    if (parse_body(d, j, path, err) < 0) {
        tok_decoder_free(d);
        return NULL;
    }
    return d;
}

/* ---- the chain ---------------------------------------------------------- */

/* Appends what ByteLevel makes of one token before the joined bytes are
 * repaired: its alphabet chars as bytes, or, when a char is outside the
 * alphabet, the token unchanged (HF). */
static void bytelevel_raw(const tok_decoder *d, const char *t, size_t n, sb_buf *raw)
{
    size_t mark = raw->len;
    for (size_t k = 0; k < n;) {
        uint32_t cp;
        k += tok_utf8_next(t + k, n - k, &cp);
        if (cp < 0x144 && d->rev[cp]) {
            sb_buf_putc(raw, (char)(d->rev[cp] - 1));
        } else {
            raw->len = mark;
            sb_buf_append(raw, t, n);
            return;
        }
    }
}

bool tok_decoder_token_bytes(const tok_decoder *d, const char *tok, size_t n, sb_buf *raw)
{
    if (!d || d->kind != D_BYTELEVEL)
        return false;
    bytelevel_raw(d, tok, n, raw);
    return true;
}

static void dec_bytelevel(const tok_decoder *d, const dlist *in, dlist *out)
{
    sb_buf raw;
    sb_buf_init(&raw);
    for (size_t i = 0; i < in->n; i++)
        bytelevel_raw(d, dl_str(in, i), in->len[i], &raw);
    sb_buf s;
    sb_buf_init(&s);
    tok_utf8_lossy(&s, raw.data ? raw.data : "", raw.len);
    dl_push(out, s.data ? s.data : "", s.len);
    sb_buf_free(&s);
    sb_buf_free(&raw);
}

static void dec_metaspace(const tok_decoder *d, const dlist *in, dlist *out)
{
    for (size_t i = 0; i < in->n; i++) {
        const char *t = dl_str(in, i);
        size_t n = in->len[i];
        dl_push(out, "", 0);
        for (size_t k = 0; k < n;) {
            uint32_t cp;
            size_t l = tok_utf8_next(t + k, n - k, &cp);
            if (cp != d->rep_cp)
                dl_extend(out, t + k, l);
            else if (!(i == 0 && d->prepend)) /* HF drops them all in the first token */
                dl_extend(out, " ", 1);
            k += l;
        }
    }
}

static int byte_token(const char *t, size_t n)
{
    if (n != 6 || memcmp(t, "<0x", 3) != 0 || t[5] != '>')
        return -1;
    int v = 0;
    for (int i = 3; i < 5; i++) {
        char c = t[i];
        int h = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static void flush_bytes(sb_buf *bytes, size_t *nb, dlist *out)
{
    if (!*nb)
        return;
    if (tok_utf8_valid(bytes->data, bytes->len)) {
        dl_push(out, bytes->data, bytes->len);
    } else {
        dl_push(out, "", 0);
        for (size_t i = 0; i < *nb; i++)
            dl_extend(out, "\xEF\xBF\xBD", 3);
    }
    sb_buf_reset(bytes);
    *nb = 0;
}

static void dec_bytefallback(const dlist *in, dlist *out)
{
    sb_buf bytes;
    sb_buf_init(&bytes);
    size_t nb = 0;
    for (size_t i = 0; i < in->n; i++) {
        int b = byte_token(dl_str(in, i), in->len[i]);
        if (b >= 0) {
            sb_buf_putc(&bytes, (char)b);
            nb++;
            continue;
        }
        flush_bytes(&bytes, &nb, out);
        dl_push(out, dl_str(in, i), in->len[i]);
    }
    flush_bytes(&bytes, &nb, out);
    sb_buf_free(&bytes);
}

static void dec_strip(const tok_decoder *d, const dlist *in, dlist *out)
{
    char c[4];
    size_t cl = tok_utf8_put(c, d->strip_cp);
    for (size_t i = 0; i < in->n; i++) {
        const char *t = dl_str(in, i);
        size_t a = 0, b = in->len[i];
        for (size_t k = 0; k < d->start && b - a >= cl && memcmp(t + a, c, cl) == 0; k++)
            a += cl;
        for (size_t k = 0; k < d->stop && b - a >= cl && memcmp(t + b - cl, c, cl) == 0; k++)
            b -= cl;
        dl_push(out, t + a, b - a);
    }
}

static void dec_replace(const tok_decoder *d, const dlist *in, dlist *out, tok_rematch *md)
{
    size_t cl = strlen(d->content);
    for (size_t i = 0; i < in->n; i++) {
        const char *t = dl_str(in, i);
        size_t n = in->len[i], pos = 0, ms, me;
        dl_push(out, "", 0);
        while (pos < n && tok_pattern_find(&d->pat, md, t, n, pos, &ms, &me) && me > ms) {
            dl_extend(out, t + pos, ms - pos);
            dl_extend(out, d->content, cl);
            pos = me;
        }
        dl_extend(out, t + pos, n - pos);
    }
}

/* HF decoders::wordpiece::cleanup. */
static void cleanup_str(sb_buf *s)
{
    static const char *from[] = {" .",  " ?",      " !",  " ,",   " ' ", " n't",
                                 " 'm", " do not", " 's", " 've", " 're"};
    static const char *to[] = {".", "?", "!", ",", "'", "n't", "'m", " don't", "'s", "'ve", "'re"};
    for (size_t r = 0; r < sizeof from / sizeof *from; r++) {
        sb_buf o;
        sb_buf_init(&o);
        size_t fl = strlen(from[r]), i = 0;
        while (i < s->len) {
            if (s->len - i >= fl && memcmp(s->data + i, from[r], fl) == 0) {
                sb_buf_puts(&o, to[r]);
                i += fl;
            } else {
                sb_buf_putc(&o, s->data[i++]);
            }
        }
        sb_buf_free(s);
        *s = o;
    }
}

static void push_clean(dlist *out, sb_buf *s, bool cleanup)
{
    if (cleanup)
        cleanup_str(s);
    dl_push(out, s->data ? s->data : "", s->len);
    sb_buf_free(s);
}

static void dec_wordpiece(const tok_decoder *d, const dlist *in, dlist *out)
{
    size_t pl = strlen(d->prefix);
    for (size_t i = 0; i < in->n; i++) {
        const char *t = dl_str(in, i);
        size_t n = in->len[i];
        sb_buf s;
        sb_buf_init(&s);
        if (i == 0) /* HF leaves the first token alone, prefix included */
            sb_buf_append(&s, t, n);
        else if (n >= pl && memcmp(t, d->prefix, pl) == 0)
            sb_buf_append(&s, t + pl, n - pl);
        else {
            sb_buf_putc(&s, ' ');
            sb_buf_append(&s, t, n);
        }
        push_clean(out, &s, d->cleanup);
    }
}

static void dec_bpe(const tok_decoder *d, const dlist *in, dlist *out)
{
    size_t sl = strlen(d->content);
    for (size_t i = 0; i < in->n; i++) {
        const char *t = dl_str(in, i);
        size_t n = in->len[i];
        dl_push(out, "", 0);
        for (size_t k = 0; k < n;) {
            if (sl && n - k >= sl && memcmp(t + k, d->content, sl) == 0) {
                if (i + 1 < in->n)
                    dl_extend(out, " ", 1);
                k += sl;
            } else {
                dl_extend(out, t + k, 1);
                k++;
            }
        }
    }
}

static void dec_ctc(const tok_decoder *d, const dlist *in, dlist *out)
{
    for (size_t i = 0; i < in->n; i++) {
        const char *t = dl_str(in, i);
        size_t n = in->len[i];
        if (i > 0 && n == in->len[i - 1] && memcmp(t, dl_str(in, i - 1), n) == 0)
            continue; /* dedup consecutive */
        if (strlen(d->pad) == n && memcmp(t, d->pad, n) == 0)
            continue;
        sb_buf s;
        sb_buf_init(&s);
        size_t dl = strlen(d->delim);
        for (size_t k = 0; k < n;) {
            if (dl && n - k >= dl && memcmp(t + k, d->delim, dl) == 0) {
                sb_buf_putc(&s, ' ');
                k += dl;
            } else {
                sb_buf_putc(&s, t[k++]);
            }
        }
        push_clean(out, &s, d->cleanup);
    }
}

static void run_one(const tok_decoder *d, dlist *in, dlist *out, tok_rematch *md)
{
    switch (d->kind) {
    case D_BYTELEVEL:
        dec_bytelevel(d, in, out);
        break;
    case D_METASPACE:
        dec_metaspace(d, in, out);
        break;
    case D_BYTEFALLBACK:
        dec_bytefallback(in, out);
        break;
    case D_FUSE:
        dl_push(out, "", 0);
        for (size_t i = 0; i < in->n; i++)
            dl_extend(out, dl_str(in, i), in->len[i]);
        break;
    case D_STRIP:
        dec_strip(d, in, out);
        break;
    case D_REPLACE:
        dec_replace(d, in, out, md);
        break;
    case D_WORDPIECE:
        dec_wordpiece(d, in, out);
        break;
    case D_BPE:
        dec_bpe(d, in, out);
        break;
    case D_CTC:
        dec_ctc(d, in, out);
        break;
    case D_SEQ:
        break;
    }
}

static void run_chain(const tok_decoder *d, dlist *cur, dlist *spare, tok_rematch *md)
{
    if (d->kind == D_SEQ) {
        for (size_t i = 0; i < d->n_kids; i++)
            run_chain(d->kids[i], cur, spare, md);
        return;
    }
    spare->n = 0;
    sb_buf_reset(&spare->buf);
    run_one(d, cur, spare, md);
    dlist t = *cur;
    *cur = *spare;
    *spare = t;
}

void tok_decoder_run(const tok_decoder *d, const char **toks, size_t n, sb_buf *out)
{
    dlist a = {0}, b = {0};
    for (size_t i = 0; i < n; i++)
        dl_push(&a, toks[i], strlen(toks[i]));
    tok_rematch *md = tok_rematch_new();
    if (d)
        run_chain(d, &a, &b, md);
    for (size_t i = 0; i < a.n; i++) {
        if (!d && i) /* no decoder: HF joins the tokens with spaces */
            sb_buf_putc(out, ' ');
        sb_buf_append(out, dl_str(&a, i), a.len[i]);
    }
    tok_rematch_free(md);
    dl_free(&a);
    dl_free(&b);
}
