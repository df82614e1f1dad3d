// SPDX-License-Identifier: Apache-2.0
// Which code points does HF's NFD/NFC (Unicode 9 tables) treat differently
// from utf8proc? Input: nfcprobe output on stdin-file argv[2]. Output: a JSON
// list of code points HF does not know as combining or decomposable.
const fs = require('fs');
const { Tokenizer } = require('../node_modules/tokenizers');
const mk = (type) => Tokenizer.fromString(JSON.stringify({
  version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: { type },
  pre_tokenizer: null, post_processor: null, decoder: null,
  model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null,
    end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab: { a: 0 }, merges: [] } })).getNormalizer();
const nfd = mk('NFD'), nfc = mk('NFC');
const hex = (s) => Buffer.from(s, 'utf8').toString('hex');
const out = [];
for (const line of fs.readFileSync(process.argv[2], 'utf8').trim().split('\n')) {
  const [h, d, c] = line.split(' ');
  const cp = parseInt(h, 16), ch = String.fromCodePoint(cp);
  if (hex(nfd.normalizeString('\u0345' + ch)) !== d || hex(nfc.normalizeString(ch)) !== c) out.push(cp);
}
console.log(JSON.stringify(out));
