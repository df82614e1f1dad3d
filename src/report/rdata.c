/* SPDX-License-Identifier: Apache-2.0 */
/* rdata.c - reading result JSON files (our own strict JSON reader over the
 * mapped file) and sweep JSON Lines files (jansson, one small object a line).
 *
 * A 1,000,000-request --save-detailed file is hundreds of MB, almost all of
 * it numbers in a few arrays, so the reader is a single pass over the bytes
 * with no DOM and no copy: numbers go straight into flat double arrays (the
 * plain decimal form the writers use takes an integer-mantissa fast path),
 * strings are only copied when kept. It accepts the bare NaN, Infinity and
 * -Infinity that Python's json.dump and our writer emit, and rejects
 * everything else RFC 8259 rejects (invalid UTF-8 included), naming the
 * byte. Only the first value is read, so a JSON Lines file written with
 * --append-result gives its first run. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "report/rdata.h"

#define RDATA_MAX_KEYS 100000       /* scalar keys kept per file */
#define RDATA_MAX_VAL 4096          /* bytes of one kept value */
#define RDATA_MAX_VALUES (1u << 30) /* elements of one per-request array */
#define RDATA_MAX_DEPTH 64
#define RDATA_MAX_LINE (64 << 20)          /* bytes of one sweep.jsonl line */
#define RDATA_MAX_STREAM ((size_t)1 << 36) /* bytes read from a pipe (not mappable) */
#define RDATA_RELEASE (64u << 20)          /* mapped bytes read before they are released */

/* The few helpers of the per-number path are inlined at every use: a call
 * per number costs as much as converting it. */
#define RDATA_HOT static inline __attribute__((always_inline))

RDATA_HOT void vec_push(report_vec *v, double x, bool *over)
{
    if (v->n == v->cap) {
        if (v->cap >= RDATA_MAX_VALUES) {
            *over = true;
            return;
        }
        v->cap = v->cap ? 2 * v->cap : 1024;
        v->v = sb_xrealloc(v->v, v->cap * sizeof *v->v);
    }
    v->v[v->n++] = x;
}

/* The plain decimal form the writers use ("0.012345678901234567", "512")
 * is read as an integer mantissa over a power of ten: exact up to 15
 * significant digits, within an ulp or two up to 19 (values are only
 * drawn; printed figures are kept as text). Anything else goes to strtod.
 * s[0..len) is a valid JSON number. */
static double parse_num(const char *s, size_t len)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0, digits = 0;
    int frac = -1;
    bool neg = len && s[0] == '-';
    uint64_t m = 0;
    for (i = neg; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            m = m * 10 + (uint64_t)(c - '0');
            if (m) /* significant digits: leading zeros do not grow m */
                digits++;
            if (frac >= 0)
                frac++;
        } else if (c == '.' && frac < 0) {
            frac = 0;
        } else {
            break;
        }
    }
    if (i == len && digits <= 19 && frac <= 22) {
        double d = (double)m / p10[frac < 0 ? 0 : frac];
        return neg ? -d : d;
    }
    char tmp[64];
    char *t = len < sizeof tmp ? tmp : sb_xmalloc(len + 1);
    memcpy(t, s, len);
    t[len] = '\0';
    double d = strtod(t, NULL);
    if (t != tmp)
        free(t);
    return d;
}

typedef enum target { T_NONE, T_VEC, T_ITLS, T_ERRORS } target;

typedef struct rstate {
    report_run *r;
    int depth;
    char key[256];
    bool in_sb; /* inside the top-level "servebench" object */
    target tgt; /* the top-level array being read */
    report_vec *vec;
    /* inside servebench.server_metrics / gpu_metrics (depth 3 and deeper) */
    report_tm *tm;
    char tkey[64];    /* its key being read (depth 3) */
    char skey[64];    /* series name (depth 4, inside "series") */
    char gkey[16];    /* key inside one gaps[] entry (depth 5) */
    report_vec *tvec; /* the t_s or series array being read */
    int tvec_depth;   /* the depth of its values */
    /* inside servebench.multi_turn (depth 3 and deeper) */
    bool mt;
    bool pt, pt_seen;  /* inside its per_turn array; one was read */
    report_turn *turn; /* the per_turn entry being read (depth 5 and deeper) */
    bool turn_bad;     /* one of its fields is not a number */
    char mkey[16];     /* key in multi_turn (depth 3) */
    char fkey[32];     /* key in one per_turn entry (depth 5) */
    char qkey[16];     /* key in its ttft_ms (depth 6) */
    bool over, too_deep;
} rstate;

static void kv_add(rstate *st, const char *val, size_t len, bool is_str)
{
    report_run *r = st->r;
    if (r->n_kv >= RDATA_MAX_KEYS)
        return;
    if (r->n_kv == r->cap_kv) {
        r->cap_kv = r->cap_kv ? 2 * r->cap_kv : 64;
        r->kv = sb_xrealloc(r->kv, r->cap_kv * sizeof *r->kv);
    }
    char k[300];
    snprintf(k, sizeof k, "%s%s", st->in_sb ? "servebench." : "", st->key);
    report_kv *e = &r->kv[r->n_kv++];
    e->key = sb_xstrdup(k);
    e->val = sb_xstrndup(val, len < RDATA_MAX_VAL ? len : RDATA_MAX_VAL);
    e->is_str = is_str;
}

/* A scalar at the level of the top object (1) or of "servebench" (2). */
static bool scalar_level(const rstate *st)
{
    return st->depth == 1 || (st->in_sb && st->depth == 2);
}

/* A value inside servebench.multi_turn.per_turn: the entry's numbers and
 * its ttft_ms figures; anything else there (a string, a bool, null, a
 * value that is no object) sets the entry aside. */
