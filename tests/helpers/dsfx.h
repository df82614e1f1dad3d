/* SPDX-License-Identifier: Apache-2.0 */
/* dsfx.h - the fixture the dataset tests share: a config with defaults and
 * the GPT-2 tokenizer of tests/data/datasets/gpt2, for cmocka setup and
 * teardown, plus the string setter they all use on config fields. */
#ifndef SB_TEST_DSFX_H
#define SB_TEST_DSFX_H

#include "config/config.h"
#include "tokenizer/tokenizer.h"

typedef struct dsfx {
    sb_config cfg;
    tok *gpt2;
} dsfx;

/* cmocka group setup / teardown: *state is a dsfx. */
int dsfx_setup(void **state);
int dsfx_teardown(void **state);
/* *dst = copy of v (NULL clears), freeing the old value. */
void dsfx_set_str(char **dst, const char *v);

#endif
