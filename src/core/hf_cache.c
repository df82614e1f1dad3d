/* SPDX-License-Identifier: Apache-2.0 */
/* hf_cache.c - model files on disk or in the Hugging Face cache (hf_cache.h).
 * The snapshot named by refs/main wins; without it the first snapshot that
 * holds one of the wanted files is used, as huggingface_hub does offline. */
#include "core/hf_cache.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir/names[i] for the first i that exists, malloc'd, or NULL. */
static char *in_dir(const char *dir, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sb_buf b;
        sb_buf_init(&b);
        sb_buf_printf(&b, "%s/%s", dir, names[i]);
        if (is_file(b.data))
            return sb_buf_steal(&b);
        sb_buf_free(&b);
    }
    return NULL;
}

void hf_repo_dir(const char *spec, sb_buf *out)
{
    const char *c = getenv("HF_HUB_CACHE"), *h = getenv("HF_HOME"), *home = getenv("HOME");
    if (c && *c)
        sb_buf_puts(out, c);
    else if (h && *h)
        sb_buf_printf(out, "%s/hub", h);
    else
        sb_buf_printf(out, "%s/.cache/huggingface/hub", home ? home : "");
    sb_buf_puts(out, "/models--");
    for (const char *p = spec; *p; p++) {
        if (*p == '/')
            sb_buf_puts(out, "--");
        else
            sb_buf_putc(out, *p);
    }
}

bool hf_spec_is_name(const char *spec)
{
    return spec[0] != '/' && !strstr(spec, "..");
}

static char *from_cache(const char *repo_dir, const char *const *names, size_t n)
{
    sb_buf b;
    sb_buf_init(&b);
    sb_buf_printf(&b, "%s/refs/main", repo_dir);
    FILE *f = fopen(b.data, "r");
    char rev[128] = "";
    if (f) {
        if (!fgets(rev, sizeof rev, f))
            rev[0] = '\0';
        fclose(f);
        rev[strcspn(rev, "\r\n")] = '\0';
    }
    char *found = NULL;
    if (rev[0] && !strchr(rev, '/')) {
        sb_buf_reset(&b);
        sb_buf_printf(&b, "%s/snapshots/%s", repo_dir, rev);
        found = in_dir(b.data, names, n);
    }
    sb_buf_reset(&b);
    sb_buf_printf(&b, "%s/snapshots", repo_dir);
    DIR *d = found ? NULL : opendir(b.data);
    struct dirent *e;
    while (d && !found && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        sb_buf s;
        sb_buf_init(&s);
        sb_buf_printf(&s, "%s/%s", b.data, e->d_name);
        found = in_dir(s.data, names, n);
        sb_buf_free(&s);
    }
    if (d)
        closedir(d);
    sb_buf_free(&b);
    return found;
}

char *hf_find(const char *spec, const char *const *names, size_t n)
{
    if (!spec || !*spec)
        return NULL;
    if (is_file(spec))
        return sb_xstrdup(spec);
    if (is_dir(spec))
        return in_dir(spec, names, n);
    if (!hf_spec_is_name(spec))
        return NULL;
    sb_buf repo;
    sb_buf_init(&repo);
    hf_repo_dir(spec, &repo);
    char *p = from_cache(repo.data, names, n);
    sb_buf_free(&repo);
    return p;
}
