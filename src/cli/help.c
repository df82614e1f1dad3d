/* SPDX-License-Identifier: Apache-2.0 */
/* help.c - text generated from the flag table: `serve --help`, the flag
 * tables of docs/serve.md (--help-markdown) and the one-line summary of the
 * parsed flags that stands where the reference prints its Namespace. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "core/pyfmt.h"

static void flag_usage(sb_buf *b, const cli_flag *f, const char *name)
{
    sb_buf_printf(b, "--%s", name);
    if (f->metavar)
        sb_buf_printf(b, " %s", f->metavar);
}

/* Appends text word-wrapped to width, continuation lines indented by
 * indent columns (the first line continues the current one). */
static void wrap(sb_buf *out, const char *text, int indent, int width)
{
    int col = indent;
    const char *p = text;
    while (*p) {
        size_t w = strcspn(p, " ");
        if (col > indent && col + 1 + (int)w > width) {
            sb_buf_printf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            sb_buf_putc(out, ' ');
            col++;
        }
        sb_buf_append(out, p, w);
        col += (int)w;
        p += w;
        while (*p == ' ')
            p++;
    }
    sb_buf_putc(out, '\n');
}

void cli_serve_help(sb_buf *out)
{
    sb_buf_puts(out,
                "usage: servebench serve [options]\n\n"
                "Benchmark an OpenAI-compatible LLM server; a drop-in for `vllm bench serve` and\n"
                "benchmark_serving.py (same flags, block and result JSON). Flags take `--flag V`\n"
                "or `--flag=V`; `_` may replace `-`; lists end at the next flag.\n");
    for (size_t g = 0; g < flag_n_groups; g++) {
        sb_buf_printf(out, "\n%s:\n", flag_groups[g]);
        for (size_t i = 0; i < cli_n_flags; i++) {
            const cli_flag *f = &cli_flags[i];
            if ((size_t)f->group != g)
                continue;
            sb_buf u;
            sb_buf_init(&u);
            flag_usage(&u, f, f->name);
            if (f->alias) {
                sb_buf_puts(&u, ", ");
                flag_usage(&u, f, f->alias);
            }
            if (u.len > 28)
                sb_buf_printf(out, "  %s\n  %-28s  ", u.data, "");
            else
                sb_buf_printf(out, "  %-28s  ", u.data);
            sb_buf text;
            sb_buf_init(&text);
            sb_buf_printf(&text, "%s (default: %s)", f->help, f->def);
            if (f->choices) {
                sb_buf_puts(&text, "; choices:");
                for (size_t c = 0; f->choices[c]; c++)
                    sb_buf_printf(&text, "%s %s", c ? "," : "", f->choices[c]);
            }
            wrap(out, text.data, 32, 100);
            sb_buf_free(&text);
            sb_buf_free(&u);
        }
    }
    sb_buf_puts(out, "\n  -h, --help                    this text\n"
                     "\nEnvironment: OPENAI_API_KEY sends `Authorization: Bearer KEY`.\n"
                     "Exit status: 0 ok, 1 the run failed, 2 bad usage. Manual: docs/serve.md\n");
}

static void md_escape(sb_buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            sb_buf_puts(out, "\\|");
        else
            sb_buf_putc(out, *s);
    }
}

void cli_serve_help_markdown(sb_buf *out)
{
    for (size_t g = 0; g < flag_n_groups; g++) {
        sb_buf_printf(out, "### %s\n\n| flag | default | meaning |\n|---|---|---|\n",
                      flag_groups[g]);
        for (size_t i = 0; i < cli_n_flags; i++) {
            const cli_flag *f = &cli_flags[i];
            if ((size_t)f->group != g)
                continue;
            sb_buf_printf(out, "| `--%s%s%s`", f->name, f->metavar ? " " : "",
                          f->metavar ? f->metavar : "");
            if (f->alias)
                sb_buf_printf(out, " (also `--%s`)", f->alias);
            sb_buf_puts(out, " | ");
            md_escape(out, f->def);
            sb_buf_puts(out, " | ");
            md_escape(out, f->help);
            if (f->choices) {
                sb_buf_puts(out, "; one of");
                for (size_t c = 0; f->choices[c]; c++)
                    sb_buf_printf(out, "%s `%s`", c ? "," : "", f->choices[c]);
            }
            sb_buf_puts(out, " |\n");
        }
        sb_buf_putc(out, '\n');
    }
}

