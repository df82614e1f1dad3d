/* SPDX-License-Identifier: Apache-2.0 */
/* b64.h - standard base64 (RFC 4648, '+' '/', '=' padding, no line breaks):
 * what Python's base64.b64encode writes into the data URLs and input_audio
 * parts of multimodal requests. */
#ifndef SB_B64_H
#define SB_B64_H

#include <stddef.h>

#include "core/buf.h"

/* Appends the base64 text of p[0..n) to out. */
void sb_b64_encode(sb_buf *out, const void *p, size_t n);
/* Appends the bytes of base64 text s[0..n) (padding optional) to out; -1 on
 * a character outside the alphabet or a bad length (out then holds part). */
int sb_b64_decode(sb_buf *out, const char *s, size_t n);

#endif
