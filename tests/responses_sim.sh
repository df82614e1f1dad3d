#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# responses_sim.sh - `--backend openai-responses` (POST /v1/responses, typed SSE
# events) end to end against a real `servebench sim` (--record is its truth):
# the body is OpenAI's (model, input, max_output_tokens, stream), every request
# succeeds with the server's usage as output tokens, output-text deltas are the
# answer text (reasoning and tool-argument deltas are not), the channels count
# 2 reasoning, OUT-5 answer and 3 tool-call events per request, and a chat URL
# is refused with the reference-style URL message.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
tok="$SB_TEST_DATA/tokenizers/gpt2"
OUT=10
sim_start --model rp --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.2 --reasoning-tokens 2 \
    --tool-call-tokens 3 --record "$tmp/truth.jsonl"
args=(--backend openai-responses --endpoint /v1/responses --model rp --tokenizer "$tok"
      --base-url "$url" --dataset-name random --random-input-len 20 --random-output-len $OUT
      --num-prompts 5 --ignore-eos --request-id-prefix rp-)
"$SB_BIN" serve "${args[@]}" --save-result --save-detailed --result-dir "$tmp" --result-filename r.json \
    > "$tmp/out.txt" 2>&1 || { echo "FAIL: serve"; cat "$tmp/out.txt"; exit 1; }
grep -Eq "^Successful requests: +5 *$" "$tmp/out.txt" || { echo "FAIL: not 5"; cat "$tmp/out.txt"; exit 1; }
sim_stop
/usr/bin/python3 - "$tmp/r.json" "$tmp/truth.jsonl" $OUT <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))
truth = {r["request_id"]: r for r in map(json.loads, open(sys.argv[2])) if r["request_id"]}
out = int(sys.argv[3])
assert len(truth) == 5 and all(t["outcome"] == "ok" for t in truth.values()), truth
for i in range(5):
    t = truth[f"rp-{i}"]
    assert t["api"] == "responses" and t["max_tokens"] == out == t["output_tokens"], t
    assert res["input_lens"][i] == t["prompt_tokens"], (res["input_lens"][i], t)
assert res["output_lens"] == [out] * 5, res["output_lens"]
# answer text: the output-text deltas only (the sim's words each start with a space)
assert all(len(g.split()) == out - 5 for g in res["generated_texts"]), res["generated_texts"]
c = res["servebench"]["channels"]
assert c["reasoning_messages"] == 10 and c["answer_messages"] == 5 * (out - 5), c
assert c["tool_call_messages"] == 15 and c["responses_with_tool_call"] == 5, c
assert c["time_to_first_answer"]["mean_ms"] >= c["time_to_first_reasoning"]["mean_ms"], c
PY
if "$SB_BIN" serve "${args[@]/\/v1\/responses//v1/chat/completions}" > "$tmp/u.txt" 2>&1; then
    echo "FAIL: chat URL accepted"; exit 1; fi
grep -q "OpenAI Responses API URL must end with" "$tmp/u.txt" || { echo "FAIL: URL message"; cat "$tmp/u.txt"; exit 1; }
echo "responses_sim: ok"
