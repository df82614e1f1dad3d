/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_sim_http.c - libFuzzer target for the simulator's HTTP request parser.
 *
 * Feeds arbitrary bytes to sim_http_parse under a small and a large limit and
 * checks the promises callers rely on: views stay inside the buffer, a parsed
 * request never claims more bytes than it was given, errors carry a 4xx/5xx
 * status and a message, every prefix of a parsed request is incomplete. Then
 * walks pipelined requests the way the connection code does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_http.h"

static void check_view(sim_str v, const char *buf, size_t len)
{
    if (v.n && (v.p < buf || v.p + v.n > buf + len))
        abort();
}

static void check(const char *buf, size_t len, size_t max_header, size_t max_body)
{
    size_t off = 0;
    for (int i = 0; i < 64 && off < len; i++) {
        sim_http_req r;
        int rc = sim_http_parse(buf + off, len - off, max_header, max_body, &r);
        if (rc == SIM_HTTP_INCOMPLETE)
            return;
        if (rc == SIM_HTTP_ERROR) {
            if (r.status < 400 || r.status > 599 || !r.error)
                abort();
            return;
        }
        if (rc != SIM_HTTP_DONE || r.total_len == 0 || r.total_len > len - off)
            abort();
        check_view(r.method, buf + off, len - off);
        check_view(r.path, buf + off, len - off);
        check_view(r.version, buf + off, len - off);
        check_view(r.request_id, buf + off, len - off);
        if (r.body_len > max_body || (r.body_len && r.body + r.body_len > buf + off + r.total_len))
            abort();
        /* Every prefix of a request that parses is incomplete: refusing bytes
         * before the header block ends (garbage, a TLS hello) never refuses the
         * start of a valid request. */
        size_t total = r.total_len;
        for (size_t k = 0; k < total; k = k < 300 ? k + 1 : total - 1 > k ? total - 1 : total) {
            sim_http_req p;
            if (sim_http_parse(buf + off, k, max_header, max_body, &p) != SIM_HTTP_INCOMPLETE)
                abort();
        }
        off += total;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy so reads past the end trip AddressSanitizer. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    check(buf, size, 256, 64);
    check(buf, size, 65536, 64u << 20);
    free(buf);
    return 0;
}