static void turn_value(rstate *st, double x, const char *text, size_t len, bool is_str)
{
    if (st->depth == 4) { /* an element that is no object */
        st->r->turns_skipped++;
        return;
    }
    report_turn *t = st->turn;
    if (!t)
        return;
    double *dst = NULL;
    if (st->depth == 5) {
        static const char *const names[] = {"turn", "requests", "completed", "mean_input_len",
                                            "mean_output_len"};
        double *f[] = {&t->turn, &t->requests, &t->completed, &t->mean_input_len,
                       &t->mean_output_len};
        for (size_t i = 0; i < 5; i++)
            if (!strcmp(st->fkey, names[i]))
                dst = f[i];
    } else if (st->depth == 6 && !strcmp(st->fkey, "ttft_ms")) {
        dst = !strcmp(st->qkey, "mean")     ? &t->ttft_mean
              : !strcmp(st->qkey, "median") ? &t->ttft_median
              : !strcmp(st->qkey, "p99")    ? &t->ttft_p99
                                            : NULL;
    }
    if (!dst)
        return;
    bool word = len == 4 ? !memcmp(text, "true", 4) : len == 5 && !memcmp(text, "false", 5);
    if (is_str || word || !isfinite(x))
        st->turn_bad = true;
    else
        *dst = x;
}

/* A value inside a telemetry block. */
static void tm_value(rstate *st, double x, const char *text, size_t len, bool is_str)
{
    report_tm *tm = st->tm;
    if (st->depth == 3) {
        if (!strcmp(st->tkey, "interval_s") && !is_str)
            tm->interval_s = x;
        else if (!strcmp(st->tkey, "source") && is_str && !tm->source)
            tm->source = sb_xstrndup(text, len < 64 ? len : 64);
    } else if (st->tvec && st->depth == st->tvec_depth) {
        vec_push(st->tvec, is_str ? NAN : x, &st->over);
    } else if (st->depth == 5 && !strcmp(st->tkey, "gaps") && !strcmp(st->gkey, "t_s") && !is_str) {
        vec_push(&tm->gaps, x, &st->over);
    }
}

static void value(rstate *st, double x, const char *text, size_t len, bool is_str)
{
    if (st->tm) {
        tm_value(st, x, text, len, is_str);
        return;
    }
    if (st->pt) {
        turn_value(st, x, text, len, is_str);
        return;
    }
    if (scalar_level(st) && st->tgt == T_NONE) {
        kv_add(st, text, len, is_str);
        return;
    }
    if (st->tgt == T_VEC && st->depth == 2)
        vec_push(st->vec, x, &st->over);
    else if (st->tgt == T_ITLS && st->depth == 3)
        vec_push(&st->r->itls, x, &st->over);
    else if (st->tgt == T_ERRORS && st->depth == 2)
        vec_push(&st->r->failed, is_str && len > 0 ? 1 : 0, &st->over);
}

static void number(rstate *st, const char *s, size_t len)
{
    double x = parse_num(s, len);
    if (isinf(x) && scalar_level(st) && st->tgt == T_NONE && !st->tm)
        value(st, x, x > 0 ? "Infinity" : "-Infinity", x > 0 ? 8 : 9, false);
    else
        value(st, x, s, len, false);
}

/* A per_turn entry begins: all NAN until its numbers are read. */
static void turn_start(rstate *st)
{
    report_run *r = st->r;
    st->turn = NULL;
    st->turn_bad = false;
    st->fkey[0] = st->qkey[0] = '\0';
    if (r->n_turns >= REPORT_MAX_TURNS) {
        r->turns_skipped++;
        return;
    }
    if (r->n_turns == r->cap_turns) {
        r->cap_turns = r->cap_turns ? 2 * r->cap_turns : 16;
        r->turns = sb_xrealloc(r->turns, r->cap_turns * sizeof *r->turns);
    }
    st->turn = &r->turns[r->n_turns++];
    *st->turn = (report_turn){NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
}

/* An object or array as the value of one of the entry's number fields. */
static void turn_nested(rstate *st)
{
    static const char *const names[] = {"turn", "requests", "completed", "mean_input_len",
                                        "mean_output_len"};
    for (size_t i = 0; i < 5; i++)
        if (!strcmp(st->fkey, names[i]))
            st->turn_bad = true;
}

/* A per_turn entry ends: kept when its turn index is a number and no field
 * had the wrong type. */
static void turn_end(rstate *st)
{
    report_run *r = st->r;
    if (st->turn && (st->turn_bad || !isfinite(st->turn->turn))) {
        r->n_turns--;
        r->turns_skipped++;
    }
    st->turn = NULL;
}

static bool start_map(rstate *st)
{
    if (st->depth == 1 && st->tgt == T_NONE && !strcmp(st->key, "servebench"))
        st->in_sb = true;
    if (st->in_sb && st->depth == 2 && !st->tm) {
        report_tm *tm = !strcmp(st->key, "server_metrics") ? &st->r->server
                        : !strcmp(st->key, "gpu_metrics")  ? &st->r->gpu
                                                           : NULL;
        if (tm && !tm->present) {
            tm->present = true;
            st->tm = tm;
            st->tkey[0] = '\0';
        }
    }
    if (st->in_sb && st->depth == 2 && !st->tm && !st->mt && !strcmp(st->key, "multi_turn")) {
        st->mt = true;
        st->mkey[0] = '\0';
    }
    if (st->pt && st->depth == 4)
        turn_start(st);
    else if (st->turn && st->depth == 5 && strcmp(st->fkey, "ttft_ms") != 0)
        turn_nested(st);
    if (++st->depth > RDATA_MAX_DEPTH) {
        st->too_deep = true;
        return false;
    }
    return true;
}

static void copy_key(char *dst, size_t cap, const char *k, size_t len)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(dst, k, n);
    dst[n] = '\0';
}

