#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# sim_lora.sh - LoRA adapters on the built-in simulator, over real sockets:
#  - `serve --sim --lora-modules ...` completes every request, and the sim's
#    --record shows each request named the model the reference picks
#    (random.choice seeded with --seed, or round-robin);
#  - `sim --enable-lora --lora-modules name=path JSON --served-model-name`:
#    /v1/models lists the served names then the adapters (root = path,
#    parent = base_model_name when served, else the first served name),
#    requests naming any of them succeed and carry the adapter's or the first
#    served name, an unknown model is vLLM's 404, the record and the totals
#    count per adapter;
#  - --max-loras: with 1, a request of a second adapter waits (the gauge
#    vllm:lora_requests_info lists it as waiting) while one of another runs;
#    with 2 both run (states polled, no timing bounds);
#  - malformed --lora-modules values and missing --enable-lora stop the sim
#    with a message naming the value.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
PY=/usr/bin/python3
tok="$SB_TEST_DATA/tokenizers/gpt2"
fail=0

models() { # models RECORD: the "model" of each completions record, in arrival order
    $PY -c 'import json,sys
rs = [json.loads(l) for l in open(sys.argv[1])]
for r in sorted((r for r in rs if r["api"] == "completions"), key=lambda r: r["seq"]):
    print(r["model"])' "$1"
}
serve_sim() { # serve_sim NAME ARGS...: serve --sim with --record into $tmp/NAME.rec
    local name=$1; shift
    "$SB_BIN" serve --sim --sim-arg "--record $tmp/$name.rec --ttft-ms 1 --itl-ms 1" --model base \
        --tokenizer "$tok" --dataset-name random --random-input-len 8 --random-output-len 2 \
        --max-concurrency 2 --disable-tqdm "$@" > "$tmp/$name.out" 2>&1 ||
        { echo "FAIL: serve $name"; cat "$tmp/$name.out"; exit 1; }
    grep -Eq "^Failed requests: +0 *$" "$tmp/$name.out" || { echo "FAIL: $name failed requests"; cat "$tmp/$name.out"; exit 1; }
}
check() { # check LABEL WANT GOT
    if ! diff -u "$2" "$3" > "$tmp/diff"; then echo "FAIL: $1"; head -20 "$tmp/diff"; fail=1; fi
}

# serve --sim: the adapters reach the sim, every request is answered.
serve_sim rand --num-prompts 12 --seed 7 --lora-modules la lb lc
grep -Eq "^Successful requests: +12 *$" "$tmp/rand.out" || { echo "FAIL: rand count"; cat "$tmp/rand.out"; fail=1; }
models "$tmp/rand.rec" > "$tmp/got"
$PY -c 'import random
random.seed(7)
for _ in range(12): print(random.choice(["la", "lb", "lc"]))' > "$tmp/want"
check "serve --sim random lora" "$tmp/want" "$tmp/got"

serve_sim rr --num-prompts 7 --lora-modules la lb lc --lora-assignment round-robin --max-concurrency 1
models "$tmp/rr.rec" > "$tmp/got"
printf 'la\nlb\nlc\nla\nlb\nlc\nla\n' > "$tmp/want"
check "serve --sim round-robin lora" "$tmp/want" "$tmp/got"

# the standalone sim: names, cards, answers, 404, record, totals.
sim_start --model /models/base --served-model-name base alias --enable-lora --max-loras 2 \
    --lora-modules a=/adapters/a '{"name": "b", "path": "/adapters/b \"x\"", "base_model_name": "alias"}' \
    '{"name": "c", "path": "/adapters/c", "base_model_name": "elsewhere"}' --record "$tmp/sa.rec"
curl -sf "$url/v1/models" > "$tmp/models.json"
for m in base alias a b c missing; do
    curl -s -o "$tmp/ans_$m.json" -w '%{http_code}\n' "$url/v1/completions" \
        -d "{\"model\":\"$m\",\"prompt\":\"one two\",\"max_tokens\":2}" > "$tmp/code_$m"
done
curl -s -o "$tmp/ans_chat.json" "$url/v1/chat/completions" \
    -d '{"model":"b","messages":[{"role":"user","content":"hi"}],"max_tokens":2,"stream":true}'
curl -sf "$url/metrics" > "$tmp/metrics.txt"
kill -INT "$pid"; wait "$pid" || true; pid=
$PY - "$tmp" <<'PY' || fail=1
import json, sys
t = sys.argv[1]
ok = True
def need(cond, what):
    global ok
    if not cond:
        print("FAIL:", what); ok = False
