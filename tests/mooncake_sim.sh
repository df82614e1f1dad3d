#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mooncake_sim.sh - `servebench serve --dataset-name mooncake` end to end
# against a real `servebench sim` (--record is the server's truth): every
# request succeeds with exactly input_length prompt tokens at the server,
# requests that share a hash id share those tokens (a partial last block is
# the start of its full block), the prefix-shared fraction in the block and
# under "servebench"."trace" equals the one computed here from the trace,
# --mooncake-slowdown-factor stretches the replay (a lower bound only: no
# timing upper bounds under load), --mooncake-num-rounds sends each row as
# growing rounds, bad rows are skipped and counted with file:line reasons,
# and --strict / --mooncake-workload / a backend without ids or text are refused
# clearly; with openai-chat each prompt is its ids' text as one user message.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
tok="$SB_TEST_DATA/tokenizers/gpt2"
trace="$SB_TEST_DATA/datasets/mooncake_small.jsonl"
common=(--backend vllm --model mc --tokenizer "$tok" --dataset-name mooncake
        --mooncake-block-size 16 --ignore-eos --request-id-prefix mc-)

sim_start --model mc --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.1 --record "$tmp/truth.jsonl"
"$SB_BIN" dataset stats "${common[@]}" --dataset-path "$trace" --export "$tmp/ds.jsonl" > /dev/null 2>&1
"$SB_BIN" serve "${common[@]}" --dataset-path "$trace" --base-url "$url" \
    --mooncake-slowdown-factor 2 --save-result --save-detailed --result-dir "$tmp" \
    --result-filename r.json > "$tmp/out.txt" 2>&1 || { echo "FAIL: serve"; cat "$tmp/out.txt"; exit 1; }
grep -q "^Self timing is set" "$tmp/out.txt" || { echo "FAIL: not self-timed"; cat "$tmp/out.txt"; exit 1; }
grep -Eq "^Successful requests: +6 *$" "$tmp/out.txt" || { echo "FAIL: not 6"; cat "$tmp/out.txt"; exit 1; }
grep -q "Trace prefix sharing" "$tmp/out.txt" || { echo "FAIL: no sharing section"; cat "$tmp/out.txt"; exit 1; }
sim_stop

/usr/bin/python3 - "$trace" "$tmp/ds.jsonl" "$tmp/truth.jsonl" "$tmp/r.json" "$tmp/out.txt" <<'PY'
import json, sys, re
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ds = [json.loads(l) for l in open(sys.argv[2])]
truth = {r["request_id"]: r for r in map(json.loads, open(sys.argv[3])) if r["request_id"]}
res = json.load(open(sys.argv[4]))
out = open(sys.argv[5]).read()
B = 16
assert len(ds) == len(rows) == 6
seen, blocks, shared, total = {}, {}, 0, 0
for i, (row, d) in enumerate(zip(rows, ds)):
    t = truth[f"mc-{i}"]
    assert t["outcome"] == "ok", t
    assert t["prompt_tokens"] == row["input_length"] == d["prompt_len"] == len(d["prompt"]), (i, t)
    assert t["max_tokens"] == row["output_length"] == t["output_tokens"], (i, t)
    for k, h in enumerate(row["hash_ids"]):
        part = d["prompt"][k * B:(k + 1) * B]
        if not part:
            break
        full = blocks.setdefault(h, part)
        if len(part) > len(full):
            full, blocks[h] = part, part
        assert full[:len(part)] == part, f"row {i} block {h} differs from its earlier tokens"
        shared += min(len(part), seen.get(h, 0))
        seen[h] = max(seen.get(h, 0), len(part))
        total += len(part)
tr = res["servebench"]["trace"]
assert tr["prompt_tokens"] == total and tr["shared_prompt_tokens"] == shared, (tr, total, shared)
assert abs(tr["prefix_shared_fraction"] - shared / total) < 1e-12
# completions text deltas are answer messages (one token per message from the sim)
assert res["servebench"]["channels"]["answer_messages"] == sum(r["output_length"] for r in rows)
assert tr["rows"] == 6 and tr["rows_skipped"] == 0, tr
m = re.search(r"Prefix-shared fraction \(%\): +([0-9.]+)", out)
assert m and abs(float(m.group(1)) - 100 * shared / total) < 0.006, m
# timestamps: (ts - first) / 1000 x 2; the last row is 0.8 s in
assert res["duration"] >= 0.8, res["duration"]
print(f"mooncake_sim: 6 requests, {shared}/{total} prompt tokens shared")
PY

