/* SPDX-License-Identifier: Apache-2.0 */
/* tok_internal.h - the pieces of a tokenizer shared by the files of this
 * module (not part of the public interface, tokenizer.h).
 *
 * The pipeline mirrors Hugging Face `tokenizers` stage by stage so that each
 * stage can be checked against the Rust library on its own: added-token split
 * -> normalizer -> pre-tokenizer -> model -> post-processor; decoding runs the
 * decoder chain over token strings. Everything built by tok_load is read-only
 * afterwards; per-call scratch lives in a tok_scratch owned by the caller. */
#ifndef SB_TOK_INTERNAL_H
#define SB_TOK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "tokenizer/tokenizer.h"

/* Largest token id accepted: real vocabularies stay under 300k, and an id
 * sizes the id -> token tables, so a stray 2e9 must be an error, not a
 * 16 GB allocation. */
#define TOK_MAX_ID (1 << 24)

/* A byte range of the tokenizer.json text. */
typedef struct tok_span {
    const char *p;
    size_t n;
} tok_span;

/* ---- hash maps (tok_map.c) ---------------------------------------------- */

/* String -> int32, open addressing. Entries are records in one blob
 * ([int32 val][uint32 len][bytes][NUL], 4-aligned) and a slot holds the
 * record's offset and 32 bits of the hash, so a lookup costs one probe into
 * the slots and one read of the record, and a miss usually only the first. */
typedef struct tok_smap {
    struct tok_sslot {
        uint32_t off; /* record offset + 1, 0 = empty */
        uint32_t tag; /* high hash bits */
    } * slots;
    size_t mask;
    size_t n;
    sb_buf blob;
} tok_smap;

/* Iteration: *pos starts at 0; returns false after the last entry. */
bool tok_smap_next(const tok_smap *m, size_t *pos, const char **key, size_t *len, int32_t *val);
void tok_smap_init(tok_smap *m, size_t expect);
void tok_smap_free(tok_smap *m);
/* Inserts or overwrites. */
void tok_smap_put(tok_smap *m, const char *k, size_t len, int32_t val);
/* Value or -1. */
int32_t tok_smap_get(const tok_smap *m, const char *k, size_t len);
uint64_t tok_hash(const void *p, size_t n);

/* uint64 -> (int32 a, int32 b), open addressing (BPE merges: pair -> rank,
 * merged id; tries: node<<8|byte -> child). Key and values share a 16-byte
 * slot: one cache line per probe. */
typedef struct tok_pmap {
    struct tok_pslot {
        uint64_t key; /* key+1, 0 = empty */
        int32_t a, b;
    } * slots;
    size_t mask, n;
} tok_pmap;

void tok_pmap_init(tok_pmap *m, size_t expect);
void tok_pmap_free(tok_pmap *m);
void tok_pmap_put(tok_pmap *m, uint64_t key, int32_t a, int32_t b);
/* true and *a,*b set when present. */
bool tok_pmap_get(const tok_pmap *m, uint64_t key, int32_t *a, int32_t *b);

/* A BPE model's vocab and merge maps built earlier (read back by
 * tok_cache.c): moved into the model instead of reading model.vocab and
 * model.merges from the JSON. */
typedef struct tok_maps {
    tok_smap vocab;
    tok_pmap merges;
    struct tok_bpair *bl_pair; /* tok_model.bl_pair, or NULL: build it */
    /* tok.dec_off/dec_blob/dec_clean for dec_n ids, or dec_off NULL: build them */
    uint32_t *dec_off;
    char *dec_blob;
    uint8_t *dec_clean;
    size_t dec_n;
    uint8_t *letters; /* tok.letters, or NULL: compute it */
    void *map;        /* the mapped copy the arrays point into, or NULL */
    size_t map_len;
} tok_maps;

/* ---- UTF-8 and Unicode helpers (tok_utf8.c) ----------------------------- */

/* Decodes one scalar at s[0..n); returns its length (>=1). Invalid bytes
 * yield *cp = 0xFFFD and length 1. */
