#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mpi_serve.sh - `mpirun -np 4 servebench serve` against one `servebench sim`
# gives the single-process result: same completed count, token totals and
# workload fingerprint, and the ranks' intended send times together are the
# single-process schedule exactly; rank 0's live progress line ends with the
# sums over all ranks and TTFT percentiles from the merged histograms (within
# their stated precision of the exact ones). One rank's clock is shifted by 50 ms (test
# hook): the estimated offset must hold it within the reported uncertainty.
# Without MPI built in, `--mpi` must say so (then the rest is skipped: 77).
# Open MPI's own libraries (libmpi, libopen-pal, hwloc and the plugins it loads) leak
# at exit; LeakSanitizer cannot be pointed at them alone (the plugins are unloaded), so
# under the ASan build leak checking is off for these processes (address and UB checks
# stay on; tests/test_mpi.c checks our MPI-side code for leaks without mpirun).
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
sim_pid=
cleanup() {
    [ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# (Open MPI is opened at run time, not linked: the binary names its library)
if ! grep -qa "libmpi\.so" "$SB_BIN"; then
    rc=0
    "$SB_BIN" serve --mpi --sim --num-prompts 1 > "$tmp/o" 2> "$tmp/e" || rc=$?
    [ "$rc" = 2 ] || { echo "--mpi without MPI: exit $rc, expected 2"; cat "$tmp/e"; exit 1; }
    grep -q "built without MPI support" "$tmp/e" || { echo "no clear message:"; cat "$tmp/e"; exit 1; }
    echo "mpi_serve: this build has no MPI support (message checked); skipping the mpirun part"
    exit 77
fi
command -v mpirun > /dev/null || { echo "mpi_serve: mpirun not installed (openmpi-bin)"; exit 77; }

"$SB_BIN" sim --port 0 --ttft-ms 1 --itl-ms 0.2 > "$tmp/sim.out" 2>&1 &
sim_pid=$!
for _ in $(seq 600); do
    grep -q listening "$tmp/sim.out" && break
    sleep 0.1
done
port=$(sed -nE 's/.*listening on http:\/\/[^:]+:([0-9]+).*/\1/p' "$tmp/sim.out")
[ -n "$port" ] || { echo "simulator did not start"; cat "$tmp/sim.out"; exit 1; }

flags=(--base-url "http://127.0.0.1:$port" --model sim
    --tokenizer "$SB_SOURCE_DIR/data/tokenizers/gpt2" --dataset-name random
    --random-input-len 32 --random-output-len 8 --num-prompts 42 --seed 7
    --request-rate 200 --burstiness 0.5 --max-concurrency 10 --save-result
    --save-detailed --result-dir "$tmp")
MPIRUN=(mpirun --allow-run-as-root --oversubscribe -np 4)

SB_MPI_SCHEDULE_DUMP="$tmp/one" "$SB_BIN" serve "${flags[@]}" --result-filename one.json \
    > "$tmp/one.out" 2> "$tmp/one.err" || { cat "$tmp/one.out" "$tmp/one.err"; exit 1; }
SB_MPI_SCHEDULE_DUMP="$tmp/four" SB_MPI_TEST_CLOCK_SHIFT=2:50000000 \
    timeout 300 "${MPIRUN[@]}" -x SB_MPI_SCHEDULE_DUMP -x SB_MPI_TEST_CLOCK_SHIFT \
    "$SB_BIN" serve "${flags[@]}" --result-filename four.json \
    > "$tmp/four.out" 2> "$tmp/four.err" || { cat "$tmp/four.out" "$tmp/four.err"; exit 1; }

# Only rank 0 prints the block.
n=$(grep -c "Serving Benchmark Result" "$tmp/four.out")
[ "$n" = 1 ] || { echo "result block printed $n times"; cat "$tmp/four.out"; exit 1; }
grep -q "MPI ranks" "$tmp/four.out" || { echo "no per-rank health"; cat "$tmp/four.out"; exit 1; }

# The four shards together are the single-process schedule, to the nanosecond.
[ "$(ls "$tmp"/four.* | grep -c 'four\.[0-9]$')" = 4 ] || { echo "not 4 schedule dumps"; exit 1; }
sort -n "$tmp"/four.[0-3] > "$tmp/four.sched"
sort -n "$tmp/one.0" > "$tmp/one.sched"
[ "$(wc -l < "$tmp/one.sched")" = 42 ] || { echo "single schedule: not 42 lines"; exit 1; }
cmp "$tmp/one.sched" "$tmp/four.sched" || { echo "merged schedule differs"; exit 1; }

python3 - "$tmp/one.json" "$tmp/four.json" <<'PY'
import json, sys
one, four = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("completed", "failed", "total_input_tokens", "total_output_tokens", "num_prompts"):
    assert one.get(k) == four.get(k), (k, one.get(k), four.get(k))
assert one["completed"] == 42, one["completed"]
a, b = one["servebench"], four["servebench"]
assert a["workload_fingerprint"] == b["workload_fingerprint"], (a, b)
assert "mpi" not in a and set(a) <= set(b), set(a) ^ set(b)
assert sorted(one) == sorted(four), set(one) ^ set(four)   # same schema
for k in ("input_lens", "output_lens"):  # per request, in request order
    assert len(four[k]) == 42 and four[k] == one[k], k
mpi = b["mpi"]
assert mpi["ranks"] == 4 and mpi["requests_sent"] == 42 and mpi["requests_unaccounted"] == 0, mpi
ranks = mpi["per_rank"]
assert [r["requests_sent"] for r in ranks] == [11, 11, 10, 10], ranks
assert [r["max_concurrency"] for r in ranks] == [3, 3, 2, 2], ranks
for r in ranks:
    # rank 2's clock reads 50 ms ahead: rank-0 clock minus its clock is -50 ms
    true = -50_000_000 if r["rank"] == 2 else 0
    err = abs(r["clock_offset_ns"] - true)
    assert err <= r["clock_uncertainty_ns"], (r["rank"], r["clock_offset_ns"], r["clock_uncertainty_ns"])
print("offsets:", [(r["clock_offset_ns"], r["clock_uncertainty_ns"]) for r in ranks])
PY

# Live progress: the last line counts every rank's requests (a rank alone has
# 11), its TTFT percentiles come from the merged histograms: nearest rank,
# within 2^-7 of the exact value plus the 0.05 ms of printing.
python3 - "$tmp/four.err" "$tmp/four.json" <<'PY'
import json, math, re, sys
text = open(sys.argv[1]).read().replace("\r", "\n")
lines = re.findall(r"(\d+)/42 \[[^]]*TTFT p50 ([0-9.]+) ms p99 ([0-9.]+) ms, 4 ranks\]", text)
assert lines, "no aggregated progress line:\n" + text[-2000:]
done, p50, p99 = lines[-1]
assert done == "42", lines[-1]
t = sorted(json.load(open(sys.argv[2]))["ttfts"])
for q, live in ((0.5, float(p50)), (0.99, float(p99))):
    exact = t[math.ceil(q * len(t)) - 1] * 1e3
    assert abs(live - exact) <= exact / 128 + 0.051, (q, live, exact)
print("live progress:", lines[-1], "exact p50/p99 ms:", t[20] * 1e3, t[41] * 1e3)
PY

# --max-concurrency is global: fewer slots than ranks is refused.
rc=0
timeout 120 "${MPIRUN[@]}" "$SB_BIN" serve "${flags[@]}" --max-concurrency 3 \
    > "$tmp/few.out" 2> "$tmp/few.err" || rc=$?
[ "$rc" != 0 ] && grep -q "split across 4 ranks" "$tmp/few.err" ||
    { echo "--max-concurrency 3 on 4 ranks: exit $rc"; cat "$tmp/few.err"; exit 1; }
echo "mpi_serve: ok"
