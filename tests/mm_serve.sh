#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mm_serve.sh - multimodal datasets end to end over real sockets: `servebench
# serve --backend openai-chat` against `servebench sim` with random-mm (two
# 720x1280 noise images per request, ~1.5 MB bodies), custom_image (URLs and
# file paths) and custom_audio (WAV parts); every request must succeed and
# the simulator must have received every request.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
TOK="$SB_TEST_DATA/datasets/gpt2"
MM="$SB_TEST_DATA/datasets/mm"

sim_start --model m --ttft-ms 1 --itl-ms 0.1 --record "$tmp/rec.jsonl"

# run NAME N ARGS...: serve must exit 0 with N successes and no failure.
run() {
    local name=$1 n=$2
    shift 2
    "$SB_BIN" serve --backend openai-chat --endpoint /v1/chat/completions \
        --base-url "http://127.0.0.1:$port" --model m --tokenizer "$TOK" --num-prompts "$n" \
        "$@" > "$tmp/$name.out" 2>&1 || { echo "FAIL $name: exit $?"; cat "$tmp/$name.out"; exit 1; }
    grep -Eq "^Successful requests: +$n *$" "$tmp/$name.out" &&
        grep -Eq "^Failed requests: +0 *$" "$tmp/$name.out" ||
        { echo "FAIL $name: not every request succeeded"; cat "$tmp/$name.out"; exit 1; }
    echo "mm_serve: $name: $n requests succeeded"
}

run random-mm 4 --dataset-name random-mm --random-input-len 32 --random-output-len 8 \
    --random-mm-base-items-per-request 2 --random-mm-bucket-config '{(720, 1280, 1): 1.0}'
run custom_image 5 --dataset-name custom_image --dataset-path "$MM/images.jsonl" \
    --custom-output-len 8
printf '{"prompt": "Transcribe.", "audio": "%s"}\n{"prompt": "Again.", "audio": "%s"}\n' \
    "$MM/tone16.wav" "$MM/stereo_float.wav" > "$tmp/audio.jsonl"
run custom_audio 3 --dataset-name custom_audio --dataset-path "$tmp/audio.jsonl" \
    --enable-multimodal-chat --custom-output-len 8
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
lines=$(wc -l < "$tmp/rec.jsonl")
[ "$lines" -eq 12 ] || { echo "FAIL: the simulator recorded $lines requests, want 12"; exit 1; }
echo "mm_serve: the simulator recorded all 12 requests"
