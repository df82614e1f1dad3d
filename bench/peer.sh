#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/peer.sh - how well a client measures itself: the reference's Python asyncio
# path (bench/peer_vllm.py) and, when it works, `servebench serve`, each checked
# request by request against the simulator's ground truth (bench/peer.md).
#
# For each load C in $LOADS: a fresh `servebench sim --record` (timed: --ttft-ms,
# --itl-ms, one token per chunk, batch wide enough that nothing queues), C requests
# at --max-concurrency C with a fixed output length, then bench/peer_compare.py.
# Then firehose mode (no server timing) for the ingest rate in token events/s and
# CPU seconds, beside curl reading the same streams without parsing (the transport
# limit on this machine). Builds nothing: expects $dir/servebench.
# Usage: bash bench/peer.sh [build-dir]
#   env: LOADS="100 1000 5000" OUT_LEN=32 TTFT_MS=50 ITL_MS=20
#        FH_CONC=100 FH_LEN=2000 PYTHON=/usr/bin/python3 KEEP=1 (keep files)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
bin="$dir/servebench"
py="${PYTHON:-/usr/bin/python3}"
loads="${LOADS:-100 1000 5000}"
out_len="${OUT_LEN:-32}"
ttft_ms="${TTFT_MS:-50}"
itl_ms="${ITL_MS:-20}"
fh_conc="${FH_CONC:-100}"
fh_len="${FH_LEN:-2000}"
tok=/work/shared/tokenizers/gpt2
[ -d "$tok" ] || tok="$(pwd)/tests/data/tokenizers/gpt2"
[ -x "$bin" ] || { echo "peer.sh: no $bin; run: bash scripts/build.sh $dir" >&2; exit 2; }
"$py" -c 'import aiohttp, numpy' 2>/dev/null ||
  { echo "peer.sh: $py needs aiohttp and numpy (apt-get install python3-aiohttp python3-numpy)" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /tmp/sb-peer-XXXXXX)
sim_pid=
stop_sim() {
  if [ -n "$sim_pid" ]; then
    kill -INT "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
    sim_pid=
    # the server's own lateness, so client error is not blamed for the server's
    sim_line=$(grep -h 'schedule error' "$work/$sim_name.sim" | grep -v 'over 0 emissions' |
      sed 's/^servebench sim: schedule error/  sim lateness/' || true)
  fi
}
cleanup() { stop_sim; [ -n "${KEEP:-}" ] && echo "files kept in $work" || rm -rf "$work"; }
trap cleanup EXIT

# start_sim NAME [sim options...]: sets $url; the record goes to $work/NAME.rec
start_sim() {
  local name=$1; shift
  sim_name=$name
  "$bin" sim --port 0 --seed 1 --max-num-seqs 100000 \
    --record "$work/$name.rec" "$@" > "$work/$name.sim" 2>&1 &
  sim_pid=$!
  for _ in $(seq 100); do grep -q listening "$work/$name.sim" && break; sleep 0.05; done
  url=$(head -n1 "$work/$name.sim" | sed -n 's/^servebench sim listening on //p')
  [ -n "$url" ] || { echo "sim did not start: $(cat "$work/$name.sim")" >&2; exit 1; }
}

# serve_ok: does this build's `servebench serve` run a benchmark at all?
serve_ok() {
  start_sim probe --ttft-ms 1 --itl-ms 1
  local rc=0
  timeout 30 "$bin" serve --base-url "$url" --model sim --tokenizer "$tok" \
    --dataset-name random --random-input-len 8 --random-output-len 2 --num-prompts 2 \
    --ignore-eos --disable-tqdm > "$work/probe.out" 2>&1 || rc=$?
  stop_sim
  return $rc
}

# run_peer NAME C N LEN: the Python peer, C streams, N requests of LEN tokens
run_peer() {
  timeout 300 "$py" bench/peer_vllm.py --base-url "$url" --num-prompts "$3" \
    --max-concurrency "$2" --output-len "$4" --ignore-eos --request-id-prefix peer- \
    --result-jsonl "$work/$1.jsonl" > "$work/$1.sum" || true
}

