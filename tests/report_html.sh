#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# report_html.sh - `servebench report` and `plot` end to end, and the two
# plot flags of `serve`: a real run against the in-process simulator with
# --save-detailed --plot-timeline --plot-dataset-stats; the HTML report of that
# run plus a sweep file rendered by headless Chromium (no console message,
# every chart in the DOM as an inline SVG, light and dark screenshots decoded
# and not blank); PNG plots decoded with libpng at the asked size; SVG plots
# parsed as XML; bad input named with exit 2; no overwrite without --force.
# Server-side series: a run scraping the simulator's /metrics and a
# DCGM-shaped endpoint that fails every third scrape gives the server and
# GPU charts, the failed scrapes drawn as breaks in the line. A real
# `serve --multi-turn` run gives the turns-ttft and turns-input charts: one
# point per turn, placed as the JSON's per_turn figures (an affine map).
set -euo pipefail
: "${SB_BIN:?run through ctest}"
source "$SB_SOURCE_DIR/tests/skip.sh"
tmp=$(mktemp -d)
mpid=
trap '[ -n "$mpid" ] && kill "$mpid" 2> /dev/null; rm -rf "$tmp"' EXIT
pngcheck="$SB_BUILD_DIR/tests/sb_pngcheck"
die() { echo "FAIL: $*" >&2; exit 1; }

# png FILE W H MIN_INK_PERMILLE: decoded size and ink
png() {
    local out w h ink cols
    out=$("$pngcheck" "$1") || die "$1 does not decode"
    read -r w h ink cols _ <<< "$out"
    [ "$w" = "$2" ] && [ "$h" = "$3" ] || die "$1 is ${w}x$h, want $2x$3"
    [ "$ink" -ge "$4" ] && [ "$cols" -ge 3 ] || die "$1 looks blank: $out"
}

# 1. serve with both plot flags
"$SB_BIN" serve --sim --sim-arg "--ttft-ms 5 --itl-ms 1" --model sim --num-prompts 120 \
    --request-rate 200 --random-input-len 48 --random-output-len 12 --random-range-ratio 0.5 \
    --save-result --save-detailed --result-dir "$tmp/res" --result-filename run.json \
    --plot-timeline --plot-dataset-stats --disable-tqdm > "$tmp/serve.out" 2> "$tmp/serve.err" ||
    { cat "$tmp/serve.out" "$tmp/serve.err"; die "serve failed"; }
grep -qx "Timeline plot saved to: $tmp/res/run.timeline.html" "$tmp/serve.out" || die "no timeline line"
grep -qx "Dataset statistics plot saved to: $tmp/res/run.dataset_stats.png" "$tmp/serve.out" ||
    die "no dataset stats line"
completed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["completed"])' "$tmp/res/run.json")
# one TTFT segment per successful request
ttft_rects=$(grep -o 'fill="#5b7db1"' "$tmp/res/run.timeline.html" | wc -l)
[ "$ttft_rects" = "$completed" ] || die "timeline: $ttft_rects TTFT segments for $completed requests"
png "$tmp/res/run.dataset_stats.png" 1600 1120 50
# without --save-result the plots still go next to the result name (as the reference)
"$SB_BIN" serve --sim --model sim --num-prompts 10 --random-input-len 16 --random-output-len 4 \
    --result-dir "$tmp/nosave" --result-filename n.json --plot-timeline --plot-dataset-stats \
    --disable-tqdm > /dev/null 2>&1 || die "serve without --save-result failed"
[ -s "$tmp/nosave/n.timeline.html" ] && [ -s "$tmp/nosave/n.dataset_stats.png" ] ||
    die "plots not written without --save-result"
[ ! -e "$tmp/nosave/n.json" ] || die "result written without --save-result"

# 1b. server and GPU metrics scraped during the run (docs/serve.md)
python3 "$SB_SOURCE_DIR/tests/gen/metrics_server.py" > "$tmp/m.out" &
mpid=$!
for _ in $(seq 600); do grep -q listening "$tmp/m.out" && break; sleep 0.05; done
mport=$(awk '{print $2}' "$tmp/m.out")
[ -n "$mport" ] || die "metrics server did not start"
"$SB_BIN" serve --sim --sim-arg "--max-num-seqs 4 --itl-ms 20" --model sim --num-prompts 40 \
    --request-rate 30 --random-input-len 32 --random-output-len 16 --server-metrics \
    --server-metrics-interval 0.2 --gpu-metrics-url "http://127.0.0.1:$mport/flaky" \
    --save-result --save-detailed --result-dir "$tmp/res" --result-filename tm.json \
    --disable-tqdm > "$tmp/tm.out" 2>&1 || { cat "$tmp/tm.out"; die "serve with metrics failed"; }
