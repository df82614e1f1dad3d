#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dataset.sh - dataset loading benchmarks (figures in bench/dataset.md).
#   bash bench/dataset.sh [BUILD_DIR] [TOKENIZER] [RANDOM_N] [PEER_N]
# 1. writes the synthetic ~650 MB ShareGPT file to /tmp (bench_gen_sharegpt;
#    never committed) unless it exists;
# 2. the physical limit: reading the file (wc -l) from the page cache;
# 3. servebench: sharegpt, 1,000 requests (scan + shuffle + walk + tokenize),
#    and the scan alone (1 request), under /usr/bin/time -v for peak RSS;
#    hf (Conversation class), 1,000 requests, through `servebench dataset stats`;
# 4. the reference's load path: Python json.load + filter + shuffle;
# 5. servebench: random dataset, RANDOM_N requests of 1,024 tokens, with 1
#    thread and with all cores; the floor on the same machine (one table
#    decode of each window into a kept copy, no encode); the peer: the
#    reference's loop on the Rust `tokenizers` library (npm binding from
#    tests/diff; PEER_N prompts, default RANDOM_N / 100, extrapolated).
set -euo pipefail
B="${1:-build}"
TOK="${2:-${SB_BENCH_TOKENIZER:-tests/data/datasets/gpt2}}"
RN="${3:-2000}"
PN="${4:-$((RN / 100 > 10 ? RN / 100 : 10))}"
F=/tmp/sharegpt_synth.json
[ -s "$F" ] || "$B/bench/bench_gen_sharegpt" "$F"
ls -l "$F"
/usr/bin/time -f "limit: wc -l of the file: %e s" wc -l "$F" >/dev/null
rss() { /usr/bin/time -v "$@" 2>&1 | grep -E "^(sharegpt|random|python|decode-only|Load time)|Maximum resident|Elapsed"; }
rss "$B/bench/bench_dataset_load" "$TOK" sharegpt "$F" 1000
rss "$B/bench/bench_dataset_load" "$TOK" sharegpt "$F" 1
# the hf Conversation class on the same file (it reads the ShareGPT shape)
rss "$B/servebench" dataset stats --dataset-name hf --dataset-path "$F" \
  --hf-name Aeala/ShareGPT_Vicuna_unfiltered --num-prompts 1000 --tokenizer "$TOK"
rss /usr/bin/python3 -c "
import json, random, time
t = time.time(); d = json.load(open('$F', encoding='utf-8')); t1 = time.time()
d = [e for e in d if 'conversations' in e and len(e['conversations']) >= 2]
random.seed(0); random.shuffle(d)
print('python json.load %.2f s, filter+shuffle %.2f s, %d entries' % (t1 - t, time.time() - t1, len(d)))"
SB_THREADS=1 rss "$B/bench/bench_dataset_load" "$TOK" random "$RN" 1024
rss "$B/bench/bench_dataset_load" "$TOK" random "$RN" 1024
rss "$B/bench/bench_dataset_load" "$TOK" decode-only "$RN" 1024
TJ="$TOK/tokenizer.json"
if [ ! -f "$TJ" ] && [ -f "$TOK/tokenizer.json.gz" ]; then
  TJ=/tmp/random_peer_tokenizer.json
  zcat "$TOK/tokenizer.json.gz" >"$TJ"
fi
if command -v node >/dev/null && [ -d tests/diff/node_modules/tokenizers ]; then
  node bench/random_peer.mjs tests/diff/node_modules "$TJ" "$PN" 1024
else
  echo "peer skipped: needs node and tests/diff/node_modules (npm ci in tests/diff)"
fi
