// SPDX-License-Identifier: Apache-2.0
// ds_tok_server.mjs - a model of the tokenizer the reference runs: the Rust
// `tokenizers` library (npm binding, as in tests/diff) under the rules a
// transformers 4.56-4.57 fast tokenizer adds from tokenizer_config.json,
// written from reading transformers (tokenization_utils_base.py,
// tokenization_utils_fast.py, models/llama and models/gemma
// tokenization_*_fast.py). Answers one JSON request per stdin line:
//   {"op":"enc","text":T[,"special":true]} -> {"ids":[...]}
//   {"op":"dec","ids":[...]}               -> {"text":T}
//   {"op":"vocab"} -> {"vocab_size": V, "num_special": S, "all_special_ids": [...]}
// TOKENIZER is a tokenizer.json (the bare library: no config is read) or a
// directory holding tokenizer.json(.gz) and tokenizer_config.json.
// Used by tests/gen/ds_ref_*.py, the reference dataset models.
import fs from 'node:fs';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import path from 'node:path';
const [, , modules, tokPath] = process.argv;
const require = createRequire(path.resolve(modules, 'package.json'));
const { Tokenizer } = require('tokenizers');

let tok, cfg = {};
if (fs.statSync(tokPath).isDirectory()) {
  const plain = path.join(tokPath, 'tokenizer.json');
  const json = fs.existsSync(plain) ? fs.readFileSync(plain, 'utf8')
    : zlib.gunzipSync(fs.readFileSync(plain + '.gz')).toString('utf8');
  tok = Tokenizer.fromString(json);
  const c = path.join(tokPath, 'tokenizer_config.json');
  if (fs.existsSync(c)) cfg = JSON.parse(fs.readFileSync(c, 'utf8'));
  const m = path.join(tokPath, 'special_tokens_map.json'); // from_pretrained: overrides the config
  if (fs.existsSync(m)) Object.assign(cfg, JSON.parse(fs.readFileSync(m, 'utf8')));
} else {
  tok = Tokenizer.fromFile(tokPath);
}

// AutoTokenizer loads the Fast class; these rebuild the post-processor in
// their constructor (update_post_processor) and default some special tokens.
const cls = (cfg.tokenizer_class || '').replace(/Fast$/, '');
const classDefaults = {
  LlamaTokenizer: { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' },
  CodeLlamaTokenizer: { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' },
  GemmaTokenizer: { bos_token: '<bos>', eos_token: '<eos>', unk_token: '<unk>', pad_token: '<pad>' },
}[cls];
if (classDefaults) for (const [k, v] of Object.entries(classDefaults)) if (!(k in cfg)) cfg[k] = v;
const content = (v) => (v && typeof v === 'object' ? v.content : v);
let pre = [], post = [];
const ownPost = !!classDefaults;
if (ownPost) {
  if (cfg.add_bos_token ?? true) pre = [tok.tokenToId(content(cfg.bos_token))];
  if (cfg.add_eos_token ?? false) post = [tok.tokenToId(content(cfg.eos_token))];
}
// all_special_ids: the special-token attributes, then additional and named
// extra special tokens, each once.
const specialIds = [];
for (const k of ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token']) {
  const s = content(cfg[k]);
  if (s != null) specialIds.push(tok.tokenToId(s));
}
for (const s of cfg.additional_special_tokens || []) specialIds.push(tok.tokenToId(content(s)));
for (const s of Object.values(cfg.extra_special_tokens || {})) specialIds.push(tok.tokenToId(content(s)));
if (!Object.keys(cfg).length) // no config: the special added tokens
  for (const [id, t] of Object.entries(tok.getAddedTokensDecoder ? tok.getAddedTokensDecoder() : {}))
    if (t.special) specialIds.push(Number(id));
const allSpecial = [...new Set(specialIds.filter((x) => x != null))].sort((a, b) => a - b);

// PreTrainedTokenizerBase.clean_up_tokenization: plain replacements in this
// order over the whole text.
const cleanUp = cfg.clean_up_tokenization_spaces === true;
const cleanups = [[' .', '.'], [' ?', '?'], [' !', '!'], [' ,', ','], [" ' ", "'"], [" n't", "n't"],
  [" 'm", "'m"], [" 's", "'s"], [" 've", "'ve"], [" 're", "'re"]];
const clean = (s) => cleanups.reduce((t, [a, b]) => t.split(a).join(b), s);

async function encode(text, special) {
  if (!ownPost) return Array.from((await tok.encode(text, null, { addSpecialTokens: special })).getIds());
  const ids = Array.from((await tok.encode(text, null, { addSpecialTokens: false })).getIds());
  return special ? pre.concat(ids, post) : ids;
}
const numSpecial = ownPost ? pre.length + post.length : (await encode('', true)).length;

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  const q = JSON.parse(line);
  let a;
  if (q.op === 'enc') a = { ids: await encode(q.text, !!q.special) };
  else if (q.op === 'dec') {
    const t = await tok.decode(q.ids, false);
    a = { text: cleanUp ? clean(t) : t };
  } else a = { vocab_size: tok.getVocabSize(false), num_special: numSpecial, all_special_ids: allSpecial };
  process.stdout.write(JSON.stringify(a) + '\n');
}
