/* SPDX-License-Identifier: Apache-2.0 */
/* ds_yajl.c - see ds_yajl.h. The soname is the one the build linked
 * against (SB_YAJL_SONAME from CMake). */
#include <pthread.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#define DS_YAJL_TABLE /* the names are YAJL's own in this file */
#include "dataset/ds_yajl.h"

struct ds_yajl_fns ds_yajl;
static char why[512]; /* why YAJL could not be loaded; "" when it was */

static void load(void)
{
    static const char *const libs[] = {SB_YAJL_SONAME};
    static const char *const names[] = {DS_YAJL_FNS(SB_DYNLIB_NAME)};
    void *syms[sizeof names / sizeof *names];
    _Static_assert(sizeof ds_yajl == sizeof syms, "one pointer per name");
    if (sb_dynlib_open(libs, 1, names, syms, sizeof syms / sizeof *syms, why, sizeof why) == 0)
        memcpy(&ds_yajl, syms, sizeof ds_yajl);
}

int ds_yajl_ready(sb_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, load);
    return why[0] ? sb_err_set(err, "libyajl: %s", why) : 0;
}