/* ---- Namespace(...) summary ---- */

static void py_str(sb_buf *out, const char *s)
{
    if (!s) {
        sb_buf_puts(out, "None");
        return;
    }
    sb_buf_putc(out, '\'');
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            sb_buf_putc(out, '\\');
        sb_buf_putc(out, *s);
    }
    sb_buf_putc(out, '\'');
}

static void py_num(sb_buf *out, double v)
{
    char b[40];
    sb_buf_puts(out, isnan(v) ? "None" : py_float_repr(b, sizeof b, v));
}

static bool unset_long(const cli_flag *f, long v)
{
    return v == -1 && !strcmp(f->def, "none");
}

static void show_custom(sb_buf *out, const cli_flag *f, const sb_config *cfg)
{
    const char *n = f->name;
    if (!strcmp(n, "request-rate"))
        py_num(out, cfg->request_rate);
    else if (!strcmp(n, "max-concurrency"))
        cfg->max_concurrency > 0 ? sb_buf_printf(out, "%ld", cfg->max_concurrency)
                                 : sb_buf_puts(out, "None");
    else if (!strcmp(n, "num-workers"))
        cfg->num_workers > 0 ? sb_buf_printf(out, "%ld", cfg->num_workers)
                             : sb_buf_puts(out, "'auto'");
    else if (!strcmp(n, "random-range-ratio")) {
        if (cfg->ds.random_range_ratio_in == cfg->ds.random_range_ratio_out)
            py_num(out, cfg->ds.random_range_ratio_in);
        else {
            sb_buf_puts(out, "{'input': ");
            py_num(out, cfg->ds.random_range_ratio_in);
            sb_buf_puts(out, ", 'output': ");
            py_num(out, cfg->ds.random_range_ratio_out);
            sb_buf_putc(out, '}');
        }
    } else if (!strcmp(n, "ramp-up-strategy"))
        py_str(out, cfg->ramp_up == SB_RAMP_NONE     ? NULL
                    : cfg->ramp_up == SB_RAMP_LINEAR ? "linear"
                                                     : "exponential");
    else if (!strcmp(n, "ramp-up-start-rps") || !strcmp(n, "ramp-up-end-rps")) {
        double v = n[8] == 's' ? cfg->ramp_up_start_rps : cfg->ramp_up_end_rps;
        isnan(v) ? sb_buf_puts(out, "None") : sb_buf_printf(out, "%ld", (long)v);
    } else if (!strcmp(n, "metric-percentiles")) {
        sb_buf_putc(out, '\'');
        for (size_t i = 0; i < cfg->n_metric_percentiles; i++)
            sb_buf_printf(out, "%s%g", i ? "," : "", cfg->metric_percentiles[i]);
        sb_buf_putc(out, '\'');
    } else if (!strcmp(n, "goodput")) {
        if (!cfg->goodput_set) {
            sb_buf_puts(out, "None");
            return;
        }
        double v[] = {cfg->goodput_ttft_ms, cfg->goodput_tpot_ms, cfg->goodput_e2el_ms};
        const char *k[] = {"ttft", "tpot", "e2el"};
        int first = 1;
        sb_buf_putc(out, '[');
        for (int i = 0; i < 3; i++)
            if (!isnan(v[i])) {
                sb_buf_printf(out, "%s'%s:%g'", first ? "" : ", ", k[i], v[i]);
                first = 0;
            }
        sb_buf_putc(out, ']');
    } else if (!strcmp(n, "dataset"))
        py_str(out, cfg->ds.dataset_legacy ? cfg->ds.path : NULL);
    else if (!strcmp(n, "timed-trace-hash-seed"))
        cfg->ds.timed_trace_hash_seed < 0
            ? sb_buf_puts(out, "None")
            : sb_buf_printf(out, "%lld", cfg->ds.timed_trace_hash_seed);
    else if (!strcmp(n, "self-timed") || !strcmp(n, "no-self-timed"))
        sb_buf_puts(out, cfg->self_timed < 0 ? "None" : cfg->self_timed ? "True" : "False");
    else if (!strcmp(n, "server-metrics") || !strcmp(n, "no-server-metrics"))
        sb_buf_puts(out, cfg->server_metrics < 0 ? "None" : cfg->server_metrics ? "True" : "False");
}

