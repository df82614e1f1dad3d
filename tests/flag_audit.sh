#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# flag_audit.sh - no serve flag is accepted and silently ignored:
#  1. tests/gen/flag_audit.py walks the serve flag table: every row's field is
#     read outside the parser, or the row is marked FT_IGNORED / FT_UNSUPPORTED;
#     and every other subcommand's cli_opt table: every listed flag is handled,
#     and no subcommand parses its flags by hand (checked on a small tree too);
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

# The subcommand checks catch what they are for, on a small tree built here:
# a hand parser, and a table row nothing handles.
mkdir -p "$tmp/self/app"
cat > "$tmp/self/app/hand_cmd.c" <<'C'
int hand_cmd(int argc, char **argv) { return argc > 1 && !strcmp(argv[1], "--x"); }
C
cat > "$tmp/self/app/table_cmd.c" <<'C'
static const cli_opt t[] = {{"used", true}, {"forgotten", false}};
int table_cmd(int argc, char **argv) { cli_args_next(a, t, 2, &row, &v, &err); return !strcmp(t[row].name, "used"); }
C
python3 - "$SRC/tests/gen" "$tmp/self" > "$tmp/self.out" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import flag_audit
bad = []
flag_audit.audit_cli_opt_tables(sys.argv[2], bad)
flag_audit.audit_subcommands(sys.argv[2], bad)
print("\n".join(bad))
PY
grep -q "app/hand_cmd.c: parses its flags by hand" "$tmp/self.out" &&
  grep -q "table_cmd.c: --forgotten is listed but never handled" "$tmp/self.out" &&
  ! grep -q "table_cmd.c: parses\|--used" "$tmp/self.out" ||
  { echo "FAIL: flag_audit.py self-check:"; cat "$tmp/self.out"; fail=1; }

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
