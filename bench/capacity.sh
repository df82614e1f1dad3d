#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# capacity.sh - the capacity model's predictions of bench/capacity.md, one
# block per row (the published workload against `servebench serve --sim` in
# capacity mode, default efficiency factors):
#   bash bench/capacity.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-build}/servebench"
TOK=tests/data/tokenizers/qwen3
# row TITLE CONFIG GPU TP "SIM-ARGS" BENCH-ARGS...
row() {
  local title=$1 cfg=$2 gpu=$3 tp=$4 extra=$5
  shift 5
  echo "== $title"
  local sim=(--sim-arg=--model-config="$cfg" --sim-arg=--gpu="$gpu"
    --sim-arg=--tensor-parallel-size="$tp")
  for a in $extra; do sim+=(--sim-arg="$a"); done
  "$BIN" serve --sim --model sim-model --tokenizer "$TOK" --ignore-eos --disable-tqdm \
    --no-server-metrics "${sim[@]}" "$@" | sed -n '/Serving Benchmark Result/,/^=*$/p' |
    grep -E "^(Mean TTFT|Median TTFT|Mean TPOT|Request throughput|Output token throughput)"
}
Q4=tests/data/kv/qwen3_4b.json
row "Qwen3-4B, 5 x 1024/1024 at once, 1 x T4" $Q4 t4 1 "" \
  --random-input-len 1024 --random-output-len 1024 --num-prompts 5
row "Qwen3-4B, 5 x 1024/1024 at once, 4 x A100 80 GB (TP 4)" $Q4 a100-80g 4 "" \
  --random-input-len 1024 --random-output-len 1024 --num-prompts 5
# kvcached PR #331: vllm serve --gpu-memory-utilization 0.5 --max-model-len 2048;
# vLLM's max_num_seqs on an H100 is 1024
Q06=bench/configs/qwen3_0_6b.json
H100_ARGS="--gpu-memory-utilization=0.5 --max-model-len=2048 --max-num-seqs=1024"
row "Qwen3-0.6B, 500 x 512/128, rate inf, 1 x H100" $Q06 h100 1 "$H100_ARGS" \
  --random-input-len 512 --random-output-len 128 --num-prompts 500
row "Qwen3-0.6B, 500 x 512/128, rate 16, 1 x H100" $Q06 h100 1 "$H100_ARGS" \
  --random-input-len 512 --random-output-len 128 --num-prompts 500 --request-rate 16
row "Llama-3.1-8B-Instruct, 1024/128, concurrency 1 (20 prompts), 1 x A100 40 GB" \
  bench/configs/llama3_1_8b.json a100-40g 1 "" \
  --random-input-len 1024 --random-output-len 128 --num-prompts 20 --max-concurrency 1
echo "== Qwen3-235B-A22B, 8.11 GiB of KV cache per GPU, TP 4"
"$BIN" kv --config tests/data/kv/qwen3_235b_a22b.json --gpu-memory 8.11 \
  --gpu-memory-utilization 1 --weights-gib 0 --overhead-gib 0 --tensor-parallel-size 4 |
  grep "KV cache tokens"
