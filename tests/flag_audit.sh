#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# flag_audit.sh - no serve flag is accepted and silently ignored:
#  1. tests/gen/flag_audit.py walks the serve flag table: every row's field is
#     read outside the parser, or the row is marked FT_IGNORED / FT_UNSUPPORTED;
#     and every other subcommand's cli_opt table: every listed flag is handled;
#  2. every FT_UNSUPPORTED flag stops with "not supported yet" and exit 2;
#  3. every FT_IGNORED flag prints its "no effect" note and the run goes on;
#  4. --tokenizer-mode: auto and hf run, other modes stop.
set -u
BIN="${SB_BIN:?run through ctest}"
SRC="${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
python3 "$SRC/tests/gen/flag_audit.py" "$SRC/src" || fail=1

# Rows of one kind: their names and whether they take a value (metavar not NULL).
rows() { # rows KIND -> "name value|novalue" lines
  python3 - "$SRC/src/cli/flag_table.c" "$1" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
for m in re.finditer(r'\{"([a-z0-9-]+)",\s*(?:NULL|"[^"]*"),\s*' + sys.argv[2] +
                     r',\s*[^,]+,\s*[^,]+,\s*(NULL|"[^"]*")', t):
    print(m.group(1), 'novalue' if m.group(2) == 'NULL' else 'value')
PY
}
quick=(--sim --num-prompts 2 --random-input-len 8 --random-output-len 2 --disable-tqdm)

n_unsup=0
while read -r name kind; do
  n_unsup=$((n_unsup + 1))
  args=("--$name"); [ "$kind" = value ] && args+=(1)
  "$BIN" serve "${quick[@]}" "${args[@]}" > "$tmp/out" 2>&1
  rc=$?
  if [ $rc -ne 2 ] || ! grep -q "not supported yet" "$tmp/out"; then
    echo "FAIL: --$name (unsupported) gave exit $rc:"; cat "$tmp/out"; fail=1
  fi
done < <(rows FT_UNSUPPORTED)
[ "$n_unsup" -gt 0 ] || { echo "FAIL: no FT_UNSUPPORTED rows read"; fail=1; }

n_ign=0
while read -r name kind; do
  [ "$name" = config ] && continue # --config FILE reads a file: tests/test_cli.c
  n_ign=$((n_ign + 1))
  args=("--$name"); [ "$kind" = value ] && args+=(x)
  "$BIN" serve "${quick[@]}" "${args[@]}" > "$tmp/out" 2>&1
  rc=$?
  if [ $rc -ne 0 ] || ! grep -q -- "--$name is accepted for compatibility and has no effect" "$tmp/out"; then
    echo "FAIL: --$name (no effect) gave exit $rc:"; cat "$tmp/out"; fail=1
  fi
done < <(rows FT_IGNORED)
[ "$n_ign" -gt 0 ] || { echo "FAIL: no FT_IGNORED rows read"; fail=1; }

for mode in auto hf; do
  "$BIN" serve "${quick[@]}" --tokenizer-mode $mode > "$tmp/out" 2>&1 ||
    { echo "FAIL: --tokenizer-mode $mode"; cat "$tmp/out"; fail=1; }
done
for mode in slow mistral deepseek_v32; do
  "$BIN" serve "${quick[@]}" --tokenizer-mode $mode > "$tmp/out" 2>&1
  rc=$?
  if [ $rc -ne 2 ] || ! grep -q "not supported yet" "$tmp/out"; then
    echo "FAIL: --tokenizer-mode $mode gave exit $rc:"; cat "$tmp/out"; fail=1
  fi
done
[ $fail -eq 0 ] && echo "flag_audit: ok ($n_unsup unsupported, $n_ign no-effect flags checked)"
exit $fail
