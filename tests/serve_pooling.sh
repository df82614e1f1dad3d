#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_pooling.sh - the pooling backends end to end against a real
# `servebench sim` (its /rerank, /v1/embeddings and /pooling endpoints) on an
# ephemeral port, counting prompt tokens with the same GPT-2 tokenizer:
#  - vllm-rerank + random-rerank (batches of 4 documents);
#  - openai-embeddings + random --random-batch-size 4 (a short last batch);
#  - vllm-pooling + random --random-batch-size 3.
# Each run must exit 0, succeed on every request, print the pooling block
# (input tokens and end-to-end latency, no generation metrics), and report
# the prompt tokens the server counted (usage.prompt_tokens), which the
# sim's --record gives per request.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
TOK="$SB_TEST_DATA/datasets/gpt2"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

sim_start --model sim --tokenizer "$TOK" --ttft-ms 2 --prefill-tok-per-s 200000 \
    --record "$tmp/rec.jsonl"

# run NAME REQUESTS INPUT_TOKENS API serve-flags...: one benchmark, then its checks.
run() {
    local name=$1 n=$2 want_in=$3 api=$4 want_seqs=$5
    shift 5
    "$SB_BIN" serve --base-url "http://127.0.0.1:$port" --model sim --tokenizer "$TOK" \
        --request-id-prefix "$name-" --save-result --save-detailed --result-dir "$tmp" \
        --result-filename "$name.json" "$@" >"$tmp/$name.out" 2>&1 ||
        { echo "FAIL $name: exit status"; cat "$tmp/$name.out"; exit 1; }
    local block
    block=$(sed -n '/^============ Serving Benchmark Result ============$/,/^==================================================$/p' "$tmp/$name.out")
    grep -Eq "^Successful requests: +$n *$" <<<"$block" || { echo "FAIL $name: not $n successes"; echo "$block"; exit 1; }
    grep -Eq "^Failed requests: +0 *$" <<<"$block" || { echo "FAIL $name: failures"; echo "$block"; exit 1; }
    grep -Eq "^Total input tokens: +$want_in *$" <<<"$block" || { echo "FAIL $name: input tokens not $want_in"; echo "$block"; exit 1; }
    grep -q "End-to-end Latency" <<<"$block" || { echo "FAIL $name: no E2EL section"; exit 1; }
    if grep -Eq "Total generated tokens|Time to First Token|Inter-token" <<<"$block"; then
        echo "FAIL $name: generation metrics in a pooling block"; echo "$block"; exit 1
    fi
    grep -Eq "^Input throughput \(inputs/s\): +[0-9.]+ *$" <<<"$block" || { echo "FAIL $name: no input throughput"; echo "$block"; exit 1; }
    /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["total_input_sequences"] == int(sys.argv[2]) and r["input_sequence_throughput"] > 0 else "FAIL %s: total_input_sequences %s, wanted %s" % (sys.argv[3], r["total_input_sequences"], sys.argv[2]))' \
        "$tmp/$name.json" "$want_seqs" "$name"
    checks+=("$name $n $api")
}

# check NAME N API: the sim's record (complete once it stopped) against the
# result file's per-request input lengths.
check() {
    local name=$1 n=$2 api=$3
    /usr/bin/python3 - "$tmp/rec.jsonl" "$tmp/$name.json" "$name" "$n" "$api" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
res = json.load(open(sys.argv[2]))
name, n, api = sys.argv[3], int(sys.argv[4]), sys.argv[5]
recs = [r for r in recs if r['request_id'].startswith(name + '-')]
if len(recs) != n or any(r['api'] != api or r['status'] != 200 for r in recs):
    sys.exit(f"FAIL {name}: sim saw {len(recs)} {api} requests, wanted {n} answered 200")
by_id = {int(r['request_id'][len(name) + 1:]): r['prompt_tokens'] for r in recs}
lens = res.get('input_lens') or res['servebench'].get('input_lens')
if lens != [by_id[i] for i in range(n)]:
    sys.exit(f"FAIL {name}: input_lens {lens} differ from the server's counts {by_id}")
print(f"serve_pooling: {name}: {n} requests, prompt tokens as the server counted")
PY
}

checks=()
# rerank: 24 documents in batches of 4; query 31 tokens, documents 32; the
# sim counts query + document per pair: 6 requests * 4 * 63 tokens.
run rerank 6 1512 rerank 24 --backend vllm-rerank --endpoint /rerank \
    --dataset-name random-rerank --num-prompts 24 --random-input-len 64 --random-batch-size 4
# embeddings: 18 prompts of 32 tokens in batches 4, 4, 4, 4, 2.
run embed 5 576 embeddings 18 --backend openai-embeddings --endpoint /v1/embeddings \
    --dataset-name random --num-prompts 18 --random-input-len 32 --random-batch-size 4
run pool 3 144 pooling 9 --backend vllm-pooling --endpoint /pooling \
    --dataset-name random --num-prompts 9 --random-input-len 16 --random-batch-size 3
# the CLIP / VLM2Vec variants with text prompts (no images): clip and
# infinity-clip send the text, vlm2vec too (its instructions need an image).
run clip 4 64 embeddings 4 --backend openai-embeddings-clip --endpoint /v1/embeddings \
    --dataset-name random --num-prompts 4 --random-input-len 16
run vlm2vec 4 64 embeddings 4 --backend openai-embeddings-vlm2vec --endpoint /v1/embeddings \
    --dataset-name random --num-prompts 4 --random-input-len 16
run infclip 4 64 embeddings 4 --backend infinity-embeddings-clip --endpoint /v1/embeddings \
    --dataset-name random --num-prompts 4 --random-input-len 16
# ... and with images (random-mm): clip blanks the text, vlm2vec writes its
# instruction, infinity-clip sends the image URL (bodies: test_backend_pool.c).
for be in openai-embeddings-clip openai-embeddings-vlm2vec infinity-embeddings-clip; do
    "$SB_BIN" serve --base-url "http://127.0.0.1:$port" --model sim --tokenizer "$TOK" \
        --backend $be --endpoint /v1/embeddings --dataset-name random-mm --num-prompts 4 \
        --random-input-len 16 --random-mm-bucket-config '{(32,32,1):1.0}' \
        --random-mm-base-items-per-request 1 --disable-tqdm >"$tmp/mm.out" 2>&1 ||
        { echo "FAIL $be random-mm: exit status"; cat "$tmp/mm.out"; exit 1; }
    grep -Eq "^Successful requests: +4 *$" "$tmp/mm.out" && grep -Eq "^Failed requests: +0 *$" "$tmp/mm.out" ||
        { echo "FAIL $be random-mm"; cat "$tmp/mm.out"; exit 1; }
done
# the record is buffered: stop the sim (it flushes on exit) before reading it
kill "$pid"
wait "$pid" || true
pid=
for c in "${checks[@]}"; do
    check $c
done
