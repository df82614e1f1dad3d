#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Static analysis of src/ with the committed configuration: clang-tidy (.clang-tidy)
# and cppcheck (.cppcheck-suppressions). The baseline is zero findings: any
# finding is printed and fails. CI runs it (.ci/run); developers:
#   bash scripts/lint.sh                 both
#   bash scripts/lint.sh clang-tidy      one of them (or cppcheck)
#   bash scripts/lint.sh clang-tidy src/sim/   only files whose path matches
set -euo pipefail
cd "$(dirname "$0")/.."
which_tools="${1:-all}"
filter="${2:-src/}"
dir="${SB_LINT_DIR:-build-lint}"
jobs="$(nproc)"
# Only the compile commands are needed (flags, defines, include paths); nothing is built.
CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
status=0

if [ "$which_tools" = all ] || [ "$which_tools" = clang-tidy ]; then
  log="$dir/clang-tidy.log"
  # run-clang-tidy (Debian's clang-tidy package) runs one clang-tidy per file in parallel.
  rc=0
  run-clang-tidy -p "$dir" -j "$jobs" -quiet "$PWD/$filter" >"$log" 2>&1 || rc=$?
  sed -i 's/\x1b\[[0-9;]*m//g' "$log"
  n=$(grep -cE '^/[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$log" || true)
  checked=$(grep -c '^clang-tidy' "$log" || true)
  if [ "$n" -eq 0 ] && { [ "$rc" -ne 0 ] || [ "$checked" -eq 0 ]; }; then
    tail -20 "$log"
    echo "clang-tidy did not run cleanly (exit $rc, $checked files)"
    status=1
  elif [ "$n" -ne 0 ]; then
    grep -E -A3 '^/[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$log" | sed "s|$PWD/||"
    status=1
  fi
  echo "clang-tidy: $checked files, $n findings (full log: $log)"
fi

if [ "$which_tools" = all ] || [ "$which_tools" = cppcheck ]; then
  log="$dir/cppcheck.log"
  # --file-filter keeps tests/, bench/ and tools/ out; the compile database gives
  # each file its real defines and include paths.
  rc=0
  # (absolute paths: with a relative --project the filter matches no file)
  cppcheck --project="$PWD/$dir/compile_commands.json" --file-filter="$PWD/$filter*" \
    --enable=warning,performance,portability --std=c11 --inline-suppr \
    --library=.cppcheck.cfg --suppressions-list=.cppcheck-suppressions --error-exitcode=1 -j "$jobs" -q \
    --template='{file}:{line}:{column}: {severity}: {message} [{id}]' >"$log" 2>&1 || rc=$?
  n=$(grep -cE '^[^ ]+:[0-9]+:[0-9]+: ' "$log" || true)
  if [ "$n" -eq 0 ] && [ "$rc" -ne 0 ]; then
    cat "$log"
    echo "cppcheck did not run cleanly (exit $rc)"
    status=1
  elif [ "$n" -ne 0 ]; then
    sed "s|$PWD/||" "$log"
    status=1
  fi
  echo "cppcheck: $n findings (full log: $log)"
fi
exit "$status"
