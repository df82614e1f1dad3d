#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tok_download.sh - the opt-in download path: a model name missing from the Hugging
# Face cache fails offline (the default) with a message naming SERVEBENCH_DOWNLOAD;
# with SERVEBENCH_DOWNLOAD=1 it is fetched from $HF_ENDPOINT (here a local http.server
# laid out like the hub: ORG/NAME/resolve/main/FILE) into the cache, tokenizes exactly
# like the local copy, and is then found offline with the server gone.
. "$(dirname "$0")/skip.sh"
set -euo pipefail
bin="${SB_BIN:?}"
data="${SB_TEST_DATA:?}/tokenizers/gpt2"
command -v python3 >/dev/null || sb_skip "python3 is needed for the local hub server"
tmp=$(mktemp -d)
trap 'kill $srv 2>/dev/null || true; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/hub/acme/tiny-gpt/resolve/main" "$tmp/cache"
gzip -dc "$data/tokenizer.json.gz" >"$tmp/hub/acme/tiny-gpt/resolve/main/tokenizer.json"
cp "$data/tokenizer_config.json" "$tmp/hub/acme/tiny-gpt/resolve/main/"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$tmp/hub" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
srv=$!
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.05; done
export HF_HUB_CACHE="$tmp/cache" HF_ENDPOINT="http://127.0.0.1:$port"
text='Hello, servebench downloads only when asked.'
want=$("$bin" tokenize --tokenizer "$data" --text "$text" --count)

if "$bin" tokenize --tokenizer acme/tiny-gpt --text "$text" --count 2>"$tmp/err"; then
  echo "offline by default: the uncached model must not load"; exit 1
fi
grep -q SERVEBENCH_DOWNLOAD "$tmp/err" || { echo "message does not name SERVEBENCH_DOWNLOAD:"; cat "$tmp/err"; exit 1; }
[ ! -e "$tmp/cache/models--acme--tiny-gpt" ] || { echo "offline run touched the cache"; exit 1; }

got=$(SERVEBENCH_DOWNLOAD=1 "$bin" tokenize --tokenizer acme/tiny-gpt --text "$text" --count)
[ "$got" = "$want" ] || { echo "downloaded tokenizer counts $got, local copy $want"; exit 1; }
[ -f "$tmp/cache/models--acme--tiny-gpt/snapshots/main/tokenizer.json" ] || { echo "not cached"; exit 1; }

if SERVEBENCH_DOWNLOAD=1 "$bin" tokenize --tokenizer acme/missing --text x --count 2>"$tmp/err"; then
  echo "a missing repository must fail"; exit 1
fi
grep -q "HTTP 404" "$tmp/err" || { echo "404 not reported:"; cat "$tmp/err"; exit 1; }
ls "$tmp/cache/models--acme--missing/snapshots/main/" 2>/dev/null | grep -q part && { echo "partial file left"; exit 1; }

kill $srv; wait $srv 2>/dev/null || true
got=$("$bin" tokenize --tokenizer acme/tiny-gpt --text "$text" --count)
[ "$got" = "$want" ] || { echo "cached copy counts $got, want $want"; exit 1; }
echo "tok_download: ok ($want tokens)"
