#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_tokenize_align.sh - the simulator's /tokenize and /detokenize over
# real sockets, and `serve`'s check of its prompt lengths against them:
#  - /tokenize counts as the server counts usage.prompt_tokens (tokenizer, or
#    words), vLLM's response shape, token_strs on request, messages without
#    special tokens by default; /detokenize inverts it; bad input (not JSON,
#    no prompt, a prompt over the cap, an id out of range, another model, GET)
#    gets 400/404/405 with a message;
#  - serve --sim (same tokenizer): "matched", 8 of 8 sampled;
#  - client GPT-2 against a Llama-3 server, random: the upstream warning,
#    every prompt the server counts longer cut to its length (the record's
#    prompt tokens are the length + BOS); with --tokenizer-alignment check the
#    prompts go out unchanged; sharegpt is checked with special tokens;
#  - a server without /tokenize (404): "not checked", the run goes on.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
PY=/usr/bin/python3
llama="$SB_TEST_DATA/tokenizers/llama3"
gpt2="$SB_TEST_DATA/tokenizers/gpt2"

# --- the endpoints ---
sim_start --model m --tokenizer "$llama" --record "$tmp/ep.rec" --ttft-ms 0 --itl-ms 0
$PY - "$url" "$SB_BIN" "$llama" <<'PY'
import json, subprocess, sys, urllib.request, urllib.error
url, sb, tok = sys.argv[1:4]
def call(path, body, method="POST"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data if method == "POST" else None, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
text = "Hello world, the quick brown fox jumps over the lazy dog."
ids = json.loads(subprocess.run([sb, "tokenize", "--tokenizer", tok, "--add-special-tokens",
                                 "--text", text], capture_output=True, text=True, check=True).stdout)
st, r = call("/tokenize", {"model": "m", "prompt": text})
assert st == 200 and r == {"count": len(ids), "max_model_len": 0, "tokens": ids, "token_strs": None}, r
st, r2 = call("/v1/tokenize", {"prompt": text, "add_special_tokens": False, "return_token_strs": True})
assert st == 200 and r2["tokens"] == ids[1:] and r2["token_strs"][1] == "Ġworld", r2
st, r3 = call("/tokenize", {"messages": [{"role": "user", "content": "a b"}, {"role": "assistant", "content": "c"}]})
st4, r4 = call("/tokenize", {"prompt": "a b\nc", "add_special_tokens": False})
assert st == 200 and r3["tokens"] == r4["tokens"], (r3, r4)
st, d = call("/detokenize", {"model": "m", "tokens": ids[1:]})
assert st == 200 and d == {"prompt": text}, d
# the count is the server's usage.prompt_tokens for that prompt
st, c = call("/v1/completions", {"model": "m", "prompt": text, "max_tokens": 2})
assert st == 200 and c["usage"]["prompt_tokens"] == r["count"], c
bad = [
    ("/tokenize", b"{not json", 400, "invalid JSON"),
    ("/tokenize", {"model": "m"}, 400, "'prompt'"),
    ("/tokenize", {"prompt": 7}, 400, "'prompt' must be a string"),
    ("/tokenize", {"prompt": "x", "messages": []}, 400, "not both"),
    ("/tokenize", {"prompt": "x", "add_special_tokens": "yes"}, 400, "'add_special_tokens'"),
    ("/tokenize", {"prompt": "a " * ((2 << 20) + 1)}, 400, "at most 4194304"),
    ("/tokenize", [1, 2], 400, "JSON object"),
    ("/detokenize", {"tokens": [1, 10 ** 9]}, 400, "'tokens'[1]"),
    ("/detokenize", {"tokens": "abc"}, 400, "'tokens'"),
    ("/tokenize", {"model": "other", "prompt": "x"}, 404, "does not exist"),
]
for path, body, code, words in bad:
    st, r = call(path, body)
    assert st == code and words in r.get("message", ""), (path, st, str(r)[:300])
assert call("/tokenize", None, "GET")[0] == 405
PY
sim_stop
# without a tokenizer: words, and the server's own words detokenize
sim_start --model m
$PY - "$url" <<'PY'
import json, sys, urllib.request
url = sys.argv[1]
def call(path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())
r = call("/tokenize", {"prompt": "  one two\tthe  of ", "return_token_strs": True})
assert r["count"] == 4 and r["token_strs"] == ["one", "two", "the", "of"], r
assert r["tokens"][2:] == [0, 1], r  # the simulator's own words: ids 0-63
c = call("/v1/completions", {"prompt": "  one two\tthe  of ", "max_tokens": 3})
assert c["usage"]["prompt_tokens"] == 4
out = c["choices"][0]["text"]
ids = call("/tokenize", {"prompt": out})["tokens"]
assert call("/detokenize", {"tokens": ids})["prompt"] == out, (out, ids)
PY
sim_stop

# --- serve's check ---
res() { $PY -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["servebench"]["tokenizer_alignment"], sort_keys=True))' "$1"; }
R=(--dataset-name random --random-input-len 100 --random-output-len 2 --num-prompts 20
   --disable-tqdm --save-result --result-dir "$tmp")
"$SB_BIN" serve --sim --tokenizer "$gpt2" "${R[@]}" --result-filename same.json > "$tmp/same.out" 2>&1 ||
    { cat "$tmp/same.out"; exit 1; }
