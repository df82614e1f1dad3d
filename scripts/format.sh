#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Formats every C file of the project with the repository's .clang-format:
#   bash scripts/format.sh            rewrite the files in place
#   bash scripts/format.sh --check    change nothing; list the files that differ and
#                                     fail (what CI runs: clang-format --dry-run -Werror)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=fix
[ "${1:-}" = "--check" ] && mode=check
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- '*.c' '*.h')
else # a source tarball
  mapfile -t files < <(find src tests bench tools -name node_modules -prune -o \
    -type f \( -name '*.c' -o -name '*.h' \) -print | sort)
fi
if [ "$mode" = fix ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (bash scripts/format.sh)"
    bad=$((bad + 1))
  fi
done
echo "clang-format: ${#files[@]} files, $bad not formatted"
[ "$bad" -eq 0 ]
