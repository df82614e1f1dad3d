#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# sim_prefix_output.sh - the simulator caches the blocks of generated tokens
# too (as vLLM v1 does), so a multi-turn conversation's next turn finds the
# previous reply in the prefix cache. `serve --multi-turn` against
# `servebench sim --record --record-messages` (the truth: what the server
# received and planned, never wall-clock time): for turn k of a conversation
# the cached tokens are exactly the full blocks of the previous turn's
# prompt + reply but its last token (counted with `servebench tokenize` on
# the history the server received), more than the previous prompt's own
# blocks; the planned TTFT is --ttft-ms + the uncached tokens /
# --prefill-tok-per-s; vllm:prefix_cache_hits_total and _queries_total on
# /metrics are the sums. Without --tokenizer (words) the same holds in words.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
PY=/usr/bin/python3

# two conversations of three user turns (the dataset's replies are not sent:
# the client resends the server's own)
$PY - "$tmp" <<'PY'
import json, sys
words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
convs = []
for c in range(2):
    t = []
    for k in range(3):
        t.append({"from": "human", "value": f"conversation {c} turn {k}: " +
                  " ".join(words[(c + k + i) % len(words)] for i in range(30 + 7 * k)) + "?"})
        t.append({"from": "gpt", "value": "a reply of some words here"})
    convs.append({"id": f"c{c}", "conversations": t})
json.dump(convs, open(f"{sys.argv[1]}/conv.json", "w"))
PY

run() { # run NAME TOKENIZER-ARGS...: one multi-turn run, recorded, and /metrics after
    local name=$1; shift
    sim_start --model m "$@" --ttft-ms 2 --itl-ms 0.05 --prefill-tok-per-s 100000 \
        --block-size 16 --record "$tmp/$name.rec" --record-messages
    "$SB_BIN" serve --backend openai-chat --endpoint /v1/chat/completions --model m \
        --tokenizer "$SB_TEST_DATA/tokenizers/llama3" --dataset-name sharegpt \
        --dataset-path "$tmp/conv.json" --num-prompts 2 --multi-turn --sharegpt-output-len 40 \
        --ignore-eos --request-id-prefix mt- --base-url "$url" --disable-tqdm \
        > "$tmp/$name.out" 2>&1 || { echo "FAIL $name: serve"; cat "$tmp/$name.out"; exit 1; }
    curl -sf "$url/metrics" > "$tmp/$name.metrics"
    sim_stop
}
run tok --tokenizer "$SB_TEST_DATA/tokenizers/llama3"
run words

$PY - "$tmp" "$SB_BIN" "$SB_TEST_DATA/tokenizers/llama3" <<'PY'
import json, re, subprocess, sys
d, sb, tok = sys.argv[1:4]
B, TTFT_NS, NS_PER_TOK = 16, 2_000_000, 1e9 / 100000

def ids_of(texts):
    """The tokenizer's ids of each text, special tokens added, as the server counts."""
    lines = "".join(json.dumps({"text": t, "add_special_tokens": True}) + "\n" for t in texts)
    out = subprocess.run([sb, "tokenize", "--tokenizer", tok, "--jsonl", "/dev/stdin"],
                         input=lines, capture_output=True, text=True, check=True).stdout
    return [json.loads(l)["ids"] for l in out.splitlines()]

def words_of(texts):
    return [t.split() for t in texts]

for name, enc in (("tok", ids_of), ("words", words_of)):
    rec = sorted((json.loads(l) for l in open(f"{d}/{name}.rec")), key=lambda r: r["arrival_ns"])
    assert len(rec) == 6 and all(r["outcome"] == "ok" for r in rec), rec
    convs = {}
    for r in rec:
        convs.setdefault(r["messages"][0]["content"].split()[1], []).append(r)
    want_hits = want_queries = 0
    for cid, turns in convs.items():
        assert len(turns) == 3, (cid, len(turns))
        for k, r in enumerate(turns):
            msgs = [m["content"] for m in r["messages"]]
            assert len(msgs) == 2 * k + 1, msgs
            prompt, prev = enc(["\n".join(msgs), "\n".join(msgs[:-1])]) if k else (enc(["\n".join(msgs)])[0], [])
            assert r["prompt_tokens"] == len(prompt), (name, r["prompt_tokens"], len(prompt))
            want = 0
            if k:
                # the history up to the last reply is a prefix of this prompt (the seams are
                # stable), so the previous turn's prompt + reply but its last token is cached
                assert prompt[:len(prev)] == prev, name
                want = B * min((len(prev) - 1) // B, (len(prompt) - 1) // B)
                before = turns[k - 1]["prompt_tokens"] // B * B
                assert want > before, (name, want, before)  # the reply's blocks count
            assert r["cached_tokens"] == want, (name, cid, k, r["cached_tokens"], want)
            plan = r["first_token_plan_ns"] - r["start_ns"]
            exp = TTFT_NS + (r["prompt_tokens"] - want) * NS_PER_TOK
            assert abs(plan - exp) <= 2000, (name, k, plan, exp)
            want_hits += want
            want_queries += r["prompt_tokens"]
    m = open(f"{d}/{name}.metrics").read()
    val = lambda n: float(re.search(rf"^{n}\{{[^}}]*\}} (\S+)$", m, re.M).group(1))
    assert val("vllm:prefix_cache_hits_total") == want_hits, (name, want_hits)
    assert val("vllm:prefix_cache_queries_total") == want_queries, (name, want_queries)
    t3 = [c[2] for c in convs.values()]
    print(f"sim_prefix_output ({name}): turn-3 cached {[r['cached_tokens'] for r in t3]} of "
          f"{[r['prompt_tokens'] for r in t3]} prompt tokens; hits {want_hits} of {want_queries}")
PY
echo "sim_prefix_output: ok"
