#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_specdec.sh - GET /metrics before and after the timed run feeds the
# speculative-decoding block (reference sections 5 and 7). A small Python
# server (stdlib only, a server we did not write in C) streams completions
# and serves vLLM's spec-decode counters, which grow by a known amount
# between the two scrapes; the block and the JSON keys must show exactly
# those deltas. The simulator has /metrics but no spec counters, and a
# server without /metrics at all must both give no block and no error.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

cat > "$tmp/srv.py" <<'PY'
import http.server, json, sys
scrapes = [0]
WITH_METRICS = sys.argv[1] == "metrics"
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path != "/metrics" or not WITH_METRICS:
            self.send_error(404); return
        k = scrapes[0]; scrapes[0] += 1
        # before: drafts 100, draft tokens 300, accepted 200, per-position 90/70/40;
        # after:  + 50 drafts, 150 draft tokens, 120 accepted (45/45/30), split over two engines.
        if k == 0:
            text = ("# TYPE vllm:spec_decode_num_drafts_total counter\n"
                    "vllm:spec_decode_num_drafts_total{engine=\"0\"} 100.0\n"
                    "vllm:spec_decode_num_draft_tokens_total{engine=\"0\"} 300.0\n"
                    "vllm:spec_decode_num_accepted_tokens_total{engine=\"0\"} 200.0\n")
            pos = [90, 70, 40]
        else:
            text = ("vllm:spec_decode_num_drafts_total{engine=\"0\"} 120.0\n"
                    "vllm:spec_decode_num_drafts_total{engine=\"1\"} 30.0\n"
                    "vllm:spec_decode_num_draft_tokens_total{engine=\"0\"} 450.0\n"
                    "vllm:spec_decode_num_accepted_tokens_total{engine=\"0\"} 320.0\n")
            pos = [135, 115, 70]
        for i, v in enumerate(pos):
            text += 'vllm:spec_decode_num_accepted_tokens_per_pos_total{engine="0",position="%d"} %d.0\n' % (i, v)
        b = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        req = json.loads(self.rfile.read(n))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for i in range(req["max_tokens"]):
            self.wfile.write(b'data: {"choices":[{"index":0,"text":"x"}]}\n\n')
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("port", srv.server_address[1], flush=True)
srv.serve_forever()
PY

# start_py MODE: sets $port.
start_py() {
    [ -n "$pid" ] && { kill "$pid"; wait "$pid" 2>/dev/null || true; }
    rm -f "$tmp/py.out" # else the wait below can read the previous server's port
    python3 "$tmp/srv.py" "$1" > "$tmp/py.out" 2>&1 &
    pid=$!
    for _ in $(seq 600); do grep -q '^port' "$tmp/py.out" && break; sleep 0.05; done
    port=$(sed -n 's/^port //p' "$tmp/py.out")
    [ -n "$port" ] || { echo "python server did not start"; cat "$tmp/py.out"; exit 1; }
}
run() {
    local name=$1
    shift
    "$SB_BIN" serve --port "$port" --model m --tokenizer "$SB_TEST_DATA/tokenizers/gpt2" \
        --num-prompts 3 --random-input-len 8 --random-output-len 4 "$@" \
        > "$tmp/$name.out" 2> "$tmp/$name.err" || { cat "$tmp/$name.out" "$tmp/$name.err"; exit 1; }
}

start_py metrics
run spec --save-result --result-dir "$tmp" --result-filename spec.json
want='---------------Speculative Decoding---------------
Acceptance rate (%):                     80.00     
Acceptance length:                       3.40      
Drafts:                                  50        
Draft tokens:                            150       
Accepted tokens:                         120       
Per-position acceptance (%):
  Position 0:                            90.00     
  Position 1:                            90.00     
  Position 2:                            60.00     
=================================================='
grep -qF -- "$want" <<<"$(cat "$tmp/spec.out")" ||
    { echo "spec block differs; want:"; echo "$want"; echo "got:"; cat "$tmp/spec.out"; exit 1; }
python3 - "$tmp/spec.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["spec_decode_acceptance_rate"] == 80.0, r
assert abs(r["spec_decode_acceptance_length"] - 3.4) < 1e-9
assert (r["spec_decode_num_drafts"], r["spec_decode_draft_tokens"], r["spec_decode_accepted_tokens"]) == (50, 150, 120)
assert r["spec_decode_per_position_acceptance_rates"] == [0.9, 0.9, 0.6], r["spec_decode_per_position_acceptance_rates"]
assert r["completed"] == 3
PY

# No /metrics at all (404): no block, the run still succeeds.
start_py none
run nometrics
grep -Eq '^Successful requests: +3 +$' "$tmp/nometrics.out" || { cat "$tmp/nometrics.out"; exit 1; }
! grep -q 'Speculative Decoding' "$tmp/nometrics.out" || { echo "block without /metrics"; exit 1; }

# The simulator: Prometheus text without spec counters -> no block.
"$SB_BIN" serve --sim --num-prompts 3 --random-input-len 8 --random-output-len 4 \
    --save-result --result-dir "$tmp" --result-filename sim.json > "$tmp/sim.out" 2> "$tmp/sim.err" ||
    { cat "$tmp/sim.out" "$tmp/sim.err"; exit 1; }
grep -q '^============ Serving Benchmark Result ============$' "$tmp/sim.out"
! grep -q 'Speculative Decoding' "$tmp/sim.out" || { echo "block from the simulator"; exit 1; }
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert not any(k.startswith("spec_decode") for k in r), list(r)' "$tmp/sim.json"
echo "serve_specdec: ok"
