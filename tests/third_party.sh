#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# third_party.sh - `servebench serve` against a third-party OpenAI-compatible
# server, not ours: aimock (CopilotKit's @copilotkit/aimock, pinned in
# tests/third_party/package.json, installed by scripts/install-deps.sh), which
# streams chat completions as SSE with a final usage chunk, streams tool calls,
# echoes x-request-id and keeps a journal of every request body it received
# (GET /__aimock/journal). The journal is the server's truth:
#  - multi-turn ShareGPT (--multi-turn): every turn servebench sent reached the
#    server and is counted (completed + failed = sent); turn k carries the
#    system prompt, user turns 1..k and the server's own replies to 1..k-1;
#    the turn the server drops (HTTP 500) and the one it disconnects are failed
#    and end their conversations; per-turn counts match the journal's;
#  - a Mooncake trace over chat (the server has no completions API): each row
#    is one user message, the text of the trace's token ids, so rows whose ids
#    extend another row's start with that row's text;
#  - a tool-calling set (--extra-body tools): every response is a tool call,
#    counted as such, with the server's tool-call chunk count;
#  - every reported input and output length equals the usage the server
#    reports for that same request body, replayed to it after the run.
# No timing is asserted.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
. "$SB_SOURCE_DIR/tests/skip.sh"
cli="$SB_SOURCE_DIR/tests/third_party/node_modules/@copilotkit/aimock/dist/cli.js"
# aimock needs Node.js >= 20.15: the machine's, or the npm package
# scripts/install-deps.sh adds where the machine's is older (Debian 12's 18)
node=node
for n in "$SB_SOURCE_DIR"/tests/third_party/node_modules/node-linux-*/bin/node; do
    [ -x "$n" ] && node=$n
done
command -v "$node" > /dev/null || sb_skip "node not installed (scripts/install-deps.sh)"
"$node" -e 'const [a, b] = process.versions.node.split(".").map(Number);
            process.exit(a > 20 || (a == 20 && b >= 15) ? 0 : 1)' ||
    sb_skip "aimock needs Node.js >= 20.15 (have $("$node" --version); scripts/install-deps.sh)"
[ -f "$cli" ] || sb_skip "aimock not installed: (cd tests/third_party && npm install)"
tmp=$(mktemp -d)
apid=
trap '[ -n "$apid" ] && kill "$apid" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
tok="$SB_TEST_DATA/tokenizers/gpt2"
trace="$SB_TEST_DATA/datasets/mooncake_small.jsonl"
C=(--backend openai-chat --endpoint /v1/chat/completions --model m --tokenizer "$tok" --seed 1
   --save-result --save-detailed --result-dir "$tmp")

# Fixtures, first match wins: conversation 2's second turn is dropped with a
# 500, conversation 4's second turn has its connection destroyed, requests
# offering get_weather get a tool call, everything else one fixed reply.
cat > "$tmp/fixtures.json" <<'EOF'
{"fixtures": [
  {"match": {"userMessage": "conv 2 turn 1:"}, "response": {"content": "never sent"},
   "chaos": {"dropRate": 1}},
  {"match": {"userMessage": "conv 4 turn 1:"}, "response": {"content": "never sent"},
   "chaos": {"disconnectRate": 1}},
  {"match": {"toolName": "get_weather"},
   "response": {"toolCalls": [{"name": "get_weather",
                               "arguments": {"location": "Paris", "unit": "celsius"}}]}},
  {"match": {}, "response": {"content": "The quick brown fox jumps over the lazy dog."}}
]}
EOF
"$node" "$cli" -p 0 -h 127.0.0.1 -f "$tmp/fixtures.json" -c 8 --journal-max 0 > "$tmp/aimock.out" 2>&1 &
apid=$!
url=
for _ in $(seq 1200); do # start-up under load: up to a minute
    url=$(sed -n 's/.*listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$tmp/aimock.out")
    [ -n "$url" ] && break
    kill -0 "$apid" 2>/dev/null || break
    sleep 0.05
done
[ -n "$url" ] || { echo "FAIL: aimock did not start"; cat "$tmp/aimock.out"; exit 1; }

# 7 conversations of 1..3 turns, a system prompt in every other one
/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
convs = []
for i in range(7):
    t = [{"from": "system", "value": f"You are assistant {i}."}] if i % 2 == 0 else []
    for k in range(1 + i % 3):
        t += [{"from": "human", "value": f"conv {i} turn {k}: what is the weather in town {k}?"},
              {"from": "gpt", "value": " ".join(["reply"] * (4 + k))}]
    convs.append({"id": f"c{i}", "conversations": t})
json.dump(convs, open(f"{sys.argv[1]}/conv.json", "w"), indent=1)
PY

run() { # run NAME ARGS...: one serve run, its output in $tmp/NAME.txt
    local name=$1
    shift
    "$SB_BIN" serve "${C[@]}" --base-url "$url" --request-id-prefix "tp-$name-" \
        --result-filename "$name.json" "$@" > "$tmp/$name.txt" 2>&1 ||
        { echo "FAIL: serve $name"; cat "$tmp/$name.txt"; exit 1; }
}
run mt --dataset-name sharegpt --dataset-path "$tmp/conv.json" --num-prompts 7 --multi-turn \
    --max-active-conversations 3
run mc --dataset-name mooncake --dataset-path "$trace" --mooncake-block-size 16 \
    --mooncake-slowdown-factor 0.01
run tool --dataset-name random --random-input-len 16 --random-output-len 8 --num-prompts 8 \
    --extra-body '{"tools": [{"type": "function", "function": {"name": "get_weather",
                   "description": "Current weather in a town", "parameters": {"type": "object",
                   "properties": {"location": {"type": "string"}}, "required": ["location"]}}}],
                   "tool_choice": "auto"}'
