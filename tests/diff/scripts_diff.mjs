// SPDX-License-Identifier: Apache-2.0
// scripts_diff.mjs - differential test of the UnicodeScripts pre-tokenizer
// against the Rust `tokenizers` library (npm binding, this folder's
// node_modules); driven by tests/scripts_diff.sh.
//
// usage: node scripts_diff.mjs gen OUTDIR TABLE N
//   TABLE: servebench's script table as `sb_pretok scripts` prints it.
//   Writes, for each pre-tokenizer config P below, OUTDIR/P.json (a
//   tokenizer.json), OUTDIR/P.in.jsonl ({"text"} lines) and OUTDIR/P.want.jsonl
//   (the Rust library's pre_tokenize_str pieces [[piece, first char, end
//   char], ...]); and for each whole tokenizer T, OUTDIR/T.json,
//   OUTDIR/T.in.jsonl (servebench --jsonl input) and OUTDIR/T.want.jsonl.
// usage: node scripts_diff.mjs pieces OUTDIR P   compares OUTDIR/P.got.jsonl
//
// The probe texts check every code point: with X running over all of
// them, "aXaXa..." and "бXбXб..." split around X exactly when X is not Any
// (HF's script of code points Unicode 9.0 did not assign) and is not Latin,
// resp. Cyrillic, so equal pieces mean equal Any-ness; "X R(X) Y R(Y) ..."
// where R(X) is the first code point that servebench gives X's script, must
// not split between X and R(X), and the sequence of all pairs of those
// representatives must split where servebench's scripts differ; together:
// the same script partition as HF's, code point for code point. Then seeded
// random mixed-script texts go through UnicodeScripts alone and in
// Sequences, and through two full tokenizers (a Unigram and a WordPiece
// built from the bundled Mistral vocabulary).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'package.json'));
const { Tokenizer } = require('tokenizers');

const [mode, outDir, arg, nStr] = process.argv.slice(2);
const rd = (n) => fs.readFileSync(path.join(outDir, n), 'utf8').trim().split('\n');

if (mode === 'pieces') {
  // Piece strings always; offsets where the pieces are slices of the text
  // (Metaspace rewrites spaces, and servebench keeps only the whole piece's
  // span for rewritten text).
  const input = rd(`${arg}.in.jsonl`), want = rd(`${arg}.want.jsonl`), got = rd(`${arg}.got.jsonl`);
  const offsets = !arg.includes('metaspace');
  if (got.length !== want.length) {
    console.log(`${arg}: ${got.length} output lines for ${want.length} inputs`);
    process.exit(1);
  }
  let bad = 0;
  want.forEach((w, i) => {
    let a = JSON.parse(w), b = JSON.parse(got[i]);
    if (!offsets) { a = a.map((p) => p[0]); b = b.map((p) => p[0]); }
    if (isDeepStrictEqual(a, b)) return;
    if (bad++ < 5) {
      const k = a.findIndex((p, j) => !isDeepStrictEqual(p, b[j]));
      console.log(`  ${arg} line ${i + 1} (${input[i].length} bytes) differs at piece ${k}:` +
        ` want ${JSON.stringify(a.slice(k, k + 3))} got ${JSON.stringify(b.slice(k, k + 3))}`);
    }
  });
  console.log(`${arg}: ${want.length} texts, ${bad} mismatches`);
  process.exit(bad ? 1 : 0);
}
if (mode !== 'gen') {
  console.error('usage: node scripts_diff.mjs gen OUTDIR TABLE N | pieces OUTDIR NAME');
  process.exit(2);
}

const N = Number(nStr);
fs.mkdirSync(outDir, { recursive: true });
const write = (name, lines) => fs.writeFileSync(path.join(outDir, name), lines.join('\n') + '\n');

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
const r = rng(0x5c41975);
const pick = (a) => a[Math.floor(r() * a.length)];
const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));

const base = (o) => ({ version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
  pre_tokenizer: null, post_processor: null, decoder: null,
  model: { type: 'WordLevel', unk_token: '<unk>', vocab: { '<unk>': 0 } }, ...o });
