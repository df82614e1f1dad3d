#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# multiturn_cli.sh - `servebench multi-turn` (upstream's multi-turn benchmark
# command line) and `serve --multi-turn --dataset-name conversations` against
# a real `servebench sim` whose --record --record-messages lines are the
# server's truth: a generate_conversations config runs every turn of every
# conversation, each turn resending the history with the server's own
# earlier replies and the configured max tokens; no more than --num-clients
# requests are in flight; the printed summary, --output-file and
# --stats-json-output agree with the server; --max-turns and
# --max-num-requests cap the run; the written conversations run again as a
# list input; flags not supported yet and bad configs stop with exit 2 and a
# message naming the flag, or the file and field.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
tok="$SB_TEST_DATA/tokenizers/gpt2"

# 5 conversations of 3 user turns: 60 tokens a question (the common prefix in them), a 20-token
# conversation prefix on the first, 6 tokens asked of every answer
cat > "$tmp/gen.json" <<'JSON'
{
    "filetype": "generate_conversations",
    "num_conversations": 5,
    "prompt_input": {
        "num_turns": {"distribution": "constant", "value": 6},
        "common_prefix_num_tokens": {"distribution": "constant", "value": 12},
        "prefix_num_tokens": {"distribution": "constant", "value": 20},
        "num_tokens": {"distribution": "constant", "value": 60}
    },
    "prompt_output": {"num_tokens": {"distribution": "constant", "value": 6}}
}
JSON

sim_start --model m --tokenizer "$tok" --ttft-ms 2 --itl-ms 0.5 --record "$tmp/truth.jsonl" \
    --record-messages
"$SB_BIN" multi-turn -i "$tmp/gen.json" -m m --tokenizer "$tok" -u "$url" -p 2 -k 4 \
    -o "$tmp/out.json" --stats-json-output "$tmp/stats.json" --warmup-percentages 0%,40% \
    > "$tmp/run.txt" 2>&1 || { echo "FAIL: multi-turn"; cat "$tmp/run.txt"; exit 1; }
sim_stop
for want in "^Statistics summary \(assuming 0% warmup samples\):" \
    "^Statistics summary \(assuming 40% warmup samples\):" "^runtime_sec = " \
    "^requests_per_sec = " "^input_num_tokens " "^output_num_chunks " \
    "^input_num_turns=Constant\[6\]" "^num_clients=2" "^active_conversations=4" \
    "^text_files=sonnet.txt \(bundled\)" "Multi-turn sessions"; do
    grep -Eq "$want" "$tmp/run.txt" || { echo "FAIL: no '$want'"; cat "$tmp/run.txt"; exit 1; }
done
/usr/bin/python3 - "$tmp/truth.jsonl" "$tmp/out.json" "$tmp/stats.json" "$tmp/run.txt" <<'PY'
import json, re, sys
truth = [json.loads(l) for l in open(sys.argv[1])]
out = json.load(open(sys.argv[2]))
stats = json.load(open(sys.argv[3]))
assert len(truth) == 15 and all(t["outcome"] == "ok" for t in truth), len(truth)
by_conv = {}
for t in truth:
    cid = int(re.search(r"(\d+) is a nice number", t["messages"][0]["content"]).group(1))
    by_conv.setdefault(cid, []).append(t)
assert sorted(by_conv) == list(range(5)), sorted(by_conv)
written = {c["id"]: c["messages"] for c in out}
assert sorted(written) == [f"CONV_ID_{i}" for i in range(5)], sorted(written)
for cid, ts in by_conv.items():
    ts.sort(key=lambda t: t["arrival_ns"])
    assert len(ts) == 3, (cid, len(ts))
    conv = written[f"CONV_ID_{cid}"]
    assert [m["role"] for m in conv] == ["user", "assistant"] * 3, conv
    for k, t in enumerate(ts):
        # turn k+1 sends the history: users and the server's own replies
        assert t["messages"] == conv[:2 * k + 1], (cid, k)
        assert t["max_tokens"] == 6, t["max_tokens"]
        if k:
            prev = ts[k - 1]
            assert t["arrival_ns"] >= prev["end_ns"], (cid, k)
# the first user turns share the common prefix
firsts = [written[f"CONV_ID_{i}"][0]["content"] for i in range(5)]
common = firsts[0].split("0 is a nice number")[0]
assert common and all(f.startswith(common) for f in firsts), firsts
# stats: one row per answered turn; input tokens = 80 (prefix + question),
# then + each reply's tokens (the server's count) + 60 per later question
assert len(stats) == 15, len(stats)
outs = {}
for t in truth:
    outs[t["request_id"]] = t["output_tokens"]
