#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dataset_rerank_diff.sh - the request bodies servebench sends for list
# prompts, byte for byte, against a model of the reference built from real
# parts (tests/gen/ds_ref_lists.py: numpy's default_rng, the Rust
# `tokenizers` library, json.dumps of the reference's payload dict):
#  - random-rerank with vllm-rerank, reranker and --no-reranker, several
#    lengths, batch sizes, range ratios and seeds (reference 4.3, 3.9);
#  - random with --random-batch-size > 1 and openai-embeddings (4.1 step 8).
# servebench talks to tests/gen/capture_server.py, which records each body
# under its x-request-id and answers without usage, so the result file's
# input_lens are servebench's own prompt_len, compared with the model's too.
# Without numpy or the npm package it reports a skip (exit 77; a failure
# under CI=true: tests/skip.sh).
. "$(dirname "$0")/skip.sh"
set -u
BIN="${SB_BIN:?run through ctest}"
SRC="${SB_SOURCE_DIR:?}"
MODS="${SB_TOK_NODE_MODULES:-$SRC/tests/diff/node_modules}"
TOK="${SB_TEST_DATA:?}/datasets/gpt2"
if [ ! -d "$MODS/tokenizers" ] || ! command -v node >/dev/null || ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  sb_skip "dataset_rerank_diff: needs node, numpy and $MODS/tokenizers (npm ci in tests/diff)"
fi
tmp=$(mktemp -d)
srv_pid=
cleanup() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

start_capture() {
  : >"$tmp/port"
  /usr/bin/python3 "$SRC/tests/gen/capture_server.py" "$tmp/cap.jsonl" >"$tmp/port" &
  srv_pid=$!
  for _ in $(seq 600); do
    grep -q '^PORT' "$tmp/port" && break
    sleep 0.1
  done
  port=$(awk '/^PORT/ {print $2}' "$tmp/port")
  [ -n "$port" ] || { echo "FAIL: capture server did not start"; exit 1; }
}

stop_capture() { kill "$srv_pid"; wait "$srv_pid" 2>/dev/null; srv_pid=; }

# MODE N INPUT BATCH RATIO SEED
while read -r mode n in batch ratio seed; do
  case "$mode" in
    rerank) flags=(--backend vllm-rerank --endpoint /rerank --dataset-name random-rerank) ;;
    rerank-no-reranker) flags=(--backend vllm-rerank --endpoint /v1/rerank --dataset-name random-rerank --no-reranker) ;;
    random) flags=(--backend openai-embeddings --endpoint /v1/embeddings --dataset-name random --random-output-len 16) ;;
  esac
  what="$mode n=$n in=$in batch=$batch ratio=$ratio seed=$seed"
  /usr/bin/python3 "$SRC/tests/gen/ds_ref_lists.py" "$MODS" "$TOK/tokenizer.json" "$mode" "$n" "$in" \
    "$batch" "$ratio" "$seed" 50256 >"$tmp/ref.jsonl" || { echo "FAIL: reference model ($what)"; exit 1; }
  start_capture
  rm -f "$tmp/res.json"
  "$BIN" serve "${flags[@]}" --base-url "http://127.0.0.1:$port" --model m --tokenizer "$TOK" \
    --num-prompts "$n" --random-input-len "$in" --random-batch-size "$batch" \
    --random-range-ratio "$ratio" --seed "$seed" --request-id-prefix req- --max-concurrency 4 \
    --save-result --save-detailed --result-dir "$tmp" --result-filename res.json \
    >"$tmp/out.txt" 2>&1 || { echo "FAIL: servebench ($what)"; cat "$tmp/out.txt"; exit 1; }
  stop_capture
  /usr/bin/python3 - "$tmp/ref.jsonl" "$tmp/cap.jsonl" "$tmp/res.json" "$what" <<'PY' || exit 1
import json, sys
ref = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
cap = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
res = json.load(open(sys.argv[3], encoding='utf-8'))
what = sys.argv[4]
got = {c['id']: c['body'] for c in cap if c['id']}
if len(got) != len(ref):
    sys.exit(f"FAIL {what}: {len(ref)} reference requests, {len(got)} bodies received")
for i, r in enumerate(ref):
    b = got.get(f'req-{i}')
    if b != r['body']:
        sys.exit(f"FAIL {what}: request {i} body differs:\n ref  {r['body'][:600]}\n ours {str(b)[:600]}")
lens = res['servebench']['input_lens'] if 'input_lens' not in res else res['input_lens']
want = [r['prompt_len'] for r in ref]
if lens != want:
    sys.exit(f"FAIL {what}: prompt_len ref {want} ours {lens}")
print(f"dataset_rerank_diff: {what}: {len(ref)} bodies and prompt_lens identical")
PY
done <<'CASES'
rerank 20 64 4 0.0 0
rerank 33 200 5 0.5 7
rerank 12 512 1 0.2 123
rerank 7 9 3 0.9 3
rerank-no-reranker 21 48 5 0.0 0
rerank-no-reranker 10 150 3 0.4 11
random 30 64 4 0.0 0
random 25 100 8 0.5 42
CASES
