#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ds_ref_files.py - models of the reference's sharegpt, sonnet, burstgpt,
custom and prefix_repetition datasets (vLLM ShareGPTDataset, SonnetDataset,
BurstGPTDataset, CustomDataset, PrefixRepetitionRandomDataset), written
from the spec with CPython's json and random, jinja2 for the chat template
(rendered as transformers does: trim_blocks, lstrip_blocks) and the real
Rust tokenizers through tests/gen/ds_tok_server.mjs under the transformers
rules of TOKENIZER_DIR's tokenizer_config.json. Prints one JSON line per
request: {"prompt", "output_tokens", "prompt_len"}.
usage: ds_ref_files.py NODE_MODULES TOKENIZER_DIR sharegpt FILE N SEED
       ds_ref_files.py NODE_MODULES TOKENIZER_DIR sonnet FILE N SEED INPUT PREFIX OUTPUT BACKEND
       ds_ref_files.py NODE_MODULES TOKENIZER_DIR burstgpt FILE N SEED   (needs pandas)
       ds_ref_files.py NODE_MODULES TOKENIZER_DIR custom FILE N SEED OUTPUT_LEN SKIP_TEMPLATE (pandas)
       ds_ref_files.py NODE_MODULES TOKENIZER_DIR prefix_repetition - N SEED PREFIX SUFFIX NUM_PREFIXES OUTPUT"""
import json, random, subprocess, sys

mods, tokdir, kind, path, n, seed = sys.argv[1:7]
n, seed = int(n), int(seed)
here = sys.path[0]
srv = subprocess.Popen(['node', here + '/ds_tok_server.mjs', mods, tokdir],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding='utf-8')

def ask(q):
    srv.stdin.write(json.dumps(q) + '\n')
    srv.stdin.flush()
    return json.loads(srv.stdout.readline())

def count(text):  # len(tokenizer(text).input_ids): with special tokens
    return len(ask({'op': 'enc', 'text': text, 'special': True})['ids'])

def emit(prompt, out, plen):
    print(json.dumps({'prompt': prompt, 'output_tokens': out, 'prompt_len': plen}))

if kind == 'sharegpt':
    data = json.load(open(path, encoding='utf-8'))
    data = [e for e in data if 'conversations' in e and len(e['conversations']) >= 2]
    random.seed(seed)
    random.shuffle(data)
    got = []
    for e in data:
        if len(got) >= n:
            break
        p, c = e['conversations'][0]['value'], e['conversations'][1]['value']
        pl, ol = count(p), count(c)
        if pl < 4 or ol < 4 or pl > 1024 or pl + ol > 2048:
            continue
        got.append((p, ol, pl))
    if len(got) < n:  # maybe_oversample_requests
        random.seed(seed)
        got += [random.choice(got) for _ in range(n - len(got))]
    for p, ol, pl in got:
        emit(p, ol, pl)
elif kind == 'burstgpt':
    import pandas as pd
    df = pd.read_csv(path)
    df = df[df['Model'] == 'GPT-4']
    df = df[df['Response tokens'] > 0]
    rows = df.sample(n=n, random_state=seed, replace=n > len(df)).values.tolist()
    srv.stdin.write(json.dumps({'op': 'vocab'}) + '\n')
    srv.stdin.flush()
    V = json.loads(srv.stdout.readline())['vocab_size']
    for i in range(n):
        ids = [(i + j) % V for j in range(int(rows[i][2]))]
        srv.stdin.write(json.dumps({'op': 'dec', 'ids': ids}) + '\n')
        srv.stdin.flush()
        emit(json.loads(srv.stdout.readline())['text'], int(rows[i][3]), int(rows[i][2]))
elif kind == 'prefix_repetition':
    import numpy as np
    pre_len, suf_len, n_pre, out = (int(x) for x in sys.argv[7:11])
    random.seed(seed)  # the dataset re-seeds both global RNGs
    np.random.seed(seed)
    V = ask({'op': 'vocab'})['vocab_size']
    def exact(target):  # gen_prompt_decode_to_target_len, top-ups from np.random
        seq, tries = np.random.randint(0, V, size=target).tolist(), 10
        while True:
            seq = ask({'op': 'enc', 'text': ask({'op': 'dec', 'ids': seq})['text']})['ids']
            if tries <= 0 or len(seq) == target:
                return seq
            if len(seq) < target:
                seq += np.random.randint(0, V, size=target - len(seq)).tolist()
            else:
                seq = seq[:target]
            tries -= 1
    got = []
    for _ in range(n_pre):
        p = exact(pre_len)
        for _ in range(n // n_pre):
            both = p + exact(suf_len)
            got.append((ask({'op': 'dec', 'ids': both})['text'], out, len(both)))
    random.shuffle(got)
    for p, o, pl in got:
        emit(p, o, pl)
else:
    import jinja2
    cfg = json.load(open(tokdir + '/tokenizer_config.json', encoding='utf-8'))
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    tokstr = lambda v: v.get('content') if isinstance(v, dict) else v  # AddedToken entries
    tmpl = env.from_string(cfg.get('chat_template') or '')
    def chat(text):
        return tmpl.render(messages=[{'role': 'user', 'content': text}], add_generation_prompt=True,
                           bos_token=tokstr(cfg.get('bos_token')), eos_token=tokstr(cfg.get('eos_token')))
if kind == 'custom':
    import pandas as pd
    out_len, skip = int(sys.argv[7]), sys.argv[8] == '1'
    rows = [r.to_dict() for _, r in pd.read_json(path_or_buf=path, lines=True).iterrows()]
    random.seed(seed)
    random.shuffle(rows)
    if n <= 0:
        n = len(rows)
    got = []
    for r in rows[:n]:
        o = out_len if out_len != -1 else int(r['output_tokens'])
        p = r['prompt'] if skip else chat(r['prompt'])
        got.append((p, o, count(p)))
    if len(got) < n:
        random.seed(seed)
        got += [random.choice(got) for _ in range(n - len(got))]
    for p, o, pl in got:
        emit(p, o, pl)
elif kind == 'sonnet':
    inp, pre, out, backend = int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9]), sys.argv[10]
    lines = open(path, encoding='utf-8').readlines()
    random.seed(seed)  # the global RNG, seeded with --seed at start
    avg = sum(count(l) for l in lines) / len(lines)
    base = 'Pick as many lines as you can from these poem lines:\n'
    off = count(chat(base))
    n_in = round((inp - off) / avg)
    n_pre = max(round((pre - off) / avg), 0)
    got = 0
    while got < n:
        extra = random.choices(lines, k=n_in - n_pre)
        prompt = base + ''.join(lines[:n_pre] + extra)
        fmt = chat(prompt)
        pl = count(fmt)
        if pl <= inp:
            emit(prompt if backend == 'openai-chat' else fmt, out, pl)
            got += 1
srv.stdin.close()
srv.wait()
