/* SPDX-License-Identifier: Apache-2.0 */
/* ds_internal.h - helpers shared by the dataset files (not part of the
 * module's public interface; only src/dataset/ includes it).
 *
 * A dataset file builds its requests with a dataset_builder (growable request
 * array + the dataset's arena), then hands them to dataset.c, which applies
 * the reference's common steps (oversampling, id checks). */
#ifndef SB_DS_INTERNAL_H
#define SB_DS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/file.h"
#include "core/rng.h"
#include "dataset/dataset.h"

/* ---- request list ---- */
/* Appends one request (zeroed, timestamp -1, has_request_id 1) and returns it. */
sb_request *dataset_push(sb_dataset *ds);
/* Copies text into the dataset arena and points r->prompt at it. */
void dataset_set_prompt(sb_dataset *ds, sb_request *r, const char *text, size_t len);
/* Appends a line to ds->warning / ds->info. */
void dataset_warn(sb_dataset *ds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dataset_info(sb_dataset *ds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies every {from, value} turn of a conversations array into the request
 * (sb_request.turns / roles), for multi-turn use. */
void dataset_keep_turns(sb_dataset *ds, sb_request *r, json_t *conv);
/* --multi-turn: "user", "assistant" or "system" for a dataset's speaker name
 * (human/gpt/chatgpt/bard/bing/model and the OpenAI roles), NULL for others. */
const char *dataset_role_name(const char *role);
/* --multi-turn: 0 when conv is a list of turns ({from, value} or {role,
 * content}) with known roles and at least one user turn; else -1 with the
 * reason in why. */
int dataset_conv_check(json_t *conv, char *why, size_t cap);
/* A bad conversation at where ("file:line"): with --strict an error, else
 * counted in ds->conv_skipped and named in the warning (the first ten). */
int dataset_conv_skip(const sb_dataset_opts *o, sb_dataset *ds, const char *where, const char *why,
                      sb_err *err);

/* Adds the reference's token-mismatch warning when total != 0. */
void dataset_mismatch_warning(sb_dataset *ds, long long total);

/* Reference `maybe_oversample_requests` (vllm/benchmarks/datasets/datasets.py: get_samples): when
 * fewer than want requests exist and oversampling is on, py_random re-seeded with seed picks copies
 * with random.choice. Fails on an empty list (the reference crashes). */
int dataset_oversample(sb_dataset *ds, long want, uint64_t seed, bool no_oversample,
                       const char *what, sb_err *err);

/* ---- tokenizer helpers ---- */
/* Number of tokens of text (add_special as transformers' tokenizer(text)). */
int dataset_count_tokens(const tok *t, const char *text, size_t len, bool add_special,
                         tok_ids *scratch, int32_t *n_out, sb_err *err);
struct dataset_ctx;
/* apply_chat_template([{"role":"user","content":text}], add_generation_prompt=True,
 * tokenize=False) appended to out. Fails when the tokenizer has no template. */
int dataset_chat_user(const struct dataset_ctx *c, const char *text, sb_buf *out, sb_err *err);

/* The reference's gen_prompt_decode_to_target_len (vllm/benchmarks/datasets/datasets.py:
 * gen_prompt_decode_to_target_len) as a resumable state machine, so draws of extra ids can come
 * from a shared RNG in request order while the decode/encode work runs elsewhere. */
typedef struct dataset_fixlen {
    tok_ids seq; /* current ids; after DONE: the final ids */
    sb_buf text; /* after DONE: the last decoded text */
    int retries; /* remaining retries (starts at 10) */
    int32_t target;
    int32_t mismatch; /* len - target when retries ran out, else 0 */
    tok_ctx *ctx;     /* encode scratch + piece and chunk caches, reused across requests */
    const tok *ctx_tok;
    /* Splicing (see ds_fixlen.c): chunk cuts of seq as id counts, and how
     * many leading ids of seq are the last encode's output unchanged. */
    tok_ids cuts;
    size_t common;
    tok_ids last_in; /* the ids the last round decoded */
    bool text_whole; /* text holds the decode of all of last_in */
    /* First round from a tok_window range instead of decode + encode. */
    const tok_window *win;
    size_t win_a, win_b;
    /* Budget of the piece cache (the chunk cache gets half), 0: the default
     * 64 MiB (dataset_fixlen_budget). */
    size_t cache_bytes;
} dataset_fixlen;

void dataset_fixlen_init(dataset_fixlen *f);
/* Sizes f's caches for about total_ids ids to encode in all: a few prompts
 * need no 64 MiB of cache, whose slot tables alone cost a page fault for
 * nearly every entry put into them (start-up, bench/startup.c). The output
 * is the same with any budget. */
void dataset_fixlen_budget(dataset_fixlen *f, size_t total_ids);
void dataset_fixlen_free(dataset_fixlen *f);
/* Starts with ids[0..n) and the target length (retries = 10). */
void dataset_fixlen_start(dataset_fixlen *f, const int32_t *ids, size_t n, int32_t target);
/* dataset_fixlen_start with ids = the ids of window w's range [a, b), whose
 * first round takes tok_window_encode (same result, less work). */
void dataset_fixlen_start_window(dataset_fixlen *f, const tok_window *w, const int32_t *ids,
                                 size_t a, size_t b, int32_t target);
/* Runs decode/encode rounds until done (returns 0) or until extra ids are
 * needed (returns k > 0: append exactly k drawn ids with dataset_fixlen_feed,
 * then call again). -1 on a tokenizer error. */
long dataset_fixlen_run(dataset_fixlen *f, const tok *t, sb_err *err);
/* Appends the k drawn ids asked for by the last run and counts one retry. */
void dataset_fixlen_feed(dataset_fixlen *f, const int64_t *ids, size_t k);

/* What a loop that asked for ids needs to go on in another dataset_fixlen
 * (the random dataset hands requests from worker threads to one thread). */
typedef struct dataset_fixlen_saved {
    int32_t *ids, *cuts;
    size_t n, n_cuts, common;
    int retries;
    int32_t target;
} dataset_fixlen_saved;
/* Copies f's state into s (s owns its arrays: dataset_fixlen_saved_free). */
void dataset_fixlen_save(const dataset_fixlen *f, dataset_fixlen_saved *s);
/* Puts s's state into f, as if f had run the rounds itself. */
void dataset_fixlen_restore(dataset_fixlen *f, const dataset_fixlen_saved *s);
void dataset_fixlen_saved_free(dataset_fixlen_saved *s);

/* Worker threads for n jobs: online cores, capped by $SB_THREADS (tests
 * prove the count never changes output), at most 64 and at most n (>= 1). */
size_t dataset_threads(size_t n);

/* ---- files: sb_read_file (core/file.h) ---- */
/* True when path ends with suffix. */
/* True for the backends that send image parts: openai-chat and the
 * multimodal embeddings APIs (-chat, -clip, -vlm2vec, infinity). */
bool dataset_backend_takes_images(const char *backend);
bool dataset_ends_with(const char *path, const char *suffix);

/* Iterates the lines of a JSON Lines buffer: calls fn for each non-blank line
 * with its 1-based number; a nonzero return stops with that value. */
typedef int (*dataset_jsonl_fn)(void *ctx, json_t *row, size_t line_no, sb_err *err);
int dataset_jsonl_each(const char *path, const sb_buf *data, dataset_jsonl_fn fn, void *ctx,
                       sb_err *err);

/* ds_scan.c: the rows of a JSON list (top-level elements) or JSON Lines file
 * (non-blank lines) as byte ranges; the whole file is checked, nothing kept
 * but the ranges. A scalar list element has an empty range (reads as null). */
typedef struct dataset_range {
    uint64_t start, end;
    size_t line; /* 1-based line of a JSON Lines row; 0 in a JSON list */
} dataset_range;
typedef struct dataset_scan {
    dataset_range *rows;
    size_t n, cap;
    bool is_list;
} dataset_scan;
int dataset_scan_rows(const char *path, int fd, dataset_scan *out, sb_err *err);
/* Parses one row (slice is scratch); *row is owned by the caller. */
int dataset_scan_load(const char *path, int fd, const dataset_range *r, sb_buf *slice, json_t **row,
                      sb_err *err);
void dataset_scan_free(dataset_scan *s);

/* What every dataset entry point gets. */
typedef struct dataset_ctx {
    const sb_dataset_opts *o;
    const tok *t;
    const char *backend;
    /* The tokenizer's chat template, compiled once per load (compiling costs
     * 10-100x a render); NULL when absent or when it did not compile (chat_err). */
    struct tmpl *chat;
    sb_err chat_err;
    /* Python's global `random` (sb_dataset.py_global): the reference's
     * datasets re-seed it and shuffle or draw with it. */
    py_random *py_global;
} dataset_ctx;

/* ---- prompt rows (custom, spec_bench, hf text sets) ---- */
typedef struct dataset_row {
    const char *prompt; /* in the dataset arena */
    long output_tokens; /* from the row, -1 when absent */
    size_t line_no;     /* 1-based source line (or list index + 1) */
    /* --multi-turn custom rows: the whole conversation (sb_request.turns) */
    const char *const *turns;
    const char *const *roles;
    uint32_t n_turns;
    /* custom rows' "json_schema" object rendered (sb_prompt_forms.json_schema), or NULL */
    const char *json_schema;
    size_t json_schema_bytes;
} dataset_row;

typedef struct dataset_rows {
    dataset_row *v;
    size_t n, cap;
} dataset_rows;

void dataset_rows_push(dataset_rows *rows, sb_arena *a, const char *prompt, long output_tokens,
                       size_t line_no);
void dataset_rows_free(dataset_rows *rows);

typedef struct dataset_sample_opts {
    long output_len;    /* fixed output length, or -1 = the row's output_tokens */
    bool chat_template; /* wrap each prompt as one user message */
    uint64_t seed;      /* for oversampling */
    const char *what;   /* dataset name for messages */
} dataset_sample_opts;

/* CustomDataset.sample: rows in order until N (N <= 0: all), templated and
 * counted with special tokens, then oversampled. */
int dataset_rows_sample(const dataset_ctx *c, const dataset_rows *rows, const char *path,
                        const dataset_sample_opts *so, sb_dataset *ds, sb_err *err);

/* ---- one entry point per dataset (ds_<name>.c) ---- */
int dataset_random(const dataset_ctx *c, sb_dataset *ds, sb_err *err);
int dataset_sharegpt(const dataset_ctx *c, sb_dataset *ds, sb_err *err);
int dataset_sonnet(const dataset_ctx *c, sb_dataset *ds, sb_err *err);
int dataset_burstgpt(const dataset_ctx *c, sb_dataset *ds, sb_err *err);
int dataset_custom(const dataset_ctx *c, sb_dataset *ds, sb_err *err);
int dataset_spec_bench(const dataset_ctx *c, sb_dataset *ds, sb_err *err);
int dataset_speed_bench(const dataset_ctx *c, sb_dataset *ds, sb_err *err);
int dataset_hf(const dataset_ctx *c, sb_dataset *ds, sb_err *err);
int dataset_prefix_rep(const dataset_ctx *c, sb_dataset *ds, sb_err *err);
int dataset_timed_trace(const dataset_ctx *c, sb_dataset *ds, sb_err *err);
int dataset_mooncake(const dataset_ctx *c, sb_dataset *ds, sb_err *err);
/* upstream multi-turn benchmark's input file: conversations or a generation config */
int dataset_conversations(const dataset_ctx *c, sb_dataset *ds, sb_err *err);

/* Sorted ids of t's vocabulary (added tokens included) without its special
 * ids, as the reference's timed_trace draws from; malloc'd, count in *n_out. */
int32_t *dataset_non_special_vocab(const tok *t, size_t *n_out);
int dataset_random_rerank(const dataset_ctx *c, sb_dataset *ds, sb_err *err);

/* ---- list prompts (ds_batch.c) ---- */
/* A text put first in every group (random-rerank's query) and what it adds to
 * each group's prompt_len: len_once + len_per_item * (documents in the group). */
typedef struct dataset_group_head {
    const char *text;
    size_t bytes;
    int64_t len_once, len_per_item;
} dataset_group_head;
/* Replaces the plain-text requests of ds by groups of `batch` consecutive
 * ones (the last may be shorter): texts = [head,] prompts, prompt_len = the
 * head's share + the sum, output_len 0 (vllm/benchmarks/datasets/datasets.py: RandomDataset.sample,
 * batch_size > 1, RandomDatasetForReranking.sample). head may be NULL. Fails on batch < 1 or a
 * request that is not one plain text. */
int dataset_group(sb_dataset *ds, long batch, const dataset_group_head *head, sb_err *err);
int dataset_random_mm(const dataset_ctx *c, sb_dataset *ds, sb_err *err);
int dataset_custom_image(const dataset_ctx *c, sb_dataset *ds, sb_err *err);
int dataset_custom_audio(const dataset_ctx *c, sb_dataset *ds, sb_err *err);

/* The random dataset's prompt builder (also used by `dataset generate`,
 * random-rerank and random-mm): request i gets
 * prefix + allowed[(offsets[i] + index_base + i + j) mod |allowed|] for
 * j < input_lens[i], made exact by the decode/encode loop drawing extra ids
 * from g in request order. allowed = NULL means 0..V-1 without
 * all_special_ids (datasets.py: RandomDataset.sample); random-mm passes its own list.
 * Appends n requests to an empty ds. */
typedef struct dataset_random_in {
    const int64_t *input_lens, *output_lens, *offsets;
    const int32_t *prefix;
    size_t n_prefix, n;
    size_t index_base;      /* added to i in the window start (random-rerank) */
    size_t prefix_target;   /* --random-prefix-len; 0 = n_prefix (a fixed prefix can differ) */
    const int32_t *allowed; /* NULL = default list */
    size_t n_allowed;
} dataset_random_in;
int dataset_random_build(const tok *t, np_gen *g, const dataset_random_in *in, sb_dataset *ds,
                         long long *mismatch_total, sb_err *err);

/* The reference's get_prefix (vllm/benchmarks/datasets/datasets.py: RandomDataset.get_prefix): P
 * ids drawn from allowed with g, then made exact by the decode/encode loop (target P, top-ups from
 * g), appended to prefix; a loop that ran out of retries adds the
 * reference's prefix warning to ds. Shared by random and random-mm. */
int dataset_random_prefix(const tok *t, np_gen *g, const int32_t *allowed, size_t n_allowed, long P,
                          tok_ids *prefix, sb_dataset *ds, sb_err *err);

/* The decode of ids (start + j) mod V, j < n, shared by burstgpt. */
int dataset_decode_range(const tok *t, int64_t start, int64_t n, sb_buf *out, sb_err *err);

/* The longest prompt or output we accept, in tokens. The largest context
 * windows served today are around 10 million tokens; 2^24 leaves room and
 * keeps every product below in range of a 64-bit size. */
#define DS_MAX_TOKENS (1L << 24)
/* More prompts than this cannot be held (each costs a request, a body and a
 * record): 2^28 x 512 bytes is already 128 GiB. */
#define DS_MAX_PROMPTS (1L << 28)
/* Bytes a request costs before its token ids: the sb_request, the loop's
 * body pointer, the record, the JSON body's fixed part. A round upper bound,
 * not a measurement: the estimate only has to be right within a factor. */
#define DS_BYTES_PER_REQUEST 512.0
/* A prompt token costs its id (4 bytes) and its text (about 4 bytes) in the
 * body; an expected output token one 4-byte ITL slot. */
#define DS_BYTES_PER_IN_TOKEN 8.0
#define DS_BYTES_PER_OUT_TOKEN 4.0
/* A random-mm image or video, base64 in its body: 64 KiB is a small JPEG
 * of the default buckets (a floor; videos are larger). */
#define DS_BYTES_PER_MM_ITEM 65536.0

/* Fails (err names what and gives advice) when need_bytes, an estimate made
 * with the DS_BYTES_* figures, exceeds this machine's physical memory. */
int ds_check_memory(double need_bytes, const char *what, const char *advice, sb_err *err);

#endif
