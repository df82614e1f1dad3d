#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_checks.sh - issue 9's careless-user defects of `serve`, each checked
# where it was found:
#  - counts and lengths that overflowed allocation sizes (or the int32 output
#    length) stop with exit 2 naming the flag and the value as given, before
#    anything is allocated; every length/count flag of every dataset is swept;
#  - `--sim --model Qwen/Qwen3-4B` (docs/serve.md's example) succeeds, and
#    --base-url/--host/--port with --sim are named as ignored;
#  - Ctrl-C: exit 130, the block and the JSON say partial; a second Ctrl-C
#    ends a long grace time at once;
#  - checks made before sending: an unwritable --result-dir, malformed
#    --base-url, a sub-millisecond --request-timeout, a missing dataset file
#    (exit 2 as docs/serve.md says);
#  - failure lines escape invalid UTF-8 and control bytes from a server.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "${cpid:-}" ] && kill "$cpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
source "$(dirname "$0")/helpers/sim.sh"
tokf=(--tokenizer "$SB_TEST_DATA/tokenizers/gpt2")
small=(--random-input-len 8 --random-output-len 4 --disable-tqdm)

usage() { # expected-text serve-args...: exit 2 with the text on stderr, nothing sent
    local want=$1
    shift
    rc=0
    timeout 20 "$SB_BIN" serve --port 1 --model sim "${tokf[@]}" "$@" > "$tmp/u.out" 2> "$tmp/u.err" || rc=$?
    [ "$rc" -eq 2 ] || { echo "FAIL [$*]: want exit 2, got $rc"; cat "$tmp/u.err"; exit 1; }
    grep -qF -- "$want" "$tmp/u.err" || { echo "FAIL [$*]: no '$want' in:"; cat "$tmp/u.err"; exit 1; }
}

# --- 1. counts and lengths (the values of the issue, then every flag)
usage "--num-prompts 2305843009213693952:" --num-prompts 2305843009213693952
usage "--num-prompts 2147483648:" --num-prompts 2147483648
usage "--random-prefix-len 2305843009213693952:" --random-prefix-len 2305843009213693952
usage "--random-prefix-len 9223372036854775807:" --random-prefix-len 9223372036854775807
usage "--random-output-len 9223372036854775807:" --random-output-len 9223372036854775807
usage "--custom-output-len -5: must be >= 0, or -1" --custom-output-len -5
usage "needs about" --num-prompts 200000000 --random-input-len 16000000
usage "--random-mm-base-items-per-request needs about" --dataset-name random-mm --backend openai-chat \
    --endpoint /v1/chat/completions --random-mm-base-items-per-request 65536 --num-prompts 100000 \
    --random-mm-limit-mm-per-prompt '{"image": 100000, "video": 0}'
for f in num-prompts num-warmups input-len output-len random-input-len random-output-len \
    random-prefix-len random-batch-size random-mm-base-items-per-request sharegpt-output-len \
    sonnet-input-len sonnet-output-len sonnet-prefix-len custom-output-len hf-output-len \
    spec-bench-output-len speed-bench-output-len prefix-repetition-prefix-len \
    prefix-repetition-suffix-len prefix-repetition-num-prefixes prefix-repetition-output-len \
    timed-trace-chunk-hash-size; do
    extra=()
    [ $f != random-batch-size ] || extra=(--backend openai-embeddings --endpoint /v1/embeddings)
    usage "--$f 9223372036854775807:" "${extra[@]}" --$f 9223372036854775807
    usage "--$f" "${extra[@]}" --$f -2
    grep -q -- '-2' "$tmp/u.err" || { echo "FAIL --$f -2: the message does not say what was given"; cat "$tmp/u.err"; exit 1; }
done
# dataset stats reads the same flags
rc=0
"$SB_BIN" dataset stats "${tokf[@]}" --random-prefix-len 2305843009213693952 > /dev/null 2> "$tmp/ds.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q -- '--random-prefix-len 2305843009213693952' "$tmp/ds.err" ||
    { echo "FAIL dataset stats: exit $rc"; cat "$tmp/ds.err"; exit 1; }
