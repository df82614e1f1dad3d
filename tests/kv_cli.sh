#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kv_cli.sh - `servebench kv` as a user runs it: a config file, a model folder
# (weights from its safetensors index), a model name in the Hugging Face cache
# ($HF_HUB_CACHE), --json figures, and clear failures with their exit status
# (1: unreadable config or weights, 2: bad usage).
set -u
BIN="${SB_BIN:?run through ctest}"
DATA="${SB_TEST_DATA:?}/kv"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # expect STATUS PATTERN ARGS...: exit status and a line of the output
  local want=$1 pat=$2
  shift 2
  "$BIN" kv "$@" > "$tmp/out" 2>&1
  local rc=$?
  if [ $rc -ne "$want" ] || ! grep -q -- "$pat" "$tmp/out"; then
    echo "FAIL: kv $* -> exit $rc (wanted $want, /$pat/):"; cat "$tmp/out"; fail=1
  fi
}

expect 0 "KV cache tokens = floor(57982058496 B / (16 tokens x 131072 B)) x 16 = 442368" \
  --config "$DATA/llama3_8b.json" --gpu-memory 80 --weights-gib 16
expect 0 "Largest --max-model-len for 64 concurrent sequences: 6912 tokens" \
  --config "$DATA/llama3_8b.json" --gpu-memory 80 --weights-gib 16 --target-concurrency 64

# a model folder: weights from model.safetensors.index.json (16 GiB exactly)
mkdir -p "$tmp/llama"
cp "$DATA/llama3_8b.json" "$tmp/llama/config.json"
echo '{"metadata": {"total_size": 17179869184}, "weight_map": {}}' > "$tmp/llama/model.safetensors.index.json"
expect 0 "weights 16.00 GiB" --config "$tmp/llama" --gpu-memory 80

# a model name in the Hugging Face cache layout (refs/main names the snapshot)
snap="$tmp/hub/models--org--llama/snapshots/abc123"
mkdir -p "$snap" "$tmp/hub/models--org--llama/refs"
echo abc123 > "$tmp/hub/models--org--llama/refs/main"
cp "$tmp/llama/"* "$snap/"
HF_HUB_CACHE="$tmp/hub" "$BIN" kv --config org/llama --gpu-memory 80 --json > "$tmp/j" 2>&1 ||
  { echo "FAIL: cached model"; cat "$tmp/j"; fail=1; }
python3 - "$tmp/j" <<'PY' || fail=1
import json, sys
j = json.load(open(sys.argv[1]))
want = {"kv_bytes_per_token_model": 131072.0, "kv_cache_tokens": 442368, "max_concurrency": 54,
        "architecture": "LlamaForCausalLM", "layers": 32}
bad = {k: (j.get(k), v) for k, v in want.items() if j.get(k) != v}
if bad:
    sys.exit(f"FAIL: --json figures {bad}")
PY

expect 0 "Recurrent state per sequence per GPU = 28 layers" \
  --config "$DATA/jamba.json" --gpu-memory 80 --params-b 52
expect 0 "does not fit" --config "$DATA/llama3_8b.json" --gpu-memory 16 --weights-gib 15
expect 1 'needs a positive integer "num_hidden_layers"' \
  --config "$DATA/missing_layers.json" --gpu-memory 80 --weights-gib 1
expect 1 "is not a known family" --config "$DATA/unknown_arch.json" --gpu-memory 80 --weights-gib 1
expect 0 "standard attention" --config "$DATA/unknown_arch.json" --gpu-memory 80 --weights-gib 1 --assume-gqa
expect 1 "weights size unknown" --config "$DATA/llama3_8b.json" --gpu-memory 80
expect 2 "no config.json at" --config "$tmp/nowhere" --gpu-memory 80
expect 2 "are required" --config "$DATA/llama3_8b.json"
expect 2 "unknown option --gpu-mem" --config "$DATA/llama3_8b.json" --gpu-mem 80
expect 2 "is not a number" --config "$DATA/llama3_8b.json" --gpu-memory lots
expect 2 "does not divide" --config "$DATA/llama3_8b.json" --gpu-memory 80 --weights-gib 1 \
  --tensor-parallel-size 3
"$BIN" kv --help | grep -q "usage: servebench kv" || { echo "FAIL: --help"; fail=1; }
[ $fail -eq 0 ] && echo "kv_cli: ok"
exit $fail
