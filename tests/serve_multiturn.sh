#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_multiturn.sh - `servebench serve --multi-turn` end to end against a
# real `servebench sim` whose --record --record-messages lines are the
# server's truth: turn k of every conversation carries exactly the system
# prompt, the user turns 1..k and the replies the client streamed for turns
# 1..k-1 (not the dataset's), with max tokens = the dataset's reply length;
# --max-active-conversations bounds the conversations in progress; per-turn
# counts in the JSON match the server's; with faults injected a failed turn
# ends its conversation (no later turn reaches the server) and is counted;
# a conversation with no user turn is skipped and named with file:line, and
# --strict makes it fatal; custom "messages" rows work the same way; flags
# that need --multi-turn, or a backend without chat messages, are refused.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
tok="$SB_TEST_DATA/tokenizers/gpt2"
C=(--backend openai-chat --endpoint /v1/chat/completions --model m --tokenizer "$tok"
   --request-id-prefix mt- --seed 1)

# 8 good conversations of 1..4 turns (some with a system prompt), one with no
# user turn; replies of 4..7 words (the reference keeps replies of >= 4 tokens) ("reply" is one GPT-2 token, " reply" too).
/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
convs = []
for i in range(8):
    t = []
    if i % 2 == 0:
        t.append({"from": "system", "value": f"You are assistant {i}."})
    for k in range(1 + i % 4):
        t.append({"from": "human", "value": f"conv {i} turn {k}: what is the weather in town {k}?"})
        t.append({"from": "gpt", "value": " ".join(["reply"] * (4 + k))})
    convs.append({"id": f"c{i}", "conversations": t})
convs.insert(3, {"id": "bad", "conversations": [{"from": "gpt", "value": "hello"},
                                                  {"from": "gpt", "value": "no user at all"}]})
with open(f"{sys.argv[1]}/conv.json", "w") as f:
    json.dump(convs, f, indent=1)
lines = open(f"{sys.argv[1]}/conv.json").read().split("\n")
bad = next(n for n, l in enumerate(lines) if '"id": "bad"' in l)  # 0-based: the "{" is above
open(f"{sys.argv[1]}/badline", "w").write(str(bad))
with open(f"{sys.argv[1]}/conv.jsonl", "w") as f:
    for i in range(3):
        m = [{"role": "system", "content": "Be brief."}] if i == 0 else []
        for k in range(2):
            m += [{"role": "user", "content": f"custom {i} q{k}"},
                  {"role": "assistant", "content": "reply reply"}]
        f.write(json.dumps({"messages": m}) + "\n")
    f.write(json.dumps({"messages": [{"role": "assistant", "content": "x"}]}) + "\n")
PY
badline=$(cat "$tmp/badline")

