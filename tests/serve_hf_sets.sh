#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve_hf_sets.sh - the hf classes read from local copies
# (tests/data/datasets/hf, small files in each set's real schema) end to end
# against a real `servebench sim --record --record-messages`, whose lines are
# the server's truth: what each request carried must be what the reference's
# class builds (vllm/benchmarks/datasets/datasets.py), recomputed here in
# Python from the fixture:
#  - BFCL: pre-built messages (the row's first turn), tools translated to JSON
#    Schema types, tool_choice "auto", rows interleaved per category and
#    shuffled with random.Random(seed); a row with an empty turn is skipped
#    and named; --bfcl-categories picks the files;
#  - blazedit: the edit template, rows filtered by --blazedit-min/max-distance;
#  - MLPerf: system + question through the chat template (jinja2 here);
#  - zeta: the zeta prompt; the expected output from the marker on (a row
#    without it: its last character, one token);
#  - VisionArena, MMStar, LLaVA-OneVision: text + the image (bytes -> JPEG
#    data URL, a URL as it is), --enable-multimodal-chat's content list;
#  - MMVU: question + choices, the remote video URL moved onto the local copy;
#  - openai-embeddings-clip, -vlm2vec, infinity-embeddings-clip with the
#    VisionArena rows (images): every request answered 200;
#  - ASR (librispeech): decoded arrays sent as WAV through openai-audio, audio
#    longer than --asr-max-audio-len-sec skipped (the summed seconds = RTFx x
#    duration); Earnings22-Cleaned's repo-local audio files ("url");
# and bad input stops with file, row (line) and column: a missing column, a
# wrong type, an empty file, a tool schema that is not an object, a missing
# category file, a backend that cannot send the set.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
. "$SB_SOURCE_DIR/tests/skip.sh"
/usr/bin/python3 -c 'import jinja2, soundfile' 2>/dev/null ||
    sb_skip "serve_hf_sets: needs python3-jinja2 and python3-soundfile"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
H="$SB_TEST_DATA/datasets/hf"
tok="$SB_TEST_DATA/tokenizers/gpt2"
chat="$SB_TEST_DATA/datasets/gpt2chat"
C=(--backend openai-chat --endpoint /v1/chat/completions)

sim_start --model m --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.05 --record "$tmp/rec.jsonl" \
    --record-messages

# run NAME N [serve flags...]: N successful requests with ids NAME-0..
run() {
    local name=$1 n=$2
    shift 2
    "$SB_BIN" serve --base-url "$url" --model m --request-rate inf --num-prompts "$n" \
        --request-id-prefix "$name-" --save-result --result-dir "$tmp" \
        --result-filename "$name.json" "$@" > "$tmp/$name.txt" 2>&1 ||
        { echo "FAIL: $name: serve exited non-zero"; cat "$tmp/$name.txt"; exit 1; }
    grep -Eq "^Successful requests: +$n *$" "$tmp/$name.txt" ||
        { echo "FAIL: $name: not $n successes"; cat "$tmp/$name.txt"; exit 1; }
}
# bad NAME PATTERN [serve flags...]: exits non-zero naming what PATTERN says
bad() {
    local name=$1 pat=$2
    shift 2
    if "$SB_BIN" serve --base-url "$url" --model m --num-prompts 2 "$@" > "$tmp/$name.txt" 2>&1; then
        echo "FAIL: $name: bad input accepted"; cat "$tmp/$name.txt"; exit 1
    fi
    grep -Eq -- "$pat" "$tmp/$name.txt" ||
        { echo "FAIL: $name: message does not match /$pat/"; cat "$tmp/$name.txt"; exit 1; }
    echo "ok: $name: $(grep -E -- "$pat" "$tmp/$name.txt" | head -1)"
}

B="$H/Berkeley-Function-Calling-Leaderboard"
run bfcl 6 "${C[@]}" --tokenizer "$chat" --dataset-name hf --dataset-path "$B" --seed 3
grep -q "BFCL_v3_multiple.json:2 skipped" "$tmp/bfcl.txt" ||
    { echo "FAIL: the skipped BFCL row is not named"; cat "$tmp/bfcl.txt"; exit 1; }
run bfcls 3 "${C[@]}" --tokenizer "$chat" --dataset-name hf --dataset-path "$B" \
    --bfcl-categories ' simple,,' --disable-shuffle --hf-output-len 7
