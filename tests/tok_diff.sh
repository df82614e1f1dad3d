#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tok_diff.sh - differential test against the Rust `tokenizers` library (npm
# binding in tests/diff/node_modules, installed by scripts/install-deps.sh):
# seeded random strings per family are encoded (with and without special
# tokens) and random ids decoded (with and without skip_special_tokens) by
# both (and pairs of strings encoded as text/text_pair), through
# `servebench tokenize --jsonl --tokenizer-compat tokenizers` (the
# bare library; the transformers layer is checked by dataset_random_diff.sh).
# TOK_DIFF_N sets strings/family.
. "$(dirname "$0")/skip.sh"
set -euo pipefail
src="${SB_SOURCE_DIR:?}"
bin="${SB_BIN:?}"
if [ ! -d "$src/tests/diff/node_modules/tokenizers" ] || ! command -v node >/dev/null; then
  sb_skip "tok_diff: tests/diff/node_modules is absent (run: npm install --prefix tests/diff)"
fi
n="${TOK_DIFF_N:-2000}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
fail=0
for fam in gpt2 qwen3 llama3 deepseek_v3 mistral gemma3; do
  dir="$src/tests/data/tokenizers/$fam"
  node "$src/tests/diff/tok_diff.mjs" "$dir" "$fam" "$n" "$out"
  "$bin" tokenize --tokenizer-compat tokenizers --tokenizer "$dir" --jsonl "$out/$fam.in.jsonl" > "$out/$fam.got.jsonl"
  node "$src/tests/diff/compare.mjs" "$out" "$fam" || fail=1
done
exit $fail
