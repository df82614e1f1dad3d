/* SPDX-License-Identifier: Apache-2.0 */
/* tok_unicode.h - Unicode data where the libraries we link lag behind the
 * tables HF's Rust library was built with. */
#ifndef SB_TOK_UNICODE_H
#define SB_TOK_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PCRE2 class ranges ("\x{..}-\x{..}...") of code points that HF's regex
 * engine puts in general category `name` (L, N, P, S, M, Lu, ...) and PCRE2
 * 10.42 does not; NULL when there are none. */
const char *tok_unicode_extra(const char *name, size_t len);

/* True for code points that HF's NFC/NFD tables (Unicode 9) treat as
 * unassigned starters although utf8proc combines, reorders or decomposes
 * them; normalization must not cross them. */
bool tok_unicode_nfc_unknown(uint32_t cp);

#endif
