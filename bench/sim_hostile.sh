#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/sim_hostile.sh - `servebench sim` under hostile clients (bench/sim.md,
# "Hostile clients"): /health probe latency during each attack and the
# server's CPU over one idle second after it (from /proc/PID/stat ticks).
#
# Attacks, each with N connections (default 150): part of a request line then
# close (the old CLOSE-WAIT busy loop); a TLS ClientHello; pipelined garbage;
# headers trickled one byte per 50 ms (slowloris); silent connections;
# half-closed connections; RSTs mid-request; a stream to a client that never
# reads. Usage: bash bench/sim_hostile.sh [build-dir]   (N=150)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
bin="$dir/servebench"
[ -x "$bin" ] || bash scripts/build.sh "$dir" >/dev/null
echo "== load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
out=$(mktemp)
"$bin" sim --port 0 --ttft-ms 0 --itl-ms 0 >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out" | head -1)
PORT=$port PID=$pid N="${N:-150}" python3 - <<'PY'
import os, socket, struct, time
port, pid, n = int(os.environ["PORT"]), int(os.environ["PID"]), int(os.environ["N"])
hz = os.sysconf("SC_CLK_TCK")

def ticks():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])

def probe():
    t = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /health HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.1 200")
    s.close()
    return (time.perf_counter() - t) * 1e3

def idle_cpu():
    t0, c0 = time.perf_counter(), ticks()
    time.sleep(1)
    return (ticks() - c0) / hz / (time.perf_counter() - t0) * 100

def run(name, attack, hold=1.0):
    socks = attack()
    worst, end = 0.0, time.time() + hold
    while time.time() < end:
        worst = max(worst, probe())
        time.sleep(0.02)
    cpu = idle_cpu()
    for s in socks:
        try: s.close()
        except OSError: pass
    print(f"{name:28s} probe worst {worst:7.2f} ms   CPU over the next idle second {cpu:5.1f}%")

def conns(k=n):
    return [socket.create_connection(("127.0.0.1", port)) for _ in range(k)]

def cut_short():
    for s in conns():
        s.sendall(b"GET / HTTP/1.1\r\n"); s.close()
    return []
def tls():
    cs = conns()
    for s in cs: s.sendall(bytes([0x16, 3, 1, 0, 0xa5, 1, 0, 0, 0xa1, 3, 3]) + bytes(32))
    return cs
def garbage():
    cs = conns()
    for s in cs: s.sendall(b"GET /health HTTP/1.1\r\n\r\n\x00\xffjunk\r\n\r\n" * 3)
    return cs
def silent(): return conns()
def half_closed():
    cs = conns()
    for s in cs: s.sendall(b"GET /hea"); s.shutdown(socket.SHUT_WR)
    return cs
def rst():
    for s in conns():
        s.sendall(b"POST /v1/completions HTTP/1.1\r\nContent-Length: 99\r\n\r\n{")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); s.close()
    return []
def no_read():
    cs = []
    for s in conns(10):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        b = b'{"prompt":"x","max_tokens":16000000,"stream":true,"ignore_eos":true}'
        s.sendall(b"POST /v1/completions HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s" % (len(b), b))
        cs.append(s)
    return cs

print(f"idle server                  probe {probe():7.2f} ms   CPU over an idle second {idle_cpu():5.1f}%")
run(f"{n} cut-short requests", cut_short)
run(f"{n} TLS ClientHellos", tls)
run(f"{n} x pipelined garbage", garbage)
slow = conns()
for s in slow: s.sendall(b"GET /health HTTP/1.1\r\n")
worst = 0.0
for _ in range(20):
    for s in slow:
        try: s.send(b"X")
        except OSError: pass
    worst = max(worst, probe()); time.sleep(0.05)
print(f"{n} slowloris (1 B/50 ms)      probe worst {worst:7.2f} ms")
for s in slow: s.close()
run(f"{n} silent connections", silent)
run(f"{n} half-closed", half_closed)
run(f"{n} RST mid-request", rst)
rss0 = int([l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1])
run("10 non-reading streams", no_read, hold=3.0)
rss1 = int([l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1])
print(f"  server RSS grew {rss1 - rss0} KiB over 3 s of non-reading streams (cap 4 MiB each)")
PY