# run_sb NAME C N LEN: servebench serve, same load; CPU from /usr/bin/time
run_sb() {
  timeout 300 /usr/bin/time -f '%U %S %e' -o "$work/$1.time" "$bin" serve \
    --base-url "$url" --model sim --tokenizer "$tok" --dataset-name random \
    --random-input-len 16 --random-output-len "$4" --ignore-eos --num-prompts "$3" \
    --max-concurrency "$2" --request-id-prefix sb- --disable-tqdm --save-result \
    --save-detailed --result-filename "$work/$1.json" > "$work/$1.out" 2>&1 || true
}

echo "== load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; ulimit -n $(ulimit -n)"
echo "== clock: peer perf_counter = $("$py" -c 'import time
a = time.perf_counter_ns(); b = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
print(time.get_clock_info("perf_counter").implementation, "(read beside CLOCK_MONOTONIC: %+d ns)" % (b - a))'); sim = CLOCK_MONOTONIC (sb_now_ns)"
have_sb=0
if serve_ok; then have_sb=1; else
  echo "== servebench serve: not usable in this build ($(tail -n1 "$work/probe.out")); peer only"
fi

echo "== timed: ttft ${ttft_ms} ms, itl ${itl_ms} ms, ${out_len} tokens per request, one per chunk"
for c in $loads; do
  start_sim "peer$c" --ttft-ms "$ttft_ms" --itl-ms "$itl_ms"
  run_peer "peer$c" "$c" "$c" "$out_len"
  stop_sim
  "$py" bench/peer_compare.py --record "$work/peer$c.rec" --peer "$work/peer$c.jsonl" \
    --label "peer C=$c" --summary "$work/peer$c.sum" --text || true
  echo "$sim_line"
  if [ "$have_sb" = 1 ]; then
    start_sim "sb$c" --ttft-ms "$ttft_ms" --itl-ms "$itl_ms"
    run_sb "sb$c" "$c" "$c" "$out_len"
    stop_sim
    "$py" bench/peer_compare.py --record "$work/sb$c.rec" --servebench "$work/sb$c.json" \
      --prefix sb- --label "servebench C=$c" --time "$work/sb$c.time" --text || true
    echo "$sim_line"
  fi
done

echo "== firehose: ${fh_conc} streams x ${fh_len} tokens, no server timing"
start_sim fhcurl --firehose
cfg="$work/curl.cfg"
: > "$cfg"
for _ in $(seq "$fh_conc"); do printf 'url = "%s/v1/completions"\noutput = "/dev/null"\n' "$url" >> "$cfg"; done
/usr/bin/time -f '%U %S %e' -o "$work/fhcurl.time" curl -sS -N -Z --parallel-max "$fh_conc" \
  --parallel-immediate -K "$cfg" -H 'content-type: application/json' \
  -d "{\"model\":\"sim\",\"prompt\":\"hi\",\"max_tokens\":$fh_len,\"ignore_eos\":true,\"stream\":true}" \
  2> /dev/null || true
stop_sim
read -r u s e < "$work/fhcurl.time"
awk -v u="$u" -v s="$s" -v e="$e" -v n=$((fh_conc * fh_len)) 'BEGIN {
  printf "curl (no parsing)    %9.0f token events/s  cpu %.2f s = %.0f%% of wall %.2f s\n", n/e, u+s, 100*(u+s)/e, e }'
start_sim fhpeer --firehose
run_peer fhpeer "$fh_conc" "$fh_conc" "$fh_len"
stop_sim
"$py" -c 'import json,sys; d=json.load(open(sys.argv[1]));
print("peer_vllm.py         %9.0f token events/s  cpu %.2f s = %.0f%% of wall %.2f s  (%d/%d ok)" % (
  d["messages_per_s"], d["cpu_s"], 100*d["cpu_frac"], d["duration"], d["completed"], d["requests"]))' "$work/fhpeer.sum"
if [ "$have_sb" = 1 ]; then
  start_sim fhsb --firehose
  run_sb fhsb "$fh_conc" "$fh_conc" "$fh_len"
  stop_sim
  read -r u s e < "$work/fhsb.time"
  "$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); u,s=float(sys.argv[2]),float(sys.argv[3]);
e=float(sys.argv[4])
print("servebench serve     %9.0f token events/s  cpu %.2f s = %.0f%% of wall %.2f s (process; benchmark %.2f s)  (%d/%d ok)" % (
  d["total_output_tokens"]/d["duration"], u+s, 100*(u+s)/e, e, d["duration"], d["completed"], d["num_prompts"]))' \
    "$work/fhsb.json" "$u" "$s" "$e"
fi
