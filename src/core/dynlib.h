/* SPDX-License-Identifier: Apache-2.0 */
/* dynlib.h - optional libraries opened when first needed instead of linked.
 *
 * A library linked into servebench is loaded, relocated and initialised at
 * every start, with its whole dependency tree (FFmpeg's codecs, cairo's X11
 * and font stack, libsndfile's audio codecs: dozens of shared objects, tens
 * of ms; bench/startup.c). Code that needs one only for some runs keeps the
 * library's header for the types and calls it through a table of pointers
 * filled here on first use. */
#ifndef SB_DYNLIB_H
#define SB_DYNLIB_H

#include <stddef.h>

/* Opens each soname of libs[0..nlibs) (RTLD_NOW | RTLD_LOCAL; kept open for
 * the life of the process) and looks up each of names[0..n) in them, the
 * first library that has it winning, into syms[i]. Returns 0, or -1 with a
 * sentence in why[0..cap) naming the library that could not be loaded (and
 * the loader's reason) or the symbol none of them has. */
int sb_dynlib_open(const char *const *libs, size_t nlibs, const char *const *names, void **syms,
                   size_t n, char *why, size_t cap);
/* The same with RTLD_GLOBAL, for a library that opens plugins of its own
 * which need its symbols (Open MPI's components). names may also be data
 * objects: syms[i] is then the object's address. */
int sb_dynlib_open_global(const char *const *libs, size_t nlibs, const char *const *names,
                          void **syms, size_t n, char *why, size_t cap);

/* A table of the functions of a list macro FNS (X(name) for each) is a struct
 * with one field per function, typed from the library's own declaration so
 * that every call through it is checked as a direct call would be:
 *   static struct { FNS(SB_DYNLIB_FIELD) } tbl;
 *   static const char *const tbl_names[] = {FNS(SB_DYNLIB_NAME)};
 * and after sb_dynlib_open(..., tbl_names, syms, ...) each syms[i] is copied
 * into the i-th field (memcpy: ISO C has no cast from void * to a function
 * pointer). */
/* NOLINTNEXTLINE(bugprone-macro-parentheses): f is a declarator name here */
#define SB_DYNLIB_FIELD(f) __typeof__(&f) f;
#define SB_DYNLIB_NAME(f) #f,

#endif
