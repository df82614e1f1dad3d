#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# compare_cli.sh - `servebench compare` on results of `servebench sim`:
# two runs of one configuration show no significant difference; a 10%
# longer ITL is significant (Mann-Whitney on per-request samples); repeated
# runs use Welch's t (three runs a side, ITL doubled); --fail-if gates set the exit status; a reference-style
# file (no "servebench" key, NaN, no per-request arrays) compares with what
# it holds; bad input names the file and the field.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
source "$SB_SOURCE_DIR/tests/helpers/sim.sh"

# serve_to NAME [N]: one detailed result of N (100) requests into
# $tmp/NAME.json (20 at a time: all at once would measure the client's
# connection setup). The fixed request-id prefix makes the simulator draw the
# same timings for the same request in every run, so two runs differ only by
# real jitter.
serve_to() {
    "$SB_BIN" serve --base-url "$url" --model sim --tokenizer "$SB_SOURCE_DIR/data/tokenizers/gpt2" \
        --dataset-name random --random-input-len 16 --random-output-len 16 --num-prompts "${2:-100}" \
        --max-concurrency 20 --request-id-prefix cmp- --disable-tqdm --save-result --save-detailed \
        --result-dir "$tmp" --result-filename "$1.json" > "$tmp/$1.out" 2>&1 ||
        { cat "$tmp/$1.out"; echo "FAIL: serve $1"; exit 1; }
}
# What a loaded machine adds is absolute (a preempted thread delays a chunk
# by some ms whatever the ITL), so the simulated times are long enough that
# 10% of the ITL (2 ms) dwarfs it, and their own spread (TTFT sd 30 ms; ITL
# sd 8 ms, 2 ms on a request's mean of 15 gaps) is well above it: the 10%
# shift sits ~7 standard errors out with 100 requests a side, a shift of
# 0.5 ms between two runs of one configuration under 2.
sim_start --ttft-ms 40 --ttft-std-ms 30 --itl-ms 20 --itl-std-ms 8 --seed 1
serve_to a1
serve_to a2
serve_to a3
sim_stop
sim_start --ttft-ms 40 --ttft-std-ms 30 --itl-ms 22 --itl-std-ms 8 --seed 1
serve_to b1
sim_stop
# Welch's t on three per-run means has 4 degrees of freedom: it needs a
# difference many times the run-to-run jitter of a loaded machine, not 10%.
sim_start --ttft-ms 40 --ttft-std-ms 30 --itl-ms 40 --itl-std-ms 8 --seed 1
serve_to c1 40
serve_to c2 40
serve_to c3 40
sim_stop

cmp() { # cmp NAME ARGS... : output in $tmp/NAME.cmp, status in $rc
    local n=$1
    shift
    set +e
    "$SB_BIN" compare "$@" > "$tmp/$n.cmp" 2>&1
    rc=$?
    set -e
}
row() { grep -E "^$2 " "$tmp/$1.cmp" || true; }

# The simulator's own spread is kept well above what a loaded test machine
# adds between two runs (see above), and the "same" check uses
# alpha 0.01: at 0.05, with two independent families of rows tested, one
# identical pair in ten would be flagged by chance alone.
cmp same "$tmp/a1.json" "$tmp/a2.json" --all --alpha 0.01
[ $rc = 0 ] || { cat "$tmp/same.cmp"; echo "FAIL: same config exit $rc"; exit 1; }
for k in mean_ttft_ms mean_itl_ms mean_tpot_ms p99_itl_ms; do
    r=$(row same $k)
    [[ "$r" == *mann-whitney* ]] || { cat "$tmp/same.cmp"; echo "FAIL: $k not tested: $r"; exit 1; }
done
if grep -q "significant$" "$tmp/same.cmp"; then
    cat "$tmp/same.cmp"; echo "FAIL: two runs of one configuration differ significantly"; exit 1
fi

cmp itl "$tmp/a1.json" "$tmp/b1.json" --alpha 0.01
[ $rc = 0 ] || { cat "$tmp/itl.cmp"; exit 1; }
for k in mean_itl_ms median_itl_ms mean_tpot_ms; do
    r=$(row itl $k)
    [[ "$r" == *mann-whitney*significant ]] || { cat "$tmp/itl.cmp"; echo "FAIL: 10% ITL not significant on $k"; exit 1; }
done