run blaze 3 "${C[@]}" --tokenizer "$chat" --dataset-name hf --dataset-path "$H/edit_5k_char" \
    --hf-name vdaita/edit_5k_char --skip-chat-template --disable-shuffle \
    --blazedit-min-distance 0.1 --blazedit-max-distance 0.5 --hf-output-len 5
run mlperf 4 "${C[@]}" --tokenizer "$chat" --dataset-name hf \
    --dataset-path "$H/mlperf-inference-llama2-data" --disable-shuffle
run zeta 4 "${C[@]}" --tokenizer "$chat" --dataset-name hf --dataset-path "$H/zeta" \
    --disable-shuffle
run va 3 "${C[@]}" --tokenizer "$chat" --dataset-name hf --dataset-path "$H/VisionArena-Chat" \
    --disable-shuffle
run vachat 2 "${C[@]}" --tokenizer "$chat" --dataset-name hf --dataset-path "$H/VisionArena-Chat" \
    --disable-shuffle --enable-multimodal-chat
run mmstar 2 "${C[@]}" --tokenizer "$chat" --dataset-name hf --dataset-path "$H/MMStar" \
    --disable-shuffle
run mmvu 2 "${C[@]}" --tokenizer "$chat" --dataset-name hf --dataset-path "$H/MMVU" \
    --disable-shuffle
run llava 3 "${C[@]}" --tokenizer "$chat" --dataset-name hf \
    --dataset-path "$H/LLaVA-OneVision-Data" --disable-shuffle
run asr 2 --backend openai-audio --endpoint /v1/audio/transcriptions --tokenizer "$tok" \
    --dataset-name hf --dataset-path "$H/librispeech_asr" --hf-subset clean --hf-split train.100 \
    --disable-shuffle --asr-max-audio-len-sec 0.15 --no-oversample --num-prompts 3
run earn 2 --backend openai-audio --endpoint /v1/audio/transcriptions --tokenizer "$tok" \
    --dataset-name hf --dataset-path "$H/Earnings22-Cleaned-AA" --hf-split test --disable-shuffle
# the multimodal embeddings backends take the hf image sets end to end
for be in openai-embeddings-clip openai-embeddings-vlm2vec infinity-embeddings-clip; do
    run "emb-$be" 3 --backend "$be" --endpoint /v1/embeddings --tokenizer "$chat" --dataset-name hf \
        --dataset-path "$H/VisionArena-Chat" --disable-shuffle
done
sim_stop

/usr/bin/python3 - "$tmp" "$H" "$chat" <<'PY'
import base64, json, random, sys
import jinja2
tmp, H, chat = sys.argv[1:4]
recs = {}
for line in open(f"{tmp}/rec.jsonl"):
    r = json.loads(line)
    recs[r["request_id"]] = r
def rec(name, i):
    return recs[f"{name}-{i}"]
def rows(path):
    return [json.loads(l) for l in open(path) if l.strip()]

# BFCL: interleave simple, live_simple, multiple; random.Random(3).shuffle; skip bad rows
B = f"{H}/Berkeley-Function-Calling-Leaderboard"
REMAP = {"dict": "object", "float": "number", "tuple": "array", "any": "string"}
def tr(n):
    if isinstance(n, dict):
        t = {k: tr(v) for k, v in n.items()}
        if isinstance(t.get("type"), str) and t["type"] in REMAP:
            t["type"] = REMAP[t["type"]]
        return t
    if isinstance(n, list):
        return [tr(v) for v in n]
    return n
def bfcl(cats, seed, shuffle):
    per = [rows(f"{B}/BFCL_v3_{c}.json") for c in cats]
    inter = [r[i] for i in range(max(map(len, per))) for r in per if i < len(r)]
    if shuffle:
        random.Random(seed).shuffle(inter)
    out = []
    for row in inter:
        q, f = row.get("question"), row.get("function")
        if not q or not f or not isinstance(q, list) or not isinstance(q[0], list) or not q[0]:
            continue
        f = f if isinstance(f, list) else [f]
        out.append((q[0], [{"type": "function", "function": tr(x)} for x in f]))
    return out
