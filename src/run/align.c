/* SPDX-License-Identifier: Apache-2.0 */
/* align.c - prompt lengths checked against the server's /tokenize, and
 * re-aligned through /detokenize (align.h).
 *
 * Which prompts: those whose length is the client's count of exactly the text
 * sent. random and prefix_repetition count without special tokens (as
 * upstream's alignment asks the server, add_special_tokens false), sharegpt
 * and custom with them (vllm/benchmarks/datasets/datasets.py: ShareGPTDataset
 * and CustomDataset count len(tokenizer(prompt).input_ids)). Other datasets'
 * lengths are targets or sums (burstgpt, sonnet's template, batches), so
 * nothing is compared. The look-ups are blocking one-offs before t0 (like
 * GET /v1/models): a sample of RUN_ALIGN_SAMPLE prompts, and all of them only
 * when a re-alignment is due. */
#include "run/align.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pyfmt.h"

#define ALIGN_TIMEOUT_S 30.0

/* POST {base}{path} with body; the answer's JSON object, or NULL with why
 * (status: the HTTP status, or -1 for a transport failure). */
static json_t *post(eng *e, const run_target *t, const char *path, const sb_buf *body, int *status,
                    char *why, size_t cap)
{
    sb_buf url, out;
    sb_buf_init(&url);
    sb_buf_init(&out);
    sb_buf_printf(&url, "%s%s", t->base, path);
    sb_err err;
    sb_err_clear(&err);
    json_t *j = NULL;
    *status = eng_fetch(e, "POST", url.data, t->headers, body->data, &out, ALIGN_TIMEOUT_S, &err);
    if (*status < 0) {
        snprintf(why, cap, "POST %s: %.200s", path, err.msg);
    } else if (*status != 200) {
        snprintf(why, cap, "POST %s answered HTTP %d%s", path, *status,
                 *status == 404 ? " (the server has no such endpoint)" : "");
    } else {
        json_error_t je;
        j = json_loadb(out.data ? out.data : "", out.len, JSON_ALLOW_NUL, &je);
        if (!json_is_object(j)) {
            snprintf(why, cap, "POST %s: the answer is not a JSON object (%s)", path, je.text);
            json_decref(j);
            j = NULL;
        }
    }
    sb_buf_free(&url);
    sb_buf_free(&out);
    return j;
}

static void tokenize_body(sb_buf *b, const char *model, const sb_request *q, bool special)
{
    sb_buf_reset(b);
    sb_buf_puts(b, "{\"model\": ");
    pyfmt_json_string(b, model, strlen(model));
    sb_buf_puts(b, ", \"prompt\": ");
    pyfmt_json_string(b, q->prompt, q->prompt_bytes);
    sb_buf_printf(b, ", \"add_special_tokens\": %s}", special ? "true" : "false");
}

/* The server's count of q's prompt, or -1 with why. With ids, its token ids. */
static long server_count(eng *e, const run_target *t, const char *model, const sb_request *q,
                         bool special, json_t **ids, char *why, size_t cap)
{
    sb_buf b;
    sb_buf_init(&b);
    tokenize_body(&b, model, q, special);
    int st;
    json_t *j = post(e, t, "/tokenize", &b, &st, why, cap);
    sb_buf_free(&b);
    if (!j)
        return -1;
    json_t *n = json_object_get(j, "count"), *tk = json_object_get(j, "tokens");
    long count = -1;
    if (!json_is_integer(n) || json_integer_value(n) < 0)
        snprintf(why, cap, "POST /tokenize: no \"count\" (an integer >= 0) in the answer");
    else
        count = (long)json_integer_value(n);
    if (count >= 0 && ids) {
        if (json_is_array(tk) && json_array_size(tk) == (size_t)count) {
            *ids = json_incref(tk);
        } else {
            snprintf(why, cap, "POST /tokenize: \"tokens\" is not a list of \"count\" ids");
            count = -1;
        }
    }
    json_decref(j);
    return count;
}

/* The text of q's first prompt_len server tokens (POST /detokenize; malloc'd,
 * its length in *len), or NULL when the server did not answer so. */
