/* SPDX-License-Identifier: Apache-2.0 */
/* tls_check.c - eng_tls_check: one handshake before an https:// run (see
 * engine.h).
 *
 * Why a separate handshake: with verification failing, every request fails
 * the same way, each after its own handshake, and the reason is buried in a
 * failure count; a plain-HTTP port answers a ClientHello with nothing and
 * each request would wait for the stall timeout. One CONNECT_ONLY transfer
 * with a short connect timeout says it once, in seconds. */
#include <stdio.h>
#include <string.h>

#include "core/curl_dl.h"
#include "http/engine.h"

/* host:port of url for messages (never the user:password part). */
static void host_port(const char *url, char *out, size_t cap)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
        curl_url_get(u, CURLUPART_HOST, &host, 0);
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    }
    snprintf(out, cap, "%s:%s", host ? host : "?", port ? port : "?");
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
}

static const char *advice(CURLcode rc, const char *detail)
{
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
        strstr(detail, "certificate"))
        return "; give the server's CA with --ca-bundle FILE (or SSL_CERT_FILE), or skip "
               "verification with --insecure";
    if (rc == CURLE_OPERATION_TIMEDOUT || strstr(detail, "wrong version number") ||
        strstr(detail, "packet length too long") || rc == CURLE_SSL_CONNECT_ERROR)
        return "; is the port a plain-HTTP one? then use http://";
    return "";
}

int eng_tls_check(const eng_opts *o, const char *url, double connect_s, sb_err *err)
{
    if (sb_curl_ready("an https:// URL", err) != 0)
        return -1;
    CURL *c = curl_easy_init();
    if (!c)
        return sb_err_set(err, "TLS check: cannot start a transfer");
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (o->http2)
        curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_0);
    if (o->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (o->ca_bundle)
        curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_bundle);
    /* A plain-HTTP server reads the ClientHello as a partial request line
     * and says nothing: after a short wait with TCP up and no handshake, ask
     * it plainly, and only a real (slow) TLS server gets the full time. */
    double first_s = connect_s > 2.0 ? 1.5 : connect_s;
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(first_s * 1000.0));
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OPERATION_TIMEDOUT && first_s < connect_s) {
        /* (the TCP connect time is not kept for a connect that timed out;
         * the peer's address is, and the side probe needs it) */
        curl_off_t tls = 0;
        curl_easy_getinfo(c, CURLINFO_APPCONNECT_TIME_T, &tls);
        char where[128];
        if (tls == 0 && eng_answers_plain_http(c, where, sizeof where)) {
            curl_easy_cleanup(c);
            return sb_err_set(err,
                              "TLS handshake with %s failed: the server speaks plain HTTP, not "
                              "TLS (is the port a plain-HTTP one? then use http://)",
                              where);
        }
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(connect_s * 1000.0));
        rc = curl_easy_perform(c);
    }
    int ret = 0;
    if (rc != CURLE_OK) {
        char hp[300];
        host_port(url, hp, sizeof hp);
        const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
        ret = sb_err_set(err, "TLS handshake with %s failed: %s%s", hp, detail, advice(rc, detail));
    }
    curl_easy_cleanup(c);
    return ret;
}
