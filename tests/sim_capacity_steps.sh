#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# sim_capacity_steps.sh - capacity mode's engine steps against a known truth.
# Three prompts of 800 token ids come at once to Qwen3-4B's config on a T4
# with a step budget of 1,000 tokens, so their prefills are chunked over
# three steps that also carry the first request's decode tokens. From the
# simulator's own --record (arrival order and times, prompt and output
# tokens) this test replays vLLM's step loop with the documented roofline
# (docs/sim.md, CAPACITY MODE) and the constants the simulator prints: every
# request's planned first token (first_token_plan_ns) must equal the sum of
# the step times before it, within 0.01 % (the printed parameter count is
# rounded); the last one waits for the others' chunks; each real emission is
# at or after its plan. Planned times, not wall clock, so load cannot fail it.
set -u
BIN="${SB_BIN:?run through ctest}"
DATA="${SB_TEST_DATA:?}"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cfg="$DATA/kv/qwen3_4b.json"
"$BIN" sim --port 0 --model-config "$cfg" --gpu t4 --max-num-batched-tokens 1000 \
  --record "$tmp/rec.jsonl" > "$tmp/out" 2> "$tmp/err" &
pid=$!
for _ in $(seq 400); do grep -q listening "$tmp/out" && break; sleep 0.05; done
port=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$tmp/out")
[ -n "$port" ] || { echo "FAIL: sim did not start"; cat "$tmp/out" "$tmp/err"; exit 1; }

python3 - "$port" <<'PY' || exit 1
import http.client, json, sys, threading
port = int(sys.argv[1])
def one(i):
    body = json.dumps({"model": "sim", "prompt": [100 + i] * 800, "max_tokens": 3,
                       "ignore_eos": True})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"FAIL: request {i}: HTTP {r.status}")
ts = [threading.Thread(target=one, args=(i,)) for i in range(3)]
for t in ts: t.start()
for t in ts: t.join()
PY
kill -INT $pid
wait $pid
pid=

python3 - "$tmp/rec.jsonl" "$tmp/err" <<'PY'
import json, re, sys
recs = sorted((json.loads(l) for l in open(sys.argv[1])), key=lambda r: r["seq"])
line = open(sys.argv[2]).read()
m = re.search(r"\(([\d.]+)B parameters, ([\d.]+)B active\).*\((\d+) B per token per GPU\)"
              r".*step budget (\d+) tokens", line)
if not m or len(recs) != 3:
    sys.exit(f"FAIL: no capacity line or not 3 records: {line!r} {len(recs)}")
params, active, tok_bytes, budget = float(m[1]) * 1e9, float(m[2]) * 1e9, int(m[3]), int(m[4])
assert budget == 1000, budget
# T4: 65 TFLOP/s, 320 GB/s; defaults mfu 0.5, mbu 0.75, step overhead 1.5 ms; bf16 weights
def step_ns(tokens, ctx):
    compute = 2.0 * active * tokens / (65e12 * 0.5) * 1e3
    memory = (params * 2 + ctx * tok_bytes) / (320e9 * 0.75) * 1e3
    return int((1.5 + max(compute, memory)) * 1e6)

reqs = [{"arr": r["arrival_ns"], "prompt": r["prompt_tokens"], "out": r["output_tokens"],
         "pre": 0, "made": 0, "first": None} for r in recs]
if any(q["prompt"] != 800 or q["out"] != 3 for q in reqs):
    sys.exit(f"FAIL: records {recs}")
t, steps = reqs[0]["arr"], []
while any(q["first"] is None for q in reqs):
    left, sched, ctx = budget, [], 0
    for q in reqs:
        if q["arr"] > t or left == 0 or (q["pre"] == q["prompt"] and q["made"] >= q["out"]):
            continue
        n = min(q["prompt"] - q["pre"] if q["pre"] < q["prompt"] else 1, left)
        sched.append((q, n)); left -= n; ctx += q["pre"] + q["made"]
    if not sched:
        t = min(q["arr"] for q in reqs if q["first"] is None); continue
    d = step_ns(sum(n for _, n in sched), ctx)
    steps.append((len(sched), sum(n for _, n in sched), d / 1e6))
    t += d
    for q, n in sched:
        if q["pre"] < q["prompt"]:
            q["pre"] += n
            if q["pre"] == q["prompt"]:
                q["made"], q["first"] = 1, t
        else:
            q["made"] += 1
fail = False
for r, q in zip(recs, reqs):
    got, want = r["first_token_plan_ns"], q["first"]
    if abs(got - want) > 1e-4 * (want - reqs[0]["arr"]) + 1000:
        print(f"FAIL: request {r['seq']}: first token planned {got}, steps say {want}"); fail = True
    if r["first_token_ns"] < got:
        print(f"FAIL: request {r['seq']} emitted before its plan"); fail = True
last = recs[-1]
ttft = (last["first_token_plan_ns"] - last["arrival_ns"]) / 1e6
alone = step_ns(800, 0) / 1e6
if len(steps) < 3 or not ttft > alone * 1.5:
    print(f"FAIL: the last prompt did not wait for the others' chunks: {steps}, {ttft} ms"); fail = True
print(f"steps (seqs, tokens, ms): {steps}; last TTFT {ttft:.2f} ms, alone {alone:.2f} ms")
sys.exit(1 if fail else 0)
PY
rc=$?
[ $rc -eq 0 ] || exit 1

# the budget is a capacity-mode flag: not accepted without a model
if "$BIN" sim --port 0 --max-num-batched-tokens 512 > "$tmp/o2" 2>&1; then
  echo "FAIL: --max-num-batched-tokens accepted without --model-config"; exit 1
fi
grep -q -- "--max-num-batched-tokens: needs --model-config" "$tmp/o2" || { echo "FAIL: message"; cat "$tmp/o2"; exit 1; }
echo "sim_capacity_steps: ok"