static char *cut(eng *e, const run_target *t, const char *model, const sb_request *q, json_t *ids,
                 size_t *len)
{
    json_t *head = json_array();
    for (size_t i = 0; i < (size_t)q->prompt_len; i++)
        json_array_append(head, json_array_get(ids, i));
    json_t *req = json_pack("{s:s, s:o}", "model", model, "tokens", head);
    char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!s)
        return NULL;
    sb_buf b;
    sb_buf_init(&b);
    sb_buf_puts(&b, s);
    free(s);
    char why[256];
    int st;
    json_t *j = post(e, t, "/detokenize", &b, &st, why, sizeof why);
    sb_buf_free(&b);
    json_t *p = json_object_get(j, "prompt");
    char *text = NULL;
    if (json_is_string(p)) {
        *len = json_string_length(p);
        text = sb_xmalloc(*len + 1);
        memcpy(text, json_string_value(p), *len + 1);
    }
    json_decref(j);
    return text;
}

/* How the dataset counted its prompts: 0 without special tokens, 1 with,
 * -1 when its lengths are not counts of the text sent. */
static int counts_text(const char *dataset)
{
    if (!strcmp(dataset, "random") || !strcmp(dataset, "prefix_repetition"))
        return 0;
    if (!strcmp(dataset, "sharegpt") || !strcmp(dataset, "custom"))
        return 1;
    return -1;
}

static bool one_text(const sb_request *q)
{
    return q->prompt && !q->forms.ids && !q->forms.texts && !q->forms.mm_parts &&
           !q->forms.audio_wav;
}

static void not_checked(run_align *out, const char *fmt, const char *arg)
{
    out->status = "not checked";
    snprintf(out->reason, sizeof out->reason, fmt, arg);
}

/* Re-alignment look-ups in flight, as upstream's 64 concurrent requests:
 * each thread makes its own blocking transfers (eng_fetch, one easy handle
 * each), so a remote server's round trips overlap. */
#define ALIGN_THREADS 16

typedef struct realign_job {
    eng *e;
    const run_target *t;
    const char *model;
    const sb_dataset *ds;
    char **text; /* per request: the cut text (malloc'd), or NULL */
    size_t *len;
    bool *failed;
    atomic_size_t next;
} realign_job;

static void *realign_worker(void *arg)
{
    realign_job *j = arg;
    char why[320];
    for (size_t i; (i = atomic_fetch_add(&j->next, 1)) < j->ds->n;) {
        const sb_request *q = &j->ds->reqs[i];
        json_t *ids = NULL;
        long n = server_count(j->e, j->t, j->model, q, false, &ids, why, sizeof why);
        if (n < 0)
            j->failed[i] = true;
        else if (n > q->prompt_len && !(j->text[i] = cut(j->e, j->t, j->model, q, ids, &j->len[i])))
            j->failed[i] = true;
        json_decref(ids);
    }
    return NULL;
}

/* Every prompt through /tokenize; those the server counts longer cut. The
 * dataset's arena takes the new texts on this thread, after the workers. */
