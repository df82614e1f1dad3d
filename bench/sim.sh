#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/sim.sh - emission rate and schedule error of `servebench sim` (bench/sim.md).
#
# Runs, in one go so every figure shares the machine's load of the moment:
#   1. the timer floor: a bare clock_nanosleep loop's lateness;
#   2. the write limit: the same chunk bytes from a bare write() loop (raw);
#   3. the simulator in --firehose mode, and a minimal Node.js SSE mock server
#      (the peer a user would otherwise write) on the same client;
#   4. schedule error at 1,000 and 5,000 timed streams (simulator and peer).
# Usage: bash bench/sim.sh [build-dir]   (SECS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
secs="${SECS:-5}"
bin="$dir/bench/bench_sim"
[ -x "$bin" ] || bash scripts/build.sh "$dir" >/dev/null
echo "== load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
"$bin" sleep 1 "$secs" 20
"$bin" raw 100 "$secs"
"$bin" firehose 100 "$secs"

peer_js=$(mktemp /tmp/sb-sim-peer-XXXXXX.js)
cleanup() { [ -n "${peer_pid:-}" ] && kill "$peer_pid" 2>/dev/null; rm -f "$peer_js"; }
trap cleanup EXIT
# A deliberately ordinary Node.js mock: node:http, setTimeout per token aimed at
# absolute times, res.write() with 'drain' backpressure in firehose mode.
cat > "$peer_js" <<'JS'
const http = require('http');
const firehose = process.argv[2] === 'firehose';
const itl = Number(process.argv[3] || 20);
const chunk = (i) => 'data: ' + JSON.stringify({id: 'cmpl-peer', object: 'text_completion',
  created: 1795426276, model: 'sim', choices: [{index: 0, text: ' when', logprobs: null,
  finish_reason: null, stop_reason: null}], usage: null}) + '\n\n';
const srv = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    const max = JSON.parse(body).max_tokens;
    res.writeHead(200, {'content-type': 'text/event-stream; charset=utf-8'});
    let i = 0;
    if (firehose) {
      const pump = () => {
        while (i < max) { i++; if (!res.write(chunk(i))) { res.once('drain', pump); return; } }
        res.end('data: [DONE]\n\n');
      };
      pump();
      return;
    }
    const t0 = performance.now();
    const tick = () => {
      res.write(chunk(i)); i++;
      if (i >= max) { res.end('data: [DONE]\n\n'); return; }
      setTimeout(tick, Math.max(0, t0 + itl * (i + 1) - performance.now()));
    };
    setTimeout(tick, itl);
  });
});
srv.maxConnections = 100000;
srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));
JS
start_peer() {
  node "$peer_js" "$@" > "$peer_js.port" &
  peer_pid=$!
  for _ in $(seq 50); do [ -s "$peer_js.port" ] && break; sleep 0.1; done
  peer_port=$(cat "$peer_js.port")
}
stop_peer() { kill "$peer_pid"; wait "$peer_pid" 2>/dev/null || true; peer_pid=; rm -f "$peer_js.port"; }

if command -v node >/dev/null; then
  start_peer firehose
  "$bin" firehose 100 "$secs" "$peer_port"
  stop_peer
fi
for n in 1000 5000; do
  "$bin" timed "$n" "$secs" 50
  if command -v node >/dev/null; then
    start_peer timed 50
    "$bin" timed "$n" "$secs" 50 "$peer_port"
    stop_peer
  fi
done
echo "== load: $(cut -d' ' -f1-3 /proc/loadavg)"
