#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_seed.sh - the four real command lines of
# shared/reference/seed-commands.md, unchanged except host/port/paths and
# --num-prompts, against a real `servebench sim` on an ephemeral port. Each
# must exit 0 and print the reference block (banner, labels in order, every
# request successful); one also saves its result JSON, which must parse and
# hold the reference keys.
#
# Model names that are not paths (Qwen/Qwen3-4B, Valdemardi/...) resolve
# through a Hugging Face cache layout built in a temp dir from the bundled
# tokenizers, as they would on a machine that downloaded them once.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
toks="$SB_TEST_DATA/tokenizers"

# start_sim MODEL: a fast simulator serving MODEL (a real server answers 404
# for any other model name), 1024-token outputs in ~0.1 s each; sets $port.
start_sim() {
    [ -n "$pid" ] && sim_stop
    sim_start --model "$1" --ttft-ms 2 --itl-ms 0.1
}

hub="$tmp/hub"
for m in Qwen--Qwen3-4B:qwen3 Valdemardi--DeepSeek-R1-Distill-Llama-70B-AWQ:llama3; do
    d="$hub/models--${m%%:*}/snapshots/rev0"
    mkdir -p "$d" "$hub/models--${m%%:*}/refs"
    echo rev0 > "$hub/models--${m%%:*}/refs/main"
    cp "$toks/${m##*:}"/tokenizer.json.gz "$toks/${m##*:}"/tokenizer_config.json "$d/"
done
export HF_HUB_CACHE="$hub"

labels=(
    "Successful requests:" "Failed requests:" "Benchmark duration (s):" "Total input tokens:"
    "Total generated tokens:" "Request throughput (req/s):" "Output token throughput (tok/s):"
    "Peak output token throughput (tok/s):" "Peak concurrent requests:"
    "Total token throughput (tok/s):")

