#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# img_inline.sh - custom_image with --custom-ensure-client-side-data end to
# end: images as local paths, file:// URLs, http:// URLs (a local Python
# http.server), data: URLs (kept) and a "content" row whose image_url dict
# has an extra key; every image in the captured chat bodies must be the data
# URL tests/gen/img_inline_ref.py computes with Pillow (RGB, RGBA, L, LA, P
# with a transparent index, JPEG RGB and gray, an ICC profile, a 300x300
# noise image spanning several IDAT chunks, a 20000-pixel-wide one), byte
# for byte. A missing http image must stop the run naming the URL.
# Without numpy or Pillow: skip (exit 77; CI: failure).
. "$(dirname "$0")/skip.sh"
set -u
BIN="${SB_BIN:?run through ctest}"
SRC="${SB_SOURCE_DIR:?}"
TOK="${SB_TEST_DATA:?}/datasets/gpt2"
PY=/usr/bin/python3
$PY -c 'import numpy, PIL' 2>/dev/null || sb_skip "img_inline: needs numpy and Pillow (python3-pil)"
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/img"
$PY "$SRC/tests/gen/img_inline_ref.py" "$tmp/img" > "$tmp/ref.jsonl" || { echo "FAIL: reference model"; exit 1; }
$PY -m http.server 0 --bind 127.0.0.1 --directory "$tmp/img" > "$tmp/http.out" 2>&1 &
pids+=($!)
$PY "$SRC/tests/gen/capture_chat.py" "$tmp/bodies.jsonl" > "$tmp/cap.out" &
pids+=($!)
for _ in $(seq 600); do
  grep -q 'port' "$tmp/http.out" && grep -q listening "$tmp/cap.out" && break; sleep 0.05
done
hport=$(grep -o 'port [0-9]*' "$tmp/http.out" | head -n1 | cut -d' ' -f2)
cport=$(awk '{print $2}' "$tmp/cap.out")
[ -n "$hport" ] && [ -n "$cport" ] || { echo "FAIL: servers did not start"; exit 1; }
I="$tmp/img"
H="http://127.0.0.1:$hport"
DATA=$(grep '"gray.png"' "$tmp/ref.jsonl" | $PY -c 'import json,sys; print(json.load(sys.stdin)["url"])')
cat > "$tmp/rows.jsonl" <<ROWS
{"prompt": "a", "image_files": ["$I/rgb.png", "file://$I/rgba.png"]}
{"prompt": "b", "image_files": ["$H/noise.png", "$I/wide.png", "$DATA"]}
{"prompt": "c", "image_files": ["$I/la.png", "$H/pal.png", "$I/rgb.jpg", "$I/gray.jpg"]}
{"content": [{"type": "text", "text": "d"}, {"type": "image", "image": "$I/gray.png"}, {"type": "image_url", "image_url": {"url": "$H/rgb.png", "detail": "low"}}]}
ROWS
"$BIN" serve --backend openai-chat --endpoint /v1/chat/completions \
  --base-url "http://127.0.0.1:$cport" --model m --tokenizer "$TOK" --max-concurrency 1 \
  --dataset-name custom_image --dataset-path "$tmp/rows.jsonl" --disable-shuffle \
  --num-prompts 4 --custom-output-len 4 --custom-ensure-client-side-data \
  > "$tmp/serve.out" 2>&1 || { echo "FAIL: serve"; cat "$tmp/serve.out"; exit 1; }
$PY - "$tmp/bodies.jsonl" "$tmp/ref.jsonl" <<'PYEOF' || exit 1
import json, sys
bodies = [json.loads(json.loads(l)) for l in open(sys.argv[1])][-4:]  # first: ready check
ref = {j['name']: j['url'] for j in map(json.loads, open(sys.argv[2]))}
want = [['rgb.png', 'rgba.png'], ['noise.png', 'wide.png', 'gray.png'],
        ['la.png', 'pal.png', 'rgb.jpg', 'gray.jpg'], ['gray.png', 'rgb.png']]
n = 0
for i, (b, names) in enumerate(zip(bodies, want)):
    parts = [p for p in b['messages'][0]['content'] if p['type'] == 'image_url']
    got = [p['image_url']['url'] for p in parts]
    if len(got) != len(names):
        sys.exit(f'FAIL: request {i}: {len(got)} images, want {len(names)}')
    for name, url in zip(names, got):
        if url != ref[name]:
            sys.exit(f'FAIL: request {i}: {name}: data URL differs from Pillow\'s '
                     f'(len {len(url)} vs {len(ref[name])})')
        n += 1
    if i == 3 and parts[1]['image_url'] != {'url': ref['rgb.png'], 'detail': 'low'}:
        sys.exit(f'FAIL: content row image_url dict: {list(parts[1]["image_url"])}')
print(f'img_inline: {n} inlined images equal Pillow\'s PNG data URLs byte for byte')
PYEOF
echo '{"prompt": "x", "image_files": ["'"$H"'/missing.png"]}' > "$tmp/bad.jsonl"
"$BIN" serve --backend openai-chat --endpoint /v1/chat/completions \
  --base-url "http://127.0.0.1:$cport" --model m --tokenizer "$TOK" \
  --dataset-name custom_image --dataset-path "$tmp/bad.jsonl" --num-prompts 1 \
  --custom-ensure-client-side-data > "$tmp/bad.out" 2>&1 && { echo "FAIL: missing image accepted"; exit 1; }
grep -q "Invalid image URL: $H/missing.png: HTTP 404" "$tmp/bad.out" ||
  { echo "FAIL: no clear error for a missing image"; cat "$tmp/bad.out"; exit 1; }
echo "img_inline: a missing http image stops the run: $(grep -o 'Invalid image URL.*' "$tmp/bad.out")"
