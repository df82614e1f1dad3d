#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_timeouts.sh - --stall-timeout and --grace-sec end to end against the
# simulator's fault injection: a stream that pauses longer than the stall
# timeout fails with reason timeout, one that pauses less succeeds; Ctrl-C
# with a short grace cancels in-flight requests and still reports. Bad values
# are refused before anything is sent.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
common=(--dataset-name random --random-input-len 16 --random-output-len 20 --num-prompts 4)

# Every stream stalls 1.5 s mid-way; a 0.3 s stall timeout fails all four.
rc=0
"$SB_BIN" serve --sim --sim-arg "--stall-rate 1 --stall-ms 1500 --itl-ms 1" --stall-timeout 0.3 \
    "${common[@]}" > "$tmp/a.out" 2> "$tmp/a.err" || rc=$?
[ "$rc" -eq 1 ] || { echo "all failed: want exit 1, got $rc"; cat "$tmp/a.out" "$tmp/a.err"; exit 1; }
grep -Eq '^Failed requests: +4 +$' "$tmp/a.out" || { cat "$tmp/a.out"; exit 1; }
grep -Eq '^timeout: +4 *$' "$tmp/a.out" || { echo "no timeout reason"; cat "$tmp/a.out"; exit 1; }
grep -q 'stall timeout: nothing received for 0.300 s' "$tmp/a.out" ||
    { echo "error text does not name the stall"; cat "$tmp/a.out"; exit 1; }

# Same stall, a longer timeout: every request succeeds.
"$SB_BIN" serve --sim --sim-arg "--stall-rate 1 --stall-ms 300 --itl-ms 1" --stall-timeout 5 \
    "${common[@]}" > "$tmp/b.out" 2> "$tmp/b.err" || { cat "$tmp/b.out" "$tmp/b.err"; exit 1; }
grep -Eq '^Successful requests: +4 +$' "$tmp/b.out" || { cat "$tmp/b.out"; exit 1; }

# Ctrl-C: two quick requests finish, two 30 s streams are in flight; with
# --grace-sec 0.2 they are cancelled and the partial result is reported.
"$SB_BIN" sim --port 0 --itl-ms 1 --stall-rate 0.5 --stall-ms 30000 --seed 3 > "$tmp/sim.out" &
pid=$!
# generous waits: the machine may be loaded (a missed line left port empty)
for _ in $(seq 600); do grep -q listening "$tmp/sim.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -nE '1s/.*:([0-9]+)$/\1/p' "$tmp/sim.out")
[ -n "$port" ] || { echo "the simulator did not start"; cat "$tmp/sim.out"; exit 1; }
timeout 20 "$SB_BIN" serve --port "$port" --model sim --tokenizer "$SB_TEST_DATA/tokenizers/gpt2" \
    --grace-sec 0.2 --num-prompts 8 --random-input-len 16 --random-output-len 20 \
    > "$tmp/c.out" 2> "$tmp/c.err" &
cpid=$!
for _ in $(seq 600); do grep -q 'Maximum request concurrency' "$tmp/c.out" 2>/dev/null && break; sleep 0.05; done
sleep 0.5
kill -INT "$cpid"
rc=0
wait "$cpid" || rc=$?
[ "$rc" -ne 124 ] || { echo "--grace-sec 0.2 did not end the run"; exit 1; }
grep -q 'still running after 0.2 s were cancelled. The results below are partial.' "$tmp/c.err" ||
    { echo "no partial note"; cat "$tmp/c.out" "$tmp/c.err"; exit 1; }
grep -Eq '^cancelled: +[1-8] *$' "$tmp/c.out" || { echo "no cancelled reason"; cat "$tmp/c.out"; exit 1; }
grep -q '^============ Serving Benchmark Result ============$' "$tmp/c.out"

for bad in "--stall-timeout 0" "--stall-timeout -1" "--grace-sec -1" "--grace-sec nan"; do
    rc=0
    "$SB_BIN" serve --sim $bad > "$tmp/d.out" 2>&1 || rc=$?
    [ "$rc" -eq 2 ] || { echo "$bad: want exit 2, got $rc"; cat "$tmp/d.out"; exit 1; }
    grep -q -- "${bad%% *}" "$tmp/d.out" || { echo "$bad: message does not name the flag"; cat "$tmp/d.out"; exit 1; }
done
echo "serve_timeouts: ok"