cards = json.load(open(f"{t}/models.json"))["data"]
need([c["id"] for c in cards] == ["base", "alias", "a", "b", "c"], f"ids {[c['id'] for c in cards]}")
need([c["root"] for c in cards] == ["/models/base", "/models/base", "/adapters/a", '/adapters/b "x"', "/adapters/c"], "roots")
need([c["parent"] for c in cards] == [None, None, "base", "alias", "base"], f"parents {[c['parent'] for c in cards]}")
need([c["max_model_len"] for c in cards][2:] == [None] * 3, "adapters have no max_model_len")
need(all(c["object"] == "model" and c["owned_by"] == "vllm" for c in cards), "card shape")
for m, carried in [("base", "base"), ("alias", "base"), ("a", "a"), ("b", "b"), ("c", "c")]:
    need(open(f"{t}/code_{m}").read().strip() == "200", f"{m} answered")
    need(json.load(open(f"{t}/ans_{m}.json"))["model"] == carried, f"{m} carries {carried}")
need(open(f"{t}/code_missing").read().strip() == "404", "unknown model 404")
e = json.load(open(f"{t}/ans_missing.json"))
need(e == {"object": "error", "message": "The model `missing` does not exist.",
           "type": "NotFoundError", "param": None, "code": 404}, f"404 shape {e}")
chunks = [json.loads(l[6:]) for l in open(f"{t}/ans_chat.json") if l.startswith("data: {")]
need(chunks and all(c["model"] == "b" for c in chunks), "chat stream carries the adapter")
recs = sorted((json.loads(l) for l in open(f"{t}/sa.rec")), key=lambda r: r["seq"])
need([r["model"] for r in recs] == ["base", "alias", "a", "b", "c", "b"], f"record {[r['model'] for r in recs]}")
lines = [l for l in open(f"{t}/metrics.txt") if l.startswith("vllm:lora_requests_info{")]
need(len(lines) == 1 and lines[0].startswith(
    'vllm:lora_requests_info{max_lora="2",running_lora_adapters="",waiting_lora_adapters=""} '),
    f"idle gauge {lines}")
sys.exit(0 if ok else 1)
PY
grep -q "^servebench sim: lora requests: a 1 b 2 c 1$" "$tmp/sim.out" || { echo "FAIL: totals"; cat "$tmp/sim.out"; fail=1; }

# --max-loras: b waits while a runs with 1; both run with 2.
gauge() { curl -sf "$url/metrics" | grep '^vllm:lora_requests_info{' || true; }
for ml in 1 2; do
    sim_start --enable-lora --max-loras $ml --lora-modules a=/a b=/b --ttft-ms 1500 --itl-ms 1
    curl -s "$url/v1/completions" -d '{"model":"a","prompt":"x","max_tokens":1}' > /dev/null &
    c1=$!
    for _ in $(seq 200); do gauge | grep -q 'running_lora_adapters="a"' && break; sleep 0.02; done
    curl -s "$url/v1/completions" -d '{"model":"b","prompt":"x","max_tokens":1}' > /dev/null &
    c2=$!
    if [ $ml = 1 ]; then want='max_lora="1",running_lora_adapters="a",waiting_lora_adapters="b"'
    else want='max_lora="2",running_lora_adapters="a,b",waiting_lora_adapters=""'; fi
    seen=
    for _ in $(seq 200); do g=$(gauge); [[ "$g" == *"$want"* ]] && { seen=1; break; }; sleep 0.02; done
    [ -n "$seen" ] || { echo "FAIL: --max-loras $ml: gauge never showed $want (last: $g)"; fail=1; }
    wait $c1 $c2 || true
    sim_stop
done

# bad values stop the sim with a message naming the value.
bad() { # bad WANT_SUBSTRING SIM ARGS...
    local want=$1; shift
    if "$SB_BIN" sim --port 0 "$@" > "$tmp/bad.out" 2>&1; then
        echo "FAIL: sim $* started"; fail=1; return
    fi
    grep -qF -- "$want" "$tmp/bad.out" || { echo "FAIL: sim $*: no '$want'"; cat "$tmp/bad.out"; fail=1; }
}
bad "--lora-modules: 'a=b=c': name=path with one '=' expected" --enable-lora --lora-modules a=b=c
bad "--lora-modules: '{\"name\": \"a\"' is neither name=path nor JSON" --enable-lora --lora-modules '{"name": "a"'
bad "--lora-modules: 'plain' is neither name=path nor JSON" --enable-lora --lora-modules plain
bad '"name" and "path" strings are required' --enable-lora --lora-modules '{"name": "a"}'
bad "a JSON object expected" --enable-lora --lora-modules '[{"name": "a", "path": "p"}]' 
bad 'field "rank" is not supported yet' --enable-lora --lora-modules '{"name": "a", "path": "p", "rank": 8}'
bad "--lora-modules: needs --enable-lora" --lora-modules a=/a
bad "--lora-modules: the name 'a' is given twice" --enable-lora --lora-modules a=/a a=/b
bad "--lora-modules: the name 'sim' is given twice (or is a served model name)" --enable-lora --lora-modules sim=/a
bad "--max-loras: needs --enable-lora" --max-loras 2
bad "--max-loras: '0' is not an integer" --enable-lora --max-loras 0

[ $fail -eq 0 ] && echo "sim_lora: ok"
exit $fail
