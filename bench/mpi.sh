#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mpi.sh - cost and gain of a multi-rank run (docs/scale-out.md), on this machine:
#  1. start-up: MPI_Init and the clock-offset estimation + start broadcast
#     for 4 ranks (from the result JSON's servebench.mpi.per_rank), and the
#     whole `mpirun -np 4` wall time against one process for a tiny run;
#  2. ingest: token events per second merged from 2 ranks vs 1 process,
#     against `servebench sim --firehose` (every token as fast as possible),
#     with rank 0's live progress on (the default) and off (--disable-tqdm);
#  3. the live progress's cost to the send schedule: per-rank send lag of a
#     paced 4-rank run with the live aggregation on and off.
# Usage: bash bench/mpi.sh [BUILD_DIR]   (needs an MPI build and mpirun)
set -euo pipefail
B=${1:-build}/servebench
T=$(cd "$(dirname "$0")/.." && pwd)/data/tokenizers/gpt2
tmp=$(mktemp -d)
sim_pid=
trap '[ -z "$sim_pid" ] || kill "$sim_pid"; rm -rf "$tmp"' EXIT
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)

start_sim() {
    "$B" sim --port 0 "$@" > "$tmp/sim.out" 2>&1 &
    sim_pid=$!
    for _ in $(seq 100); do grep -q listening "$tmp/sim.out" && break; sleep 0.1; done
    port=$(sed -nE 's/.*listening on http:\/\/[^:]+:([0-9]+).*/\1/p' "$tmp/sim.out")
}

start_sim --ttft-ms 1 --itl-ms 0.2
small=(--base-url "http://127.0.0.1:$port" --model sim --tokenizer "$T" --dataset-name random
    --random-input-len 16 --random-output-len 4 --num-prompts 8 --request-rate inf
    --save-result --result-dir "$tmp")
echo "== start-up, 4 ranks (5 runs)"
for i in 1 2 3 4 5; do
    s0=$(date +%s.%N)
    "$B" serve "${small[@]}" --result-filename one.json > /dev/null 2>&1
    s1=$(date +%s.%N)
    "${MPIRUN[@]}" -np 4 "$B" serve "${small[@]}" --result-filename four.json > /dev/null 2>&1
    s2=$(date +%s.%N)
    python3 - "$tmp/four.json" "$s0" "$s1" "$s2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["servebench"]["mpi"]["per_rank"]
s0, s1, s2 = map(float, sys.argv[2:5])
print("MPI_Init max %.3f s, offset estimation + broadcast %.3f s (rank 0), start lead %.1f s;"
      " wall: 1 process %.2f s, mpirun -np 4 %.2f s" % (
      max(x["mpi_init_s"] for x in r), r[0]["clock_sync_s"], 0.2, s1 - s0, s2 - s1))
PY
done
kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=

start_sim --firehose
big=(--base-url "http://127.0.0.1:$port" --model sim --tokenizer "$T" --dataset-name random
    --random-input-len 16 --random-output-len 512 --num-prompts 400 --request-rate inf
    --max-concurrency 64 --save-result --result-dir "$tmp")
echo "== ingest against sim --firehose (token events/s, 3 runs each)"
for i in 1 2 3; do
    "$B" serve "${big[@]}" --result-filename i1.json > /dev/null 2>&1
    "${MPIRUN[@]}" -np 2 "$B" serve "${big[@]}" --result-filename i2.json > /dev/null 2>&1
    "${MPIRUN[@]}" -np 2 "$B" serve "${big[@]}" --disable-tqdm --result-filename i3.json \
        > /dev/null 2>&1
    python3 - "$tmp/i1.json" "$tmp/i2.json" "$tmp/i3.json" <<'PY'
import json, sys
a, b, c = (json.load(open(p)) for p in sys.argv[1:4])
ea, eb, ec = (x["servebench"]["token_events_per_s"] for x in (a, b, c))
print("1 process %.0f events/s, 2 ranks %.0f events/s (live progress off: %.0f): ratio %.2f"
      " (%.2f); CPU per rank: %s" % (ea, eb, ec, eb / ea, ec / ea,
      [round(x["client_cpu_pct"]) for x in b["servebench"]["mpi"]["per_rank"]]))
PY
done
kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=

start_sim --ttft-ms 5 --itl-ms 2
paced=(--base-url "http://127.0.0.1:$port" --model sim --tokenizer "$T" --dataset-name random
    --random-input-len 16 --random-output-len 32 --num-prompts 2000 --request-rate 200
    --save-result --result-dir "$tmp")
echo "== send lag of a paced 4-rank run (2000 requests at 200/s), live progress on vs off"
for i in 1 2 3; do
    "${MPIRUN[@]}" -np 4 "$B" serve "${paced[@]}" --result-filename on.json > /dev/null 2>&1
    "${MPIRUN[@]}" -np 4 "$B" serve "${paced[@]}" --disable-tqdm --result-filename off.json \
        > /dev/null 2>&1
    python3 - "$tmp/on.json" "$tmp/off.json" <<'PY'
import json, sys
for name, p in zip(("on ", "off"), sys.argv[1:3]):
    r = json.load(open(p))["servebench"]["mpi"]["per_rank"]
    print("live %s: send lag p50 %s ms, p99 %s ms, max %s ms (per rank)" % (name,
          [round(x["send_lag_p50_ms"], 3) for x in r], [round(x["send_lag_p99_ms"], 2) for x in r],
          [round(x["send_lag_max_ms"], 2) for x in r]))
PY
done
