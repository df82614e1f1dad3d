#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts_diff.sh - the UnicodeScripts pre-tokenizer against the Rust
# `tokenizers` library (npm binding in tests/diff/node_modules): every code
# point's script (tests/diff/scripts_diff.mjs explains the probe texts),
# seeded random mixed-script texts through UnicodeScripts alone and in
# Sequences (pieces and their offsets, via the sb_pretok helper), and ids of
# a Unigram and a WordPiece tokenizer using it (servebench tokenize --jsonl).
# SCRIPTS_DIFF_N sets the number of random texts.
. "$(dirname "$0")/skip.sh"
set -euo pipefail
src="${SB_SOURCE_DIR:?}"
bin="${SB_BIN:?}"
helper="${SB_BUILD_DIR:?}/tests/sb_pretok"
if [ ! -d "$src/tests/diff/node_modules/tokenizers" ] || ! command -v node >/dev/null; then
  sb_skip "scripts_diff: tests/diff/node_modules is absent (run: npm install --prefix tests/diff)"
fi
n="${SCRIPTS_DIFF_N:-2000}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$helper" scripts > "$out/table.txt"
node "$src/tests/diff/scripts_diff.mjs" gen "$out" "$out/table.txt" "$n"
fail=0
for p in us_alone us_metaspace metaspace_us wsplit_us us_split; do
  "$helper" pieces "$out/$p.json" "$out/$p.in.jsonl" > "$out/$p.got.jsonl"
  node "$src/tests/diff/scripts_diff.mjs" pieces "$out" "$p" || fail=1
done
for t in unigram_scripts wordpiece_scripts; do
  "$bin" tokenize --tokenizer-compat tokenizers --tokenizer "$out/$t.json" --jsonl "$out/$t.in.jsonl" \
    --threads 2 > "$out/$t.got.jsonl"
  node "$src/tests/diff/compare.mjs" "$out" "$t" || fail=1
done
exit $fail
