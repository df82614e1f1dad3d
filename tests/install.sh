#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `cmake --install` to a temporary prefix, then the tree is moved elsewhere: the
# installed binary must find its bundled data next to itself (not in the source
# tree), the man pages must render, one per command page of docs/, and the bash
# completion must offer the flags of the flag table.
set -euo pipefail
. "$SB_SOURCE_DIR/tests/skip.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$SB_BUILD_DIR" --prefix "$tmp/first" >"$tmp/install.log" ||
  fail "cmake --install: $(cat "$tmp/install.log")"
mv "$tmp/first" "$tmp/moved"
p="$tmp/moved"
bin="$p/bin/servebench"
[ -x "$bin" ] || fail "no $bin"

# A real benchmark from the moved tree, from another working directory: --sim
# with no --tokenizer loads the bundled GPT-2 from share/servebench.
(cd "$tmp" && "$bin" serve --sim --num-prompts 20 --disable-tqdm >"$tmp/run.log" 2>&1) ||
  fail "installed serve --sim: $(tail -5 "$tmp/run.log")"
grep -Eq '^Successful requests: +20 *$' "$tmp/run.log" || fail "not 20 successes: $(cat "$tmp/run.log")"
# sonnet reads share/servebench/sonnet.txt (it needs a chat template: qwen3's).
sonnet=(serve --sim --num-prompts 4 --dataset-name sonnet --tokenizer "$SB_TEST_DATA/tokenizers/qwen3"
  --disable-tqdm)
(cd "$tmp" && "$bin" "${sonnet[@]}" >"$tmp/sonnet.log" 2>&1) ||
  fail "installed sonnet: $(tail -5 "$tmp/sonnet.log")"
grep -Eq '^Successful requests: +4 *$' "$tmp/sonnet.log" || fail "sonnet: $(cat "$tmp/sonnet.log")"

# The data really comes from the moved tree: without it a run stops and names
# the file there (not the source tree's copy).
mv "$p/share/servebench/sonnet.txt" "$tmp/sonnet.txt"
if "$bin" "${sonnet[@]}" >"$tmp/miss.log" 2>&1; then
  fail "sonnet ran without its sonnet.txt (read the source tree's?)"
fi
grep -q "$p/share/servebench/sonnet.txt" "$tmp/miss.log" ||
  fail "message does not name the installed sonnet.txt: $(tail -3 "$tmp/miss.log")"
mv "$tmp/sonnet.txt" "$p/share/servebench/sonnet.txt"
mv "$p/share/servebench/tokenizers" "$tmp/tokenizers"
if "$bin" serve --sim --num-prompts 2 --disable-tqdm >"$tmp/miss.log" 2>&1; then
  fail "--sim ran without the bundled tokenizer"
fi
grep -q "$p/share/servebench/tokenizers/gpt2" "$tmp/miss.log" ||
  fail "message does not name the installed tokenizer: $(tail -3 "$tmp/miss.log")"
mv "$tmp/tokenizers" "$p/share/servebench/tokenizers"

# One page per docs/<command>.md (first line "# servebench <command>"), plus servebench(1).
[ -f "$p/share/man/man1/servebench.1" ] || fail "no servebench.1"
n=0
for md in "$SB_SOURCE_DIR"/docs/*.md; do
  read -r first <"$md"
  [[ "$first" =~ ^#\ servebench\ ([a-z0-9-]+)$ ]] || continue
  cmd=${BASH_REMATCH[1]}
  page="$p/share/man/man1/servebench-$cmd.1"
  [ -f "$page" ] || fail "no man page for $md"
  n=$((n + 1))
  if command -v man >/dev/null; then
    text=$(MANWIDTH=100 man -l "$page" 2>/dev/null)
    grep -q "^NAME" <<<"$text" || fail "servebench-$cmd.1 has no NAME section"
    grep -Eq "servebench-$cmd +- " <<<"$text" || fail "servebench-$cmd.1 NAME line"
    grep -q -- "--" <<<"$text" || fail "servebench-$cmd.1 shows no flag"
  fi
done
[ "$n" -ge 4 ] || fail "only $n command pages"

# Completion: every flag of serve's table is offered, and choices complete.
comp="$p/share/bash-completion/completions/servebench"
[ -f "$comp" ] || fail "no bash completion"
# shellcheck disable=SC1090
. "$comp"
complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMPREPLY=()
  _servebench
  echo "${COMPREPLY[*]}"
}
[ "$(complete_words servebench serve --num-pro)" = "--num-prompts" ] || fail "serve --num-pro"
[[ " $(complete_words servebench serve --backend openai-c) " == *" openai-chat "* ]] ||
  fail "--backend choices"
[ "$(complete_words servebench se)" = "serve" ] || fail "command names"
[[ " $(complete_words servebench sim --max-) " == *" --max-num-seqs "* ]] || fail "sim flags"
[[ " $(complete_words servebench dataset generate --input-m) " == *" --input-mean "* ]] ||
  fail "dataset generate flags"
# sweep takes serve's flags besides its own (its usage line says so)
sweep_num=" $(complete_words servebench sweep --num-) "
[[ "$sweep_num" == *" --num-prompts "* && "$sweep_num" == *" --num-runs "* ]] ||
  fail "sweep: serve and sweep flags:$sweep_num"
all=" $(complete_words servebench serve --) "
missing=""
for f in $("$bin" serve --help-markdown | grep -o '^| `--[A-Za-z0-9._-]*' | cut -c4-); do
  [[ "$all" == *" $f "* ]] || missing="$missing $f"
done
[ -z "$missing" ] || fail "serve flags not completed:$missing"
command -v man >/dev/null || sb_skip "man (man-db) not installed: pages not rendered"
echo "ok: installed tree works from $p ($n man pages)"
