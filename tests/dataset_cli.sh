#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dataset_cli.sh - `servebench dataset` end to end: help texts, a generated
# dataset read back through `stats --dataset-name custom` with the lengths it
# was generated with, and the exit status and message of bad input.
set -u
BIN="${SB_BIN:?run through ctest}"
DATA="${SB_TEST_DATA:?}/datasets"
TOK="$DATA/gpt2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for sub in "" generate stats; do
  out=$("$BIN" dataset $sub --help) || fail "dataset $sub --help exited $?"
  grep -q "usage: servebench dataset" <<<"$out" || fail "dataset $sub --help: no usage line"
done

# generate: 40 requests of exactly 50 input tokens, uniform outputs in [5, 9]
"$BIN" dataset generate token-unif-dist --tokenizer "$TOK" --num-requests 40 --input-min 50 \
  --input-max 50 --output-min 5 --output-max 9 --seed 3 --output "$tmp/u.jsonl" \
  || fail "generate exited $?"
[ "$(wc -l <"$tmp/u.jsonl")" -eq 40 ] || fail "generate wrote $(wc -l <"$tmp/u.jsonl") lines"
out=$("$BIN" dataset stats --tokenizer "$TOK" --dataset-name custom --dataset-path "$tmp/u.jsonl" \
  --custom-output-len -1 --skip-chat-template --num-prompts 0 --json) || fail "stats exited $?"
grep -q '"num_requests": 40' <<<"$out" || fail "stats: $out"
grep -q '"input_len": {"min": 50, "max": 50' <<<"$out" || fail "stats input: $out"
grep -q '"output_len": {"min": 5, "max": 9' <<<"$out" || fail "stats output: $out"

# same seed, same bytes
"$BIN" dataset generate token-unif-dist --tokenizer "$TOK" --num-requests 40 --input-min 50 \
  --input-max 50 --output-min 5 --output-max 9 --seed 3 >"$tmp/u2.jsonl" || fail "generate 2"
cmp -s "$tmp/u.jsonl" "$tmp/u2.jsonl" || fail "generate is not deterministic"

# the table form, with the reference's underscore spelling of a flag (serve's own parser)
out=$("$BIN" dataset stats --tokenizer "$TOK" --dataset_name sharegpt \
  --dataset-path "$DATA/sharegpt_small.json" --num-prompts 5) || fail "sharegpt stats exited $?"
grep -q "Number of requests:     5" <<<"$out" || fail "sharegpt stats: $out"

# burstgpt replay times travel with an export, earliest first
"$BIN" dataset stats --tokenizer "$TOK" --dataset-name burstgpt --dataset-path "$DATA/burstgpt_small.csv" \
  --num-prompts 5 --burstgpt-use-timestamps --export "$tmp/b.jsonl" >/dev/null || fail "burstgpt export"
[ "$(grep -o '"timestamp":[0-9.]*' "$tmp/b.jsonl" | head -1)" = '"timestamp":0.0' ] ||
  fail "burstgpt export: $(head -c 300 "$tmp/b.jsonl")"

# without --backend, stats builds list / media requests for a backend that takes them
out=$("$BIN" dataset stats --tokenizer "$TOK" --dataset-name random-rerank --random-input-len 32 \
  --random-batch-size 4 --num-prompts 8 2>&1) || fail "random-rerank stats exited $?: $out"
grep -q "note: --dataset-name random-rerank: requests built for --backend vllm-rerank" <<<"$out" &&
  grep -q "Number of requests:     2" <<<"$out" || fail "random-rerank stats: $out"
out=$("$BIN" dataset stats --tokenizer "$TOK" --dataset-name random-mm --random-input-len 16 \
  --random-mm-bucket-config '{(8, 8, 1): 1.0}' --num-prompts 3 2>&1) || fail "random-mm stats exited $?: $out"
grep -q "Number of requests:     3" <<<"$out" || fail "random-mm stats: $out"

# bad input: status 2 and a message naming the problem
expect_usage() {
  local want="$1"; shift
  out=$("$BIN" dataset "$@" 2>&1); rc=$?
  [ $rc -eq 2 ] || fail "dataset $*: exit $rc, want 2 ($out)"
  grep -q -- "$want" <<<"$out" || fail "dataset $*: message '$out' lacks '$want'"
}
expect_usage "No such file" stats --tokenizer "$TOK" --dataset-name sharegpt --dataset-path "$tmp/none.json"
expect_usage "unknown option --bogus" stats --tokenizer "$TOK" --bogus 1
expect_usage "--num-prompts: invalid int value: 'x'" stats --tokenizer "$TOK" --num-prompts x
expect_usage "unknown option --bogus" generate token-norm-dist --tokenizer "$TOK" --bogus 1
expect_usage "bad value 'x' for --num-requests" generate token-norm-dist --tokenizer "$TOK" --num-requests x
expect_usage "token-norm-dist or token-unif-dist" generate --tokenizer "$TOK" --num-requests 3
expect_usage "--num-requests must be > 0" generate token-norm-dist --tokenizer "$TOK" --input-mean 5 --output-mean 5
expect_usage "custom_bad.jsonl:3" stats --tokenizer "$TOK" --dataset-name custom --dataset-path "$DATA/custom_bad.jsonl"
expect_usage "--tokenizer (or --model) is required" stats --dataset-name random
expect_usage "use --backend vllm-rerank" stats --tokenizer "$TOK" --backend openai --dataset-name random-rerank
echo "dataset_cli: ok"
