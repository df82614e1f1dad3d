#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_tokcache.sh - `servebench serve` with the bundled GPT-2 tokenizer gives
# the same workload fingerprint (sha256 of the request bodies and schedule)
# with the tokenizer cache off, on a miss (the copy is written) and on a hit
# (the copy is read), and a damaged copy is replaced by a good one.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fp NAME: one run against the in-process simulator; prints the fingerprint.
fp() {
    local name=$1
    "$SB_BIN" serve --sim --sim-arg "--ttft-ms 1 --itl-ms 0.2" --dataset-name random \
        --random-input-len 48 --random-output-len 4 --num-prompts 8 --seed 3 \
        > "$tmp/$name.out" 2> "$tmp/$name.err" || { cat "$tmp/$name.out" "$tmp/$name.err"; exit 1; }
    local f
    f=$(sed -nE 's/^Workload fingerprint \(sha256\): +([0-9a-f]{64})$/\1/p' "$tmp/$name.out")
    [ -n "$f" ] || { echo "$name: no fingerprint line"; cat "$tmp/$name.out"; exit 1; }
    echo "$f"
}

off=$(SERVEBENCH_TOKENIZER_CACHE=off fp off)
export SERVEBENCH_TOKENIZER_CACHE="$tmp/cache"
miss=$(fp miss)
n=$(find "$tmp/cache" -name '*.tokc' | wc -l)
[ "$n" = 1 ] || { echo "expected one cache file after the miss, found $n"; exit 1; }
copy=$(find "$tmp/cache" -name '*.tokc')
sum=$(md5sum < "$copy")
# what follows the header (it holds the copy's write time)
body() { tail -c +4097 "$copy" | md5sum; }
bodysum=$(body)
hit=$(fp hit)
[ "$(md5sum < "$copy")" = "$sum" ] || { echo "the hit rewrote the copy"; exit 1; }
[ "$off" = "$miss" ] || { echo "cache off and miss differ: $off $miss"; exit 1; }
[ "$off" = "$hit" ] || { echo "cache off and hit differ: $off $hit"; exit 1; }
# a damaged copy: detected, same fingerprint, replaced
printf 'garbage' | dd of="$copy" bs=1 seek=4096 conv=notrunc status=none
bad=$(fp bad)
[ "$off" = "$bad" ] || { echo "damaged copy changed the fingerprint: $off $bad"; exit 1; }
[ "$(body)" = "$bodysum" ] || { echo "the damaged copy was not rewritten"; exit 1; }
echo "serve_tokcache: ok"
