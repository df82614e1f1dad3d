#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_datasets.sh - `servebench serve` with every dataset servebench has,
# against one real `servebench sim` over a socket: each run must account for
# every request it built as a success (issue 5, "done when"). Per-dataset
# parity lives in the dataset tests; this is the end-to-end sweep, with the
# backend each dataset needs and small files from tests/data.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
D="$SB_TEST_DATA/datasets"
tok="$SB_TEST_DATA/tokenizers/gpt2"
chat="$D/gpt2chat"

sim_start --model m --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.1

# run NAME N [serve flags...]: --num-prompts N gives N requests, all successful.
# runb NAME N WANT [flags...]: the same where N prompts make WANT requests (batches).
run() {
    local name=$1 n=$2
    shift 2
    runb "$name" "$n" "$n" "$@"
}
runb() {
    local name=$1 np=$2 n=$3
    shift 3
    if ! "$SB_BIN" serve --base-url "$url" --model m --request-rate inf --num-prompts "$np" \
        --seed 1 "$@" > "$tmp/$name.txt" 2>&1; then
        echo "FAIL: $name: serve exited non-zero"; cat "$tmp/$name.txt"; exit 1
    fi
    grep -Eq "^Successful requests: +$n *$" "$tmp/$name.txt" ||
        { echo "FAIL: $name: not $n successes"; cat "$tmp/$name.txt"; exit 1; }
    ! grep -Eq "^Failed requests: +[1-9]" "$tmp/$name.txt" ||
        { echo "FAIL: $name: failed requests"; cat "$tmp/$name.txt"; exit 1; }
    echo "ok: $name ($n requests)"
}
C=(--endpoint /v1/chat/completions --backend openai-chat)

run random 8 --tokenizer "$tok" --dataset-name random --random-input-len 64 --random-output-len 4
run random-prefix 6 --tokenizer "$tok" --dataset-name random --random-input-len 32 \
    --random-prefix-len 8 --random-range-ratio 0.5 --random-output-len 4
run sharegpt 5 --tokenizer "$tok" --dataset-name sharegpt --dataset-path "$D/sharegpt_small.json" \
    --sharegpt-output-len 4
run sonnet 4 --tokenizer "$chat" --dataset-name sonnet --dataset-path "$SB_SOURCE_DIR/data/sonnet.txt" \
    --sonnet-input-len 300 --sonnet-prefix-len 100 --sonnet-output-len 4
run sonnet-chat 4 "${C[@]}" --tokenizer "$chat" --dataset-name sonnet \
    --dataset-path "$SB_SOURCE_DIR/data/sonnet.txt" --sonnet-input-len 300 --sonnet-output-len 4
run burstgpt 5 --tokenizer "$tok" --dataset-name burstgpt --dataset-path "$D/burstgpt_small.csv"
run burstgpt-timestamps 5 --tokenizer "$tok" --dataset-name burstgpt \
    --dataset-path "$D/burstgpt_small.csv" --burstgpt-use-timestamps
run custom 4 --tokenizer "$chat" --dataset-name custom --dataset-path "$D/custom_small.jsonl" \
    --custom-output-len 4
run hf-gsm8k 3 --tokenizer "$chat" --dataset-name hf --dataset-path "$D/gsm8k" --hf-subset main \
    --hf-split test --hf-name openai/gsm8k --hf-output-len 4
run hf-mtbench 3 --tokenizer "$chat" --dataset-name hf --dataset-path "$D/mt_bench.jsonl" \
    --hf-name philschmid/mt-bench --hf-output-len 4
run hf-instructcoder 3 --tokenizer "$chat" --dataset-name hf --dataset-path "$D/instructcoder.json" \
    --hf-name likaixin/InstructCoder --hf-output-len 4
run hf-aimo 2 --tokenizer "$chat" --dataset-name hf --dataset-path "$D/aimo-validation-aime" \
    --hf-output-len 4
run prefix_repetition 6 --tokenizer "$tok" --dataset-name prefix_repetition \
    --prefix-repetition-prefix-len 16 --prefix-repetition-suffix-len 8 \
    --prefix-repetition-num-prefixes 2 --prefix-repetition-output-len 4
run spec_bench 3 --tokenizer "$chat" --dataset-name spec_bench \
    --dataset-path "$D/spec_bench_question.jsonl" --spec-bench-output-len 4
run speed_bench 3 --tokenizer "$chat" --dataset-name speed_bench --dataset-path "$D/speed_bench" \
    --speed-bench-output-len 4
run timed_trace 6 --backend vllm --tokenizer "$tok" --dataset-name timed_trace \
    --dataset-path "$D/timed_trace_small.jsonl" --timed-trace-sec-multiplier 0.01
runb random-rerank 12 3 --backend vllm-rerank --endpoint /v1/rerank --tokenizer "$tok" \
    --dataset-name random-rerank --random-input-len 32 --random-batch-size 4
runb random-batch 12 3 --backend openai-embeddings --endpoint /v1/embeddings --tokenizer "$tok" \
    --dataset-name random --random-input-len 16 --random-batch-size 4
run random-mm 3 "${C[@]}" --tokenizer "$tok" --dataset-name random-mm --random-input-len 16 \
    --random-output-len 4 --random-mm-bucket-config '{(32, 32, 1): 0.5, (16, 16, 2): 0.5}'
run custom_image 3 "${C[@]}" --tokenizer "$tok" --dataset-name custom_image \
    --dataset-path "$D/mm/images.jsonl" --custom-output-len 4
printf '{"prompt": "Transcribe.", "audio": "%s"}\n{"prompt": "Again.", "audio": "%s"}\n' \
    "$D/mm/tone16.wav" "$D/mm/stereo_float.wav" > "$tmp/audio.jsonl"
run custom_audio-chat 2 "${C[@]}" --tokenizer "$tok" --dataset-name custom_audio \
    --dataset-path "$tmp/audio.jsonl" --enable-multimodal-chat --custom-output-len 4
run custom_audio-whisper 2 --backend openai-audio --endpoint /v1/audio/transcriptions \
    --tokenizer "$tok" --dataset-name custom_audio --dataset-path "$tmp/audio.jsonl" \
    --custom-output-len 4
echo "serve_datasets: every dataset served, every request succeeded"
