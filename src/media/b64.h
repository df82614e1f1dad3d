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

#endif
