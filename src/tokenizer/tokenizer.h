/* SPDX-License-Identifier: Apache-2.0 */
/* tokenizer.h - Hugging Face tokenizer.json, encoded and decoded exactly as the
 * Rust `tokenizers` library does (golden vectors: ../shared/tokenizers).
 *
 * A tok is immutable after tok_load, so tok_encode/tok_decode may be called
 * from several threads at once on the same tok. */
#ifndef SB_TOKENIZER_H
#define SB_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

typedef struct tok tok;

typedef struct tok_ids {
    int32_t *v;
    size_t n, cap;
} tok_ids;

void tok_ids_init(tok_ids *ids);
void tok_ids_free(tok_ids *ids);
void tok_ids_push(tok_ids *ids, int32_t id);
/* Appends v[0..n) (one copy; the hot paths copy cached encodings). */
void tok_ids_append(tok_ids *ids, const int32_t *v, size_t n);

/* Which library's rules sit on top of tokenizer.json (tok_compat.c,
 * docs/tokenize.md). TOK_COMPAT_TRANSFORMERS is what the reference runs:
 * transformers 4.56-4.57 (vLLM requires transformers >= 4.56, < 5), driven by
 * tokenizer_config.json: clean_up_tokenization_spaces in decode, the
 * Llama/Gemma classes' add_bos_token/add_eos_token post-processor.
 * TOK_COMPAT_TRANSFORMERS5 differs only in the clean-up, which transformers
 * >= 5.7 skips for BPE models. TOK_COMPAT_TOKENIZERS is the bare Rust
 * library (tokenizer.json alone decides ids and text). */
typedef enum tok_compat {
    TOK_COMPAT_TRANSFORMERS = 0,
    TOK_COMPAT_TRANSFORMERS5,
    TOK_COMPAT_TOKENIZERS,
} tok_compat;
/* "transformers", "transformers5", "tokenizers" -> *out; -1 when unknown. */
int tok_compat_parse(const char *s, tok_compat *out);
const char *tok_compat_name(tok_compat c);

/* Loads a tokenizer. spec is a tokenizer.json (or .json.gz) file, a directory
 * holding one (plus tokenizer_config.json if present), or a model name
 * ("org/name") resolved offline in the Hugging Face cache layout
 * ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub). Returns
 * NULL and fills err (naming file, JSON path, component) on failure. */
tok *tok_load(const char *spec, sb_err *err);
/* tok_load with explicit rules (tok_load uses TOK_COMPAT_TRANSFORMERS). */
tok *tok_load_compat(const char *spec, tok_compat compat, sb_err *err);
void tok_free(tok *t);
/* Whether t's vocabulary and merges came from the binary copy of its
 * tokenizer.json that loading keeps (tok_cache.c: $SERVEBENCH_TOKENIZER_CACHE, else
 * ~/.cache/servebench/tokenizers; "off" disables it) instead of the JSON. The
 * tokenizer is the same either way; this is for tests and diagnostics. */
bool tok_from_cache(const tok *t);
/* Loads tokenizer.json text from memory (no tokenizer_config.json: special ids
 * are the special added tokens). name appears in error messages. */
tok *tok_load_buffer(const char *json, size_t len, const char *name, sb_err *err);

/* Appends the ids of text[0..len) to out (out is not cleared). add_special
 * applies the post-processor (BOS etc.). Invalid UTF-8 is handled lossily like
 * HF. Returns 0, or -1 with err set. */
int tok_encode(const tok *t, const char *text, size_t len, bool add_special, tok_ids *out,
               sb_err *err);

/* Appends the ids of the pair (a, b), as transformers' tokenizer(a, text_pair=b)
 * and the Rust library's encode(a, b) give them: each text encoded on its own,
 * placed by the post-processor's pair layout when add_special (e.g. BERT
 * [CLS] a [SEP] b [SEP]), else one after the other. A post-processor chain
 * with no exact pair layout is an error naming it. */
int tok_encode_pair(const tok *t, const char *a, size_t alen, const char *b, size_t blen,
                    bool add_special, tok_ids *out, sb_err *err);

/* Per-thread scratch for encoding many texts without re-allocating: one per
 * thread, never shared. tok_encode is tok_encode_ctx with a fresh one. */
typedef struct tok_scratch tok_ctx;
tok_ctx *tok_ctx_new(const tok *t);
void tok_ctx_free(tok_ctx *c);
int tok_encode_ctx(const tok *t, tok_ctx *c, const char *text, size_t len, bool add_special,
                   tok_ids *out, sb_err *err);
/* Gives c a pre-token -> ids cache of up to `bytes` (keys of any length),
 * for callers that re-encode the same pieces many times. Output is the same
 * with or without it. 0 removes it. */