# rounds: 2 rows x 3 rounds; round r resends round r-1's prompt + a reply of output_length
printf '%s\n' '{"timestamp": 0, "input_length": 20, "output_length": 3, "hash_ids": [7, 8]}' \
    '{"timestamp": 10, "input_length": 9, "output_length": 2, "hash_ids": [7]}' > "$tmp/r.jsonl"
"$SB_BIN" dataset stats "${common[@]}" --dataset-path "$tmp/r.jsonl" --mooncake-num-rounds 3 \
    --export "$tmp/rounds.jsonl" > /dev/null 2>&1
/usr/bin/python3 - "$tmp/rounds.jsonl" <<'PY'
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
assert [x["prompt_len"] for x in d] == [20, 43, 66, 9, 20, 31], [x["prompt_len"] for x in d]
for base in (0, 3):
    u = d[base]["prompt"]
    for r in (1, 2):
        p, prev = d[base + r]["prompt"], d[base + r - 1]["prompt"]
        assert p[:len(prev)] == prev and p[-len(u):] == u
assert d[3]["prompt"] == d[0]["prompt"][:9]
PY

# the general (jansson) path reads the same rows as the fast scanner: extra keys, other key
# order, real timestamps, escapes and spacing all give the same prompts and sharing
/usr/bin/python3 - "$trace" > "$tmp/slow.jsonl" <<'PY'
import json, sys
for i, l in enumerate(open(sys.argv[1])):
    r = json.loads(l)
    o = {"hash_ids": r["hash_ids"], "note": "x\u00e9", "output_length": r["output_length"],
         "input_length": r["input_length"], "timestamp": float(r["timestamp"])}
    print(json.dumps(o, indent=None, separators=(" , ", " : ")) if i % 2 else json.dumps(o))
PY
"$SB_BIN" dataset stats "${common[@]}" --dataset-path "$tmp/slow.jsonl" --export "$tmp/slow_ds.jsonl" > "$tmp/slow_stats.txt" 2>&1
cmp <(/usr/bin/python3 -c 'import json,sys; [print(json.loads(l)["prompt"]) for l in open(sys.argv[1])]' "$tmp/ds.jsonl") \
    <(/usr/bin/python3 -c 'import json,sys; [print(json.loads(l)["prompt"]) for l in open(sys.argv[1])]' "$tmp/slow_ds.jsonl") ||
    { echo "FAIL: the general path built other prompts"; exit 1; }
grep -q "^Prefix-shared tokens: *109 of 209 " "$tmp/slow_stats.txt" || { echo "FAIL: stats sharing"; cat "$tmp/slow_stats.txt"; exit 1; }

# bad rows: skipped, counted, named by file:line; --strict stops at the first
{ cat "$trace"; echo; echo '{"timestamp": 1500, "input_length": 10, "output_length": 2, "hash_ids": [1, "x"]}'
  echo '{"timestamp": 1600, "output_length": 2, "hash_ids": [1]}'
  echo '{"timestamp": 1700, "input_length": 40, "output_length": 2, "hash_ids": [1]}'
  echo 'not json'; } > "$tmp/bad.jsonl"
sim_start --model mc --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.1
"$SB_BIN" serve "${common[@]}" --dataset-path "$tmp/bad.jsonl" --base-url "$url" --no-self-timed \
    --save-result --result-dir "$tmp" --result-filename bad.json > "$tmp/bad.txt" 2>&1 ||
    { echo "FAIL: serve with bad rows"; cat "$tmp/bad.txt"; exit 1; }
