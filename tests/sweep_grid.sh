#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# sweep_grid.sh - `servebench sweep` against a real `servebench sim`: a 2x2
# grid with --num-runs 2 writes one ordinary result JSON per run and a
# sweep.jsonl whose lines follow docs/sweep.md; a --params file (vLLM's
# --bench-params format) crosses with an axis; --between-cmd runs between
# runs; the steady-state window says what counted; a failing point is
# recorded and the sweep goes on (or stops with --stop-on-failure); another
# sweep's directory is not overwritten without --force.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
source "$SB_SOURCE_DIR/tests/helpers/sim.sh"
sim_start --ttft-ms 2 --itl-ms 0.5
tokz="$SB_SOURCE_DIR/data/tokenizers/gpt2"
base=(--base-url "$url" --model sim --tokenizer "$tokz" --dataset-name random
      --random-input-len 16 --random-output-len 6 --num-prompts 12 --disable-tqdm)
run() { # run NAME ARGS... : the sweep's exit status in $rc, output in $tmp/NAME.out
    set +e
    "$SB_BIN" sweep "$@" > "$tmp/$name.out" 2>&1
    rc=$?
    set -e
}

# 1. grid: 2 rates x 2 concurrencies, 2 runs each
name=grid
run --output-dir "$tmp/g" "${base[@]}" --request-rate 200,inf --max-concurrency 1,4 --num-runs 2
[ "$rc" = 0 ] || { cat "$tmp/grid.out"; echo "FAIL: grid sweep exited $rc"; exit 1; }
python3 - "$tmp/g" <<'PY'
import json, os, sys
d = sys.argv[1]
lines = [json.loads(l) for l in open(os.path.join(d, "sweep.jsonl"))]
h = lines[0]
assert h["type"] == "sweep" and h["schema"] == "servebench-sweep/1" and h["mode"] == "grid", h
assert [a["flag"] for a in h["axes"]] == ["--request-rate", "--max-concurrency"], h["axes"]
runs = [l for l in lines if l["type"] == "run" and l["status"] == "ok"]
assert len(runs) == 8, len(runs)
for r in runs:
    res = json.load(open(os.path.join(d, r["result_file"])))
    assert res["completed"] == 12 and len(res["ttfts"]) == 12, r["result_file"]
    assert res["servebench"]["workload_fingerprint"] == r["fingerprint"]
    assert r["client_health"] in ("ok", "client-limited"), r
    assert r["metrics"]["completed"] == 12 and "p99_ttft_ms" in r["metrics"]
pts = [l for l in lines if l["type"] == "point"]
assert [p["point"] for p in pts] == [0, 1, 2, 3], pts
assert pts[3]["params"] == {"--request-rate": "inf", "--max-concurrency": "4"}, pts[3]["params"]
for p in pts:
    s = p["stats"]["output_throughput"]
    assert p["runs"] == 2 and p["ok_runs"] == 2 and not p["partial"]
    assert s["n"] == 2 and s["std"] is not None and s["ci95_low"] <= s["mean"] <= s["ci95_high"], s
    assert len(p["result_files"]) == 2
# same seed and flags: the two runs of a point sent the same workload
for pt in range(4):
    fps = {r["fingerprint"] for r in runs if r["point"] == pt}
    assert len(fps) == 1, fps
PY
grep -q "95% CI of the mean" "$tmp/grid.out" || { echo "FAIL: no repeats table"; exit 1; }
grep -q "mean_ttft_ms" "$tmp/grid.out" || { echo "FAIL: repeats table lacks metrics"; exit 1; }

# 2. a vLLM --bench-params file crossed with an axis, --between-cmd, a window
cat > "$tmp/params.json" <<'J'
[{"random_input_len": 8, "random_output_len": 4}, {"random_input_len": 24, "ignore_eos": true}]
J
name=params
run --output-dir "$tmp/p" "${base[@]}" --params "$tmp/params.json" --max-concurrency 2,3 \
    --between-cmd "echo x >> $tmp/hook" --warmup-requests 2 --cooldown-requests 3
