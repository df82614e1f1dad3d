#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# sim_prefix_cache.sh - the simulator's prefix cache seen through servebench's
# server metrics, end to end (the simulator's --record is the truth):
#  - serve --sim on prefix_repetition (2 prefixes of 256 tokens): the
#    "Prefix-cache hit rate" of the Server metrics section and
#    server_metrics.summary.prefix_cache_hit_rate equal the record's cached /
#    prompt tokens exactly (the first scrape precedes the first request);
#  - --no-enable-prefix-caching: nothing cached, no hit rate (vLLM counts no
#    queries then), and the TTFT pays the whole prefill;
#  - a Mooncake trace against `servebench sim`: each request's cached tokens
#    are what a cache of full 16-token blocks, in start order, gives; the hit
#    rate is within a block per request of the prefix sharing the trace
#    implies ("Trace prefix sharing");
#  - capacity mode: --num-gpu-blocks-override sets the KV cache (blocks x
#    --block-size) and the cache lives in it.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
PY=/usr/bin/python3
tok="$SB_TEST_DATA/tokenizers/gpt2"

rep() { # rep NAME SIM-ARGS...: a prefix_repetition run against serve --sim, recorded
    local name=$1; shift
    "$SB_BIN" serve --sim --tokenizer "$tok" --dataset-name prefix_repetition \
        --prefix-repetition-prefix-len 256 --prefix-repetition-suffix-len 32 \
        --prefix-repetition-num-prefixes 2 --prefix-repetition-output-len 4 --num-prompts 20 \
        --request-rate 50 --disable-tqdm --server-metrics-interval 0.1 \
        --sim-arg="--record=$tmp/$name.rec --ttft-ms 0 --prefill-tok-per-s 100000" "$@" \
        --save-result --result-dir "$tmp" --result-filename "$name.json" > "$tmp/$name.out" 2>&1 ||
        { echo "FAIL $name: serve"; cat "$tmp/$name.out"; exit 1; }
}
rep on
rep off --sim-arg=--no-enable-prefix-caching
$PY - "$tmp" <<'PY'
import json, re, sys
d = sys.argv[1]
for name in ("on", "off"):
    rec = [json.loads(l) for l in open(f"{d}/{name}.rec")]
    res = json.load(open(f"{d}/{name}.json"))
    out = open(f"{d}/{name}.out").read()
    sm = res["servebench"]["server_metrics"]
    rate = sm["summary"]["prefix_cache_hit_rate"]
    hits, queries = sum(r["cached_tokens"] for r in rec), sum(r["prompt_tokens"] for r in rec)
    line = re.search(r"^Prefix-cache hit rate \(%\): +([0-9.]+)", out, re.M)
    assert len(rec) == 20 and all(r["outcome"] == "ok" for r in rec), name
    if name == "on":
        # 2 distinct prefixes: all but the first request of each find the 256 prefix tokens
        assert hits == 18 * 256 and queries == 20 * 288, (hits, queries)
        assert abs(rate - hits / queries) < 1e-12, (rate, hits, queries)
        assert line and line.group(1) == f"{100 * hits / queries:.2f}", line
        assert "prefix_cache_hits_per_s" in sm["series"], sm["series"].keys()
        # prefill: 1 ms per 100 uncached tokens; the record's first token is never early
        for r in rec:
            assert r["first_token_ns"] - r["start_ns"] >= (288 - r["cached_tokens"]) * 10000, r
    else:
        assert hits == 0 and rate is None and line is None, (hits, rate)
        assert all(r["first_token_ns"] - r["start_ns"] >= 288 * 10000 for r in rec)
print(f"sim_prefix_cache: prefix_repetition hit rate {100 * 4608 / 5760:.2f} %")
PY

