/* SPDX-License-Identifier: Apache-2.0 */
/* specdec.c - Prometheus counter parsing and deltas for the speculative
 * decoding block (see specdec.h). Only the four counter families the
 * reference reads are looked at; other lines, comments and malformed values
 * are skipped, because /metrics of a real server holds hundreds of lines we
 * have no business failing on. */
#include "metrics/specdec.h"

#include <stdlib.h>
#include <string.h>

static const char P_DRAFTS[] = "vllm:spec_decode_num_drafts_total";
static const char P_DTOK[] = "vllm:spec_decode_num_draft_tokens_total";
static const char P_ACC[] = "vllm:spec_decode_num_accepted_tokens_total";
static const char P_POS[] = "vllm:spec_decode_num_accepted_tokens_per_pos_total";

/* Does the line start with metric name `name` (followed by '{' or ' ')? */
static bool is_metric(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len > n && !strncmp(line, name, n) && (line[n] == '{' || line[n] == ' ');
}

/* Value after the labels; false when it does not parse. */
static bool line_value(const char *line, size_t len, double *v)
{
    const char *end = line + len, *p = memchr(line, '}', len);
    p = p ? p + 1 : memchr(line, ' ', len);
    if (!p)
        return false;
    while (p < end && *p == ' ')
        p++;
    char tmp[64];
    size_t n = 0;
    while (p + n < end && p[n] != ' ' && n < sizeof tmp - 1)
        n++;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    char *e;
    *v = strtod(tmp, &e);
    return n && !*e;
}

static long position_label(const char *line, size_t len)
{
    const char *lab = "position=\"";
    size_t ll = strlen(lab);
    for (size_t i = 0; i + ll < len; i++)
        if (!strncmp(line + i, lab, ll)) {
            char *e;
            long k = strtol(line + i + ll, &e, 10);
            return *e == '"' ? k : -1;
        }
    return -1;
}

static void parse_line(const char *line, size_t len, specdec_counts *c, int *seen)
{
    double v;
    if (line[0] == '#' || !line_value(line, len, &v))
        return;
    if (is_metric(line, len, P_DRAFTS)) {
        c->drafts += v;
        *seen |= 1;
    } else if (is_metric(line, len, P_DTOK)) {
        c->draft_tokens += v;
        *seen |= 2;
    } else if (is_metric(line, len, P_ACC)) {
        c->accepted += v;
        *seen |= 4;
    } else if (is_metric(line, len, P_POS)) {
        long k = position_label(line, len);
        if (k >= 0 && k < SPECDEC_MAX_POS) {
            c->per_pos[k] += v;
            if ((size_t)k + 1 > c->n_pos)
                c->n_pos = (size_t)k + 1;
        }
    }
}

void specdec_parse(const char *text, size_t len, specdec_counts *out)
{
    memset(out, 0, sizeof *out);
    int seen = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = (size_t)((nl ? nl : end) - p);
        if (l)
            parse_line(p, l, out, &seen);
        p += l + 1;
    }
    out->found = seen == 7;
}

void specdec_delta(const specdec_counts *a, const specdec_counts *b, specdec_result *out)
{
    memset(out, 0, sizeof *out);
    if (!a->found || !b->found)
        return;
    double drafts = b->drafts - a->drafts, dtok = b->draft_tokens - a->draft_tokens;
    double acc = b->accepted - a->accepted;
    out->present = true;
    out->drafts = (long)drafts;
    out->draft_tokens = (long)dtok;
    out->accepted = (long)acc;
    out->acceptance_rate_pct = dtok > 0 ? acc / dtok * 100.0 : 0.0;
    out->acceptance_length = drafts > 0 ? 1.0 + acc / drafts : 1.0;
    out->n_pos = b->n_pos;
    for (size_t k = 0; k < b->n_pos; k++)
        out->per_pos_rate[k] = drafts > 0 ? (b->per_pos[k] - a->per_pos[k]) / drafts : 0.0;
}
