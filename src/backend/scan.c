/* SPDX-License-Identifier: Apache-2.0 */
/* scan.c - single-pass validating JSON scanner for one stream message
 * (see scan.h).
 *
 * Why hand-written: the decoders need five paths out of a ~200-byte chunk,
 * yet every message must be fully validated (vllm/benchmarks/lib/endpoint_request_func.py:
 * async_request_openai_completions: a message that is not JSON fails the request). A generic event
 * parser (YAJL, kept in tests/oracle/scan_yajl.c as the test oracle) pays a callback, a path-stack
 * update and a buffer copy per token; here the path is the recursion itself: each value is
 * parsed with a "role" saying what its position means (choices[0], usage,
 * delta...), and everything else is validated and skipped. No allocation
 * except appending extracted text to the caller's buffers.
 *
 * Grammar is RFC 8259, strict: whitespace is SP HT LF CR only, no comments,
 * no NaN/Infinity, exactly one value. Strings reject raw control bytes and
 * invalid UTF-8 (overlongs, surrogates, > U+10FFFF), as the reference's
 * strict bytes.decode("utf-8") does. Integers outside int64 and reals that
 * overflow a double are errors, as in YAJL and jansson. Nesting is capped at
 * SCAN_MAX_DEPTH so a hostile stream cannot exhaust the stack. */
#include "backend/scan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/utf8.h"

#define SCAN_MAX_DEPTH 1024

struct bk_scan {
    sb_buf *args; /* tool-call argument text goes here (no other state) */
};

/* What a value's position means to the decoders. */
enum role {
    R_NONE,
    R_TOP,
    R_CHOICES,
    R_CHOICE0,
    R_DELTA,
    R_USAGE,
    R_COMPLETION,
    R_PROMPT,
    R_APPEND,
    R_GENERATED,
    R_MII_TEXT,
    R_CONTENT,
    R_REASONING,
    R_TOOL_CALLS,
    R_TOOL_CALL, /* an element of delta.tool_calls */
    R_TOOL_FN,   /* its "function" */
    R_TOOL_ARGS, /* its function's "arguments" string */
    R_TYPE,
    R_RDELTA,
    R_RESPONSE,
    R_RUSAGE
};

typedef struct cur {
    const unsigned char *p, *beg, *end;
    bk_msg *out;
    sb_buf *text, *gen, *args;
    const char *err; /* first error, static text */
    const unsigned char *err_at;
    int depth;
} cur;

/* Where decoded string bytes go: a growable buffer, a small fixed one (keys
 * with escapes), or nowhere (validation only). */
typedef struct sink {
    sb_buf *buf;
    char *fix;
    size_t len, cap;
} sink;

static int fail(cur *c, const char *why)
{
    if (!c->err) {
        c->err = why;
        c->err_at = c->p;
    }
    return -1;
}

static inline void emit(sink *k, const void *p, size_t n)
{
    if (k->buf) {
        sb_buf_append(k->buf, p, n);
    } else if (k->fix) {
        if (k->len + n <= k->cap)
            memcpy(k->fix + k->len, p, n);
        k->len += n;
    }
}

static inline void skip_ws(cur *c)
{
    const unsigned char *p = c->p;
    if (p<c->end && * p> ' ')
        return; /* compact JSON: the usual case */
    while (p < c->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    c->p = p;
}

/* 1 for bytes a string run stops at: '"', '\\', controls, non-ASCII. */
static const unsigned char str_stop[256] = {
    [0 ... 0x1f] = 1,
    ['"'] = 1,
    ['\\'] = 1,
    [0x80 ... 0xff] = 1,
};

static const unsigned char *plain_run(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* signed compare: < 0x20 also catches 0x80..0xff */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                                 _mm_cmplt_epi8(v, sp));
        int mask = _mm_movemask_epi8(m);
        if (mask)
            return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#endif
    while (p < end && !str_stop[*p])
        p++;
    return p;
}

static int hex4(const unsigned char *p, const unsigned char *end, unsigned *v)
{
    if (end - p < 4)
        return -1;
    unsigned r = 0;
    for (int i = 0; i < 4; i++) {
        unsigned ch = p[i], d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
            d = (ch | 0x20) - 'a' + 10;
        else
            return -1;
        r = r << 4 | d;
    }
    *v = r;
    return 0;
}

/* \uXXXX at c->p (after the backslash and 'u'). A high surrogate followed
 * by an escaped low one is joined; a lone surrogate is kept as its 3-byte
 * form (Python keeps lone surrogates too; it never reaches a tokenizer as
 * valid text either way). */
