/* SPDX-License-Identifier: Apache-2.0 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    const char *props[] = {"L", "N", "P", "S", "M"};
    pcre2_code *c[5];
    int ec;
    PCRE2_SIZE eo;
    for (int i = 0; i < 5; i++) {
        char p[32];
        sprintf(p, "^\\p{%s}$", props[i]);
        c[i] = pcre2_compile((PCRE2_SPTR)p, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &ec, &eo,
                             NULL);
    }
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    for (unsigned cp = 0; cp < 0x110000; cp++) {
        if (cp >= 0xD800 && cp < 0xE000)
            continue;
        unsigned char b[5];
        int n;
        if (cp < 0x80) {
            b[0] = cp;
            n = 1;
        } else if (cp < 0x800) {
            b[0] = 0xC0 | cp >> 6;
            b[1] = 0x80 | (cp & 63);
            n = 2;
        } else if (cp < 0x10000) {
            b[0] = 0xE0 | cp >> 12;
            b[1] = 0x80 | ((cp >> 6) & 63);
            b[2] = 0x80 | (cp & 63);
            n = 3;
        } else {
            b[0] = 0xF0 | cp >> 18;
            b[1] = 0x80 | ((cp >> 12) & 63);
            b[2] = 0x80 | ((cp >> 6) & 63);
            b[3] = 0x80 | (cp & 63);
            n = 4;
        }
        int m = 0;
        for (int i = 0; i < 5; i++)
            if (pcre2_match(c[i], b, n, 0, 0, md, NULL) >= 0)
                m |= 1 << i;
        if (m)
            printf("%x %d\n", cp, m);
    }
}