static void key(rstate *st, const char *k, size_t len)
{
    if (st->mt) {
        if (st->depth == 3)
            copy_key(st->mkey, sizeof st->mkey, k, len);
        else if (st->depth == 5)
            copy_key(st->fkey, sizeof st->fkey, k, len);
        else if (st->depth == 6)
            copy_key(st->qkey, sizeof st->qkey, k, len);
        return;
    }
    if (st->tm) {
        if (st->depth == 3)
            copy_key(st->tkey, sizeof st->tkey, k, len);
        else if (st->depth == 4)
            copy_key(st->skey, sizeof st->skey, k, len);
        else if (st->depth == 5)
            copy_key(st->gkey, sizeof st->gkey, k, len);
        return;
    }
    if (st->depth == 1 || (st->in_sb && st->depth == 2))
        copy_key(st->key, sizeof st->key, k, len);
}

static void end_container(rstate *st)
{
    st->depth--;
    if (st->tvec && st->depth < st->tvec_depth)
        st->tvec = NULL;
    if (st->tm && st->depth == 2)
        st->tm = NULL;
    if (st->pt && st->depth == 4)
        turn_end(st);
    if (st->pt && st->depth == 3)
        st->pt = false;
    if (st->mt && st->depth == 2)
        st->mt = false;
    if (st->depth == 1) {
        st->tgt = T_NONE;
        st->in_sb = false;
    }
}

/* A new series of the telemetry block being read (NULL past the cap or
 * for a repeated name). */
static report_vec *tm_new_series(report_tm *tm, const char *name)
{
    if (tm->n_s >= REPORT_TM_MAX_SERIES || report_tm_get(tm, name))
        return NULL;
    tm->s = sb_xrealloc(tm->s, (tm->n_s + 1) * sizeof *tm->s);
    report_tm_series *e = &tm->s[tm->n_s++];
    memset(e, 0, sizeof *e);
    e->key = sb_xstrdup(name);
    return &e->v;
}

static bool start_array(rstate *st)
{
    report_run *r = st->r;
    if (st->pt && st->depth == 4) {
        r->turns_skipped++; /* an element that is no object */
    } else if (st->turn && st->depth == 5) {
        turn_nested(st);
    } else if (st->mt && st->depth == 3 && !st->pt_seen && !strcmp(st->mkey, "per_turn")) {
        st->pt = st->pt_seen = true;
    } else if (st->tm) {
        report_vec *v = NULL;
        if (st->depth == 3 && !strcmp(st->tkey, "t_s") && st->tm->t.n == 0)
            v = &st->tm->t;
        else if (st->depth == 4 && !strcmp(st->tkey, "series"))
            v = tm_new_series(st->tm, st->skey);
        if (v) {
            st->tvec = v;
            st->tvec_depth = st->depth + 1;
        }
    } else if (st->depth == 1) {
        static const char *const names[] = {"input_lens", "output_lens", "ttfts", "latencies",
                                            "start_times"};
        report_vec *vecs[] = {&r->input_lens, &r->output_lens, &r->ttfts, &r->latencies,
                              &r->start_times};
        for (size_t i = 0; i < 5; i++)
            if (!strcmp(st->key, names[i]) && vecs[i]->n == 0) {
                st->tgt = T_VEC;
                st->vec = vecs[i];
            }
        if (!strcmp(st->key, "itls") && r->itl_off.n == 0)
            st->tgt = T_ITLS;
        if (!strcmp(st->key, "errors") && r->failed.n == 0)
            st->tgt = T_ERRORS;
    } else if (st->tgt == T_ITLS && st->depth == 2) {
        vec_push(&r->itl_off, (double)r->itls.n, &st->over);
    }
    if (++st->depth > RDATA_MAX_DEPTH) {
        st->too_deep = true;
        return false;
    }
    return true;
}

/* ---- the JSON reader ---- */

typedef struct jreader {
    const char *base, *p, *end;
    const char *err; /* what is wrong, NULL while fine */
    size_t err_at;   /* byte offset of the problem */
    bool cut;        /* the input ended inside the value */
    bool mapped;     /* base is an mmap of the file */
    size_t released; /* mapped bytes already given back */
    sb_buf str;      /* the last string read, unescaped, at most RDATA_MAX_VAL + 4 bytes */
    rstate *st;
} jreader;

static bool jfail(jreader *j, const char *what)
{
    if (!j->err) {
        j->cut = j->p >= j->end;
        j->err = j->cut ? "the input ends inside a value" : what;
        j->err_at = (size_t)(j->p - j->base);
    }
    return false;
}