size_t tok_utf8_next(const char *s, size_t n, uint32_t *cp);
size_t tok_utf8_put(char *out, uint32_t cp); /* out has room for 4 */
void tok_buf_put_cp(sb_buf *b, uint32_t cp);
/* Appends s[0..n) with invalid sequences replaced as Rust's
 * String::from_utf8_lossy does (one U+FFFD per maximal subpart). */
void tok_utf8_lossy(sb_buf *out, const char *s, size_t n);
bool tok_utf8_valid(const char *s, size_t n);
size_t tok_utf8_count(const char *s, size_t n); /* scalars */
/* Rust char predicates. */
bool tok_is_whitespace(uint32_t cp); /* Unicode White_Space */
bool tok_is_numeric(uint32_t cp);    /* char::is_numeric: Nd Nl No */
bool tok_is_punct(uint32_t cp);      /* ASCII punctuation or Unicode P* */
bool tok_is_mark(uint32_t cp);       /* M* */
bool tok_is_control(uint32_t cp);    /* Cc Cf (bert cleanup) */
bool tok_is_cjk(uint32_t cp);

/* ---- regex (tok_regex.c) ------------------------------------------------ */

typedef struct tok_regex tok_regex;
/* Compiles an Oniguruma-syntax pattern as HF uses it (PCRE2, UTF+UCP, JIT),
 * rewriting \s and Unicode properties to HF's tables. */
tok_regex *tok_regex_new(const char *pattern, sb_err *err);
void tok_regex_free(tok_regex *re);
/* Match data usable with any tok_regex; one per thread (in tok_scratch). */
typedef struct tok_rematch tok_rematch;
tok_rematch *tok_rematch_new(void);
void tok_rematch_free(tok_rematch *md);
/* Next match at or after start in s[0..n); returns false when none. An empty
 * match is reported as is; callers step past it. */
bool tok_regex_find(const tok_regex *re, tok_rematch *md, const char *s, size_t n, size_t start,
                    size_t *ms, size_t *me);
/* A hash of what pattern matches with this build: its rewritten form (the
 * Unicode additions of tok_unicode.h) and the PCRE2 version (its Unicode
 * tables). A table computed from the pattern and stored (tok_cache.c) is
 * valid while this stays the same. */
uint64_t tok_regex_tables_key(const char *pattern);

/* ---- pattern: a literal string or a regex (Split, Replace) -------------- */

typedef struct tok_pattern {
    char *str; /* literal when re == NULL */
    size_t len;
    tok_regex *re;
} tok_pattern;

int tok_pattern_parse(tok_pattern *p, json_t *j, const char *path, sb_err *err);
void tok_pattern_free(tok_pattern *p);
/* Next match (literal: leftmost occurrence) like tok_regex_find. */
bool tok_pattern_find(const tok_pattern *p, tok_rematch *md, const char *s, size_t n, size_t start,
                      size_t *ms, size_t *me);

/* ---- large piece cache (tok_pcache.c) ------------------------------------ */

typedef struct tok_pcache tok_pcache;
/* budget: bytes of slots + entries it may hold (at least 1 MiB). */
tok_pcache *tok_pcache_new(size_t budget);
void tok_pcache_free(tok_pcache *c);
/* The cached ids of a piece (valid until the next put), or NULL. */
const int32_t *tok_pcache_get(const tok_pcache *c, const char *k, size_t n, bool bytelevel,
                              size_t *nids);
void tok_pcache_put(tok_pcache *c, const char *k, size_t n, bool bytelevel, const int32_t *ids,
                    size_t nids);

/* ---- scratch, one per encoding thread ------------------------------------ */

/* A pre-token: bytes at buf[off..off+len); src is the byte offset in the
 * string the pre-tokenizer was given (for offsets in tests); bytelevel marks
 * raw bytes that the model must read through the GPT-2 byte alphabet. */
typedef struct tok_piece {
    uint32_t off, len;
    uint32_t src, src_end;
    bool bytelevel;
    bool first; /* starts at offset 0 of the original text (Metaspace "first") */
} tok_piece;

typedef struct tok_pieces {
    tok_piece *v;
    size_t n, cap;
    sb_buf buf;
} tok_pieces;