for name, cats, seed, shuffle, n, mt in (("bfcl", ["simple", "live_simple", "multiple"], 3, True, 6, 512),
                                         ("bfcls", ["simple"], 0, False, 3, 7)):
    want = bfcl(cats, seed, shuffle)
    for i in range(n):
        r = rec(name, i)
        msgs, tools = want[i % len(want)] if i < len(want) else (None, None)
        assert r["messages"] == msgs, (name, i, r["messages"], msgs)
        assert r["tools"] == tools, (name, i, r["tools"], tools)
        assert r["tool_choice"] == "auto" and r["max_tokens"] == mt, (name, i, r["tool_choice"], r["max_tokens"])
    print(f"serve_hf_sets: {name}: {n} requests carry the row's messages, tools and tool_choice")

def text_of(r):
    (m,) = r["messages"]
    assert m["role"] == "user", m
    c = m["content"]
    return c if isinstance(c, str) else c[0]["text"]

# blazedit: rows with norm_distance in [0.1, 0.5], file order
bl = [x for x in rows(f"{H}/edit_5k_char/train.jsonl") if 0.1 <= x["norm_distance"] <= 0.5]
for i, x in enumerate(bl):
    want = ("Given a code file, please apply the change requests and generate the new file.\n\n"
            f"Original file:\n```python\n{x['code']}\n```\n\nChange request:\n{x['change_request']}\n\n"
            "Please generate the new code file in the \"New file\" section below.")
    r = rec("blaze", i)
    assert text_of(r) == want and r["max_tokens"] == 5, (i, text_of(r), r["max_tokens"])
print(f"serve_hf_sets: blaze: {len(bl)} edit prompts from the distance window")

# MLPerf: the chat template over [system, user]
tmpl = jinja2.Environment(trim_blocks=True, lstrip_blocks=True).from_string(
    json.load(open(f"{chat}/tokenizer_config.json"))["chat_template"])
for i, x in enumerate(rows(f"{H}/mlperf-inference-llama2-data/train.jsonl")):
    want = tmpl.render(messages=[{"role": "system", "content": x["system_prompt"]},
                                 {"role": "user", "content": x["question"]}], add_generation_prompt=True)
    assert text_of(rec("mlperf", i)) == want, (i, text_of(rec("mlperf", i)), want)
print("serve_hf_sets: mlperf: system + question through the chat template")

# zeta
Z = ("### Instruction:\nYou are a code completion assistant and your task is to analyze user edits and then "
     "rewrite an excerpt that the user provides, suggesting the appropriate edits within the excerpt, taking "
     "into account the cursor location.\n\n### User Edits:\n\n{}\n\n### User Excerpt:\n\n{}\n\n### Response:\n\n")
zr = rows(f"{H}/zeta/train.jsonl")
for i, x in enumerate(zr):
    assert text_of(rec("zeta", i)) == Z.format(x["events"], x["input"]), i
assert rec("zeta", 3)["max_tokens"] == 1, rec("zeta", 3)["max_tokens"]  # output[-1:] = "e"
assert all(rec("zeta", i)["max_tokens"] > 10 for i in range(3))
print("serve_hf_sets: zeta: prompts and expected-output lengths")

def parts(r):
    (m,) = r["messages"]
    return m["content"]
def is_jpeg_url(u):
    return u.startswith("data:image/jpeg;base64,") and base64.b64decode(u.split(",", 1)[1])[:2] == b"\xff\xd8"
va = rows(f"{H}/VisionArena-Chat/train.jsonl")
for i, x in enumerate(va):
    p = parts(rec("va", i))
    assert p[0] == {"type": "text", "text": x["conversation"][0][0]["content"]}, p[0]
    img = x["images"][0]
    u = p[1]["image_url"]["url"]
    assert p[1]["type"] == "image_url" and (u == img if isinstance(img, str) else is_jpeg_url(u)), (i, u[:40])
    assert rec("va", i)["max_tokens"] == 128
for i in range(2):
    p = parts(rec("vachat", i))
    assert p[0] == {"text": va[i]["conversation"][0][0]["content"], "type": "text"} and len(p) == 2, p
for i, x in enumerate(rows(f"{H}/MMStar/val.jsonl")):
    p = parts(rec("mmstar", i))
    assert p[0]["text"] == x["question"].split("Options:", 1)[0].strip() and is_jpeg_url(p[1]["image_url"]["url"]), p
mv = json.load(open(f"{H}/MMVU/validation.json"))
for i, x in enumerate(mv):
    p = parts(rec("mmvu", i))
    want = x["question"] + " " + " ".join(f"{k}.{v}" for k, v in x["choices"].items())
    url = "file://" + x["video"].replace("https://huggingface.co/datasets/yale-nlp/MMVU/resolve/main", f"{H}/MMVU")
    assert p[0]["text"] == want and p[1] == {"type": "video_url", "video_url": {"url": url}}, (p, want, url)
