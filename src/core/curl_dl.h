/* SPDX-License-Identifier: Apache-2.0 */
/* curl_dl.h - libcurl opened on first use, not linked (core/dynlib.h).
 *
 * Why: linked, libcurl's dependency tree (GnuTLS or OpenSSL, nettle,
 * Kerberos, LDAP, RTMP, libssh2, libpsl, libidn2, brotli, zstd...) is
 * loaded, relocated and initialised at every start: about 5 ms of a
 * 1 ms program (docs/engine.md "Start-up"). A plain http:// run needs none
 * of it: its requests and side requests go over the engine's own HTTP/1.1
 * transport (http/native.c). libcurl carries https://, --http2, proxied
 * requests, --http-client curl, image URL and hub downloads.
 *
 * Included after <curl/curl.h> by the files that call libcurl: from here on
 * libcurl's function names mean the entries of a table typed from curl.h
 * (the variadic setopt/getinfo are called through pointers of the same
 * variadic type, which is the same call on every ABI; gcc's typecheck
 * macros of curl.h are replaced by these names). Each caller checks
 * sb_curl_ready first. Header lists need no libcurl: sb_curl_slist_append
 * builds the plain {data, next} list that libcurl only reads. */
#ifndef SB_CURL_DL_H
#define SB_CURL_DL_H

#include <curl/curl.h>

#include "core/dynlib.h"
#include "core/err.h"

#define SB_CURL_SONAME "libcurl.so.4"

#define SB_CURL_FNS(X)                                                                             \
    X(curl_global_init)                                                                            \
    X(curl_easy_init)                                                                              \
    X(curl_easy_cleanup)                                                                           \
    X(curl_easy_reset)                                                                             \
    X(curl_easy_setopt)                                                                            \
    X(curl_easy_getinfo)                                                                           \
    X(curl_easy_perform)                                                                           \
    X(curl_easy_strerror)                                                                          \
    X(curl_free)                                                                                   \
    X(curl_multi_init)                                                                             \
    X(curl_multi_cleanup)                                                                          \
    X(curl_multi_setopt)                                                                           \
    X(curl_multi_add_handle)                                                                       \
    X(curl_multi_remove_handle)                                                                    \
    X(curl_multi_assign)                                                                           \
    X(curl_multi_info_read)                                                                        \
    X(curl_multi_perform)                                                                          \
    X(curl_multi_poll)                                                                             \
    X(curl_multi_socket_action)                                                                    \
    X(curl_url)                                                                                    \
    X(curl_url_cleanup)                                                                            \
    X(curl_url_get)                                                                                \
    X(curl_url_set)

extern struct sb_curl_fns {
    SB_CURL_FNS(SB_DYNLIB_FIELD)
} sb_curl;

/* 0 when libcurl is loaded and initialised (curl_global_init, once per
 * process, thread-safe), else -1 with err saying that `what` needs libcurl,
 * which library could not be loaded and why. */
int sb_curl_ready(const char *what, sb_err *err);
/* Has libcurl been loaded by this process (through sb_curl_ready)? */
int sb_curl_loaded(void);

/* A header list as libcurl reads it (CURLOPT_HTTPHEADER, CURLOPT_RESOLVE),
 * made without libcurl: appends a copy of s; returns the list's head. */
struct curl_slist *sb_curl_slist_append(struct curl_slist *list, const char *s);
void sb_curl_slist_free(struct curl_slist *list);

#ifndef SB_CURL_DL_IMPL
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init sb_curl.curl_global_init
#define curl_easy_init sb_curl.curl_easy_init
#define curl_easy_cleanup sb_curl.curl_easy_cleanup
#define curl_easy_reset sb_curl.curl_easy_reset
#define curl_easy_setopt sb_curl.curl_easy_setopt
#define curl_easy_getinfo sb_curl.curl_easy_getinfo
#define curl_easy_perform sb_curl.curl_easy_perform
#define curl_easy_strerror sb_curl.curl_easy_strerror
#define curl_free sb_curl.curl_free
#define curl_multi_init sb_curl.curl_multi_init
#define curl_multi_cleanup sb_curl.curl_multi_cleanup
#define curl_multi_setopt sb_curl.curl_multi_setopt
#define curl_multi_add_handle sb_curl.curl_multi_add_handle
#define curl_multi_remove_handle sb_curl.curl_multi_remove_handle
#define curl_multi_assign sb_curl.curl_multi_assign
#define curl_multi_info_read sb_curl.curl_multi_info_read
#define curl_multi_perform sb_curl.curl_multi_perform
#define curl_multi_poll sb_curl.curl_multi_poll
#define curl_multi_socket_action sb_curl.curl_multi_socket_action
#define curl_url sb_curl.curl_url
#define curl_url_cleanup sb_curl.curl_url_cleanup
#define curl_url_get sb_curl.curl_url_get
#define curl_url_set sb_curl.curl_url_set
/* made without libcurl (above) */
#undef curl_slist_append
#undef curl_slist_free_all
#define curl_slist_append sb_curl_slist_append
#define curl_slist_free_all sb_curl_slist_free
#endif

#endif
