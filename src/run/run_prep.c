/* SPDX-License-Identifier: Apache-2.0 */
/* run_prep.c - URLs, headers, model discovery and bodies for run_serve.
 *
 * Bodies are all built before the first send (reference: the dataset is
 * sampled up front too), so the timed loop only hands pointers to curl. */
#include "run/run_prep.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "core/buf.h"
#include "core/curl_dl.h"

void run_target_init(run_target *t, const sb_config *cfg, const char *sim_base)
{
    memset(t, 0, sizeof *t);
    sb_buf b;
    sb_buf_init(&b);
    if (sim_base)
        sb_buf_puts(&b, sim_base);
    else if (cfg->base_url)
        sb_buf_puts(&b, cfg->base_url);
    else if (strchr(cfg->host, ':') && cfg->host[0] != '[')
        sb_buf_printf(&b, "http://[%s]:%d", cfg->host, cfg->port);
    else
        sb_buf_printf(&b, "http://%s:%d", cfg->host, cfg->port);
    t->base = sb_xstrdup(b.data);
    sb_buf_puts(&b, cfg->endpoint);
    t->url = sb_buf_steal(&b);
}

static bool user_sets(const sb_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_headers; i++)
        if (strcasecmp(cfg->headers[i].key, name) == 0)
            return true;
    return false;
}

void run_target_headers(run_target *t, const sb_config *cfg, const char *content_type)
{
    sb_buf line;
    sb_buf_init(&line);
    if (!user_sets(cfg, "Content-Type")) {
        sb_buf_printf(&line, "Content-Type: %s", content_type);
        t->headers = sb_curl_slist_append(t->headers, line.data);
        sb_buf_reset(&line);
    }
    if (cfg->api_key && *cfg->api_key && !user_sets(cfg, "Authorization")) {
        sb_buf_printf(&line, "Authorization: Bearer %s", cfg->api_key);
        t->headers = sb_curl_slist_append(t->headers, line.data);
    }
    for (size_t i = 0; i < cfg->n_headers; i++) {
        if (strcasecmp(cfg->headers[i].key, "x-request-id") == 0)
            continue; /* the per-request id wins (3.2 rule 4) */
        sb_buf_reset(&line);
        sb_buf_printf(&line, "%s: %s", cfg->headers[i].key, cfg->headers[i].value);
        t->headers = sb_curl_slist_append(t->headers, line.data);
    }
    t->headers = sb_curl_slist_append(t->headers, "Expect:");
    sb_buf_free(&line);
}

void run_target_free(run_target *t)
{
    free(t->base);
    free(t->url);
    sb_curl_slist_free(t->headers);
}

int run_fetch_model(eng *e, const run_target *t, char **id, char **root, sb_err *err)
{
    sb_buf url, body;
    sb_buf_init(&url);
    sb_buf_init(&body);
    sb_buf_printf(&url, "%s/v1/models", t->base);
    int st = eng_fetch(e, "GET", url.data, t->headers, NULL, &body, 30.0, err);
    int rc = -1;
    json_t *j = NULL;
    if (st < 0)
        goto out;
    if (st != 200) {
        sb_err_set(err, "GET %s: HTTP %d", url.data, st);
        goto out;
    }
    json_error_t je;
    j = json_loads(body.data ? body.data : "", 0, &je);
    json_t *d0 = json_array_get(json_object_get(j, "data"), 0);
    const char *i = json_string_value(json_object_get(d0, "id"));
    const char *r = json_string_value(json_object_get(d0, "root"));
    if (!i) {
        sb_err_set(err, "GET %s: no data[0].id in the answer", url.data);
        goto out;
    }
    *id = sb_xstrdup(i);
    *root = sb_xstrdup(r ? r : i);
    rc = 0;
out:
    json_decref(j);
    sb_buf_free(&url);
    sb_buf_free(&body);
    return rc;
}

char *run_random_prefix(void)
{
    unsigned char r[4] = {0};
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        memset(r, 0x5b, sizeof r); /* never fails on Linux >= 3.17 for 4 bytes */
    char *p = sb_xmalloc(32);
    snprintf(p, 32, "bench-%02x%02x%02x%02x-", r[0], r[1], r[2], r[3]);
    return p;
}

void run_build_bodies(const bk_params *p, const sb_dataset *ds, const run_lora *lora,
                      const char *id_prefix, sb_arena *a, loop_req *out)
{
    sb_buf id;
    sb_buf_init(&id);
    /* random.choice over the names, one per request in order, from Python's
     * global random as the dataset left it (copied: ds stays as it was). */
    py_random rng = ds->py_global;
    pyjson_obj scratch;
    pyjson_obj_init(&scratch);
    sb_buf b;
    sb_buf_init(&b);
    for (size_t i = 0; i < ds->n; i++) {
        const sb_request *q = &ds->reqs[i];
        bk_req r = {.prompt = q->prompt,
                    .prompt_bytes = q->prompt_bytes,
                    .prompt_len = q->prompt_len,
                    .output_len = q->output_len,
                    .forms = q->forms};
        if (q->has_request_id) {
            sb_buf_reset(&id);
            sb_buf_printf(&id, "%s%zu", id_prefix, i);
            r.request_id = id.data;
        }
        if (lora && lora->n)
            r.model =
                lora->names[lora->round_robin ? i % lora->n : py_random_choice(&rng, lora->n)];
        sb_buf_reset(&b);
        bk_build_body(p, &r, &scratch, &b);
        out[i].body = sb_arena_strndup(a, b.data, b.len);
        out[i].body_len = b.len;
        out[i].id = q->has_request_id ? (long)i : -1;
    }
    sb_buf_free(&b);
    sb_buf_free(&id);
    pyjson_obj_free(&scratch);
}
