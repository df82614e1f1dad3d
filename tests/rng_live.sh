#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rng_live.sh - live differential test of the reference RNGs and the arrival
# schedule: runs the real CPython `random` and numpy on seeds drawn now (not the
# committed ones), then replays those fresh vectors through test_rng and
# test_sched. Skips (exit 0 with a message) when no python3 with numpy exists.
. "$(dirname "$0")/skip.sh"
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
    sb_skip "no python3 with numpy; the committed vectors in tests/data/rng still run in test_rng"
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

# CPython's random across interpreter versions (the reference may run any
# 3.x): every other python3 found regenerates py_random.json for the largest
# seed (two 32-bit words); numpy's files are reused from the run above.
others=()
for v in 8 9 10 11 12 13 14; do
    p=$(command -v "python3.$v" 2>/dev/null) || continue
    case "$p" in */shims/*) continue ;; esac # pyenv shims: slow; versions/ is scanned below
    others+=("$p")
done
# Newest four pyenv versions at most, to keep the test short.
for p in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.* 2>/dev/null | sort -rV | head -4) \
    ${SB_EXTRA_PYTHONS:-}; do
    [ -x "$p/bin/python3" ] && p="$p/bin/python3"
    [ -x "$p" ] && [ -f "$p" ] && others+=("$p")
done
declare -A seen=()
for p in "${others[@]+"${others[@]}"}"; do
    ver=$("$p" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null) || continue
    [ -n "${seen[$ver]:-}" ] && continue
    seen[$ver]=1
    d="$tmp/py$ver"
    mkdir -p "$d"
    cp "$tmp"/np_rs.json "$tmp"/np_gen.json "$tmp"/sched.json "$d"/
    "$p" "$SB_SOURCE_DIR/tests/gen/gen_rng_vectors.py" --py-only --out "$d" --seeds "$s3"
    if SB_RNG_VECTOR_DIR="$d" "$SB_BUILD_DIR/tests/test_rng" >"$d/log" 2>&1; then
        echo "py_random matches CPython $ver"
    else
        cat "$d/log"
        echo "FAIL: py_random differs from CPython $ver ($p) for seed $s3"
        status=1
    fi
done
exit $status
