#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# sim_tokenizer.sh - `servebench sim --tokenizer` reports usage.prompt_tokens as the
# tokenizer counts the prompt (special tokens included, as vLLM does), for completions
# and chat, and equals `servebench tokenize --count --add-special-tokens`.
. "$(dirname "$0")/skip.sh"
set -euo pipefail
bin="${SB_BIN:?}"
tok="${SB_TEST_DATA:?}/tokenizers/llama3"
out=$(mktemp)
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
"$bin" sim --port 0 --tokenizer "$tok" --ttft-ms 1 --itl-ms 1 >"$out" &
pid=$!
for _ in $(seq 600); do grep -q listening "$out" && break; sleep 0.05; done
url=$(head -1 "$out" | sed 's/.*listening on //')
prompt='The quick brown fox jumps over the lazy dog. Ünïcödé, 数字 12345!'
want=$("$bin" tokenize --tokenizer "$tok" --text "$prompt" --count --add-special-tokens)
got=$(curl -sf "$url/v1/completions" -H 'Content-Type: application/json' \
  -d "{\"model\":\"sim\",\"prompt\":\"$prompt\",\"max_tokens\":2}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["usage"]["prompt_tokens"])')
[ "$got" = "$want" ] || { echo "completions: prompt_tokens $got, tokenizer says $want"; exit 1; }
[ "$want" -gt 10 ] || { echo "implausible count $want"; exit 1; }
got=$(curl -sf "$url/v1/chat/completions" -H 'Content-Type: application/json' \
  -d "{\"model\":\"sim\",\"messages\":[{\"role\":\"user\",\"content\":\"$prompt\"}],\"max_tokens\":2}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["usage"]["prompt_tokens"])')
[ "$got" -ge "$want" ] || { echo "chat: prompt_tokens $got < $want"; exit 1; }
if "$bin" sim --port 0 --tokenizer /nonexistent/tok 2>"$out.err" >/dev/null; then
  echo "a missing tokenizer must fail"; exit 1
fi
grep -q -- "--tokenizer" "$out.err" || { echo "error does not name --tokenizer:"; cat "$out.err"; exit 1; }
rm -f "$out.err"
echo "sim_tokenizer: ok ($want prompt tokens)"
