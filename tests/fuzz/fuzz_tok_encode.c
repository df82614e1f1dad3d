/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_tok_encode.c - libFuzzer target for encoding and decoding: the input
 * is encoded (with and without special tokens; invalid UTF-8 included), the
 * ids are decoded again, and the input is also read as an id sequence and
 * decoded. The tokenizer is $FUZZ_TOKENIZER (default: the bundled GPT-2; use
 * tests/data/tokenizers/mistral or gemma3 for byte fallback). */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenizer.h"

static tok *the_tok(void)
{
    static tok *t; /* loaded once per fuzzing process (libFuzzer is single-threaded) */
    if (!t) {
        const char *spec = getenv("FUZZ_TOKENIZER");
        sb_err err;
        t = tok_load(spec ? spec : tok_default_spec(), &err);
        if (!t)
            abort();
    }
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tok *t = the_tok();
    sb_err err;
    tok_ids ids;
    tok_ids_init(&ids);
    sb_buf out;
    sb_buf_init(&out);
    tok_encode(t, (const char *)data, size, size & 1, &ids, &err);
    tok_decode(t, ids.v, ids.n, size & 2, &out, &err);
    size_t n = size / 4, vs = tok_vocab_size_with_added(t);
    int32_t *raw = malloc((n + 1) * sizeof *raw);
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, data + 4 * i, 4);
        raw[i] = (int32_t)(v % (vs + 2)); /* mostly valid, sometimes out of range */
    }
    sb_buf_reset(&out);
    tok_decode(t, raw, n, size & 4, &out, &err);
    free(raw);
    sb_buf_free(&out);
    tok_ids_free(&ids);
    return 0;
}
