#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every cmocka test binary, and one real `serve --sim` benchmark, under valgrind
# memcheck: any invalid access or definite/indirect leak fails. Slow (tens of minutes for
# the tokenizer tests); CI runs the suite under ASan+UBSan instead, this is for developers:
#   bash scripts/valgrind.sh [build-dir] [test-name-regex]
# test_run's sigint test sends Ctrl-C after a fixed 3 s; under valgrind loading takes
# longer, so that one case can end with exit 130 (interrupted before the run started).
set -uo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
filter="${2:-.}"
bash scripts/build.sh "$dir" >/dev/null || exit 1
export SB_BIN="$PWD/$dir/servebench" SB_SOURCE_DIR="$PWD" SB_TEST_DATA="$PWD/tests/data" SB_BUILD_DIR="$PWD/$dir"
vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99
    --trace-children=no)
pass=0 fail=0
for t in "$dir"/tests/test_*; do
  name=$(basename "$t")
  [[ "$name" =~ $filter ]] || continue
  # Kernel receive stamps need a wall-clock reading taken within 1 us of two
  # monotonic ones (http/engine.c: real_minus_mono); under valgrind a clock
  # read takes longer, so eng_new refuses --rx-timestamps kernel there.
  if [ "$name" = test_engine_krx ]; then
    echo "skip $name (clock reads too slow under valgrind for kernel stamps)"; continue
  fi
  if "${vg[@]}" "$t" >"/tmp/sb-vg-$name.log" 2>&1; then
    pass=$((pass + 1)); echo "ok   $name"
  else
    fail=$((fail + 1)); echo "FAIL $name (log: /tmp/sb-vg-$name.log)"
  fi
done
if [[ "serve" =~ $filter ]]; then
  if "${vg[@]}" "$SB_BIN" serve --sim --num-prompts 20 --random-input-len 64 --random-output-len 8 \
      --disable-tqdm --save-result --result-dir /tmp/sb-vg-result >/tmp/sb-vg-serve.log 2>&1; then
    pass=$((pass + 1)); echo "ok   serve --sim"
  else
    fail=$((fail + 1)); echo "FAIL serve --sim (log: /tmp/sb-vg-serve.log)"
  fi
fi
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