"$SB_BIN" report "$tmp/res/tm.json" -o "$tmp/tm.html" > /dev/null || die "report with metrics"
"$SB_BIN" plot "$tmp/res/tm.json" --list > "$tmp/tmlist"
server_charts="server-requests server-kv-cache server-prefix-cache server-tokens gpu-utilization gpu-memory gpu-power"
for c in $server_charts; do
    grep -q "^$c " "$tmp/tmlist" || die "no chart $c: $(cat "$tmp/tmlist")"
done
python3 - "$tmp/tm.html" "$tmp/res/tm.json" <<'PY' || die "server charts"
import json, re, sys
page = open(sys.argv[1]).read()
sb = json.load(open(sys.argv[2]))["servebench"]
gaps = len(sb["gpu_metrics"]["gaps"])
assert gaps >= 2, "the flaky endpoint gave %d gaps" % gaps
def body(c):
    return page.split('id="chart-%s"' % c, 1)[1].split("</svg>", 1)[0]
for c in ["server-requests", "server-kv-cache", "server-prefix-cache", "server-tokens", "gpu-utilization",
          "gpu-memory"]:
    b = body(c)
    assert 'polyline class="ln c-s' in b, c
    assert "time since the benchmark start (s)" in b and "end of the run" in b, c
assert "requests" in body("server-requests") and "KV-cache usage (%)" in body("server-kv-cache")
assert "GPU memory used (MiB)" in body("gpu-memory")
# running and waiting: two named lines
assert ">running<" in body("server-requests") and ">waiting<" in body("server-requests")
# the GPU lines break at every failed scrape: one polyline per stretch between gaps
mem = body("gpu-memory")
lines = len(re.findall(r'<polyline class="ln c-s3"', mem))
assert lines >= gaps, (lines, gaps)
assert "failed scrape" in page.split('data-chart="gpu-memory"', 1)[1].split("</figure>", 1)[0]
# the server's own blocks had no gaps: one unbroken line per series
assert len(re.findall(r'<polyline class="ln c-s3"', body("server-kv-cache"))) == 1
PY
for c in server-requests gpu-memory; do
    "$SB_BIN" plot "$tmp/res/tm.json" -o "$tmp/$c.png" --chart "$c" --width 640 --height 400 \
        > /dev/null || die "plot $c"
    png "$tmp/$c.png" 640 400 20
    "$SB_BIN" plot "$tmp/res/tm.json" -o "$tmp/$c.svg" --chart "$c" > /dev/null || die "svg $c"
    python3 - "$tmp/$c.svg" "$c" <<'PY' || die "svg $c"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
assert root.get("id") == "chart-" + sys.argv[2], root.get("id")
assert len(root.findall(".//" + ns + "polyline")) >= 2  # frame plus the series
assert any(t.text == "time since the benchmark start (s)" for t in root.iter(ns + "text"))
PY
done
kill "$mpid" 2> /dev/null
mpid=

# 1c. a real `serve --multi-turn` run: TTFT and input length by turn index
python3 - "$tmp/conv.json" <<'PY'
import json, sys
convs = []
for i in range(6):
    t = []
    for k in range(1 + i % 4):
        t.append({"from": "human", "value": f"conv {i} turn {k}: what is the weather in town {k}?"})
        t.append({"from": "gpt", "value": " ".join(["reply"] * (4 + k))})
    convs.append({"id": f"c{i}", "conversations": t})
json.dump(convs, open(sys.argv[1], "w"))
PY
"$SB_BIN" serve --sim --sim-arg "--ttft-ms 2 --itl-ms 0.5" --backend openai-chat \
    --endpoint /v1/chat/completions --model sim --tokenizer "$SB_TEST_DATA/tokenizers/gpt2" \
    --dataset-name sharegpt --dataset-path "$tmp/conv.json" --num-prompts 6 --multi-turn --seed 1 \
    --save-result --result-dir "$tmp/res" --result-filename mt.json --disable-tqdm \
    > "$tmp/mt.out" 2>&1 || { cat "$tmp/mt.out"; die "serve --multi-turn failed"; }
