#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_nocurl.sh - libcurl is opened on first use (core/curl_dl.h): a plain
# http:// run against the simulator, with every side request a default run
# makes (the model list, the /tokenize alignment check, /metrics scrapes of
# --server-metrics), completes without libcurl ever being loaded (the
# loader's LD_DEBUG=libs trace names every shared object it opens); a run
# with --http-client curl and a proxied one load it and work. Where a user
# namespace can hide libcurl.so.4, a run that needs it stops with a message
# naming the library and what needed it, and a plain run still works.
# (https runs: serve_tls.sh, serve_https_plain.sh.)
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
unset http_proxy HTTP_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
gpt2="$SB_TEST_DATA/tokenizers/gpt2"

run() { # NAME [ARGS...]: one run against $url (its counts are checked after);
    # loader trace in $tmp/NAME.trace
    local name=$1
    shift
    LD_DEBUG=libs LD_DEBUG_OUTPUT="$tmp/$name.ld" "$SB_BIN" serve --base-url "$url" \
        --tokenizer "$gpt2" --dataset-name random --random-input-len 16 --random-output-len 8 \
        --num-prompts 40 --request-rate 200 --server-metrics-interval 0.05 --disable-tqdm \
        --save-result --result-dir "$tmp" --result-filename "$name.json" "$@" \
        > "$tmp/$name.out" 2>&1 || true
    cat "$tmp/$name.ld".* > "$tmp/$name.trace"
    grep -q "calling init: .*libjansson" "$tmp/$name.trace" ||
        { echo "FAIL $name: no loader trace"; exit 1; }
}
loaded() { grep -q "calling init: .*/libcurl\.so\.4" "$tmp/$1.trace"; }

sim_start --model m --tokenizer "$gpt2" --ttft-ms 1 --itl-ms 2
run plain
grep -Eq '^Successful requests: +40 *$' "$tmp/plain.out" || { cat "$tmp/plain.out"; exit 1; }
grep -q -- "-Server metrics-" "$tmp/plain.out" || { echo "FAIL: no scrapes"; cat "$tmp/plain.out"; exit 1; }
grep -q "matched" "$tmp/plain.out" || { echo "FAIL: no /tokenize check"; cat "$tmp/plain.out"; exit 1; }
if loaded plain; then
    echo "FAIL: a plain http:// run loaded libcurl:"
    grep -m3 "libcurl\.so" "$tmp/plain.trace"
    exit 1
fi

run curl --http-client curl
grep -Eq '^Successful requests: +40 *$' "$tmp/curl.out" || { cat "$tmp/curl.out"; exit 1; }
loaded curl || { echo "FAIL: --http-client curl did not load libcurl"; exit 1; }

# a dead proxy: libcurl carries every request (to the proxy), each fails to connect
http_proxy=http://127.0.0.1:1 run proxied --model m --tokenizer-alignment off --no-server-metrics
grep -Eq '^Failed requests: +40 *$' "$tmp/proxied.out" || { cat "$tmp/proxied.out"; exit 1; }
loaded proxied || { echo "FAIL: a proxied run did not load libcurl"; exit 1; }

# without libcurl.so.4 (hidden in a user and mount namespace, where allowed)
lib=$(grep -m1 -o "calling init: .*/libcurl\.so\.4" "$tmp/curl.trace" | sed 's/calling init: //') || true
if [ -n "$lib" ] && unshare -rm true 2> /dev/null; then
    hide() { unshare -rm sh -c 'mount --bind /dev/null "$0" && exec "$@"' "$(readlink -f "$lib")" "$@"; }
    rc=0
    hide "$SB_BIN" serve --base-url "$url" --tokenizer "$gpt2" --num-prompts 4 \
        --random-input-len 16 --random-output-len 8 --http-client curl --disable-tqdm \
        > "$tmp/hidden.out" 2>&1 || rc=$?
    [ "$rc" -ne 0 ] || { echo "FAIL: --http-client curl without libcurl succeeded"; exit 1; }
    grep -q "needs libcurl" "$tmp/hidden.out" && grep -q "libcurl.so.4" "$tmp/hidden.out" &&
        grep -q -- "--http-client curl" "$tmp/hidden.out" ||
        { echo "FAIL: no clear message"; cat "$tmp/hidden.out"; exit 1; }
    hide "$SB_BIN" serve --base-url "$url" --tokenizer "$gpt2" --num-prompts 4 \
        --random-input-len 16 --random-output-len 8 --disable-tqdm > "$tmp/hidden2.out" 2>&1 ||
        { echo "FAIL: a plain run without libcurl"; cat "$tmp/hidden2.out"; exit 1; }
    echo "without libcurl.so.4: '$(grep -m1 'needs libcurl' "$tmp/hidden.out")'"
else
    echo "not checked: a run without libcurl.so.4 (no user namespaces here)"
fi
sim_stop
echo "serve_nocurl: ok"
