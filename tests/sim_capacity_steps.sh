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
# A second case has the simulator read the first request only after it has
# composed a step with the other two (the first one's bytes began arriving
# before theirs): the schedule must still follow from arrival times alone.
set -u
BIN="${SB_BIN:?run through ctest}"
DATA="${SB_TEST_DATA:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
cfg="$DATA/kv/qwen3_4b.json"
cat > "$tmp/client.py" <<'PY'
import json, socket, sys, time
# "together": three requests at once. "late": the first request's bytes
# start coming before the others', but its end comes only after the engine
# has composed a step with the other two, so the simulator reads it after a
# step it belongs in began (what a busy event loop does by chance).
port, mode, base = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def request(i):
    body = json.dumps({"model": "sim", "prompt": [base + i] * 800, "max_tokens": 3,
                       "ignore_eos": True})
    return (f"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}").encode()
socks = [socket.create_connection(("127.0.0.1", port), timeout=60) for _ in range(3)]
reqs = [request(i) for i in range(3)]
if mode == "late":
    socks[0].sendall(reqs[0][:20])
    time.sleep(0.05)
    for k in (1, 2):
        socks[k].sendall(reqs[k])
    time.sleep(0.05)
    socks[0].sendall(reqs[0][20:])
else:
    for k in range(3):
        socks[k].sendall(reqs[k])
for i, so in enumerate(socks):
    data = b""
    while chunk := so.recv(65536):
        data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        sys.exit(f"FAIL: {mode} request {i}: {data[:80]!r}")
PY
cat > "$tmp/check.py" <<'PY'
import json, re, sys
# in arrival order, the engine's start order (it numbers them as it reads them)
recs = sorted((json.loads(l) for l in open(sys.argv[1])),
              key=lambda r: (r["arrival_ns"], r["seq"]))
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
last = max(recs, key=lambda r: r["first_token_plan_ns"])
ttft = (last["first_token_plan_ns"] - last["arrival_ns"]) / 1e6
alone = step_ns(800, 0) / 1e6
if len(steps) < 3 or not ttft > alone * 1.5:
    print(f"FAIL: the last prompt did not wait for the others' chunks: {steps}, {ttft} ms"); fail = True
print(f"steps (seqs, tokens, ms): {steps}; last TTFT {ttft:.2f} ms, alone {alone:.2f} ms")
sys.exit(1 if fail else 0)
PY

# one case: a fresh simulator, the client's requests, then the check
run_case() {
  local mode=$1 base=$2
  rm -f "$tmp/rec.jsonl"
  sim_start --model-config "$cfg" --gpu t4 --max-num-batched-tokens 1000 \
    --record "$tmp/rec.jsonl" 2> "$tmp/err"
  python3 "$tmp/client.py" "$port" "$mode" "$base" || exit 1
  sim_stop
  echo "case $mode:"
  python3 "$tmp/check.py" "$tmp/rec.jsonl" "$tmp/err" || exit 1
}
run_case together 100
run_case late 200

# the budget is a capacity-mode flag: not accepted without a model
if "$BIN" sim --port 0 --max-num-batched-tokens 512 > "$tmp/o2" 2>&1; then
  echo "FAIL: --max-num-batched-tokens accepted without --model-config"; exit 1
fi
grep -q -- "--max-num-batched-tokens: needs --model-config" "$tmp/o2" || { echo "FAIL: message"; cat "$tmp/o2"; exit 1; }
echo "sim_capacity_steps: ok"
