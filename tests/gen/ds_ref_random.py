#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ds_ref_random.py - a model of the reference random dataset (vLLM
RandomDataset.sample + gen_prompt_decode_to_target_len, reference doc 4.1),
written from the spec, with numpy's real default_rng and the real Rust
tokenizers (through tests/gen/ref_tok.py). Prints one JSON line per
request: {"prompt", "output_tokens", "prompt_len"}.
TOKENIZER is a tokenizer.json or a directory (then its tokenizer_config.json
rules apply as transformers applies them: ds_tok_server.mjs).
usage: ds_ref_random.py NODE_MODULES TOKENIZER N INPUT_LEN OUTPUT_LEN RATIO PREFIX SEED"""
import json, math, sys
import numpy as np
from ref_tok import RefTok, fix_to_target

mods, tokpath = sys.argv[1], sys.argv[2]
n, L, O = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
r, P, seed = float(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
tok = RefTok(mods, tokpath)
V = tok.vocab_size
special = tok.all_special_ids
S = tok.num_special

rng = np.random.default_rng(seed)
Lr = max(0, L - S)
lo, hi = math.floor(Lr * (1 - r)), math.ceil(Lr * (1 + r))
olo, ohi = max(1, math.floor(O * (1 - r))), max(1, math.ceil(O * (1 + r)))
ins = rng.integers(lo, hi + 1, size=n)
outs = rng.integers(olo, ohi + 1, size=n)
offs = rng.integers(0, V, size=n)
allowed = np.array(sorted(set(range(V)) - set(special)))
prefix = []
if P > 0:  # get_prefix: drawn, then made exact on its own (target P, top-ups from rng)
    _, prefix, _ = fix_to_target(tok, allowed[rng.integers(0, len(allowed), size=P)].tolist(), P, rng)
for i in range(n):
    inner = allowed[(offs[i] + i + np.arange(ins[i])) % len(allowed)].tolist()
    text, seq, _ = fix_to_target(tok, prefix + inner, P + int(ins[i]), rng)
    print(json.dumps({'prompt': text, 'output_tokens': int(outs[i]), 'prompt_len': len(seq)}))
tok.close()