rows = {}
for s in stats:
    rows.setdefault(s["conversation_id"], []).append(s)
for cid, rs in rows.items():
    rs.sort(key=lambda s: s["start_time_ms"])
    assert [r["input_num_turns"] for r in rs] == [1, 3, 5], rs
    ts = by_conv[int(cid.split("_")[-1])]
    want = 80
    for k, r in enumerate(rs):
        assert r["input_num_tokens"] == want, (cid, k, r["input_num_tokens"], want)
        assert r["output_num_tokens"] == ts[k]["output_tokens"], (r, ts[k])
        want += ts[k]["output_tokens"] + 60
    assert rs[0]["approx_cached_percent"] == 0.0
    assert abs(rs[1]["approx_cached_percent"] - 100.0 * (rs[1]["input_num_tokens"] - 60) /
               rs[1]["input_num_tokens"]) < 1e-9
# never more than --num-clients requests at the server at once
ev = sorted([(t["arrival_ns"], 1) for t in truth] + [(t["end_ns"], -1) for t in truth],
            key=lambda e: (e[0], e[1]))
cur = peak = 0
for _, d in ev:
    cur += d
    peak = max(peak, cur)
assert 1 <= peak <= 2, peak
txt = open(sys.argv[4]).read()
m = re.search(r"Statistics summary \(assuming 0% warmup samples\):\nruntime_sec = ([0-9.]+)\n"
              r"requests_per_sec = ([0-9.]+)", txt)
srt = sorted(stats, key=lambda s: s["start_time_ms"])
runtime = (srt[-1]["start_time_ms"] + srt[-1]["latency_ms"] - srt[0]["start_time_ms"]) / 1000
assert m and abs(float(m.group(1)) - runtime) < 0.0015, (m and m.group(1), runtime)
row = re.search(r"^input_num_turns +15\.0 +3\.00 ", txt, re.M)
assert row, "describe() row of input_num_turns"
print("multi-turn config: 15 turns, histories and counts as the server saw them; peak", peak)
PY

# the written conversations are a list input; caps: --max-turns 3 (two user
# turns each), --max-num-requests 5 with 2 clients (4 requests)
sim_start --model m --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.2 --record "$tmp/t2.jsonl" \
    --record-messages
"$SB_BIN" multi-turn --input-file "$tmp/out.json" --model m --tokenizer "$tok" --url "$url" \
    --num-clients 2 --max-turns 3 --no-early-stop --send-conversation-id > "$tmp/run2.txt" 2>&1 ||
    { echo "FAIL: list input"; cat "$tmp/run2.txt"; exit 1; }
"$SB_BIN" multi-turn -i "$tmp/gen.json" -m m --tokenizer "$tok" -u "$url" -p 2 -n 5 \
    --limit-min-tokens 3 --limit-max-tokens 3 > "$tmp/run3.txt" 2>&1 ||
    { echo "FAIL: capped run"; cat "$tmp/run3.txt"; exit 1; }
"$SB_BIN" multi-turn -i "$tmp/gen.json" -m m --tokenizer "$tok" -u "$url" -p 1 -k 5 \
    --conversation-sampling random --seed 4 > "$tmp/run5.txt" 2>&1 ||
    { echo "FAIL: random sampling"; cat "$tmp/run5.txt"; exit 1; }
"$SB_BIN" multi-turn -i "$tmp/gen.json" -m m --tokenizer "$tok" -u "$url" -p 2 --warmup-step \
    --warmup-percentages 50% -o "$tmp/outw.json" > "$tmp/run6.txt" 2>&1 ||
    { echo "FAIL: warm-up step"; cat "$tmp/run6.txt"; exit 1; }
sim_stop
/usr/bin/python3 - "$tmp/t2.jsonl" "$tmp/out.json" "$tmp/outw.json" <<'PY'
import json, sys
t = [json.loads(l) for l in open(sys.argv[1])]
first, second, third, warm = t[:10], t[10:14], t[14:29], t[29:]
assert len(first) == 10 and len(second) == 4, (len(first), len(second))
# random sampling, one client: every turn of the 5 conversations, one at a
# time, each conversation's turns in order with its history
assert len(third) == 15 and all(r["outcome"] == "ok" for r in third), len(third)
for a, b in zip(third, third[1:]):
    assert b["arrival_ns"] >= a["end_ns"], "more than one request in flight"
hist = {}
for r in third:
    key = r["messages"][0]["content"]
    n = hist.get(key, 0)
    assert len(r["messages"]) == 2 * n + 1, (n, len(r["messages"]))
    hist[key] = n + 1