"$SB_BIN" report "$tmp/res/mt.json" "$tmp/res/tm.json" -o "$tmp/mt.html" > /dev/null ||
    die "report of a multi-turn run"
"$SB_BIN" plot "$tmp/res/mt.json" "$tmp/res/tm.json" --list > "$tmp/mtlist"
for c in turns-ttft turns-input; do
    grep -q "^$c " "$tmp/mtlist" || die "no chart $c: $(cat "$tmp/mtlist")"
    "$SB_BIN" plot "$tmp/res/mt.json" "$tmp/res/tm.json" -o "$tmp/$c.svg" --chart "$c" \
        > /dev/null || die "plot $c"
    "$SB_BIN" plot "$tmp/res/mt.json" -o "$tmp/$c.png" --chart "$c" --width 640 --height 400 \
        > /dev/null || die "plot $c png"
    png "$tmp/$c.png" 640 400 20
done
# one point per turn index, at positions that are an affine image of the
# JSON's turn and figure (the y axis shared by mean and p99)
python3 - "$tmp/res/mt.json" "$tmp/turns-ttft.svg" "$tmp/turns-input.svg" "$tmp/mt.html" <<'PY' ||
import re, sys
import json
pt = json.load(open(sys.argv[1]))["servebench"]["multi_turn"]["per_turn"]
assert [p["turn"] for p in pt] == [1, 2, 3, 4] and all(p["completed"] > 0 for p in pt), pt
def lines(svg):
    got = []
    for a in re.findall(r'<polyline class="ln c-s0"[^>]*points="([^"]+)"', open(svg).read()):
        xy = [tuple(map(float, q.split(","))) for q in a.split()]
        if len(xy) == len(pt):  # the legend's samples have 2 points
            got.append(xy)
    return got
def affine(vals, pix):  # pix = a * vals + b within the 0.1 px the writer rounds to
    # anchored at the smallest and largest value, so the rounding of the two
    # anchors is never magnified (two close values would tilt the line)
    lo, hi = vals.index(min(vals)), vals.index(max(vals))
    if vals[hi] == vals[lo]:
        assert max(pix) - min(pix) < 0.2, (vals, pix)
        return
    a = (pix[hi] - pix[lo]) / (vals[hi] - vals[lo])
    b = pix[lo] - a * vals[lo]
    assert all(abs(a * v + b - p) < 0.2 for v, p in zip(vals, pix)), (vals, pix)
tt, inp = lines(sys.argv[2]), lines(sys.argv[3])
assert len(tt) == 2 and len(inp) == 1, (tt, inp)
turns = [p["turn"] for p in pt]
for ln in tt + inp:
    affine(turns, [x for x, _ in ln])
affine([p["ttft_ms"]["mean"] for p in pt] + [p["ttft_ms"]["p99"] for p in pt],
       [y for _, y in tt[0]] + [y for _, y in tt[1]])
affine([p["mean_input_len"] for p in pt], [y for _, y in inp[0]])
page = open(sys.argv[4]).read()
assert "<h2>Multi-turn</h2>" in page and "mt.json p99" in page
PY
    die "turn charts"

# 2. the report
sweep="$SB_TEST_DATA/report/sweep.jsonl"
"$SB_BIN" report "$tmp/res/run.json" "$sweep" -o "$tmp/report.html" > "$tmp/report.out" ||
    die "report failed"
grep -q "Wrote $tmp/report.html (20 charts" "$tmp/report.out" || die "report: $(cat "$tmp/report.out")"
set +e
"$SB_BIN" report "$tmp/res/run.json" -o "$tmp/report.html" > /dev/null 2> "$tmp/again.err"
rc=$?
set -e
[ "$rc" = 1 ] && grep -q "exists; use --force" "$tmp/again.err" || die "overwrote without --force"
"$SB_BIN" report "$tmp/res/run.json" "$sweep" -o "$tmp/report.html" --force > /dev/null ||
    die "--force"
# self-contained: nothing fetched (the SVG namespace URI is a name, not a request)
if grep -qE '[[:space:]](src|href|srcset|xlink:href)=|url\(|@import' "$tmp/report.html"; then
    die "report references an external resource"
fi
if grep -oE 'https?://[^" ]+' "$tmp/report.html" | grep -vqx 'http://www.w3.org/2000/svg'; then
    die "report holds a URL"
fi
size=$(stat -c %s "$tmp/report.html")
[ "$size" -lt 5000000 ] || die "report is $size bytes"

