#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mpi_sweep.sh - `mpirun -np 3 servebench sweep`: every point runs on all
# three ranks (each result is a merged 3-rank result with the concurrency
# split), rank 0 alone runs the sweep and writes its files (one sweep.jsonl
# with one line per run, not three), and a second start resumes: every rank
# skips the finished runs together (no rank waits for another).
# Leak checking off under ASan for Open MPI's own leaks, as in mpi_serve.sh.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
set -euo pipefail
: "${SB_BIN:?run through ctest}"
grep -qa "libmpi\.so" "$SB_BIN" || { echo "mpi_sweep: built without MPI"; exit 77; }
command -v mpirun > /dev/null || { echo "mpi_sweep: mpirun not installed"; exit 77; }
tmp=$(mktemp -d)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
source "$SB_SOURCE_DIR/tests/helpers/sim.sh"
sim_start --ttft-ms 2 --itl-ms 0.5
args=(--output-dir "$tmp/s" --base-url "$url" --model sim
    --tokenizer "$SB_SOURCE_DIR/data/tokenizers/gpt2" --dataset-name random
    --random-input-len 16 --random-output-len 6 --num-prompts 12 --disable-tqdm
    --request-rate 200,inf --max-concurrency 6)
MPIRUN=(timeout 300 mpirun --allow-run-as-root --oversubscribe -np 3)

"${MPIRUN[@]}" "$SB_BIN" sweep "${args[@]}" > "$tmp/first.out" 2> "$tmp/first.err" ||
    { echo "FAIL: the sweep under mpirun exited $?"; cat "$tmp/first.out" "$tmp/first.err"; exit 1; }
python3 - "$tmp/s" <<'PY'
import json, os, sys
d = sys.argv[1]
lines = [json.loads(l) for l in open(os.path.join(d, "sweep.jsonl"))]
assert [l["type"] for l in lines].count("sweep") == 1, lines
runs = [l for l in lines if l["type"] == "run" and l["status"] != "started"]
assert len(runs) == 2 and all(r["status"] == "ok" for r in runs), runs
for r in runs:
    res = json.load(open(os.path.join(d, r["result_file"])))
    mpi = res["servebench"]["mpi"]
    assert res["completed"] == 12, r["result_file"]
    assert mpi["ranks"] == 3 and mpi["requests_sent"] == 12, mpi
    assert [x["requests_sent"] for x in mpi["per_rank"]] == [4, 4, 4], mpi["per_rank"]
    assert [x["max_concurrency"] for x in mpi["per_rank"]] == [2, 2, 2], mpi["per_rank"]
    assert res["servebench"]["workload_fingerprint"] == r["fingerprint"]
PY
n=$(grep -c "Serving Benchmark Result" "$tmp/first.out")
[ "$n" = 2 ] || { echo "FAIL: $n result blocks for 2 points (only rank 0 prints)"; exit 1; }

"${MPIRUN[@]}" "$SB_BIN" sweep "${args[@]}" > "$tmp/again.out" 2> "$tmp/again.err" ||
    { echo "FAIL: the resumed sweep exited $?"; cat "$tmp/again.out" "$tmp/again.err"; exit 1; }
grep -q "2 finished runs will not be repeated" "$tmp/again.out" ||
    { echo "FAIL: no resume"; cat "$tmp/again.out"; exit 1; }
n=$(grep -c "already done" "$tmp/again.out")
[ "$n" = 2 ] || { echo "FAIL: $n runs skipped, want 2"; cat "$tmp/again.out"; exit 1; }
! grep -q "Serving Benchmark Result" "$tmp/again.out" || { echo "FAIL: a skipped run ran"; exit 1; }
echo "mpi_sweep: ok"
