#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tok_cmd.sh - `servebench tokenize` end to end on real tokenizer files:
# --text/stdin, --ids/--count, --decode with and without
# --skip-special-tokens, --add-special-tokens, --jsonl order with several
# threads (and per-line overrides), --info, --help, --text-pair,
# --tokenizer-compat and the transformers rules, and exit status 1/2 with a
# message naming the problem for bad input.
set -uo pipefail
bin="${SB_BIN:?}"
data="${SB_TEST_DATA:?}/tokenizers"
fails=0
check() { # name expected actual
  if [ "$2" != "$3" ]; then echo "FAIL $1: expected [$2] got [$3]"; fails=$((fails + 1)); else echo "ok   $1"; fi
}
status() { "$@" >/dev/null 2>&1; echo $?; }

check text_ids "[128000,9906,1917,0]" "$("$bin" tokenize --tokenizer "$data/llama3" --text 'Hello world!' --add-special-tokens)"
check stdin_count "4" "$(printf 'Hello world!' | "$bin" tokenize --tokenizer "$data/llama3" --count --add-special-tokens)"
check default_gpt2 "[15496,995,0]" "$("$bin" tokenize --text 'Hello world!')"
check decode "<s> Hello world" "$("$bin" tokenize --tokenizer "$data/mistral" --decode 1,22557,1526)"
check decode_skip "Hello world" "$("$bin" tokenize --tokenizer "$data/mistral" --decode 1,22557,1526 --skip-special-tokens)"
check special_text "[151644,872,198]" "$("$bin" tokenize --tokenizer "$data/qwen3" --text $'<|im_start|>user\n')"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
: > "$tmp/in.jsonl"
for i in $(seq 1 200); do echo "{\"text\":\"line $i: the number $i\"}" >> "$tmp/in.jsonl"; done
echo '{"ids":[15496,995],"skip_special_tokens":true}' >> "$tmp/in.jsonl"
"$bin" tokenize --jsonl "$tmp/in.jsonl" --threads 4 > "$tmp/out4.jsonl"
"$bin" tokenize --jsonl "$tmp/in.jsonl" --threads 1 > "$tmp/out1.jsonl"
check jsonl_lines "201" "$(wc -l < "$tmp/out4.jsonl" | tr -d ' ')"
check jsonl_order_same_as_1_thread "" "$(cmp "$tmp/out1.jsonl" "$tmp/out4.jsonl")"
check jsonl_line_7 "$("$bin" tokenize --text 'line 7: the number 7')" "$(sed -n 7p "$tmp/out4.jsonl" | sed 's/{"ids":\(.*\),"count":.*/\1/')"
check jsonl_decode_line '{"text":"Hello world"}' "$(tail -1 "$tmp/out4.jsonl")"

info="$("$bin" tokenize --tokenizer "$data/gemma3" --info)"
check info_vocab "1" "$(echo "$info" | grep -c '"vocab_size":262144')"
# transformers rules (docs/tokenize.md): Llama-3's clean_up_tokenization_spaces,
# DeepSeek-V3's LlamaTokenizerFast BOS, pairs; --tokenizer-compat tokenizers
# gives the bare library's answers
check cleanup_decode "Hello, world." "$("$bin" tokenize --tokenizer "$data/llama3" --decode 9906,1174,1917,13)"
check cleanup_off "Hello , world." "$("$bin" tokenize --tokenizer "$data/llama3" --decode 9906,1174,1917,13 --tokenizer-compat tokenizers)"
check cleanup_t5_bpe "Hello , world." "$("$bin" tokenize --tokenizer "$data/llama3" --decode 9906,1174,1917,13 --tokenizer-compat transformers5)"
check deepseek_bos "[0,19923,2058]" "$("$bin" tokenize --tokenizer "$data/deepseek_v3" --text 'Hello world' --add-special-tokens)"
check deepseek_bare "[19923,2058]" "$("$bin" tokenize --tokenizer "$data/deepseek_v3" --text 'Hello world' --add-special-tokens --tokenizer-compat tokenizers)"
check deepseek_pair "[0,6366,0,14371]" "$("$bin" tokenize --tokenizer "$data/deepseek_v3" --text hi --text-pair yo --add-special-tokens)"
check pair_plain "[6151,16417]" "$("$bin" tokenize --tokenizer "$data/llama3" --text hi --text-pair yo)"
dsinfo="$("$bin" tokenize --tokenizer "$data/deepseek_v3" --info)"
check info_deepseek_to_add "1" "$(echo "$dsinfo" | grep -c '"num_special_tokens_to_add":1,')"
check info_max_length "1" "$(echo "$dsinfo" | grep -c '"model_max_length":131072')"
check info_cleanup "1" "$("$bin" tokenize --tokenizer "$data/llama3" --info | grep -c '"clean_up_tokenization_spaces":true')"
check bad_compat_exit "2" "$(status "$bin" tokenize --tokenizer-compat bogus --text a)"
check pair_with_decode_exit "2" "$(status "$bin" tokenize --text-pair a --decode 1)"
check help_exit "0" "$(status "$bin" tokenize --help)"
check help_mentions_jsonl "1" "$("$bin" tokenize --help | grep -c -- '^  --jsonl FILE')"
check unknown_flag_exit "2" "$(status "$bin" tokenize --bogus)"
check two_inputs_exit "2" "$(status "$bin" tokenize --text a --decode 1)"
check bad_decode_exit "2" "$(status "$bin" tokenize --decode 1,x)"
check bad_threads_exit "2" "$(status "$bin" tokenize --jsonl "$tmp/in.jsonl" --threads 0)"
check out_of_range_exit "1" "$(status "$bin" tokenize --decode 99999999)"
msg="$("$bin" tokenize --tokenizer "$tmp/nothing-here" --text a 2>&1)"
check missing_tokenizer_msg "1" "$(echo "$msg" | grep -c 'nothing-here')"
printf '{"text":"ok"}\n{"text": 5}\n' > "$tmp/bad.jsonl"
msg="$("$bin" tokenize --jsonl "$tmp/bad.jsonl" 2>&1)"; rc=$?
check bad_line_exit "1" "$rc"
check bad_line_names_line "1" "$(echo "$msg" | grep -c 'bad.jsonl:2')"
printf '{"version":"1.0","model":{"type":"BPE","vocab":{"a":0},"merges":[]},"decoder":{"type":"Nope"}}' > "$tmp/tokenizer.json"
msg="$("$bin" tokenize --tokenizer "$tmp" --text a 2>&1)"
check unknown_decoder_msg "1" "$(echo "$msg" | grep -c 'decoder: unknown decoder type "Nope"')"
printf '\xff\xfeabc' | "$bin" tokenize --count >/dev/null 2>&1
check invalid_utf8_stdin "0" "$?"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