grep -q "^Tokenizer alignment: the server's /tokenize counts 8 of 8 sampled prompts as the client does$" "$tmp/same.out"
grep -q "^Tokenizer alignment: *matched$" "$tmp/same.out"
[ "$(res "$tmp/same.json")" = '{"add_special_tokens": false, "client_tokens": 800, "matched": 8, "realign_failed": 0, "realigned": 0, "sampled": 8, "server_tokens": 800, "status": "matched"}' ] ||
    { echo "FAIL same: $(res "$tmp/same.json")"; exit 1; }

for mode in align check; do
    sim_start --model m --tokenizer "$llama" --ttft-ms 0 --itl-ms 0 --record "$tmp/$mode.rec"
    "$SB_BIN" serve --base-url "$url" --model m --tokenizer "$gpt2" "${R[@]}" \
        --tokenizer-alignment "$mode" --result-filename "$mode.json" > "$tmp/$mode.out" 2>&1 ||
        { cat "$tmp/$mode.out"; exit 1; }
    sim_stop
done
grep -q "^WARNING: tokenizer mismatch (server=[0-9]*, expected=100), re-aligning prompts.$" "$tmp/align.out"
! grep -q "re-aligning" "$tmp/check.out"
$PY - "$tmp" <<'PY'
import json, sys
d = sys.argv[1]
a = json.load(open(f"{d}/align.json"))["servebench"]["tokenizer_alignment"]
c = json.load(open(f"{d}/check.json"))["servebench"]["tokenizer_alignment"]
ra = [json.loads(l)["prompt_tokens"] for l in open(f"{d}/align.rec")]
rc = [json.loads(l)["prompt_tokens"] for l in open(f"{d}/check.rec")]
# GPT-2 ids decoded to text are longer in Llama-3 ids: every sampled prompt differs
assert a["status"] == "realigned" and a["matched"] == 0 and a["server_tokens"] > 800, a
assert c["status"] == "mismatch" and c["realigned"] == 0 and c["server_tokens"] == a["server_tokens"], c
# the record counts BOS: re-aligned prompts are the length (a cut may re-tokenize one shorter)
longer = sum(1 for n in rc if n > 101)
assert a["realigned"] == longer - 1 or a["realigned"] == longer, (a, longer)  # request 0 runs twice
assert all(n <= 101 for n in ra) and max(rc) > 101, (ra, rc)
print(f"serve_tokenize_align: {a['realigned']} prompts re-aligned; server/client tokens "
      f"{a['server_tokens']}/{a['client_tokens']} on the sample")
PY

# sharegpt counts with special tokens (same tokenizer on both sides: matched)
$PY - "$tmp" <<'PY'
import json, sys
convs = [{"id": str(i), "conversations": [
    {"from": "human", "value": f"question {i}: " + "why is the sky blue " * (3 + i)},
    {"from": "gpt", "value": "because of scattering " * 3}]} for i in range(12)]
json.dump(convs, open(f"{sys.argv[1]}/sg.json", "w"))
PY
"$SB_BIN" serve --sim --tokenizer "$llama" --model m --dataset-name sharegpt \
    --dataset-path "$tmp/sg.json" --num-prompts 10 --disable-tqdm --save-result \
    --result-dir "$tmp" --result-filename sg.json > "$tmp/sg.out" 2>&1 || { cat "$tmp/sg.out"; exit 1; }
res "$tmp/sg.json" | grep -q '"add_special_tokens": true, .*"matched": 8, .*"sampled": 8, .*"status": "matched"' ||
    { echo "FAIL sharegpt: $(res "$tmp/sg.json")"; exit 1; }
# sonnet-like datasets whose lengths are not counts: not checked, nothing sent
"$SB_BIN" serve --sim --tokenizer "$gpt2" "${R[@]}" --tokenizer-alignment off \
    --result-filename off.json > "$tmp/off.out" 2>&1 || { cat "$tmp/off.out"; exit 1; }
! grep -q "Tokenizer alignment" "$tmp/off.out"
[ "$(res "$tmp/off.json")" = '{"reason": "--tokenizer-alignment off", "status": "not checked"}' ]

# a server without /tokenize: not checked, the run goes on
cat > "$tmp/srv.py" <<'PY'
import http.server, json
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def log_message(self, *a): pass
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        req = json.loads(self.rfile.read(n))
        if self.path != "/v1/completions":
            self.send_error(404); return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for i in range(req["max_tokens"]):
            self.wfile.write(b'data: {"choices":[{"index":0,"text":" x"}]}\n\n')
        self.wfile.write(b"data: [DONE]\n\n")
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("port", srv.server_address[1], flush=True)
srv.serve_forever()
PY
$PY "$tmp/srv.py" > "$tmp/py.out" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q '^port' "$tmp/py.out" && break; sleep 0.05; done
port=$(sed -n 's/^port //p' "$tmp/py.out")
"$SB_BIN" serve --base-url "http://127.0.0.1:$port" --model m --tokenizer "$gpt2" "${R[@]}" \
    --result-filename none.json > "$tmp/none.out" 2>&1 || { cat "$tmp/none.out"; exit 1; }
grep -q "^WARNING: /tokenize unavailable, skipping alignment.$" "$tmp/none.out"
grep -q "^Tokenizer alignment: not checked (POST /tokenize answered HTTP 404" "$tmp/none.out"
grep -q "^Tokenizer alignment: *not checked$" "$tmp/none.out"
res "$tmp/none.json" | grep -q '"status": "not checked"'
grep -q "^Successful requests: *20 *$" "$tmp/none.out"
echo "serve_tokenize_align: ok"
