#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ds_ref_lists.py - a model of the reference's list-prompt requests, written
from the reference code's behaviour (vLLM RandomDatasetForReranking.sample,
RandomDataset.sample with batchsize > 1, gen_prompt_decode_to_target_len, and
the vllm-rerank / openai-embeddings request payloads), with numpy's real
default_rng and the real Rust tokenizers (tests/gen/ds_tok_server.mjs).
Prints one JSON line per request: {"body": <json.dumps of the payload, as
aiohttp sends it>, "prompt_len": n}.
usage: ds_ref_lists.py NODE_MODULES TOKENIZER_JSON MODE N INPUT_LEN BATCH RATIO SEED SPECIAL_IDS
MODE: rerank | rerank-no-reranker | random (random: output length 16, then batched)"""
import json, math, sys
import numpy as np
from ref_tok import RefTok, fix_to_target

mods, tokpath, mode = sys.argv[1], sys.argv[2], sys.argv[3]
n, L, B = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
r, seed = float(sys.argv[7]), int(sys.argv[8])
special = [int(x) for x in sys.argv[9].split(',') if x]
tok = RefTok(mods, tokpath)
V = tok.vocab_size
S = 0  # num_special_tokens_to_add: 0 for the GPT-2 tokenizer used here
rng = np.random.default_rng(seed)
allowed = np.array(sorted(set(range(V)) - set(special)))


def to_target(seq, target):
    """decode -> encode, topped up from rng or cut, at most 10 retries."""
    text, seq, _ = fix_to_target(tok, seq, target, rng)
    return text, len(seq)


def sampling(count, length, out_len):
    """input lengths, output lengths, offsets: the random dataset's rule."""
    lr = max(0, length - S)
    lo, hi = math.floor(lr * (1 - r)), math.ceil(lr * (1 + r))
    olo, ohi = max(1, math.floor(out_len * (1 - r))), max(1, math.ceil(out_len * (1 + r)))
    ins = rng.integers(lo, hi + 1, size=count)
    outs = rng.integers(olo, ohi + 1, size=count)
    offs = rng.integers(0, V, size=count)
    return ins, outs, offs


def window(length, offset, index):
    ids = allowed[(offset + index + np.arange(length)) % len(allowed)].tolist()
    return to_target(ids, length)


def emit(payload, plen):
    print(json.dumps({'body': json.dumps(payload), 'prompt_len': plen}))


if mode.startswith('rerank'):
    reranker = mode == 'rerank'
    sep = 1 if reranker else 0
    qins, _, qoffs = sampling(1, L // 2 - sep if reranker else L, 0)
    qlen_drawn = int(qins[0])
    docs_n, batch = n, B
    if not reranker:
        docs_n, batch = n - 1, B - 1
        doc_param = L
    else:
        doc_param = L - qlen_drawn - sep
    dins, _, doffs = sampling(docs_n, doc_param, 0)
    query, qlen = window(qlen_drawn, int(qoffs[0]), 0)
    docs = [window(int(dins[i]), int(doffs[i]), i + 1) for i in range(docs_n)]
    for i in range(0, docs_n, batch):
        group = docs[i:i + batch]
        head = (qlen + sep) * len(group) if reranker else qlen
        emit({'model': 'm', 'query': query, 'documents': [d[0] for d in group],
              'truncate_prompt_tokens': -1}, head + sum(d[1] for d in group))
else:
    ins, outs, offs = sampling(n, L, 16)
    reqs = [window(int(ins[i]), int(offs[i]), i) for i in range(n)]
    for i in range(0, n, B):
        group = reqs[i:i + B]
        emit({'model': 'm', 'input': [g[0] for g in group], 'truncate_prompt_tokens': -1},
             sum(g[1] for g in group))
tok.close()
