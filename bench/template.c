/* SPDX-License-Identifier: Apache-2.0 */
/* template.c - bench_template: chat-template rendering throughput.
 *
 * The hot path is the datasets' case: one user message, add_generation_prompt
 * on, rendered once per sampled prompt (sonnet renders every candidate, so
 * tens of thousands per run). For each real template it reports renders/s of
 * a compiled template, against (a) the physical floor: copying the same
 * output bytes with memcpy, and (b) the peer: jinja2 in the environment
 * transformers uses, timed by /usr/bin/python3 in the same run.
 *
 * Usage: bench_template [SOURCE_DIR] [SECONDS_PER_CASE]   (defaults: . 1) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "template/template.h"

static const char *families[] = {"qwen3", "llama3", "deepseek_v3", "gemma3", "mistral"};
/* One element split in two literals (the hex escape must end before "b"/"e"):
 * parenthesised so the concatenation is visibly meant. */
static const char *bos[] = {NULL, "<|begin_of_text|>",
                            ("<\xef\xbd\x9c"
                             "begin\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"),
                            "<bos>", "<s>"};
static const char *eos[] = {"<|im_end|>", "<|eot_id|>",
                            ("<\xef\xbd\x9c"
                             "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"),
                            "<end_of_turn>", "</s>"};

/* Keeps the copy loop from being optimised away; file scope, so no compiler
 * calls it set-but-unused. */
static volatile char bench_sink;

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    sb_buf b;
    sb_buf_init(&b);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        sb_buf_append(&b, tmp, n);
    fclose(f);
    return sb_buf_steal(&b);
}

/* The sonnet dataset's kind of prompt: the base line and ~20 poem lines. */
static char *make_prompt(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/data/sonnet.txt", dir);
    sb_buf b;
    sb_buf_init(&b);
    sb_buf_puts(&b, "Pick as many lines as you can from these poem lines:\n");
    char *sonnet = read_all(path);
    if (!sonnet)
        sonnet = read_all("/work/shared/data/sonnet.txt");
    const char *p = sonnet ? sonnet : "Shall I compare thee to a summer's day?\n";
    for (int i = 0; i < 20; i++) {
        const char *nl = strchr(p, '\n');
        if (!nl) {
            p = sonnet ? sonnet : p;
            nl = strchr(p, '\n');
        }
        sb_buf_append(&b, p, (size_t)(nl - p) + 1);
        p = nl + 1;
    }
    free(sonnet);
    return sb_buf_steal(&b);
}

/* Peer: jinja2 with transformers' settings, renders/s over `seconds`. */
static double jinja2_rate(const char *tpl_path, const char *prompt_path, double seconds)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c '\n"
             "import json, sys, time\n"
             "from jinja2.sandbox import ImmutableSandboxedEnvironment\n"
             "e = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,"
             " extensions=[\"jinja2.ext.loopcontrols\"])\n"
             "e.filters[\"tojson\"] = lambda x, **kw: json.dumps(x, ensure_ascii=False)\n"
             "t = e.from_string(open(sys.argv[1], encoding=\"utf-8\").read())\n"
             "p = open(sys.argv[2], encoding=\"utf-8\").read()\n"
             "kw = dict(messages=[{\"role\": \"user\", \"content\": p}], tools=None,"
             " documents=None, add_generation_prompt=True, bos_token=\"<s>\", eos_token=\"</s>\")\n"
             "n = 0; t0 = time.perf_counter()\n"
             "while time.perf_counter() - t0 < %g:\n"
             "    t.render(**kw); n += 1\n"
             "print(n / (time.perf_counter() - t0))\n' '%s' '%s' 2>/dev/null",
             seconds, tpl_path, prompt_path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    double rate = 0;
    if (fscanf(p, "%lf", &rate) != 1)
        rate = 0;
    pclose(p);
    return rate;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    double seconds = argc > 2 ? atof(argv[2]) : 1.0;
    char *prompt = make_prompt(dir);
    char prompt_path[] = "/tmp/sb_bench_prompt_XXXXXX";
    int fd = mkstemp(prompt_path);
    FILE *pf = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (pf) {
        fputs(prompt, pf);
        fclose(pf);
    }
    printf("prompt: one user message of %zu bytes, add_generation_prompt=True, %.1f s per case\n",
           strlen(prompt), seconds);
    printf("%-12s %9s %12s %14s %12s %10s %10s %10s\n", "template", "out_bytes", "servebench/s",
           "compile+rend/s", "memcpy/s", "jinja2/s", "vs_memcpy", "vs_jinja2");
    for (int k = 0; k < 5; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/tests/data/templates/%s.jinja", dir, families[k]);
        char *src = read_all(path);
        if (!src) {
            fprintf(stderr, "bench_template: cannot read %s (pass the source dir)\n", path);
            return 1;
        }
        sb_err err;
        tmpl *t = tmpl_compile(src, &err);
        if (!t) {
            fprintf(stderr, "bench_template: %s: %s\n", path, err.msg);
            return 1;
        }
        tmpl_msg m = {"user", prompt};
        tmpl_vars v = {.bos_token = bos[k], .eos_token = eos[k], .add_generation_prompt = true};
        sb_buf out;
        sb_buf_init(&out);
        uint64_t t0 = sb_now_ns(), n = 0;
        while (sb_now_ns() - t0 < (uint64_t)(seconds * 1e9)) {
            sb_buf_reset(&out);
            if (tmpl_render(t, &m, 1, &v, &out, &err) < 0) {
                fprintf(stderr, "bench_template: %s\n", err.msg);
                return 1;
            }
            n++;
        }
        double rate = (double)n / ((double)(sb_now_ns() - t0) / 1e9);
        size_t out_bytes = out.len;
        /* tmpl_render_chat: what a caller pays when it does not keep the tmpl. */
        uint64_t c0 = sb_now_ns(), cn = 0;
        while (sb_now_ns() - c0 < (uint64_t)(seconds * 1e9 / 2)) {
            sb_buf_reset(&out);
            tmpl_render_chat(src, &m, 1, &v, &out, &err);
            cn++;
        }
        double crate = (double)cn / ((double)(sb_now_ns() - c0) / 1e9);
        char *copy = malloc(out_bytes + 1);
        uint64_t m0 = sb_now_ns(), mn = 0;
        while (sb_now_ns() - m0 < (uint64_t)(seconds * 1e9 / 4)) {
            for (int r = 0; r < 1000; r++) {
                memcpy(copy, out.data, out_bytes);
                bench_sink ^= copy[r % (out_bytes ? out_bytes : 1)];
            }
            mn += 1000;
        }
        double mrate = (double)mn / ((double)(sb_now_ns() - m0) / 1e9);
        double jrate = jinja2_rate(path, prompt_path, seconds);
        printf("%-12s %9zu %12.0f %14.0f %12.0f %10.0f %9.1fx %9.1fx\n", families[k], out_bytes,
               rate, crate, mrate, jrate, mrate / rate, jrate > 0 ? rate / jrate : 0.0);
        free(copy);
        sb_buf_free(&out);
        tmpl_free(t);
        free(src);
    }
    unlink(prompt_path);
    free(prompt);
    return 0;
}