check() { # check NAME TRUTH RESULT MAX_ACTIVE: the history, counts and bounds
    /usr/bin/python3 - "$tmp/conv.json" "$2" "$3" "$4" "$1" <<'PY'
import json, sys
convs = {c["id"]: c["conversations"] for c in json.load(open(sys.argv[1]))}
truth = [json.loads(l) for l in open(sys.argv[2])]
res = json.load(open(sys.argv[3]))
max_active, name = int(sys.argv[4]), sys.argv[5]
mt = res["servebench"]["multi_turn"]
# the client's records, in record-index order, with the streamed text
texts = res["generated_texts"]
idx = sorted(int(t["request_id"].split("-")[1]) for t in truth)
reply = {i: texts[k] for k, i in enumerate(idx)}
role = {"human": "user", "gpt": "assistant", "system": "system"}
by_conv = {}
for t in truth:
    first_user = next(m["content"] for m in t["messages"] if m["role"] == "user")
    cid = "c" + first_user.split()[1]
    by_conv.setdefault(cid, []).append(t)
assert len(truth) == len(res["generated_texts"]), (len(truth), len(texts))
per_turn_sent, per_turn_ok = {}, {}
failed = 0
for cid, ts in by_conv.items():
    ts.sort(key=lambda t: t["arrival_ns"])
    want = [dict(role=role[m["from"]], content=m["value"]) for m in convs[cid]]
    hist = [m for m in want if m["role"] == "system"]
    users = [(n, m) for n, m in enumerate(want) if m["role"] == "user"]
    for k, t in enumerate(ts):
        n, u = users[k]
        hist.append(u)
        assert t["messages"] == hist, (name, cid, k, t["messages"], hist)
        ds_reply = want[n + 1]["content"]
        assert t["max_tokens"] == len(ds_reply.split()), (cid, k, t["max_tokens"])
        i = int(t["request_id"].split("-")[1])
        per_turn_sent[k] = per_turn_sent.get(k, 0) + 1
        if t["outcome"] != "ok":
            assert k == len(ts) - 1, f"{cid}: a turn followed the failed turn {k}"
            failed += 1
            break
        per_turn_ok[k] = per_turn_ok.get(k, 0) + 1
        assert reply[i] and reply[i] != ds_reply, (cid, k, reply[i])
        hist.append({"role": "assistant", "content": reply[i]})
    else:
        assert len(ts) == len(users), (name, cid, len(ts), len(users))
assert mt["failed"] == failed and mt["completed"] == len(by_conv) - failed, (mt, failed)
assert mt["skipped"] == 1 and mt["conversations"] == 8, mt
for p in mt["per_turn"]:
    k = p["turn"] - 1
    assert p["requests"] == per_turn_sent.get(k, 0) and p["completed"] == per_turn_ok.get(k, 0), p
# conversations in progress at the server: [first arrival, last end] never
# overlap more than --max-active-conversations
ev = []
for ts in by_conv.values():
    ev += [(min(t["arrival_ns"] for t in ts), 1), (max(t["end_ns"] for t in ts), -1)]
cur = peak = 0
for _, d in sorted(ev, key=lambda e: (e[0], e[1])):
    cur += d
    peak = max(peak, cur)
assert 1 <= peak <= max_active, (name, peak, max_active)
assert res["completed"] == sum(per_turn_ok.values()), res["completed"]
# --session-header x-session-id (plain run only): one id per conversation
sids = {cid: {t.get("session_id") for t in ts} for cid, ts in by_conv.items()}
if name == "plain":
    assert all(len(v) == 1 and None not in v for v in sids.values()), sids
    assert len({next(iter(v)) for v in sids.values()}) == len(sids), sids
else:
    assert all(v == {None} for v in sids.values()), sids
print(f"{name}: {len(truth)} turns, {failed} failed turns, peak {peak} active conversations")
PY
}

sim_start --model m --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.2 --record "$tmp/truth.jsonl" \
    --record-messages
"$SB_BIN" serve "${C[@]}" --base-url "$url" --dataset-name sharegpt --dataset-path "$tmp/conv.json" \
    --num-prompts 8 --multi-turn --max-active-conversations 2 --session-header x-session-id \
    --save-result --save-detailed --result-dir "$tmp" --result-filename r.json \
    > "$tmp/out.txt" 2>&1 || { echo "FAIL: serve"; cat "$tmp/out.txt"; exit 1; }
sim_stop
grep -q "conv.json:$badline: conversation skipped: no user turn" "$tmp/out.txt" ||
    { echo "FAIL: the bad conversation is not named at line $badline"; cat "$tmp/out.txt"; exit 1; }
grep -q "Multi-turn sessions" "$tmp/out.txt" || { echo "FAIL: no block section"; exit 1; }
check plain "$tmp/truth.jsonl" "$tmp/r.json" 2

# faults: about a third of the requests fail (HTTP 500); their conversations stop there
sim_start --model m --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.2 --record "$tmp/truth2.jsonl" \
    --record-messages --fail-rate 0.35 --seed 3
"$SB_BIN" serve "${C[@]}" --base-url "$url" --dataset-name sharegpt --dataset-path "$tmp/conv.json" \
    --num-prompts 8 --multi-turn --max-active-conversations 3 --multi-turn-rate turns \
    --request-rate 500 --save-result --save-detailed --result-dir "$tmp" --result-filename r2.json \
    > "$tmp/out2.txt" 2>&1 || { echo "FAIL: serve with faults"; cat "$tmp/out2.txt"; exit 1; }