RDATA_HOT void jws(jreader *j)
{
    if (j->p < j->end && *j->p == ' ') /* the ", " and ": " our writers put */
        j->p++;
    if (j->p < j->end && (unsigned char)*j->p > ' ')
        return;
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

/* Gives the mapped pages already read back to the kernel, so resident
 * memory does not grow with the file. */
static void jrelease(jreader *j)
{
    size_t done = (size_t)(j->p - j->base);
    if (!j->mapped || done - j->released < RDATA_RELEASE)
        return;
    long pg = sysconf(_SC_PAGESIZE);
    size_t upto = done / (size_t)(pg > 0 ? pg : 4096) * (size_t)(pg > 0 ? pg : 4096);
    if (upto > j->released &&
        madvise((void *)(j->base + j->released), upto - j->released, MADV_DONTNEED) == 0)
        j->released = upto;
}

static bool jword(jreader *j, const char *w, size_t n)
{
    if ((size_t)(j->end - j->p) < n) {
        j->p = j->end;
        return jfail(j, "");
    }
    if (memcmp(j->p, w, n) != 0)
        return jfail(j, "unknown word (not true, false, null, NaN or Infinity)");
    j->p += n;
    return true;
}

RDATA_HOT bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads the decimal digits at *q into m (m * 10^k + digits, wrapping past
 * 19 digits, when the caller goes to strtod anyway); returns how many. Eight
 * at a time where the bytes allow: a number's 17 fraction digits are most
 * of a result file. */
RDATA_HOT size_t digits(const char **qp, const char *e, uint64_t *m)
{
    const char *q = *qp;
    uint64_t acc = *m;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (e - q >= 8) {
        uint64_t x;
        memcpy(&x, q, 8); /* byte k is the k-th character */
        const uint64_t hi = 0xF0F0F0F0F0F0F0F0u, zeros = 0x3030303030303030u;
        /* every byte 0x30..0x39: high nibble 3, and adding 6 does not carry out of the low one */
        if ((x & hi) != zeros || ((x + 0x0606060606060606u) & hi) != zeros)
            break;
        x -= zeros;
        x = x * 10 + (x >> 8); /* even bytes: two-digit values */
        x &= 0x00FF00FF00FF00FFu;
        x = x * 100 + (x >> 16); /* even 16-bit lanes: four-digit values */
        x &= 0x0000FFFF0000FFFFu;
        x = x * 10000 + (x >> 32); /* low 32 bits: the eight-digit value */
        acc = acc * 100000000u + (x & 0xFFFFFFFFu);
        q += 8;
    }
#endif
    while (q < e && is_digit(*q))
        acc = acc * 10 + (uint64_t)(*q++ - '0');
    size_t n = (size_t)(q - *qp);
    *qp = q;
    *m = acc;
    return n;
}

/* A number at j->p (not -Infinity), checked against the JSON grammar and
 * converted in the same pass: the digits accumulate into the mantissa
 * parse_num would build, so the fast path gives the same double as
 * parse_num; an exponent or more than 19 significant digits goes to
 * parse_num (strtod). *slow says the text may need number()'s care. */
RDATA_HOT bool jscan_number(jreader *j, double *out, bool *slow)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *s = j->p, *q = s, *e = j->end;
    bool neg = q < e && *q == '-', expo = false;
    q += neg;
    uint64_t m = 0;
    size_t sig = 0, frac = 0;
    if (q < e && *q == '0') {
        q++;
    } else if (q < e && *q >= '1' && *q <= '9') {
        sig = digits(&q, e, &m);
    } else {
        j->p = q;
        return jfail(j, "a value expected");
    }
    if (q < e && *q == '.') {
        const char *fs = ++q;
        if (m == 0) /* leading zeros of a fraction are no significant digits */
            while (q < e && *q == '0')
                q++;
        sig += digits(&q, e, &m);
        if (q == fs) {
            j->p = q;
            return jfail(j, "a digit expected after '.'");
        }
        frac = (size_t)(q - fs);
    }
    if (q < e && (*q == 'e' || *q == 'E')) {
        expo = true;
        q++;
        if (q < e && (*q == '+' || *q == '-'))
            q++;
        if (q >= e || !is_digit(*q)) {
            j->p = q;
            return jfail(j, "a digit expected in the exponent");
        }
        while (q < e && is_digit(*q))
            q++;
    }
    j->p = q;
    *slow = expo || sig > 19 || frac > 22;
    if (*slow) {
        *out = parse_num(s, (size_t)(q - s));
    } else {
        double d = (double)m / p10[frac];
        *out = neg ? -d : d;
    }
    return true;
}

static bool jnumber(jreader *j)
{
    const char *s = j->p;
    if (j->end - s >= 2 && s[0] == '-' && s[1] == 'I') {
        j->p++;
        if (!jword(j, "Infinity", 8))
            return false;
        value(j->st, -INFINITY, "-Infinity", 9, false);
        return true;
    }
    double x = 0;
    bool slow = false;
    if (!jscan_number(j, &x, &slow))
        return false;
    if (slow && isinf(x))
        number(j->st, s, (size_t)(j->p - s)); /* 1e999 at a scalar key reads "Infinity" */
    else
        value(j->st, x, s, (size_t)(j->p - s), false);
    return true;
}

/* Length of the UTF-8 sequence at q (RFC 3629: no overlong forms, no
 * surrogates, at most U+10FFFF), 0 when invalid, -1 when cut by the end. */
static int utf8_len(const unsigned char *q, const unsigned char *e)
{
    unsigned char c = q[0];
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if (q + i >= e)
            return -1;
        unsigned char lim_lo = i == 1 ? lo : 0x80, lim_hi = i == 1 ? hi : 0xBF;
        if (q[i] < lim_lo || q[i] > lim_hi)
            return 0;
    }
    return n;
}

