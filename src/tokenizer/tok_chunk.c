/* SPDX-License-Identifier: Apache-2.0 */
/* tok_chunk.c - where a long text may be cut so that its pieces can be
 * encoded, and cached, one chunk at a time with exactly the ids of a whole-
 * text encode (used by tok_encode_sc when a tok_ctx has a chunk cache).
 *
 * Why it is exact. A cut at byte h of text T is safe when
 * encode(T) = encode(T[0..h)) ++ encode(T[h..)) for every T with the same
 * few bytes around h. We cut only at h where T[h] is a space and T[h-1] is
 * a letter (\p{L} as the tokenizer's regexes see it, BMP only); what follows
 * the space does not matter. Only for tokenizers whose every stage keeps
 * such a cut:
 *  - added tokens: none contains a space and none strips whitespace or needs
 *    word boundaries, so no added-token match crosses h or changes with it;
 *  - normalizer: none, or NFC. A space never composes with what precedes
 *    it and stops canonical reordering, so NFC(T) = NFC(left) ++ NFC(right);
 *    NFC maps a letter (with any marks after it) to letters only;
 *  - pre-tokenizer: one of the regex splits whitelisted below (GPT-2's
 *    byte-level regex, the Llama-3 / Qwen2-3 split, DeepSeek-V3's three
 *    splits), each without look-behind. In each, a letter is matched only
 *    by an alternative that is a fixed contraction or ends with a letter run
 *    (letters, or letters and marks); so the piece holding T[h-1] ends
 *    exactly at h whatever precedes it and whether or not T[h..] follows
 *    (a space is never part of such a piece); with no look-behind, the scan
 *    of T from h is then the scan of T[h..], whatever T[h..] is. Later stages (ByteLevel,
 * DeepSeek's further splits) work inside pieces, and the model sees one piece at a time. Which safe
 * cuts are used is decided by the bytes around each one (a hash), not by where the text starts, so
 * the random dataset's windows of the same vocabulary cycle cut the shared text at the same places
 * and hit the cache. tests/test_tok_fast.c compares chunked and whole encodes on every tokenizer.
 */
#include <string.h>

#include "tokenizer/tok_internal.h"
#include "core/utf8.h"