sim_stop
check faults "$tmp/truth2.jsonl" "$tmp/r2.json" 3
/usr/bin/python3 -c "
import json, sys
mt = json.load(open('$tmp/r2.json'))['servebench']['multi_turn']
assert mt['failed'] >= 1 and mt['failed_by_reason'] == {'http_status': mt['failed']}, mt
assert mt['rate_counts'] == 'turns', mt
" || { echo "FAIL: no failed conversation accounted for"; cat "$tmp/out2.txt"; exit 1; }
grep -Eq "^  ended by a failed turn: +[1-9]" "$tmp/out2.txt" ||
    { echo "FAIL: failed conversations not in the block"; cat "$tmp/out2.txt"; exit 1; }

# --strict: the bad conversation stops the load, named by file and line
if "$SB_BIN" serve "${C[@]}" --base-url http://127.0.0.1:9 --dataset-name sharegpt \
    --dataset-path "$tmp/conv.json" --num-prompts 8 --multi-turn --strict > "$tmp/s.txt" 2>&1; then
    echo "FAIL: --strict accepted a bad conversation"; exit 1
fi
grep -q "conv.json:$badline: bad conversation: no user turn (--strict)" "$tmp/s.txt" ||
    { echo "FAIL: --strict message"; cat "$tmp/s.txt"; exit 1; }

# custom "messages" rows: 3 conversations of 2 turns, one bad row (line 4)
sim_start --model m --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.2 --record "$tmp/truth3.jsonl" \
    --record-messages
"$SB_BIN" serve "${C[@]}" --tokenizer "$SB_TEST_DATA/datasets/gpt2chat" --base-url "$url" \
    --dataset-name custom --dataset-path "$tmp/conv.jsonl" --num-prompts 3 --multi-turn \
    --think-time 0.01 --think-time-distribution exponential > "$tmp/out3.txt" 2>&1 ||
    { echo "FAIL: custom serve"; cat "$tmp/out3.txt"; exit 1; }
sim_stop
grep -q "conv.jsonl:4: conversation skipped: no user turn" "$tmp/out3.txt" ||
    { echo "FAIL: custom bad row"; cat "$tmp/out3.txt"; exit 1; }
grep -Eq "^Successful requests: +6 *$" "$tmp/out3.txt" || { echo "FAIL: custom: not 6"; cat "$tmp/out3.txt"; exit 1; }
/usr/bin/python3 - "$tmp/truth3.jsonl" <<'PY'
import json, sys
t = [json.loads(l) for l in open(sys.argv[1])]
second = [r for r in t if len(r["messages"]) >= 3]
assert len(t) == 6 and len(second) == 3, t
for r in second:
    assert [m["role"] for m in r["messages"]][-3:] == ["user", "assistant", "user"], r
    assert r["messages"][-2]["content"] != "reply reply", r  # the server's own reply
PY

# refusals: session flags without --multi-turn, a backend without chat messages
expect_usage() {
    local want=$1
    shift
    set +e
    "$SB_BIN" serve "$@" > "$tmp/u.txt" 2>&1
    local rc=$?
    set -e
    [ "$rc" -eq 2 ] && grep -q -- "$want" "$tmp/u.txt" ||
        { echo "FAIL: expected exit 2 with '$want' (got $rc)"; cat "$tmp/u.txt"; exit 1; }
}
expect_usage "--max-active-conversations applies to --multi-turn runs only" \
    "${C[@]}" --dataset-name sharegpt --dataset-path "$tmp/conv.json" --max-active-conversations 2
expect_usage "use --backend openai-chat" --model m --tokenizer "$tok" --dataset-name sharegpt \
    --dataset-path "$tmp/conv.json" --multi-turn
expect_usage "needs conversations" "${C[@]}" --dataset-name random --multi-turn
echo "serve_multiturn: ok"
