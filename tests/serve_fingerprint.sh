#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_fingerprint.sh - the workload fingerprint (sha256 of the request
# bodies and the send schedule) is the same for two runs with the same flags
# and seed, differs when the seed changes the prompts or the arrival times,
# and is saved under the result JSON's "servebench" key as printed.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fp NAME SEED [FLAGS...]: runs against the in-process simulator, prints the
# fingerprint from the console block.
fp() {
    local name=$1 seed=$2
    shift 2
    "$SB_BIN" serve --sim --sim-arg "--ttft-ms 1 --itl-ms 0.2" --dataset-name random \
        --random-input-len 32 --random-output-len 8 --num-prompts 6 --seed "$seed" \
        --save-result --result-dir "$tmp" --result-filename "$name.json" "$@" \
        > "$tmp/$name.out" 2> "$tmp/$name.err" || { cat "$tmp/$name.out" "$tmp/$name.err"; exit 1; }
    local f
    f=$(sed -nE 's/^Workload fingerprint \(sha256\): +([0-9a-f]{64})$/\1/p' "$tmp/$name.out")
    [ -n "$f" ] || { echo "$name: no fingerprint line"; cat "$tmp/$name.out"; exit 1; }
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["servebench"]["workload_fingerprint"]==sys.argv[2], r["servebench"]' \
        "$tmp/$name.json" "$f"
    echo "$f"
}

a=$(fp a 7 --request-rate 50)
b=$(fp b 7 --request-rate 50)
[ "$a" = "$b" ] || { echo "same seed, different fingerprints: $a $b"; exit 1; }
c=$(fp c 8 --request-rate 50)
[ "$a" != "$c" ] || { echo "seed 8 gave seed 7's fingerprint"; exit 1; }
# Same prompts (rate inf draws no arrival times), but the schedule changed.
d=$(fp d 7 --request-rate inf)
[ "$a" != "$d" ] || { echo "schedule not part of the fingerprint"; exit 1; }
e=$(fp e 7 --request-rate inf)
[ "$d" = "$e" ] || { echo "rate inf: fingerprints differ: $d $e"; exit 1; }
echo "serve_fingerprint: ok"
