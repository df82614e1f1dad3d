#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# pyhash_live.sh - live differential test of core/pyhash.c: the local CPython
# (/usr/bin/python3, 3.11+: SipHash-1-3) prints hash(str) and the timed_trace
# chunk draws under PYTHONHASHSEED values drawn now (not the committed ones),
# then test_pyhash replays those fresh vectors.
. "$(dirname "$0")/skip.sh"
set -euo pipefail
: "${SB_SOURCE_DIR:?run through ctest}" "${SB_BUILD_DIR:?run through ctest}"

py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3 || true)
[ -n "$py" ] || sb_skip "no python3; the committed vectors in tests/data/rng/pyhash.json still run"
algo=$("$py" -c 'import sys; print(sys.hash_info.algorithm)')
[ "$algo" = siphash13 ] || sb_skip "$py hashes str with $algo, not siphash13 (CPython 3.11+ only)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
seeds="$((RANDOM)),$(( (RANDOM << 15 | RANDOM) )),$(( (RANDOM << 30 | RANDOM << 15 | RANDOM) & 0xffffffff ))"
echo "PYTHONHASHSEED values: $seeds ($("$py" --version))"
"$py" "$SB_SOURCE_DIR/tests/gen/gen_pyhash_vectors.py" --out "$tmp/pyhash.json" --seeds "$seeds"
SB_PYHASH_VECTORS="$tmp/pyhash.json" "$SB_BUILD_DIR/tests/test_pyhash"