# Repeated runs on both sides: Welch's t on the per-run values.
cmp welch "$tmp/a1.json,$tmp/a2.json,$tmp/a3.json" "$tmp/c1.json,$tmp/c2.json,$tmp/c3.json"
r=$(row welch mean_itl_ms)
[[ "$r" == *welch*significant ]] || { cat "$tmp/welch.cmp"; echo "FAIL: welch row: $r"; exit 1; }
grep -q "^A: .* (3 runs, per-request samples)" "$tmp/welch.cmp" || { cat "$tmp/welch.cmp"; exit 1; }

# Gates: ITL rose ~10%: a 5% gate trips (exit 1), a 30% gate does not.
cmp g1 "$tmp/a1.json" "$tmp/b1.json" --fail-if "mean_itl_ms:+5%"
[ $rc = 1 ] && grep -q "gate mean_itl_ms:+5%: FAILED" "$tmp/g1.cmp" || { cat "$tmp/g1.cmp"; echo "FAIL: gate +5% ($rc)"; exit 1; }
cmp g2 "$tmp/a1.json" "$tmp/b1.json" --fail-if "mean_itl_ms:+30%,output_throughput:-50%"
[ $rc = 0 ] || { cat "$tmp/g2.cmp"; echo "FAIL: gate +30% ($rc)"; exit 1; }
cmp g3 "$tmp/a1.json" "$tmp/a2.json" --fail-if "completed:-1"
[ $rc = 0 ] || { cat "$tmp/g3.cmp"; echo "FAIL: absolute gate ($rc)"; exit 1; }
cmp g4 "$tmp/a1.json" "$tmp/b1.json" --fail-if "no_such_metric:+5%"
[ $rc = 2 ] && grep -q "no_such_metric: no such number" "$tmp/g4.cmp" || { cat "$tmp/g4.cmp"; exit 1; }
cmp g5 "$tmp/a1.json" "$tmp/b1.json" --fail-if "mean_itl_ms:5%"
[ $rc = 2 ] || { cat "$tmp/g5.cmp"; exit 1; }

# A reference-written file: no "servebench" key, no per-request arrays, NaN.
python3 - "$tmp/b1.json" "$tmp/ref.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for k in ["servebench", "ttfts", "itls", "input_lens", "output_lens", "errors",
          "generated_texts", "start_times"]:
    r.pop(k, None)
r["request_goodput"] = float("nan")
json.dump(r, open(sys.argv[2], "w"))
PY
grep -q NaN "$tmp/ref.json"
cmp ref "$tmp/a1.json" "$tmp/ref.json" --fail-if "p99_itl_ms:+1000%"
[ $rc = 0 ] || { cat "$tmp/ref.cmp"; echo "FAIL: reference file ($rc)"; exit 1; }
r=$(row ref mean_itl_ms)
[[ "$r" == *" - "* ]] || { cat "$tmp/ref.cmp"; echo "FAIL: no test expected without samples: $r"; exit 1; }

# Bad input.
printf '{"duration": 1.0, "completed": 3, "mean_ttft_ms": 1' > "$tmp/trunc.json"
echo '{"name": "not a result"}' > "$tmp/foreign.json"
echo '{"duration": null, "completed": null, "model": "x"}' > "$tmp/empty.json"
echo '{"type": "sweep", "schema": "servebench-sweep/1"}' > "$tmp/sweep.jsonl"
: > "$tmp/zero.json"
check_bad() { # check_bad NAME PATTERN FILES...
    local n=$1 pat=$2
    shift 2
    cmp "$n" "$@"
    [ $rc = 2 ] && grep -q -- "$pat" "$tmp/$n.cmp" || { cat "$tmp/$n.cmp"; echo "FAIL: $n ($rc)"; exit 1; }
}
check_bad missing "$tmp/nope.json: no such file" "$tmp/a1.json" "$tmp/nope.json"
check_bad trunc "trunc.json: line 1 column .*truncated" "$tmp/a1.json" "$tmp/trunc.json"
check_bad foreign "foreign.json: object 1 is not a benchmark result: it has no \"duration\" field" "$tmp/a1.json" "$tmp/foreign.json"
check_bad mixed "no metric in common" "$tmp/a1.json" "$tmp/empty.json"
check_bad sweepf "sweep.jsonl is a sweep file" "$tmp/a1.json" "$tmp/sweep.jsonl"
check_bad zero "zero.json: the file is empty" "$tmp/zero.json" "$tmp/a1.json"
check_bad one "give a BASE" "$tmp/a1.json"
check_bad opt "unknown option --bogus" --bogus "$tmp/a1.json" "$tmp/a2.json"
echo "compare_cli: ok"