const US = { type: 'UnicodeScripts' };
const META = (scheme, split) => ({ type: 'Metaspace', replacement: '▁', prepend_scheme: scheme, split });
// Only members that match the Rust library on any text join UnicodeScripts
// here (Whitespace, Punctuation, Digits, BertPreTokenizer and the
// BertNormalizer, Lowercase, NFKC normalizers still differ on some code
// points Unicode assigned after the tables they were built with).
const PRE = {
  us_alone: US,
  us_metaspace: { type: 'Sequence', pretokenizers: [US, META('always', true)] },
  metaspace_us: { type: 'Sequence', pretokenizers: [META('first', false), US] },
  wsplit_us: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, US] },
  us_split: { type: 'Sequence', pretokenizers: [US, { type: 'Split', pattern: { String: ' ' },
    behavior: 'MergedWithNext', invert: false }, { type: 'CharDelimiterSplit', delimiter: '-' }] },
};

// ---- mixed-script texts ----------------------------------------------------
const WORDS = ['Hello', 'world', 'the', 'Ünïcödé', 'naïve', 'ǅ', 'ﬁne', '日本語', '東京', 'ひらがな', 'カタカナ',
  'ー', 'ラーメン', 'どこで生れ', 'ｶﾀｶﾅ', '中文字符', '한국어', 'Привет', 'мир', 'مرحبا', 'العربية', 'שלום',
  'नमस्ते', 'हिन्दी', 'สวัสดี', 'ภาษาไทย', 'Ελληνικά', 'ქართული', 'Հայերեն', 'አማርኛ', 'ᏣᎳᎩ', '𐌰𐌱',
  '𝔘𝔫𝔦', '🙂', '👨‍👩‍👧', '🇫🇷', '❤️', '🥰', '₿', '123', '٣٤٥', '४२', '๓', '½', 'Ⅻ', '²'];
const PUNCT = ['.', ',', '!', '?', '。', '、', '「', '」', '-', '@', '#', '(', ')', '…', '—', '¿', '«', '»',
  '\u0589', '\u061f', '\u0964'];
const MARKS = ['\u0301', '\u0308', '\u0334', '\u064b', '\u093f', '\u0953', '\u0e31', '\u200d', '\u200c',
  '\ufe0f', '\u20e3', '\u{e0100}', '\u1ab0', '\u1dfa'];
const SPACES = [' ', ' ', ' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u3000', '\u2003', '\u200b', '\u061c',
  '\u180e', '\ufeff'];

function randomCodePoint() {
  for (;;) {
    const k = r();
    const c = k < 0.4 ? int(0, 0xffff) : k < 0.7 ? int(0x10000, 0x2ffff) : int(0, 0x10ffff);
    if (c < 0xd800 || c > 0xdfff) return String.fromCodePoint(c);
  }
}

function randomText() {
  const parts = [];
  if (r() < 0.3) parts.push(pick(SPACES));
  if (r() < 0.1) parts.push(pick(MARKS));
  for (let n = int(1, 16); n > 0; n--) {
    const k = r();
    if (k < 0.45) parts.push(pick(WORDS));
    else if (k < 0.6) parts.push(pick(SPACES));
    else if (k < 0.7) parts.push(pick(PUNCT));
    else if (k < 0.78) parts.push(pick(MARKS));
    else if (k < 0.88) parts.push(Array.from({ length: int(1, 5) }, randomCodePoint).join(''));
    else parts.push(String(int(0, 99999)));
  }
  if (r() < 0.3) parts.push(pick(SPACES));
  return parts.join(r() < 0.6 ? '' : ' ');
}
const FIXED = ['', ' ', '   ', ' a', 'a ', ' a ', '\u{20bf}', ' \u{20bf} a', '\u{20bf}a', 'a\u{20bf}б',
  'どこで生れ。Yes', 'Apples are りんご 林檎', 'ー', 'aー', 'ーa', 'カー ー', '\u0301a', 'a\u0301b', ' \u3000 x',
  '1 2 3', '日本 123 abc', 'abc ']; // HF's own unit-test texts among them

