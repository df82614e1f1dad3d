#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ds_ref_random_mm.py - a model of the reference random-mm dataset (vLLM
RandomMultiModalDataset.sample, reference doc 4.2), written from the spec,
with numpy's real default_rng, Pillow's real JPEG encoder and the real Rust
tokenizers (through tests/gen/ds_tok_server.mjs). Text is made as in
ds_ref_random.py (prefix drawn, then made exact on its own: get_prefix, reference
4.1 step 5); then per request: item count, bucket choices with
renormalisation at a modality's limit, H x W x 3 uint8 pixels, JPEG, base64;
for a video bucket (T > 1) T x H x W x 3 pixels through OpenCV's
cv2.VideoWriter (mp4v, 30 fps; cv2 imported only then), base64.
Prints one JSON line per request: {"prompt", "output_tokens", "prompt_len",
"mm_parts"} with the parts as json.dumps renders them, joined by ", ".
usage: ds_ref_random_mm.py NODE_MODULES TOKENIZER_JSON N INPUT_LEN OUTPUT_LEN RATIO PREFIX SEED
       BASE_ITEMS ITEMS_RATIO LIMITS_JSON BUCKETS_LITERAL"""
import ast, base64, io, json, math, sys
import numpy as np
from ref_tok import RefTok, fix_to_target
from PIL import Image

mods, tokpath = sys.argv[1], sys.argv[2]
n, L, O = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
r, P, seed = float(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
base, ratio = int(sys.argv[9]), float(sys.argv[10])
limits, buckets = json.loads(sys.argv[11]), ast.literal_eval(sys.argv[12])
# the flag's parser: string keys hold tuples, values go through float()
buckets = {tuple(ast.literal_eval(k) if isinstance(k, str) else k): float(v)
           for k, v in buckets.items()}
tok = RefTok(mods, tokpath)
V = tok.vocab_size
S = 0  # num_special_tokens_to_add for the GPT-2 tokenizer used here
special = [t['id'] for t in json.load(open(tokpath, encoding='utf-8')).get('added_tokens', [])
           if t.get('special')]

def fix(seq, target, rng):
    text, seq, _ = fix_to_target(tok, seq, target, rng)
    return text, seq

def modality(k):
    return 'image' if k[-1] == 1 else 'video'

def normalize(b):
    b = {k: v for k, v in b.items() if v > 0}
    total = sum(b.values())
    return {k: v / total for k, v in b.items()}

def video_part(rng, width, height, num_frames):
    # generate_synthetic_video + process_video: frames drawn at once, written
    # as they are (OpenCV takes them as BGR) by cv2.VideoWriter to a file
    import os, tempfile
    import cv2
    px = rng.integers(0, 256, (num_frames, height, width, 3), dtype=np.uint8)
    if os.environ.get('SB_DUMP_FRAMES'):  # the drawn frames, for tests/mm_video_diff.sh
        np.save(os.environ['SB_DUMP_FRAMES'], px)
    fd, path = tempfile.mkstemp(suffix='.mp4')
    os.close(fd)
    try:
        vw = cv2.VideoWriter(path, fourcc=cv2.VideoWriter_fourcc(*'mp4v'), fps=30,
                             frameSize=(width, height))
        if not vw.isOpened():
            raise RuntimeError('Failed to create video writer')
        for frame in px:
            vw.write(frame)
        vw.release()
        data = open(path, 'rb').read()
    finally:
        os.unlink(path)
    url = 'data:video/mp4;base64,' + base64.b64encode(data).decode()
    return {'type': 'video_url', 'video_url': {'url': url}}

rng = np.random.default_rng(seed)
Lr = max(0, L - S)
lo, hi = math.floor(Lr * (1 - r)), math.ceil(Lr * (1 + r))
olo, ohi = max(1, math.floor(O * (1 - r))), max(1, math.ceil(O * (1 + r)))
ins = rng.integers(lo, hi + 1, size=n)
outs = rng.integers(olo, ohi + 1, size=n)
offs = rng.integers(0, V, size=n)
buckets = normalize(buckets)
mods_present = {modality(k) for k in buckets}
limits = {k: v for k, v in limits.items() if k in mods_present}
kmax = min(sum(limits.values()), math.ceil(base * (1 + ratio)))
kmin = max(0, math.floor(base * (1 - ratio)))
allowed = np.array(sorted(set(range(V)) - set(special)))
prefix = []
if P > 0:  # get_prefix: drawn, then made exact on its own (target P, top-ups from rng)
    _, prefix, _ = fix_to_target(tok, allowed[rng.integers(0, len(allowed), size=P)].tolist(), P, rng)
for i in range(n):
    inner = allowed[(offs[i] + i + np.arange(ins[i])) % len(allowed)].tolist()
    text, seq = fix(prefix + inner, P + int(ins[i]), rng)
    k = int(rng.integers(kmin, kmax + 1))
    parts = []
    if k:
        count = {modality(b): 0 for b in buckets}
        copy = dict(buckets)
        while sum(count.values()) < k:
            cfg = rng.choice(list(copy.keys()), p=list(copy.values()))
            m = modality(cfg)
            if count[m] < limits[m]:
                count[m] += 1
                if m == 'video':
                    parts.append(json.dumps(video_part(rng, int(cfg[1]), int(cfg[0]), int(cfg[2]))))
                    continue
                px = rng.integers(0, 256, (cfg[0], cfg[1], 3), dtype=np.uint8)
                bio = io.BytesIO()
                Image.fromarray(px).save(bio, format='JPEG')
                url = 'data:image/jpeg;base64,' + base64.b64encode(bio.getvalue()).decode()
                parts.append(json.dumps({'type': 'image_url', 'image_url': {'url': url}}))
            else:
                for kk in copy:
                    if modality(kk) == m:
                        copy[kk] = 0
                if all(v == 0 for v in copy.values()):
                    break
                copy = normalize(copy)
    row = {'prompt': text, 'output_tokens': int(outs[i]), 'prompt_len': len(seq)}
    if parts:
        row['mm_parts'] = ', '.join(parts)
    print(json.dumps(row))
tok.close()