static void realign_all(eng *e, const run_target *t, const char *model, sb_dataset *ds,
                        run_align *out)
{
    realign_job j = {.e = e,
                     .t = t,
                     .model = model,
                     .ds = ds,
                     .text = sb_xcalloc(ds->n, sizeof *j.text),
                     .len = sb_xcalloc(ds->n, sizeof *j.len),
                     .failed = sb_xcalloc(ds->n, sizeof *j.failed)};
    atomic_init(&j.next, 0);
    pthread_t th[ALIGN_THREADS];
    size_t started = 0;
    for (; started < ALIGN_THREADS && started < ds->n; started++)
        if (pthread_create(&th[started], NULL, realign_worker, &j) != 0)
            break;
    if (started == 0) /* no thread could start: this one does the work */
        realign_worker(&j);
    for (size_t k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    for (size_t i = 0; i < ds->n; i++) {
        if (j.failed[i]) {
            out->align_failed++;
        } else if (j.text[i]) {
            ds->reqs[i].prompt = sb_arena_strndup(&ds->arena, j.text[i], j.len[i]);
            ds->reqs[i].prompt_bytes = j.len[i];
            out->realigned++;
        }
        free(j.text[i]);
    }
    free(j.text);
    free(j.len);
    free(j.failed);
}

void run_align_prompts(eng *e, const run_target *t, const char *model, const char *dataset,
                       bool multi_turn, run_align_mode mode, sb_dataset *ds, run_align *out)
{
    memset(out, 0, sizeof *out);
    out->first_index = -1;
    int special = counts_text(dataset);
    bool fixable = special == 0;
    if (mode == RUN_ALIGN_OFF)
        return not_checked(out, "%s", "--tokenizer-alignment off");
    if (special < 0)
        return not_checked(out,
                           "--dataset-name %s: its prompt lengths are not the client's "
                           "counts of the text sent",
                           dataset);
    if (multi_turn)
        return not_checked(out, "%s", "--multi-turn builds each turn's prompt during the run");
    if (ds->n == 0)
        return not_checked(out, "%s", "no requests");
    out->add_special = special == 1;
    out->asked = true;
    size_t k = ds->n < RUN_ALIGN_SAMPLE ? ds->n : RUN_ALIGN_SAMPLE;
    char why[320];
    for (size_t s = 0; s < k; s++) {
        size_t i = s * ds->n / k; /* request 0 first, as upstream probes it */
        const sb_request *q = &ds->reqs[i];
        if (!one_text(q))
            return not_checked(out, "%s", "the prompts are not one text each");
        long n = server_count(e, t, model, q, out->add_special, NULL, why, sizeof why);
        if (n < 0) {
            if (out->sampled == 0) {
                if (fixable) /* the reference's line (vllm/benchmarks/serve.py, PR #44708) */
                    printf("WARNING: /tokenize unavailable, skipping alignment.\n");
                not_checked(out, "%s", why);
                printf("Tokenizer alignment: not checked (%s)\n", out->reason);
                return;
            }
            continue; /* a later look-up failing: the sample is smaller */
        }
        out->sampled++;
        out->client_tokens += (uint64_t)q->prompt_len;
        out->server_tokens += (uint64_t)n;
        if (n == q->prompt_len) {
            out->matched++;
        } else if (out->first_index < 0) {
            out->first_index = (long)i;
            out->first_server = n;
            out->first_client = q->prompt_len;
        }
    }
    if (out->matched == out->sampled) {
        out->status = "matched";
        printf("Tokenizer alignment: the server's /tokenize counts %zu of %zu sampled prompts as "
               "the client does\n",
               out->matched, out->sampled);
        return;
    }
    out->status = "mismatch";
    if (fixable && mode == RUN_ALIGN_FIX) {
        printf("WARNING: tokenizer mismatch (server=%ld, expected=%ld), re-aligning prompts.\n",
               out->first_server, out->first_client);
        realign_all(e, t, model, ds, out);
        out->status = "realigned";
    }
    printf("Tokenizer alignment: %zu of %zu sampled prompts counted differently by the server "
           "(request %ld: server %ld, client %ld tokens)",
           out->sampled - out->matched, out->sampled, out->first_index, out->first_server,
           out->first_client);
    if (!strcmp(out->status, "realigned"))
        printf("; %zu of %zu prompts cut to their length, %zu kept (look-up failed)\n",
               out->realigned, ds->n, out->align_failed);
    else
        printf("; prompts not changed (%s)\n", fixable ? "--tokenizer-alignment check"
                                                       : "only random and prefix_repetition "
                                                         "prompts are re-aligned");
}

void run_align_render(const run_align *a, sb_buf *json, sb_buf *text)
{
    if (!a->status)
        return;
    if (json->len)
        sb_buf_puts(json, ", ");
    sb_buf_puts(json, "\"tokenizer_alignment\": {\"status\": ");
    pyfmt_json_string(json, a->status, strlen(a->status));
    if (a->reason[0]) {
        sb_buf_puts(json, ", \"reason\": ");
        pyfmt_json_string(json, a->reason, strlen(a->reason));
    } else {
        sb_buf_printf(json,
                      ", \"add_special_tokens\": %s, \"sampled\": %zu, \"matched\": %zu, "
                      "\"client_tokens\": %llu, \"server_tokens\": %llu, \"realigned\": %zu, "
                      "\"realign_failed\": %zu",
                      a->add_special ? "true" : "false", a->sampled, a->matched,
                      (unsigned long long)a->client_tokens, (unsigned long long)a->server_tokens,
                      a->realigned, a->align_failed);
    }
    sb_buf_putc(json, '}');
    if (!a->asked) /* nothing was sent: no section in the block */
        return;
    sb_buf_printf(text, "%-40s %s\n", "Tokenizer alignment:", a->status);
    if (a->reason[0])
        return;
    sb_buf_printf(text, "%-40s %zu of %zu\n", "Sampled prompts counted alike:", a->matched,
                  a->sampled);
    if (!strcmp(a->status, "realigned"))
        sb_buf_printf(text, "%-40s %zu\n", "Prompts re-aligned:", a->realigned);
}

run_align_mode run_align_mode_of(const char *s)
{
    return !s || !strcmp(s, "align") ? RUN_ALIGN_FIX
           : !strcmp(s, "check")     ? RUN_ALIGN_CHECK
                                     : RUN_ALIGN_OFF;
}

void run_align_skip(run_align *out, const char *why)
{
    memset(out, 0, sizeof *out);
    out->first_index = -1;
    not_checked(out, "%s", why);
}
