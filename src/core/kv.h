/* SPDX-License-Identifier: Apache-2.0 */
/* kv.h - one KEY=VALUE pair (--header, --metadata).
 *
 * In core/ rather than config/ so that a stage handed a list of pairs from the
 * configuration (report/'s --metadata echo) need not include the whole
 * configuration type. */
#ifndef SB_KV_H
#define SB_KV_H

typedef struct sb_kv {
    char *key;
    char *value;
} sb_kv;

#endif
