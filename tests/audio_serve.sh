#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# audio_serve.sh - the openai-audio backend with custom_audio (Whisper style)
# over real sockets:
#  1. bodies byte for byte: every multipart body servebench sends equals the
#     one the real aiohttp FormData builds for the reference's payload
#     (tests/gen/audio_form_ref.py, python-soundfile WAV bytes, same fixed
#     boundary), with --ignore-eos and an --extra-body that overrides
#     `language` and adds a float, a list and a dict (Python str() forms);
#     the Content-Type header carries the boundary. Captured by
#     tests/gen/capture_form.py.
#  2. against `servebench sim`: every request succeeds on both endpoints,
#     the result block prints RTFx and the result JSON's rtfx equals the
#     summed audio seconds / duration.
#  3. the simulator's multipart checks: malformed forms get 400 naming the
#     problem (curl).
# Without aiohttp or soundfile for python3: skip (exit 77; CI: failure).
. "$(dirname "$0")/skip.sh"
set -u
BIN="${SB_BIN:?run through ctest}"
SRC="${SB_SOURCE_DIR:?}"
TOK="${SB_TEST_DATA:?}/datasets/gpt2"
MM="$SB_TEST_DATA/datasets/mm"
PY=/usr/bin/python3
$PY -c 'import aiohttp, soundfile' 2>/dev/null ||
  sb_skip "audio_serve: needs python3-aiohttp and python3-soundfile"
