/* SPDX-License-Identifier: Apache-2.0 */
/* cli.h - `servebench serve` command line -> sb_config.
 *
 * One table (flag_table.c) lists every flag with its names, type, default,
 * help text and config field, so parsing, --help, the Namespace-like summary
 * and docs/serve.md cannot drift apart. Parsing rules follow the reference's
 * FlexibleArgumentParser (vllm/utils/argparse_utils.py:
 * FlexibleArgumentParser.parse_args): `--flag value` and `--flag=value`, `_` for `-` in the name,
 * nargs lists ending at the next flag, dotted `--extra-body.key value`, duplicates warn and keep
 * the last. */
#ifndef SB_CLI_H
#define SB_CLI_H

#include "config/config.h"
#include "core/buf.h"
#include "core/err.h"

#define CLI_PARSED 0
#define CLI_HELP 1    /* --help / -h: print cli_serve_help and exit 0 */
#define CLI_HELP_MD 2 /* --help-markdown: the flag tables of docs/serve.md */

/* Parses argv[1..argc) (argv[0] is the command name) into cfg, which is
 * filled with the defaults first and validated as the reference does.
 * Warnings and notes (duplicates, ignored Python-only flags) are appended to
 * notes, one line each. Returns CLI_PARSED (cfg is then the caller's to
 * sb_config_free), CLI_HELP, CLI_HELP_MD, or -1 with err naming the flag (and
 * the closest valid flag for an unknown one); in those cases cfg is already
 * freed. OPENAI_API_KEY is read by the caller, not here. */
int cli_parse_serve(int argc, char **argv, sb_config *cfg, sb_buf *notes, sb_err *err);
/* cli_parse_serve for `dataset stats`: without --backend, a dataset that
 * needs another backend than the default gets it (random-rerank:
 * vllm-rerank; random batches: openai-embeddings; random-mm, custom_image:
 * openai-chat; custom_audio: openai-audio, or openai-chat with
 * --enable-multimodal-chat), with a note. */
int cli_parse_dataset_stats(int argc, char **argv, sb_config *cfg, sb_buf *notes, sb_err *err);

/* Grouped `servebench serve --help` text. */
void cli_serve_help(sb_buf *out);
/* Markdown tables of every flag, grouped, for docs/serve.md. */
void cli_serve_help_markdown(sb_buf *out);
/* One line like Python's Namespace(...) print: every flag's value, sorted by
 * name, header values redacted, the API key never shown. */
void cli_serve_summary(const sb_config *cfg, sb_buf *out);

/* Number of table rows, and row i's canonical flag name ("--request-rate")
 * and alias (NULL if none): for tests, docs checks and sweep's axes. */
size_t cli_flag_count(void);
const char *cli_flag_name(size_t i);
const char *cli_flag_alias(size_t i);

#endif