static int hex4(const unsigned char *q, const unsigned char *e)
{
    if (e - q < 4)
        return -2;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = q[i], d = c >= '0' && c <= '9'   ? c - '0'
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Appends to the kept string, up to its cap (kept values are cut at
 * RDATA_MAX_VAL; an "errors" entry only needs to be non-empty). */
static void jkeep(jreader *j, const void *p, size_t n)
{
    size_t room = RDATA_MAX_VAL + 4 > j->str.len ? RDATA_MAX_VAL + 4 - j->str.len : 0;
    sb_buf_append(&j->str, p, n < room ? n : room);
}

static void jkeep_cp(jreader *j, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    jkeep(j, u, n);
}

/* A \u escape at q (after the backslash and 'u'); a surrogate pair counts
 * as one character, a lone surrogate becomes U+FFFD. Returns bytes read
 * after the 'u', 0 on error. */
static size_t junicode(jreader *j, const unsigned char *q, const unsigned char *e)
{
    int cp = hex4(q, e);
    if (cp < 0) {
        j->p = (const char *)(cp == -2 ? e : q);
        return jfail(j, "four hex digits expected after \\u"), 0;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF && e - q >= 10 && q[4] == '\\' && q[5] == 'u') {
        int lo = hex4(q + 6, e);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            jkeep_cp(j, 0x10000 + (((unsigned)cp - 0xD800) << 10) + ((unsigned)lo - 0xDC00));
            return 10;
        }
    }
    jkeep_cp(j, cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : (unsigned)cp);
    return 4;
}

/* The string at j->p (its opening quote) into j->str. */
static bool jstring(jreader *j)
{
    const unsigned char *q = (const unsigned char *)j->p + 1, *e = (const unsigned char *)j->end;
    const unsigned char *run = q;
    sb_buf_reset(&j->str);
    for (;;) {
        while (q < e && *q >= 0x20 && *q != '"' && *q != '\\' && *q < 0x80)
            q++;
        if (q >= e) {
            j->p = (const char *)q;
            return jfail(j, "");
        }
        if (*q == '"') {
            jkeep(j, run, (size_t)(q - run));
            j->p = (const char *)q + 1;
            sb_buf_append(&j->str, "", 0); /* a terminated, non-NULL data */
            return true;
        }
        if (*q < 0x20) {
            j->p = (const char *)q;
            return jfail(j, "a control character inside a string");
        }
        if (*q >= 0x80) {
            int n = utf8_len(q, e);
            if (n <= 0) {
                j->p = (const char *)(n < 0 ? e : q);
                return jfail(j, "invalid UTF-8 inside a string");
            }
            q += n;
            continue;
        }
        jkeep(j, run, (size_t)(q - run)); /* a backslash */
        if (++q >= e) {
            j->p = (const char *)q;
            return jfail(j, "");
        }
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *f = *q ? strchr(from, *q) : NULL;
        if (f) {
            jkeep(j, &to[f - from], 1);
            q++;
        } else if (*q == 'u') {
            size_t n = junicode(j, q + 1, e);
            if (!n)
                return false;
            q += 1 + n;
        } else {
            j->p = (const char *)q;
            return jfail(j, "an unknown escape inside a string");
        }
        run = q;
    }
}

static bool jvalue(jreader *j);

/* The vector the plain numbers of the array just opened go to, as value()
 * would put them (ttfts, one request's ITLs, a telemetry series), or NULL. */
static report_vec *direct_vec(const rstate *st)
{
    if (st->tm)
        return st->tvec && st->depth == st->tvec_depth ? st->tvec : NULL;
    if (st->tgt == T_VEC && st->depth == 2)
        return st->vec;
    if (st->tgt == T_ITLS && st->depth == 3)
        return &st->r->itls;
    return NULL;
}

static bool jarray(jreader *j)
{
    j->p++;
    if (!start_array(j->st))
        return jfail(j, "nested too deep");
    jws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        end_container(j->st);
        return true;
    }
    report_vec *direct = direct_vec(j->st);
    for (;;) {
        /* the per-request arrays are most of a file: their plain numbers skip value() */
        jws(j);
        char c = j->p < j->end ? *j->p : 0;
        if (direct && (is_digit(c) || (c == '-' && j->end - j->p >= 2 && j->p[1] != 'I'))) {
            double x = 0; /* (set on success; the MinSizeRel build cannot see it) */
            bool slow = false;
            if (!jscan_number(j, &x, &slow))
                return false;
            vec_push(direct, x, &j->st->over);
        } else if (!jvalue(j)) {
            return false;
        }
        jws(j);
        if (j->p >= j->end)
            return jfail(j, "");
        if (*j->p == ',') {
            j->p++;
            jrelease(j);
            continue;
        }
        if (*j->p != ']')
            return jfail(j, "',' or ']' expected");
        j->p++;
        end_container(j->st);
        return true;
    }
}

static bool jobject(jreader *j)
{
    j->p++;
    if (!start_map(j->st))
        return jfail(j, "nested too deep");
    jws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        end_container(j->st);
        return true;
    }
    for (;;) {
        jws(j);
        if (j->p >= j->end)
            return jfail(j, "");
        if (*j->p != '"')
            return jfail(j, "a key (a string) expected");
        if (!jstring(j))
            return false;
        key(j->st, j->str.data, j->str.len);
        jws(j);
        if (j->p >= j->end)
            return jfail(j, "");
        if (*j->p != ':')
            return jfail(j, "':' expected after a key");
        j->p++;
        if (!jvalue(j))
            return false;
        jws(j);
        if (j->p >= j->end)
            return jfail(j, "");
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p != '}')
            return jfail(j, "',' or '}' expected");
        j->p++;
        end_container(j->st);
        return true;
    }
}

static bool jvalue(jreader *j)
{
    jws(j);
    if (j->p >= j->end)
        return jfail(j, "");
    switch (*j->p) {
    case '{':
        return jobject(j);
    case '[':
        return jarray(j);
    case '"':
        if (!jstring(j))
            return false;
        value(j->st, NAN, j->str.data, j->str.len, true);
        return true;
    case 't':
        if (!jword(j, "true", 4))
            return false;
        value(j->st, 1, "true", 4, false);
        return true;
    case 'f':
        if (!jword(j, "false", 5))
            return false;
        value(j->st, 0, "false", 5, false);
        return true;
    case 'n':
    case 'N': /* NaN, as Python's json.dump writes it, reads as null */
        if (!(*j->p == 'n' ? jword(j, "null", 4) : jword(j, "NaN", 3)))
            return false;
        value(j->st, NAN, "null", 4, false);
        return true;
    case 'I':
        if (!jword(j, "Infinity", 8))
            return false;
        value(j->st, INFINITY, "Infinity", 8, false);
        return true;
    default:
        return jnumber(j);
    }
}