command -v curl >/dev/null || sb_skip "audio_serve: needs curl"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
BOUNDARY=$(grep -o 'BK_FORM_BOUNDARY "[0-9a-f]*"' "$SRC/src/backend/backend.h" | cut -d'"' -f2)
[ ${#BOUNDARY} -eq 32 ] || { echo "FAIL: no 32-hex BK_FORM_BOUNDARY in backend.h"; exit 1; }
printf '{"prompt": "Transcribe.", "audio": "%s"}\n{"prompt": "Again.", "audio": "%s"}\n' \
  "$MM/tone16.wav" "$MM/stereo_float.wav" > "$tmp/audio.jsonl"

start() { # start CMD...: background server printing "... PORT" or "...:PORT"
  rm -f "$tmp/srv.out" # else the wait below can read the previous server's line
  "$@" > "$tmp/srv.out" 2>&1 &
  pid=$!
  for _ in $(seq 600); do grep -q listening "$tmp/srv.out" && break; sleep 0.05; done
  port=$(head -n1 "$tmp/srv.out" | grep -o '[0-9]*$')
  [ -n "$port" ] || { echo "FAIL: server did not start"; cat "$tmp/srv.out"; exit 1; }
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=; }

# 1. bodies against aiohttp
EXTRA='{"language": "fr", "temperature": 0.5, "tags": ["a", "it'"'"'s", "\u00e9"], "opts": {"k": null, "on": true, "x": 1e16}}'
start $PY "$SRC/tests/gen/capture_form.py" "$tmp/bodies.jsonl"
"$BIN" serve --backend openai-audio --endpoint /v1/audio/transcriptions \
  --base-url "http://127.0.0.1:$port" --model m --tokenizer "$TOK" --max-concurrency 1 \
  --dataset-name custom_audio --dataset-path "$tmp/audio.jsonl" --disable-shuffle \
  --num-prompts 2 --custom-output-len 9 --ignore-eos --extra-body "$EXTRA" \
  > "$tmp/serve1.out" 2>&1 || { echo "FAIL: serve (capture)"; cat "$tmp/serve1.out"; exit 1; }
stop
$PY "$SRC/tests/gen/audio_form_ref.py" "$tmp/audio.jsonl" m 9 1 "$EXTRA" "$BOUNDARY" \
  > "$tmp/ref.jsonl" || { echo "FAIL: reference model"; exit 1; }
$PY - "$tmp/bodies.jsonl" "$tmp/ref.jsonl" <<'PYEOF' || exit 1
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
ref = [json.loads(l) for l in open(sys.argv[2])]
got = got[-len(ref):]  # the first capture is the ready check (request 0 again)
for i, (g, r) in enumerate(zip(got, ref)):
    if g['path'] != '/v1/audio/transcriptions':
        sys.exit(f'FAIL: request {i} went to {g["path"]}')
    if g['content_type'] != r['content_type']:
        sys.exit(f'FAIL: request {i} Content-Type {g["content_type"]!r} != {r["content_type"]!r}')
    if g['body_b64'] != r['body_b64']:
        import base64
        a, b = base64.b64decode(g['body_b64']), base64.b64decode(r['body_b64'])
        k = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
        sys.exit(f'FAIL: request {i} body differs at byte {k} (len {len(a)} vs {len(b)}): '
                 f'{a[max(0, k - 40):k + 40]!r} vs {b[max(0, k - 40):k + 40]!r}')
print(f'audio_serve: {len(ref)} multipart bodies equal aiohttp FormData byte for byte')
PYEOF

# 2. against the simulator, both endpoints
start "$BIN" sim --port 0 --model m --ttft-ms 1 --itl-ms 0.2
for ep in transcriptions translations; do
  "$BIN" serve --backend openai-audio --endpoint /v1/audio/$ep \
    --base-url "http://127.0.0.1:$port" --model m --tokenizer "$TOK" --num-prompts 5 \
    --dataset-name custom_audio --dataset-path "$tmp/audio.jsonl" --custom-output-len 8 \
    --save-result --result-dir "$tmp" --result-filename "$ep.json" \
    > "$tmp/$ep.out" 2>&1 || { echo "FAIL: serve $ep"; cat "$tmp/$ep.out"; exit 1; }
  grep -Eq "^Successful requests: +5 *$" "$tmp/$ep.out" &&
    grep -Eq "^Failed requests: +0 *$" "$tmp/$ep.out" &&
    grep -Eq "^RTFx \(Inverse Real-Time Factor\): +[0-9]+\.[0-9]{2} *$" "$tmp/$ep.out" ||
    { echo "FAIL: $ep: not all succeeded or no RTFx line"; cat "$tmp/$ep.out"; exit 1; }
  $PY - "$tmp/$ep.json" "$tmp/audio.jsonl" "$tmp/$ep.out" <<'PYEOF' || exit 1
import json, random, re, sys
import soundfile as sf
res = json.load(open(sys.argv[1]))
rows = [json.loads(l) for l in open(sys.argv[2])]
# the dataset: rows shuffled by random.seed(0), then oversampled to 5 by
# random.choice; every row's duration appears with the count it was drawn
random.seed(0)
random.shuffle(rows)
picked = rows + [random.choice(rows) for _ in range(5 - len(rows))]
secs = sum(sf.info(r['audio']).duration for r in picked)
want = secs / res['duration']
if abs(res['rtfx'] - want) > 1e-9 * want:
    sys.exit(f'FAIL: rtfx {res["rtfx"]} != {secs} s / {res["duration"]} s = {want}')
shown = re.search(r'^RTFx \(Inverse Real-Time Factor\): +(\S+)', open(sys.argv[3]).read(), re.M)
if shown.group(1) != f'{res["rtfx"]:.2f}':
    sys.exit(f'FAIL: block RTFx {shown.group(1)} != JSON {res["rtfx"]:.2f}')
print(f'audio_serve: rtfx {res["rtfx"]:.3f} = {secs:.3f} audio s / {res["duration"]:.4f} s')
PYEOF
done

# 3. the simulator's multipart errors
post() { # post NAME CONTENT_TYPE BODYFILE WANT_STATUS WANT_TEXT
  local st
  st=$(curl -s -o "$tmp/resp" -w '%{http_code}' -H "Content-Type: $2" --data-binary "@$3" \
    "http://127.0.0.1:$port/v1/audio/transcriptions")
  [ "$st" = "$4" ] && grep -q -- "$5" "$tmp/resp" ||
    { echo "FAIL: sim $1: HTTP $st, want $4 with '$5': $(cat "$tmp/resp")"; exit 1; }
  echo "audio_serve: sim $1: HTTP $st"
}
B=xyzB
printf -- '--%s\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF\r\n--%s\r\nContent-Disposition: form-data; name="model"\r\n\r\nm\r\n--%s--\r\n' $B $B $B > "$tmp/ok"
post ok "multipart/form-data; boundary=$B" "$tmp/ok" 200 '"prompt_tokens":1,'
# prompt tokens: ceil(50 x 0.05 s) = 3 for tone16.wav (8 kHz mono PCM_16, 400 frames)
{ printf -- '--%s\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n' $B
  cat "$MM/tone16.wav"; printf -- '\r\n--%s--\r\n' $B; } > "$tmp/wav"
post wav-tokens "multipart/form-data; boundary=\"$B\"" "$tmp/wav" 200 '"prompt_tokens":3,'
post json application/json "$tmp/ok" 400 'must be multipart/form-data'
post no-boundary "multipart/form-data" "$tmp/ok" 400 'without a valid boundary'
post wrong-boundary "multipart/form-data; boundary=other" "$tmp/ok" 400 'no .--other. delimiter'
printf -- '--%s\r\nContent-Disposition: form-data; name="file"\r\n\r\nRIFF and no end' $B > "$tmp/cut"
post truncated "multipart/form-data; boundary=$B" "$tmp/cut" 400 'no closing'
printf -- '--%s\r\nContent-Disposition: form-data; name="model"\r\n\r\nm\r\n--%s--\r\n' $B $B > "$tmp/nofile"
post no-file "multipart/form-data; boundary=$B" "$tmp/nofile" 400 "no non-empty 'file' part"
printf -- '--%s\r\nContent-Type: text/plain\r\n\r\nm\r\n--%s--\r\n' $B $B > "$tmp/noname"
post no-name "multipart/form-data; boundary=$B" "$tmp/noname" 400 'no Content-Disposition with a name'
printf -- '--%s\r\nContent-Disposition: form-data; name="file"\r\n\r\nRIFF\r\n--%s\r\nContent-Disposition: form-data; name="max_completion_tokens"\r\n\r\nmany\r\n--%s--\r\n' $B $B $B > "$tmp/badint"
post bad-int "multipart/form-data; boundary=$B" "$tmp/badint" 400 "'max_completion_tokens' must be an integer"
printf -- '--%s\r\nContent-Disposition: form-data; name="file"\r\n\r\nRIFF\r\n--%s\r\nContent-Disposition: form-data; name="stream"\r\n\r\nyes\r\n--%s--\r\n' $B $B $B > "$tmp/badbool"
post bad-bool "multipart/form-data; boundary=$B" "$tmp/badbool" 400 "'stream' must be a boolean"
printf -- '--%s\r\nContent-Disposition: form-data; name="file"\r\n\r\nRIFF\r\n--%s\r\nContent-Disposition: form-data; name="model"\r\n\r\nother\r\n--%s--\r\n' $B $B $B > "$tmp/model"
post wrong-model "multipart/form-data; boundary=$B" "$tmp/model" 404 'does not exist'
stop
echo "audio_serve: ok"
