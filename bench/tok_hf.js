// SPDX-License-Identifier: Apache-2.0
// tok_hf.js - the peer for bench_tok_bench: the Rust `tokenizers` library
// (npm binding, tests/diff/node_modules) on the same tokenizer and text.
// Prints one JSON line: load time, single-call encode throughput, tokens.
// usage: node bench/tok_hf.js TOKENIZER.json TEXTFILE [ROUNDS]
// The text is cut into ~4 KiB chunks at line ends (the same cut as
// bench_tok_bench) and encoded one chunk per call, single-threaded.
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require(path.join(__dirname, '../tests/diff/node_modules/tokenizers'));
(async () => {
  const [tokPath, textPath, r] = process.argv.slice(2);
  const rounds = Number(r || 3);
  const text = fs.readFileSync(textPath, 'utf8');
  const bytes = Buffer.byteLength(text);
  const rss0 = process.memoryUsage().rss;
  let t0 = process.hrtime.bigint();
  const tok = Tokenizer.fromFile(tokPath);
  const loadS = Number(process.hrtime.bigint() - t0) / 1e9;
  const rssTok = (process.memoryUsage().rss - rss0) / 1024;
  const buf = Buffer.from(text, 'utf8');
  const chunks = [];
  for (let s = 0; s < buf.length;) {
    let e = Math.min(buf.length, s + 4096);
    while (e < buf.length && buf[e - 1] !== 0x0a) e++;
    chunks.push(buf.subarray(s, e).toString('utf8'));
    s = e;
  }
  let best = 1e9, n = 0;
  for (let i = 0; i < rounds; i++) {
    t0 = process.hrtime.bigint();
    n = 0;
    for (const c of chunks) n += (await tok.encode(c, null, { addSpecialTokens: false })).getIds().length;
    const d = Number(process.hrtime.bigint() - t0) / 1e9;
    if (d < best) best = d;
  }
  console.log(JSON.stringify({ impl: 'hf', load_s: loadS, encode_mb_s: bytes / best / 1e6, tokens: n, bytes, rss_tok_kb: Math.round(rssTok) }));
})();
