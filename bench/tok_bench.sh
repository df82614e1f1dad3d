#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tok_bench.sh - servebench's tokenizer against the Rust `tokenizers` library
# (npm binding, tests/diff/node_modules) on the same tokenizer.json and the
# same texts, in the same run, alternating the two so machine load hits both.
# Reports best-of figures and the ratios; also the byte-scan rate of the text
# (the machine's ceiling for any single pass over it).
#
# usage: bash bench/tok_bench.sh [BUILD_DIR] [FAMILIES...]
#   default: build, families llama3 qwen3. Needs node + tests/diff/node_modules.
#   A family small/NAME is tests/data/tokenizers/small/NAME.json (the hand-made
#   tokenizers, e.g. small/unigram_scripts for the UnicodeScripts pre-tokenizer).
#   TOK_BENCH_TEXTS picks the texts (default "prose code"; also "mixed": the
#   mixed-script golden texts of tests/data/tokenizers, many scripts and emoji).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
shift || true
fams=("${@:-llama3 qwen3}")
[ $# -eq 0 ] && fams=(llama3 qwen3)
bin="$build/bench/bench_tok_bench"
[ -x "$bin" ] || { echo "build first: bash scripts/build.sh $build"; exit 1; }
[ -d tests/diff/node_modules/tokenizers ] || { echo "npm install --prefix tests/diff first"; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
prose=data/sonnet.txt
[ -f "$prose" ] || prose=/work/shared/data/sonnet.txt
# English prose: the sonnet text x8; source code: this repository's C sources.
for i in 1 2 3 4 5 6 7 8; do cat "$prose"; done > "$tmp/prose.txt"
find src -name '*.c' | sort | xargs cat > "$tmp/code.txt"
python3 - "$tmp/mixed.txt" tests/data/tokenizers/*/golden.jsonl <<'PY'
import json, sys
with open(sys.argv[1], 'w', encoding='utf-8') as out:
    for f in sys.argv[2:]:
        for l in open(f, encoding='utf-8'):
            out.write(json.loads(l)['text'].replace('\r', '') + '\n')
PY
best() { # key file... -> max (mb/s) or min (seconds) over JSON lines
  python3 - "$@" <<'PY'
import json, sys
key = sys.argv[1]
vals = [json.loads(l)[key] for f in sys.argv[2:] for l in open(f) if l.strip()]
print(min(vals) if key.endswith('_s') else max(vals))
PY
}
printf '%-8s %-6s %10s %10s %7s %10s %9s %9s %7s %8s\n' family text "sb MB/s" "hf MB/s" ratio "scan MB/s" "sb load" "hf load" ratio "rss/file"
read -r -a texts <<< "${TOK_BENCH_TEXTS:-prose code}"
for fam in "${fams[@]}"; do
  tj="$tmp/${fam//\//_}.json"
  case "$fam" in
    small/*) cp "tests/data/tokenizers/$fam.json" "$tj" ;;
    *) gzip -dc "tests/data/tokenizers/$fam/tokenizer.json.gz" > "$tj" ;;
  esac
  size_kb=$(( ($(stat -c %s "$tj") + 1023) / 1024 ))
  for text in "${texts[@]}"; do
    : > "$tmp/sb"; : > "$tmp/hf"
    for round in 1 2 3; do
      "$bin" "$tj" "$tmp/$text.txt" 5 >> "$tmp/sb"
      node bench/tok_hf.js "$tj" "$tmp/$text.txt" 5 >> "$tmp/hf"
    done
    sb=$(best encode_mb_s "$tmp/sb"); hf=$(best encode_mb_s "$tmp/hf"); scan=$(best scan_mb_s "$tmp/sb")
    sl=$(best load_s "$tmp/sb"); hl=$(best load_s "$tmp/hf"); rss=$(best rss_tok_kb "$tmp/sb")
    python3 -c "print('%-8s %-6s %10.2f %10.2f %6.1fx %10.0f %8.3fs %8.3fs %6.1fx %7.2fx' % ('$fam','$text',$sb,$hf,$sb/$hf,$scan,$sl,$hl,$hl/$sl,$rss/$size_kb))"
  done
done
