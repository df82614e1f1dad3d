/* SPDX-License-Identifier: Apache-2.0 */
/* tok_jscan.c - a fast path for the two big parts of a BPE tokenizer.json:
 * model.vocab (hundreds of thousands of "token": id pairs) and model.merges.
 *
 * Building a jansson DOM for them costs most of the load time and leaves
 * tens of megabytes of small heap blocks behind, so the loader first finds
 * their byte spans with a JSON skipper, blanks them out of the text handed
 * to jansson, and reads them here straight into the vocab map and the merge
 * map. Everything else still goes through jansson. Strings are decoded
 * exactly as JSON defines (\uXXXX with surrogate pairs; a lone surrogate is
 * an error, as in serde_json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"

static const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static int hex4(const char *p, const char *e, uint32_t *v)
{
    if (e - p < 4)
        return -1;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int h = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (h < 0)
            return -1;
        *v = *v * 16 + (uint32_t)h;
    }
    return 0;
}

/* Decodes the string starting at p ('"') into out (appended); returns the
 * position after the closing quote or NULL. */
static const char *jstring(const char *p, const char *e, sb_buf *out)
{
    if (p >= e || *p != '"')
        return NULL;
    p++;
    for (;;) {
        const char *q = p;
        while (q < e && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
            q++;
        sb_buf_append(out, p, (size_t)(q - p));
        if (q >= e || (unsigned char)*q < 0x20)
            return NULL;
        if (*q == '"')
            return q + 1;
        q++; /* backslash */
        if (q >= e)
            return NULL;
        uint32_t cp;
        switch (*q) {
        case '"':
        case '\\':
        case '/':
            sb_buf_putc(out, *q);
            break;
        case 'b':
            sb_buf_putc(out, '\b');
            break;
        case 'f':
            sb_buf_putc(out, '\f');
            break;
        case 'n':
            sb_buf_putc(out, '\n');
            break;
        case 'r':
            sb_buf_putc(out, '\r');
            break;
        case 't':
            sb_buf_putc(out, '\t');
            break;
        case 'u':
            if (hex4(q + 1, e, &cp) < 0)
                return NULL;
            q += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return NULL;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (e - q < 7 || q[1] != '\\' || q[2] != 'u' || hex4(q + 3, e, &lo) < 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return NULL;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
            }
            tok_buf_put_cp(out, cp);
            break;
        default:
            return NULL;
        }
        p = q + 1;
    }
}

/* Position after the JSON value at p, or NULL. */
const char *tok_jscan_skip(const char *p, const char *e)
{
    p = ws(p, e);
    if (p >= e)
        return NULL;
    if (*p == '"') {
        for (p++; p < e && *p != '"'; p++)
            if (*p == '\\')
                p++;
        return p < e ? p + 1 : NULL;
    }
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = ws(p + 1, e);
        if (p < e && *p == close)
            return p + 1;
        for (;;) {
            if (close == '}') {
                p = tok_jscan_skip(p, e);
                p = p ? ws(p, e) : NULL;
                if (!p || p >= e || *p != ':')
                    return NULL;
                p++;
            }
            p = tok_jscan_skip(p, e);
            p = p ? ws(p, e) : NULL;
            if (!p || p >= e)
                return NULL;
            if (*p == close)
                return p + 1;
            if (*p != ',')
                return NULL;
            p++;
        }
    }
    const char *q = p;
    while (q < e && (strchr("+-.eE", *q) || (*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'z')))
        q++;
    return q > p ? q : NULL;
}

/* Finds the value spans of top-level "model" -> "vocab" / "merges". */
void tok_jscan_find(const char *s, size_t n, tok_span *vocab, tok_span *merges)
{
    const char *e = s + n, *p = ws(s, e);
    memset(vocab, 0, sizeof *vocab);
    memset(merges, 0, sizeof *merges);
    if (p >= e || *p != '{')
        return;
    sb_buf key;
    sb_buf_init(&key);
    p++;
    int depth = 0; /* 0: top level, 1: inside "model" */
    const char *model_end = NULL;
    while (p && (p = ws(p, e)) < e) {
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '}') {
            if (depth == 0)
                break;
            depth = 0;
            p = model_end;
            continue;
        }
        sb_buf_reset(&key);
        p = jstring(p, e, &key);
        p = p ? ws(p, e) : NULL;
        if (!p || p >= e || *p != ':')
            break;
        p = ws(p + 1, e);
        const char *v = p, *ve = tok_jscan_skip(p, e);
        if (!ve)
            break;
        if (depth == 0 && key.len == 5 && memcmp(key.data, "model", 5) == 0 && *v == '{') {
            depth = 1;
            model_end = ve;
            p = v + 1;
            continue;
        }
        if (depth == 1 && key.len == 5 && memcmp(key.data, "vocab", 5) == 0 && *v == '{')
            *vocab = (tok_span){v, (size_t)(ve - v)};
        if (depth == 1 && key.len == 6 && memcmp(key.data, "merges", 6) == 0 && *v == '[')
            *merges = (tok_span){v, (size_t)(ve - v)};
        p = ve;
    }
    sb_buf_free(&key);
}