# bad input: named, exit 2
for bad in "$tmp/missing.json" "$SB_TEST_DATA/report"; do
    set +e
    "$SB_BIN" report "$bad" -o "$tmp/bad.html" 2> "$tmp/bad.err"
    rc=$?
    set -e
    [ "$rc" = 2 ] && grep -qF "$bad" "$tmp/bad.err" || die "bad input $bad: rc $rc $(cat "$tmp/bad.err")"
done

# a real sweep (servebench sweep against the simulator) reads back with data in every chart
"$SB_BIN" sweep --output-dir "$tmp/sw" --request-rate 50,inf --sim --model sim --num-prompts 20 \
    --random-input-len 16 --random-output-len 4 --disable-tqdm > "$tmp/sweep.out" 2>&1 ||
    { cat "$tmp/sweep.out"; die "sweep failed"; }
"$SB_BIN" report "$tmp/sw/sweep.jsonl" "$tmp/sw/points/p0000-r1.json" -o "$tmp/sweep.html" \
    > /dev/null || die "report of a real sweep"
! grep -q "no data" "$tmp/sweep.html" || die "a chart of the real sweep has no data"
python3 - "$tmp/sweep.html" <<'PY' || die "real sweep page"
import re, sys
page = open(sys.argv[1]).read()
for c in ["sweep-ttft", "sweep-tpot", "sweep-throughput", "sweep-pareto", "f2-scatter-ttft-input"]:
    body = page.split('id="chart-%s"' % c, 1)[1].split("</svg>", 1)[0]
    assert 'class="dt c-s' in body, c  # its data points were drawn
assert re.search(r">inf</text>", page)  # the unbounded load is labelled on the axis
PY

# 3. plots
"$SB_BIN" plot "$tmp/res/run.json" "$sweep" --list > "$tmp/list"
[ "$(wc -l < "$tmp/list")" = 20 ] || die "plot --list: $(cat "$tmp/list")"
for c in ttft-cdf itl-hist throughput-time scatter-e2el-output f2-sweep-pareto f2-sweep-ttft f2-sweep-tpot; do
    "$SB_BIN" plot "$tmp/res/run.json" "$sweep" -o "$tmp/$c.png" --chart "$c" --width 640 \
        --height 400 > /dev/null || die "plot $c"
    png "$tmp/$c.png" 640 400 20
    "$SB_BIN" plot "$tmp/res/run.json" "$sweep" -o "$tmp/$c.svg" --chart "$c" > /dev/null
    python3 - "$tmp/$c.svg" "$c" <<'PY' || die "svg $c"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
assert root.get("id") == "chart-" + sys.argv[2], root.get("id")
assert root.get("width") == "800" and root.get("height") == "480"
ns = "{http://www.w3.org/2000/svg}"
assert len(root.findall(".//" + ns + "text")) >= 5
assert root.find(ns + "style") is not None  # standalone: its own light/dark colours
PY
done
set +e
"$SB_BIN" plot "$tmp/res/run.json" -o "$tmp/x.png" --chart nope 2> "$tmp/nope.err"
rc=$?
"$SB_BIN" plot "$tmp/res/run.json" -o "$tmp/x.gif" --chart ttft-cdf 2> "$tmp/gif.err"
rc2=$?
set -e
[ "$rc" = 2 ] && grep -q "no chart 'nope'" "$tmp/nope.err" || die "unknown chart: $rc"
[ "$rc2" = 2 ] && grep -q "must end in .png or .svg" "$tmp/gif.err" || die "gif: $rc2"

# 4. headless Chromium
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$chrome" ] || sb_skip "chromium is not installed (Debian package chromium)"
cr() { timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --enable-logging=stderr --v=0 --user-data-dir="$tmp/profile" "$@"; }
printf '<!DOCTYPE html><p>ok</p><script>console.error("canary-error")</script>' > "$tmp/canary.html"
if ! cr --dump-dom "file://$tmp/canary.html" > "$tmp/canary.dom" 2> "$tmp/canary.err"; then
    sb_skip "chromium cannot run here: $(tail -3 "$tmp/canary.err")"
fi
grep -q "<p>ok</p>" "$tmp/canary.dom" || sb_skip "chromium cannot render here: $(tail -3 "$tmp/canary.err")"
# the console check must see a console message when there is one
grep -q 'CONSOLE.*canary-error' "$tmp/canary.err" || die "console messages are not visible"
cr --dump-dom "file://$tmp/report.html" > "$tmp/report.dom" 2> "$tmp/report.err" || die "chromium"
if grep -E 'CONSOLE|ERR_|Failed to load|Refused' "$tmp/report.err"; then
    die "chromium reported the lines above"
