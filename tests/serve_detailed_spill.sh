#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_detailed_spill.sh - --save-detailed with the generated texts spilled
# to a temporary file (metrics/record_spill.c) against the simulator:
# 1. the same workload (fixed --request-id-prefix and simulator seed, so the
#    same texts and failures) run with every text in memory, every text
#    spilled and half of them spilled (with two loops on two threads) gives
#    the same result keys and byte-identical generated_texts, errors,
#    input_lens and output_lens sections of the result file, and leaves no
#    file behind;
# 2. a long --save-detailed run's peak RSS does not grow with its texts:
#    20,000 answers of 256 tokens (~22 MB of text) with a 1 MiB memory budget
#    for texts stay within the same run without --save-detailed plus the
#    budget plus 8 MiB (the 1 MiB JSON pieces, the spill file's 256 KiB write
#    buffer and 1 MiB read window, malloc's slack); the same run with every
#    text held must exceed that bound, or the check proves nothing. Under
#    ASan the RSS figures are reported, not asserted (as serve_memory.sh).
set -euo pipefail
: "${SB_BIN:?run through ctest}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/res"

eq=(--sim --sim-arg=--ttft-ms=0 --sim-arg=--itl-ms=0 --sim-arg=--seed=7 --sim-arg=--fail-rate=0.05
    --request-id-prefix spill- --model sim --tokenizer "$SB_TEST_DATA/tokenizers/gpt2"
    --dataset-name random --random-input-len 4 --random-output-len 48 --num-prompts 2000
    --max-concurrency 32 --save-result --save-detailed --result-dir "$tmp/res")
# the half-spilled run has two loops on two threads writing to one spill file
for v in mem:100000000000:1 all:0:1 half:200000:2; do
    IFS=: read -r name at workers <<< "$v"
    SB_TEXT_SPILL_AT=$at "$SB_BIN" serve "${eq[@]}" --num-workers "$workers" \
        --result-filename "$name.json" > "$tmp/$name.out" 2>&1 || { cat "$tmp/$name.out"; exit 1; }
done
python3 - "$tmp/res" <<'PY'
import json, os, sys
d = sys.argv[1]
raw = {n: open(os.path.join(d, n + ".json"), "rb").read() for n in ("mem", "all", "half")}
doc = {n: json.loads(b) for n, b in raw.items()}

def section(b, k, nxt):
    i = b.index(b'"%s": ' % k.encode())
    return b[i:b.index(b', "%s": ' % nxt.encode(), i)]

texts = doc["mem"]["generated_texts"]
fails = sum(1 for e in doc["mem"]["errors"] if e)
assert len(texts) == 2000 and sum(map(len, texts)) > 100000, "texts missing"
assert 0 < fails < 400, "want some failures from --fail-rate, got %d" % fails
for n in ("all", "half"):
    assert list(doc[n]) == list(doc["mem"]), "%s: keys differ" % n
    for k, nxt in (("input_lens", "output_lens"), ("output_lens", "ttfts"),
                   ("generated_texts", "errors")):
        assert section(raw[n], k, nxt) == section(raw["mem"], k, nxt), "%s: %s differ" % (n, k)
    assert doc[n]["errors"] == doc["mem"]["errors"], "%s: errors differ" % n
left = sorted(os.listdir(d))
assert left == ["all.json", "half.json", "mem.json"], "left behind: %s" % left
print("spilled and in-memory runs: identical texts (%d bytes), %d failures" % (sum(map(len, texts)), fails))
PY

# Peak RSS in KiB of one run (ru_maxrss of the child), and its exit status.
peak() {
    MALLOC_ARENA_MAX=1 python3 - "$SB_BIN" "$tmp/run.out" "$@" <<'PY'
import resource, subprocess, sys
sb, out, args = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(out, "w") as f:
    rc = subprocess.call([sb, "serve"] + args, stdout=f, stderr=subprocess.STDOUT)
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}
long=(--sim --sim-arg=--firehose --sim-arg=--tokens-per-chunk=64 --request-id-prefix long-
      --model sim --tokenizer "$SB_TEST_DATA/tokenizers/gpt2" --dataset-name random
      --random-input-len 1 --random-output-len 256 --ignore-eos --num-prompts 20000
      --max-concurrency 64 --save-result --result-dir "$tmp/res")
# The plain run's peak varies by several MB from run to run (seen 39.8 to
# 55.6 MB under load, the texts' 21 MB aside), so the bound starts from the
# higher of two plain runs.
plain=0
for _ in 1 2; do
    read -r rc p < <(peak "${long[@]}" --result-filename plain.json)
    [ "$rc" -eq 0 ] || { cat "$tmp/run.out"; exit 1; }
    [ "$p" -gt "$plain" ] && plain=$p
done
export SB_TEXT_SPILL_AT=1048576
read -r rc spilled < <(peak "${long[@]}" --save-detailed --result-filename spilled.json)
[ "$rc" -eq 0 ] || { cat "$tmp/run.out"; exit 1; }
grep -Eq '^Successful requests: +20000 +$' "$tmp/run.out" || { cat "$tmp/run.out"; exit 1; }
export SB_TEXT_SPILL_AT=100000000000
read -r rc held < <(peak "${long[@]}" --save-detailed --result-filename held.json)
[ "$rc" -eq 0 ] || { cat "$tmp/run.out"; exit 1; }
unset SB_TEXT_SPILL_AT
text_kib=$(python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["generated_texts"]
print(sum(len(x.encode()) for x in t) // 1024)' "$tmp/res/spilled.json")
bound=$((plain + 1024 + 8192))
echo "peak RSS: without --save-detailed ${plain} KiB, texts spilled ${spilled} KiB (bound ${bound} KiB)," \
     "texts held ${held} KiB; ${text_kib} KiB of texts"
[ "$text_kib" -gt $((2 * (bound - plain))) ] || { echo "texts too short to tell"; exit 1; }
if case "$(ldd "$SB_BIN" 2>/dev/null)" in *libasan*) true ;; *) false ;; esac; then
    echo "(ASan build: the bound is not asserted)"
else
    [ "$spilled" -lt "$bound" ] || { echo "spilled run over the bound"; exit 1; }
    [ "$held" -gt "$bound" ] || { echo "the run holding its texts is within the bound: the check cannot fail"; exit 1; }
fi
