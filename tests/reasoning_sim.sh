#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# reasoning_sim.sh - reasoning deltas end to end against a real `servebench sim
# --reasoning-tokens N` (its chat streams' first N tokens are reasoning_content
# deltas, the rest content, one token per message): the additions block and
# servebench.channels count exactly N reasoning and (output - N) answer
# messages per request, every response held reasoning and none a tool call,
# the first answer token comes after the first reasoning token and at least
# N x --itl-ms after the request started (lower bounds only: no upper timing
# bounds under load), the reference's
# TTFT is still the first message with choices (the role chunk, <= both), and
# with --tool-call-tokens every response holds a tool call whose argument
# deltas are counted (and in the output tokens), and without either option
# the section is absent and the counts are zero.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
tok="$SB_TEST_DATA/tokenizers/gpt2"
N=5 OUT=12 ITL=4
run() { # run NAME [SERVE ARGS...]
    local name=$1; shift
    "$SB_BIN" serve --backend openai-chat --endpoint /v1/chat/completions --model rs --tokenizer "$tok" \
        --base-url "$url" --dataset-name random --random-input-len 16 --random-output-len $OUT \
        --num-prompts 4 --ignore-eos --save-result --result-dir "$tmp" --result-filename "$name.json" \
        "$@" > "$tmp/$name.txt" 2>&1 || { echo "FAIL: serve $name"; cat "$tmp/$name.txt"; exit 1; }
}

sim_start --model rs --ttft-ms 1 --itl-ms $ITL --reasoning-tokens $N
run r
sim_stop
grep -q "Reasoning and tool calls" "$tmp/r.txt" || { echo "FAIL: no section"; cat "$tmp/r.txt"; exit 1; }
grep -Eq "^Reasoning messages: +20 *$" "$tmp/r.txt" || { echo "FAIL: block reasoning count"; cat "$tmp/r.txt"; exit 1; }
grep -Eq "^Answer messages: +28 *$" "$tmp/r.txt" || { echo "FAIL: block answer count"; exit 1; }
grep -Eq "^Mean time to first answer token \(ms\): +[0-9.]+ *$" "$tmp/r.txt" || { echo "FAIL: block ttfa"; exit 1; }
/usr/bin/python3 - "$tmp/r.json" $N $OUT $ITL <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))
n, out, itl = map(int, sys.argv[2:])
c = res["servebench"]["channels"]
assert res["completed"] == 4, res["completed"]
assert c["responses_with_reasoning"] == 4 and c["responses_with_tool_call"] == 0, c
assert c["reasoning_messages"] == 4 * n and c["answer_messages"] == 4 * (out - n), c
assert c["tool_call_messages"] == 0, c
r, a = c["time_to_first_reasoning"], c["time_to_first_answer"]
assert r["n"] == a["n"] == 4, (r, a)
# the sim sends the first answer token N x ITL after the first reasoning one, and the
# client starts its clock before the sim's: every first answer is >= N x ITL from start;
# within a stream reasoning arrives first (the measured gap itself is not bounded below:
# the client may read the first message late under load)
assert a["min_ms"] >= n * itl * 0.999, a
assert a["mean_ms"] >= r["mean_ms"] and a["min_ms"] >= r["min_ms"], (a, r)
assert res["mean_ttft_ms"] <= r["mean_ms"] + 1e-9, (res["mean_ttft_ms"], r["mean_ms"])
assert res["total_output_tokens"] == 4 * out, res["total_output_tokens"]
print(f"reasoning_sim: ttft {res['mean_ttft_ms']:.2f} ms, first reasoning {r['mean_ms']:.2f} ms, "
      f"first answer {a['mean_ms']:.2f} ms")
PY

# tool calls: the sim's last 3 tokens are tool-call argument deltas
sim_start --model rs --ttft-ms 1 --itl-ms 0.1 --reasoning-tokens 2 --tool-call-tokens 3
run tool
sim_stop
grep -Eq "^Responses with a tool call: +4 *$" "$tmp/tool.txt" || { echo "FAIL: block tool count"; cat "$tmp/tool.txt"; exit 1; }
/usr/bin/python3 - "$tmp/tool.json" $OUT <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))
c, out = res["servebench"]["channels"], int(sys.argv[2])
assert c["responses_with_tool_call"] == 4 and c["tool_call_messages"] == 4 * 3, c
assert c["reasoning_messages"] == 4 * 2 and c["answer_messages"] == 4 * (out - 5), c
assert res["total_output_tokens"] == 4 * out, res["total_output_tokens"]  # usage counts tool tokens
PY

sim_start --model rs --ttft-ms 1 --itl-ms 0.1
run plain
sim_stop
! grep -q "Reasoning and tool calls" "$tmp/plain.txt" || { echo "FAIL: section without reasoning"; exit 1; }
/usr/bin/python3 - "$tmp/plain.json" $OUT <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["servebench"]["channels"]
out = int(sys.argv[2])
assert c["responses_with_reasoning"] == 0 and c["reasoning_messages"] == 0, c
assert c["answer_messages"] == 4 * out and "time_to_first_reasoning" not in c, c
assert c["time_to_first_answer"]["n"] == 4, c
PY
echo "reasoning_sim: ok"
