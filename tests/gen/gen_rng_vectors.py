#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the RNG and schedule vectors that tests/test_rng.c and
tests/test_sched.c compare against, by running the real CPython `random` and
numpy (legacy RandomState, default_rng/PCG64) on many seeds and sizes.

Every value is written as a string: integers in decimal, doubles with
float.hex(), so the C side can compare bit for bit.

    /usr/bin/python3 tests/gen/gen_rng_vectors.py            # tests/data/rng/
    /usr/bin/python3 tests/gen/gen_rng_vectors.py --out DIR --seeds 7,99
"""
import argparse
import json
import math
import os
import random
import sys

try:
    import numpy as np
except ImportError:  # --py-only still works: CPython's random needs no numpy
    np = None

INF = float("inf")

PY_SEEDS = [0, 1, 42, 12345, 2**31 - 1, 2**32 - 1, 2**32 + 5, 2**40 + 17, 2**63 + 12345, 2**64 - 1]
RS_SEEDS = [0, 1, 42, 12345, 2**31 - 1, 2**32 - 1]
GEN_SEEDS = PY_SEEDS


def h(x):
    return float(x).hex()


def ints(xs):
    return [str(int(x)) for x in xs]


def py_ops(seed):
    r = random.Random(seed)
    ops = []
    ops.append({"op": "random", "n": 700, "out": [h(r.random()) for _ in range(700)]})
    for k in (1, 7, 31, 32, 33, 53, 64):
        ops.append({"op": "getrandbits", "k": k, "out": ints(r.getrandbits(k) for _ in range(40))})
    for n in (1, 2, 3, 10, 16, 17, 1000, 2**31, 2**32 - 1, 2**32 + 1, 3 * 2**40, 2**63 + 7):
        ops.append({"op": "randbelow", "arg": str(n),
                    "out": ints(r._randbelow(n) for _ in range(25))})
    for n in (1, 2, 5, 100, 1000):
        x = list(range(n))
        r.shuffle(x)
        ops.append({"op": "shuffle", "n": n, "out": ints(x)})
    for n in (1, 7, 1234567):
        seq = range(n)
        ops.append({"op": "choice", "arg": str(n), "out": ints(r.choice(seq) for _ in range(30))})
    for n in (1, 14, 99999):
        ops.append({"op": "choices", "arg": str(n), "out": ints(r.choices(range(n), k=300))})
    ops.append({"op": "random", "n": 50, "out": [h(r.random()) for _ in range(50)]})
    return ops


def rs_ops(seed):
    rs = np.random.RandomState(seed)
    ops = []
    ops.append({"op": "random", "n": 700, "out": [h(v) for v in rs.random_sample(700)]})
    ops.append({"op": "next32", "n": 50,
                "out": ints(rs.randint(0, 2**32, size=50, dtype=np.uint32))})
    # An odd count leaves a cached normal that the gamma below must use first.
    ops.append({"op": "standard_normal", "n": 301, "out": [h(v) for v in rs.standard_normal(301)]})
    ops.append({"op": "gamma", "shape": h(2.5), "scale": h(0.1),
                "n": 200, "out": [h(rs.gamma(2.5, 0.1)) for _ in range(200)]})
    ops.append({"op": "standard_exponential", "n": 200,
                "out": [h(v) for v in rs.standard_exponential(200)]})
    for shape in (1.0, 0.5, 0.1, 0.999, 1.5, 3.0, 10.0, 0.0):
        ops.append({"op": "standard_gamma", "shape": h(shape), "n": 150,
                    "out": [h(rs.standard_gamma(shape)) for _ in range(150)]})
    for shape, scale in ((1.0, 0.1), (0.5, 0.02), (4.0, 1 / 40.0), (1.0, 1 / 3.0)):
        ops.append({"op": "gamma", "shape": h(shape), "scale": h(scale), "n": 150,
                    "out": [h(v) for v in rs.gamma(shape, scale, size=150)]})
    for lo, hi in ((0, 10), (0, 1), (5, 6), (-5, 5), (0, 151646), (922, 1127),
                   (0, 3 * 2**30), (0, 2**32), (0, 2**32 + 1), (0, 2**62 + 3),
                   (-2**63, 2**63 - 1), (-2**40, 2**40)):
        ops.append({"op": "randint", "low": str(lo), "high": str(hi), "n": 120,
                    "out": ints(rs.randint(lo, hi, size=120))})
    for n in (1, 2, 10, 1000):
        ops.append({"op": "permutation", "n": n, "out": ints(rs.permutation(n))})
    # pandas DataFrame.sample(n=k, replace=..., random_state=seed) is this call.
    for pop, k, rep in ((50, 10, False), (7, 7, False), (1000, 999, False), (20, 100, True)):
        ops.append({"op": "choice", "pop": pop, "k": k, "replace": rep,
                    "out": ints(rs.choice(pop, size=k, replace=rep))})
    ops.append({"op": "standard_normal", "n": 3, "out": [h(v) for v in rs.standard_normal(3)]})
    ops.append({"op": "random", "n": 20, "out": [h(v) for v in rs.random_sample(20)]})
    return ops


def gen_ops(seed):
    g = np.random.default_rng(seed)
    ops = []
    ops.append({"op": "next64", "n": 20, "out": ints(g.bit_generator.random_raw(20))})
    ops.append({"op": "random", "n": 500, "out": [h(v) for v in g.random(500)]})
    # next32 leaves half a 64-bit draw buffered; integers() below must use it.
    ops.append({"op": "next32", "n": 3, "out": ints(g.integers(0, 2**32, 3, dtype=np.uint32))})
    for lo, hi in ((922, 1127), (0, 151646), (1, 2), (0, 1), (-5, 5), (0, 10),
                   (0, 3 * 2**30), (0, 2**32), (0, 2**32 + 1), (0, 2**62 + 3),
                   (-2**63, 2**63 - 1), (100, 100 + 2**33), (0, 7)):
        ops.append({"op": "integers", "low": str(lo), "high": str(hi), "n": 333,
                    "out": ints(g.integers(lo, hi, 333))})
    ops.append({"op": "next32", "n": 1, "out": ints(g.integers(0, 2**32, 1, dtype=np.uint32))})
    for n in (1, 2, 10, 1000, 3):
        ops.append({"op": "permutation", "n": n, "out": ints(g.permutation(n))})
    # random-mm: pixel bytes (uint8 integers) and bucket choice with p.
    for n in (1, 3, 4, 5, 1000):
        ops.append({"op": "bytes", "n": n, "out": ints(g.integers(0, 256, n, dtype=np.uint8))})
    for p in ([0.5, 0.5], [0.1, 0.3, 0.5, 0.1], [0.2, 0.0, 0.8], [1 / 3] * 3, [0.7, 0.1, 0.2]):
        ops.append({"op": "choice_p", "p": [h(x) for x in p],
                    "out": ints(g.choice(len(p), 50, p=p))})
        ops.append({"op": "choice_p", "p": [h(x) for x in p],
                    "out": ints(g.choice(len(p), p=p) for _ in range(5))})
    ops.append({"op": "random", "n": 10, "out": [h(v) for v in g.random(10)]})
    return ops


def gen_case(seed):
    st = np.random.PCG64(seed).state["state"]
    return {"seed": str(seed), "state": str(st["state"]), "inc": str(st["inc"]),
            "ops": gen_ops(seed)}


# ---- the reference's arrival schedule (vllm bench serve, get_request) ----

def ref_schedule(n, rate, burst, strategy, start, end, seed):
    np.random.seed(seed)
    rates, delays = [], []
    for i in range(n):
        if strategy is not None:
            progress = i / max(n - 1, 1)
            if strategy == "linear":
                r = start + (end - start) * progress
            else:
                r = start * ((end / start) ** progress)
        else:
            r = rate
        rates.append(r)
        if r == INF:
            delays.append(0)
        elif burst == INF:
            delays.append(1.0 / r)
        else:
            delays.append(np.random.gamma(shape=burst, scale=1.0 / (r * burst)))
    for i in range(1, n):
        delays[i] += delays[i - 1]
    if strategy is None and delays[-1] != 0:
        factor = (n / rate) / delays[-1]
        delays = [d * factor for d in delays]
    events = []
    if strategy is not None:
        last = start
        events.append([start, 0])
        for i, r in enumerate(rates):
            cur = int(r)
            if cur > last:
                for v in range(last + 1, cur + 1):
                    events.append([v, i])
                last = cur
    return [h(float(d)) for d in delays], events


SCHED_CONFIGS = [
    # n, rate, burstiness, strategy, start, end, seed
    (1000, 10.0, 1.0, None, None, None, 0),
    (1000, 10.0, 1.0, None, None, None, 42),
    (500, 3.5, 0.5, None, None, None, 7),
    (500, 100.0, 4.0, None, None, None, 123),
    (300, 20.0, INF, None, None, None, 0),
    (300, INF, 1.0, None, None, None, 0),
    (1, 5.0, 1.0, None, None, None, 3),
    (2000, 1000.0, 1.0, None, None, None, 2**32 - 1),
    (400, INF, 1.0, "linear", 1, 20, 0),
    (400, INF, 2.0, "exponential", 1, 50, 5),
    (400, INF, INF, "linear", 3, 3, 0),
    (100, INF, 0.25, "exponential", 2, 200, 9),
    (1, INF, 1.0, "linear", 4, 8, 1),
]


def sched_cases(extra_seeds):
    configs = list(SCHED_CONFIGS)
    for s in extra_seeds:
        configs.append((700, 12.5, 1.0, None, None, None, s % 2**32))
        configs.append((300, INF, 3.0, "exponential", 1, 30, s % 2**32))
    cases = []
    for n, rate, burst, strat, start, end, seed in configs:
        offs, events = ref_schedule(n, rate, burst, strat, start, end, seed)
        cases.append({"n": n, "rate": h(rate), "burstiness": h(burst),
                      "ramp": strat or "none", "start": start, "end": end, "seed": seed,
                      "offsets": offs, "events": events})
    return cases


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "rng"))
    ap.add_argument("--seeds", default="", help="comma-separated extra seeds (replace defaults)")
    ap.add_argument("--py-only", action="store_true", help="write py_random.json only (no numpy)")
    a = ap.parse_args()
    extra = [int(s) for s in a.seeds.split(",") if s]
    py_seeds = extra or PY_SEEDS
    rs_seeds = [s % 2**32 for s in extra] or RS_SEEDS
    gen_seeds = extra or GEN_SEEDS
    os.makedirs(a.out, exist_ok=True)
    meta = {"python": sys.version.split()[0], "numpy": np.__version__ if np else None}
    write(os.path.join(a.out, "py_random.json"),
          dict(meta, cases=[{"seed": str(s), "ops": py_ops(s)} for s in py_seeds]))
    if a.py_only:
        return
    if np is None:
        sys.exit("numpy is needed for np_rs/np_gen/sched vectors (or pass --py-only)")
    write(os.path.join(a.out, "np_rs.json"),
          dict(meta, cases=[{"seed": str(s), "ops": rs_ops(s)} for s in rs_seeds]))
    write(os.path.join(a.out, "np_gen.json"),
          dict(meta, cases=[gen_case(s) for s in gen_seeds]))
    write(os.path.join(a.out, "sched.json"), dict(meta, cases=sched_cases(extra)))


if __name__ == "__main__":
    main()