static void show_value(sb_buf *out, const cli_flag *f, const sb_config *cfg)
{
    const void *p = (const char *)cfg + f->off;
    switch (f->type) {
    case FT_BOOL:
        sb_buf_puts(out, *(const bool *)p ? "True" : "False");
        break;
    case FT_STR:
    case FT_JSON:
        py_str(out, *(char *const *)p);
        break;
    case FT_INT:
        sb_buf_printf(out, "%d", *(const int *)p);
        break;
    case FT_LONG:
        unset_long(f, *(const long *)p) ? sb_buf_puts(out, "None")
                                        : sb_buf_printf(out, "%ld", *(const long *)p);
        break;
    case FT_U64:
        sb_buf_printf(out, "%llu", (unsigned long long)*(const uint64_t *)p);
        break;
    case FT_DOUBLE:
        py_num(out, *(const double *)p);
        break;
    case FT_STRLIST:
    case FT_APPEND: {
        char *const *v = *(char **const *)p;
        size_t n = *(const size_t *)((const char *)cfg + f->n_off);
        if (!n) {
            sb_buf_puts(out, "None");
            break;
        }
        sb_buf_putc(out, '[');
        for (size_t i = 0; i < n; i++) {
            sb_buf_puts(out, i ? ", " : "");
            py_str(out, v[i]);
        }
        sb_buf_putc(out, ']');
        break;
    }
    case FT_KVLIST: {
        const sb_kv *kv = *(sb_kv *const *)p;
        size_t n = *(const size_t *)((const char *)cfg + f->n_off);
        bool redact = !strcmp(f->name, "header"); /* header values may hold secrets */
        if (!n) {
            sb_buf_puts(out, "None");
            break;
        }
        sb_buf_putc(out, '[');
        for (size_t i = 0; i < n; i++)
            sb_buf_printf(out, "%s'%s=%s'", i ? ", " : "", kv[i].key,
                          redact ? "<redacted>" : kv[i].value);
        sb_buf_putc(out, ']');
        break;
    }
    case FT_CUSTOM:
        show_custom(out, f, cfg);
        break;
    case FT_IGNORED:
        sb_buf_puts(out, "None");
        break;
    case FT_UNSUPPORTED: /* never set: the default as the reference prints it */
        sb_buf_puts(out, strcmp(f->def, "none") ? f->def : "None");
        break;
    }
}

static int cmp_rows(const void *a, const void *b)
{
    const cli_flag *x = *(const cli_flag *const *)a, *y = *(const cli_flag *const *)b;
    return strcmp(x->name, y->name);
}

void cli_serve_summary(const sb_config *cfg, sb_buf *out)
{
    const cli_flag **rows = sb_xmalloc(cli_n_flags * sizeof *rows);
    for (size_t i = 0; i < cli_n_flags; i++)
        rows[i] = &cli_flags[i];
    qsort(rows, cli_n_flags, sizeof *rows, cmp_rows);
    sb_buf_puts(out, "Namespace(");
    for (size_t i = 0; i < cli_n_flags; i++) {
        if (i)
            sb_buf_puts(out, ", ");
        for (const char *c = rows[i]->name; *c; c++)
            sb_buf_putc(out, *c == '-' ? '_' : *c);
        sb_buf_putc(out, '=');
        show_value(out, rows[i], cfg);
    }
    sb_buf_puts(out, ")\n");
    free(rows);
}
