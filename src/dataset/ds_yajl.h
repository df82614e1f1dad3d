/* SPDX-License-Identifier: Apache-2.0 */
/* ds_yajl.h - YAJL, the streaming JSON parser of the large dataset files
 * (ds_scan.c, ds_sharegpt.c), opened when a dataset file is first scanned
 * rather than linked (core/dynlib.h): one shared object fewer at every start
 * (docs/engine.md "Start-up"); the random dataset never needs it. Included
 * after <yajl/yajl_parse.h>: from here on YAJL's function names mean the
 * entries of this table, typed from its header. Callers check
 * ds_yajl_ready first. */
#ifndef SB_DS_YAJL_H
#define SB_DS_YAJL_H

#include "core/dynlib.h"
#include "core/err.h"

#define DS_YAJL_FNS(X)                                                                             \
    X(yajl_alloc)                                                                                  \
    X(yajl_complete_parse)                                                                         \
    X(yajl_free)                                                                                   \
    X(yajl_free_error)                                                                             \
    X(yajl_get_bytes_consumed)                                                                     \
    X(yajl_get_error)                                                                              \
    X(yajl_parse)

extern struct ds_yajl_fns {
    DS_YAJL_FNS(SB_DYNLIB_FIELD)
} ds_yajl;
/* 0 when YAJL is usable, else -1 with err naming why not. */
int ds_yajl_ready(sb_err *err);

#ifndef DS_YAJL_TABLE
#define yajl_alloc ds_yajl.yajl_alloc
#define yajl_complete_parse ds_yajl.yajl_complete_parse
#define yajl_free ds_yajl.yajl_free
#define yajl_free_error ds_yajl.yajl_free_error
#define yajl_get_bytes_consumed ds_yajl.yajl_get_bytes_consumed
#define yajl_get_error ds_yajl.yajl_get_error
#define yajl_parse ds_yajl.yajl_parse
#endif

#endif