// ---- the code point probes ---------------------------------------------------
function probes(tableFile) {
  const runs = fs.readFileSync(tableFile, 'utf8').trim().split('\n').map((l) => {
    const [a, b, name] = l.split(' ');
    return [parseInt(a, 16), parseInt(b, 16), name];
  });
  const all = [], rep = new Map(), scriptOf = [];
  for (const [a, b, name] of runs) {
    if (name !== 'Any' && !rep.has(name)) rep.set(name, a);
    for (let c = a; c <= b; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      all.push(String.fromCodePoint(c));
      scriptOf.push(name);
    }
  }
  const reps = [...rep.values()].map((c) => String.fromCodePoint(c));
  const pairs = [];
  for (let i = 0; i < reps.length; i++) for (let j = i + 1; j < reps.length; j++) pairs.push(reps[i] + reps[j]);
  const withRep = all.map((x, i) => (scriptOf[i] === 'Any' ? '' : x + String.fromCodePoint(rep.get(scriptOf[i]))));
  return [all.join(''), 'a' + all.join('a') + 'a', 'б' + all.join('б') + 'б', withRep.join(''), pairs.join('')];
}

const texts = [...FIXED];
for (let i = 0; i < N; i++) texts.push(randomText());
const probeTexts = probes(arg); // through UnicodeScripts alone: the Sequences add nothing there
for (const [name, pre] of Object.entries(PRE)) {
  const spec = base({ pre_tokenizer: pre });
  fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(spec));
  const pt = Tokenizer.fromString(JSON.stringify(spec)).getPreTokenizer();
  const all = name === 'us_alone' ? [...texts, ...probeTexts] : texts;
  write(`${name}.in.jsonl`, all.map((text) => JSON.stringify({ text })));
  write(`${name}.want.jsonl`, all.map((t) => JSON.stringify(pt.preTokenizeString(t))));
}

// ---- two full tokenizers over the Mistral vocabulary -------------------------
const mistral = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(here,
  '../data/tokenizers/mistral/tokenizer.json.gz'))).toString('utf8'));
const vocab = Object.entries(mistral.model.vocab).sort((a, b) => a[1] - b[1]).map((e) => e[0]);
const TOKS = {
  // a SentencePiece-style Unigram: byte fallback, scores falling with the id
  unigram_scripts: base({
    added_tokens: mistral.added_tokens,
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [US, META('always', true)] },
    post_processor: mistral.post_processor,
    decoder: META('always', true),
    model: { type: 'Unigram', unk_id: 0, byte_fallback: true,
      vocab: vocab.map((t, i) => [t, i < 259 ? 0 : -Math.log(i - 257) - 1]) },
  }),
  // a BERT-style WordPiece: "▁x" -> "x", "x" -> "##x"
  wordpiece_scripts: base({
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((content, id) => ({ id, content,
      single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, US] },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: (() => {
      const v = { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, '[MASK]': 4 };
      let id = 5;
      for (const t of vocab.slice(259)) {
        const w = t.startsWith('▁') ? t.slice(1) : '##' + t;
        if (w && w !== '##' && !(w in v)) v[w] = id++;
      }
      return { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##',
        max_input_chars_per_word: 100, vocab: v };
    })(),
  }),
};
for (const [name, spec] of Object.entries(TOKS)) {
  const json = JSON.stringify(spec);
  fs.writeFileSync(path.join(outDir, `${name}.json`), json);
  const tok = Tokenizer.fromString(json);
  const input = [], want = [];
  for (const text of texts) {
    for (const sp of [false, true]) {
      const ids = Array.from((await tok.encode(text, null, { addSpecialTokens: sp })).getIds());
      input.push(JSON.stringify({ text, add_special_tokens: sp }));
      want.push(JSON.stringify({ ids, count: ids.length }));
    }
  }
  write(`${name}.in.jsonl`, input);
  write(`${name}.want.jsonl`, want);
}