fi
python3 - "$tmp/report.dom" "$tmp/list" <<'PY' || die "DOM check"
import re, sys
dom = open(sys.argv[1]).read()
ids = [l.split()[0] for l in open(sys.argv[2])]
figs = re.findall(r'<figure data-chart="([^"]+)">\s*<svg[^>]*id="chart-([^"]+)"', dom)
assert [a for a, b in figs] == ids, (figs, ids)
assert all(a == b for a, b in figs)
for i in ids:  # every chart drew something: marks beyond its frame and grid
    body = dom.split('id="chart-%s"' % i, 1)[1].split("</svg>", 1)[0]
    assert body.count("<text") >= 5, i
    assert re.search(r'<(rect|path) class="(c-s|dt)|polyline class="ln c-s', body), i
assert "<table>" in dom and "client-limited" in dom and "partial" in dom
assert "Capacity under the SLOs" in dom
PY
# the server-metric page: no console message, every chart drawn
cr --dump-dom "file://$tmp/tm.html" > "$tmp/tm.dom" 2> "$tmp/tm.err" || die "chromium tm"
if grep -E 'CONSOLE|ERR_|Failed to load|Refused' "$tmp/tm.err"; then
    die "chromium reported the lines above (server-metric page)"
fi
python3 - "$tmp/tm.dom" "$tmp/tmlist" <<'PY' || die "DOM check (server-metric page)"
import re, sys
dom = open(sys.argv[1]).read()
ids = [l.split()[0] for l in open(sys.argv[2])]
figs = re.findall(r'<figure data-chart="([^"]+)">\s*<svg[^>]*id="chart-([^"]+)"', dom)
assert [a for a, b in figs] == ids, (figs, ids)
for i in ids:
    body = dom.split('id="chart-%s"' % i, 1)[1].split("</svg>", 1)[0]
    assert body.count("<text") >= 5, i
    assert re.search(r'<(rect|path) class="(c-s|dt)|polyline class="ln c-s', body), i
assert "<h2>Server metrics</h2>" in dom and "<h2>GPU metrics</h2>" in dom
PY
# the multi-turn page: no console message, every chart drawn
cr --dump-dom "file://$tmp/mt.html" > "$tmp/mt.dom" 2> "$tmp/mt.err" || die "chromium mt"
if grep -E 'CONSOLE|ERR_|Failed to load|Refused' "$tmp/mt.err"; then
    die "chromium reported the lines above (multi-turn page)"
fi
python3 - "$tmp/mt.dom" "$tmp/mtlist" <<'PY' || die "DOM check (multi-turn page)"
import re, sys
dom = open(sys.argv[1]).read()
ids = [l.split()[0] for l in open(sys.argv[2])]
figs = re.findall(r'<figure data-chart="([^"]+)">\s*<svg[^>]*id="chart-([^"]+)"', dom)
assert [a for a, b in figs] == ids, (figs, ids)
for i in ["turns-ttft", "turns-input"]:
    body = dom.split('id="chart-%s"' % i, 1)[1].split("</svg>", 1)[0]
    assert body.count("<text") >= 5, i
    assert re.search(r'polyline class="ln c-s', body), i
assert "<h2>Multi-turn</h2>" in dom
PY
cr --screenshot="$tmp/light.png" --window-size=1280,3000 "file://$tmp/report.html" \
    > /dev/null 2>&1 || die "screenshot"
png "$tmp/light.png" 1280 3000 50
cr --force-dark-mode --screenshot="$tmp/dark.png" --window-size=1280,3000 \
    "file://$tmp/report.html" > /dev/null 2>&1 || die "dark screenshot"
png "$tmp/dark.png" 1280 3000 50
light=$("$pngcheck" "$tmp/light.png" | cut -d' ' -f5)
dark=$("$pngcheck" "$tmp/dark.png" | cut -d' ' -f5)
[ "$light" -gt 180 ] && [ "$dark" -lt 80 ] || die "light/dark luminance $light/$dark"
cp "$tmp/light.png" "$SB_BUILD_DIR/report_html_light.png" 2> /dev/null || true
echo "report_html: ok ($completed requests, report $size bytes, luminance $light/$dark)"
