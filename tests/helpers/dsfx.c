/* SPDX-License-Identifier: Apache-2.0 */
/* dsfx.c - the dataset tests' shared fixture (dsfx.h). */
#include "dsfx.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>

#include <cmocka.h>

#include "testutil.h"

int dsfx_setup(void **state)
{
    dsfx *f = calloc(1, sizeof *f);
    sb_config_defaults(&f->cfg);
    char *p = tu_data_path("datasets/gpt2");
    sb_err err;
    sb_err_clear(&err);
    f->gpt2 = tok_load(p, &err);
    if (!f->gpt2)
        fail_msg("tok_load %s: %s", p, err.msg);
    free(p);
    *state = f;
    return 0;
}

int dsfx_teardown(void **state)
{
    dsfx *f = *state;
    sb_config_free(&f->cfg);
    tok_free(f->gpt2);
    free(f);
    return 0;
}

void dsfx_set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = v ? sb_xstrdup(v) : NULL;
}
