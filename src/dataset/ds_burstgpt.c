/* SPDX-License-Identifier: Apache-2.0 */
/* ds_burstgpt.c - the `burstgpt` dataset, vllm/benchmarks/datasets/datasets.py:
 * BurstGPTDataset.sample: the BurstGPT trace CSV (Timestamp, Model, Request tokens, Response
 * tokens, Total tokens, Log Type). Rows with Model == "GPT-4" and Response tokens > 0 are kept and
 * N are taken as pandas' DataFrame.sample(n=N, random_state=seed) would.
 *
 * pandas turns random_state=seed into numpy's legacy RandomState(seed) and
 * calls choice(rows, N, replace) (np_rs_choice: permutation(rows)[:N], or
 * randint(0, rows, N) with replacement when N > rows).
 * Prompt i is the decode of ids (i + j) mod V. --burstgpt-use-timestamps
 * (ours) keeps each row's Timestamp, relative to the earliest sampled row,
 * and orders the requests by it so a replay sends them as the trace did. */
#include <stdlib.h>
#include <string.h>

#include "dataset/ds_internal.h"

typedef struct bg_row {
    double ts;
    long req, resp;
} bg_row;

enum { COL_TS, COL_MODEL, COL_REQ, COL_RESP, N_COLS };
static const char *const bg_col_names[N_COLS] = {"Timestamp", "Model", "Request tokens",
                                                 "Response tokens"};

/* Splits one CSV line into fields (RFC 4180 quoting), in place in buf. */
static size_t csv_fields(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *out = p, *start = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"' || *p == '\0') {
                    if (*p)
                        p++;
                    break;
                } else
                    *out++ = *p++;
            }
            while (*p && *p != ',')
                p++;
        } else {
            while (*p && *p != ',')
                p++;
            out = p;
        }
        char sep = *p;
        *out = '\0';
        if (n < max)
            f[n++] = start;
        if (sep != ',')
            break;
        p++;
    }
    return n;
}

static int parse_num(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    while (*end == ' ')
        end++;
    return end != s && *end == '\0';
}

static int find_cols(char *header, int *col, const char *path, sb_err *err)
{
    char *f[64];
    size_t n = csv_fields(header, f, 64);
    for (int c = 0; c < N_COLS; c++) {
        col[c] = -1;
        for (size_t k = 0; k < n; k++)
            if (strcmp(f[k], bg_col_names[c]) == 0)
                col[c] = (int)k;
        if (col[c] < 0)
            return sb_err_set(err,
                              "%s:1: BurstGPT CSV has no \"%s\" column (expected Timestamp, "
                              "Model, Request tokens, Response tokens, Total tokens, Log "
                              "Type)",
                              path, bg_col_names[c]);
    }
    return 0;
}

static int parse_row(char *line, const int *col, size_t line_no, const char *path, bg_row *row,
                     int *keep, sb_err *err)
{
    char *f[64];
    size_t n = csv_fields(line, f, 64);
    for (int c = 0; c < N_COLS; c++)
        if ((size_t)col[c] >= n)
            return sb_err_set(err, "%s:%zu: row has %zu fields, no \"%s\"", path, line_no, n,
                              bg_col_names[c]);
    double ts, rq, rs;
    if (!parse_num(f[col[COL_TS]], &ts) || !parse_num(f[col[COL_REQ]], &rq) ||
        !parse_num(f[col[COL_RESP]], &rs))
        return sb_err_set(err,
                          "%s:%zu: Timestamp, Request tokens and Response tokens must be "
                          "numbers",
                          path, line_no);
    *keep = strcmp(f[col[COL_MODEL]], "GPT-4") == 0 && rs > 0;
    row->ts = ts;
    row->req = (long)rq;
    row->resp = (long)rs;
    return 0;
}

