/* SPDX-License-Identifier: Apache-2.0 */
/* curl_dl.c - see curl_dl.h. */
#define SB_CURL_DL_IMPL
#include "core/curl_dl.h"

#include "core/buf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb_curl_fns sb_curl;
static char load_why[512];
static atomic_int loaded;

static void load(void)
{
    static const char *const names[] = {SB_CURL_FNS(SB_DYNLIB_NAME)};
    void *syms[sizeof names / sizeof *names];
    _Static_assert(sizeof sb_curl == sizeof names / sizeof *names * sizeof(void *),
                   "one pointer per name");
    const char *so = SB_CURL_SONAME;
    if (sb_dynlib_open(&so, 1, names, syms, sizeof names / sizeof *names, load_why,
                       sizeof load_why) != 0)
        return;
    /* the table is one function pointer per name, in list order (SB_DYNLIB_FIELD) */
    memcpy(&sb_curl, syms, sizeof sb_curl);
    CURLcode rc = sb_curl.curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        snprintf(load_why, sizeof load_why, "curl_global_init failed (%s)",
                 sb_curl.curl_easy_strerror(rc));
        return;
    }
    atomic_store(&loaded, 1);
}

int sb_curl_ready(const char *what, sb_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, load);
    if (atomic_load(&loaded))
        return 0;
    return sb_err_set(err,
                      "%s needs libcurl, which is opened when first needed: %s (install "
                      "libcurl4, or use a plain http:// URL)",
                      what, load_why);
}

int sb_curl_loaded(void)
{
    return atomic_load(&loaded);
}

struct curl_slist *sb_curl_slist_append(struct curl_slist *list, const char *s)
{
    struct curl_slist *n = sb_xmalloc(sizeof *n);
    n->data = sb_xstrdup(s);
    n->next = NULL;
    if (!list)
        return n;
    struct curl_slist *t = list;
    while (t->next)
        t = t->next;
    t->next = n;
    return list;
}

void sb_curl_slist_free(struct curl_slist *list)
{
    while (list) {
        struct curl_slist *next = list->next;
        free(list->data);
        free(list);
        list = next;
    }
}