# and so does dataset generate (these crashed or ran out of memory)
gen() { # dist flags...: exit 2 naming the flag
    local dist=$1
    shift
    rc=0
    timeout 20 "$SB_BIN" dataset generate "$dist" "${tokf[@]}" --num-requests 2 --output "$tmp/g.jsonl" \
        --input-mean 8 --output-mean 8 --input-stdev 0 --output-stdev 0 --input-min 1 \
        --input-max 8 --output-min 1 --output-max 8 "$@" > /dev/null 2> "$tmp/g.err" || rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "$1" "$tmp/g.err" || { echo "FAIL dataset generate $dist $*: exit $rc"; cat "$tmp/g.err"; exit 1; }
}
gen token-norm-dist --num-requests 2305843009213693952
gen token-norm-dist --num-requests 2147483648
gen token-norm-dist --num-requests 200000000
for f in input-mean output-mean input-stdev output-stdev; do gen token-norm-dist --$f 1e300; done
for f in input-max output-max; do gen token-unif-dist --$f 9223372036854775807; done

# --- 5. checks before sending
usage "--base-url 'http://': has no host" --base-url http://
usage "port 99999 is not a TCP port" --base-url http://127.0.0.1:99999
usage "the scheme must be http:// or https://" --base-url gopher://127.0.0.1
usage "--request-timeout 0.0009: below 1 ms" --request-timeout 0.0009
usage "no-such-file.json" --dataset-name sharegpt --dataset-path "$tmp/no-such-file.json" --num-prompts 2
: > "$tmp/plainfile"
sim_start --record "$tmp/rec0.jsonl"
rc=0
"$SB_BIN" serve --base-url "$url" --model sim "${tokf[@]}" "${small[@]}" --num-prompts 3 \
    --save-result --result-dir "$tmp/plainfile/sub" > "$tmp/rd.out" 2> "$tmp/rd.err" || rc=$?
sim_stop
[ "$rc" -eq 2 ] && grep -q 'result-dir' "$tmp/rd.err" || { echo "FAIL unwritable --result-dir: exit $rc"; cat "$tmp/rd.err"; exit 1; }
[ ! -s "$tmp/rec0.jsonl" ] || { echo "FAIL: requests were sent before the result dir was checked"; exit 1; }
# 1 ms is kept: with a 200 ms TTFT every request times out
sim_start --ttft-ms 200
rc=0
"$SB_BIN" serve --base-url "$url" --model sim "${tokf[@]}" "${small[@]}" --num-prompts 3 \
    --request-timeout 0.001 > "$tmp/to.out" 2>&1 || rc=$?
sim_stop
grep -Eq '^timeout: +3 *$' "$tmp/to.out" || { echo "FAIL --request-timeout 0.001 did not time out"; cat "$tmp/to.out"; exit 1; }

# --- 3. the documented --sim example serves the model named
rc=0
"$SB_BIN" serve --sim --model Qwen/Qwen3-4B "${small[@]}" --num-prompts 4 --host 10.0.0.9 --port 1234 \
    > "$tmp/sim.txt" 2> "$tmp/sim.err" || rc=$?
[ "$rc" -eq 0 ] && grep -Eq '^Successful requests: +4 +$' "$tmp/sim.txt" ||
    { echo "FAIL --sim --model Qwen/Qwen3-4B: exit $rc"; cat "$tmp/sim.txt" "$tmp/sim.err" | tail -20; exit 1; }
for f in host port; do
    grep -q -- "--$f is ignored with --sim" "$tmp/sim.err" || { echo "FAIL: --$f with --sim not named"; cat "$tmp/sim.err"; exit 1; }
done
"$SB_BIN" serve --sim --base-url http://example.invalid "${small[@]}" --num-prompts 1 > /dev/null 2> "$tmp/sim2.err"
grep -q -- "--base-url is ignored with --sim" "$tmp/sim2.err" || { echo "FAIL: --base-url with --sim not named"; exit 1; }

