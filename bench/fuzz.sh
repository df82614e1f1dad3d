#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every libFuzzer target (tests/fuzz/fuzz_*.c) for a fixed number of
# executions, 10^7 by default, from its committed seed corpus, and prints one
# line per target: executions, seconds, execs/s, and whether it found a crash.
# Not run in CI (CI runs each target 20 s, see .ci/run); figures go to
# bench/fuzz.md.
#
#   bash bench/fuzz.sh                      # every target, 10^7 runs each
#   FUZZ_RUNS=1000000 bash bench/fuzz.sh fuzz_scan fuzz_flags
#
# New inputs the fuzzer finds go to a scratch corpus (the committed one is
# only read); a crash leaves its reproducer in $FUZZ_OUT (default
# /tmp/sb-fuzz-out) as crash-*/leak-*/timeout-*, and the script exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${FUZZ_RUNS:-10000000}"
out="${FUZZ_OUT:-/tmp/sb-fuzz-out}"
build="${FUZZ_BUILD:-build-fuzz}"
mkdir -p "$out"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
# Only the fuzzers (and the library) are built, not every test and bench.
CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSB_FUZZ=ON -DSB_SANITIZE=ON \
  -DSB_WERROR=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >/dev/null
status=0
printf '%-20s %12s %9s %10s  %s\n' target runs seconds 'execs/s' result
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/$t"
  [ -x "$bin" ] || { echo "bench/fuzz.sh: no fuzzer $bin" >&2; exit 2; }
  scratch="$(mktemp -d)"
  seeds="tests/fuzz/corpus/$t"
  log="$out/$t.log"
  start=$(date +%s.%N)
  rc=0
  SB_SOURCE_DIR="$PWD" "$bin" -runs="$runs" -rss_limit_mb=2048 -timeout=30 \
    -artifact_prefix="$out/$t-" -print_final_stats=1 "$scratch" \
    $( [ -d "$seeds" ] && echo "$seeds" ) >"$log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  rm -rf "$scratch"
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
  done_runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  eps=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  result=ok
  if [ "$rc" -ne 0 ]; then
    result="FAILED (rc $rc, see $log)"
    status=1
  fi
  printf '%-20s %12s %9s %10s  %s\n' "$t" "${done_runs:-0}" "$secs" "${eps:-0}" "$result"
done
exit $status
