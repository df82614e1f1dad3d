#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mpi_netns.sh - one mpirun across two network namespaces joined by a veth
# pair, as two machines would be: the simulator and ranks 0-1 in namespace A,
# ranks 2-3 in namespace B (started through a launcher agent that enters B
# instead of ssh). B's only route to the simulator is the veth link. The
# merged result must equal a single-process run of the same flags.
# Skipped (77) with the reason where namespaces cannot be created (not root,
# no CAP_SYS_ADMIN, no `ip`); where they can, a failure fails, CI or not.
# Open MPI's own libraries (libmpi, libopen-pal, hwloc and the plugins it loads) leak
# at exit; LeakSanitizer cannot be pointed at them alone (the plugins are unloaded), so
# under the ASan build leak checking is off for these processes (address and UB checks
# stay on; tests/test_mpi.c checks our MPI-side code for leaks without mpirun).
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
set -euo pipefail
: "${SB_BIN:?run through ctest}"
grep -qa "libmpi\.so" "$SB_BIN" || { echo "mpi_netns: built without MPI"; exit 77; }
command -v mpirun > /dev/null || { echo "mpi_netns: mpirun not installed"; exit 77; }
command -v ip > /dev/null || { echo "mpi_netns: skipped: no ip(8) (iproute2)"; exit 77; }
id=$$
A=sbmpiA$id
B=sbmpiB$id
tmp=$(mktemp -d)
sim_pid=
cleanup() {
    [ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null || true
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$B" 2>/dev/null || true
    ip link del "va$id" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
if ! ip netns add "$A" 2> "$tmp/why"; then
    echo "mpi_netns: skipped: network namespaces not permitted here: $(cat "$tmp/why")"
    exit 77
fi
ip netns add "$B"
net=10.$((RANDOM % 200 + 20)).$((RANDOM % 250))
ipa=$net.1
ipb=$net.2
if ! ip link add "va$id" type veth peer name "vb$id" 2> "$tmp/why"; then
    echo "mpi_netns: skipped: veth pairs not permitted here: $(cat "$tmp/why")"
    exit 77
fi
ip link set "va$id" netns "$A"
ip link set "vb$id" netns "$B"
ip -n "$A" addr add "$ipa/24" dev "va$id"
ip -n "$B" addr add "$ipb/24" dev "vb$id"
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set "va$id" up
ip -n "$B" link set "vb$id" up

# mpirun's remote-launch agent: "ssh HOST COMMAND" becomes "enter B, run COMMAND".
cat > "$tmp/agent.sh" << AGENT
#!/bin/sh
host=\$1
shift
echo "\$host" >> "$tmp/agent.log"
case \$host in
$ipb) exec ip netns exec "$B" sh -c "\$*" ;;
*) exec sh -c "\$*" ;;
esac
AGENT
chmod +x "$tmp/agent.sh"

ip netns exec "$A" "$SB_BIN" sim --host "$ipa" --port 0 --ttft-ms 1 --itl-ms 0.2 > "$tmp/sim.out" 2>&1 &
sim_pid=$!
for _ in $(seq 600); do
    grep -q listening "$tmp/sim.out" && break
    sleep 0.1
done
port=$(sed -nE 's/.*listening on http:\/\/[^:]+:([0-9]+).*/\1/p' "$tmp/sim.out")
[ -n "$port" ] || { echo "simulator did not start"; cat "$tmp/sim.out"; exit 1; }

flags=(--base-url "http://$ipa:$port" --model sim --tokenizer "$SB_SOURCE_DIR/data/tokenizers/gpt2"
    --dataset-name random --random-input-len 32 --random-output-len 8 --num-prompts 40 --seed 11
    --request-rate 100 --max-concurrency 8 --save-result --save-detailed --result-dir "$tmp")
ip netns exec "$A" "$SB_BIN" serve "${flags[@]}" --result-filename one.json \
    > "$tmp/one.out" 2> "$tmp/one.err" || { cat "$tmp/one.out" "$tmp/one.err"; exit 1; }
timeout 300 ip netns exec "$A" mpirun --allow-run-as-root --oversubscribe \
    --host "$ipa:2,$ipb:2" -np 4 --mca plm_rsh_agent "$tmp/agent.sh" \
    --mca btl tcp,self --mca btl_tcp_if_include "$net.0/24" --mca oob_tcp_if_include "$net.0/24" \
    "$SB_BIN" serve "${flags[@]}" --result-filename two.json \
    > "$tmp/two.out" 2> "$tmp/two.err" || { cat "$tmp/two.out" "$tmp/two.err"; exit 1; }
grep -qx "$ipb" "$tmp/agent.log" || { echo "no rank was started in namespace B"; exit 1; }

python3 - "$tmp/one.json" "$tmp/two.json" <<'PY'
import json, sys
one, two = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("completed", "failed", "total_input_tokens", "total_output_tokens", "input_lens", "output_lens"):
    assert one[k] == two[k], k
assert one["completed"] == 40
assert one["servebench"]["workload_fingerprint"] == two["servebench"]["workload_fingerprint"]
mpi = two["servebench"]["mpi"]
assert mpi["ranks"] == 4 and mpi["requests_sent"] == 40 and mpi["lost_ranks"] == [], mpi
for r in mpi["per_rank"]:
    assert r["requests_sent"] == 10 and r["clock_uncertainty_ns"] >= 0, r
    # one machine: the true offset is 0, and must lie within the reported bound
    assert abs(r["clock_offset_ns"]) <= r["clock_uncertainty_ns"], r
PY
echo "mpi_netns: ok"