# --- 4. Ctrl-C: partial, exit 130; a second Ctrl-C ends a 60 s grace at once
sim_start --itl-ms 1 --stall-rate 0.5 --stall-ms 60000 --seed 3
int_run() { # signals...
    "$SB_BIN" serve --base-url "$url" --model sim "${tokf[@]}" "${small[@]}" --num-prompts 8 \
        --grace-sec 60 --save-result --result-dir "$tmp/int" --result-filename r.json \
        > "$tmp/int.out" 2> "$tmp/int.err" &
    cpid=$!
    for _ in $(seq 600); do grep -q 'Maximum request concurrency' "$tmp/int.out" 2>/dev/null && break; sleep 0.05; done
    sleep 0.5
    kill -INT "$cpid"
    sleep 0.3
    kill -INT "$cpid"
    rc=0
    local t0=$SECONDS
    wait "$cpid" || rc=$?
    cpid=
    elapsed=$((SECONDS - t0))
}
int_run
sim_stop
[ "$rc" -eq 130 ] || { echo "FAIL Ctrl-C: want exit 130, got $rc"; cat "$tmp/int.err"; exit 1; }
[ "$elapsed" -lt 20 ] || { echo "FAIL: the second Ctrl-C did not end the 60 s grace ($elapsed s)"; exit 1; }
grep -q 'Interrupted again' "$tmp/int.err" || { echo "FAIL: no note for the second Ctrl-C"; cat "$tmp/int.err"; exit 1; }
grep -Eq '^PARTIAL \(interrupted\): +[0-9]+ of 8 requests sent$' "$tmp/int.out" ||
    { echo "FAIL: the block is not marked partial"; cat "$tmp/int.out"; exit 1; }
python3 - "$tmp/int/r.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["servebench"]
assert s["partial"] is True and s["requests_planned"] == 8 and 0 < s["requests_sent"] <= 8, s
PY
# a complete run says partial: false
"$SB_BIN" serve --sim "${small[@]}" --num-prompts 2 --save-result --result-dir "$tmp/full" \
    --result-filename r.json > "$tmp/full.out" 2>&1
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["servebench"]["partial"] is False' "$tmp/full/r.json"
! grep -q PARTIAL "$tmp/full.out" || { echo "FAIL: a complete run is marked partial"; exit 1; }

# --- 5. a failure line quoting a server's invalid UTF-8 and an ESC sequence
python3 - "$SB_BIN" "$SB_TEST_DATA" > "$tmp/utf.out" <<'PY'
import socket, subprocess, sys, threading
sb, data = sys.argv[1:]
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(8)
body = b'{"error": "bad \xff\xfe byte \x1b[31mred"}'
def serve():
    while True:
        c, _ = ls.accept(); buf = b""
        while b"\r\n\r\n" not in buf:
            d = c.recv(4096)
            if not d: break
            buf += d
        c.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        c.close()
threading.Thread(target=serve, daemon=True).start()
for extra in ([], ["--ready-check-timeout-sec", "1"]):
    p = subprocess.run([sb, "serve", "--port", str(ls.getsockname()[1]), "--model", "sim",
                        "--tokenizer", data + "/tokenizers/gpt2", "--num-prompts", "1",
                        "--random-input-len", "8", "--random-output-len", "4"] + extra,
                       capture_output=True, timeout=60)
    sys.stdout.buffer.write(p.stdout + p.stderr)
PY
grep -a '^Error 0:' "$tmp/utf.out" > "$tmp/err0"
grep -qF 'bad \xff\xfe byte \x1b[31mred' "$tmp/err0" || { echo "FAIL: failure line not escaped:"; cat -v "$tmp/err0"; exit 1; }
grep -a 'Endpoint is not ready' "$tmp/utf.out" | grep -qF 'bad \xff\xfe byte \x1b[31mred' ||
    { echo "FAIL: ready-check line not escaped:"; grep -a 'not ready' "$tmp/utf.out" | cat -v; exit 1; }
python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$tmp/utf.out" ||
    { echo "FAIL: stdout is not valid UTF-8"; exit 1; }
echo "serve_checks: ok"