static int read_rows(const char *path, bg_row **rows, size_t *n_rows, sb_err *err)
{
    sb_buf text;
    sb_buf_init(&text);
    if (sb_read_file(path, &text, err) != 0) {
        sb_buf_free(&text);
        return -1;
    }
    int col[N_COLS];
    size_t cap = 1024, n = 0, line_no = 0;
    bg_row *r = sb_xmalloc(cap * sizeof *r);
    int rc = 0;
    char *p = text.data, *end = text.data + text.len;
    while (rc == 0 && p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        if (le > p && le[-1] == '\r')
            le[-1] = '\0';
        *le = '\0';
        line_no++;
        if (line_no == 1)
            rc = find_cols(p, col, path, err);
        else if (*p) {
            int keep = 0;
            if (n == cap)
                r = sb_xrealloc(r, (cap *= 2) * sizeof *r);
            rc = parse_row(p, col, line_no, path, &r[n], &keep, err);
            n += rc == 0 && keep;
        }
        p = le + 1;
    }
    if (rc == 0 && line_no == 0)
        rc = sb_err_set(err, "%s: empty file, expected a BurstGPT CSV", path);
    sb_buf_free(&text);
    *rows = r;
    *n_rows = n;
    return rc;
}

typedef struct ts_key {
    double ts;
    size_t i;
} ts_key;

/* By time, then by sampled position: a stable order for equal timestamps. */
static int cmp_ts(const void *a, const void *b)
{
    const ts_key *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static void sort_by_time(sb_dataset *ds)
{
    ts_key *k = sb_xmalloc((ds->n ? ds->n : 1) * sizeof *k);
    for (size_t i = 0; i < ds->n; i++)
        k[i] = (ts_key){ds->reqs[i].timestamp_s, i};
    qsort(k, ds->n, sizeof *k, cmp_ts);
    sb_request *sorted = sb_xmalloc((ds->n ? ds->n : 1) * sizeof *sorted);
    for (size_t i = 0; i < ds->n; i++)
        sorted[i] = ds->reqs[k[i].i];
    memcpy(ds->reqs, sorted, ds->n * sizeof *sorted);
    free(sorted);
    free(k);
}

static int build(const dataset_ctx *c, const bg_row *rows, const int64_t *pick, size_t n,
                 sb_dataset *ds, sb_err *err)
{
    double t0 = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || rows[pick[i]].ts < t0)
            t0 = rows[pick[i]].ts;
    sb_buf text;
    sb_buf_init(&text);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const bg_row *row = &rows[pick[i]];
        sb_buf_reset(&text);
        rc = dataset_decode_range(c->t, (int64_t)i, row->req, &text, err);
        sb_request *r = dataset_push(ds);
        dataset_set_prompt(ds, r, text.data ? text.data : "", text.len);
        r->prompt_len = (int32_t)row->req;
        r->output_len = (int32_t)row->resp;
        if (c->o->burstgpt_use_timestamps)
            r->timestamp_s = row->ts - t0;
    }
    sb_buf_free(&text);
    if (rc == 0 && c->o->burstgpt_use_timestamps)
        sort_by_time(ds);
    return rc;
}

int dataset_burstgpt(const dataset_ctx *c, sb_dataset *ds, sb_err *err)
{
    if (!c->o->path)
        return sb_err_set(err, "--dataset-name burstgpt needs --dataset-path (BurstGPT CSV)");
    if (!c->t)
        return sb_err_set(err, "burstgpt dataset needs a tokenizer");
    if (c->o->seed > UINT32_MAX)
        return sb_err_set(err, "burstgpt: --seed must be < 2**32 (numpy RandomState)");
    bg_row *rows = NULL;
    size_t n_rows = 0;
    int rc = read_rows(c->o->path, &rows, &n_rows, err);
    if (rc == 0 && n_rows == 0)
        rc = sb_err_set(err, "%s: no row has Model == \"GPT-4\" and Response tokens > 0",
                        c->o->path);
    size_t n = c->o->num_prompts > 0 ? (size_t)c->o->num_prompts : 0;
    if (rc == 0 && n > 0) {
        int64_t *pick = sb_xmalloc(n * sizeof *pick);
        np_rs rs;
        np_rs_seed(&rs, (uint32_t)c->o->seed);
        np_rs_choice(&rs, n_rows, n, n > n_rows, pick);
        rc = build(c, rows, pick, n, ds, err);
        free(pick);
        if (rc == 0 && n > n_rows)
            dataset_warn(ds,
                         "burstgpt: %zu requests asked for, %zu matching rows: sampled "
                         "with replacement",
                         n, n_rows);
    }
    free(rows);
    return rc;
}
