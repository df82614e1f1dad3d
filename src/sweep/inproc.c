/* SPDX-License-Identifier: Apache-2.0 */
/* inproc.c - the in-process point runner: parse the point's serve flags,
 * run it with run_serve_point, keep the tokenizer for the next point.
 *
 * Loading a large tokenizer.json takes seconds; a sweep of fifty points must
 * pay it once, so the runner owns the tokenizer the first run loaded and
 * lends it to every later run whose --model/--tokenizer are the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "run/run.h"
#include "sweep/sweep.h"
#include "tokenizer/tokenizer.h"

typedef struct inproc {
    sweep_runner base;
    tok *tk;
    char *tk_model, *tk_tokenizer; /* the flags of the run that loaded tk */
    bool notes_shown;
} inproc;

typedef struct skip_ctx {
    const sweep_run_req *req;
} skip_ctx;

static bool skip_cb(void *ud, const char *fp)
{
    const sweep_run_req *req = ((skip_ctx *)ud)->req;
    if (req->skip_if_fingerprint && !strcmp(req->skip_if_fingerprint, fp))
        return true;
    if (req->on_start)
        req->on_start(req->ud, fp);
    return false;
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int inproc_run(sweep_runner *self, const sweep_run_req *req, sweep_run_out *out)
{
    inproc *ip = (inproc *)self;
    memset(out, 0, sizeof *out);
    sb_config cfg;
    sb_buf notes;
    sb_err err;
    sb_buf_init(&notes);
    int rc = cli_parse_serve(req->argc, req->argv, &cfg, &notes, &err);
    if (notes.len && !ip->notes_shown)
        fputs(notes.data, stderr);
    ip->notes_shown = true;
    sb_buf_free(&notes);
    if (rc != CLI_PARSED) {
        snprintf(out->reason, sizeof out->reason, "bad serve flags: %.400s",
                 rc < 0 ? err.msg : "--help is not a point flag");
        out->status = 2;
        return 0;
    }
    const char *key = getenv("OPENAI_API_KEY");
    if (key && *key)
        cfg.api_key = sb_xstrdup(key);
    tok_compat compat = TOK_COMPAT_TRANSFORMERS; /* the flag table admits only valid names */
    if (cfg.tokenizer_compat)
        (void)tok_compat_parse(cfg.tokenizer_compat, &compat);
    if (ip->tk && !(same(ip->tk_model, cfg.model) && same(ip->tk_tokenizer, cfg.tokenizer) &&
                    tok_compat_of(ip->tk) == compat)) {
        tok_free(ip->tk); /* this point names another tokenizer */
        ip->tk = NULL;
    }
    run_point p;
    memset(&p, 0, sizeof p);
    p.tk = ip->tk;
    skip_ctx sc = {req};
    p.skip = skip_cb;
    p.ud = &sc;
    if (req->window) {
        p.warmup_s = req->window->warmup_s;
        p.cooldown_s = req->window->cooldown_s;
        p.warmup_requests = req->window->warmup_requests;
        p.cooldown_requests = req->window->cooldown_requests;
    }
    out->status = run_serve_point(&cfg, &p);
    if (!ip->tk && p.tk) {
        ip->tk = p.tk;
        free(ip->tk_model);
        free(ip->tk_tokenizer);
        ip->tk_model = cfg.model ? sb_xstrdup(cfg.model) : NULL;
        ip->tk_tokenizer = cfg.tokenizer ? sb_xstrdup(cfg.tokenizer) : NULL;
    }
    free(p.tok_spec);
    memcpy(out->fingerprint, p.fingerprint, sizeof out->fingerprint);
    out->skipped = p.skipped;
    out->interrupted = p.interrupted;
    out->measured = p.measured;
    out->result_path = p.result_path;
    out->counted = p.counted;
    out->excluded_head = p.excluded_head;
    out->excluded_tail = p.excluded_tail;
    out->window_s = p.window_s;
    out->timed_start_ns = p.timed_start_ns;
    out->timed_end_ns = p.timed_end_ns;
    if (out->status != 0 && !out->skipped && !out->interrupted) /* 130: partial, not failed */
        snprintf(out->reason, sizeof out->reason, "%s (serve exit status %d; its message is above)",
                 !p.timed_start_ns ? "setup or the ready check failed"
                 : p.measured      ? "no request succeeded, or the result could not be saved"
                                   : "the measurement could not be computed",
                 out->status);
    sb_config_free(&cfg);
    return 0;
}

static void inproc_free(sweep_runner *self)
{
    inproc *ip = (inproc *)self;
    tok_free(ip->tk);
    free(ip->tk_model);
    free(ip->tk_tokenizer);
    free(ip);
}

sweep_runner *sweep_inproc_runner(void)
{
    inproc *ip = sb_xcalloc(1, sizeof *ip);
    ip->base.run = inproc_run;
    ip->base.free = inproc_free;
    return &ip->base;
}