for i, x in enumerate(rows(f"{H}/LLaVA-OneVision-Data/train.jsonl")):
    p = parts(rec("llava", i))
    assert p[0]["text"] == x["conversations"][0]["value"] and is_jpeg_url(p[1]["image_url"]["url"]), p
print("serve_hf_sets: VisionArena, MMStar, MMVU, LLaVA-OneVision: text and media parts")

for be in ("openai-embeddings-clip", "openai-embeddings-vlm2vec", "infinity-embeddings-clip"):
    got = [rec(f"emb-{be}", i) for i in range(3)]
    assert all(r["api"] == "embeddings" and r["status"] == 200 for r in got), (be, got)
print("serve_hf_sets: clip, vlm2vec, infinity-clip embeddings of VisionArena rows: 3 x 200 each")

res = json.load(open(f"{tmp}/asr.json"))
secs = res["rtfx"] * res["duration"]
assert abs(secs - 0.15) < 1e-6, secs
import soundfile
res2 = json.load(open(f"{tmp}/earn.json"))
want = sum(soundfile.info(f"{H}/Earnings22-Cleaned-AA/{x['url']}").duration
           for x in rows(f"{H}/Earnings22-Cleaned-AA/test.jsonl"))
assert abs(res2["rtfx"] * res2["duration"] - want) < 1e-6, (res2["rtfx"] * res2["duration"], want)
print(f"serve_hf_sets: asr: {res['completed']} transcriptions, {secs:.3f} s of audio (0.2 s clip skipped)")
PY

# tool-call argument tokens count as output when the server sends no usage:
# the sim's last 3 of 8 tokens are tool-call argument deltas; with usage off
# (--extra-body) the client counts content + arguments = 8 per response
sim_start --model m --tokenizer "$tok" --ttft-ms 1 --itl-ms 0.05 --tool-call-tokens 3
run tools 6 "${C[@]}" --tokenizer "$chat" --dataset-name hf --dataset-path "$B" --hf-output-len 8 \
    --ignore-eos --extra-body '{"stream_options": {"include_usage": false}}' --save-detailed
sim_stop
/usr/bin/python3 - "$tmp/tools.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))
c = res["servebench"]["channels"]
assert c["responses_with_tool_call"] == 6 and c["tool_call_messages"] == 6 * 3, c
assert res["total_output_tokens"] == 6 * 8, res["total_output_tokens"]  # 6 x 5 without the arguments
# generated_texts hold the answer text only (the arguments are kept after it, not in it)
assert all(t and "\x00" not in t for t in res["generated_texts"]), res["generated_texts"]
print("serve_hf_sets: tools: 6 responses with a tool call, argument tokens counted without usage")
PY
# a chat template that renders tools (Qwen3's) counts them in prompt_len
"$SB_BIN" dataset stats --tokenizer "$SB_TEST_DATA/tokenizers/qwen3" --dataset-name hf \
    --dataset-path "$B" --num-prompts 6 --backend openai-chat --json > "$tmp/q3.json" 2>&1 ||
    { echo "FAIL: dataset stats bfcl"; cat "$tmp/q3.json"; exit 1; }
/usr/bin/python3 - "$tmp/q3.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
st = json.loads(text[text.index("{"):])
assert st["input_len"]["min"] > 150, st["input_len"]  # the bare questions are < 40 tokens
print(f"serve_hf_sets: qwen3 template with tools: prompt_len {st['input_len']['min']}..{st['input_len']['max']}")
PY

# bad input: file, row (line) and column
printf '%s\n' '{"code": "x = 1", "change_request": "y", "norm_distance": 0.2}' \
    '{"code": "x = 2", "norm_distance": 0.2}' > "$tmp/edit_5k_char.jsonl"
bad blaze-missing "edit_5k_char.jsonl: row 2 \(line 2\): no 'change_request' column" "${C[@]}" \
    --tokenizer "$chat" --dataset-name hf --dataset-path "$tmp/edit_5k_char.jsonl" --disable-shuffle
printf '%s\n' '{"code": "x = 1", "change_request": "y", "norm_distance": "0.2"}' > "$tmp/edit_5k_char.jsonl"
bad blaze-type "row 1 \(line 1\): column 'norm_distance' is not a number" "${C[@]}" \
    --tokenizer "$chat" --dataset-name hf --dataset-path "$tmp/edit_5k_char.jsonl"
