#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mm_video_diff.sh - random-mm video items against the reference, live:
#  - whole requests (prompts, lengths, every image and video part) from
#    servebench against tests/gen/ds_ref_random_mm.py, a model of the
#    reference on numpy's default_rng and the real cv2.VideoWriter (Debian's
#    python3-opencv, on the same FFmpeg libraries): odd sizes, more frames
#    than a GOP (12), and one 720x1280x16 video (the reference default's
#    video bucket), so draws, draw order and MP4 bytes must match exactly;
#  - the chat bodies `serve` sends with video items, byte for byte against
#    json.dumps of the reference's payload (reference 3.4), through a small
#    capture server (tests/gen/capture_chat.py), with and without
#    --enable-multimodal-chat;
#  - every video servebench made, decoded by OpenCV's VideoCapture: fourcc
#    mp4v, 30 fps, frames of one even size, and, for one 64x64x4 video, T
#    frames whose luma is within a PSNR bound of the drawn frames.
# Without node + the npm `tokenizers` package, numpy, Pillow or cv2 it
# reports a skip (exit 77; a failure under CI=true: tests/skip.sh).
. "$(dirname "$0")/skip.sh"
. "$(dirname "$0")/helpers/mm_case.sh"
set -u
BIN="${SB_BIN:?run through ctest}"
SRC="${SB_SOURCE_DIR:?}"
MODS="${SB_TOK_NODE_MODULES:-$SRC/tests/diff/node_modules}"
TOK="${SB_TEST_DATA:?}/datasets/gpt2"
PY=/usr/bin/python3
if [ ! -d "$MODS/tokenizers" ] || ! command -v node >/dev/null ||
   ! $PY -c 'import numpy, PIL, cv2' 2>/dev/null; then
  sb_skip "mm_video_diff: needs node, $MODS/tokenizers, numpy, Pillow (python3-pil), cv2 (python3-opencv)"
fi
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

# same REF OURS LABEL: the same requests, field by field.
same() {
  $PY - "$1" "$2" "$3" <<'PY' || exit 1
import json, sys
a = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
b = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
if len(a) != len(b):
    sys.exit(f"FAIL {sys.argv[3]}: {len(a)} reference requests, {len(b)} ours")
for i, (x, y) in enumerate(zip(a, b)):
    for k in set(x) | set(y):
        if x.get(k) != y.get(k):
            sys.exit(f"FAIL {sys.argv[3]}: request {i} field {k} differs:\n ref  {str(x.get(k))[:300]}\n ours {str(y.get(k))[:300]}")
v = sum(x.get('mm_parts', '').count('"video_url": {') for x in a)
print(f"mm_video_diff: {sys.argv[3]}: {len(a)} requests identical ({v} videos)")
PY
}

# check_decode OURS: every video servebench made opens in OpenCV as mp4v at
# 30 fps with frames of one even size.
check_decode() {
  $PY - "$1" <<'PY' || exit 1
import base64, json, os, re, sys, tempfile
import numpy as np, cv2
rows = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
n = 0
for i, r in enumerate(rows):
    for m in re.finditer(r'"data:video/mp4;base64,([^"]*)"', r.get('mm_parts', '')):
        data = base64.b64decode(m.group(1))
        fd, path = tempfile.mkstemp(suffix='.mp4')
        os.write(fd, data)
        os.close(fd)
        cap = cv2.VideoCapture(path)
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, 'little')
        fps = cap.get(cv2.CAP_PROP_FPS)
        frames = []
        while True:
            ok, f = cap.read()
            if not ok:
                break
            frames.append(f)
        cap.release()
        os.unlink(path)
        if fourcc != b'mp4v' or fps != 30.0 or not frames:
            sys.exit(f'FAIL decode: request {i}: fourcc {fourcc} fps {fps} frames {len(frames)}')
        h, w = frames[0].shape[:2]
        if h % 2 or w % 2 or any(f.shape != frames[0].shape for f in frames):
            sys.exit(f'FAIL decode: request {i}: frame sizes {[f.shape for f in frames]}')
        n += 1
print(f'mm_video_diff: {n} videos decode as mp4v, 30 fps, even-sized frames')
PY
}

# N INPUT OUTPUT RATIO PREFIX SEED BASE ITEMS_RATIO | LIMITS | BUCKETS
while IFS='|' read -r args limits buckets; do
  mm_case "$args" "$limits" "$buckets"
  same "$tmp/ref.jsonl" "$tmp/ours.jsonl" "random-mm $args $buckets"
  check_decode "$tmp/ours.jsonl"
done <<'CASES'
10 30 6 0.5 3 4 3 1.0|{"image": 2, "video": 2}|{(5, 7, 1): 0.3, (2, 2, 2): 0.1, (37, 53, 13): 0.3, "(64, 48, 3)": 0.3}
3 16 4 0.0 0 1 1 0.0|{"image": 255, "video": 1}|{(720, 1280, 16): 1.0}
CASES

