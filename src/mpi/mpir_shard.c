/* SPDX-License-Identifier: Apache-2.0 */
/* mpir_shard.c - the MPI-free half of a multi-rank run (mpir.h): shares,
 * the offset estimate, packing and merging records, per-rank health. */
#include "mpi/mpir.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double mpir_kill_after_s(void)
{
    const char *v = getenv("OMPI_MCA_odls_base_sigkill_timeout");
    if (!v || !*v)
        return 1.0;
    char *end;
    double s = strtod(v, &end);
    return *end == '\0' && isfinite(s) && s >= 0 ? s : 1.0;
}

long mpir_share(long total, int rank, int size)
{
    if (total <= 0 || size <= 1)
        return total;
    return total / size + (rank < total % size ? 1 : 0);
}

size_t mpir_shard_len(size_t n, int rank, int size)
{
    if (size <= 1)
        return n;
    size_t r = (size_t)rank, s = (size_t)size;
    return n > r ? (n - r + s - 1) / s : 0;
}

void mpir_offset_estimate(const uint64_t *t1, const uint64_t *t2, const uint64_t *t4, int n,
                          mpir_clock *out)
{
    memset(out, 0, sizeof *out);
    int best = -1;
    for (int i = 0; i < n; i++)
        if (t4[i] >= t1[i] && (best < 0 || t4[i] - t1[i] < t4[best] - t1[best]))
            best = i;
    out->samples = n;
    if (best < 0)
        return;
    uint64_t rtt = t4[best] - t1[best];
    /* rank 0 stamped t2 somewhere inside [t1, t4] of ours: assume the middle. */
    double mid = (double)t1[best] + (double)rtt / 2.0;
    out->offset_ns = (int64_t)llround((double)t2[best] - mid);
    out->rtt_ns = rtt;
    out->uncertainty_ns = (rtt + 1) / 2;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void mpir_health_lag(mpir_health *h, const rec_store *rs)
{
    h->lag_p50_ms = h->lag_p99_ms = h->lag_max_ms = NAN;
    double *v = sb_xmalloc((rs->n ? rs->n : 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < rs->n; i++)
        if (rs->recs[i].done)
            v[n++] = ((double)rs->recs[i].start_ns - (double)rs->recs[i].intended_ns) / 1e6;
    if (n) {
        qsort(v, n, sizeof *v, cmp_double);
        h->lag_p50_ms = v[(size_t)((double)(n - 1) * 0.50)];
        h->lag_p99_ms = v[(size_t)((double)(n - 1) * 0.99)];
        h->lag_max_ms = v[n - 1];
    }
    free(v);
}

/* ---- packing: little fixed-width fields in host order (one binary on every rank) ---- */

#define PUT(b, v)                                                                                  \
    do {                                                                                           \
        __typeof__(v) tmp_ = (v);                                                                  \
        sb_buf_append((b), &tmp_, sizeof tmp_);                                                    \
    } while (0)

void mpir_pack(sb_buf *out, const mpir_health *h, const rec_store *rs, int rank, int size)
{
    sb_buf_append(out, h, sizeof *h);
    PUT(out, (uint64_t)rs->n);
    for (size_t j = 0; j < rs->n; j++) {
        const sb_record *r = &rs->recs[j];
        PUT(out, (uint64_t)rank + (uint64_t)j * (uint64_t)size);
        PUT(out, r->intended_ns);
        PUT(out, r->queued_ns);
        PUT(out, r->start_ns);
        PUT(out, r->ttft_ns);
        PUT(out, r->latency_ns);
        int32_t ints[5] = {r->prompt_len, r->output_tokens, r->output_len, r->n_chunks,
                           r->http_status};
        sb_buf_append(out, ints, sizeof ints);
        PUT(out, r->input_audio_s);
        uint8_t flags = (uint8_t)((r->done ? 1 : 0) | (r->success ? 2 : 0) | (r->partial ? 4 : 0) |
                                  (r->itl_tokens ? 8 : 0));
        PUT(out, flags);
        PUT(out, (uint8_t)r->fail);
        PUT(out, r->n_itl);
        for (uint32_t k = 0; k < r->n_itl; k++) {
            PUT(out, r->itl[k]);
            if (r->itl[k] == UINT32_MAX) /* the full gap follows */
                PUT(out, rec_store_itl_ns(rs, j, k));
        }
        if (r->itl_tokens)
            sb_buf_append(out, r->itl_tokens, r->n_itl * sizeof *r->itl_tokens);
        uint64_t elen = r->error ? strlen(r->error) : UINT64_MAX;
        PUT(out, elen);
        if (r->error)
            sb_buf_append(out, r->error, elen);
        uint64_t tlen = r->text ? r->text_len : UINT64_MAX;
        PUT(out, tlen);
        if (r->text)
            sb_buf_append(out, r->text, tlen);
        /* how much of the text is tool-call arguments (record.h) */
        uint64_t alen = r->text ? r->tool_args_len : 0;
        PUT(out, alen);
    }
}

typedef struct rd {
    const char *p;
    size_t left;
    bool bad;
} rd;

static void take(rd *r, void *dst, size_t n)
{
    if (r->bad || n > r->left) {
        r->bad = true;
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, r->p, n);
    r->p += n;
    r->left -= n;
}

static const char *skip(rd *r, uint64_t n)
{
    if (r->bad || n > r->left) {
        r->bad = true;
        return NULL;
    }
    const char *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

#define GET(r, v) take((r), &(v), sizeof(v))

/* One record of a pack: into dst (request index slot of s) when s is set,
 * else only skipped; *gidx gets its global index. */
static void read_rec(rd *r, rec_store *s, const size_t *slot, size_t n_global, uint64_t *gidx)
{
    sb_record tmp;
    memset(&tmp, 0, sizeof tmp);
    GET(r, *gidx);
    GET(r, tmp.intended_ns);
    GET(r, tmp.queued_ns);
    GET(r, tmp.start_ns);
    GET(r, tmp.ttft_ns);
    GET(r, tmp.latency_ns);
    int32_t ints[5];
    take(r, ints, sizeof ints);
    GET(r, tmp.input_audio_s);
    uint8_t flags, fail;
    GET(r, flags);
    GET(r, fail);
    uint32_t n_itl;
    GET(r, n_itl);
    if (r->bad || *gidx >= n_global || fail >= SB_FAIL_COUNT_ || n_itl > r->left / 4) {
        r->bad = true;
        return;
    }
    size_t i = s ? slot[*gidx] : 0;
    sb_record *d = s ? &s->recs[i] : NULL;
    if (d) {
        *d = tmp;
        d->prompt_len = ints[0];
        d->output_tokens = ints[1];
        d->output_len = ints[2];
        d->n_chunks = ints[3];
        d->http_status = ints[4];
        d->done = flags & 1;
        d->success = flags & 2;
        d->partial = flags & 4;
        d->fail = (sb_fail)fail;
        rec_store_begin(s, i, n_itl + 1);
    }
    for (uint32_t k = 0; k < n_itl && !r->bad; k++) {
        uint32_t g;
        GET(r, g);
        uint64_t full = g;
        if (g == UINT32_MAX)
            GET(r, full);
        if (d)
            rec_store_push_itl(s, i, full);
    }
    if (flags & 8) {
        const char *t = skip(r, (uint64_t)n_itl * sizeof(uint16_t));
        if (d && t) {
            d->itl_tokens = sb_xmalloc((n_itl ? n_itl : 1) * sizeof *d->itl_tokens);
            memcpy(d->itl_tokens, t, n_itl * sizeof *d->itl_tokens);
        }
    }
    uint64_t elen = 0, tlen = 0;
    GET(r, elen);
    const char *e = elen == UINT64_MAX ? NULL : skip(r, elen);
    GET(r, tlen);
    const char *t = tlen == UINT64_MAX ? NULL : skip(r, tlen);
    uint64_t alen = 0;
    GET(r, alen);
    if (alen && (!t || alen >= tlen))
        r->bad = true; /* arguments follow an answer and its NUL inside the text */
    if (d && !r->bad) {
        if (e) {
            d->error = sb_xmalloc(elen + 1);
            memcpy(d->error, e, elen);
            d->error[elen] = 0;
        }
        if (t) {
            d->text = sb_xmalloc(tlen + 1);
            memcpy(d->text, t, tlen);
            d->text[tlen] = 0;
            d->text_len = tlen;
            d->tool_args_len = (uint32_t)alen;
        }
    }
}

/* Reads the health and walks the records of every pack; with s set, copies
 * them into their slots. */
static int walk(const char *all, const size_t *lens, int n, size_t n_global, mpir_health *health,
                rec_store *s, size_t *slot, sb_err *err)
{
    size_t off = 0;
    for (int k = 0; k < n; k++) {
        if (lens[k] == 0) { /* lost: nothing came */
            memset(&health[k], 0, sizeof health[k]);
            health[k].rank = k;
            health[k].lost = 1;
            health[k].planned = mpir_shard_len(n_global, k, n);
            health[k].cpu_pct = health[k].lag_p50_ms = health[k].lag_p99_ms = NAN;
            health[k].lag_max_ms = NAN;
            snprintf(health[k].host, sizeof health[k].host, "?");
            continue;
        }
        rd r = {all + off, lens[k], false};
        off += lens[k];
        take(&r, &health[k], sizeof health[k]);
        health[k].host[sizeof health[k].host - 1] = 0;
        uint64_t cnt = 0;
        GET(&r, cnt);
        for (uint64_t j = 0; j < cnt && !r.bad; j++) {
            uint64_t g = 0;
            read_rec(&r, s, slot, n_global, &g);
            if (!s && !r.bad)
                slot[g] = 1;
        }
        if (r.bad || r.left)
            return sb_err_set(err, "merging rank %d's records: its data is malformed", k);
    }
    return 0;
}

rec_store *mpir_merge(const char *all, const size_t *lens, int n, size_t n_global,
                      mpir_health *health, sb_err *err)
{
    size_t *slot = sb_xcalloc(n_global ? n_global : 1, sizeof *slot);
    if (walk(all, lens, n, n_global, health, NULL, slot, err) != 0) {
        free(slot);
        return NULL;
    }
    size_t m = 0; /* sent requests, in request order */
    for (size_t g = 0; g < n_global; g++)
        slot[g] = slot[g] ? m++ : SIZE_MAX;
    rec_store *s = rec_store_new(m);
    if (walk(all, lens, n, n_global, health, s, slot, err) != 0) {
        rec_store_free(s);
        s = NULL;
    }
    free(slot);
    return s;
}

static void fmt_num(char *dst, size_t n, const char *fmt, double v)
{
    if (isfinite(v))
        snprintf(dst, n, fmt, v);
    else
        snprintf(dst, n, "%8s", "-");
}

void mpir_health_text(sb_buf *out, const mpir_health *h, int n, bool *limited)
{
    *limited = false;
    sb_buf_printf(out, "%s\n", "--------------------MPI ranks---------------------");
    sb_buf_printf(out, "%-5s %-14s %6s %8s %8s %8s %6s %s\n", "rank", "host", "sent", "lag p99",
                  "lag max", "CPU %", "conc", "clock offset to rank 0");
    for (int k = 0; k < n; k++) {
        char conc[24];
        if (h[k].max_concurrency > 0)
            snprintf(conc, sizeof conc, "%lld", (long long)h[k].max_concurrency);
        else
            snprintf(conc, sizeof conc, "-");
        if (h[k].lost) {
            sb_buf_printf(out, "%-5d %-14s %6s   LOST\n", (int)h[k].rank, "?", "-");
            continue;
        }
        char p99[24], mx[24], cpu[24]; /* "-" where the rank sent nothing */
        fmt_num(p99, sizeof p99, "%8.2f", h[k].lag_p99_ms);
        fmt_num(mx, sizeof mx, "%8.2f", h[k].lag_max_ms);
        fmt_num(cpu, sizeof cpu, "%8.1f", h[k].cpu_pct);
        sb_buf_printf(out, "%-5d %-14.14s %6llu %s %s %s %6s %+.3f ms +- %.3f ms\n", (int)h[k].rank,
                      h[k].host, (unsigned long long)h[k].sent, p99, mx, cpu, conc,
                      (double)h[k].offset_ns / 1e6, (double)h[k].uncertainty_ns / 1e6);
        if (h[k].cpu_pct >= 90.0 || h[k].lag_p99_ms > 10.0)
            *limited = true;
    }
    for (int k = 0; k < n; k++)
        if (h[k].lost)
            sb_buf_printf(out,
                          "WARNING: rank %d was lost (no records reached rank 0): its %llu "
                          "requests are unaccounted for; the result is partial.\n",
                          k, (unsigned long long)h[k].planned);
    if (*limited)
        sb_buf_puts(out, "WARNING: at least one rank's client was busy (>= 90% CPU or p99 send "
                         "lag > 10 ms): the result may describe the client, not the server.\n");
}

static void jnum(sb_buf *o, const char *k, double v)
{
    if (isfinite(v))
        sb_buf_printf(o, "\"%s\": %.17g", k, v);
    else
        sb_buf_printf(o, "\"%s\": null", k);
}

void mpir_health_json(sb_buf *out, const mpir_health *h, int n, double lead_s)
{
    uint64_t planned = 0, sent = 0;
    for (int k = 0; k < n; k++) {
        planned += h[k].planned;
        sent += h[k].sent;
    }
    sb_buf_printf(out,
                  "{\"ranks\": %d, \"start_lead_s\": %g, \"requests_sent\": %llu, "
                  "\"requests_unaccounted\": %llu, \"lost_ranks\": [",
                  n, lead_s, (unsigned long long)sent,
                  (unsigned long long)(planned > sent ? planned - sent : 0));
    for (int k = 0, m = 0; k < n; k++)
        if (h[k].lost)
            sb_buf_printf(out, "%s%d", m++ ? ", " : "", k);
    sb_buf_puts(out, "], \"per_rank\": [");
    for (int k = 0; k < n; k++) {
        sb_buf_printf(out, "%s{\"rank\": %d, \"host\": \"", k ? ", " : "", (int)h[k].rank);
        for (const char *c = h[k].host; *c; c++) /* hostnames: letters, digits, '-', '.' */
            if (*c != '"' && *c != '\\' && (unsigned char)*c >= 0x20)
                sb_buf_putc(out, *c);
        sb_buf_printf(out,
                      "\", \"requests_planned\": %llu, \"requests_sent\": %llu, "
                      "\"requests_finished\": %llu, \"requests_cancelled\": %llu, "
                      "\"requests_succeeded\": %llu, \"requests_failed\": %llu, "
                      "\"max_concurrency\": %lld, ",
                      (unsigned long long)h[k].planned, (unsigned long long)h[k].sent,
                      (unsigned long long)h[k].finished, (unsigned long long)h[k].cancelled,
                      (unsigned long long)h[k].succeeded, (unsigned long long)h[k].failed,
                      (long long)h[k].max_concurrency);
        jnum(out, "mpi_init_s", h[k].init_s);
        sb_buf_puts(out, ", ");
        jnum(out, "clock_sync_s", h[k].sync_s);
        sb_buf_puts(out, ", ");
        jnum(out, "client_cpu_pct", h[k].cpu_pct);
        sb_buf_puts(out, ", ");
        jnum(out, "send_lag_p50_ms", h[k].lag_p50_ms);
        sb_buf_puts(out, ", ");
        jnum(out, "send_lag_p99_ms", h[k].lag_p99_ms);
        sb_buf_puts(out, ", ");
        jnum(out, "send_lag_max_ms", h[k].lag_max_ms);
        sb_buf_printf(out,
                      ", \"clock_offset_ns\": %lld, \"clock_uncertainty_ns\": %llu, "
                      "\"clock_rtt_ns\": %llu, \"interrupted\": %s, \"lost\": %s}",
                      (long long)h[k].offset_ns, (unsigned long long)h[k].uncertainty_ns,
                      (unsigned long long)h[k].rtt_ns, h[k].interrupted ? "true" : "false",
                      h[k].lost ? "true" : "false");
    }
    sb_buf_puts(out, "]}");
}

int mpir_dump_schedule(const uint64_t *offset_ns, size_t n, int rank, int size, sb_err *err)
{
    const char *base = getenv("SB_MPI_SCHEDULE_DUMP");
    if (!base || !*base)
        return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s.%d", base, rank);
    FILE *f = fopen(path, "w");
    if (!f)
        return sb_err_set(err, "SB_MPI_SCHEDULE_DUMP: cannot write %s", path);
    for (size_t i = (size_t)rank; i < n; i += (size_t)(size > 1 ? size : 1))
        fprintf(f, "%zu %llu\n", i, offset_ns ? (unsigned long long)offset_ns[i] : 0ULL);
    if (fclose(f) != 0)
        return sb_err_set(err, "SB_MPI_SCHEDULE_DUMP: writing %s failed", path);
    return 0;
}
