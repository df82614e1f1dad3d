#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# structured_sim.sh - structured-output requests end to end against a real
# `servebench sim`, whose answer to a request with a JSON schema is JSON the
# schema accepts (with --structured-fault-rate 1: that JSON cut by its last
# byte, never JSON for an object schema). Known truth: with chat's
# response_format every answer matches and the block and
# servebench.structured_output count them all; with completions'
# structured_outputs and fault rate 1 every answer is counted as not JSON;
# --structured-output-ratio 0.5 sends the schema with some but not all
# requests, and exactly the answers that are JSON objects are the counted
# ones; custom rows carry their own "json_schema" (a different const per
# row: each answer equals its row's value); without a schema there is no
# section; bad schema files, ratios and rows stop with file and line.
set -euo pipefail
: "${SB_BIN:?run through ctest}" "${SB_TEST_DATA:?}" "${SB_SOURCE_DIR:?}"
tmp=$(mktemp -d)
. "$SB_SOURCE_DIR/tests/helpers/sim.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
tok="$SB_TEST_DATA/tokenizers/gpt2"
N=12
cat > "$tmp/schema.json" <<'JSON'
{"type": "object",
 "properties": {"name": {"type": "string", "minLength": 3, "maxLength": 12},
                "age": {"type": "integer", "minimum": 18, "maximum": 99},
                "tags": {"type": "array", "items": {"enum": ["a", "b\"q", "c"]}, "minItems": 1},
                "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}},
 "required": ["name", "age", "tags"], "additionalProperties": false}
JSON
run() { # run NAME BACKEND ENDPOINT [SERVE ARGS...]
    local name=$1 be=$2 ep=$3; shift 3
    "$SB_BIN" serve --backend "$be" --endpoint "$ep" --model so --tokenizer "$tok" \
        --base-url "$url" --tokenizer-alignment off --save-result --save-detailed \
        --result-dir "$tmp" --result-filename "$name.json" "$@" > "$tmp/$name.txt" 2>&1 ||
        { echo "FAIL: serve $name"; cat "$tmp/$name.txt"; exit 1; }
}
random=(--dataset-name random --random-input-len 16 --random-output-len 24 --num-prompts $N)

sim_start --model so --ttft-ms 1 --itl-ms 0.1
run chat openai-chat /v1/chat/completions "${random[@]}" --json-schema-path "$tmp/schema.json"
run half openai /v1/completions "${random[@]}" --json-schema-path "$tmp/schema.json" \
    --structured-output-ratio 0.5
run plain openai-chat /v1/chat/completions "${random[@]}"
printf '%s\n' '{"prompt": "one", "output_tokens": 6, "json_schema": {"type": "object", "properties": {"k": {"const": 1}}, "required": ["k"]}}' \
    '{"prompt": "two", "output_tokens": 6}' \
    '{"prompt": "three", "output_tokens": 6, "json_schema": {"enum": ["three"]}}' > "$tmp/rows.jsonl"
run rows openai-chat /v1/chat/completions --dataset-name custom --dataset-path "$tmp/rows.jsonl" \
    --num-prompts 3 --disable-shuffle --skip-chat-template
sim_stop
sim_start --model so --ttft-ms 1 --itl-ms 0.1 --structured-fault-rate 1
run broken openai /v1/completions "${random[@]}" --json-schema-path "$tmp/schema.json"
sim_stop

grep -Eq "^Structured requests sent: +$N *$" "$tmp/chat.txt" || { echo "FAIL: block sent"; cat "$tmp/chat.txt"; exit 1; }
grep -Eq "^Answers that match the schema: +$N *$" "$tmp/chat.txt" || { echo "FAIL: block match"; exit 1; }
grep -Eq "^Schema match rate \(%\): +100.00 *$" "$tmp/chat.txt" || { echo "FAIL: block rate"; exit 1; }
grep -Eq "^Answers that are valid JSON: +0 *$" "$tmp/broken.txt" || { echo "FAIL: broken block"; cat "$tmp/broken.txt"; exit 1; }
! grep -q "Structured output" "$tmp/plain.txt" || { echo "FAIL: section without schema"; exit 1; }
/usr/bin/python3 - "$tmp" $N <<'PY'
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
def load(name):
    return json.load(open(f"{tmp}/{name}.json"))
def objects(res):  # answers that are JSON objects
    out = []
    for t in res["generated_texts"]:
        try:
            out.append(isinstance(json.loads(t), dict))
        except ValueError:
            out.append(False)
    return out
r = load("chat")
s = r["servebench"]["structured_output"]
assert s == {"requests": n, "answered": n, "valid_json": n, "schema_match": n,
             "schema_match_rate": 1.0}, s
for t in r["generated_texts"]:
    v = json.loads(t)
    assert set(v) <= {"name", "age", "tags", "score"} and {"name", "age", "tags"} <= set(v), v
    assert 3 <= len(v["name"]) <= 12 and 18 <= v["age"] <= 99 and 0 < v["score"] <= 1, v
    assert v["tags"] and all(x in ("a", 'b"q', "c") for x in v["tags"]), v
h = load("half")["servebench"]["structured_output"]
k = sum(objects(load("half")))
assert 0 < h["requests"] < n and h["requests"] == k == h["schema_match"], (h, k)
b = load("broken")["servebench"]["structured_output"]
assert b["requests"] == b["answered"] == n and b["valid_json"] == 0 and b["schema_match"] == 0, b
assert b["schema_match_rate"] == 0.0, b
assert not any(objects(load("broken"))), load("broken")["generated_texts"]
assert "structured_output" not in load("plain")["servebench"]
rows = load("rows")
assert rows["servebench"]["structured_output"]["requests"] == 2, rows["servebench"]
assert rows["servebench"]["structured_output"]["schema_match"] == 2, rows["servebench"]
t = rows["generated_texts"]
assert json.loads(t[0]) == {"k": 1} and json.loads(t[2]) == "three", t
print("structured_sim: block and JSON counts as the sim made them")
PY

# bad input: a message naming the file (and line), exit 2, before any request
bad() { # bad WHAT PATTERN [SERVE ARGS...]
    local what=$1 pat=$2; shift 2
    set +e
    "$SB_BIN" serve --backend openai-chat --endpoint /v1/chat/completions --model so \
        --tokenizer "$tok" --base-url http://127.0.0.1:9 "$@" > "$tmp/bad.txt" 2>&1
    local rc=$?
    set -e
    [ $rc -eq 2 ] && grep -q -- "$pat" "$tmp/bad.txt" ||
        { echo "FAIL: $what (rc $rc)"; cat "$tmp/bad.txt"; exit 1; }
}
echo '{"type": "object",' > "$tmp/trunc.json"
echo '["not", "an", "object"]' > "$tmp/list.json"
printf '%s\n' '{"prompt": "a", "output_tokens": 2}' '{"prompt": "b", "output_tokens": 2, "json_schema": "x"}' > "$tmp/badrow.jsonl"
bad "schema not JSON" "trunc.json:2:0: not JSON" "${random[@]}" --json-schema-path "$tmp/trunc.json"
bad "schema not object" "list.json: the schema must be a JSON object" "${random[@]}" --json-schema-path "$tmp/list.json"
bad "schema missing" "nope.json" "${random[@]}" --json-schema-path "$tmp/nope.json"
bad "ratio" "structured-output-ratio 1.5: must be in \[0, 1\]" "${random[@]}" --json-schema-path "$tmp/schema.json" --structured-output-ratio 1.5
bad "ratio alone" "needs --json-schema-path" "${random[@]}" --structured-output-ratio 0.5
bad "row schema" "badrow.jsonl:2: \"json_schema\" must be a JSON object" --dataset-name custom --dataset-path "$tmp/badrow.jsonl" --skip-chat-template
bad "backend" "not supported yet with --backend tgi" --backend tgi --endpoint /generate_stream "${random[@]}" --json-schema-path "$tmp/schema.json"
echo "structured_sim: ok"
