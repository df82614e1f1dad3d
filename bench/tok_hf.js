// tok_hf.js - the peer for bench_tok_bench: the Rust `tokenizers` library
// (npm binding, tests/diff/node_modules) on the same tokenizer and text.
// Prints one JSON line: load time, single-call encode throughput, tokens.
// usage: node bench/tok_hf.js TOKENIZER.json TEXTFILE [ROUNDS]
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
  let best = 1e9, n = 0;
  for (let i = 0; i < rounds; i++) {
    t0 = process.hrtime.bigint();
    const enc = await tok.encode(text, null, { addSpecialTokens: false });
    const d = Number(process.hrtime.bigint() - t0) / 1e9;
    n = enc.getIds().length;
    if (d < best) best = d;
  }
  console.log(JSON.stringify({ impl: 'hf', load_s: loadS, encode_mb_s: bytes / best / 1e6, tokens: n, bytes, rss_tok_kb: Math.round(rssTok) }));
})();
