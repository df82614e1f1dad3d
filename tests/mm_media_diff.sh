#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mm_media_diff.sh - multimodal request parts against the real Python parts
# the reference uses, live:
#  - random-mm: servebench's requests (prompts, lengths, every image part)
#    against tests/gen/ds_ref_random_mm.py, a model of the reference built
#    on numpy's default_rng, Pillow's JPEG encoder and the Rust tokenizers;
#    odd sizes (1x1, 37x53) and one 720x1280 image included, so uint8 draws
#    and JPEG bytes must match bit for bit;
#  - custom_audio: the input_audio WAV bytes against python-soundfile's
#    sf.write(buf, *sf.read(path), format="WAV") for PCM_16, PCM_24, FLOAT
#    stereo and FLAC sources.
# Without node + the npm `tokenizers` package, numpy, Pillow or soundfile it
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
   ! $PY -c 'import numpy, PIL, soundfile' 2>/dev/null; then
  sb_skip "mm_media_diff: needs node, $MODS/tokenizers, numpy, Pillow (python3-pil), soundfile (python3-soundfile)"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

same() { # REF OURS LABEL: the same requests, field by field
  $PY - "$1" "$2" "$3" <<'PY' || exit 1
import json, sys
a = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
b = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
if len(a) != len(b):
    sys.exit(f"FAIL {sys.argv[3]}: {len(a)} reference requests, {len(b)} ours")
for i, (x, y) in enumerate(zip(a, b)):
    for k in (set(x) | set(y)) - set(x.pop('_skip', [])) - {'_skip'}:
        if x.get(k) != y.get(k):
            sys.exit(f"FAIL {sys.argv[3]}: request {i} field {k} differs:\n ref  {str(x.get(k))[:300]}\n ours {str(y.get(k))[:300]}")
n = sum(1 for x in a if 'mm_parts' in x)
print(f"mm_media_diff: {sys.argv[3]}: {len(a)} requests identical ({n} with parts)")
PY
}

# N INPUT OUTPUT RATIO PREFIX SEED BASE ITEMS_RATIO | LIMITS | BUCKETS
while IFS='|' read -r args limits buckets; do
  mm_case "$args" "$limits" "$buckets"
  same "$tmp/ref.jsonl" "$tmp/ours.jsonl" "random-mm $args"
done <<'CASES'
12 40 8 0.5 4 3 2 1.0|{"image": 3, "video": 1}|{(1, 1, 1): 0.2, (37, 53, 1): 0.3, "(64, 48, 1)": 0.5, (16, 16, 8): 0}
2 16 4 0.0 0 0 1 0.0|{"image": 255, "video": 1}|{(720, 1280, 1): 1.0}
CASES

# custom_audio: sources written by soundfile, expected parts from soundfile.
$PY - "$tmp" <<'PY' || { echo "FAIL: making audio"; exit 1; }
import base64, io, json, sys
import numpy as np, soundfile as sf
d = sys.argv[1]
rng = np.random.default_rng(7)
rows, ref = [], []
for name, sr, ch, sub in [('a.wav', 16000, 1, 'PCM_16'), ('b.wav', 22050, 1, 'PCM_24'),
                          ('c.wav', 44100, 2, 'FLOAT'), ('d.flac', 8000, 1, 'PCM_16')]:
    y = rng.uniform(-1.3, 1.3, (500, ch) if ch > 1 else 500)
    sf.write(f'{d}/{name}', y, sr, subtype=sub)
    yy, s = sf.read(f'{d}/{name}')
    buf = io.BytesIO()
    sf.write(buf, yy, s, format='WAV')
    part = {'type': 'input_audio', 'input_audio': {'data': base64.b64encode(buf.getvalue()).decode(), 'format': 'wav'}}
    rows.append({'prompt': f'clip {name}', 'audio': f'{d}/{name}'})
    ref.append({'prompt': f'clip {name}', 'output_tokens': 256, 'mm_parts': json.dumps(part),
                '_skip': ['prompt_len']})  # counted by test_mm against the real tokenizer
open(f'{d}/audio.jsonl', 'w').write(''.join(json.dumps(r) + '\n' for r in rows))
open(f'{d}/audio_ref.jsonl', 'w').write(''.join(json.dumps(r) + '\n' for r in ref))
PY
"$BIN" dataset stats --tokenizer "$TOK" --backend openai-chat --dataset-name custom_audio \
  --dataset-path "$tmp/audio.jsonl" --enable-multimodal-chat --disable-shuffle --num-prompts 4 \
  --export "$tmp/ours.jsonl" >"$tmp/log" 2>&1 || { echo "FAIL: servebench custom_audio"; cat "$tmp/log"; exit 1; }
same "$tmp/audio_ref.jsonl" "$tmp/ours.jsonl" "custom_audio"
