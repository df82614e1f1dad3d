#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ds_ref_timed_trace.py - model of the reference's timed_trace dataset
(reference doc 4.10) written from the spec with CPython's own hash() and
random.Random, so it must run under the PYTHONHASHSEED being checked:

    PYTHONHASHSEED=N ds_ref_timed_trace.py TOKDIR TRACE N CHUNK MULT SEED NO_OVERSAMPLE \
        [TS_LABEL IN_LABEL OUT_LABEL HASH_LABEL]

The vocabulary is what transformers' tokenizer.get_vocab() holds (model
vocab + added tokens, read from TOKDIR/tokenizer.json[.gz]) without
all_special_ids (the SPECIAL_TOKENS_ATTRIBUTES of tokenizer_config.json,
else the added tokens marked special), sorted. Prints one JSON line per
request: {"prompt": [ids], "output_tokens", "prompt_len", "timestamp"}."""
import gzip, json, os, random, sys

tokdir, trace, n, chunk, mult, seed, no_over = sys.argv[1:8]
n, chunk, mult, seed, no_over = int(n), int(chunk), float(mult), int(seed), no_over == '1'
labels = sys.argv[8:12] if len(sys.argv) > 8 else ['timestamp', 'input_length', 'output_length',
                                                     'hash_ids']
ts_l, in_l, out_l, h_l = labels


def load_tokenizer():
    p = os.path.join(tokdir, 'tokenizer.json')
    tj = json.load(open(p, encoding='utf-8')) if os.path.exists(p) else \
        json.load(gzip.open(p + '.gz', 'rt', encoding='utf-8'))
    vocab = dict(tj['model']['vocab'])
    for a in tj.get('added_tokens', []):
        vocab[a['content']] = a['id']
    cfg_p = os.path.join(tokdir, 'tokenizer_config.json')
    cfg = json.load(open(cfg_p, encoding='utf-8')) if os.path.exists(cfg_p) else {}
    names = []
    for k in ('bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token',
              'mask_token'):
        v = cfg.get(k)
        if isinstance(v, dict):
            v = v.get('content')
        if v:
            names.append(v)
    names += [t['content'] if isinstance(t, dict) else t
              for t in cfg.get('additional_special_tokens') or []]
    special = {vocab[t] for t in names if t in vocab}
    if not cfg:
        special = {a['id'] for a in tj.get('added_tokens', []) if a.get('special')}
    return sorted(set(vocab.values()) - special)


vocab = load_tokenizer()
cache = {}
reqs = []
for line in open(trace, encoding='utf-8'):
    if not line.strip():
        continue
    if len(reqs) >= n:
        break
    row = json.loads(line)
    remaining = row[in_l]
    ids = []
    for h in row[h_l]:
        if remaining <= 0:
            break
        size = min(chunk, remaining)
        key = f"{h}:{size}"
        if key not in cache:
            cache[key] = random.Random(hash(key) & 0xFFFFFFFF).choices(vocab, k=size)
        ids += cache[key]
        remaining -= size
    reqs.append({'prompt': ids, 'output_tokens': row[out_l], 'prompt_len': len(ids),
                 'timestamp': row[ts_l] * mult})
if len(reqs) < n and not no_over:  # maybe_oversample_requests
    random.seed(seed)
    reqs += [random.choice(reqs) for _ in range(n - len(reqs))]
for r in reqs:
    print(json.dumps(r))
