/* SPDX-License-Identifier: Apache-2.0 */
/* Prints, for each code point utf8proc gives a non-zero combining class or a
 * canonical decomposition, utf8proc's NFD of "U+0345 cp" and NFC of "cp". */
#include <stdio.h>
#include <stdlib.h>
#include <utf8proc.h>
static void hex(const utf8proc_uint8_t *s)
{
    for (; *s; s++)
        printf("%02x", *s);
}
int main(void)
{
    for (utf8proc_int32_t cp = 0xA0; cp < 0x110000; cp++) {
        if (cp >= 0xD800 && cp < 0xE000)
            continue;
        const utf8proc_property_t *p = utf8proc_get_property(cp);
        if (p->category == UTF8PROC_CATEGORY_CN)
            continue;
        utf8proc_uint8_t in[16], *nfd = NULL, *nfc = NULL;
        utf8proc_ssize_t n = utf8proc_encode_char(0x345, in);
        n += utf8proc_encode_char(cp, in + n);
        in[n] = 0;
        nfd = utf8proc_NFD(in);
        nfc = utf8proc_NFC(in + 2);
        printf("%x ", cp);
        hex(nfd);
        printf(" ");
        hex(nfc);
        printf("\n");
        free(nfd);
        free(nfc);
    }
    return 0;
}