[ "$rc" = 0 ] || { cat "$tmp/params.out"; echo "FAIL: params sweep exited $rc"; exit 1; }
[ "$(wc -l < "$tmp/hook")" = 3 ] || { echo "FAIL: --between-cmd ran $(wc -l < "$tmp/hook") times, want 3"; exit 1; }
python3 - "$tmp/p" <<'PY'
import json, os, sys
d = sys.argv[1]
lines = [json.loads(l) for l in open(os.path.join(d, "sweep.jsonl"))]
runs = [l for l in lines if l["type"] == "run" and l["status"] == "ok"]
assert [r["params"] for r in runs] == [
    {"--random-input-len": "8", "--random-output-len": "4", "--max-concurrency": "2"},
    {"--random-input-len": "8", "--random-output-len": "4", "--max-concurrency": "3"},
    {"--random-input-len": "24", "--ignore-eos": True, "--max-concurrency": "2"},
    {"--random-input-len": "24", "--ignore-eos": True, "--max-concurrency": "3"}], runs
for r in runs:
    w = r["window"]
    assert w == {"counted": 7, "excluded_head": 2, "excluded_tail": 3,
                 "duration_s": w["duration_s"]}, w
    assert r["metrics"]["completed"] == 7, r["metrics"]
    res = json.load(open(os.path.join(d, r["result_file"])))
    assert res["completed"] == 7 and len(res["ttfts"]) == 7
    assert abs(res["duration"] - w["duration_s"]) < 1e-6, (res["duration"], w)
PY
grep -q "Steady-state window: 7 requests counted" "$tmp/params.out" ||
    { echo "FAIL: the window is not printed"; exit 1; }

# 3. a failing point is recorded and the sweep goes on; --stop-on-failure stops
name=fail
run --output-dir "$tmp/f" "${base[@]}" --ready-check-timeout-sec 1 \
    --sweep "base-url=$url,http://127.0.0.1:1,$url"
[ "$rc" = 1 ] || { cat "$tmp/fail.out"; echo "FAIL: a failed point should exit 1, got $rc"; exit 1; }
python3 - "$tmp/f" <<'PY'
import json, os, sys
lines = [json.loads(l) for l in open(os.path.join(sys.argv[1], "sweep.jsonl"))]
st = [(l["point"], l["status"]) for l in lines if l["type"] == "run" and l["status"] != "started"]
assert st == [(0, "ok"), (1, "failed"), (2, "ok")], st
bad = [l for l in lines if l["type"] == "run" and l["status"] == "failed"][0]
assert "ready check" in bad["reason"], bad
pts = [l for l in lines if l["type"] == "point"]
assert pts[1]["partial"] and pts[1]["ok_runs"] == 0 and not pts[0]["partial"], pts
PY
name=stop
run --output-dir "$tmp/s" "${base[@]}" --ready-check-timeout-sec 1 --stop-on-failure \
    --sweep "base-url=http://127.0.0.1:1,$url"
[ "$rc" = 1 ] || { echo "FAIL: --stop-on-failure should exit 1, got $rc"; exit 1; }
[ "$(grep -c '"status":"ok"' "$tmp/s/sweep.jsonl" || true)" = 0 ] ||
    { echo "FAIL: --stop-on-failure ran the next point"; exit 1; }

# 4. another sweep's directory is refused, --force starts over
name=other
run --output-dir "$tmp/g" "${base[@]}" --request-rate 100,200
[ "$rc" = 2 ] || { echo "FAIL: reusing another sweep's dir should exit 2, got $rc"; exit 1; }
grep -q "holds a sweep of other arguments" "$tmp/other.out" || { cat "$tmp/other.out"; exit 1; }
[ "$(grep -c '"status":"ok"' "$tmp/g/sweep.jsonl")" = 8 ] || { echo "FAIL: file changed"; exit 1; }
name=force
run --output-dir "$tmp/g" "${base[@]}" --request-rate 100,200 --force
[ "$rc" = 0 ] || { cat "$tmp/force.out"; echo "FAIL: --force exited $rc"; exit 1; }
[ "$(grep -c '"status":"ok"' "$tmp/g/sweep.jsonl")" = 2 ] || { echo "FAIL: --force kept old lines"; exit 1; }

