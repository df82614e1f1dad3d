#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# The peer for bench_metrics: the reference's aggregation (numpy mean, median,
# std, percentile "linear", the 1 s bucket peaks) on the arrays bench_metrics
# wrote to DIR. Loading the files is not timed; numpy gets flat float64 arrays
# already in seconds (the reference itself starts from Python lists, which is
# slower). usage: metrics_numpy.py DIR
import sys
import time

import numpy as np

d = sys.argv[1]
ttft = np.fromfile(f"{d}/ttft.bin", dtype=np.uint64).astype(np.float64) / 1e9
lat = np.fromfile(f"{d}/latency.bin", dtype=np.uint64).astype(np.float64) / 1e9
start = np.fromfile(f"{d}/start.bin", dtype=np.uint64).astype(np.float64) / 1e9
itl = np.fromfile(f"{d}/itl.bin", dtype=np.uint32).astype(np.float64) / 1e9
cnt = np.fromfile(f"{d}/itl_count.bin", dtype=np.uint32)
out = cnt.astype(np.float64) + 1
pcts = [50, 90, 99, 99.9]

t0 = time.perf_counter()
tpot = (lat - ttft)[out > 1] / (out[out > 1] - 1)
res = {}
for name, v in (("ttft", ttft), ("tpot", tpot), ("itl", itl), ("e2el", lat)):
    res[name] = [np.mean(v) * 1000, np.median(v) * 1000, np.std(v) * 1000] + [
        np.percentile(v, p) * 1000 for p in pcts]
t_stats = time.perf_counter() - t0
# peaks, vectorised version of the reference's loops
m = start.min()
nb = int(np.ceil((start + lat).max() - m)) + 1
first = start + ttft
req = np.repeat(np.arange(len(cnt)), cnt)
offs = np.cumsum(itl)
idx = np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(cnt, dtype=np.int64)))[:-1]
base = np.concatenate(([0.0], offs))[idx]
tok_times = np.concatenate((first, first[req] + offs - base[req]))
b = (tok_times - m).astype(np.int64)
tok = np.bincount(b[(b >= 0) & (b < nb)], minlength=nb)
conc = np.zeros(nb + 1)
np.add.at(conc, (start - m).astype(np.int64), 1)
np.add.at(conc, (start + lat - m).astype(np.int64) + 1, -1)
conc = np.cumsum(conc)[:nb]
elapsed = time.perf_counter() - t0
print(f"numpy aggregation {elapsed:.3f} s (statistics {t_stats:.3f} s, peaks {elapsed - t_stats:.3f} s)")
for name, r in res.items():
    print(f"{name:<5} mean {r[0]:.6f} median {r[1]:.6f} std {r[2]:.6f} p50 {r[3]:.6f} "
          f"p90 {r[4]:.6f} p99 {r[5]:.6f} p99.9 {r[6]:.6f}")
print(f"peak output tok/s {tok.max():.0f}  peak concurrency {int(conc.max())}")
