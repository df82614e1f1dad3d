#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_stream_memory.sh - client memory per in-flight stream stays small:
# the same 2,000 requests at --max-concurrency 200 and 2000 against a
# simulator in its own process whose TTFT (400 ms) keeps every started stream
# open while the burst is sent; the peak-RSS difference divided by the 1,800
# extra streams must stay under the issue's 8 KB. Seen with SB_THREADS=1 on
# the own HTTP/1.1 transport (the default for http://): 0.8 KB (bench/engine.md
# (d)); on libcurl (--http-client curl) 13 KB, libcurl alone 11 KB. The
# margin is wide on purpose (run-to-run noise is ~0.1 KB): it catches a
# stream that keeps a libcurl handle, a receive buffer or a buffer per token.
# SB_THREADS=1: the dataset's threads otherwise raise the peak of the smaller
# run by 4-8 MB (their transient memory, varying from run to run), which hid
# 2-4 KB of the per-stream figure (8.1-8.7 KiB was reported so before).
# MALLOC_ARENA_MAX=1: the dataset's threads otherwise leave per-thread malloc
# arenas whose touched size varies by a few MB from run to run.
set -euo pipefail
: "${SB_BIN:?run through ctest}"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4400 ]; then
    echo "skipped: needs 4,400 open files (ulimit -n is $(ulimit -n))"
    exit 77
fi
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
cleanup() {
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
sim_start --ttft-ms 400 --itl-ms 1 --max-num-seqs 5000

# Peak RSS in KiB of one run (ru_maxrss of the child), and its exit status.
peak() {
    SB_THREADS=1 MALLOC_ARENA_MAX=1 python3 - "$SB_BIN" "$tmp/run.out" "$@" <<'PY'
import resource, subprocess, sys
sb, out, args = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(out, "w") as f:
    rc = subprocess.call([sb, "serve"] + args, stdout=f, stderr=subprocess.STDOUT)
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}
common=(--base-url "http://127.0.0.1:$port" --model sim --tokenizer "$SB_TEST_DATA/tokenizers/gpt2"
        --dataset-name random --random-input-len 16 --random-output-len 4 --num-prompts 2000
        --request-rate inf)
read -r rc few < <(peak "${common[@]}" --max-concurrency 200)
[ "$rc" -eq 0 ] || { cat "$tmp/run.out"; exit 1; }
read -r rc many < <(peak "${common[@]}" --max-concurrency 2000)
[ "$rc" -eq 0 ] || { cat "$tmp/run.out"; exit 1; }
grep -Eq '^Successful requests: +2000 +$' "$tmp/run.out" || { cat "$tmp/run.out"; exit 1; }
per=$(( (many - few) * 1024 / 1800 ))
echo "peak RSS: 200 streams ${few} KiB, 2,000 streams ${many} KiB: ${per} B per extra stream (bound 8192)"
# Under AddressSanitizer every allocation carries shadow memory and a
# quarantine: the figure is reported, not asserted.
if case "$(ldd "$SB_BIN" 2>/dev/null)" in *libasan*) true ;; *) false ;; esac; then
    echo "(ASan build: the bound is not asserted)"
else
    [ "$per" -lt 8192 ] || { echo "over the bound"; exit 1; }
fi