printf '%s\n' '{"system_prompt": "s", "question": 5, "output": "o"}' > "$tmp/mlperf.jsonl"
bad mlperf-type "mlperf.jsonl: row 1 \(line 1\): column 'question' is a number, not a string" \
    "${C[@]}" --tokenizer "$chat" --dataset-name hf --dataset-path "$tmp/mlperf.jsonl" \
    --hf-name mgoin/mlperf-inference-llama2-data
: > "$tmp/empty.jsonl"
bad empty "empty.jsonl: no rows \(an empty file\)" "${C[@]}" --tokenizer "$chat" --dataset-name hf \
    --dataset-path "$tmp/empty.jsonl" --hf-name zed-industries/zeta
printf '%s\n' '{"conversation": [[{"role": "user", "content": "hi"}]], "images": []}' > "$tmp/va.jsonl"
bad va-noimage "va.jsonl: row 1 \(line 1\): column 'images' is missing or empty" "${C[@]}" \
    --tokenizer "$chat" --dataset-name hf --dataset-path "$tmp/va.jsonl" --hf-name lmarena-ai/VisionArena-Chat
bad va-backend "needs --backend openai-chat" --tokenizer "$chat" --dataset-name hf \
    --dataset-path "$H/VisionArena-Chat"
printf '%s\n' '{"audio": {"array": [0.1, "x"], "sampling_rate": 8000}}' > "$tmp/asr.jsonl"
bad asr-type "asr.jsonl: row 1 \(line 1\): column 'audio': \"array\"\[1\] is not a number" \
    --backend openai-audio --endpoint /v1/audio/transcriptions --tokenizer "$tok" --dataset-name hf \
    --dataset-path "$tmp/asr.jsonl" --hf-name openslr/librispeech_asr
bad asr-backend "needs --backend openai-audio" "${C[@]}" --tokenizer "$tok" --dataset-name hf \
    --dataset-path "$H/librispeech_asr" --hf-subset clean --hf-split train.100
mkdir -p "$tmp/Berkeley-Function-Calling-Leaderboard"
printf '%s\n' '{"id": "simple_0", "question": [[{"role": "user", "content": "hi"}]], "function": ["f"]}' \
    > "$tmp/Berkeley-Function-Calling-Leaderboard/BFCL_v3_simple.json"
bad bfcl-tool "BFCL_v3_simple.json:1: column 'function': function\[0\] is a tool schema that is not an object" \
    "${C[@]}" --tokenizer "$chat" --dataset-name hf --dataset-path "$tmp/Berkeley-Function-Calling-Leaderboard" \
    --bfcl-categories simple
bad bfcl-category "BFCL category 'nope' not found: file 'BFCL_v3_nope.json' does not exist" "${C[@]}" \
    --tokenizer "$chat" --dataset-name hf --dataset-path "$B" --bfcl-categories simple,nope
bad bfcl-backend "BFCL dataset requires the 'openai-chat' backend" --tokenizer "$chat" \
    --dataset-name hf --dataset-path "$B"
bad bfcl-other "--bfcl-categories is for the BFCL set" "${C[@]}" --tokenizer "$chat" \
    --dataset-name hf --dataset-path "$H/zeta" --bfcl-categories simple
printf '%s\n' '{"prompt": "x"}' > "$tmp/amigo.jsonl"
bad not-ami "amigo.jsonl: unknown hf dataset; give --hf-name" "${C[@]}" --tokenizer "$chat" \
    --dataset-name hf --dataset-path "$tmp/amigo.jsonl"
bad blaze-other "--blazedit-min/max-distance are for the blazedit sets" "${C[@]}" --tokenizer "$chat" \
    --dataset-name hf --dataset-path "$H/zeta" --blazedit-max-distance 0.5
bad asr-other "--asr-min/max-audio-len-sec are for the ASR sets" "${C[@]}" --tokenizer "$chat" \
    --dataset-name hf --dataset-path "$H/zeta" --asr-min-audio-len-sec 1
bad zeta-outlen "not supported yet for zed-industries/zeta" "${C[@]}" --tokenizer "$chat" \
    --dataset-name hf --dataset-path "$H/zeta" --hf-output-len 4
echo "serve_hf_sets: ok"