# Luma of a servebench video against the frames numpy drew for it (the
# reference model saves them: SB_DUMP_FRAMES); seed 2's one request has one
# 64x64x4 video. Predicting noise luma by its mean scores ~15.7 dB.
"$BIN" dataset stats --tokenizer "$TOK" --backend openai-chat --dataset-name random-mm \
  --num-prompts 1 --random-input-len 8 --random-output-len 4 --seed 2 \
  --random-mm-bucket-config '{(64, 64, 4): 1.0}' --export "$tmp/one.jsonl" >"$tmp/log" 2>&1 ||
  { echo "FAIL: servebench"; cat "$tmp/log"; exit 1; }
SB_DUMP_FRAMES="$tmp/frames.npy" $PY "$SRC/tests/gen/ds_ref_random_mm.py" "$MODS" \
  "$TOK/tokenizer.json" 1 8 4 0 0 2 1 0 '{"image": 255, "video": 1}' '{(64, 64, 4): 1.0}' \
  >"$tmp/one_ref.jsonl" || { echo "FAIL: reference model"; exit 1; }
$PY - "$tmp/one.jsonl" "$tmp/frames.npy" "$tmp/one.mp4" <<'PY' || exit 1
import base64, json, re, sys
import numpy as np, cv2
row = json.loads(open(sys.argv[1], encoding='utf-8').readline())
open(sys.argv[3], 'wb').write(base64.b64decode(re.search(r'base64,([^"]*)"', row['mm_parts']).group(1)))
want = np.load(sys.argv[2])
cap = cv2.VideoCapture(sys.argv[3])
got = []
while True:
    ok, f = cap.read()
    if not ok:
        break
    got.append(f)
if len(got) != len(want) or got[0].shape != want[0].shape:
    sys.exit(f'FAIL luma: {len(got)} frames of {got[0].shape if got else None}, want {want.shape}')
luma = lambda bgr: cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV)[:, :, 0].astype(float)
for k, (g, w) in enumerate(zip(got, want)):
    psnr = 10 * np.log10(255 ** 2 / np.mean((luma(g) - luma(w)) ** 2))
    if psnr < 30:
        sys.exit(f'FAIL luma: frame {k} PSNR {psnr:.1f} dB < 30')
    print(f'mm_video_diff: 64x64 frame {k}: luma PSNR {psnr:.1f} dB')
PY

# Bodies on the wire: random-mm with videos through `serve`, one at a time.
$PY "$SRC/tests/gen/capture_chat.py" "$tmp/bodies.jsonl" > "$tmp/srv.out" &
pid=$!
for _ in $(seq 600); do grep -q listening "$tmp/srv.out" && break; sleep 0.05; done
port=$(awk '{print $2}' "$tmp/srv.out")
[ -n "$port" ] || { echo "FAIL: capture server did not start"; exit 1; }
BK='{(16, 16, 3): 0.5, (9, 11, 1): 0.5}'
$PY "$SRC/tests/gen/ds_ref_random_mm.py" "$MODS" "$TOK/tokenizer.json" 5 24 5 0.2 0 6 2 0.5 \
  '{"image": 1, "video": 1}' "$BK" > "$tmp/ref.jsonl" || { echo "FAIL: reference model"; exit 1; }
for chat in 0 1; do
  flag=; [ $chat = 1 ] && flag=--enable-multimodal-chat
  : > "$tmp/bodies.jsonl"
  "$BIN" serve --backend openai-chat --endpoint /v1/chat/completions \
    --base-url "http://127.0.0.1:$port" --model m --tokenizer "$TOK" --max-concurrency 1 \
    --dataset-name random-mm --num-prompts 5 --random-input-len 24 --random-output-len 5 \
    --random-range-ratio 0.2 --seed 6 --random-mm-base-items-per-request 2 \
    --random-mm-num-mm-items-range-ratio 0.5 --random-mm-limit-mm-per-prompt '{"image": 1, "video": 1}' \
    --random-mm-bucket-config "$BK" $flag > "$tmp/serve.out" 2>&1 ||
    { echo "FAIL: serve"; cat "$tmp/serve.out"; exit 1; }
  grep -Eq "^Failed requests: +0 *$" "$tmp/serve.out" || { echo "FAIL: failed requests"; cat "$tmp/serve.out"; exit 1; }
  $PY - "$tmp/ref.jsonl" "$tmp/bodies.jsonl" $chat <<'PY' || exit 1
import json, sys
ref = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
got = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
chat = sys.argv[3] == '1'
if len(ref) != len(got):
    sys.exit(f'FAIL bodies: {len(ref)} expected, {len(got)} sent')
videos = 0
for i, (r, g) in enumerate(zip(ref, got)):
    parts = json.loads('[' + r.get('mm_parts', '') + ']')
    videos += sum(p['type'] == 'video_url' for p in parts)
    text = {'text': r['prompt'], 'type': 'text'} if chat else {'type': 'text', 'text': r['prompt']}
    payload = {'model': 'm', 'messages': [{'role': 'user', 'content': [text] + parts}],
               'max_completion_tokens': r['output_tokens'], 'stream': True,
               'stream_options': {'include_usage': True}, 'ignore_eos': True}
    if json.dumps(payload) != g:
        sys.exit(f'FAIL bodies: body {i} differs (chat={chat})')
if videos == 0:
    sys.exit('FAIL bodies: no video in the case')
print(f'mm_video_diff: {len(ref)} chat bodies identical, {videos} videos (chat={int(chat)})')
PY
done
