#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/sweep.sh [BUILD] [TOKENIZER] - a sweep's overhead between points.
# Runs a 10-point sweep of small runs against `servebench sim` in one process
# (one tokenizer load), then the same 10 runs as 10 `servebench serve`
# processes (a load each), and prints per-run overhead_s from sweep.jsonl
# (previous run's timed end -> this run's timed start: setup, dataset, ready
# check, result writing), the wall times, and the tokenizer load alone.
set -euo pipefail
build=${1:-build}
tokz=${2:-tests/data/tokenizers/gemma3}
bin=$build/servebench
tmp=$(mktemp -d)
trap '[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
"$bin" sim --port 0 --ttft-ms 2 --itl-ms 1 > "$tmp/sim.out" &
pid=$!
for _ in $(seq 100); do grep -q listening "$tmp/sim.out" && break; sleep 0.05; done
url=$(sed -nE 's/.*listening on (http[^ ]+)$/\1/p' "$tmp/sim.out")
common=(--base-url "$url" --model sim --tokenizer "$tokz" --dataset-name random
        --random-output-len 8 --num-prompts 20 --max-concurrency 8 --disable-tqdm)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(date +%s.%N)
"$bin" tokenize --tokenizer "$tokz" --text x > /dev/null
t1=$(date +%s.%N)
echo "tokenizer load + one encode (own process): $(echo "$t1 - $t0" | bc) s"
t0=$(date +%s.%N)
"$bin" sweep --output-dir "$tmp/sw" "${common[@]}" \
    --sweep random-input-len=100,110,120,130,140,150,160,170,180,190 > "$tmp/sweep.out" 2>&1
t1=$(date +%s.%N)
echo "sweep, 10 points in one process: $(echo "$t1 - $t0" | bc) s"
python3 - "$tmp/sw/sweep.jsonl" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
runs = [r for r in runs if r["type"] == "run" and r["status"] == "ok"]
ov = [r["overhead_s"] for r in runs if r["overhead_s"] is not None]
dur = [r["metrics"]["duration"] for r in runs]
print("overhead between points (s): min %.3f  mean %.3f  max %.3f  (n=%d)"
      % (min(ov), sum(ov) / len(ov), max(ov), len(ov)))
print("timed part of a point (s): mean %.3f" % (sum(dur) / len(dur)))
PY
t0=$(date +%s.%N)
for len in 100 110 120 130 140 150 160 170 180 190; do
    "$bin" serve "${common[@]}" --random-input-len "$len" > /dev/null 2>&1
done
t1=$(date +%s.%N)
echo "the same 10 runs as 10 serve processes: $(echo "$t1 - $t0" | bc) s"
