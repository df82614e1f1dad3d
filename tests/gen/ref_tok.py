# SPDX-License-Identifier: Apache-2.0
"""ref_tok.py - shared by the reference dataset models (ds_ref_random.py,
ds_ref_lists.py, ds_ref_random_mm.py): the real Rust `tokenizers` library
through tests/gen/ds_tok_server.mjs, and the reference's
gen_prompt_decode_to_target_len loop (reference doc 4.1 step 7) on it."""
import json, subprocess, sys


class RefTok:
    """The npm `tokenizers` binding in a node child, one JSON line per call;
    tokpath is a tokenizer.json (bare library) or a directory (plus the
    transformers rules of its tokenizer_config.json: ds_tok_server.mjs)."""

    def __init__(self, mods, tokpath):
        here = sys.path[0]
        self.srv = subprocess.Popen(['node', here + '/ds_tok_server.mjs', mods, tokpath],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                    encoding='utf-8')
        info = self.ask({'op': 'vocab'})
        self.vocab_size = info['vocab_size']
        # transformers' num_special_tokens_to_add() and all_special_ids
        # (tokenizer_config.json rules when tokpath is a directory)
        self.num_special = info['num_special']
        self.all_special_ids = info['all_special_ids']

    def ask(self, q):
        self.srv.stdin.write(json.dumps(q) + '\n')
        self.srv.stdin.flush()
        return json.loads(self.srv.stdout.readline())

    def decode(self, ids):
        return self.ask({'op': 'dec', 'ids': ids})['text']

    def encode(self, text):
        return self.ask({'op': 'enc', 'text': text})['ids']

    def close(self):
        self.srv.stdin.close()
        self.srv.wait()


def fix_to_target(tok, seq, target, rng):
    """decode -> encode, topped up from rng (full vocabulary) or cut, at most
    10 retries. Returns (last decoded text, final ids, len - target when the
    retries ran out else 0)."""
    tries, mismatch = 10, 0
    while True:
        text = tok.decode(seq)
        seq = tok.encode(text)
        if tries <= 0:
            mismatch = len(seq) - target
            break
        if len(seq) == target:
            break
        if len(seq) < target:
            seq = seq + rng.integers(0, tok.vocab_size, size=target - len(seq)).tolist()
        else:
            seq = seq[:target]
        tries -= 1
    return text, seq, mismatch
