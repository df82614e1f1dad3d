#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_fault_matrix.sh - every simulator fault kind (fail, reject, reset,
# drop, malformed, stall) at 5 % with 2,000 requests and 500 concurrent
# streams, for the completions (vllm), chat (openai-chat) and tgi backends:
# successful + failed == sent == requests the simulator recorded, every
# failure has its reason, the run ends (no hang). Reset is the case where
# libcurl would resend a request on a fresh connection by itself (issue 9):
# the simulator must see exactly one request per request sent.
# Sim timings are short (1 ms TTFT/ITL, 2.5 s stalls against a 2 s stall
# timeout, a batch as wide as the concurrency) so each case takes a second or
# two (the stall cases three), under ASan too.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
source "$(dirname "$0")/helpers/sim.sh"
N=2000

check() { # backend fault
    python3 - "$tmp/res.json" "$tmp/rec.jsonl" "$N" "$1" "$2" <<'PY'
import json, sys
res_path, rec_path, n, backend, fault = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
r = json.load(open(res_path))
rec = [json.loads(l) for l in open(rec_path)]
case = f"{backend} --{fault}-rate"
ok, failed = r["completed"], r["failed"]
errors = r.get("errors") or []
bad = []
if ok + failed != n:
    bad.append(f"completed {ok} + failed {failed} != sent {n}")
if len(rec) != n:
    bad.append(f"the simulator recorded {len(rec)} requests for {n} sent")
ids = [x["request_id"] for x in rec]
if len(set(ids)) != len(ids):
    bad.append(f"{len(ids) - len(set(ids))} request ids reached the simulator twice")
faults = sum(1 for x in rec if x["outcome"] not in ("ok",))
if faults == 0:
    bad.append("the fault never happened")
if failed == 0:
    bad.append("no request failed")
n_reasons = sum(1 for e in errors if e)
if n_reasons != failed:
    bad.append(f"{failed} failed but {n_reasons} have an error text")
if bad:
    print(f"FAIL {case}: " + "; ".join(bad))
    sys.exit(1)
print(f"{case}: {ok} ok + {failed} failed == {n} sent == {len(rec)} recorded")
PY
}

for be in vllm openai-chat tgi; do
    case $be in
        vllm) ep=/v1/completions ;;
        openai-chat) ep=/v1/chat/completions ;;
        tgi) ep=/generate_stream ;;
    esac
    for fault in fail reject reset drop malformed stall; do
        rm -f "$tmp/rec.jsonl" "$tmp/res.json"
        sim_start --$fault-rate 0.05 --ttft-ms 1 --itl-ms 1 --stall-ms 2500 --max-num-seqs 1000 --seed 7 \
            --record "$tmp/rec.jsonl" --quiet
        rc=0
        timeout 120 "$SB_BIN" serve --backend $be --endpoint $ep --base-url "$url" --model sim \
            --tokenizer "$SB_TEST_DATA/tokenizers/gpt2" --dataset-name random \
            --random-input-len 8 --random-output-len 4 --num-prompts $N --max-concurrency 500 \
            --stall-timeout 2 --save-result --save-detailed --result-dir "$tmp" \
            --result-filename res.json --disable-tqdm > "$tmp/out" 2>&1 || rc=$?
        sim_stop
        [ "$rc" -ne 124 ] || { echo "FAIL $be --$fault-rate: the run hung"; tail "$tmp/out"; exit 1; }
        [ "$rc" -eq 0 ] || { echo "FAIL $be --$fault-rate: exit $rc"; tail -30 "$tmp/out"; exit 1; }
        check $be $fault || { grep -A12 'Failures by reason' "$tmp/out"; exit 1; }
    done
done
echo "serve_fault_matrix: ok"