assert sorted(hist.values()) == [3] * 5, hist
# --warmup-step: the 5 first turns alone, then turns 2 and 3 of each with the
# warm-up's reply in their history (as --output-file shows it)
assert len(warm) == 15 and [len(r["messages"]) for r in warm[:5]] == [1] * 5, warm[:5]
outw = {c["id"]: c["messages"] for c in json.load(open(sys.argv[3]))}
assert len(outw) == 5
for r in warm[5:]:
    conv = next(m for m in outw.values() if m[0] == r["messages"][0])
    assert len(r["messages"]) in (3, 5) and r["messages"] == conv[:len(r["messages"])]
assert sorted(len(r["messages"]) for r in first) == [1] * 5 + [3] * 5, first
out = {c["id"]: c["messages"] for c in json.load(open(sys.argv[2]))}
for r in first:  # --send-conversation-id: X-Session-ID is the conversation's id
    conv = out[r["session_id"]]
    assert r["messages"][0] == conv[0], (r["session_id"], r["messages"][0])
    if len(r["messages"]) == 1:
        assert any(r["messages"][0] == m[0] for m in out.values())
        # max tokens from the list's answer, counted with the tokenizer
        assert r["max_tokens"] >= 1
assert all(r["max_tokens"] == 3 for r in second), second
print("list input and caps: ok")
PY
grep -q "^max_tokens=3" "$tmp/run3.txt" || { echo "FAIL: params"; cat "$tmp/run3.txt"; exit 1; }
grep -q "^warmup_runtime_sec = " "$tmp/run6.txt" && grep -q "^Statistics summary:" "$tmp/run6.txt" ||
    { echo "FAIL: warm-up figures (and its percentages ignored)"; cat "$tmp/run6.txt"; exit 1; }

# `serve --multi-turn` takes the same file
sim_start --model m --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.2
"$SB_BIN" serve --backend openai-chat --endpoint /v1/chat/completions --model m \
    --tokenizer "$tok" --base-url "$url" --dataset-name conversations \
    --dataset-path "$tmp/gen.json" --multi-turn --max-active-conversations 2 > "$tmp/run4.txt" \
    2>&1 || { echo "FAIL: serve"; cat "$tmp/run4.txt"; exit 1; }
sim_stop
grep -Eq "^Successful requests: +15 *$" "$tmp/run4.txt" || { echo "FAIL: serve"; cat "$tmp/run4.txt"; exit 1; }

expect_usage() { # expect_usage WANT ARGS...: exit 2 and WANT on stderr
    local want=$1
    shift
    set +e
    "$SB_BIN" multi-turn "$@" > "$tmp/u.txt" 2>&1
    local rc=$?
    set -e
    [ "$rc" -eq 2 ] && grep -qF -- "$want" "$tmp/u.txt" ||
        { echo "FAIL: expected exit 2 with '$want' (got $rc)"; cat "$tmp/u.txt"; exit 1; }
}
M=(-i "$tmp/gen.json" -m m --tokenizer "$tok" -u http://127.0.0.1:9)
for flag in --no-stream --verify-output -e --excel-output \
    -v --verbose --print-content; do
    expect_usage "not supported yet" "${M[@]}" "$flag"
done
expect_usage "--max-retries above 0" "${M[@]}" --max-retries 2
expect_usage "invalid choice: 'sideways'" "${M[@]}" --conversation-sampling sideways
expect_usage "Number of clients must be a positive number" "${M[@]}" -p 0
expect_usage "both limits should be provided" "${M[@]}" --limit-max-tokens 5
expect_usage "required: -i/--input-file" -m m
expect_usage "unknown option --nope" "${M[@]}" --nope
printf '{"filetype": "generate_conversations", "num_conversations": 2, "prompt_input":
 {"num_turns": {"distribution": "pareto", "alpha": 2}, "num_tokens": {"distribution":
 "constant", "value": 5}}, "prompt_output": {"num_tokens": {"distribution": "constant",
 "value": -1}}}' > "$tmp/bad.json"
expect_usage "$tmp/bad.json: prompt_input.num_turns: unknown distribution \"pareto\"" \
    -i "$tmp/bad.json" -m m --tokenizer "$tok" -u http://127.0.0.1:9
echo '{"filetype": "generate_conversations", "num_con' > "$tmp/trunc.json"
expect_usage "$tmp/trunc.json:" -i "$tmp/trunc.json" -m m --tokenizer "$tok" -u http://127.0.0.1:9
"$SB_BIN" multi-turn --help | grep -q "usage: servebench multi-turn" || { echo "FAIL: --help"; exit 1; }
echo "multiturn_cli: ok"