static int unicode_escape(cur *c, sink *k)
{
    unsigned cp, lo;
    if (hex4(c->p, c->end, &cp) != 0)
        return fail(c, "bad \\u escape in string");
    c->p += 4;
    if (cp >= 0xd800 && cp <= 0xdbff && c->end - c->p >= 6 && c->p[0] == '\\' && c->p[1] == 'u' &&
        hex4(c->p + 2, c->end, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        c->p += 6;
    }
    char o[4];
    emit(k, o, sb_utf8_encode(o, cp));
    return 0;
}

static int escape(cur *c, sink *k)
{
    if (c->p >= c->end)
        return fail(c, "unterminated string");
    char ch;
    switch (*c->p++) {
    case '"':
        ch = '"';
        break;
    case '\\':
        ch = '\\';
        break;
    case '/':
        ch = '/';
        break;
    case 'b':
        ch = '\b';
        break;
    case 'f':
        ch = '\f';
        break;
    case 'n':
        ch = '\n';
        break;
    case 'r':
        ch = '\r';
        break;
    case 't':
        ch = '\t';
        break;
    case 'u':
        return unicode_escape(c, k);
    default:
        c->p--;
        return fail(c, "invalid escape in string");
    }
    emit(k, &ch, 1);
    return 0;
}

/* String at c->p (on the opening quote); decoded bytes go to k. Sets
 * *escaped when the string held an escape (keys then need decoding). */
static inline __attribute__((always_inline)) int string(cur *c, sink *k, bool *escaped)
{
    const unsigned char *p = ++c->p, *end = c->end;
    bool want = k->buf || k->fix; /* most strings are only validated */
    for (;;) {
        const unsigned char *q = plain_run(p, end);
        if (q > p && want)
            emit(k, p, (size_t)(q - p));
        p = q;
        if (p >= end) {
            c->p = p;
            return fail(c, "unterminated string");
        }
        unsigned b = *p;
        if (b == '"') {
            c->p = p + 1;
            return 0;
        }
        if (b == '\\') {
            c->p = p + 1;
            *escaped = true;
            if (escape(c, k) != 0)
                return -1;
            p = c->p;
        } else if (b < 0x20) {
            c->p = p;
            return fail(c, "control character in string");
        } else {
            uint32_t cp;
            size_t n = sb_utf8_decode((const char *)p, (size_t)(end - p), &cp);
            if (n == 0) {
                c->p = p;
                return fail(c, "invalid UTF-8 in string");
            }
            if (want)
                emit(k, p, n);
            p += n;
        }
    }
}

/* Integer magnitude fits int64 (a negative one may be 2^63). */
static bool int_fits(const unsigned char *d, size_t n, bool neg, long long *v)
{
    unsigned long long r = 0, lim = neg ? 9223372036854775808ULL : 9223372036854775807ULL;
    for (size_t i = 0; i < n; i++) {
        unsigned dig = d[i] - '0';
        if (r > (lim - dig) / 10)
            return false;
        r = r * 10 + dig;
    }
    *v = neg ? (long long)(0ULL - r) : (long long)r;
    return true;
}

/* A real overflows a double: only possible with an exponent or > 300
 * integer digits, so strtod runs on those only. */
static bool real_overflows(const unsigned char *s, size_t n)
{
    char small[400];
    char *b = n < sizeof small ? small : sb_xmalloc(n + 1);
    memcpy(b, s, n);
    b[n] = 0;
    bool inf = isinf(strtod(b, NULL));
    if (b != small)
        free(b);
    return inf;
}

static const unsigned char *digits(const unsigned char *p, const unsigned char *end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

static int number(cur *c, enum role r)
{
    const unsigned char *s = c->p, *p = s, *end = c->end;
    bool neg = p < end && *p == '-';
    p += neg;
    const unsigned char *d0 = p;
    if (p < end && *p == '0')
        p++;
    else if (p < end && *p >= '1' && *p <= '9')
        p = digits(p, end);
    else
        return c->p = p, fail(c, "invalid number");
    size_t nint = (size_t)(p - d0);
    bool frac = p < end && *p == '.', exp = false;
    if (frac) {
        const unsigned char *q = digits(++p, end);
        if (q == p)
            return c->p = p, fail(c, "invalid number");
        p = q;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        exp = true;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        const unsigned char *q = digits(p, end);
        if (q == p)
            return c->p = p, fail(c, "invalid number");
        p = q;
    }
    c->p = p;
    if (!frac && !exp) {
        long long v = 0;
        if (nint > 18 && !int_fits(d0, nint, neg, &v))
            return c->p = s, fail(c, "integer out of range");
        if (r == R_COMPLETION || r == R_PROMPT) {
            if (nint <= 18)
                int_fits(d0, nint, neg, &v);
            if (r == R_COMPLETION)
                c->out->completion_tokens = v;
            else
                c->out->prompt_tokens = v;
        }
    } else if ((exp || nint > 300) && real_overflows(s, (size_t)(p - s))) {
        return c->p = s, fail(c, "number out of range");
    }
    return 0;
}

static int literal(cur *c, const char *w, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
        return fail(c, "invalid literal");
    c->p += n;
    return 0;
}

static int value(cur *c, enum role r);

/* Role of a member's value, from the object's role and the key. */
static enum role member_role(cur *c, enum role obj, const char *k, size_t n)
{
#define IS(s) (n == sizeof(s) - 1 && memcmp(k, s, n) == 0)
    switch (obj) {
    case R_TOP:
        if (IS("choices"))
            return R_CHOICES;
        if (IS("text"))
            return R_MII_TEXT;
        if (IS("usage"))
            return R_USAGE;
        if (IS("generated_text"))
            return R_GENERATED;
        if (IS("text_output"))
            return R_APPEND;
        if (IS("type"))
            return R_TYPE;
        if (IS("delta"))
            return R_RDELTA;
        if (IS("response"))
            return R_RESPONSE;
        if (IS("error"))
            c->out->has_error = true;
        return R_NONE;
    case R_RESPONSE:
        return IS("usage") ? R_RUSAGE : R_NONE;
    case R_RUSAGE:
        c->out->usage_truthy = true;
        if (IS("output_tokens"))
            return R_COMPLETION;
        if (IS("input_tokens"))
            return R_PROMPT;
        return R_NONE;
    case R_USAGE:
        c->out->usage_truthy = true;
        if (IS("completion_tokens"))
            return R_COMPLETION;
        if (IS("prompt_tokens"))
            return R_PROMPT;
        return R_NONE;
    case R_CHOICE0:
        if (IS("text"))
            return R_APPEND;
        if (IS("delta"))
            return R_DELTA;
        return R_NONE;
    case R_DELTA:
        if (IS("content"))
            return R_CONTENT;
        if (IS("reasoning_content") || IS("reasoning"))
            return R_REASONING;
        if (IS("tool_calls"))
            return R_TOOL_CALLS;
        return R_NONE;
    case R_TOOL_CALL:
        return IS("function") ? R_TOOL_FN : R_NONE;
    case R_TOOL_FN:
        return IS("arguments") ? R_TOOL_ARGS : R_NONE;
    default:
        return R_NONE;
    }
#undef IS
}

/* Key at c->p: validated, and decoded only when its object's role cares. */
static int key(cur *c, enum role obj, enum role *child)
{
    *child = R_NONE;
    if (c->p >= c->end || *c->p != '"')
        return fail(c, c->p >= c->end ? "unexpected end" : "expected a string key");
    const unsigned char *s = c->p + 1;
    bool escaped = false;
    sink none = {0};
    if (string(c, &none, &escaped) != 0)
        return -1;
    if (obj == R_NONE)
        return 0;
    if (!escaped) {
        *child = member_role(c, obj, (const char *)s, (size_t)(c->p - 1 - s));
        return 0;
    }
    /* rare: decode the escaped key again into a small buffer to compare */
    char kb[24];
    sink k = {.fix = kb, .cap = sizeof kb};
    cur again = *c;
    again.p = s - 1;
    string(&again, &k, &escaped);
    *child = member_role(c, obj, kb, k.len <= k.cap ? k.len : 0);
    return 0;
}

static int object(cur *c, enum role r)
{
    enum role obj = r == R_TOP || r == R_USAGE || r == R_CHOICE0 || r == R_DELTA ||
                            r == R_RESPONSE || r == R_RUSAGE || r == R_TOOL_CALL || r == R_TOOL_FN
                        ? r
                        : R_NONE;
    if (r == R_TOP)
        c->out->is_object = true;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return 0;
    }
    for (;;) {
        enum role child;
        if (key(c, obj, &child) != 0)
            return -1;
        skip_ws(c);
        if (c->p >= c->end || *c->p != ':')
            return fail(c, "expected ':'");
        c->p++;
        if (value(c, child) != 0)
            return -1;
        skip_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            skip_ws(c);
            continue;
        }
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            return 0;
        }
        return fail(c, c->p >= c->end ? "unexpected end" : "expected ',' or '}'");
    }
}