/* The file's bytes: mapped when it is a regular file, else read (a pipe)
 * up to RDATA_MAX_STREAM. 0, or -1 with err. */
static int jopen(jreader *j, const char *path, sb_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sb_err_set(err, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    int rc = 0;
    if (fstat(fd, &sb) != 0) {
        rc = sb_err_set(err, "reading %s: %s", path, strerror(errno));
    } else if (S_ISDIR(sb.st_mode)) {
        rc = sb_err_set(err, "reading %s: %s", path, strerror(EISDIR));
    } else if (S_ISREG(sb.st_mode) && sb.st_size > 0) {
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            rc = sb_err_set(err, "reading %s: %s", path, strerror(errno));
        } else {
            (void)madvise(m, (size_t)sb.st_size, MADV_SEQUENTIAL);
            j->base = m;
            j->end = j->base + sb.st_size;
            j->mapped = true;
        }
    } else {
        sb_buf b;
        sb_buf_init(&b);
        char chunk[65536];
        for (;;) {
            ssize_t n = read(fd, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                rc = sb_err_set(err, "reading %s: %s", path, strerror(errno));
                break;
            }
            if (n == 0)
                break;
            if (b.len + (size_t)n > RDATA_MAX_STREAM) {
                rc = sb_err_set(err, "reading %s: more than %zu GiB", path, RDATA_MAX_STREAM >> 30);
                break;
            }
            sb_buf_append(&b, chunk, (size_t)n);
        }
        if (rc == 0 && b.data) {
            j->base = b.data;
            j->end = b.data + b.len;
        } else {
            sb_buf_free(&b);
        }
    }
    close(fd);
    j->p = j->base;
    return rc;
}

static void jclose(jreader *j)
{
    if (j->mapped)
        munmap((void *)j->base, (size_t)(j->end - j->base));
    else
        free((void *)j->base);
    sb_buf_free(&j->str);
}

int report_run_load(report_run *r, const char *path, sb_err *err)
{
    memset(r, 0, sizeof *r);
    r->path = sb_xstrdup(path);
    rstate st = {.r = r};
    jreader j = {.st = &st};
    sb_buf_init(&j.str);
    if (jopen(&j, path, err) != 0) {
        jclose(&j);
        return -1;
    }
    int rc = 0;
    size_t total = (size_t)(j.end - j.base);
    jws(&j);
    if (j.p >= j.end) {
        rc = sb_err_set(err, "%s: %s", path,
                        total ? "truncated JSON (the object never closes)" : "empty file");
    } else if (!jvalue(&j)) {
        if (st.too_deep)
            rc = sb_err_set(err, "%s: JSON nested deeper than %d levels", path, RDATA_MAX_DEPTH);
        else if (j.cut)
            rc = sb_err_set(err, "%s: truncated JSON (the object never closes)", path);
        else
            rc = sb_err_set(err, "%s: not valid JSON near byte %zu: %s", path, j.err_at, j.err);
    }
    if (rc == 0 && st.over) {
        rc = sb_err_set(err, "%s: a per-request array holds more than %u values", path,
                        RDATA_MAX_VALUES);
    } else if (rc == 0 && (!report_run_get(r, "duration") || !report_run_get(r, "completed"))) {
        rc = sb_err_set(err,
                        "%s: not a benchmark result JSON (no \"duration\"/\"completed\" key; "
                        "write one with `servebench serve --save-result`)",
                        path);
    }
    if (rc == 0 && r->itl_off.n)
        vec_push(&r->itl_off, (double)r->itls.n, &st.over);
    size_t nreq = r->ttfts.n;
    if (rc == 0 && nreq &&
        ((r->input_lens.n && r->input_lens.n != nreq) ||
         (r->output_lens.n && r->output_lens.n != nreq) ||
         (r->latencies.n && r->latencies.n != nreq) ||
         (r->start_times.n && r->start_times.n != nreq) || (r->failed.n && r->failed.n != nreq) ||
         (r->itl_off.n && r->itl_off.n != nreq + 1)))
        rc = sb_err_set(err,
                        "%s: the per-request arrays (ttfts, itls, input_lens, ...) differ "
                        "in length",
                        path);
    jclose(&j);
    return rc;
}

void report_run_free(report_run *r)
{
    for (size_t i = 0; i < r->n_kv; i++) {
        free(r->kv[i].key);
        free(r->kv[i].val);
    }
    free(r->kv);
    report_tm *tms[] = {&r->server, &r->gpu};
    for (size_t i = 0; i < 2; i++) {
        for (size_t k = 0; k < tms[i]->n_s; k++) {
            free(tms[i]->s[k].key);
            free(tms[i]->s[k].v.v);
        }
        free(tms[i]->s);
        free(tms[i]->source);
        free(tms[i]->t.v);
        free(tms[i]->gaps.v);
    }
    report_vec *v[] = {&r->input_lens,  &r->output_lens, &r->ttfts,   &r->latencies,
                       &r->start_times, &r->itls,        &r->itl_off, &r->failed};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        free(v[i]->v);
    free(r->turns);
    free(r->path);
    memset(r, 0, sizeof *r);
}

const char *report_run_get(const report_run *r, const char *key)
{
    for (size_t i = 0; i < r->n_kv; i++)
        if (!strcmp(r->kv[i].key, key))
            return r->kv[i].val;
    return NULL;
}

