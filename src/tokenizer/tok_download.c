/* SPDX-License-Identifier: Apache-2.0 */
/* tok_download.c - the opt-in download of a tokenizer into the Hugging Face cache.
 *
 * Offline is the default (a benchmark should not depend on the network, and
 * the reference's silent hub access is a common surprise). With
 * SERVEBENCH_DOWNLOAD=1 a model name missing from the cache is fetched from
 * $HF_ENDPOINT (default https://huggingface.co)/ORG/NAME/resolve/main/FILE,
 * with $HF_TOKEN as bearer token, and stored where tok_resolve looks:
 * models--ORG--NAME/snapshots/main/ with refs/main = "main". Each file is
 * written to a temporary name and renamed, so a failed transfer never leaves
 * a truncated tokenizer.json for the next run to trip over. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/curl_dl.h"
#include "tokenizer/tok_internal.h"

bool tok_download_enabled(void)
{
    const char *v = getenv("SERVEBENCH_DOWNLOAD");
    return v && (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"));
}

static int mkdirs(const char *path)
{
    char *p = sb_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

/* GETs url into path; returns the HTTP status (200 on success), or -1 with err
 * set on a transport or file error. */
static long fetch(const char *url, const char *path, sb_err *err)
{
    if (sb_curl_ready("downloading from the Hugging Face Hub", err) != 0)
        return -1;
    sb_buf tmp;
    sb_buf_init(&tmp);
    sb_buf_printf(&tmp, "%s.part", path);
    FILE *f = fopen(tmp.data, "wb");
    if (!f) {
        sb_err_set(err, "cannot write %s: %s", tmp.data, strerror(errno));
        sb_buf_free(&tmp);
        return -1;
    }
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = NULL;
    const char *token = getenv("HF_TOKEN");
    if (token && *token) {
        sb_buf a;
        sb_buf_init(&a);
        sb_buf_printf(&a, "Authorization: Bearer %s", token);
        hdr = curl_slist_append(hdr, a.data);
        sb_buf_free(&a);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "servebench/" SB_VERSION);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    int bad = fclose(f) != 0;
    if (rc != CURLE_OK || bad) {
        sb_err_set(err, "downloading %s: %s", url,
                   rc != CURLE_OK ? curl_easy_strerror(rc) : "write error");
        status = -1;
    } else if (status == 200 && rename(tmp.data, path) != 0) {
        sb_err_set(err, "cannot rename %s: %s", tmp.data, strerror(errno));
        status = -1;
    }
    if (status != 200)
        unlink(tmp.data);
    sb_buf_free(&tmp);
    return status;
}

int tok_download(const char *spec, const char *repo_dir, sb_err *err)
{
    const char *ep = getenv("HF_ENDPOINT");
    if (!ep || !*ep)
        ep = "https://huggingface.co";
    sb_buf dir, url, path;
    sb_buf_init(&dir);
    sb_buf_init(&url);
    sb_buf_init(&path);
    sb_buf_printf(&dir, "%s/snapshots/main", repo_dir);
    int rc = mkdirs(dir.data) == 0
                 ? 0
                 : sb_err_set(err, "cannot create %s: %s", dir.data, strerror(errno));
    static const char *files[] = {"tokenizer.json", "tokenizer_config.json"};
    for (int i = 0; i < 2 && rc == 0; i++) {
        sb_buf_reset(&url);
        sb_buf_reset(&path);
        sb_buf_printf(&url, "%s/%s/resolve/main/%s", ep, spec, files[i]);
        sb_buf_printf(&path, "%s/%s", dir.data, files[i]);
        long st = fetch(url.data, path.data, err);
        /* tokenizer_config.json is optional: many repositories have none. */
        if (st == 404 && i == 1)
            continue;
        if (st != 200)
            rc = st < 0 ? -1 : sb_err_set(err, "downloading %s: HTTP %ld", url.data, st);
    }
    if (rc == 0) {
        sb_buf_reset(&path);
        sb_buf_printf(&path, "%s/refs", repo_dir);
        mkdirs(path.data);
        sb_buf_puts(&path, "/main");
        FILE *f = fopen(path.data, "w");
        if (!f || fputs("main", f) < 0 || fclose(f) != 0)
            rc = sb_err_set(err, "cannot write %s", path.data);
    }
    sb_buf_free(&dir);
    sb_buf_free(&url);
    sb_buf_free(&path);
    return rc;
}
