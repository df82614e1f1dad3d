#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# timed_trace_diff.sh - servebench's timed_trace dataset against a model of
# the reference (tests/gen/ds_ref_timed_trace.py) that runs CPython's real
# hash() and random.Random under PYTHONHASHSEED: identical token ids, prompt
# lengths, output lengths and timestamps, request by request, for the fixed
# seed 0 and a seed drawn now, two real tokenizers (GPT-2, Qwen3 with added
# and special tokens), renamed labels, a sec multiplier, oversampling, and a
# generated 300-line trace with shared prefixes. Also checks that
# $PYTHONHASHSEED is the default hash seed. Needs /usr/bin/python3 3.11+.
. "$(dirname "$0")/skip.sh"
set -u
BIN="${SB_BIN:?run through ctest}"
SRC="${SB_SOURCE_DIR:?}"
DATA="${SB_TEST_DATA:?}"
PY=/usr/bin/python3
if ! [ -x "$PY" ] || [ "$("$PY" -c 'import sys; print(sys.hash_info.algorithm)')" != siphash13 ]; then
  sb_skip "timed_trace_diff: needs /usr/bin/python3 3.11+ (SipHash-1-3 str hashing)"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
same() { # label
  "$PY" - "$tmp/ref.jsonl" "$tmp/ours.jsonl" "$1" <<'PY' || exit 1
import json, sys
a = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
b = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
if len(a) != len(b) or not a:
    sys.exit(f"FAIL {sys.argv[3]}: {len(a)} reference requests, {len(b)} ours")
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        sys.exit(f"FAIL {sys.argv[3]}: request {i} differs:\n ref  {str(x)[:300]}\n ours {str(y)[:300]}")
ids = sum(len(x['prompt']) for x in a)
print(f"timed_trace_diff: {sys.argv[3]}: {len(a)} requests, {ids} ids identical")
PY
}
# run LABEL HASHSEED TOKDIR TRACE N CHUNK MULT SEED NO_OVER [LABELS...] -- our extra args
run() {
  local label="$1" hs="$2" tokdir="$3" trace="$4" n="$5" chunk="$6" mult="$7" seed="$8" no="$9"
  shift 9
  local ref=(); while [ "$1" != "--" ]; do ref+=("$1"); shift; done; shift
  PYTHONHASHSEED="$hs" "$PY" "$SRC/tests/gen/ds_ref_timed_trace.py" "$tokdir" "$trace" "$n" \
    "$chunk" "$mult" "$seed" "$no" "${ref[@]}" >"$tmp/ref.jsonl" ||
    { echo "FAIL: $label: reference model"; exit 1; }
  local over=(); [ "$no" = 1 ] && over=(--no-oversample)
  "$BIN" dataset stats --tokenizer "$tokdir" --dataset-name timed_trace --dataset-path "$trace" \
    --num-prompts "$n" --timed-trace-chunk-hash-size "$chunk" --timed-trace-sec-multiplier "$mult" \
    --seed "$seed" "${over[@]}" "$@" --export "$tmp/ours.jsonl" >/dev/null 2>"$tmp/err" ||
    { echo "FAIL: $label: servebench: $(cat "$tmp/err")"; exit 1; }
  same "$label"
}
# A trace like Mooncake's: hash ids drawn from a small pool so prefixes repeat.
"$PY" - "$tmp/gen.jsonl" "$RANDOM" <<'PY'
import json, random, sys
r = random.Random(int(sys.argv[2]))
with open(sys.argv[1], 'w') as f:
    t = 0.0
    for i in range(300):
        nb = r.randint(1, 6)
        ids = [r.randint(0, 40) for _ in range(nb)]
        t += r.random() * 0.01
        f.write(json.dumps({"timestamp": round(t, 6), "input_length": r.randint(0, 16 * nb + 8),
                            "output_length": r.randint(1, 50), "hash_ids": ids}) + "\n")
PY
S="$DATA/datasets/timed_trace_small.jsonl" L="$DATA/datasets/timed_trace_labels.jsonl"
G="$DATA/tokenizers/gpt2" Q="$DATA/tokenizers/qwen3"
h=$(( (RANDOM << 15 | RANDOM) ))
run "small, gpt2, hash seed 0" 0 "$G" "$S" 6 16 1 0 0 -- --timed-trace-hash-seed 0
run "small, qwen3, hash seed $h" "$h" "$Q" "$S" 6 16 1 0 0 -- --timed-trace-hash-seed "$h"
run "small, gpt2, chunk 5, oversampled to 15" "$h" "$G" "$S" 15 5 2.5 7 0 -- --timed-trace-hash-seed "$h"
run "small, no oversample" 4294967295 "$G" "$S" 15 16 1 0 1 -- --timed-trace-hash-seed 4294967295
run "renamed labels, ms timestamps" 3 "$Q" "$L" 2 16 0.001 0 0 ts in out blocks -- \
  --timed-trace-hash-seed 3 --timed-trace-label-timestamp ts --timed-trace-label-input-length in \
  --timed-trace-label-output-length out --timed-trace-label-hash-ids blocks
run "generated 300 lines, qwen3, hash seed $h" "$h" "$Q" "$tmp/gen.jsonl" 300 16 1 0 0 -- \
  --timed-trace-hash-seed "$h"
# No flag: the hash seed comes from $PYTHONHASHSEED, as a reference run in this shell would use.
export PYTHONHASHSEED=$(( h + 1 ))
run "hash seed from PYTHONHASHSEED=$PYTHONHASHSEED" "$PYTHONHASHSEED" "$G" "$tmp/gen.jsonl" 50 16 1 0 0 --