# Mooncake: 16-token blocks on both sides
trace="$SB_TEST_DATA/datasets/mooncake_small.jsonl"
sim_start --model mc --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.1 --block-size 16 --record "$tmp/mc.rec"
"$SB_BIN" serve --backend vllm --model mc --tokenizer "$tok" --dataset-name mooncake \
    --mooncake-block-size 16 --ignore-eos --request-id-prefix mc- --dataset-path "$trace" \
    --base-url "$url" --server-metrics-interval 0.1 --save-result --result-dir "$tmp" \
    --result-filename mc.json > "$tmp/mc.out" 2>&1 || { echo "FAIL: mooncake serve"; cat "$tmp/mc.out"; exit 1; }
sim_stop
$PY - "$trace" "$tmp/mc.rec" "$tmp/mc.json" <<'PY'
import json, sys
B = 16
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rec = sorted((json.loads(l) for l in open(sys.argv[2])), key=lambda r: r["start_ns"])
res = json.load(open(sys.argv[3]))["servebench"]
# a cache that never evicts, in the order the server started the requests:
# the leading full blocks whose whole chain of hash ids was full before
cached, want = set(), {}
for r in rec:
    row = rows[int(r["request_id"][3:])]
    n = row["input_length"]
    full = [tuple(row["hash_ids"][:k + 1]) for k in range(n // B)]
    hit = 0
    while hit < len(full) and hit < (n - 1) // B and full[hit] in cached:
        hit += 1
    cached.update(full)
    want[r["request_id"]] = hit * B
got = {r["request_id"]: r["cached_tokens"] for r in rec}
assert got == want, (got, want)
hits, queries = sum(got.values()), sum(r["prompt_tokens"] for r in rec)
rate = res["server_metrics"]["summary"]["prefix_cache_hit_rate"]
assert abs(rate - hits / queries) < 1e-12, (rate, hits, queries)
tr = res["trace"]
assert tr["prompt_tokens"] == queries
# the trace's sharing counts partial blocks and a prompt's last token; the cache
# whole blocks only, the last token always computed: within one block a request
assert hits <= tr["shared_prompt_tokens"] <= hits + B * len(rows), (hits, tr)
assert abs(rate - tr["prefix_shared_fraction"]) <= B * len(rows) / queries
print(f"sim_prefix_cache: mooncake hit rate {100 * rate:.2f} %, trace sharing "
      f"{100 * tr['prefix_shared_fraction']:.2f} %")
PY

# capacity mode: the override sets the KV cache; prefix hits there too
"$SB_BIN" sim --port 0 --model-config "$SB_TEST_DATA/kv/qwen3_4b.json" --gpu t4 \
    --overhead-gib 5.3 --num-gpu-blocks-override 100 --block-size 32 > "$tmp/cap.out" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q listening "$tmp/cap.out" 2>/dev/null && break; sleep 0.05; done
grep -q "KV cache 3200 tokens" "$tmp/cap.out" || { echo "FAIL: override"; cat "$tmp/cap.out"; exit 1; }
kill "$pid"; wait "$pid" || true; pid=
"$SB_BIN" serve --sim --model Qwen/Qwen3-4B --tokenizer "$SB_TEST_DATA/tokenizers/qwen3" \
    --dataset-name prefix_repetition --prefix-repetition-prefix-len 512 \
    --prefix-repetition-suffix-len 16 --prefix-repetition-num-prefixes 1 \
    --prefix-repetition-output-len 2 --num-prompts 4 --max-concurrency 1 --disable-tqdm \
    --sim-arg="--model-config=$SB_TEST_DATA/kv/qwen3_4b.json --gpu=t4 --overhead-gib=5.3 --record=$tmp/cap.rec" \
    > "$tmp/cap2.out" 2>&1 || { echo "FAIL: capacity serve"; cat "$tmp/cap2.out"; exit 1; }
$PY -c '
import json, sys
rec = [json.loads(l) for l in open(sys.argv[1])]
c = [r["cached_tokens"] for r in rec]
assert len(rec) == 4 and c[0] == 0 and all(x == 512 for x in c[1:]), c
' "$tmp/cap.rec"
echo "sim_prefix_cache: ok"
