#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# capacity.sh - the capacity model's predictions of bench/capacity.md:
#   bash bench/capacity.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-build}/servebench"
TOK=tests/data/tokenizers/qwen3
CFG=tests/data/kv/qwen3_4b.json
for run in "t4 1" "a100-80g 4"; do
  set -- $run
  echo "== Qwen3-4B, 5 x 1024/1024, $1 x TP $2"
  "$BIN" serve --sim --model Qwen/Qwen3-4B --tokenizer "$TOK" --random-input-len 1024 \
    --random-output-len 1024 --num-prompts 5 --disable-tqdm --no-server-metrics \
    --sim-arg=--model-config="$CFG" --sim-arg=--gpu="$1" --sim-arg=--tensor-parallel-size="$2" |
    grep -E "Mean TTFT|Mean TPOT"
done
echo "== Qwen3-235B-A22B, 8.11 GiB of KV cache per GPU, TP 4"
"$BIN" kv --config tests/data/kv/qwen3_235b_a22b.json --gpu-memory 8.11 \
  --gpu-memory-utilization 1 --weights-gib 0 --overhead-gib 0 --tensor-parallel-size 4 |
  grep "KV cache tokens"
