# SPDX-License-Identifier: Apache-2.0
# sim.sh - sourced by the shell tests that talk to a real `servebench sim`:
#   sim_start [SIM ARGS...]   starts it on an ephemeral port, output in
#                             $tmp/sim.out; sets $pid, $port and $url
#   sim_stop                  stops it and waits (flushes --record)
# The caller sets $tmp (a scratch folder) and the EXIT trap
#   trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
# (tests/helpers is not globbed as tests; tests/*.sh are.)
pid=
sim_start() {
    rm -f "$tmp/sim.out" # a restart must not read the previous simulator's line
    "$SB_BIN" sim --port 0 "$@" > "$tmp/sim.out" &
    pid=$!
    # up to 60 s (a loaded CI machine), no longer once the simulator has exited
    for _ in $(seq 1200); do
        grep -q listening "$tmp/sim.out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    local line
    line=$(head -n1 "$tmp/sim.out")
    [[ "$line" =~ ^servebench\ sim\ listening\ on\ http://127\.0\.0\.1:([0-9]+)$ ]] ||
        { echo "FAIL: bad sim line: $line"; cat "$tmp/sim.out"; exit 1; }
    port=${BASH_REMATCH[1]}
    url="http://127.0.0.1:$port"
}
sim_stop() { kill "$pid"; wait "$pid" || true; pid=; }
