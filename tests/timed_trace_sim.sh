#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# timed_trace_sim.sh - `servebench serve --dataset-name timed_trace` end to
# end against a real `servebench sim` (with --record ground truth): every
# request succeeds, the server counts exactly the token ids the dataset built
# (prompt_tokens = prompt_len of the same request in `dataset stats
# --export`), max_tokens = output_length, ignore_eos is forced (the sim then
# emits max_tokens), the run says it is self-timed, the result file's
# input_lens match, --no-self-timed falls back to the request rate, and
# --backend openai-chat is refused with a message.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
tok="$SB_TEST_DATA/tokenizers/gpt2"
trace="$SB_TEST_DATA/datasets/timed_trace_small.jsonl"

# start_sim [ARGS...]: a fast simulator counting prompts with the tokenizer; sets $url.
start_sim() { sim_start --model tt --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.1 "$@"; }
stop_sim() { sim_stop; } # flushes --record

start_sim --record "$tmp/truth.jsonl"
common=(--backend vllm --model tt --tokenizer "$tok" --dataset-name timed_trace
        --dataset-path "$trace" --num-prompts 6 --timed-trace-hash-seed 7
        --timed-trace-sec-multiplier 0.1 --request-id-prefix tt-)
"$SB_BIN" dataset stats "${common[@]}" --export "$tmp/ds.jsonl" > /dev/null 2>&1
"$SB_BIN" serve "${common[@]}" --base-url "$url" --save-result --save-detailed --result-dir "$tmp" \
    --result-filename r.json > "$tmp/out.txt" 2>&1 || { echo "FAIL: serve"; cat "$tmp/out.txt"; exit 1; }
grep -q "^Self timing is set, using the timestamps from the trace file\.$" "$tmp/out.txt" ||
    { echo "FAIL: no self-timing line"; cat "$tmp/out.txt"; exit 1; }
! grep -q "^Traffic request rate" "$tmp/out.txt" || { echo "FAIL: rate line when self-timed"; exit 1; }
grep -Eq "^Successful requests: +6 *$" "$tmp/out.txt" || { echo "FAIL: not 6 successes"; cat "$tmp/out.txt"; exit 1; }
stop_sim

/usr/bin/python3 - "$tmp/ds.jsonl" "$tmp/truth.jsonl" "$tmp/r.json" <<'PY'
import json, sys
ds = [json.loads(l) for l in open(sys.argv[1])]
truth = {r["request_id"]: r for r in map(json.loads, open(sys.argv[2])) if r["request_id"]}
res = json.load(open(sys.argv[3]))
assert len(ds) == 6, len(ds)
for i, d in enumerate(ds):
    t = truth.get(f"tt-{i}")
    assert t is not None, f"request tt-{i} never reached the server"
    assert t["outcome"] == "ok", t
    assert t["prompt_tokens"] == d["prompt_len"] == len(d["prompt"]), (i, t["prompt_tokens"], d["prompt_len"])
    assert t["max_tokens"] == d["output_tokens"], (i, t["max_tokens"], d["output_tokens"])
    assert t["output_tokens"] == t["max_tokens"], f"tt-{i}: ignore_eos not sent"
assert res["input_lens"] == [d["prompt_len"] for d in ds], res["input_lens"]
assert res["total_input_tokens"] == sum(d["prompt_len"] for d in ds)
print("timed_trace_sim: 6 requests; server prompt_tokens", [truth[f"tt-{i}"]["prompt_tokens"] for i in range(6)])
PY

start_sim
"$SB_BIN" serve "${common[@]}" --base-url "$url" --no-self-timed --request-rate 100 > "$tmp/out2.txt" 2>&1 ||
    { echo "FAIL: --no-self-timed"; cat "$tmp/out2.txt"; exit 1; }
grep -q "^Traffic request rate: 100.0$" "$tmp/out2.txt" || { echo "FAIL: no rate line"; cat "$tmp/out2.txt"; exit 1; }
grep -Eq "^Successful requests: +6 *$" "$tmp/out2.txt" || { echo "FAIL: --no-self-timed run"; exit 1; }

if "$SB_BIN" serve "${common[@]/vllm/openai-chat}" --base-url "$url" --endpoint /v1/chat/completions > "$tmp/out3.txt" 2>&1; then
    echo "FAIL: openai-chat accepted"; exit 1
fi
grep -q "use --backend vllm or openai" "$tmp/out3.txt" || { echo "FAIL: message"; cat "$tmp/out3.txt"; exit 1; }
echo "timed_trace_sim: ok"