double report_run_num(const report_run *r, const char *key)
{
    for (size_t i = 0; i < r->n_kv; i++)
        if (!strcmp(r->kv[i].key, key)) {
            if (r->kv[i].is_str && strcmp(r->kv[i].val, "inf") != 0)
                return NAN;
            char *end;
            double d = strtod(r->kv[i].val, &end);
            return end != r->kv[i].val && !*end ? d : NAN;
        }
    return NAN;
}

const report_vec *report_tm_get(const report_tm *tm, const char *key)
{
    for (size_t i = 0; i < tm->n_s; i++)
        if (!strcmp(tm->s[i].key, key))
            return &tm->s[i].v;
    return NULL;
}

size_t report_run_requests(const report_run *r)
{
    return r->ttfts.n;
}

/* ---- sweep.jsonl ---- */

bool report_is_sweep(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char head[256] = "";
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[n] = '\0';
    char *nl = strchr(head, '\n');
    if (nl)
        *nl = '\0';
    /* every sweep.jsonl line starts with its "type" key (docs/sweep.md) */
    return !strncmp(head, "{\"type\": ", 9) || !strncmp(head, "{\"type\":", 8);
}

static char *params_text(json_t *params, const char *skip)
{
    sb_buf b;
    sb_buf_init(&b);
    const char *k;
    json_t *v;
    json_object_foreach(params, k, v)
    {
        if (skip && !strcmp(k, skip))
            continue;
        sb_buf_printf(&b, "%s%s=%s", b.len ? " " : "", k,
                      json_is_string(v) ? json_string_value(v) : "?");
    }
    return sb_buf_steal(&b);
}