static int array(cur *c, enum role r)
{
    if (r == R_CHOICES)
        c->out->n_choices = 0;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        return 0;
    }
    if (r == R_TOOL_CALLS)
        c->out->delta_tool_call = true;
    for (int i = 0;; i++) {
        enum role child = R_NONE;
        if (i == 0 && r == R_CHOICES)
            child = R_CHOICE0;
        else if (i == 0 && r == R_MII_TEXT)
            child = R_APPEND;
        else if (r == R_TOOL_CALLS)
            child = R_TOOL_CALL;
        if (r == R_CHOICES)
            c->out->n_choices++;
        if (value(c, child) != 0)
            return -1;
        skip_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == ']') {
            c->p++;
            return 0;
        }
        return fail(c, c->p >= c->end ? "unexpected end" : "expected ',' or ']'");
    }
}

static bk_resp_event resp_event_of(const char *t, size_t n)
{
#define IS(s) (n == sizeof(s) - 1 && memcmp(t, s, n) == 0)
    if (IS("response.output_text.delta"))
        return BK_RESP_TEXT;
    if (IS("response.reasoning_text.delta") || IS("response.reasoning_summary_text.delta"))
        return BK_RESP_REASONING;
    if (IS("response.function_call_arguments.delta"))
        return BK_RESP_TOOL;
    if (IS("response.completed"))
        return BK_RESP_COMPLETED;
    if (IS("response.failed") || IS("response.incomplete") || IS("error"))
        return BK_RESP_FAILED;
    return BK_RESP_NONE;
#undef IS
}

