/* SPDX-License-Identifier: Apache-2.0 */
/* dynlib.c - see dynlib.h. */
#include "core/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>

static int dynlib_open(int mode, const char *const *libs, size_t nlibs, const char *const *names,
                       void **syms, size_t n, char *why, size_t cap)
{
    void *h[8];
    if (nlibs > sizeof h / sizeof *h) {
        snprintf(why, cap, "too many libraries (%zu) for one table", nlibs);
        return -1;
    }
    for (size_t i = 0; i < nlibs; i++)
        if (!(h[i] = dlopen(libs[i], RTLD_NOW | mode))) {
            const char *e = dlerror();
            snprintf(why, cap, "%s could not be loaded (%s)", libs[i], e ? e : "no reason given");
            return -1;
        }
    for (size_t k = 0; k < n; k++) {
        syms[k] = NULL;
        for (size_t i = 0; !syms[k] && i < nlibs; i++)
            syms[k] = dlsym(h[i], names[k]);
        if (!syms[k]) {
            snprintf(why, cap, "%s: none of its libraries has %s", libs[0], names[k]);
            return -1;
        }
    }
    return 0;
}

int sb_dynlib_open(const char *const *libs, size_t nlibs, const char *const *names, void **syms,
                   size_t n, char *why, size_t cap)
{
    return dynlib_open(RTLD_LOCAL, libs, nlibs, names, syms, n, why, cap);
}

int sb_dynlib_open_global(const char *const *libs, size_t nlibs, const char *const *names,
                          void **syms, size_t n, char *why, size_t cap)
{
    return dynlib_open(RTLD_GLOBAL, libs, nlibs, names, syms, n, why, cap);
}
