#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_workers.sh - `--num-workers 2` against one loop on the same workload
# (in-process simulator, 300 requests at 500/s, --max-concurrency 50): same
# workload fingerprint, same counts and token totals, and a result JSON with the
# same keys; each loop's health line is printed. `auto` (the default) runs
# (one loop on a machine with 2 cores). Bad values are refused.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--sim --sim-arg=--ttft-ms=5 --sim-arg=--itl-ms=1 --model sim
        --tokenizer "$SB_TEST_DATA/tokenizers/gpt2" --dataset-name random --random-input-len 16
        --random-output-len 8 --num-prompts 300 --request-rate 500 --max-concurrency 50
        --save-result --result-dir "$tmp")
for w in 1 2 auto; do
    "$SB_BIN" serve "${common[@]}" --num-workers "$w" --result-filename "w$w.json" \
        > "$tmp/w$w.out" 2> "$tmp/w$w.err" || { cat "$tmp/w$w.out" "$tmp/w$w.err"; exit 1; }
    grep -Eq '^Successful requests: +300 +$' "$tmp/w$w.out" || { cat "$tmp/w$w.out"; exit 1; }
done
grep -q '^event loop 2: CPU' "$tmp/w2.err" || { echo "no per-loop health"; cat "$tmp/w2.err"; exit 1; }
python3 - "$tmp/w1.json" "$tmp/w2.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert sorted(a) == sorted(b), set(a) ^ set(b)
for k in ("completed", "failed", "total_input_tokens", "total_output_tokens", "num_prompts"):
    assert a.get(k) == b.get(k), (k, a.get(k), b.get(k))
fa = a.get("servebench", {}).get("workload_fingerprint")
fb = b.get("servebench", {}).get("workload_fingerprint")
assert fa and fa == fb, (fa, fb)
PY
rc=0
"$SB_BIN" serve "${common[@]}" --num-workers 0 > "$tmp/bad.out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || { echo "--num-workers 0: want exit 2, got $rc"; cat "$tmp/bad.out"; exit 1; }
rc=0
"$SB_BIN" serve "${common[@]}" --num-workers two > "$tmp/bad2.out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--num-workers must be auto or 1 to 64 (got 'two')" "$tmp/bad2.out" ||
    { echo "--num-workers two: want exit 2 and the message, got $rc"; cat "$tmp/bad2.out"; exit 1; }
grep -q -- '--num-workers must be auto or 1 to 64' "$tmp/bad.out" || { cat "$tmp/bad.out"; exit 1; }
