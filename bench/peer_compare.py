#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""peer_compare.py - a client's per-request timings against the simulator's ground truth.

Joins the client's requests to `servebench sim --record` lines by x-request-id and
reports, in milliseconds, the distribution (p50 / p99 / max) of:
  connect   server arrival - client start       (connect + request write + accept)
  ttft_raw  client ttft - (server first_token - server arrival)
  ttft_lag  (client start + ttft) - server first_token   (pure first-token delivery lag)
  itl_err   client gap k - server gap k            (only when message counts match)
  lat_lag   (client start + latency) - server last emission
Client and server must read the same clock: Python's perf_counter and servebench's
sb_now_ns are both CLOCK_MONOTONIC on Linux, so the check `clock_ok` counts requests
whose client start precedes server arrival and whose first token is seen after it
was sent; a different clock would put these off by seconds or more.

Inputs: --peer FILE (peer_vllm.py's JSONL) or --servebench FILE (a result JSON
written with --save-detailed; request i has id PREFIX+i, --prefix PREFIX).
Shaped as a small script so both clients go through the same arithmetic.
"""
import argparse
import json
import sys

import numpy as np


def load_record(path):
    rec = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                r = json.loads(line)
                rec[r["request_id"]] = r
    return rec


def load_peer(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def load_servebench(path, prefix):
    with open(path) as f:
        res = json.load(f)
    n = len(res["ttfts"])
    lats = res.get("latencies")
    rows = []
    for i in range(n):
        err = res["errors"][i] if "errors" in res else ""
        rows.append({
            "request_id": f"{prefix}{i}",
            "start": res["start_times"][i],
            "ttft": res["ttfts"][i],
            "itl": res["itls"][i],
            "latency": lats[i] if lats is not None else None,
            "success": err == "",
        })
    return rows


def dist(xs):
    if not xs:
        return {"n": 0}
    a = np.asarray(xs) * 1e3
    return {"n": int(a.size), "mean": float(a.mean()),
            "p50": float(np.percentile(a, 50)), "p99": float(np.percentile(a, 99)),
            "max": float(a.max()), "min": float(a.min())}


def compare(rows, rec):
    m = {k: [] for k in ("connect", "ttft_raw", "ttft_lag", "itl_err", "itl_abs",
                         "lat_lag")}
    matched = unmatched = refused = failed = count_mismatch = clock_ok = 0
    for r in rows:
        s = rec.get(r["request_id"])
        if s is None:
            # requests the sim refused before admission (4xx) are not recorded
            if r["success"]:
                unmatched += 1
            else:
                refused += 1
            continue
        matched += 1
        if not r["success"] or s["outcome"] != "ok":
            failed += 1
            continue
        arr = s["arrival_ns"] / 1e9
        first = s["first_token_ns"] / 1e9
        emit = [e / 1e9 for e in s["emit_ns"]]
        m["connect"].append(arr - r["start"])
        m["ttft_raw"].append(r["ttft"] - (first - arr))
        m["ttft_lag"].append(r["start"] + r["ttft"] - first)
        if r["start"] <= arr and r["start"] + r["ttft"] >= first:
            clock_ok += 1
        if r.get("latency") is not None:
            m["lat_lag"].append(r["start"] + r["latency"] - emit[-1])
        if len(r["itl"]) == len(emit) - 1:
            for k, gap in enumerate(r["itl"]):
                e = gap - (emit[k + 1] - emit[k])
                m["itl_err"].append(e)
                m["itl_abs"].append(abs(e))
        else:
            count_mismatch += 1
    out = {"matched": matched, "unmatched": unmatched, "refused": refused, "failed": failed,
           "itl_count_mismatch": count_mismatch, "clock_ok": clock_ok,
           "ok": matched - failed}
    for k, v in m.items():
        out[k] = dist(v)
    return out


def text(o):
    head = (f"{o['label']}: {o['ok']}/{o['matched']} ok ({o['refused']} failed before admission, {o['unmatched']} unmatched), "
            f"clock consistent on {o['clock_ok']}, itl count mismatches "
            f"{o['itl_count_mismatch']}")
    if "cpu_s" in o:
        head += f"; wall {o['duration']:.2f} s, cpu {o['cpu_s']:.2f} s"
    lines = [head]
    same_clock = o["clock_ok"] * 2 >= o["ok"]
    if not same_clock:
        lines.append(f"  start times not on the server's clock (connect p50 "
                     f"{o['connect'].get('p50', 0) / 1e3:.3f} s): absolute columns left out")
    for k in ("connect", "ttft_raw", "ttft_lag", "itl_err", "itl_abs", "lat_lag"):
        d = o[k]
        if not same_clock and k in ("connect", "ttft_lag", "lat_lag"):
            continue
        if d["n"]:
            lines.append(f"  {k:9s} p50 {d['p50']:9.3f}  p99 {d['p99']:9.3f}  "
                         f"max {d['max']:9.3f}  min {d['min']:9.3f} ms  (n={d['n']})")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--record", required=True, help="servebench sim --record JSONL")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--peer", help="peer_vllm.py --result-jsonl file")
    g.add_argument("--servebench", help="servebench serve --save-detailed JSON")
    p.add_argument("--prefix", default="sb-", help="request id prefix (--servebench)")
    p.add_argument("--label", default="")
    p.add_argument("--summary", help="peer_vllm.py's summary line (duration, CPU)")
    p.add_argument("--time", help="/usr/bin/time -f '%%U %%S %%e' output (CPU)")
    p.add_argument("--text", action="store_true", help="a readable block, not JSON")
    a = p.parse_args()
    rec = load_record(a.record)
    rows = load_peer(a.peer) if a.peer else load_servebench(a.servebench, a.prefix)
    out = compare(rows, rec)
    out["label"] = a.label
    if a.summary:
        with open(a.summary) as f:
            sm = json.loads(f.read().strip().splitlines()[-1])
        out["duration"], out["cpu_s"] = sm["duration"], sm["cpu_s"]
    if a.time:
        with open(a.time) as f:
            u, s, e = (float(x) for x in f.read().split()[-3:])
        out["duration"], out["cpu_s"] = e, u + s
    print(text(out) if a.text else json.dumps(out))
    return 0 if out["matched"] > 0 and out["unmatched"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
