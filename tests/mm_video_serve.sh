#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mm_video_serve.sh - random-mm with video items end to end over real
# sockets: `servebench serve --backend openai-chat` against `servebench sim`
# with a small video bucket ((64, 64, 4), with and without images, with and
# without --enable-multimodal-chat); every request must succeed, and the
# simulator must have recorded them all. (The bytes on the wire are checked
# against the reference in tests/mm_video_diff.sh.)
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
TOK="$SB_TEST_DATA/datasets/gpt2"

sim_start --model m --ttft-ms 1 --itl-ms 0.1 --record "$tmp/rec.jsonl"

# run NAME N ARGS...: serve must exit 0 with N successes and no failure.
run() {
    local name=$1 n=$2
    shift 2
    "$SB_BIN" serve --backend openai-chat --endpoint /v1/chat/completions \
        --base-url "http://127.0.0.1:$port" --model m --tokenizer "$TOK" --num-prompts "$n" \
        --dataset-name random-mm --random-input-len 32 --random-output-len 8 \
        "$@" > "$tmp/$name.out" 2>&1 || { echo "FAIL $name: exit $?"; cat "$tmp/$name.out"; exit 1; }
    grep -Eq "^Successful requests: +$n *$" "$tmp/$name.out" &&
        grep -Eq "^Failed requests: +0 *$" "$tmp/$name.out" ||
        { echo "FAIL $name: not every request succeeded"; cat "$tmp/$name.out"; exit 1; }
    echo "mm_video_serve: $name: $n requests succeeded"
}

run video 6 --random-mm-bucket-config '{(64, 64, 4): 1.0}'
run video+images 6 --random-mm-base-items-per-request 3 \
    --random-mm-limit-mm-per-prompt '{"image": 2, "video": 1}' \
    --random-mm-bucket-config '{(64, 64, 4): 0.5, (32, 48, 1): 0.5}'
run video-chat 4 --enable-multimodal-chat --random-mm-bucket-config '{(64, 64, 4): 1.0}'
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
lines=$(wc -l < "$tmp/rec.jsonl")
[ "$lines" -eq 16 ] || { echo "FAIL: the simulator recorded $lines requests, want 16"; exit 1; }
echo "mm_video_serve: the simulator recorded all 16 requests"
