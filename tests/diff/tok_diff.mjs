// SPDX-License-Identifier: Apache-2.0
// tok_diff.mjs - differential test input: seeded random strings per family,
// encoded by the Rust `tokenizers` library (npm binding, this folder's
// node_modules), plus random id sequences decoded by it.
//
// usage: node tok_diff.mjs TOKDIR FAMILY N OUTDIR
//   writes OUTDIR/FAMILY.in.jsonl   servebench --jsonl input: per text two lines
//                                   {"text","add_special_tokens":false|true}, then
//                                   per id sequence {"ids","skip_special_tokens":...}
//          OUTDIR/FAMILY.want.jsonl the Rust library's answer for each input line,
//                                   in servebench's output format
// and compare.mjs checks servebench's outputs against them.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'package.json'));
const { Tokenizer } = require('tokenizers');

const [tokDir, family, nStr, outDir] = process.argv.slice(2);
const N = Number(nStr);
// TOKDIR: a directory with tokenizer.json(.gz), or a tokenizer.json file
const gz = path.join(tokDir, 'tokenizer.json.gz');
const json = fs.statSync(tokDir).isFile() ? fs.readFileSync(tokDir, 'utf8')
  : fs.existsSync(gz) ? zlib.gunzipSync(fs.readFileSync(gz)).toString('utf8')
  : fs.readFileSync(path.join(tokDir, 'tokenizer.json'), 'utf8');
const tok = Tokenizer.fromString(json);
const added = JSON.parse(json).added_tokens.map((t) => t.content);

// mulberry32: small, seeded, the same on every machine
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const r = rng(0x5eed ^ family.length * 7919);
const pick = (a) => a[Math.floor(r() * a.length)];
const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));

const WORDS = ['the', 'The', 'quick', 'don\'t', 'I\'m', 'we\'ll', 'HTTP', 'naïve', 'café', 'Ünïcödé',
  'hello', 'world', 'tokenizer', 'print', 'def', 'return', 'x', 'a', 'supercalifragilistic'];
const SPACES = [' ', '  ', '   ', '\t', '\n', '\r\n', '\n\n', '\u00a0', '\u3000', '\u2028', '\u0085',
  '\u180e', '\u200b', ' \n ', '\u2003'];
const PUNCT = ['.', ',', '!', '?', '...', '--', '()', '{}', '[]', '"', '\'', '`', '#', '$', '%',
  '&&', '||', '=>', '::', ';', '<', '>', '/', '\\', '@', '^', '~', '|', '_', '*'];
const SCRIPTS = ['日本語のテキスト', '中文字符', '한국어', 'Привет', 'مرحبا', 'שלום', 'नमस्ते', 'สวัสดี',
  'Ελληνικά', 'ǅungla', 'ﬁ', 'Ⅻ', '½', '²', '𝔘𝔫𝔦', '🙂', '👨‍👩‍👧', '🇫🇷', '❤️', 'e\u0301', 'A\u030a',
  '\u1100\u1161', 'x\u0334\u089f', 'ſ', 'K', 'İ', 'ß', '\u0000', '\u0007', '\ufffd', '\ufeff',
  '𑀀', '\u{1e030}', '\u{16d40}', '\u{1e5d0}', 'ꟊ'];

function randomCodePoint() {
  const ranges = [[0x20, 0x7e], [0xa0, 0x24f], [0x300, 0x36f], [0x370, 0x3ff], [0x400, 0x4ff],
    [0x590, 0x6ff], [0x900, 0x97f], [0xe00, 0xe7f], [0x1100, 0x11ff], [0x2000, 0x206f],
    [0x3000, 0x30ff], [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0x1f300, 0x1faff], [0x10000, 0x10ffff]];
  for (;;) {
    const [lo, hi] = pick(ranges);
    const c = int(lo, hi);
    if (c < 0xd800 || c > 0xdfff) return String.fromCodePoint(c);
  }
}

function randomText() {
  const parts = [];
  const n = int(1, 24);
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.3) parts.push(pick(WORDS));
    else if (k < 0.45) parts.push(pick(SPACES));
    else if (k < 0.55) parts.push(pick(PUNCT));
    else if (k < 0.65) parts.push(String(int(0, 10 ** int(1, 9))));
    else if (k < 0.78) parts.push(pick(SCRIPTS));
    else if (k < 0.9) parts.push(Array.from({ length: int(1, 6) }, randomCodePoint).join(''));
    else if (k < 0.95 && added.length) parts.push(pick(added));
    else parts.push(pick(WORDS).repeat(int(2, 30)));
  }
  return parts.join(r() < 0.5 ? ' ' : '');
}

fs.mkdirSync(outDir, { recursive: true });
const input = [], want = [];
const vocab = tok.getVocabSize(true);
for (let i = 0; i < N; i++) {
  const text = randomText();
  const a = Array.from((await tok.encode(text, null, { addSpecialTokens: false })).getIds());
  const b = Array.from((await tok.encode(text, null, { addSpecialTokens: true })).getIds());
  input.push(JSON.stringify({ text, add_special_tokens: false }));
  input.push(JSON.stringify({ text, add_special_tokens: true }));
  want.push(JSON.stringify({ ids: a, count: a.length }), JSON.stringify({ ids: b, count: b.length }));
}
for (let i = 0; i < Math.ceil(N / 4); i++) {
  const hi = r() < 0.3 ? Math.min(400, vocab) : vocab;
  const seq = Array.from({ length: int(1, 60) }, () => int(0, hi - 1));
  for (const skip of [false, true]) {
    input.push(JSON.stringify({ ids: seq, skip_special_tokens: skip }));
    want.push(JSON.stringify({ text: await tok.decode(seq, skip) }));
  }
}
// pairs (transformers' text_pair; drawn last, so the lines above keep their texts)
for (let i = 0; i < Math.ceil(N / 8); i++) {
  const text = randomText(), pair = randomText();
  for (const sp of [false, true]) {
    const ids = Array.from((await tok.encode(text, pair, { addSpecialTokens: sp })).getIds());
    input.push(JSON.stringify({ text, text_pair: pair, add_special_tokens: sp }));
    want.push(JSON.stringify({ ids, count: ids.length }));
  }
}
const w = (name, lines) => fs.writeFileSync(path.join(outDir, `${family}.${name}.jsonl`), lines.join('\n') + '\n');
w('in', input); w('want', want);
