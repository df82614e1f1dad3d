/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_tok_load.c - libFuzzer target for the tokenizer.json loader: any
 * bytes must give a tokenizer or an error message, never a crash or a leak.
 * A loaded tokenizer is also exercised once (encode + decode) so that a
 * structurally odd but accepted file cannot break the pipeline.
 * Seeds: the .json files in tests/data/tokenizers/small. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tokenizer/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_err err;
    tok *t = tok_load_buffer((const char *)data, size, "fuzz.json", &err);
    if (!t)
        return 0;
    tok_ids ids;
    tok_ids_init(&ids);
    const char *text = "Hello  wörld 123 <s>[MASK] \xe2\x96\x81x\n";
    if (tok_encode(t, text, strlen(text), true, &ids, &err) == 0) {
        sb_buf out;
        sb_buf_init(&out);
        tok_decode(t, ids.v, ids.n, false, &out, &err);
        sb_buf_free(&out);
    }
    tok_ids_free(&ids);
    tok_free(t);
    return 0;
}
