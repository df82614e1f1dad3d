#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_secrets.sh - an API key never leaves the request: planted in
# OPENAI_API_KEY, in --header Authorization=..., in a custom secret header and
# in a --base-url user:password@ part, it must not appear in anything the
# client writes (printed summary and block, stderr, result JSON with
# --save-detailed, timeline HTML, error messages), over a good run, a run
# whose requests fail, an unreachable server and refused inputs. The
# simulator confirms the keys were sent.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
source "$(dirname "$0")/helpers/sim.sh"
K1=sk-planted-env-7f3a9c K2=sk-planted-hdr-51d0e2 K3=sk-planted-custom-a8b4 K4=sk-planted-url-19ce
export OPENAI_API_KEY=$K1
common=(--model sim --tokenizer "$SB_TEST_DATA/tokenizers/gpt2" --random-input-len 8
        --random-output-len 4 --num-prompts 6 --disable-tqdm --save-result --save-detailed
        --result-dir "$tmp/res" --plot-timeline)
n=0
run() { # [serve flags...]: every output into $tmp/out
    n=$((n + 1))
    "$SB_BIN" serve "$@" > "$tmp/out/$n.stdout" 2> "$tmp/out/$n.stderr" || true
}
mkdir -p "$tmp/out" "$tmp/res"

# a good run, with the key from the environment
sim_start --ttft-ms 1 --itl-ms 1
run --base-url "$url" "${common[@]}"
grep -Eq '^Successful requests: +6 +$' "$tmp/out/1.stdout" || { echo "FAIL: the good run failed"; cat "$tmp/out/1.stdout" "$tmp/out/1.stderr"; exit 1; }
# headers that override it and a custom secret one
run --base-url "$url" "${common[@]}" --header "Authorization=Bearer $K2" "X-Api-Key=$K3"
sim_stop
# every request fails with the server's error (status and body in the failure text)
sim_start --fail-rate 1 --ttft-ms 1
run --base-url "$url" "${common[@]}" --header "Authorization=Bearer $K2" "X-Api-Key=$K3"
grep -q 'Failed requests: *6' "$tmp/out/3.stdout" || { echo "FAIL: want 6 failures"; cat "$tmp/out/3.stdout"; exit 1; }
sim_stop
# an unreachable server: connection errors name the URL
run --base-url "http://127.0.0.1:1" "${common[@]}" --header "X-Api-Key=$K3"
grep -q 'Failed requests: *6' "$tmp/out/4.stdout" || { echo "FAIL: want 6 connection failures"; cat "$tmp/out/4.stdout" "$tmp/out/4.stderr"; exit 1; }
# refused inputs: a secret in the URL, a CR/LF in a secret header, a bad header name
run --base-url "http://user:$K4@127.0.0.1:1" "${common[@]}"
grep -q 'user:password@' "$tmp/out/5.stderr" || { echo "FAIL: user:password@ not refused"; cat "$tmp/out/5.stderr"; exit 1; }
run --base-url "http://127.0.0.1:1" "${common[@]}" --header "X-Api-Key=$K3"$'\r\nX-Injected: 1'
grep -q 'X-Api-Key: the value holds a CR, LF' "$tmp/out/6.stderr" || { echo "FAIL: CR/LF not refused"; cat "$tmp/out/6.stderr"; exit 1; }
run --base-url "http://127.0.0.1:1" "${common[@]}" --header "Bad Name=$K3"
grep -q 'name must be a non-empty HTTP token' "$tmp/out/7.stderr" || { echo "FAIL: bad header name not refused"; cat "$tmp/out/7.stderr"; exit 1; }

ls "$tmp/res"/*.json > /dev/null || { echo "FAIL: no result file written"; exit 1; }
leaks=$(grep -rlE -- "$K1|$K2|$K3|$K4" "$tmp/out" "$tmp/res" || true)
[ -z "$leaks" ] || { echo "FAIL: a planted key appears in:"; echo "$leaks"; grep -rnoE -- ".{40}($K1|$K2|$K3|$K4)" $leaks | head; exit 1; }

# the keys did reach the server: the simulator echoes nothing, so ask a
# catcher what arrived
python3 - "$SB_BIN" "$SB_TEST_DATA" "$K1" "$K2" "$K3" <<'PY'
import os, socket, subprocess, sys, threading
sb, data, k1, k2, k3 = sys.argv[1:]
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(8)
got = []
def catch():
    while True:  # every connection: read the head, answer 500, close
        c, _ = ls.accept(); buf = b""
        while b"\r\n\r\n" not in buf:
            d = c.recv(4096)
            if not d: break
            buf += d
        got.append(buf.decode("latin-1"))
        c.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        c.close()
threading.Thread(target=catch, daemon=True).start()
env = dict(os.environ, OPENAI_API_KEY=k1)
subprocess.run([sb, "serve", "--port", str(ls.getsockname()[1]), "--model", "sim", "--tokenizer",
                data + "/tokenizers/gpt2", "--num-prompts", "1", "--random-input-len", "8",
                "--random-output-len", "4", "--header", "X-Api-Key=" + k3],
               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
h = "".join(g for g in got if g.startswith("POST"))
if "Authorization: Bearer " + k1 not in h or "X-Api-Key: " + k3 not in h:
    print("FAIL: the keys were not sent:\n" + h); sys.exit(1)
PY
echo "serve_secrets: ok"
