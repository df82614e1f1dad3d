#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_http_client.sh - the own HTTP/1.1 transport and libcurl give the
# same run: one seeded workload against the simulator with --http-client
# auto (the own transport) and curl has the same successes, input and output
# lengths. (Failures by reason on both paths: test_engine; on the own
# transport: serve_fault_matrix. Seeded faults cannot be compared run to run:
# a request that meets a connection the server closed after a fault never
# reaches it, which shifts the simulator's draws.) A proxy in the environment
# sends plain http:// through libcurl (a dead proxy fails every request),
# unless no_proxy exempts the host. A bad --http-client value stops before
# anything is sent.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
unset http_proxy HTTP_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

run() { # NAME [ARGS...]: one run against $url, result JSON in $tmp/NAME.json
    local name=$1
    shift
    "$SB_BIN" serve --base-url "$url" --model sim --tokenizer "$SB_TEST_DATA/tokenizers/gpt2" \
        --dataset-name random --random-input-len 8 --random-output-len 6 --num-prompts 60 \
        --max-concurrency 8 --tokenizer-alignment off --save-result --save-detailed \
        --result-dir "$tmp" --result-filename "$name.json" --disable-tqdm "$@" \
        > "$tmp/$name.out" 2>&1 || true
}

for client in auto curl; do
    sim_start --ttft-ms 1 --itl-ms 1 --seed 3 --quiet
    run "$client" --http-client "$client"
    sim_stop
done
python3 - "$tmp/auto.json" "$tmp/curl.json" <<'PY'
import json, sys
a, c = (json.load(open(p)) for p in sys.argv[1:])
def shape(r):
    return r["completed"], r["failed"], r["input_lens"], r["output_lens"]
sa, sc = shape(a), shape(c)
if sa != sc:
    print("own transport and libcurl differ:", sa, sc)
    sys.exit(1)
if a["completed"] != 60:
    print("want 60 successes:", sa)
    sys.exit(1)
print(f"auto and curl: {a['completed']} ok, same input and output lengths")
PY

sim_start --ttft-ms 1 --itl-ms 1 --quiet
# a dead proxy: libcurl carries the requests (to the proxy), every one fails to connect
http_proxy=http://127.0.0.1:1 run proxied
grep -Eq '^Failed requests: +60 +$' "$tmp/proxied.out" || { cat "$tmp/proxied.out"; exit 1; }
grep -q "Couldn't connect" "$tmp/proxied.out" || { cat "$tmp/proxied.out"; exit 1; }
# exempted by no_proxy: the own transport, straight to the server
http_proxy=http://127.0.0.1:1 no_proxy=localhost,127.0.0.1 run exempt
grep -Eq '^Successful requests: +60 +$' "$tmp/exempt.out" || { cat "$tmp/exempt.out"; exit 1; }
sim_stop

rc=0
"$SB_BIN" serve --sim --http-client aiohttp > "$tmp/bad.out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || { echo "bad value: want exit 2, got $rc"; cat "$tmp/bad.out"; exit 1; }
grep -q -- "--http-client must be auto or curl (got 'aiohttp')" "$tmp/bad.out" ||
    { cat "$tmp/bad.out"; exit 1; }
echo "serve_http_client: ok"
