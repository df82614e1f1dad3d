/* SPDX-License-Identifier: Apache-2.0 */
/* tok_resolve.c - turns a --tokenizer argument into a tokenizer.json path:
 * a file, a directory holding tokenizer.json(.gz), or a model name looked up
 * offline in the Hugging Face cache layout
 *   $HF_HUB_CACHE | $HF_HOME/hub | ~/.cache/huggingface/hub
 *     /models--ORG--NAME/snapshots/<rev>/   (<rev> from refs/main, else any).
 * Nothing here touches the network unless SERVEBENCH_DOWNLOAD=1 asks for the
 * missing model to be fetched into that cache (tok_download.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/hf_cache.h"
#include "tokenizer/tok_internal.h"

static const char *const tok_files[] = {"tokenizer.json", "tokenizer.json.gz"};
#define N_TOK_FILES (sizeof tok_files / sizeof tok_files[0])

char *tok_resolve(const char *spec, sb_err *err)
{
    if (!spec || !*spec) {
        sb_err_set(err, "empty tokenizer name");
        return NULL;
    }
    char *p = hf_find(spec, tok_files, N_TOK_FILES);
    if (p)
        return p;
    struct stat st;
    if (stat(spec, &st) == 0 && S_ISDIR(st.st_mode)) {
        sb_err_set(err, "%s: directory has no tokenizer.json or tokenizer.json.gz", spec);
        return NULL;
    }
    sb_buf repo;
    sb_buf_init(&repo);
    hf_repo_dir(spec, &repo);
    bool name = hf_spec_is_name(spec) && strchr(spec, '/');
    if (name && tok_download_enabled()) {
        if (tok_download(spec, repo.data, err) == 0)
            p = hf_find(spec, tok_files, N_TOK_FILES);
        else {
            sb_buf_free(&repo);
            return NULL;
        }
    }
    if (!p)
        sb_err_set(err,
                   "tokenizer \"%s\" not found: not a file or directory, and no "
                   "tokenizer.json in the Hugging Face cache at %s (servebench works offline; "
                   "set SERVEBENCH_DOWNLOAD=1 to fetch it from $HF_ENDPOINT, run "
                   "`huggingface-cli download %s tokenizer.json tokenizer_config.json`, "
                   "or pass a path)",
                   spec, repo.data, spec);
    sb_buf_free(&repo);
    return p;
}