# Result files without their sweep.jsonl, or a sweep.jsonl of another schema,
# are not overwritten without --force.
mkdir -p "$tmp/orphan/points" "$tmp/schema"
echo '{}' > "$tmp/orphan/points/p0000-r1.json"
name=orphan
run --output-dir "$tmp/orphan" "${base[@]}"
[ "$rc" = 2 ] && grep -q "holds result files but no sweep.jsonl" "$tmp/orphan.out" || { cat "$tmp/orphan.out"; exit 1; }
[ "$(cat "$tmp/orphan/points/p0000-r1.json")" = '{}' ] || { echo "FAIL: orphan result overwritten"; exit 1; }
echo '{"type": "sweep", "schema": "servebench-sweep/0"}' > "$tmp/schema/sweep.jsonl"
name=schema
run --output-dir "$tmp/schema" "${base[@]}"
[ "$rc" = 2 ] && grep -q 'line 1: field "schema" is "servebench-sweep/0"' "$tmp/schema.out" || { cat "$tmp/schema.out"; exit 1; }
echo '{"duration": 1, "completed": 1}' > "$tmp/schema/sweep.jsonl"
name=schema2
run --output-dir "$tmp/schema" "${base[@]}"
[ "$rc" = 2 ] && grep -q "is not a sweep file" "$tmp/schema2.out" || { cat "$tmp/schema2.out"; exit 1; }

# vLLM's named form of a params file: {"name": {flags}, ...}
echo '{"short": {"random_input_len": 8}, "long": {"random_input_len": 32}}' > "$tmp/named.json"
name=named
run --output-dir "$tmp/n" "${base[@]}" --bench-params "$tmp/named.json"
[ "$rc" = 0 ] || { cat "$tmp/named.out"; exit 1; }
grep -q '"params":{"--random-input-len":"32"}' "$tmp/n/sweep.jsonl" || { echo "FAIL: named params"; exit 1; }

# 5. bad usage: a flag that is not a serve flag, a bad point value, a bad params file
name=u1; run --output-dir "$tmp/u" "${base[@]}" --sweep no-such-flag=1,2
[ "$rc" = 2 ] && grep -q "no-such-flag: not a serve flag" "$tmp/u1.out" || { cat "$tmp/u1.out"; exit 1; }
name=u2; run --output-dir "$tmp/u" "${base[@]}" --max-concurrency 2,abc
[ "$rc" = 2 ] && grep -q "point 1 (--max-concurrency=abc)" "$tmp/u2.out" || { cat "$tmp/u2.out"; exit 1; }
printf '[{"random_input_len": 8}' > "$tmp/trunc.json"
name=u3; run --output-dir "$tmp/u" "${base[@]}" --params "$tmp/trunc.json"
[ "$rc" = 2 ] && grep -q "trunc.json: line 1" "$tmp/u3.out" || { cat "$tmp/u3.out"; exit 1; }
name=u4; run --output-dir "$tmp/u" "${base[@]}" --result-dir "$tmp"
[ "$rc" = 2 ] && grep -q "use --output-dir" "$tmp/u4.out" || { cat "$tmp/u4.out"; exit 1; }
name=u5; run --output-dir "$tmp/u" "${base[@]}" --serve-params "$tmp/named.json"
[ "$rc" = 2 ] && grep -q "serve-params (of .vllm bench sweep.) is not supported yet" "$tmp/u5.out" || { cat "$tmp/u5.out"; exit 1; }
[ ! -e "$tmp/u/sweep.jsonl" ] || { echo "FAIL: bad usage wrote a sweep file"; exit 1; }
echo "sweep_grid: ok"
