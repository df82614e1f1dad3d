/* SPDX-License-Identifier: Apache-2.0 */
/* rdata.c - reading result JSON files (streamed through YAJL) and sweep
 * JSON Lines files (jansson, one small object a line).
 *
 * Python's json.dump writes NaN and Infinity bare, and so does our writer;
 * YAJL rejects them, so the bytes pass through a filter that turns NaN into
 * null and Infinity into 1e999 (read back as inf by strtod) outside strings.
 * Numbers arrive as text (yajl_number) and take a fast path for the plain
 * decimal form the writers use; anything else goes to strtod. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "core/buf.h"
#include "report/rdata.h"

#define RDATA_MAX_KEYS 100000       /* scalar keys kept per file */
#define RDATA_MAX_VAL 4096          /* bytes of one kept value */
#define RDATA_MAX_VALUES (1u << 30) /* elements of one per-request array */
#define RDATA_MAX_DEPTH 64
#define RDATA_MAX_LINE (64 << 20) /* bytes of one sweep.jsonl line */

static void vec_push(report_vec *v, double x, bool *over)
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
 * drawn; printed figures are kept as text). Anything else goes to strtod. */
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
    if (len >= sizeof tmp)
        return NAN;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    return strtod(tmp, NULL);
}

typedef enum target { T_NONE, T_VEC, T_ITLS, T_ERRORS } target;