static int string_value(cur *c, enum role r)
{
    bool escaped = false;
    sink k = {0};
    const unsigned char *open = c->p;
    char tb[48];
    if (r == R_TYPE) {
        k.fix = tb;
        k.cap = sizeof tb;
    } else if (r == R_RDELTA) {
        k.buf = c->text;
        c->out->delta_from = c->text ? c->text->len : 0;
    }
    if (r == R_TOOL_ARGS) {
        k.buf = c->args;
    } else if (r == R_APPEND || r == R_CONTENT) {
        k.buf = c->text;
    } else if (r == R_GENERATED) {
        c->out->has_generated_text = true;
        k.buf = c->gen;
        if (k.buf)
            sb_buf_reset(k.buf);
    }
    int rc = string(c, &k, &escaped);
    if (rc == 0 && r == R_TYPE && k.len <= k.cap)
        c->out->resp_event = resp_event_of(tb, k.len);
    if (rc == 0 && r == R_RDELTA)
        c->out->delta_to = c->text ? c->text->len : 0;
    if (rc == 0 && c->p - open > 2) /* more than the two quotes: not empty */
        c->out->delta_content |= r == R_CONTENT || r == R_APPEND,
            c->out->delta_reasoning |= r == R_REASONING;
    return rc;
}

static int value(cur *c, enum role r)
{
    skip_ws(c);
    if (c->p >= c->end)
        return fail(c, "unexpected end");
    int rc;
    switch (*c->p) {
    case '{':
    case '[':
        if (++c->depth > SCAN_MAX_DEPTH)
            return fail(c, "nesting too deep");
        rc = *c->p == '{' ? object(c, r) : array(c, r);
        c->depth--;
        return rc;
    case '"':
        return string_value(c, r);
    case 't':
        return literal(c, "true", 4);
    case 'f':
        return literal(c, "false", 5);
    case 'n':
        return literal(c, "null", 4);
    default:
        if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))
            return number(c, r);
        return fail(c, "unexpected character");
    }
}

bk_scan *bk_scan_new(void)
{
    return sb_xcalloc(1, sizeof(bk_scan));
}

void bk_scan_free(bk_scan *s)
{
    free(s);
}

void bk_scan_set_args(bk_scan *s, sb_buf *args)
{
    s->args = args;
}

int bk_scan_parse(bk_scan *s, const char *json, size_t len, bk_msg *out, sb_buf *text,
                  sb_buf *gen_text, char *why, size_t why_size)
{
    *out = (bk_msg){.n_choices = -1, .completion_tokens = -1, .prompt_tokens = -1};
    const unsigned char *b = (const unsigned char *)json;
    cur c = {.p = b,
             .beg = b,
             .end = b + len,
             .out = out,
             .text = text,
             .gen = gen_text,
             .args = s ? s->args : NULL};
    skip_ws(&c);
    if (c.p == c.end) {
        snprintf(why, why_size, "empty JSON text");
        return -1;
    }
    if (value(&c, R_TOP) == 0) {
        skip_ws(&c);
        if (c.p == c.end)
            return 0;
        fail(&c, "trailing characters after the JSON value");
    }
    snprintf(why, why_size, "%s at byte %zu", c.err, (size_t)(c.err_at - c.beg));
    return -1;
}