static int fail(sb_err *err, const char *what, const tok_span *sp, const char *p)
{
    return sb_err_set(err, "%s: malformed JSON at byte %zu of this value", what,
                      (size_t)(p - sp->p));
}

int tok_jscan_vocab(const tok_span *sp, tok_smap *m, sb_err *err)
{
    const char *p = sp->p + 1, *e = sp->p + sp->n;
    sb_buf key;
    sb_buf_init(&key);
    size_t expect = sp->n / 16 + 16;
    tok_smap_init(m, expect);
    int rc = 0;
    while ((p = ws(p, e)) < e && *p != '}') {
        sb_buf_reset(&key);
        const char *q = jstring(p, e, &key);
        q = q ? ws(q, e) : NULL;
        if (!q || q >= e || *q != ':') {
            rc = fail(err, "model.vocab", sp, p);
            break;
        }
        q = ws(q + 1, e);
        char *end;
        long long id = strtoll(q, &end, 10);
        bool lead0 = q < e && q[0] == '0' && end - q > 1; /* JSON has no leading zeros */
        if (end == q || id < 0 || id >= TOK_MAX_ID || lead0 || *end == '.' || *end == 'e' ||
            *end == 'E') {
            rc = sb_err_set(err, "model.vocab[\"%s\"]: id must be an integer in 0..%d",
                            key.data ? key.data : "", TOK_MAX_ID - 1);
            break;
        }
        tok_smap_put(m, key.data ? key.data : "", key.len, (int32_t)id);
        p = ws(end, e);
        if (p < e && *p == ',')
            p++;
    }
    sb_buf_free(&key);
    return rc;
}

int tok_jscan_merges(const tok_span *sp, tok_merge_fn fn, void *ctx, sb_err *err)
{
    const char *p = sp->p + 1, *e = sp->p + sp->n;
    sb_buf a, b;
    sb_buf_init(&a);
    sb_buf_init(&b);
    int rc = 0;
    for (int32_t rank = 0; (p = ws(p, e)) < e && *p != ']'; rank++) {
        sb_buf_reset(&a);
        sb_buf_reset(&b);
        const char *q;
        if (*p == '"') {
            q = jstring(p, e, &a);
            char *sp1 = q ? memchr(a.data ? a.data : "", ' ', a.len) : NULL;
            if (!sp1) {
                rc = q ? sb_err_set(err, "model.merges[%d]: \"%s\" is not \"a b\"", rank,
                                    a.data ? a.data : "")
                       : fail(err, "model.merges", sp, p);
                break;
            }
            size_t al = (size_t)(sp1 - a.data);
            sb_buf_append(&b, sp1 + 1, a.len - al - 1);
            a.len = al;
        } else if (*p == '[') {
            q = jstring(ws(p + 1, e), e, &a);
            q = q ? ws(q, e) : NULL;
            q = q && q < e && *q == ',' ? jstring(ws(q + 1, e), e, &b) : NULL;
            q = q ? ws(q, e) : NULL;
            q = q && q < e && *q == ']' ? q + 1 : NULL;
            if (!q) {
                rc = sb_err_set(err, "model.merges[%d]: expected [\"a\", \"b\"]", rank);
                break;
            }
        } else {
            rc = sb_err_set(err, "model.merges[%d]: expected \"a b\" or [\"a\", \"b\"]", rank);
            break;
        }
        if (!q) {
            rc = fail(err, "model.merges", sp, p);
            break;
        }
        if (fn(ctx, a.data ? a.data : "", a.len, b.data ? b.data : "", b.len, rank, err) < 0) {
            rc = -1;
            break;
        }
        p = ws(q, e);
        if (p < e && *p == ',')
            p++;
    }
    sb_buf_free(&a);
    sb_buf_free(&b);
    return rc;
}
