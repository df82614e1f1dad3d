#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_telemetry.sh - server and GPU metrics scraped during a run, end to end:
#  - the simulator's /metrics (vLLM names) by default: with --max-num-seqs 4
#    and more load than that, requests_running peaks at exactly 4, the KV
#    cache at 100 %, and requests wait; its counters give the prompt and
#    generated token rates; the additions block shows the section;
#  - a DCGM-exporter-shaped server (tests/gen/metrics_server.py) on the same
#    timeline: mean utilisation 60 %, summed memory and power;
#  - an endpoint returning garbage, and one too slow for the interval: one
#    message, gaps in the series, the benchmark succeeds;
#  - --no-server-metrics, and a server without /metrics: no series, no message.
set -u
BIN="${SB_BIN:?run through ctest}"
SRC="${SB_SOURCE_DIR:?}"
PY=/usr/bin/python3
tmp=$(mktemp -d)
mpid=
trap '[ -n "$mpid" ] && kill "$mpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
$PY "$SRC/tests/gen/metrics_server.py" > "$tmp/m.out" &
mpid=$!
for _ in $(seq 600); do grep -q listening "$tmp/m.out" && break; sleep 0.05; done
mport=$(awk '{print $2}' "$tmp/m.out")
[ -n "$mport" ] || { echo "FAIL: metrics server did not start"; exit 1; }
fail=0
run() { # run NAME ARGS...: a short --sim benchmark that must succeed
  local name=$1; shift
  "$BIN" serve --sim --num-prompts 40 --request-rate 40 --random-input-len 32 \
    --random-output-len 16 --disable-tqdm --save-result --result-dir "$tmp" \
    --result-filename "$name.json" "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" ||
    { echo "FAIL $name: exit status"; cat "$tmp/$name.out" "$tmp/$name.err"; exit 1; }
}

run sim --sim-arg=--max-num-seqs=4 --sim-arg=--itl-ms=20 --server-metrics-interval 0.2 \
  --gpu-metrics-url "http://127.0.0.1:$mport/metrics"
grep -q -- "-Server metrics-" "$tmp/sim.out" || { echo "FAIL: no server metrics section"; cat "$tmp/sim.out"; fail=1; }
grep -q -- "-GPU metrics-" "$tmp/sim.out" || { echo "FAIL: no GPU metrics section"; fail=1; }
$PY - "$tmp/sim.json" <<'PY' || fail=1
import json, sys
o = json.load(open(sys.argv[1]))["servebench"]
s, g = o["server_metrics"], o["gpu_metrics"]
m, gm = s["summary"], g["summary"]
checks = [
    (s["source"] == "vllm", f"source {s['source']}"),
    (m["samples"] >= 3 and len(s["t_s"]) == m["samples"], f"samples {m['samples']}"),
    (m["requests_running_peak"] == 4, f"running peak {m['requests_running_peak']}"),
    (m["kv_cache_usage_peak"] == 1.0, f"kv peak {m['kv_cache_usage_peak']}"),
    (m["requests_waiting_peak"] > 0, "nothing waited"),
    (m["prompt_tokens_per_s"] > 0 and m["generation_tokens_per_s"] > 0, "token rates"),
    (all(len(v) == len(s["t_s"]) for v in s["series"].values()), "series lengths"),
    (s["series"]["prompt_tokens_per_s"][0] is None, "a counter's first rate is null"),
    (g["source"] == "dcgm" and gm["gpu_utilization_pct_mean"] == 60.0, f"gpu util {gm['gpu_utilization_pct_mean']}"),
    (gm["gpu_power_w_mean"] == 400.0 and gm["gpu_sm_clock_mhz_mean"] == 1500.0, "power/clock"),
    (gm["gpu_memory_used_mib_peak"] >= 3020, f"memory peak {gm['gpu_memory_used_mib_peak']}"),
    (s["gaps"] == [] and g["gaps"] == [], "gaps"),
]
bad = [why for ok, why in checks if not ok]
for b in bad:
    print("FAIL sim:", b)
sys.exit(1 if bad else 0)
PY

run garbage --server-metrics-url "http://127.0.0.1:$mport/garbage" --server-metrics-interval 0.2
[ "$(grep -c 'server metrics: ' "$tmp/garbage.err")" -eq 1 ] ||
  { echo "FAIL garbage: not exactly one message"; cat "$tmp/garbage.err"; fail=1; }
$PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["servebench"]["server_metrics"]; sys.exit(0 if len(s["gaps"]) >= 2 and "line 1" in s["gaps"][0]["error"] and s["summary"]["samples"] == 0 else "FAIL garbage: %s" % s["gaps"][:2])' "$tmp/garbage.json" || fail=1

run slow --server-metrics-url "http://127.0.0.1:$mport/slow" --server-metrics-interval 0.5
$PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["servebench"]["server_metrics"]; sys.exit(0 if s["gaps"] and "imeout" in s["gaps"][0]["error"] else "FAIL slow: %s" % s["gaps"])' "$tmp/slow.json" || fail=1

run off --no-server-metrics
$PY -c 'import json,sys; sys.exit("FAIL off: server_metrics present" if "server_metrics" in json.load(open(sys.argv[1]))["servebench"] else 0)' "$tmp/off.json" || fail=1
# a server without /metrics (its /x/metrics is a 404), by default: quietly nothing
"$BIN" serve --base-url "http://127.0.0.1:$mport/x" --model m --num-prompts 1 --disable-tqdm \
  --random-input-len 8 --random-output-len 2 > "$tmp/nometrics.out" 2>&1
grep -q "server metrics" "$tmp/nometrics.out" && { echo "FAIL: a message for a server without /metrics"; cat "$tmp/nometrics.out"; fail=1; }
[ $fail -eq 0 ] && echo "serve_telemetry: ok"
exit $fail
