/* SPDX-License-Identifier: Apache-2.0 */
/* datadir.h - where the bundled data (data/ of the source tree: the default
 * GPT-2 tokenizer, sonnet.txt) is found at run time. */
#ifndef SB_DATADIR_H
#define SB_DATADIR_H

/* Path of rel (e.g. "tokenizers/gpt2") inside the data directory. That is
 * SB_DATA_REL (e.g. "../share/servebench") from the directory of the running
 * executable when that directory exists, so an installed tree works wherever
 * it was copied; else the source tree's data/ (SB_DATA_DIR), for builds run
 * uninstalled. The string lives until exit; thread-safe. */
const char *sb_data_path(const char *rel);

#endif