# check_block NAME N FILE [SECTION...]: banner, the fixed labels in order,
# then each percentile section's rule line, N successes and no failure.
check_block() {
    local name=$1 n=$2 f=$3
    shift 3
    local block
    block=$(sed -n '/^============ Serving Benchmark Result ============$/,/^==================================================$/p' "$f")
    [ -n "$block" ] || { echo "$name: no result block"; cat "$f"; exit 1; }
    local want=("${labels[@]}" "$@") got i=0
    got=$(grep -v '^=' <<<"$block" | sed -E 's/ {2,}.*$//; s/ +$//')
    while IFS= read -r l; do
        [ $i -lt ${#want[@]} ] || break
        [ "$l" = "${want[$i]}" ] && i=$((i + 1))
    done <<<"$got"
    [ $i -eq ${#want[@]} ] || { echo "$name: label '${want[$i]}' missing or out of order"; echo "$block"; exit 1; }
    grep -Eq "^Successful requests: +$n +\$" <<<"$block" || { echo "$name: want $n successes"; echo "$block"; exit 1; }
    grep -Eq '^Failed requests: +0 +$' <<<"$block" || { echo "$name: failures"; echo "$block"; exit 1; }
}

run() {
    local name=$1
    shift
    if ! "$SB_BIN" serve "$@" > "$tmp/$name.out" 2> "$tmp/$name.err"; then
        echo "$name: exit $?"; cat "$tmp/$name.out" "$tmp/$name.err"; exit 1
    fi
}

# 1. Old script, random dataset, concurrency cap (tokenizer dir as --model).
start_sim "$toks/deepseek_v3"
run seed1 --host 127.0.0.1 --port "$port" --backend vllm \
    --model "$toks/deepseek_v3" --dataset-name random --max-concurrency 10 \
    --num-prompts 12 --random-input-len 1024 --random-output-len 1024 --ignore-eos
check_block seed1 12 "$tmp/seed1.out" "Mean TTFT (ms):" "Mean TPOT (ms):" "Mean ITL (ms):"
grep -q '^Maximum request concurrency: 10$' "$tmp/seed1.out"
grep -Eq '^Total generated tokens: +12288 +$' "$tmp/seed1.out" ||
    { echo "seed1: --ignore-eos output length"; cat "$tmp/seed1.out"; exit 1; }

# 2. New CLI, ShareGPT over chat, --base_url with an underscore.
start_sim qwen32b
run seed2 --backend vllm --base_url "http://127.0.0.1:$port" --model qwen32b \
    --tokenizer "$toks/qwen3" --endpoint-type openai-chat \
    --endpoint /v1/chat/completions --dataset-name sharegpt \
    --dataset-path "$SB_TEST_DATA/datasets/sharegpt_small.json" \
    --sharegpt-output-len 1024 --percentile-metrics ttft,tpot,itl,e2el --metric-percentiles 95,99 \
    --num-prompts 8 --request-rate 8 \
    --save-result --result-dir "$tmp/res"
check_block seed2 8 "$tmp/seed2.out" "Mean TTFT (ms):" "Median TTFT (ms):" "P95 TTFT (ms):" \
    "P99 TTFT (ms):" "Mean TPOT (ms):" "Mean ITL (ms):" "Mean E2EL (ms):" "Median E2EL (ms):" \
    "P95 E2EL (ms):" "P99 E2EL (ms):"
grep -q '^Traffic request rate: 8.0$' "$tmp/seed2.out"
json=$(ls "$tmp"/res/*.json)
case "$(basename "$json")" in
    openai-chat-8.0qps-qwen32b-*.json) ;;
    *) echo "seed2: result file name $(basename "$json")"; exit 1 ;;
esac
python3 - "$json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
want = ["date", "endpoint_type", "backend", "label", "model_id", "tokenizer_id", "num_prompts",
        "request_rate", "burstiness", "max_concurrency", "duration", "completed", "failed",
        "total_input_tokens", "total_output_tokens", "request_throughput", "request_goodput",
        "output_throughput", "total_token_throughput", "max_output_tokens_per_s",
        "max_concurrent_requests", "mean_ttft_ms", "median_ttft_ms", "std_ttft_ms",
        "p95_ttft_ms", "p99_ttft_ms", "mean_e2el_ms", "p99_e2el_ms"]
keys = list(r)
missing = [k for k in want if k not in r]
assert not missing, f"missing keys {missing}"
order = [keys.index(k) for k in want]
assert order == sorted(order), f"key order {keys}"
assert r["completed"] == 8 and r["failed"] == 0, r
assert r["num_prompts"] == 8 and r["request_rate"] == 8.0 and r["max_concurrency"] is None
assert r["model_id"] == "qwen32b" and r["endpoint_type"] == "openai-chat"
EOF

# 3. New CLI, defaults for everything else (random dataset).
start_sim Qwen/Qwen3-4B
run seed3 --model Qwen/Qwen3-4B --host 127.0.0.1 --port "$port" \
    --random-input-len 1024 --random-output-len 1024 --num-prompts 5
check_block seed3 5 "$tmp/seed3.out" "Mean TTFT (ms):" "Mean TPOT (ms):" "Mean ITL (ms):"
grep -q '^Traffic request rate: inf$' "$tmp/seed3.out"

# 4. ShareGPT over completions.
start_sim Valdemardi/DeepSeek-R1-Distill-Llama-70B-AWQ
run seed4 --backend vllm --model Valdemardi/DeepSeek-R1-Distill-Llama-70B-AWQ \
    --endpoint /v1/completions --dataset-name sharegpt --host 127.0.0.1 --port "$port" \
    --dataset-path "$SB_TEST_DATA/datasets/sharegpt_small.json" --num-prompts 10
check_block seed4 10 "$tmp/seed4.out" "Mean TTFT (ms):" "Mean TPOT (ms):" "Mean ITL (ms):"
echo "serve_seed: ok"
