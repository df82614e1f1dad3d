#!/usr/bin/env bash
# dataset_random_diff.sh - servebench's random dataset against a model of the
# reference built from real parts: numpy's default_rng and the Rust
# `tokenizers` library (npm binding installed by `npm ci` in tests/diff, as
# the tokenizer's differential test uses). Prompts, lengths and output lengths
# must be identical, request by request, for several flag sets.
# Without numpy or the npm package the comparison cannot run: it reports a
# skip (exit 77; a failure under CI=true; CI installs both: tests/skip.sh).
. "$(dirname "$0")/skip.sh"
set -u
BIN="${SB_BIN:?run through ctest}"
SRC="${SB_SOURCE_DIR:?}"
MODS="${SB_TOK_NODE_MODULES:-$SRC/tests/diff/node_modules}"
TOK="${SB_TEST_DATA:?}/datasets/gpt2"
if [ ! -d "$MODS/tokenizers" ] || ! command -v node >/dev/null || ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  sb_skip "dataset_random_diff: needs node, numpy and $MODS/tokenizers (npm ci in tests/diff)"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# N INPUT OUTPUT RATIO PREFIX SEED
while read -r n in out ratio prefix seed; do
  /usr/bin/python3 "$SRC/tests/gen/ds_ref_random.py" "$MODS" "$TOK/tokenizer.json" "$n" "$in" "$out" \
    "$ratio" "$prefix" "$seed" 50256 >"$tmp/ref.jsonl" || { echo "FAIL: reference model"; exit 1; }
  "$BIN" dataset stats --tokenizer "$TOK" --num-prompts "$n" --random-input-len "$in" \
    --random-output-len "$out" --random-range-ratio "$ratio" --random-prefix-len "$prefix" \
    --seed "$seed" --export "$tmp/ours.jsonl" >/dev/null 2>&1 || { echo "FAIL: servebench"; exit 1; }
  /usr/bin/python3 - "$tmp/ref.jsonl" "$tmp/ours.jsonl" "$n $in $out $ratio $prefix $seed" <<'PY' || exit 1
import json, sys
a = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
b = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
if len(a) != len(b):
    sys.exit(f"FAIL {sys.argv[3]}: {len(a)} reference requests, {len(b)} ours")
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        sys.exit(f"FAIL {sys.argv[3]}: request {i} differs:\n ref  {x}\n ours {y}")
print(f"dataset_random_diff: {sys.argv[3]}: {len(a)} requests identical")
PY
done <<'CASES'
40 128 16 0.0 0 0
60 64 32 0.5 10 7
30 300 8 0.9 0 123
CASES
