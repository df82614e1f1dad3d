#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dataset_files_diff.sh - servebench's sharegpt and sonnet datasets against
# models of the reference built from real parts (CPython json/random, jinja2,
# the Rust tokenizers library; tests/gen/ds_ref_files.py): identical
# prompts, prompt lengths and output lengths, request by request. ShareGPT
# runs on a 2 MB synthetic file (bench/gen_sharegpt.c) and the small fixture
# (with oversampling); sonnet on the bundled data/sonnet.txt with a chat
# template (gpt2chat), raw and templated; burstgpt against pandas'
# DataFrame.sample and custom against pandas.read_json when pandas is installed;
# sonnet, sharegpt, prefix_repetition and custom again for every bundled
# tokenizer family (tests/data/tokenizers).
# Without node, numpy/jinja2/pandas or tests/diff/node_modules it reports a
# skip (exit 77; a failure under CI=true, see tests/skip.sh).
. "$(dirname "$0")/skip.sh"
set -u
BIN="${SB_BIN:?run through ctest}"
SRC="${SB_SOURCE_DIR:?}"
BUILD="${SB_BUILD_DIR:?}"
MODS="${SB_TOK_NODE_MODULES:-$SRC/tests/diff/node_modules}"
DATA="${SB_TEST_DATA:?}/datasets"
if [ ! -d "$MODS/tokenizers" ] || ! command -v node >/dev/null ||
   ! /usr/bin/python3 -c 'import numpy, jinja2' 2>/dev/null || [ ! -x "$BUILD/bench/bench_gen_sharegpt" ]; then
  sb_skip "dataset_files_diff: needs node, numpy, jinja2, bench_gen_sharegpt and $MODS/tokenizers"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$BUILD/bench/bench_gen_sharegpt" "$tmp/sg.json" 2000000 >/dev/null || { echo "FAIL: generator"; exit 1; }
same() { # label
  /usr/bin/python3 - "$tmp/ref.jsonl" "$tmp/ours.jsonl" "$1" <<'PY' || exit 1
import json, sys
a = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
b = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
if len(a) != len(b) or not a:
    sys.exit(f"FAIL {sys.argv[3]}: {len(a)} reference requests, {len(b)} ours")
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        sys.exit(f"FAIL {sys.argv[3]}: request {i} differs:\n ref  {str(x)[:300]}\n ours {str(y)[:300]}")
print(f"dataset_files_diff: {sys.argv[3]}: {len(a)} requests identical")
PY
}
run() { # label tokdir ref-args... -- our-args...
  local label="$1" tokdir="$2"; shift 2
  local ref=() ; while [ "$1" != "--" ]; do ref+=("$1"); shift; done; shift
  /usr/bin/python3 "$SRC/tests/gen/ds_ref_files.py" "$MODS" "$tokdir" "${ref[@]}" >"$tmp/ref.jsonl" ||
    { echo "FAIL: $label: reference model"; exit 1; }
  "$BIN" dataset stats --tokenizer "$tokdir" "$@" --export "$tmp/ours.jsonl" >/dev/null 2>&1 ||
    { echo "FAIL: $label: servebench"; exit 1; }
  same "$label"
}
G="$DATA/gpt2" C="$DATA/gpt2chat" S="$SRC/data/sonnet.txt"
run "sharegpt synthetic seed 0" "$G" sharegpt "$tmp/sg.json" 60 0 -- \
  --dataset-name sharegpt --dataset-path "$tmp/sg.json" --num-prompts 60 --seed 0
run "sharegpt synthetic seed 9" "$G" sharegpt "$tmp/sg.json" 40 9 -- \
  --dataset-name sharegpt --dataset-path "$tmp/sg.json" --num-prompts 40 --seed 9
run "sharegpt fixture oversampled" "$G" sharegpt "$DATA/sharegpt_small.json" 20 3 -- \
  --dataset-name sharegpt --dataset-path "$DATA/sharegpt_small.json" --num-prompts 20 --seed 3
