/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_scan.c - libFuzzer target for the backend stream field scanner
 * (src/backend/scan.c), the one JSON parser on the per-message path.
 *
 * Any bytes as one message, with and without the caller's text buffers.
 * Besides "never crash, leak or read past len", it checks what scan.h
 * promises: an accepted message is JSON (jansson, a separate parser, must
 * accept it too), its "choices" count matches the array jansson sees, the
 * extracted text is UTF-8 (lone escaped surrogates aside), a rejection always says why, and parsing
 * is the same whether or not text is collected. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/scan.h"
#include "core/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bk_scan *g_scan;

/* RFC 3629 (no overlongs, nothing past U+10FFFF), except that surrogates are
 * allowed: scan.c keeps a lone \\uD800-\\uDFFF escape as its 3-byte form, as
 * Python's json keeps lone surrogates in a str. */
static int utf8_ok(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t k;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 1, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3, min = 0x10000;
        } else {
            return 0;
        }
        if (i + k >= n)
            return 0;
        unsigned cp = c & (0x3f >> k);
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff)
            return 0;
        i += k + 1;
    }
    return 1;
}

static size_t occurrences(const char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle), c = 0;
    for (size_t i = 0; i + k <= n; i++)
        c += memcmp(p + i, needle, k) == 0;
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_scan)
        g_scan = bk_scan_new();
    /* An exact-size copy: ASan sees any read past len. */
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    sb_buf text, gen;
    sb_buf_init(&text);
    sb_buf_init(&gen);
    bk_msg m, m2;
    char why[128] = "", why2[128] = "";
    int rc = bk_scan_parse(g_scan, buf, size, &m, &text, &gen, why, sizeof why);
    int rc2 = bk_scan_parse(g_scan, buf, size, &m2, NULL, NULL, why2, sizeof why2);
    if (rc != rc2)
        abort();
    if (rc != 0) {
        if (rc != -1 || !why[0])
            abort();
    } else {
        if (m.n_choices != m2.n_choices || m.usage_truthy != m2.usage_truthy ||
            m.completion_tokens != m2.completion_tokens || m.prompt_tokens != m2.prompt_tokens ||
            m.has_error != m2.has_error || m.is_object != m2.is_object ||
            m.has_generated_text != m2.has_generated_text)
            abort(); /* fields (not bytes: the struct has padding) */
        if (!utf8_ok((const unsigned char *)text.data, text.len) ||
            !utf8_ok((const unsigned char *)gen.data, gen.len))
            abort();
        if (m.n_choices < -1 || m.completion_tokens < -1 || m.prompt_tokens < -1)
            abort();
        json_error_t e;
        json_t *j = json_loadb(buf, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        /* scan accepted what is not JSON; jansson alone refuses lone
         * surrogate escapes, which Python's json (and so scan) accepts. */
        if (!j && !strstr(e.text, "nicode"))
            abort();
        if (j && json_is_object(j) != m.is_object)
            abort();
        if (j && json_is_object(j)) {
            json_t *ch = json_object_get(j, "choices");
            /* Compared only when the key is written once and plainly: with
             * duplicates jansson keeps the last, and escapes can spell it. */
            if (ch && json_is_array(ch) && occurrences(buf, size, "choices") == 1 &&
                !memchr(buf, '\\', size) && (size_t)m.n_choices != json_array_size(ch))
                abort();
        }
        json_decref(j);
    }
    sb_buf_free(&text);
    sb_buf_free(&gen);
    free(buf);
    return 0;
}
