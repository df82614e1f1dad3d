#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_rx_kernel.sh - `--rx-timestamps kernel` end to end against the
# in-process simulator: token messages have a kernel stamp (on the own
# HTTP/1.1 transport every one, read with the data; on libcurl,
# --http-client curl, all but the rare one that arrives between the engine's
# peek and curl's read, at most 1 in 20: test_engine_krx.c), the block's
# section and the result's servebench.rx_kernel keys are there beside the
# reference's figures (which stay as they are), the kernel TTFT is no later
# than the user-space one (orderings only, never magnitudes); without the flag
# neither appears; the combinations not supported yet stop with exit 2.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--sim --sim-arg=--ttft-ms=5 --sim-arg=--itl-ms=2 --model sim
        --tokenizer "$SB_TEST_DATA/tokenizers/gpt2" --dataset-name random --random-input-len 16
        --random-output-len 8 --ignore-eos --num-prompts 30 --request-rate 300
        --max-concurrency 6 --metric-percentiles 50,99.9 --save-result --result-dir "$tmp")
"$SB_BIN" serve "${common[@]}" --rx-timestamps kernel --result-filename k.json \
    > "$tmp/k.out" 2> "$tmp/k.err" || { cat "$tmp/k.out" "$tmp/k.err"; exit 1; }
"$SB_BIN" serve "${common[@]}" --result-filename u.json \
    > "$tmp/u.out" 2> "$tmp/u.err" || { cat "$tmp/u.out" "$tmp/u.err"; exit 1; }
grep -Eq '^Token messages with a kernel stamp: +2(3[6-9]|40) of 240$' "$tmp/k.out" ||
    { echo "kernel stamps missing"; cat "$tmp/k.out"; exit 1; }
"$SB_BIN" serve "${common[@]}" --rx-timestamps kernel --http-client curl --result-filename c.json \
    > "$tmp/c.out" 2> "$tmp/c.err" || { cat "$tmp/c.out" "$tmp/c.err"; exit 1; }
grep -Eq '^Token messages with a kernel stamp: +2[2-4][0-9] of 240$' "$tmp/c.out" ||
    { echo "kernel stamps missing (libcurl)"; cat "$tmp/c.out"; exit 1; }
for l in 'Mean TTFT, kernel rx \(ms\):' 'P99.9 ITL, kernel rx \(ms\):' 'P50 TTFT rx delay \(ms\):' \
         '^Mean TTFT \(ms\):' '^Mean ITL \(ms\):'; do
    grep -Eq "$l" "$tmp/k.out" || { echo "no line $l"; cat "$tmp/k.out"; exit 1; }
done
if grep -q 'kernel' "$tmp/u.out"; then echo "kernel lines without the flag"; cat "$tmp/u.out"; exit 1; fi
python3 - "$tmp/k.json" "$tmp/u.json" <<'PY'
import json, sys
k, u = (json.load(open(p)) for p in sys.argv[1:])
assert "rx_kernel" not in u.get("servebench", {}), "rx_kernel without the flag"
rx = k["servebench"]["rx_kernel"]
assert rx["token_messages_stamped"] + rx["token_messages_unstamped"] == 240, rx
assert rx["token_messages_unstamped"] <= 12, rx
assert 27 <= rx["ttft_samples"] <= 30 and 200 <= rx["itl_samples"] <= 30 * 7, rx
for what in ("ttft", "itl", "ttft_rx_delay"):
    for stat in ("mean", "median", "std", "p50", "p99.9"):
        assert f"{stat}_{what}_ms" in rx, (stat, what, sorted(rx))
# the reference's keys are still there, computed from user-space stamps
assert sorted(set(u) - {"date"}) == sorted(set(k) - {"date"}), set(u) ^ set(k)
# per request kernel <= user, so the means and the delays keep that order
assert rx["mean_ttft_ms"] <= k["mean_ttft_ms"], (rx["mean_ttft_ms"], k["mean_ttft_ms"])
assert rx["mean_ttft_rx_delay_ms"] >= 0 and rx["p50_ttft_rx_delay_ms"] >= 0, rx
PY
bad() { # flags... -- wanted message
    local want="${*: -1}" rc=0
    "$SB_BIN" serve "${common[@]}" "${@:1:$#-1}" > "$tmp/bad.out" 2>&1 || rc=$?
    [ "$rc" -eq 2 ] && grep -qF -- "$want" "$tmp/bad.out" ||
        { echo "${*:1:$#-1}: want exit 2 and '$want', got $rc"; cat "$tmp/bad.out"; exit 1; }
}
bad --rx-timestamps kernel --http2 "--rx-timestamps kernel with --http2 is not supported yet"
bad --rx-timestamps kernel --mpi "--rx-timestamps kernel with --mpi is not supported yet"
bad --rx-timestamps hw "--rx-timestamps must be user or kernel (got 'hw')"
rc=0
"$SB_BIN" serve --model sim --tokenizer "$SB_TEST_DATA/tokenizers/gpt2" --dataset-name random \
    --num-prompts 2 --base-url https://127.0.0.1:9 --rx-timestamps kernel > "$tmp/tls.out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -qF "with an https:// server is not supported yet" "$tmp/tls.out" ||
    { echo "https: want exit 2, got $rc"; cat "$tmp/tls.out"; exit 1; }
echo ok
