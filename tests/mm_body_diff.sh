#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mm_body_diff.sh - whole chat request bodies as sent over the wire, byte for
# byte against Python's json.dumps of the payload the reference builds
# (reference 3.4, newest _get_chat_messages): random-mm requests from the
# reference model tests/gen/ds_ref_random_mm.py (numpy, Pillow, Rust
# tokenizers), with and without --enable-multimodal-chat, and custom_image
# rows of both forms. A small Python server (tests/gen/capture_chat.py)
# records every body; --max-concurrency 1 keeps dataset order.
# Without node + npm `tokenizers`, numpy or Pillow: skip (exit 77; a failure
# under CI=true: tests/skip.sh).
. "$(dirname "$0")/skip.sh"
set -u
BIN="${SB_BIN:?run through ctest}"
SRC="${SB_SOURCE_DIR:?}"
MODS="${SB_TOK_NODE_MODULES:-$SRC/tests/diff/node_modules}"
TOK="${SB_TEST_DATA:?}/datasets/gpt2"
PY=/usr/bin/python3
if [ ! -d "$MODS/tokenizers" ] || ! command -v node >/dev/null ||
   ! $PY -c 'import numpy, PIL' 2>/dev/null; then
  sb_skip "mm_body_diff: needs node, $MODS/tokenizers, numpy and Pillow (python3-pil)"
fi
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
$PY "$SRC/tests/gen/capture_chat.py" "$tmp/bodies.jsonl" > "$tmp/srv.out" &
pid=$!
for _ in $(seq 600); do grep -q listening "$tmp/srv.out" && break; sleep 0.05; done
port=$(awk '{print $2}' "$tmp/srv.out")
[ -n "$port" ] || { echo "FAIL: capture server did not start"; exit 1; }

serve() { # serve ARGS...: all requests must succeed; bodies land in bodies.jsonl
  : > "$tmp/bodies.jsonl"
  "$BIN" serve --backend openai-chat --endpoint /v1/chat/completions \
    --base-url "http://127.0.0.1:$port" --model m --tokenizer "$TOK" --max-concurrency 1 \
    "$@" > "$tmp/serve.out" 2>&1 || { echo "FAIL: serve $*"; cat "$tmp/serve.out"; exit 1; }
  grep -Eq "^Failed requests: +0 *$" "$tmp/serve.out" || { echo "FAIL: failed requests"; cat "$tmp/serve.out"; exit 1; }
}

# compare LABEL CHAT IGNORE_EOS: expected bodies from $tmp/ref.jsonl rows
# ({"prompt", "output_tokens", "mm_parts"} or {"content"}) vs captured ones.
compare() {
  $PY - "$tmp/ref.jsonl" "$tmp/bodies.jsonl" "$@" <<'PY' || exit 1
import json, sys
ref = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
got = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
label, chat, ignore_eos = sys.argv[3], sys.argv[4] == '1', sys.argv[5] == '1'
if len(ref) != len(got):
    sys.exit(f'FAIL {label}: {len(ref)} expected bodies, {len(got)} sent')
for i, (r, g) in enumerate(zip(ref, got)):
    parts = json.loads('[' + r.get('mm_parts', '') + ']')
    if 'content' in r:
        messages = [{'role': 'user', 'content': r['content']}]
    elif chat:  # apply_multimodal_chat_transformation, sent as the messages
        messages = [{'role': 'user', 'content': [{'text': r['prompt'], 'type': 'text'}] + parts}]
    else:
        messages = [{'role': 'user', 'content': [{'type': 'text', 'text': r['prompt']}] + parts}]
    payload = {'model': 'm', 'messages': messages, 'max_completion_tokens': r['output_tokens'],
               'stream': True, 'stream_options': {'include_usage': True}}
    if ignore_eos:
        payload['ignore_eos'] = True
    want = json.dumps(payload)
    if want != g:
        k = next(j for j in range(min(len(want), len(g)) + 1) if want[j:j+1] != g[j:j+1])
        sys.exit(f'FAIL {label}: body {i} differs at byte {k}:\n want {want[max(0,k-80):k+80]}\n got  {g[max(0,k-80):k+80]}')
print(f'mm_body_diff: {label}: {len(ref)} bodies identical')
PY
}

BK='{(1, 1, 1): 0.3, (24, 17, 1): 0.7}'
$PY "$SRC/tests/gen/ds_ref_random_mm.py" "$MODS" "$TOK/tokenizer.json" 6 30 5 0.2 0 9 2 0.5 \
  '{"image": 2}' "$BK" > "$tmp/ref.jsonl" || { echo "FAIL: reference model"; exit 1; }
for chat in 0 1; do
  flag=; [ $chat = 1 ] && flag=--enable-multimodal-chat
  serve --dataset-name random-mm --num-prompts 6 --random-input-len 30 --random-output-len 5 \
    --random-range-ratio 0.2 --seed 9 --random-mm-base-items-per-request 2 \
    --random-mm-num-mm-items-range-ratio 0.5 --random-mm-limit-mm-per-prompt '{"image": 2}' \
    --random-mm-bucket-config "$BK" $flag
  compare "random-mm chat=$chat" $chat 1
done

# custom_image: a legacy row and a content row, no shuffle, fixed output.
cat > "$tmp/img.jsonl" <<'ROWS'
{"prompt": "Describe \u00e9t\u00e9.", "image_files": ["a.jpg", "https://x/b.png"]}
{"content": [{"type": "text", "text": "Compare "}, {"type": "image", "image": "c.png"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}}]}
ROWS
cat > "$tmp/ref.jsonl" <<'ROWS'
{"prompt": "Describe \u00e9t\u00e9.", "output_tokens": 12, "mm_parts": "{\"type\": \"image_url\", \"image_url\": {\"url\": \"file://a.jpg\"}}, {\"type\": \"image_url\", \"image_url\": {\"url\": \"https://x/b.png\"}}"}
{"output_tokens": 12, "content": [{"type": "text", "text": "Compare "}, {"type": "image_url", "image_url": {"url": "file://c.png"}}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}}]}
ROWS
serve --dataset-name custom_image --dataset-path "$tmp/img.jsonl" --num-prompts 2 \
  --disable-shuffle --custom-output-len 12
compare "custom_image" 0 0