run "sonnet templated" "$C" sonnet "$S" 15 0 550 200 150 openai -- \
  --dataset-name sonnet --num-prompts 15 --seed 0
run "sonnet raw, other lengths" "$C" sonnet "$S" 12 5 300 100 20 openai-chat -- \
  --dataset-name sonnet --num-prompts 12 --seed 5 --sonnet-input-len 300 --sonnet-prefix-len 100 \
  --sonnet-output-len 20 --backend openai-chat
# every bundled tokenizer family, under its tokenizer_config.json's
# transformers rules (Llama-3's decode clean-up, DeepSeek-V3's BOS, the
# chat templates); Mistral has no chat template, so sonnet and templated
# custom are not defined for it (the reference raises too)
T="${SB_TEST_DATA:?}/tokenizers"
for fam in llama3 deepseek_v3 qwen3 gemma3 mistral gpt2; do
  if [ "$fam" != mistral ] && [ "$fam" != gpt2 ]; then
    run "$fam sonnet templated" "$T/$fam" sonnet "$S" 6 0 550 200 150 openai -- \
      --dataset-name sonnet --num-prompts 6 --seed 0
  fi
  run "$fam sharegpt fixture" "$T/$fam" sharegpt "$DATA/sharegpt_small.json" 20 3 -- \
    --dataset-name sharegpt --dataset-path "$DATA/sharegpt_small.json" --num-prompts 20 --seed 3
  run "$fam prefix_repetition" "$T/$fam" prefix_repetition - 12 3 40 20 3 7 -- \
    --dataset-name prefix_repetition --num-prompts 12 --seed 3 --prefix-repetition-prefix-len 40 \
    --prefix-repetition-suffix-len 20 --prefix-repetition-num-prefixes 3 \
    --prefix-repetition-output-len 7
done
run "llama3 prefix_repetition, other lengths" "$T/llama3" prefix_repetition - 10 8 100 60 2 5 -- \
  --dataset-name prefix_repetition --num-prompts 10 --seed 8 --prefix-repetition-prefix-len 100 \
  --prefix-repetition-suffix-len 60 --prefix-repetition-num-prefixes 2 \
  --prefix-repetition-output-len 5
if /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
  for fam in llama3 deepseek_v3 qwen3 gemma3; do
    run "$fam custom templated" "$T/$fam" custom "$DATA/custom_small.jsonl" 0 4 -1 0 -- \
      --dataset-name custom --dataset-path "$DATA/custom_small.jsonl" --num-prompts 0 --seed 4 \
      --custom-output-len -1
  done
  run "mistral custom raw" "$T/mistral" custom "$DATA/custom_small.jsonl" 11 2 64 1 -- \
    --dataset-name custom --dataset-path "$DATA/custom_small.jsonl" --num-prompts 11 --seed 2 \
    --custom-output-len 64 --skip-chat-template
fi
if /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
  for args in "12 7" "40 1"; do # 40 > 23 matching rows: with replacement
    set -- $args
    run "burstgpt n=$1 seed=$2 (pandas)" "$G" burstgpt "$DATA/burstgpt_small.csv" "$1" "$2" -- \
      --dataset-name burstgpt --dataset-path "$DATA/burstgpt_small.csv" --num-prompts "$1" --seed "$2"
  done
  run "custom templated, output_tokens" "$C" custom "$DATA/custom_small.jsonl" 0 4 -1 0 -- \
    --dataset-name custom --dataset-path "$DATA/custom_small.jsonl" --num-prompts 0 --seed 4 \
    --custom-output-len -1
  run "custom raw, oversampled" "$G" custom "$DATA/custom_small.jsonl" 11 2 64 1 -- \
    --dataset-name custom --dataset-path "$DATA/custom_small.jsonl" --num-prompts 11 --seed 2 \
    --custom-output-len 64 --skip-chat-template
else
  sb_skip "dataset_files_diff: burstgpt and custom parts need pandas (apt install python3-pandas)"
fi
