#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mpi_interrupt.sh - Ctrl-C (SIGINT) on mpirun during a 4-rank run: every
# rank stops sending, gives its in-flight requests the grace time, and rank 0
# still writes the merged result, marked partial, whose counts add up (per
# rank: succeeded + failed = sent; in all: completed + failed = sent, sent +
# unaccounted = planned). Open MPI answers the SIGINT with SIGCONT, SIGTERM
# and SIGKILL to the ranks, odls_base_sigkill_timeout apart (docs/scale-out.md).
# Leak checking off under ASan for Open MPI's own leaks, as in mpi_serve.sh.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
set -euo pipefail
: "${SB_BIN:?run through ctest}"
grep -qa "libmpi\.so" "$SB_BIN" || { echo "mpi_interrupt: built without MPI"; exit 77; }
command -v mpirun > /dev/null || { echo "mpi_interrupt: mpirun not installed"; exit 77; }
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
mpi_pid=
cleanup() {
    [ -z "$mpi_pid" ] || kill -9 "$mpi_pid" 2>/dev/null || true
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
# 64 tokens 20 ms apart: requests take 1.3 s, so some are in flight at the
# interrupt and outlast the 0.5 s grace (cancelled, counted as failures).
sim_start --ttft-ms 2 --itl-ms 20

# 400 requests at 20/s: 20 s of sending, interrupted after about 3 s.
# sigkill_timeout 3 (default 1) leaves room on a loaded machine.
mpirun --allow-run-as-root --oversubscribe --mca odls_base_sigkill_timeout 3 -np 4 \
    "$SB_BIN" serve --base-url "http://127.0.0.1:$port" --model sim \
    --tokenizer "$SB_SOURCE_DIR/data/tokenizers/gpt2" --dataset-name random \
    --random-input-len 32 --random-output-len 64 --num-prompts 400 --seed 5 \
    --request-rate 20 --grace-sec 0.5 --save-result --result-dir "$tmp" \
    --result-filename int.json > "$tmp/out" 2> "$tmp/err" &
mpi_pid=$!
for _ in $(seq 600); do
    grep -q "Starting main benchmark run" "$tmp/out" 2>/dev/null && break
    sleep 0.1
done
sleep 3
kill -INT "$mpi_pid"
rc=0
for _ in $(seq 600); do # mpirun's SIGKILL comes 6 s after the interrupt at the latest
    kill -0 "$mpi_pid" 2>/dev/null || break
    sleep 0.1
done
wait "$mpi_pid" || rc=$?
mpi_pid=
echo "mpirun exit status after the interrupt: $rc"

[ -f "$tmp/int.json" ] || { echo "no merged result"; cat "$tmp/out" "$tmp/err"; exit 1; }
grep -q "PARTIAL (interrupted)" "$tmp/out" || { echo "block not marked partial"; cat "$tmp/out"; exit 1; }
grep -q "Interrupted: [0-9]* of 400 requests were sent" "$tmp/err" ||
    { echo "no interrupt message"; cat "$tmp/err"; exit 1; }
python3 - "$tmp/int.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sb = d["servebench"]
mpi = sb["mpi"]
assert sb["partial"] is True, sb["partial"]
assert mpi["lost_ranks"] == [], mpi["lost_ranks"]
sent = mpi["requests_sent"]
assert 0 < sent < 400, sent
assert sent + mpi["requests_unaccounted"] == 400, mpi
assert d["completed"] + d["failed"] == sent, (d["completed"], d["failed"], sent)
assert d["failed"] > 0, "nothing was cancelled at the end of the grace time"
total = 0
for r in mpi["per_rank"]:
    assert r["interrupted"] is True and r["lost"] is False, r
    assert r["requests_succeeded"] + r["requests_failed"] == r["requests_sent"], r
    assert r["requests_finished"] == r["requests_sent"], r
    assert 0 < r["requests_sent"] < r["requests_planned"], r
    total += r["requests_sent"]
assert total == sent, (total, sent)
print("mpi_interrupt:", sent, "sent,", d["completed"], "completed,", d["failed"], "failed")
PY
echo "mpi_interrupt: ok"
