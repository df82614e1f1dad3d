#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# sim_capacity.sh - the simulator's capacity mode end to end: Qwen3-4B's
# config (tests/data/kv) on a T4 with --overhead-gib 5.3 leaves a KV cache of
# 5,136 tokens (servebench kv says so too), so requests of 2,000 prompt + 32
# output tokens run two at a time: the server's own metrics, scraped during
# the run, show at most 2 running and the rest waiting, and every request
# succeeds. Then the bad inputs: an unknown GPU, a config without the fields
# the model needs, a model that does not fit.
set -u
BIN="${SB_BIN:?run through ctest}"
DATA="${SB_TEST_DATA:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
cfg="$DATA/kv/qwen3_4b.json"
"$BIN" kv --config "$cfg" --gpu-memory 15.0 --params-b 4.0225 --overhead-gib 5.3 --json > "$tmp/kv.json"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["kv_cache_tokens"]; sys.exit(0 if t == 5136 else "FAIL: kv tokens %s" % t)' "$tmp/kv.json" || fail=1

"$BIN" serve --sim --model Qwen/Qwen3-4B --tokenizer "$DATA/tokenizers/qwen3" \
  --random-input-len 2000 --random-output-len 32 --num-prompts 6 --disable-tqdm \
  --sim-arg=--model-config="$cfg" --sim-arg=--gpu=t4 --sim-arg=--overhead-gib=5.3 \
  --server-metrics-interval 0.1 --save-result --result-dir "$tmp" --result-filename c.json \
  > "$tmp/out" 2>&1 || { echo "FAIL: serve"; cat "$tmp/out"; exit 1; }
grep -Eq "^Successful requests: +6 *$" "$tmp/out" || { echo "FAIL: not 6 successes"; cat "$tmp/out"; fail=1; }
python3 - "$tmp/c.json" <<'PY' || fail=1
import json, sys
s = json.load(open(sys.argv[1]))["servebench"]["server_metrics"]["summary"]
ok = s["requests_running_peak"] == 2 and s["requests_waiting_peak"] >= 1 and 0 < s["kv_cache_usage_peak"] <= 1
if not ok:
    sys.exit(f"FAIL: admission by KV capacity: {s}")
PY

expect_fail() { # expect_fail PATTERN SIM-ARGS...
  local pat=$1; shift
  "$BIN" sim --port 0 --quiet "$@" > "$tmp/sim.out" 2>&1 &
  local pid=$!
  # it must exit without listening; a loaded machine may take a while to get there
  for _ in $(seq 600); do kill -0 $pid 2>/dev/null || break; grep -q listening "$tmp/sim.out" && break; sleep 0.05; done
  if grep -q listening "$tmp/sim.out" || kill -0 $pid 2>/dev/null; then
    kill $pid 2>/dev/null; wait $pid 2>/dev/null; echo "FAIL: sim $* started"; fail=1; return
  fi
  wait $pid
  grep -q -- "$pat" "$tmp/sim.out" || { echo "FAIL: sim $*: no /$pat/"; cat "$tmp/sim.out"; fail=1; }
}
expect_fail "--gpu gtx480: not one of" --model-config "$cfg" --gpu gtx480
expect_fail 'needs a positive integer "num_hidden_layers"' --model-config "$DATA/kv/missing_layers.json" --gpu t4
expect_fail "does not fit on t4" --model-config "$DATA/kv/qwen3_235b_a22b.json" --gpu t4
[ $fail -eq 0 ] && echo "sim_capacity: ok"
exit $fail
