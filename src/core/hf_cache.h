/* SPDX-License-Identifier: Apache-2.0 */
/* hf_cache.h - finds a model's files offline: a path to the file itself, a
 * folder holding it, or a model name ("org/name") in the Hugging Face cache
 * layout
 *   $HF_HUB_CACHE | $HF_HOME/hub | ~/.cache/huggingface/hub
 *     /models--ORG--NAME/snapshots/<rev>/   (<rev> from refs/main, else any).
 * Shared by the tokenizer (tokenizer.json) and `servebench kv` (config.json):
 * one rule for where a model lives. Never touches the network. */
#ifndef SB_HF_CACHE_H
#define SB_HF_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* The first of names[0..n) found for spec: spec itself when it is a file,
 * inside spec when it is a folder, else inside the cached snapshot of the
 * model named spec. malloc'd path, or NULL (nothing found). */
char *hf_find(const char *spec, const char *const *names, size_t n);
/* The cache folder a model name maps to (models--ORG--NAME), for messages and
 * downloads; appended to out. */
void hf_repo_dir(const char *spec, sb_buf *out);
/* True for a spec that may name a cached model (no "..", not absolute). */
bool hf_spec_is_name(const char *spec);

#endif
