#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_lora.sh - flags that change what each request carries, checked on the
# bodies a capture server receives (tests/gen/capture_chat.py), in send order
# (--max-concurrency 1 keeps dataset order):
#  - --lora-modules: "model" per request = CPython's random.choice from the
#    global random as the dataset left it (seeded with --seed; custom
#    re-seeds and shuffles it), or i mod n with --lora-assignment round-robin;
#  - --chat-template-kwargs reaches the chat template (Qwen3 enable_thinking);
#  - --probe-request-rate: the probe section, its JSON keys, and the probes
#    reaching the server with prompt "Hi" and one output token;
#  - latencies and queue_times are in the JSON without --save-detailed.
. "$(dirname "$0")/skip.sh"
set -u
BIN="${SB_BIN:?run through ctest}"
SRC="${SB_SOURCE_DIR:?}"
DATA="${SB_TEST_DATA:?}"
PY=/usr/bin/python3
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
$PY "$SRC/tests/gen/capture_chat.py" "$tmp/bodies.jsonl" > "$tmp/srv.out" &
pid=$!
for _ in $(seq 600); do grep -q listening "$tmp/srv.out" && break; sleep 0.05; done
port=$(awk '{print $2}' "$tmp/srv.out")
[ -n "$port" ] || { echo "FAIL: capture server did not start"; exit 1; }
fail=0

serve() { # serve ARGS...: every request succeeds; bodies land in bodies.jsonl
  : > "$tmp/bodies.jsonl"
  "$BIN" serve --base-url "http://127.0.0.1:$port" --model m --max-concurrency 1 \
    --disable-tqdm "$@" > "$tmp/serve.out" 2>&1 || { echo "FAIL: serve $*"; cat "$tmp/serve.out"; exit 1; }
  grep -Eq "^Failed requests: +0 *$" "$tmp/serve.out" || { echo "FAIL: failed requests"; cat "$tmp/serve.out"; exit 1; }
}
field() { # field KEY: that body field of every captured request, one per line
  $PY -c 'import json,sys
for l in open(sys.argv[1]):
    b = json.loads(json.loads(l))
    print(b.get(sys.argv[2]) if isinstance(b.get(sys.argv[2]), str) else json.dumps(b.get(sys.argv[2])))' \
    "$tmp/bodies.jsonl" "$1"
}
check() { # check LABEL FILE_WANT FILE_GOT
  if ! diff -u "$2" "$3" > "$tmp/diff"; then echo "FAIL: $1"; head -20 "$tmp/diff"; fail=1; fi
}

# random dataset (numpy only): the global random is seed(7) untouched.
serve --tokenizer "$DATA/tokenizers/gpt2" --num-prompts 12 --random-input-len 8 \
  --random-output-len 2 --seed 7 --lora-modules la lb lc
field model > "$tmp/got"
$PY -c 'import random
random.seed(7)
for _ in range(12): print(random.choice(["la", "lb", "lc"]))' > "$tmp/want"
check "random + lora random.choice" "$tmp/want" "$tmp/got"

serve --tokenizer "$DATA/tokenizers/gpt2" --num-prompts 7 --random-input-len 8 \
  --random-output-len 2 --lora-modules la lb lc --lora-assignment round-robin
field model > "$tmp/got"
printf 'la\nlb\nlc\nla\nlb\nlc\nla\n' > "$tmp/want"
check "lora round-robin" "$tmp/want" "$tmp/got"

# custom: random.seed(seed); random.shuffle(rows) on the global random first.
serve --tokenizer "$DATA/tokenizers/gpt2" --dataset-name custom --skip-chat-template \
  --dataset-path "$DATA/datasets/custom_small.jsonl" --num-prompts 5 --seed 3 \
  --lora-modules la lb
field model > "$tmp/got"
$PY -c 'import random
rows = list(range(8))
random.seed(3); random.shuffle(rows)
for _ in range(5): print(random.choice(["la", "lb"]))' > "$tmp/want"
check "custom (shuffled) + lora" "$tmp/want" "$tmp/got"

# --chat-template-kwargs: Qwen3's template writes an empty think block when
# enable_thinking is false, and none by default.
ck=(--tokenizer "$DATA/tokenizers/qwen3" --dataset-name custom --num-prompts 2
    --dataset-path "$DATA/datasets/custom_small.jsonl")
serve "${ck[@]}"
field prompt > "$tmp/plain"
serve "${ck[@]}" --chat-template-kwargs '{"enable_thinking": false}'
field prompt > "$tmp/kw"
grep -q '<think>' "$tmp/plain" && { echo "FAIL: think block without kwargs"; fail=1; }
[ "$(grep -c '<think>' "$tmp/kw")" -eq 2 ] || { echo "FAIL: kwargs did not reach the template"; cat "$tmp/kw"; fail=1; }

# probes against the capture server: prompt "Hi", max_tokens 1, in the JSON.
serve --tokenizer "$DATA/tokenizers/gpt2" --num-prompts 30 --random-input-len 8 \
  --random-output-len 2 --request-rate 60 --probe-request-rate 50 --save-result \
  --result-dir "$tmp" --result-filename r.json
grep -q -- "-Probe Requests-" "$tmp/serve.out" || { echo "FAIL: no probe section"; cat "$tmp/serve.out"; fail=1; }
$PY - "$tmp/r.json" "$tmp/bodies.jsonl" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
bodies = [json.loads(json.loads(l)) for l in open(sys.argv[2])]
probes = [b for b in bodies if b.get("prompt") == "Hi"]
ok = True
def need(cond, what):
    global ok
    if not cond:
        print("FAIL:", what); ok = False
need(r["probe_completed"] >= 1, f"probe counts {r.get('probe_completed')} {r.get('probe_failed')}")
need(len(probes) == r["probe_completed"] + r["probe_failed"], f"{len(probes)} probe bodies vs counts")
need(all(b["max_tokens"] == 1 for b in probes), "probe max_tokens")
need(0 < r["probe_median_e2el_ms"] <= r["probe_p99_e2el_ms"] <= r["probe_max_e2el_ms"], "probe figures ordered")
keys = list(r)
need(keys.index("probe_completed") == keys.index("rtfx") + 1, "probe keys after rtfx")
need(len(r["latencies"]) == 30 and all(x > 0 for x in r["latencies"]), "latencies")
need(len(r["queue_times"]) == 30 and all(x >= 0 for x in r["queue_times"]), "queue_times")
need("ttfts" not in r, "ttfts without --save-detailed")
sys.exit(0 if ok else 1)
PY
[ $fail -eq 0 ] && echo "serve_lora: ok"
exit $fail