typedef struct rstate {
    report_run *r;
    int depth;
    char key[256];
    bool in_sb; /* inside the top-level "servebench" object */
    target tgt; /* the top-level array being read */
    report_vec *vec;
    bool over, done, too_deep;
    size_t n_values;
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

static void value(rstate *st, double x, const char *text, size_t len, bool is_str)
{
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

static int cb_null(void *ud)
{
    value(ud, NAN, "null", 4, false);
    return 1;
}

static int cb_bool(void *ud, int b)
{
    value(ud, b, b ? "true" : "false", b ? 4 : 5, false);
    return 1;
}

static int cb_number(void *ud, const char *s, size_t len)
{
    rstate *st = ud;
    double x = parse_num(s, len);
    if (isinf(x) && scalar_level(st) && st->tgt == T_NONE)
        value(st, x, x > 0 ? "Infinity" : "-Infinity", x > 0 ? 8 : 9, false);
    else
        value(st, x, s, len, false);
    return 1;
}

static int cb_string(void *ud, const unsigned char *s, size_t len)
{
    value(ud, NAN, (const char *)s, len, true);
    return 1;
}

static int cb_start_map(void *ud)
{
    rstate *st = ud;
    if (st->depth == 1 && st->tgt == T_NONE && !strcmp(st->key, "servebench"))
        st->in_sb = true;
    if (++st->depth > RDATA_MAX_DEPTH) {
        st->too_deep = true;
        return 0;
    }
    return 1;
}

static int cb_key(void *ud, const unsigned char *k, size_t len)
{
    rstate *st = ud;
    if (st->depth == 1 || (st->in_sb && st->depth == 2))
        snprintf(st->key, sizeof st->key, "%.*s", (int)(len < 255 ? len : 255), (const char *)k);
    return 1;
}

static int cb_end(void *ud)
{
    rstate *st = ud;
    st->depth--;
    if (st->depth == 1) {
        st->tgt = T_NONE;
        st->in_sb = false;
    }
    if (st->depth == 0) {
        st->done = true;
        return 0; /* the first object is the run; stop (JSON Lines may follow) */
    }
    return 1;
}

static int cb_start_array(void *ud)
{
    rstate *st = ud;
    report_run *r = st->r;
    if (st->depth == 1) {
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
        return 0;
    }
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_bool,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_key,
    .yajl_end_map = cb_end,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = cb_end,
};

/* The NaN/Infinity filter; state survives chunk boundaries. */
typedef struct nanfilter {
    bool in_str, esc;
    int skip; /* letters of a bare NaN/Infinity still to drop */
} nanfilter;

/* What the filter writes for a bare NaN and Infinity: bytes for yajl_parse, which takes
 * a length, so no terminating NUL (out is not a string). */
static const char nan_bytes[4] = {'n', 'u', 'l', 'l'};
static const char inf_bytes[5] = {'1', 'e', '9', '9', '9'};

/* Writes at most 4 bytes per 3 read (NaN -> null), plus 4 when a NaN is cut by the
 * chunk's end: out of 2 * CHUNK bytes holds what one CHUNK-byte read makes. */
static size_t filter(nanfilter *f, const char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (f->skip) {
            f->skip--;
            continue;
        }
        if (f->in_str) {
            if (f->esc)
                f->esc = false;
            else if (c == '\\')
                f->esc = true;
            else if (c == '"')
                f->in_str = false;
        } else if (c == '"') {
            f->in_str = true;
        } else if (c == 'N') { /* NaN */
            memcpy(out + o, nan_bytes, sizeof nan_bytes);
            o += sizeof nan_bytes;
            f->skip = 2;
            continue;
        } else if (c == 'I') { /* Infinity */
            memcpy(out + o, inf_bytes, sizeof inf_bytes);
            o += sizeof inf_bytes;
            f->skip = 7;
            continue;
        }
        out[o++] = c;
    }
    return o;
}

int report_run_load(report_run *r, const char *path, sb_err *err)
{
    memset(r, 0, sizeof *r);
    r->path = sb_xstrdup(path);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return sb_err_set(err, "cannot open %s: %s", path, strerror(errno));
    rstate st = {.r = r};
    yajl_handle h = yajl_alloc(&callbacks, NULL, &st);
    yajl_config(h, yajl_allow_multiple_values, 1);
    enum { CHUNK = 1 << 20 };
    char *in = sb_xmalloc(CHUNK), *out = sb_xmalloc((size_t)CHUNK * 2);
    nanfilter nf = {0};
    yajl_status ys = yajl_status_ok;
    size_t n, total = 0;
    int rc = 0;
    while (!st.done && ys == yajl_status_ok && (n = fread(in, 1, CHUNK, fp)) > 0) {
        size_t m = filter(&nf, in, n, out);
        total += n;
        ys = yajl_parse(h, (const unsigned char *)out, m);
    }
    bool cut = false; /* the input ended inside the object */
    if (!st.done && ys == yajl_status_ok && !ferror(fp) && total > 0) {
        ys = yajl_complete_parse(h);
        cut = !st.done;
    }
    if (ferror(fp)) {
        rc = sb_err_set(err, "reading %s: %s", path, strerror(errno));
    } else if (st.too_deep) {
        rc = sb_err_set(err, "%s: JSON nested deeper than %d levels", path, RDATA_MAX_DEPTH);
    } else if (st.over) {
        rc = sb_err_set(err, "%s: a per-request array holds more than %u values", path,
                        RDATA_MAX_VALUES);
    } else if (cut || (!st.done && ys == yajl_status_ok)) {
        rc = sb_err_set(err, "%s: %s", path,
                        total ? "truncated JSON (the object never closes)" : "empty file");
    } else if (!st.done) {
        unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
        rc = sb_err_set(err, "%s: not valid JSON near byte %zu: %s", path,
                        yajl_get_bytes_consumed(h), (const char *)msg);
        yajl_free_error(h, msg);
    } else if (!report_run_get(r, "duration") || !report_run_get(r, "completed")) {
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
    yajl_free(h);
    free(in);
    free(out);
    fclose(fp);
    return rc;
}

void report_run_free(report_run *r)
{
    for (size_t i = 0; i < r->n_kv; i++) {
        free(r->kv[i].key);
        free(r->kv[i].val);
    }
    free(r->kv);
    report_vec *v[] = {&r->input_lens,  &r->output_lens, &r->ttfts,   &r->latencies,
                       &r->start_times, &r->itls,        &r->itl_off, &r->failed};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        free(v[i]->v);
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