typedef struct tok_scratch {
    tok_pieces a, b;  /* pre-tokenizer stages ping-pong */
    sb_buf norm, tmp; /* normalizer stages */
    sb_buf word;      /* model: one pre-token rewritten */
    tok_rematch *md;  /* match data shared by every regex (never nested) */
    struct tok_seg {
        uint32_t s, e;
        bool m;
    } * segs; /* split segments of one piece */
    size_t seg_cap;
    int32_t *sym; /* BPE symbols */
    size_t sym_cap;
    struct tok_wcache {
        uint32_t len, nids; /* len 0 = empty; key includes the bytelevel flag */
        char key[56];
        int32_t ids[16];
    } * cache;          /* per-thread word -> ids cache, direct-mapped */
    bool no_cache;      /* one-shot short encode: the 512 KiB cache would not pay */
    tok_pcache *pcache; /* large cache, replaces `cache` when set (tok_ctx_cache) */
    tok_pcache *ccache; /* chunk -> ids cache for long texts (tok_chunk.c), or NULL */
    tok_pcache *scache; /* sub-piece -> ids cache for long pieces (tok_bpe_long.c) */
    struct tok_pair_ok {
        uint64_t key; /* a << 32 | b, plus 1 in bit 63 when the slot is used */
        bool ok;
    } * compat;       /* direct-mapped cache of token-pair compatibility */
    tok_ids sub;      /* tok_bpe_long scratch */
    sb_buf head_key;  /* the last first chunk encoded (the random dataset's */
    tok_ids head_ids; /* later rounds re-encode the same start) and its ids */
    double *score;    /* unigram lattice */
    int32_t *back;
    size_t lat_cap;
    size_t *ends; /* unigram backtrack (start, end) pairs */
    size_t ends_cap;
} tok_scratch;

void tok_pieces_push(tok_pieces *p, const char *s, size_t len, uint32_t src, uint32_t src_end,
                     bool bytelevel, bool first);

/* ---- normalizers (tok_norm.c) ------------------------------------------- */

typedef struct tok_norm tok_norm;
/* tok_precompiled.c: SentencePiece precompiled_charsmap */
typedef struct tok_charsmap tok_charsmap;
tok_charsmap *tok_charsmap_parse(json_t *j, const char *path, sb_err *err);
void tok_charsmap_free(tok_charsmap *m);
void tok_charsmap_apply(const tok_charsmap *m, const char *s, size_t n, sb_buf *out);
tok_norm *tok_norm_parse(json_t *j, const char *path, sb_err *err);
void tok_norm_free(tok_norm *n);
/* out = normalize(s[0..n)); out is reset first. */
void tok_norm_apply(const tok_norm *nm, const char *s, size_t n, sb_buf *out, tok_scratch *sc);

/* ---- pre-tokenizers (tok_pretok.c) -------------------------------------- */

typedef struct tok_pretok tok_pretok;
tok_pretok *tok_pretok_parse(json_t *j, const char *path, sb_err *err);
void tok_pretok_free(tok_pretok *p);
/* Splits pieces in sc->a (in place result in sc->a). */
void tok_pretok_apply(const tok_pretok *p, tok_scratch *sc);
/* Whether the chain ends in ByteLevel (pieces are bytes for the model). */
bool tok_pretok_bytelevel(const tok_pretok *p);

/* ---- models (tok_bpe.c, tok_unigram.c, tok_wordpiece.c) ------------------- */

typedef enum {
    TOK_MODEL_BPE,
    TOK_MODEL_UNIGRAM,
    TOK_MODEL_WORDPIECE,
    TOK_MODEL_WORDLEVEL
} tok_model_kind;

