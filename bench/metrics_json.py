#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Peer for bench_metrics_json: the reference writes its result with
# json.dump; time json.dumps of the same ITL values (as the reference holds
# them: a list of lists of float seconds). usage: metrics_json.py DIR T
import json
import sys
import time

import numpy as np

d, t = sys.argv[1], int(sys.argv[2])
itl = (np.fromfile(f"{d}/itl.bin", dtype=np.uint32) / 1e9).reshape(-1, t - 1).tolist()
t0 = time.perf_counter()
text = json.dumps({"itls": itl})
el = time.perf_counter() - t0
print(f"json.dumps {el:.3f} s  {len(text)} bytes  {len(text) / el / 1e6:.1f} MB/s")