static double load_of(json_t *params, const char *axis)
{
    json_t *v = axis ? json_object_get(params, axis) : NULL;
    if (json_is_number(v))
        return json_number_value(v);
    if (!json_is_string(v))
        return NAN;
    const char *s = json_string_value(v);
    if (!strcmp(s, "inf"))
        return INFINITY;
    char *end;
    double d = strtod(s, &end);
    return end != s && !*end ? d : NAN;
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static double jnum(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* An integer field (point index, run counts); -1 when absent or not one. */
static int jint(json_t *o, const char *k)
{
    double d = jnum(o, k);
    return d >= 0 && d <= 1e9 && d == floor(d) ? (int)d : -1;
}

static report_point *point_at(report_sweep *s, int index)
{
    for (size_t i = 0; i < s->n_pts; i++)
        if (s->pts[i].index == index)
            return &s->pts[i];
    s->pts = sb_xrealloc(s->pts, (s->n_pts + 1) * sizeof *s->pts);
    report_point *p = &s->pts[s->n_pts++];
    memset(p, 0, sizeof *p);
    p->index = index;
    p->load = NAN;
    return p;
}

static void sweep_header(report_sweep *s, json_t *o)
{
    free(s->mode);
    s->mode = sb_xstrdup(jstr(o, "mode") ? jstr(o, "mode") : "grid");
    json_t *search = json_object_get(o, "search");
    const char *axis = json_is_object(search) ? jstr(search, "axis") : NULL;
    char buf[128];
    if (axis) {
        snprintf(buf, sizeof buf, "--%s", axis);
    } else {
        /* grid: the load axis is --request-rate, else --max-concurrency, else the first */
        buf[0] = '\0';
        json_t *axes = json_object_get(o, "axes"), *a;
        size_t i;
        json_array_foreach(axes, i, a)
        {
            const char *f = jstr(a, "flag");
            if (f && (!buf[0] || !strcmp(f, "--request-rate") ||
                      (!strcmp(f, "--max-concurrency") && strcmp(buf, "--request-rate") != 0)))
                snprintf(buf, sizeof buf, "%s", f);
        }
    }
    free(s->load_axis);
    s->load_axis = buf[0] ? sb_xstrdup(buf) : NULL;
    json_t *slo = json_object_get(o, "slo"), *e;
    size_t i;
    json_array_foreach(slo, i, e)
    {
        if (!jstr(e, "key") || !json_is_number(json_object_get(e, "value")))
            continue;
        s->slo = sb_xrealloc(s->slo, (s->n_slo + 1) * sizeof *s->slo);
        s->slo[s->n_slo++] =
            (report_slo){sb_xstrdup(jstr(e, "key")),
                         sb_xstrdup(jstr(e, "op") ? jstr(e, "op") : "<="), jnum(e, "value")};
    }
}

static void sweep_point(report_sweep *s, json_t *o)
{
    report_point *p = point_at(s, jint(o, "point"));
    json_t *params = json_object_get(o, "params");
    free(p->params);
    free(p->group);
    p->params = params_text(params, NULL);
    p->group = params_text(params, s->load_axis);
    p->load = load_of(params, s->load_axis);
    p->max_concurrency = load_of(params, "--max-concurrency");
    p->runs = jint(o, "runs");
    p->ok_runs = jint(o, "ok_runs");
    p->partial = json_is_true(json_object_get(o, "partial"));
    free(p->client_health);
    p->client_health = sb_xstrdup(jstr(o, "client_health") ? jstr(o, "client_health") : "unknown");
    json_t *stats = json_object_get(o, "stats"), *st;
    const char *k;
    json_object_foreach(stats, k, st)
    {
        if (!json_is_number(json_object_get(st, "mean")))
            continue;
        size_t n = p->n_keys++;
        p->keys = sb_xrealloc(p->keys, p->n_keys * sizeof *p->keys);
        p->means = sb_xrealloc(p->means, p->n_keys * sizeof *p->means);
        p->ci_lo = sb_xrealloc(p->ci_lo, p->n_keys * sizeof *p->ci_lo);
        p->ci_hi = sb_xrealloc(p->ci_hi, p->n_keys * sizeof *p->ci_hi);
        p->keys[n] = sb_xstrdup(k);
        p->means[n] = jnum(st, "mean");
        p->ci_lo[n] = jnum(st, "ci95_low");
        p->ci_hi[n] = jnum(st, "ci95_high");
    }
}

static void sweep_run(report_sweep *s, json_t *o)
{
    const char *status = jstr(o, "status");
    if (!status || !strcmp(status, "started"))
        return;
    report_point *p = point_at(s, jint(o, "point"));
    if (strcmp(status, "ok") != 0) {
        s->n_failed_runs++;
        return;
    }
    if (!p->result_file && jstr(o, "result_file")) {
        p->result_file = sb_xstrdup(jstr(o, "result_file"));
        p->fingerprint = sb_xstrdup(jstr(o, "fingerprint") ? jstr(o, "fingerprint") : "");
    }
}

/* One line (without its newline) into b; 1 read, 0 at end of file, -1 past
 * RDATA_MAX_LINE. Sweep lines are small; the cap only stops a foreign file
 * from filling memory. */
static int read_line(FILE *f, sb_buf *b)
{
    char chunk[65536];
    sb_buf_reset(b);
    bool any = false;
    while (fgets(chunk, sizeof chunk, f)) {
        any = true;
        size_t n = strlen(chunk);
        bool nl = n && chunk[n - 1] == '\n';
        sb_buf_append(b, chunk, n - nl);
        if (b->len > RDATA_MAX_LINE)
            return -1;
        if (nl)
            return 1;
    }
    if (!b->data)
        sb_buf_append(b, "", 0);
    return any ? 1 : 0;
}

int report_sweep_load(report_sweep *s, const char *path, sb_err *err)
{
    memset(s, 0, sizeof *s);
    s->path = sb_xstrdup(path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return sb_err_set(err, "cannot open %s: %s", path, strerror(errno));
    sb_buf line;
    sb_buf_init(&line);
    size_t lineno = 0;
    int rc = 0;
    bool header = false;
    for (;;) {
        int status = read_line(f, &line);
        if (status == 0)
            break;
        lineno++;
        if (status < 0) {
            rc = sb_err_set(err, "%s:%zu: line longer than %d MiB", path, lineno,
                            RDATA_MAX_LINE >> 20);
            break;
        }
        size_t len = line.len;
        if (len == 0 || (len == 1 && line.data[0] == '\r'))
            continue;
        json_error_t je;
        json_t *o = json_loadb(line.data, len, 0, &je);
        if (!o || !json_is_object(o)) {
            /* only the last line may be cut short by a killed sweep */
            bool last = fgetc(f) == EOF;
            json_decref(o);
            if (last && lineno > 1)
                break;
            rc = sb_err_set(err, "%s:%zu: not a JSON object: %s", path, lineno,
                            o ? "another JSON value" : je.text);
            break;
        }
        const char *type = jstr(o, "type");
        if (!type) {
            json_decref(o);
            rc = sb_err_set(err, "%s:%zu: no \"type\" key (not a servebench sweep file)", path,
                            lineno);
            break;
        }
        if (!strcmp(type, "sweep")) {
            const char *schema = jstr(o, "schema");
            if (!schema || strncmp(schema, "servebench-sweep/", 17) != 0) {
                rc = sb_err_set(err, "%s:%zu: unknown sweep schema '%s'", path, lineno,
                                schema ? schema : "(none)");
                json_decref(o);
                break;
            }
            sweep_header(s, o);
            header = true;
        } else if (!header) {
            rc = sb_err_set(err, "%s:%zu: a \"%s\" line before the \"sweep\" line", path, lineno,
                            type);
            json_decref(o);
            break;
        } else if (!strcmp(type, "point")) {
            sweep_point(s, o);
        } else if (!strcmp(type, "run")) {
            sweep_run(s, o);
        } else if (!strcmp(type, "capacity")) {
            s->has_capacity = true;
            s->capacity_found = json_is_true(json_object_get(o, "found"));
            s->capacity = jnum(o, "capacity");
            s->upper = jnum(o, "upper");
            free(s->capacity_reason);
            s->capacity_reason =
                jstr(o, "next_failed_reason") ? sb_xstrdup(jstr(o, "next_failed_reason")) : NULL;
        }
        json_decref(o);
    }
    sb_buf_free(&line);
    fclose(f);
    if (rc == 0 && !header)
        rc = sb_err_set(err, "%s: empty sweep file", path);
    return rc;
}

void report_sweep_free(report_sweep *s)
{
    for (size_t i = 0; i < s->n_pts; i++) {
        report_point *p = &s->pts[i];
        free(p->params);
        free(p->group);
        free(p->client_health);
        free(p->result_file);
        free(p->fingerprint);
        for (size_t k = 0; k < p->n_keys; k++)
            free(p->keys[k]);
        free(p->keys);
        free(p->means);
        free(p->ci_lo);
        free(p->ci_hi);
    }
    for (size_t i = 0; i < s->n_slo; i++) {
        free(s->slo[i].key);
        free(s->slo[i].op);
    }
    free(s->slo);
    free(s->pts);
    free(s->path);
    free(s->mode);
    free(s->load_axis);
    free(s->capacity_reason);
    memset(s, 0, sizeof *s);
}

double report_point_mean(const report_point *p, const char *key)
{
    for (size_t i = 0; i < p->n_keys; i++)
        if (!strcmp(p->keys[i], key))
            return p->means[i];
    return NAN;
}