typedef struct tok_model {
    tok_model_kind kind;
    tok_smap vocab;      /* token -> id */
    const char **id_tok; /* id -> token (in the vocab map), NULL for holes */
    size_t n_ids;
    size_t vocab_size; /* HF get_vocab_size(false) */
    int32_t unk_id;    /* -1 when none */
    /* BPE */
    tok_pmap merges; /* (a<<32|b) -> rank, merged id */
    char *cont_prefix, *eow_suffix;
    bool byte_fallback, fuse_unk, ignore_merges;
    int32_t byte_ids[256];  /* <0xXX> tokens for byte_fallback */
    int32_t bl_ids[256];    /* byte-level alphabet char -> id */
    uint16_t bl_cp[256];    /* byte -> byte-level alphabet char */
    int32_t ascii_ids[128]; /* id of each one-char ASCII token, -1 if none */
    /* byte pair (x<<8|y) -> {rank, merged} of bl_ids[x], bl_ids[y] (rank
     * INT32_MAX: no merge); NULL unless every byte has a byte-level id */
    struct tok_bpair {
        int32_t rank, merged;
    } * bl_pair;
    bool split_meta;         /* words may be cut before U+2581 (tok_model.c) */
    uint32_t meta_after[16]; /* chars some token has right before a U+2581 */
    size_t n_meta_after;
    /* Unigram */
    double *scores;
    double min_score;
    tok_pmap trie;    /* node<<8|byte -> child node, terminal id */
    int32_t *trie_id; /* node -> token id or -1 */
    size_t trie_nodes;
    /* WordPiece */
    size_t max_chars;
} tok_model;

/* vocab/merges: spans of the raw text already cut out of j (n == 0: absent,
 * read them from j). pre (may be NULL): a BPE model's maps built earlier,
 * taken over (left empty) instead of the spans. */
int tok_model_parse(tok_model *m, json_t *j, const tok_span *vocab, const tok_span *merges,
                    tok_maps *pre, const char *path, sb_err *err);
void tok_model_free(tok_model *m);

/* ---- binary cache of the parsed maps (tok_cache.c) ---------------------- */

/* Where the cached copy of one tokenizer.json lives and what the file was
 * (its stat data, taken before its bytes are read). */
typedef struct tok_cache_key {
    char *dir, *file; /* NULL: no cache (off, or no place for it) */
    uint64_t size, ino, dev;
    int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
    uint64_t hash; /* of the file's bytes, once tok_cache_key_content saw them */
    bool have_hash;
    bool racy; /* set by tok_cache_get: the copy's content hash was needed */
} tok_cache_key;

/* Fills key from the stat data of the tokenizer.json at path; -1 (key
 * empty) when the cache is off or the file cannot be named. */
int tok_cache_key_of(const char *path, tok_cache_key *key);
void tok_cache_key_free(tok_cache_key *key);
/* Adds the hash of the file's bytes raw (read after the key was taken). */
void tok_cache_key_content(tok_cache_key *key, const sb_buf *raw);
/* 0 with the compact text (model.vocab/merges cut out) and the maps when a
 * valid copy for key exists; -1 (nothing to free) on any miss. A racy copy
 * (tok_cache.c) needs the file's content hash: without it (have_hash false)
 * this returns TOK_CACHE_NEED_CONTENT (nothing to free) and is asked again
 * after tok_cache_key_content. */
#define TOK_CACHE_NEED_CONTENT 1
int tok_cache_get(tok_cache_key *key, sb_buf *text, tok_maps *maps);
/* Whether the file key describes last changed long enough ago that a copy
 * written now is not racy. */
bool tok_cache_settled(const tok_cache_key *key);
/* Frees what a model did not take over, and the mapping. */
void tok_maps_free(tok_maps *m);
/* Frees what a model did not take over but leaves the mapping, which the
 * tokenizer has taken (tok.cache_map). */
void tok_maps_release(tok_maps *m);
/* Before t's parts are freed: drops t's pointers into its mapped copy and
 * unmaps it (nothing when t has none). */
void tok_cache_detach(tok *t);
/* Writes the copy of a BPE tokenizer and its compact text (best effort;
 * nothing without the content hash of key). */
void tok_cache_put(const tok_cache_key *key, const char *text, size_t text_len, const tok *t);
/* Appends the ids of one pre-token. */
void tok_model_encode(const tok_model *m, const tok_piece *pc, const char *buf, tok_scratch *sc,
                      tok_ids *out);

void tok_bytelevel_table(uint16_t map[256]);
void tok_bpe_encode(const tok_model *m, const tok_piece *pc, const char *buf, tok_scratch *sc,
                    tok_ids *out);
/* Plain merge-rank BPE of raw bytes w[0..n) of a byte-level piece (no
 * ignore_merges shortcut); false, with nothing written, when the model is
 * not a plain byte-level BPE. */
