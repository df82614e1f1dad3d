# SPDX-License-Identifier: Apache-2.0
# mm_case.sh - sourced by the random-mm differential tests (mm_media_diff,
# mm_video_diff): one flag set through the Python model of the reference
# (tests/gen/ds_ref_random_mm.py) and through servebench's --export.
#   mm_case "N INPUT OUTPUT RATIO PREFIX SEED BASE ITEMS_RATIO" LIMITS BUCKETS
# writes $tmp/ref.jsonl and $tmp/ours.jsonl; needs $PY $SRC $MODS $TOK $BIN $tmp.
mm_case() {
  local n in out ratio prefix seed base iratio
  read -r n in out ratio prefix seed base iratio <<<"$1"
  $PY "$SRC/tests/gen/ds_ref_random_mm.py" "$MODS" "$TOK/tokenizer.json" "$n" "$in" "$out" \
    "$ratio" "$prefix" "$seed" "$base" "$iratio" "$2" "$3" >"$tmp/ref.jsonl" ||
    { echo "FAIL: reference model"; exit 1; }
  "$BIN" dataset stats --tokenizer "$TOK" --backend openai-chat --dataset-name random-mm \
    --num-prompts "$n" --random-input-len "$in" --random-output-len "$out" \
    --random-range-ratio "$ratio" --random-prefix-len "$prefix" --seed "$seed" \
    --random-mm-base-items-per-request "$base" --random-mm-num-mm-items-range-ratio "$iratio" \
    --random-mm-limit-mm-per-prompt "$2" --random-mm-bucket-config "$3" \
    --export "$tmp/ours.jsonl" >"$tmp/log" 2>&1 || { echo "FAIL: servebench"; cat "$tmp/log"; exit 1; }
}
