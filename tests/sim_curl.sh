#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# sim_curl.sh - `servebench sim` against the curl CLI, a client we did not
# write: streaming over HTTP/1.1 (chunked) and HTTP/1.0 (close-delimited),
# a non-streaming body, keep-alive reuse, and SIGINT printing the totals.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
out=$(mktemp)
trap 'kill "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
"$SB_BIN" sim --port 0 --ttft-ms 2 --itl-ms 1 > "$out" &
pid=$!
for _ in $(seq 600); do grep -q listening "$out" && break; sleep 0.05; done
line=$(head -n1 "$out")
[[ "$line" =~ ^servebench\ sim\ listening\ on\ http://127\.0\.0\.1:([0-9]+)$ ]] || { echo "bad first line: $line"; exit 1; }
url="http://127.0.0.1:${BASH_REMATCH[1]}"
body='{"model":"sim","prompt":"hello there","max_tokens":5,"stream":true,"ignore_eos":true,"stream_options":{"include_usage":true}}'

s11=$(curl -sS --fail -N "$url/v1/completions" -H 'content-type: application/json' -d "$body")
[ "$(grep -c '"text"' <<<"$s11")" -eq 5 ] || { echo "HTTP/1.1 stream: $s11"; exit 1; }
grep -q '"completion_tokens":5' <<<"$s11"
[ "$(tail -n1 <<<"$s11")" = "data: [DONE]" ] || [ "$(grep -v '^$' <<<"$s11" | tail -n1)" = "data: [DONE]" ]

s10=$(curl -sS --fail --http1.0 -N "$url/v1/completions" -d "$body")
[ "$(grep -c '"text"' <<<"$s10")" -eq 5 ] || { echo "HTTP/1.0 stream: $s10"; exit 1; }

full=$(curl -sS --fail "$url/v1/chat/completions" -d '{"messages":[{"role":"user","content":"hi"}],"max_completion_tokens":3,"ignore_eos":true}')
grep -q '"object":"chat.completion"' <<<"$full"
grep -q '"completion_tokens":3' <<<"$full"

# Two URLs in one curl call reuse the connection (curl says so on stderr).
reuse=$(curl -sS -v "$url/health" "$url/v1/models" 2>&1 >/dev/null | grep -c 'Re-using existing connection' || true)
[ "$reuse" -ge 1 ] || { echo "no keep-alive reuse"; exit 1; }

code=$(curl -sS -o /dev/null -w '%{http_code}' "$url/v1/completions" -d '{"prompt":')
[ "$code" = 400 ]

kill -INT "$pid"
wait "$pid"
grep -q 'SIGINT received' "$out"
grep -q '4 requests (3 ok' "$out" || { cat "$out"; exit 1; }
echo "sim_curl: ok"
