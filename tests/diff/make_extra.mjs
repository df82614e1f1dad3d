// SPDX-License-Identifier: Apache-2.0
// make_extra.mjs - extra golden vectors for the fast paths that cut long
// SentencePiece words (Mistral, Gemma 3: no pre-tokenizer splits their text)
// and for the word cache: long texts with U+2581-adjacent chars that some
// token spans ("> </"), unknown chars (byte fallback) before spaces, code
// indentation, repeated words. Writes tests/data/tokenizers/<fam>/golden_extra.jsonl
// in golden.jsonl's format. usage: node tests/diff/make_extra.mjs
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'package.json'));
const { Tokenizer } = require('tokenizers');
const data = path.join(here, '../data/tokenizers');

const base = [
  '<a> </a> <b>x</b> > </ >> <<  >   </',
  'if (x) {\n    return y;\n}\n\n\tfor (;;) { }   \n',
  'emoji 🙂 before space 🙂🙂 🙂\u00a0x \u3000y \u0007 z \u0000 w',
  'word '.repeat(60) + 'word',
  'A longer paragraph, with punctuation; quotes "like this" and (parens) -- dashes -- and numbers 1234567890. '.repeat(6),
  '\u2581 already has \u2581\u2581 meta chars \u2581x x\u2581 \u2581\u2581\u2581',
  'ſ K İ ß ﬁ Ⅻ ½ é e\u0301 日本語 テキスト 한국어 Привет мир مرحبا',
  '   leading spaces and trailing   ',
  'x'.repeat(300) + ' ' + 'ab'.repeat(200),
  Array.from({ length: 80 }, (_, i) => `line ${i}: value=${i * i}`).join('\n'),
];
for (const fam of ['mistral', 'gemma3', 'llama3', 'qwen3']) {
  const dir = path.join(data, fam);
  const json = zlib.gunzipSync(fs.readFileSync(path.join(dir, 'tokenizer.json.gz'))).toString('utf8');
  const tok = Tokenizer.fromString(json);
  const lines = [];
  for (const text of base) {
    const ids = Array.from((await tok.encode(text, null, { addSpecialTokens: false })).getIds());
    const sp = Array.from((await tok.encode(text, null, { addSpecialTokens: true })).getIds());
    lines.push(JSON.stringify({ text, ids, ids_special: sp }));
  }
  fs.writeFileSync(path.join(dir, 'golden_extra.jsonl'), lines.join('\n') + '\n');
  console.log(fam, lines.length);
}