# the prompts the mooncake run sent, as servebench builds them
"$SB_BIN" dataset stats "${C[@]:0:10}" --dataset-name mooncake --dataset-path "$trace" \
    --mooncake-block-size 16 --export "$tmp/mc_ds.jsonl" > /dev/null 2>&1 ||
    { echo "FAIL: mooncake export"; exit 1; }
grep -Eq "^Successful requests: +6 *$" "$tmp/mc.txt" || { echo "FAIL: mooncake"; cat "$tmp/mc.txt"; exit 1; }
grep -Eq "^Responses with a tool call: +8 *$" "$tmp/tool.txt" || { echo "FAIL: tools"; cat "$tmp/tool.txt"; exit 1; }
grep -q "Multi-turn sessions" "$tmp/mt.txt" || { echo "FAIL: no multi-turn section"; exit 1; }

/usr/bin/python3 - "$url" "$tmp" "$trace" <<'PY'
import json, sys, urllib.request
url, tmp, trace = sys.argv[1:]
REPLY = "The quick brown fox jumps over the lazy dog."

def get(path):
    with urllib.request.urlopen(url + path, timeout=60) as f:
        return json.load(f)

def replay(body):
    """The server's own usage and tool-call chunk count for this request body."""
    body = {k: v for k, v in body.items() if not k.startswith("_")}
    body["stream"], body["stream_options"] = True, {"include_usage": True}
    req = urllib.request.Request(url + "/v1/chat/completions", json.dumps(body).encode(),
                                 {"content-type": "application/json"})
    usage, tool_chunks = None, 0
    with urllib.request.urlopen(req, timeout=60) as f:
        for line in f.read().decode().splitlines():
            if not line.startswith("data: {"):
                continue
            m = json.loads(line[6:])
            usage = m.get("usage") or usage
            tool_chunks += sum(1 for c in m["choices"] if c["delta"].get("tool_calls"))
    return usage, tool_chunks

journal = get("/__aimock/journal")
def sent(name):
    """name's requests at the server, by servebench's record index: records
    are in request-id order, and multi-turn numbers every turn of the
    dataset, so the turns never sent leave gaps in the ids."""
    pre = f"tp-{name}-"
    by_id = {}
    for e in journal:
        rid = e["headers"].get("x-request-id", "")
        if rid.startswith(pre):
            i = int(rid[len(pre):])
            assert i not in by_id, f"request id {rid} reached the server twice"
            by_id[i] = e
    return {k: by_id[i] for k, i in enumerate(sorted(by_id))}

def accounted(name, res, srv):
    n = res["completed"] + res["failed"]
    assert n == len(srv) == len(res["generated_texts"]) == len(res["input_lens"]), \
        (name, res["completed"], res["failed"], len(srv))
    assert sorted(srv) == list(range(n)), (name, sorted(srv))

def lengths(name, res, srv, ok):
    """Input and output lengths are the server's usage (servebench replaces a
    prompt_len by usage.prompt_tokens when reported: metrics/record.h)."""
    for i in ok:
        usage, chunks = replay(srv[i]["body"])
        assert res["input_lens"][i] == usage["prompt_tokens"], (name, i, res["input_lens"][i], usage)
        assert res["output_lens"][i] == usage["completion_tokens"], (name, i, res["output_lens"][i], usage)
    return chunks

