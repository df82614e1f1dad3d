/* SPDX-License-Identifier: Apache-2.0 */
/* flags.h - the flag table's row type (internal to src/cli). */
#ifndef SB_CLI_FLAGS_H
#define SB_CLI_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/err.h"

typedef enum flag_type {
    FT_BOOL,        /* store_true; no value */
    FT_STR,         /* char * */
    FT_INT,         /* int */
    FT_LONG,        /* long */
    FT_U64,         /* uint64_t, >= 0 */
    FT_DOUBLE,      /* double; "inf" accepted */
    FT_STRLIST,     /* nargs='+': char ** + size_t count at n_off */
    FT_KVLIST,      /* nargs='+' KEY=VALUE: sb_kv * + count */
    FT_APPEND,      /* one value per use, appended; the value may start with "--" */
    FT_JSON,        /* JSON object text; also --flag.key value */
    FT_CUSTOM,      /* parsed by the row's handler */
    FT_IGNORED,     /* Python-only: accepted, noted, no effect (takes a value if metavar) */
    FT_UNSUPPORTED, /* a reference flag servebench lacks: stops with "not supported yet" */
} flag_type;

typedef struct cli_ctx cli_ctx;

typedef struct cli_flag {
    const char *name;  /* canonical, without "--" */
    const char *alias; /* other accepted name, or NULL */
    flag_type type;
    size_t off;          /* offsetof(sb_config, field) */
    size_t n_off;        /* count field for lists */
    const char *metavar; /* NULL for flags without a value */
    const char *def;     /* default as shown in help and docs */
    int group;           /* index into flag_groups */
    const char *help;
    const char *const *choices; /* NULL-terminated, or NULL */
    bool nargs;                 /* FT_CUSTOM taking one or more values */
    int (*custom)(sb_config *cfg, char **vals, size_t n, sb_err *err);
} cli_flag;

extern const cli_flag cli_flags[];
extern const size_t cli_n_flags;
extern const char *const flag_groups[];
extern const size_t flag_n_groups;

/* Value handlers used by table rows (flag_values.c). */
int fv_max_concurrency(sb_config *cfg, char **v, size_t n, sb_err *err);
int fv_num_workers(sb_config *cfg, char **v, size_t n, sb_err *err);
int fv_rate(sb_config *cfg, char **v, size_t n, sb_err *err);
int fv_range_ratio(sb_config *cfg, char **v, size_t n, sb_err *err);
int fv_ramp_strategy(sb_config *cfg, char **v, size_t n, sb_err *err);
int fv_ramp_start(sb_config *cfg, char **v, size_t n, sb_err *err);
int fv_ramp_end(sb_config *cfg, char **v, size_t n, sb_err *err);
int fv_percentiles(sb_config *cfg, char **v, size_t n, sb_err *err);
int fv_goodput(sb_config *cfg, char **v, size_t n, sb_err *err);
int fv_legacy_dataset(sb_config *cfg, char **v, size_t n, sb_err *err);
int fv_hash_seed(sb_config *cfg, char **v, size_t n, sb_err *err);
int fv_self_timed(sb_config *cfg, char **v, size_t n, sb_err *err);
int fv_no_self_timed(sb_config *cfg, char **v, size_t n, sb_err *err);
int fv_server_metrics(sb_config *cfg, char **v, size_t n, sb_err *err);
int fv_no_server_metrics(sb_config *cfg, char **v, size_t n, sb_err *err);

/* Number parsing shared by the parser and the handlers: whole string, no
 * trailing junk; doubles accept inf/infinity like Python's float(). */
int fv_parse_long(const char *s, long *out);
int fv_parse_double(const char *s, double *out);

/* Reads a --config YAML file into command-line words ("--key", "value",
 * ...), malloc'd each and in an array the caller frees. */
int cli_config_file_words(const char *path, char ***out, int *n_out, sb_err *err);

/* Post-parse checks of vllm/benchmarks/serve.py: add_cli_args (ramp-up, ranges, dataset
 * path rules, sampling flags) and generic --input-len/--output-len copies.
 * Notes go to notes. */
int cli_validate(sb_config *cfg, sb_buf *notes, sb_err *err);

#endif