/* Pre-tokenizer regexes for which the argument above was checked by hand. */
static const char *const split_ok[] = {
    /* Qwen2 / Qwen3 */
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    /* Llama 3 */
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

static const char *const ds3_split[] = {
    "\\p{N}{1,3}",
    "[\xe4\xb8\x80-\xe9\xbe\xa5\xe3\x81\x80-\xe3\x82\x9f\xe3\x82\xa0-\xe3\x83\xbf]+",
    /* one pattern over three lines */
    ("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|"
     "[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+|"
     " ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"),
};

static bool is_type(json_t *j, const char *type)
{
    json_t *t = json_object_get(j, "type");
    return json_is_string(t) && strcmp(json_string_value(t), type) == 0;
}

static bool false_or_absent(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return !v || json_is_false(v);
}

/* ByteLevel with no prefix space; use_regex as given (GPT-2's own regex). */
static bool bytelevel_ok(json_t *j, bool use_regex)
{
    json_t *r = json_object_get(j, "use_regex");
    bool ur = !r || json_is_true(r);
    return is_type(j, "ByteLevel") && false_or_absent(j, "add_prefix_space") && ur == use_regex;
}

static bool split_is(json_t *j, const char *regex)
{
    json_t *b = json_object_get(j, "behavior");
    json_t *re = json_object_get(json_object_get(j, "pattern"), "Regex");
    return is_type(j, "Split") && json_is_string(b) && !strcmp(json_string_value(b), "Isolated") &&
           false_or_absent(j, "invert") && json_is_string(re) &&
           strcmp(json_string_value(re), regex) == 0;
}

static bool pretok_ok(json_t *p)
{
    if (bytelevel_ok(p, true))
        return true;
    json_t *seq = json_object_get(p, "pretokenizers");
    if (!is_type(p, "Sequence") || !json_is_array(seq))
        return false;
    size_t n = json_array_size(seq);
    if (n == 2 && bytelevel_ok(json_array_get(seq, 1), false))
        for (size_t i = 0; i < sizeof split_ok / sizeof split_ok[0]; i++)
            if (split_is(json_array_get(seq, 0), split_ok[i]))
                return true;
    if (n == 4 && bytelevel_ok(json_array_get(seq, 3), false)) {
        for (size_t i = 0; i < 3; i++)
            if (!split_is(json_array_get(seq, i), ds3_split[i]))
                return false;
        return true;
    }
    return false;
}

static bool norm_ok(json_t *n)
{
    if (!n || json_is_null(n) || is_type(n, "NFC"))
        return true;
    json_t *seq = json_object_get(n, "normalizers");
    if (!is_type(n, "Sequence") || !json_is_array(seq))
        return false;
    size_t i;
    json_t *e;
    json_array_foreach(seq, i, e) if (!is_type(e, "NFC")) return false;
    return true;
}

/* A search over runs of code points rather than a match per code point:
 * \p{L} is a property of each code point alone, so the runs a repeated
 * match finds are exactly the letters (1.7 ms -> about 0.3 ms, at every
 * tokenizer load). Blocks of 512 code points keep each search's subject,
 * which PCRE2 checks for valid UTF-8 at every call, short. */
#define LETTER_BLOCK 512
#define LETTER_PATTERN "\\p{L}++"
uint64_t tok_chunk_letters_key(void)
{
    return tok_regex_tables_key(LETTER_PATTERN);
}

uint8_t *tok_chunk_letters(void)
{
    sb_err err;
    tok_regex *re = tok_regex_new(LETTER_PATTERN, &err);
    if (!re)
        return NULL;
    tok_rematch *md = tok_rematch_new();
    uint8_t *bits = sb_xcalloc(TOK_LETTERS_BYTES, 1);
    char buf[3 * LETTER_BLOCK];
    for (uint32_t base = 0x80; base < 0x10000; base += LETTER_BLOCK) {
        size_t n = 0;
        for (uint32_t cp = base; cp < base + LETTER_BLOCK && cp < 0x10000; cp++)
            if (cp < 0xd800 || cp >= 0xe000)
                n += sb_utf8_encode(buf + n, cp);
        size_t ms, me;
        for (size_t at = 0; at < n && tok_regex_find(re, md, buf, n, at, &ms, &me) && me > ms;
             at = me)
            for (size_t i = ms; i < me;) {
                uint32_t cp;
                i += tok_utf8_next(buf + i, me - i, &cp);
                bits[cp >> 3] |= (uint8_t)(1u << (cp & 7));
            }
    }
    for (uint32_t c = 'A'; c <= 'z'; c++)
        if (c <= 'Z' || c >= 'a')
            bits[c >> 3] |= (uint8_t)(1u << (c & 7));
    tok_rematch_free(md);
    tok_regex_free(re);
    return bits;
}

bool tok_chunk_eligible(const tok *t, json_t *root)
{
    json_t *pre = json_object_get(root, "pre_tokenizer");
    if (!pre || !pretok_ok(pre) || !norm_ok(json_object_get(root, "normalizer")))
        return false;
    for (size_t i = 0; i < t->n_added; i++) {
        const tok_added *a = &t->added[i];
        if (a->lstrip || a->rstrip || a->single_word || memchr(a->content, ' ', a->len))
            return false;
    }
    return true;
}

static bool is_letter(const uint8_t *letters, uint32_t cp)
{
    return cp < 0x10000 && (letters[cp >> 3] >> (cp & 7) & 1);
}

/* The code point ending just before s[h] (0 when not a well-formed 1-3 byte
 * sequence, which counts as "not a letter"). */
static uint32_t cp_before(const char *s, size_t h)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[h - 1] < 0x80)
        return u[h - 1];
    if (h >= 2 && (u[h - 2] & 0xe0) == 0xc0 && (u[h - 1] & 0xc0) == 0x80)
        return (uint32_t)(u[h - 2] & 0x1f) << 6 | (u[h - 1] & 0x3f);
    if (h >= 3 && (u[h - 3] & 0xf0) == 0xe0 && (u[h - 2] & 0xc0) == 0x80 &&
        (u[h - 1] & 0xc0) == 0x80)
        return (uint32_t)(u[h - 3] & 0x0f) << 12 | (uint32_t)(u[h - 2] & 0x3f) << 6 |
               (u[h - 1] & 0x3f);
    return 0;
}

/* About one safe cut in TOK_CHUNK_EVERY is used. */
#define TOK_CHUNK_EVERY 16

bool tok_chunk_cut_at(const uint8_t *letters, const char *s, size_t h)
{
    return h > 0 && s[h] == ' ' && is_letter(letters, cp_before(s, h));
}

size_t tok_chunk_next(const uint8_t *letters, const char *s, size_t n, size_t from)
{
    /* The hash reads 8 bytes s[h-3..h+5), so cuts lie in [3, n-5]. */
    if (n < 8)
        return n;
    for (size_t h = from > 3 ? from : 3; h <= n - 5; h++) {
        const char *sp = memchr(s + h, ' ', n - 5 - h + 1);
        if (!sp)
            break;
        h = (size_t)(sp - s);
        if (!tok_chunk_cut_at(letters, s, h))
            continue;
        uint64_t x;
        memcpy(&x, s + h - 3, sizeof x);
        x *= 0x9e3779b97f4a7c15ULL;
        if ((x >> 60) % TOK_CHUNK_EVERY == 0)
            return h;
    }
    return n;
}