# --- multi-turn ShareGPT
convs = {c["id"]: c["conversations"] for c in json.load(open(f"{tmp}/conv.json"))}
res = json.load(open(f"{tmp}/mt.json"))
srv = sent("mt")
accounted("mt", res, srv)
role = {"human": "user", "gpt": "assistant", "system": "system"}
by_conv = {}
for i, e in srv.items():
    first = next(m["content"] for m in e["body"]["messages"] if m["role"] == "user")
    by_conv.setdefault("c" + first.split()[1], []).append((len(e["body"]["messages"]), i, e))
fails = {"c2": 1, "c4": 1}  # the turn the fixtures break
ok, per_turn = [], {}
for cid, turns in convs.items():
    want = [dict(role=role[m["from"]], content=m["value"]) for m in turns]
    users = [m for m in want if m["role"] == "user"]
    got = sorted(by_conv.get(cid, []), key=lambda t: t[0])
    last = fails.get(cid, len(users) - 1)  # no turn after a failed one is sent
    assert len(got) == last + 1, (cid, len(got), last)
    hist = [m for m in want if m["role"] == "system"]
    for k, (_, i, e) in enumerate(got):
        hist.append(users[k])
        assert e["body"]["messages"] == hist, (cid, k, e["body"]["messages"], hist)
        assert e["body"]["stream"] is True, e["body"]
        per_turn.setdefault(k + 1, [0, 0])[0] += 1
        if cid in fails and k == fails[cid]:
            assert res["generated_texts"][i] == "", (cid, res["generated_texts"][i])
            continue
        per_turn[k + 1][1] += 1
        ok.append(i)
        assert res["generated_texts"][i] == REPLY, (cid, k, res["generated_texts"][i])
        hist.append({"role": "assistant", "content": REPLY})
assert res["failed"] == 2 and res["completed"] == len(ok), (res["completed"], res["failed"])
mt = res["servebench"]["multi_turn"]
assert mt["conversations"] == 7 and mt["completed"] == 5 and mt["failed"] == 2, mt
assert {p["turn"]: [p["requests"], p["completed"]] for p in mt["per_turn"] if p["requests"]} \
    == per_turn, (mt["per_turn"], per_turn)
lengths("mt", res, srv, ok)
ins = {p["turn"]: p["mean_input_len"] for p in mt["per_turn"]}
assert ins[1] < ins[2] < ins[3], ins  # the history grows, as the server counts it

# --- Mooncake trace over chat
rows = [json.loads(l) for l in open(trace) if l.strip()]
ds = [json.loads(l) for l in open(f"{tmp}/mc_ds.jsonl")]
res = json.load(open(f"{tmp}/mc.json"))
srv = sent("mc")
accounted("mc", res, srv)
assert res["completed"] == len(rows) == len(ds), (res["completed"], len(rows))
texts = []
for i, row in enumerate(rows):
    body = srv[i]["body"]
    msg = body["messages"]
    assert len(msg) == 1 and msg[0]["role"] == "user", msg
    c = msg[0]["content"]
    text = c if isinstance(c, str) else "".join(p["text"] for p in c)
    assert text == ds[i]["prompt"] and text, (i, text, ds[i]["prompt"])
    assert body["max_completion_tokens"] == row["output_length"], (i, body)
    texts.append(text)
B, extends = 16, 0
for i, a in enumerate(rows):  # row a's ids start row b's: a's text starts b's
    for j, b in enumerate(rows):
        n = -(-a["input_length"] // B)
        if i != j and a["input_length"] <= b["input_length"] and a["hash_ids"][:n] == b["hash_ids"][:n]:
            assert texts[j].startswith(texts[i].rstrip("\ufffd")), (i, j)
            extends += 1
assert extends >= 3, extends
lengths("mc", res, srv, range(len(rows)))

# --- tool calls
res = json.load(open(f"{tmp}/tool.json"))
srv = sent("tool")
accounted("tool", res, srv)
assert res["completed"] == 8 and res["failed"] == 0, res["completed"]
for e in srv.values():
    assert e["body"]["tools"][0]["function"]["name"] == "get_weather", e["body"]
chunks = lengths("tool", res, srv, range(8))
ch = res["servebench"]["channels"]
assert ch["responses_with_tool_call"] == 8 and ch["tool_call_messages"] == 8 * chunks, (ch, chunks)
print(f"third_party: {len(journal)} requests at aimock; multi-turn [sent, ok] by turn {per_turn}; "
      f"{extends} mooncake rows extend another's text; {chunks} tool-call chunks per response")
PY
echo "third_party: ok"
