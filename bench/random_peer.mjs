// SPDX-License-Identifier: Apache-2.0
// random_peer.mjs - the reference's random-dataset loop (reference doc 4.1:
// windows of consecutive non-special ids, decode, re-encode, cut or top up,
// at most 10 rounds) on the Rust `tokenizers` library (npm binding from
// tests/diff), one thread, as the peer for bench/dataset.md. Top-up ids come
// from a small LCG instead of numpy: their cost is negligible next to the
// tokenizer's, and this benchmark times work, it does not check prompts.
//   node bench/random_peer.mjs NODE_MODULES TOKENIZER_JSON N INPUT_LEN
import { createRequire } from 'node:module';
import path from 'node:path';
const [, , modules, tokPath, nArg, lenArg] = process.argv;
const require = createRequire(path.resolve(modules, 'package.json'));
const { Tokenizer } = require('tokenizers');
const t0 = process.hrtime.bigint();
const tok = Tokenizer.fromFile(tokPath);
const V = tok.getVocabSize(false);
const N = Number(nArg), L = Number(lenArg);
let x = 12345n;
const rnd = (k) => { x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n); return Number(x >> 33n) % k; };
const t1 = process.hrtime.bigint();
let total = 0;
for (let i = 0; i < N; i++) {
  const off = rnd(V);
  let seq = Array.from({ length: L }, (_, j) => (off + i + j) % V);
  for (let tries = 10; ; tries--) {
    const text = await tok.decode(seq, false);
    seq = Array.from((await tok.encode(text, null, { addSpecialTokens: false })).getIds());
    if (tries <= 0 || seq.length === L) break;
    if (seq.length < L) while (seq.length < L) seq.push(rnd(V));
    else seq.length = L;
  }
  total += seq.length;
}
const t2 = process.hrtime.bigint();
console.log(`peer (Rust tokenizers via npm, 1 thread): load ${(Number(t1 - t0) / 1e9).toFixed(2)} s, ` +
  `${N} prompts of ${L} in ${(Number(t2 - t1) / 1e9).toFixed(2)} s (${total} tokens)`);
