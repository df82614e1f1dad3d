#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the str-hash vectors tests/test_pyhash.c compares against: for each
PYTHONHASHSEED, a fresh interpreter started with that seed prints hash(s) of
many strings (ASCII of every length around the 8-byte SipHash block, latin-1,
BMP and astral text) and the timed_trace chunk draws
random.Random(hash(key) & 0xFFFFFFFF).choices(range(pop), k=k).

    /usr/bin/python3 tests/gen/gen_pyhash_vectors.py              # tests/data/rng/pyhash.json
    /usr/bin/python3 tests/gen/gen_pyhash_vectors.py --out F --seeds 7,99
"""
import argparse
import json
import os
import subprocess
import sys

SEEDS = [0, 1, 2, 42, 12345, 2**31 - 1, 2**32 - 1]
STRINGS = (
    ["", "a", "ab", "0:16", "1:16", "-7:3", "12345:16", "3.0:16", "abc:16"]
    + ["x" * n for n in range(1, 20)]
    + ["0123456789abcdef" * 5 + "tail"]
    + ["é", "café:16", "ÿ", "Ω", "€uro:16", "日本語", "😀", "a😀b:4", "\u0100"]
)
# (key, population, k): population 50257 is GPT-2's vocabulary without specials-ish;
# the C side draws indices and compares.
DRAWS = [("0:16", 50257, 16), ("7:5", 50256, 5), ("123456:16", 1000, 16), ("-1:2", 3, 2)]

CHILD = r"""
import json, random, sys
strings, draws = json.loads(sys.stdin.read())
out = {"hash": [str(hash(s)) for s in strings],
       "draws": [[str(x) for x in random.Random(hash(k) & 0xFFFFFFFF).choices(range(p), k=n)]
                 for k, p, n in draws]}
print(json.dumps(out))
"""


def one_seed(seed):
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    res = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps([STRINGS, DRAWS]),
                         capture_output=True, text=True, env=env, check=True)
    got = json.loads(res.stdout)
    return {"seed": str(seed), "hash": got["hash"], "draws": got["draws"]}


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "rng", "pyhash.json"))
    ap.add_argument("--seeds", default=None, help="comma-separated PYTHONHASHSEED values")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")] if a.seeds else SEEDS
    doc = {
        "python": sys.version.split()[0],
        "algorithm": sys.hash_info.algorithm,
        "strings": STRINGS,
        "draws": [{"key": k, "population": p, "k": n} for k, p, n in DRAWS],
        "cases": [one_seed(s) for s in seeds],
    }
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=True, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
