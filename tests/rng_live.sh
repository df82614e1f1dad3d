#!/usr/bin/env bash
# rng_live.sh - live differential test of the reference RNGs and the arrival
# schedule: runs the real CPython `random` and numpy on seeds drawn now (not the
# committed ones), then replays those fresh vectors through test_rng and
# test_sched. Skips (exit 0 with a message) when no python3 with numpy exists.
set -euo pipefail
: "${SB_SOURCE_DIR:?run through ctest}" "${SB_BUILD_DIR:?run through ctest}"

py=""
for cand in /usr/bin/python3 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import numpy' >/dev/null 2>&1; then
        py="$cand"
        break
    fi
done
if [ -z "$py" ]; then
    echo "SKIP: no python3 with numpy; the committed vectors in tests/data/rng still run in test_rng"
    exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Seeds: small, 32-bit, and above 2^32 (CPython and SeedSequence use two words).
s1=$(( (RANDOM << 15 | RANDOM) ))
s2=$(( (RANDOM << 30 | RANDOM << 15 | RANDOM) & 0xffffffff ))
s3=$(( (RANDOM << 45 | RANDOM << 30 | RANDOM << 15 | RANDOM) & 0x7fffffffffffffff ))
seeds="$s1,$s2,$s3"
echo "seeds: $seeds ($("$py" -c 'import sys, numpy; print("python", sys.version.split()[0], "numpy", numpy.__version__)'))"
"$py" "$SB_SOURCE_DIR/tests/gen/gen_rng_vectors.py" --out "$tmp" --seeds "$seeds"

status=0
for t in test_rng test_sched; do
    exe="$SB_BUILD_DIR/tests/$t"
    if [ ! -x "$exe" ]; then
        echo "FAIL: $exe not built"
        status=1
        continue
    fi
    if ! SB_RNG_VECTOR_DIR="$tmp" "$exe"; then
        echo "FAIL: $t differs from python for seeds $seeds"
        status=1
    fi
done
exit $status
