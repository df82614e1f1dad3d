#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# sweep_resume.sh - a sweep killed with SIGKILL in the middle, restarted with
# the same arguments, repeats no run that had finished (each is skipped by
# its workload fingerprint), marks the run that was killed partial and runs
# it again, and ends with every point done.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill -9 "$spid" 2>/dev/null; [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
source "$SB_SOURCE_DIR/tests/helpers/sim.sh"
sim_start --ttft-ms 5 --itl-ms 5
args=(--output-dir "$tmp/r" --base-url "$url" --model sim
      --tokenizer "$SB_SOURCE_DIR/data/tokenizers/gpt2" --dataset-name random
      --random-input-len 16 --random-output-len 10 --num-prompts 8 --max-concurrency 2
      --disable-tqdm --sweep random-input-len=8,9,10,11,12,13,14,15)
"$SB_BIN" sweep "${args[@]}" > "$tmp/first.out" 2>&1 &
spid=$!
# Each run takes ~0.2-0.5 s; kill once three have finished.
for _ in $(seq 600); do
    n=$(grep -c '"status":"ok"' "$tmp/r/sweep.jsonl" 2>/dev/null || true)
    [ "${n:-0}" -ge 3 ] && break
    sleep 0.02
done
kill -9 "$spid"
wait "$spid" 2>/dev/null || true
spid=
cp "$tmp/r/sweep.jsonl" "$tmp/before.jsonl"
n_ok=$(grep -c '"status":"ok"' "$tmp/before.jsonl")
[ "$n_ok" -ge 3 ] && [ "$n_ok" -lt 8 ] || { echo "FAIL: killed after $n_ok runs (need 3..7)"; cat "$tmp/first.out"; exit 1; }
"$SB_BIN" sweep "${args[@]}" > "$tmp/second.out" 2>&1 || { cat "$tmp/second.out"; echo "FAIL: resume exited $?"; exit 1; }
grep -q "resuming .*: $n_ok finished runs will not be repeated" "$tmp/second.out" ||
    { cat "$tmp/second.out"; echo "FAIL: no resume message"; exit 1; }
python3 - "$tmp/before.jsonl" "$tmp/r/sweep.jsonl" <<'PY'
import json, sys
before = [json.loads(l) for l in open(sys.argv[1]) if l.strip().endswith("}")]
after = [json.loads(l) for l in open(sys.argv[2])]
done = {(l["point"], l["run"]) for l in before if l["type"] == "run" and l["status"] == "ok"}
opened = {(l["point"], l["run"]) for l in before if l["type"] == "run" and l["status"] == "started"}
dangling = opened - {(l["point"], l["run"]) for l in before
                     if l["type"] == "run" and l["status"] != "started"}
new = after[len(before):]
assert new[0]["type"] == "resume" and new[0]["done_runs"] == len(done), new[0]
started_again = {(l["point"], l["run"]) for l in new if l["type"] == "run" and l["status"] == "started"}
assert not (started_again & done), ("finished runs repeated", started_again & done)
partial = {(l["point"], l["run"]) for l in new if l["type"] == "run" and l["status"] == "partial"}
assert partial == dangling, (partial, dangling)
ok = {(l["point"], l["run"]) for l in after if l["type"] == "run" and l["status"] == "ok"}
assert ok == {(p, 1) for p in range(8)}, ok
pts = sorted({l["point"] for l in after if l["type"] == "point"})
assert pts == list(range(8)), pts
PY
# A third start repeats nothing at all.
"$SB_BIN" sweep "${args[@]}" > "$tmp/third.out" 2>&1 || { cat "$tmp/third.out"; exit 1; }
n_started=$(grep -c '"status":"started"' "$tmp/r/sweep.jsonl")
grep -q "8 finished runs will not be repeated" "$tmp/third.out" || { cat "$tmp/third.out"; exit 1; }
"$SB_BIN" sweep "${args[@]}" > /dev/null 2>&1
[ "$(grep -c '"status":"started"' "$tmp/r/sweep.jsonl")" = "$n_started" ] ||
    { echo "FAIL: a finished sweep started runs again"; exit 1; }
echo "sweep_resume: ok"
