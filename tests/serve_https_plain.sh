#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_https_plain.sh - an https:// URL aimed at a plain-HTTP port whose
# server waits silently for the end of a request line that never comes (the
# TLS ClientHello has no CRLF): the run must stop with a message saying the
# port speaks plain HTTP (the TLS check before the run, http/tls_check.c), or
# its requests fail with reason connect and the engine's "speaks plain HTTP"
# (http/engine.c's side probe), instead of waiting for the 600 s stall
# timeout. (The 120 s `timeout` only keeps a regression from hanging CI; it is
# not a timing assertion.)
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cat > "$tmp/srv.py" <<'PY'
import socket, threading
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
def serve(c):
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            d = c.recv(4096)
            if not d:
                return
            buf += d
        c.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
python3 "$tmp/srv.py" > "$tmp/port" &
pid=$!
for _ in $(seq 600); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port")
rc=0
timeout 120 "$SB_BIN" serve --base-url "https://127.0.0.1:$port" --model sim \
    --tokenizer "$SB_TEST_DATA/tokenizers/gpt2" --dataset-name random --random-input-len 8 \
    --random-output-len 4 --num-prompts 3 > "$tmp/out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { echo "want exit 1 (all failed), got $rc"; cat "$tmp/out"; exit 1; }
if grep -q '^servebench serve: setup: TLS handshake' "$tmp/out"; then
    grep -q "127.0.0.1:$port.*plain-HTTP" "$tmp/out" ||
        { echo "setup message does not say plain HTTP"; cat "$tmp/out"; exit 1; }
else
    grep -Eq '^connect: +3 *$' "$tmp/out" || { echo "no connect reason"; cat "$tmp/out"; exit 1; }
    grep -q "the server at 127.0.0.1:$port speaks plain HTTP, not TLS" "$tmp/out" ||
        { echo "message does not say plain HTTP"; cat "$tmp/out"; exit 1; }
fi
