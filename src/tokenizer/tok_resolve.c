/* tok_resolve.c - turns a --tokenizer argument into a tokenizer.json path:
 * a file, a directory holding tokenizer.json(.gz), or a model name looked up
 * offline in the Hugging Face cache layout
 *   $HF_HUB_CACHE | $HF_HOME/hub | ~/.cache/huggingface/hub
 *     /models--ORG--NAME/snapshots/<rev>/   (<rev> from refs/main, else any).
 * Nothing here touches the network unless SERVEBENCH_DOWNLOAD=1 asks for the
 * missing model to be fetched into that cache (tok_download.c). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tokenizer/tok_internal.h"

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

/* tokenizer.json or tokenizer.json.gz inside dir, malloc'd, or NULL. */
static char *in_dir(const char *dir)
{
    static const char *names[] = {"tokenizer.json", "tokenizer.json.gz"};
    for (int i = 0; i < 2; i++) {
        sb_buf b;
        sb_buf_init(&b);
        sb_buf_printf(&b, "%s/%s", dir, names[i]);
        if (is_file(b.data))
            return sb_buf_steal(&b);
        sb_buf_free(&b);
    }
    return NULL;
}

static void hub_root(sb_buf *b)
{
    const char *c = getenv("HF_HUB_CACHE"), *h = getenv("HF_HOME"), *home = getenv("HOME");
    if (c && *c)
        sb_buf_puts(b, c);
    else if (h && *h)
        sb_buf_printf(b, "%s/hub", h);
    else
        sb_buf_printf(b, "%s/.cache/huggingface/hub", home ? home : "");
}

/* snapshots/<rev> named by refs/main, else the first snapshot with a
 * tokenizer in it. */
static char *from_cache(const char *repo_dir)
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
        found = in_dir(b.data);
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
        found = in_dir(s.data);
        sb_buf_free(&s);
    }
    if (d)
        closedir(d);
    sb_buf_free(&b);
    return found;
}

char *tok_resolve(const char *spec, sb_err *err)
{
    if (!spec || !*spec) {
        sb_err_set(err, "empty tokenizer name");
        return NULL;
    }
    if (is_file(spec))
        return sb_xstrdup(spec);
    if (is_dir(spec)) {
        char *p = in_dir(spec);
        if (!p)
            sb_err_set(err, "%s: directory has no tokenizer.json or tokenizer.json.gz", spec);
        return p;
    }
    sb_buf root, repo;
    sb_buf_init(&root);
    sb_buf_init(&repo);
    hub_root(&root);
    sb_buf_printf(&repo, "%s/models--", root.data);
    for (const char *c = spec; *c; c++) {
        if (*c == '/')
            sb_buf_puts(&repo, "--");
        else
            sb_buf_putc(&repo, *c);
    }
    bool safe = !strstr(spec, "..") && spec[0] != '/';
    char *p = safe ? from_cache(repo.data) : NULL;
    if (!p && safe && strchr(spec, '/') && tok_download_enabled()) {
        if (tok_download(spec, repo.data, err) != 0) {
            sb_buf_free(&root);
            sb_buf_free(&repo);
            return NULL;
        }
        p = from_cache(repo.data);
    }
    if (!p)
        sb_err_set(err,
                   "tokenizer \"%s\" not found: not a file or directory, and no "
                   "tokenizer.json in the Hugging Face cache at %s (servebench works offline; "
                   "set SERVEBENCH_DOWNLOAD=1 to fetch it from $HF_ENDPOINT, run "
                   "`huggingface-cli download %s tokenizer.json tokenizer_config.json`, "
                   "or pass a path)",
                   spec, repo.data, spec);
    sb_buf_free(&root);
    sb_buf_free(&repo);
    return p;
}
