#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# peer_smoke.sh - bench/peer_vllm.py and bench/peer_compare.py against a real
# `servebench sim`: every request is joined to the sim's record by x-request-id,
# the two clocks agree (client start before server arrival, first token seen
# after it was sent), ITL gap counts match the emissions; and the reference's SSE
# parser keeps its documented weakness (a read that ends right after "data: "
# loses the space to strip(), so the next message fails json.loads).
set -euo pipefail
: "${SB_BIN:?run through ctest}"
. "$(dirname "$0")/skip.sh"
py="${PYTHON:-/usr/bin/python3}"
"$py" -c 'import aiohttp, numpy' 2>/dev/null || sb_skip "python3-aiohttp / python3-numpy not installed"
src="${SB_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

"$SB_BIN" sim --port 0 --quiet --ttft-ms 5 --itl-ms 2 --record "$work/rec" > "$work/sim" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q listening "$work/sim" && break; sleep 0.05; done
url=$(sed -n 's/^servebench sim listening on //p' "$work/sim")
[ -n "$url" ] || { echo "sim did not start"; cat "$work/sim"; exit 1; }

"$py" "$src/bench/peer_vllm.py" --base-url "$url" --num-prompts 20 --max-concurrency 10 \
  --output-len 8 --ignore-eos --result-jsonl "$work/peer" > "$work/sum"
kill -INT "$pid"; wait "$pid"; pid=
grep -q '"clock": "clock_gettime(CLOCK_MONOTONIC)"' "$work/sum"
grep -q '"completed": 20, "failed": 0' "$work/sum" || { cat "$work/sum"; exit 1; }
[ "$(grep -c '"output_tokens": 8' "$work/peer")" -eq 20 ]

"$py" "$src/bench/peer_compare.py" --record "$work/rec" --peer "$work/peer" > "$work/cmp"
"$py" - "$work/cmp" <<'EOF'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["matched"] == 20 and o["ok"] == 20 and o["unmatched"] == 0, o
assert o["clock_ok"] == 20, "client and server clocks disagree: %r" % o
assert o["itl_count_mismatch"] == 0 and o["itl_err"]["n"] == 20 * 7, o
assert o["connect"]["min"] >= 0 and o["ttft_lag"]["min"] >= 0, o
EOF

# The parser, fed by hand: a clean split, then the split right after "data: ".
PYTHONPATH="$src/bench" "$py" - <<'EOF'
import codecs, json
from peer_vllm import split_messages
dec = codecs.getincrementaldecoder("utf-8")()
m, buf = split_messages("", b'data: {"a":1}\n\ndata: {"b"', dec)
assert m == ['data: {"a":1}'] and buf == 'data: {"b"', (m, buf)
m, buf = split_messages(buf, b':2}\n\n', dec)
assert m == ['data: {"b":2}'] and buf == "", (m, buf)
m, buf = split_messages("", b'data: {"a":1}\n\ndata: ', dec)
m2, buf = split_messages(buf, b'{"b":2}\n\n', dec)
assert buf == 'data:{"b":2}', buf   # the space went to strip(): json.loads will fail
try:
    json.loads(buf)
    raise SystemExit("expected the reference's JSON error")
except json.JSONDecodeError:
    pass
EOF
echo "peer_smoke: ok"