void tok_ctx_cache(tok_ctx *c, size_t bytes);
/* Gives c a chunk cache of about `bytes` (0 removes it): long texts are then
 * cut at safe places and chunks seen before are not encoded again. Same ids
 * as without it (tok_chunk.c says why); only tokenizers whose pipeline allows
 * the cut use it. Pays off when texts share long stretches (random dataset). */
void tok_ctx_chunks(tok_ctx *c, size_t bytes);
/* tok_encode_ctx (no special tokens) that also appends to cuts the places
 * where a chunked encode cut the text, as counts of ids written before each
 * (ascending, each < the ids written). For such a cut k the ids out[0..k)
 * are closed: any id list that starts with out[0..k+1) decodes to text that
 * encodes to out[0..k) followed by the encoding of what the rest decodes to
 * (tok_chunk.c: the text is cut right before a space that follows a letter,
 * and the id at k starts with that space). Nothing is appended when the
 * tokenizer or the text is not chunked. */
int tok_encode_ctx_cuts(const tok *t, tok_ctx *c, const char *text, size_t len, tok_ids *out,
                        tok_ids *cuts, sb_err *err);

/* Ranges of one long id list (the random dataset's windows of the vocabulary
 * cycle): encodes what any ids[a..b) decodes to with work only near a and b,
 * after encoding the list's text once (tok_window.c). ids is borrowed and must
 * outlive the window. NULL (not an error) when the tokenizer does not allow
 * it; then use tok_decode + tok_encode_ctx_cuts. Read-only once built, so
 * threads share it, each with its own ctx. */
typedef struct tok_window tok_window;
tok_window *tok_window_new(const tok *t, tok_ctx *ctx, const int32_t *ids, size_t n, sb_err *err);
void tok_window_free(tok_window *w);
/* Appends encode(decode(ids[a..b))) to out, the ids tok_decode then
 * tok_encode_ctx_cuts give, and cuts with the same guarantee (possibly at
 * other places); text is scratch. */
int tok_window_encode(const tok_window *w, tok_ctx *ctx, size_t a, size_t b, tok_ids *out,
                      tok_ids *cuts, sb_buf *text, sb_err *err);

/* The tokenizer bundled with servebench (GPT-2), used by `serve --sim` when
 * no --tokenizer is given: tokenizers/gpt2 of the data directory (core/datadir.h). */
const char *tok_default_spec(void);

/* Appends the decoded text of ids to out. Ids out of range are an error.
 * Under the transformers rules the appended text is cleaned up as
 * transformers' decode does when tokenizer_config.json says
 * clean_up_tokenization_spaces (tok_cleans_up). */
int tok_decode(const tok *t, const int32_t *ids, size_t n, bool skip_special, sb_buf *out,
               sb_err *err);

/* Does tok_decode apply transformers' clean_up_tokenization? */
bool tok_cleans_up(const tok *t);
/* The rules the tok was loaded with. */
tok_compat tok_compat_of(const tok *t);
/* transformers' model_max_length (tokenizer_config.json; transformers'
 * VERY_LARGE_INTEGER, 1e30, when absent). */
double tok_model_max_length(const tok *t);

/* HF `vocab_size`: the model vocabulary without added tokens. */
size_t tok_vocab_size(const tok *t);
/* Vocabulary including added tokens (ids are below this). */
size_t tok_vocab_size_with_added(const tok *t);
/* transformers' num_special_tokens_to_add(pair=False): under the
 * transformers rules, what the Llama/Gemma classes' post-processor adds. */
size_t tok_num_special_to_add(const tok *t);
/* transformers' all_special_ids (bos/eos/unk/pad/additional special tokens from
 * tokenizer_config.json, else the special added tokens), ascending, unique. */
size_t tok_special_ids(const tok *t, const int32_t **ids);
/* The ids of tokenizer.json's added tokens marked "special" (what
 * transformers lists in added_tokens_decoder with special=True): writes up
 * to cap of them to out and returns how many there are. */
size_t tok_added_special_ids(const tok *t, int32_t *out, size_t cap);
/* Token string for an id, or NULL. */
const char *tok_id_to_token(const tok *t, int32_t id);
/* Id of an exact token string (vocab or added), or -1. */
int32_t tok_token_to_id(const tok *t, const char *token);

/* From tokenizer_config.json (NULL when absent): the chat template source and
 * the bos/eos token strings the template expects. */
const char *tok_chat_template(const tok *t);
const char *tok_bos_token(const tok *t);
const char *tok_eos_token(const tok *t);
/* Path of the tokenizer.json actually loaded (for messages and results). */
const char *tok_source_path(const tok *t);

#endif
