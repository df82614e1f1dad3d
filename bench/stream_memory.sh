#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# stream_memory.sh - client memory per in-flight stream (bench/engine.md (d)):
# peak RSS at 100 and 2,000 concurrent streams against `servebench sim` in
# its own process (TTFT 400 ms keeps every stream open while the burst is
# sent; 2,000 requests of 16 input tokens, OUT output tokens, --request-rate
# inf, MALLOC_ARENA_MAX=1), for servebench on its own HTTP/1.1 transport, on
# libcurl (--http-client curl) and for bench_curl_streams (libcurl alone),
# REPS times each, alternating.
# usage: bench/stream_memory.sh BUILD_DIR [OUT] [REPS]
set -euo pipefail
build=${1:?usage: stream_memory.sh BUILD_DIR [OUT] [REPS]}
out=${2:-16}
reps=${3:-3}
src=$(cd "$(dirname "$0")/.." && pwd)
sb=$build/servebench
tmp=$(mktemp -d)
sim_pid=
cleanup() {
    [ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
"$sb" sim --port 0 --ttft-ms 400 --itl-ms 1 --max-num-seqs 5000 > "$tmp/sim.out" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do grep -q listening "$tmp/sim.out" && break; sleep 0.1; done
port=$(sed -nE 's/.*listening on http:\/\/[^:]+:([0-9]+).*/\1/p' "$tmp/sim.out")
peak() { # peak RSS in KiB of a child
    SB_THREADS=${SB_THREADS:-1} MALLOC_ARENA_MAX=1 python3 -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if rc == 0 else -1)' "$@"
}
sbrun() {
    peak "$sb" serve --base-url "http://127.0.0.1:$port" --model sim \
        --tokenizer "$src/tests/data/tokenizers/gpt2" --dataset-name random \
        --random-input-len 16 --random-output-len "$out" --num-prompts 2000 --request-rate inf \
        --max-concurrency "$@"
}
echo "load: $(cut -d' ' -f1-3 /proc/loadavg); output tokens $out"
for r in $(seq "$reps"); do
    a=$(sbrun 100) b=$(sbrun 2000)
    echo "servebench  100: $a KiB  2000: $b KiB  per extra stream: $(((b - a) * 1024 / 1900)) B"
    a=$(sbrun 100 --http-client curl) b=$(sbrun 2000 --http-client curl)
    echo "sb --http-client curl  100: $a KiB  2000: $b KiB  per extra stream: $(((b - a) * 1024 / 1900)) B"
    a=$(peak "$build/bench/bench_curl_streams" 100 "http://127.0.0.1:$port/v1/completions")
    b=$(peak "$build/bench/bench_curl_streams" 2000 "http://127.0.0.1:$port/v1/completions")
    echo "curl alone  100: $a KiB  2000: $b KiB  per extra stream: $(((b - a) * 1024 / 1900)) B"
done