bool tok_bpe_bytes(const tok_model *m, const uint8_t *w, size_t n, tok_scratch *sc, tok_ids *out);
/* tok_bpe_long.c: BPE of a long byte-level piece from cached sub-pieces
 * (needs sc->scache); false when it does not apply. */
bool tok_bpe_long(const tok_model *m, const uint8_t *w, size_t n, tok_scratch *sc, tok_ids *out);
void tok_unigram_encode(const tok_model *m, const tok_piece *pc, const char *buf, tok_scratch *sc,
                        tok_ids *out);
void tok_wordpiece_encode(const tok_model *m, const tok_piece *pc, const char *buf, tok_ids *out);
int tok_unigram_parse(tok_model *m, json_t *j, const char *path, sb_err *err);

/* ---- decoders (tok_decode.c) -------------------------------------------- */

typedef struct tok_decoder tok_decoder;
tok_decoder *tok_decoder_parse(json_t *j, const char *path, sb_err *err);
void tok_decoder_free(tok_decoder *d);
/* tokens: n strings; output appended to out. */
void tok_decoder_run(const tok_decoder *d, const char **toks, size_t n, sb_buf *out);
/* For a lone ByteLevel decoder: appends one token's bytes as the decoder
 * joins them before its UTF-8 repair, and returns true; false otherwise. */
bool tok_decoder_token_bytes(const tok_decoder *d, const char *tok, size_t n, sb_buf *raw);

/* ---- the tokenizer ------------------------------------------------------ */

typedef struct tok_added {
    char *content;
    char *dec; /* decoded form when it differs from content (else NULL) */
    size_t len;
    int32_t id;
    bool special, lstrip, rstrip, single_word, normalized;
} tok_added;

/* Byte trie with leftmost-longest matching over added tokens. */
typedef struct tok_trie {
    tok_pmap edges; /* node<<8|byte -> child */
    int32_t *term;  /* node -> index into added[] or -1 */
    size_t n_nodes, cap_nodes;
    uint8_t first[32]; /* bitset of first bytes */
    bool empty;
} tok_trie;

struct tok {
    char *path;
    tok_model model;
    tok_norm *norm;
    tok_pretok *pre;
    tok_decoder *dec;
    /* added tokens */
    tok_added *added;
    size_t n_added;
    tok_smap added_map;   /* content -> index in added */
    int32_t *added_by_id; /* id -> index in added, or -1; n_total entries */
    size_t n_total;       /* ids below this exist */
    tok_trie trie_raw, trie_norm;
    /* post-processor: ids placed before and after a single sequence */
    int32_t *post_pre, *post_post;
    size_t n_post_pre, n_post_post;
    /* ... and around a pair: ids >= 0, TOK_PAIR_A / TOK_PAIR_B where the
     * sequences go; pair_err says why a pair cannot be encoded (NULL: it can) */
    int32_t *post_pair;
    size_t n_post_pair;
    const char *pair_err;
    /* config */
    int32_t *special_ids;
    size_t n_special;
    char *chat_template, *bos, *eos;
    /* transformers layer (tok_compat.c) */
    tok_compat compat;
    bool cleanup;      /* decode applies clean_up_tokenization */
    double max_length; /* model_max_length */
    bool chunk_ok;     /* long texts may be cut at tok_chunk_next (tok_chunk.c) */
    uint8_t *letters;  /* tok_chunk_letters, when chunk_ok */
    /* Lone ByteLevel decoder: each id's bytes, dec_blob[dec_off[id]..dec_off[id+1]),
     * so decode is a copy per id and one UTF-8 repair (NULL otherwise). */
    uint32_t *dec_off;
    char *dec_blob;
    uint8_t *dec_clean; /* bit per id: its bytes are valid UTF-8 on their own */
    bool from_cache;    /* the maps came from tok_cache.c's copy */
    void *cache_map;    /* that copy, mapped: the maps' arrays point into it */
    size_t cache_map_len;
};

/* tok_added.c */
void tok_trie_init(tok_trie *t);
void tok_trie_free(tok_trie *t);
void tok_trie_add(tok_trie *t, const char *s, size_t len, int32_t idx);
/* Splits text into segments: added tokens (*idx >= 0) and plain runs. The
 * callback gets each segment in order. */
