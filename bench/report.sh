#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# report.sh - `servebench report` on a synthetic --save-detailed result of N
# requests (default 1,000,000, 8 ITLs each), against the physical limit of
# reading the file (cat) and against Python's json.load of the same file.
# usage: bash bench/report.sh [BUILD_DIR] [N] [ITLS_PER_REQUEST]
# With CALLGRIND=1 (and valgrind installed) it also counts the instructions
# of one `servebench report` run: a figure the machine's load does not move.
# Figures: bench/report.md.
set -euo pipefail
build=${1:-build}
n=${2:-1000000}
k=${3:-8}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/bench/bench_gen_result" "$tmp/r.json" "$n" "$k"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); cores: $(nproc)"
echo "file: $(stat -c %s "$tmp/r.json") bytes, $n requests, $k ITLs each"
t() { # t LABEL CMD...: wall, user+sys CPU and peak RSS of one run
    local label=$1
    shift
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/t" "$@" > /dev/null
    read -r wall user sys rss < "$tmp/t"
    printf '%-28s wall %6.2f s  cpu %6.2f s  peak RSS %5d MB\n' "$label" "$wall" \
        "$(echo "$user + $sys" | bc)" $((rss / 1024))
}
cat "$tmp/r.json" > /dev/null # warm the page cache
t "cat (read the file)" cat "$tmp/r.json"
t "servebench report" "$build/servebench" report "$tmp/r.json" -o "$tmp/r.html"
t "servebench report (again)" "$build/servebench" report "$tmp/r.json" -o "$tmp/r.html" --force
t "servebench plot (PNG)" "$build/servebench" plot "$tmp/r.json" -o "$tmp/p.png" --chart itl-cdf
echo "HTML: $(stat -c %s "$tmp/r.html") bytes"
if [ "${CALLGRIND:-0}" = 1 ] && command -v valgrind > /dev/null; then
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$build/servebench" report \
        "$tmp/r.json" -o "$tmp/cg.html" 2>&1 > /dev/null | grep -o 'refs: .*' |
        sed 's/^/servebench report instructions (callgrind) /'
fi
if python3 -c 'import json' 2> /dev/null; then
    t "python3 json.load only" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/r.json"
fi