grep -q "skipped 5 bad row(s) of $tmp/bad.jsonl" "$tmp/bad.txt" || { echo "FAIL: skip count"; cat "$tmp/bad.txt"; exit 1; }
grep -q "bad.jsonl:7: empty line" "$tmp/bad.txt" || { echo "FAIL: empty line reason"; cat "$tmp/bad.txt"; exit 1; }
grep -q 'bad.jsonl:8: "hash_ids"\[1\] is not an integer' "$tmp/bad.txt" || { echo "FAIL: hash id reason"; exit 1; }
grep -q 'bad.jsonl:9: no "input_length" field' "$tmp/bad.txt" || { echo "FAIL: missing field reason"; exit 1; }
grep -Eq "^Trace rows skipped \(bad\): +5 *$" "$tmp/bad.txt" || { echo "FAIL: block skip count"; exit 1; }
/usr/bin/python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["servebench"]["trace"]; assert t["rows_skipped"]==5 and t["rows"]==6, t' "$tmp/bad.json"
if "$SB_BIN" serve "${common[@]}" --dataset-path "$tmp/bad.jsonl" --base-url "$url" --strict > "$tmp/s.txt" 2>&1; then
    echo "FAIL: --strict accepted a bad trace"; exit 1
fi
grep -q "bad.jsonl:7: empty line (--strict)" "$tmp/s.txt" || { echo "FAIL: strict message"; cat "$tmp/s.txt"; exit 1; }
# a chat-only server (tests/third_party.sh): each prompt is its ids' decoded
# text, one user message; a backend that sends neither ids nor text is refused
sim_stop
sim_start --model mc --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.1 --record "$tmp/chat.jsonl" \
    --record-messages
chat=("${common[@]/vllm/openai-chat}" --endpoint /v1/chat/completions --dataset-path "$trace")
"$SB_BIN" serve "${chat[@]}" --base-url "$url" --no-self-timed > "$tmp/c.txt" 2>&1 ||
    { echo "FAIL: chat"; cat "$tmp/c.txt"; exit 1; }
grep -Eq "^Successful requests: +6 *$" "$tmp/c.txt" || { echo "FAIL: chat not 6"; cat "$tmp/c.txt"; exit 1; }
sim_stop
"$SB_BIN" dataset stats "${chat[@]}" --export "$tmp/chat_ds.jsonl" > /dev/null 2>&1
/usr/bin/python3 - "$tmp/chat.jsonl" "$tmp/chat_ds.jsonl" "$tmp/ds.jsonl" <<'PY'
import json, sys
rec = {r["request_id"]: r for r in map(json.loads, open(sys.argv[1]))}
text = [json.loads(l)["prompt"] for l in open(sys.argv[2])]
ids = [json.loads(l)["prompt"] for l in open(sys.argv[3])]
assert len(rec) == len(text) == len(ids) == 6, (len(rec), len(text))
for i, t in enumerate(text):
    assert isinstance(t, str) and t and isinstance(ids[i], list), (i, t)
    m = rec[f"mc-{i}"]["messages"]
    c = m[0]["content"]
    assert len(m) == 1 and m[0]["role"] == "user", m
    assert (c if isinstance(c, str) else "".join(p["text"] for p in c)) == t, (i, c, t)
assert text[0].startswith(text[2]) and text[3].startswith(text[0]), "equal ids, equal text"
PY
sim_start --model mc --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.1
if "$SB_BIN" serve "${common[@]/vllm/openai-embeddings}" --endpoint /v1/embeddings \
    --dataset-path "$trace" --base-url "$url" > "$tmp/e.txt" 2>&1; then echo "FAIL: embeddings accepted"; exit 1; fi
grep -q "their text to openai-chat or openai-responses (got openai-embeddings)" "$tmp/e.txt" ||
    { echo "FAIL: backend message"; cat "$tmp/e.txt"; exit 1; }
if "$SB_BIN" serve "${common[@]}" --base-url "$url" --mooncake-workload toolagent > "$tmp/w.txt" 2>&1; then
    echo "FAIL: --mooncake-workload accepted"; exit 1; fi
grep -q "mooncake-workload is not supported yet (.*pass it with --dataset-path)" "$tmp/w.txt" || { echo "FAIL: workload message"; cat "$tmp/w.txt"; exit 1; }
if "$SB_BIN" serve --backend vllm --model mc --tokenizer "$tok" --base-url "$url" --strict > "$tmp/x.txt" 2>&1; then
    echo "FAIL: --strict accepted for random"; exit 1; fi
grep -q "strict is not supported yet" "$tmp/x.txt" || { echo "FAIL: strict/random message"; cat "$tmp/x.txt"; exit 1; }
echo "mooncake_sim: ok"