typedef void (*tok_seg_fn)(void *ctx, const char *s, size_t len, size_t src, int32_t added_idx);
void tok_added_split(const tok *t, const tok_trie *trie, const char *s, size_t n, size_t src0,
                     tok_seg_fn fn, void *ctx);

/* tok_encode.c: fills dec_off / dec_blob when the decoder allows (load time). */
void tok_decode_table(tok *t);

/* tok_chunk.c: safe cut points for chunked encoding. */
bool tok_chunk_eligible(const tok *t, json_t *root);
/* Bitmap of the BMP code points the tokenizer's regexes take for \p{L}. */
uint8_t *tok_chunk_letters(void);
#define TOK_LETTERS_BYTES (0x10000 / 8)
/* tok_regex_tables_key of the pattern tok_chunk_letters searches with. */
uint64_t tok_chunk_letters_key(void);
/* May a text be cut right before s[h]? (s[h] is a space and a well-formed
 * letter ends right before it: the rule argued at the top of tok_chunk.c.) */
bool tok_chunk_cut_at(const uint8_t *letters, const char *s, size_t h);
/* The first cut used at or after byte from of s[0..n), or n when none. */
size_t tok_chunk_next(const uint8_t *letters, const char *s, size_t n, size_t from);

/* tok_compat.c: applies tokenizer_config.json's transformers rules (cfg may
 * be NULL: no config file) after the special ids are known. */
int tok_compat_apply(tok *t, json_t *cfg, const char *cfg_path, sb_err *err);
/* Fills the special-token attributes the config leaves out with the defaults
 * of its tokenizer_class (before the special ids are collected). */
void tok_compat_defaults(json_t *cfg);
/* clean_up_tokenization on out->data[from..], in place. */
void tok_compat_cleanup(sb_buf *out, size_t from);

/* tok_post.c */
#define TOK_PAIR_A (-1)
#define TOK_PAIR_B (-2)
int tok_post_parse(tok *t, json_t *j, const char *path, sb_err *err);

/* tok_jscan.c: the vocab/merges fast path of the loader */
const char *tok_jscan_skip(const char *p, const char *e);
void tok_jscan_find(const char *s, size_t n, tok_span *vocab, tok_span *merges);
int tok_jscan_vocab(const tok_span *sp, tok_smap *m, sb_err *err);
typedef int (*tok_merge_fn)(void *ctx, const char *a, size_t al, const char *b, size_t bl,
                            int32_t rank, sb_err *err);
int tok_jscan_merges(const tok_span *sp, tok_merge_fn fn, void *ctx, sb_err *err);

/* tok_resolve.c: spec -> malloc'd tokenizer.json path */
char *tok_resolve(const char *spec, sb_err *err);

/* tok_json.c */
/* flags: jansson decoding flags added to JSON_ALLOW_NUL */
json_t *tok_json_load_file(const char *path, size_t flags, sb_err *err);
int tok_file_read(const char *path, sb_buf *out, sb_err *err);
/* The text of a file's bytes raw (taken: raw is left empty): gunzipped when
 * it is gzip, else raw itself. */
int tok_text_of(const char *path, sb_buf *raw, sb_buf *out, sb_err *err);
/* gzip bytes in, inflated into out; more than cap bytes is an error. */
int tok_gunzip(const char *path, const sb_buf *in, size_t cap, sb_buf *out, sb_err *err);

/* tok_scratch lifetime (tok_encode.c) */
void tok_scratch_init(tok_scratch *sc, const tok *t);
void tok_scratch_free(tok_scratch *sc);
/* Pre-tokenizer only (no normalizer, no added tokens): pieces of text, for
 * tests against golden_pretok. pieces are left in sc->a. */
void tok_pretokenize(const tok *t, const char *text, size_t len, tok_scratch *sc);
/* tok_encode with a caller-owned scratch (one per thread, reused). */
int tok_encode_sc(const tok *t, tok_scratch *sc, const char *text, size_t len, bool add_special,
                  tok_ids *out, sb_err *err);

/* tok_download.c: opt-in fetch of a model's tokenizer files into the HF cache. */
bool tok_download_enabled(void);
int tok_download(const char *spec, const char *repo_dir, sb_err *err);

#endif
