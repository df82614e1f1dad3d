// SPDX-License-Identifier: Apache-2.0
// make_small.mjs - small hand-made tokenizer.json files that exercise the
// components the six real families do not (Unigram, WordPiece, WordLevel,
// BERT normalizer/pre-tokenizer/post-processor, Metaspace, Digits,
// Punctuation, Split behaviours, CTC/BPEDecoder/WordPiece decoders, added
// tokens with lstrip/rstrip/single_word, the Nmt and Precompiled normalizers, the UnicodeScripts
// pre-tokenizer), and their expected outputs from
// the Rust library (npm tokenizers). Deterministic; writes into
// tests/data/tokenizers/small/. usage: node tests/diff/make_small.mjs
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'package.json'));
const { Tokenizer } = require('tokenizers');
const OUT = path.join(here, '../data/tokenizers/small');

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
const r = rng(12345);
const pick = (a) => a[Math.floor(r() * a.length)];
const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));

const WORDS = ['the', 'The', 'THE', 'then', 'there', 'these', 'thing', 'things', 'thinking', 'in', 'inn',
  'ing', 'sing', 'singing', 'ring', 'Ring', 'unbelievable', 'believe', 'able', 'un', 'a', 'an', 'and',
  'hello', 'Héllo', 'naïve', 'café', 'CAFÉ', 'über', 'x', 'xyz', 'qq', 'don\'t', 'can\'t', '12345',
  '3.14', '2024', 'abc123', '中文', '日本', 'ﬁne', 'Ⅻ', '½', 'e\u0301', 'ß', 'İstanbul', '🙂', 'émoji',
  'hello_world', 'foo-bar', 'a.b.c', '[MASK]', '[CLS]', '<mask>', '<s>', '</s>', '<pad>', '|'];
const SEP = [' ', ' ', ' ', '  ', '\t', '\n', ' \n', '\u00a0', '\u3000', '', ',', '.', '!', '?', ' - ', '...'];
function text() {
  const n = int(1, 12);
  let s = '';
  for (let i = 0; i < n; i++) s += pick(WORDS) + pick(SEP);
  return r() < 0.2 ? '  ' + s : s;
}

const letters = 'abcdefghijklmnopqrstuvwxyz'.split('');
const base = (o) => ({ version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
  pre_tokenizer: null, post_processor: null, decoder: null, ...o });
const added = (content, id, o = {}) => ({ id, content, single_word: false, lstrip: false, rstrip: false,
  normalized: false, special: true, ...o });

function wordpieceVocab() {
  const v = {}; let id = 0;
  for (const t of ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']) v[t] = id++;
  const words = ['the', 'then', 'there', 'thing', 'in', 'sing', 'ring', 'un', 'believe', 'able', 'a', 'an',
    'and', 'hello', 'cafe', 'naive', 'uber', 'x', 'don', 't', 'can', '123', '3', '14', '.', ',', '!', '?', '-',
    "'", '中', '文', '日', '本', 'fine', '_', 'world', 'foo', 'bar', 'b', 'c', 'e', 'ss', 'i', 'stan', 'bul',
    'mask', 'cls', '[', ']', '<', '>', '/', 's', 'pad', '|', '1', '2', '4', '5', '0'];
  for (const w of words) if (!(w in v)) v[w] = id++;
  for (const p of ['##s', '##ing', '##e', '##n', '##re', '##ese', '##able', '##ieve', '##lo', '##y', '##z',
    '##q', '##45', '##23', '##4', '##bul', '##tan', '##c', '##ab', '##123', '##1', '##2', '##3', '##5', '##0',
    ...letters.map((l) => '##' + l)]) if (!(p in v)) v[p] = id++;
  for (const l of letters) if (!(l in v)) v[l] = id++;
  return v;
}

function bpeModel(prefix, suffix) {
  const vocab = {}; let id = 0;
  const add = (t) => { if (!(t in vocab)) vocab[t] = id++; };
  add('<unk>');
  const merges = [];
  const sym = (c, first, last) => (first ? '' : prefix) + c + (last ? suffix : '');
  for (const l of [...letters, ...'0123456789.,!?-\'_éïüßÉ'.split('')]) {
    add(sym(l, true, false)); add(sym(l, false, false)); add(sym(l, true, true)); add(sym(l, false, true));
  }
  // a few merge chains over the word list
  for (const w of ['the', 'then', 'there', 'thing', 'sing', 'ring', 'in', 'able', 'hello', 'and', 'un']) {
    let cur = w[0];
    for (let i = 1; i < w.length; i++) {
      const last = i === w.length - 1;
      const right = sym(w[i], false, last);
      const merged = cur + (prefix ? w[i] : w[i]) + (last ? suffix : '');
      merges.push([cur, right]);
      add(merged);
      cur = merged;
    }
  }
  return { vocab, merges };
}

function unigramVocab() {
  const pieces = [['<unk>', 0], ['<s>', 0], ['</s>', 0]];
  for (let b = 0; b < 256; b++) pieces.push([`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 0]);
  const seen = new Set(pieces.map((p) => p[0]));
  const add = (p, s) => { if (!seen.has(p)) { seen.add(p); pieces.push([p, s]); } };
  for (const l of letters) { add(l, -5 - r()); add('▁' + l, -6 - r()); }
  for (const w of ['the', 'then', 'there', 'thing', 'sing', 'ring', 'in', 'ing', 'able', 'un', 'believe',
    'hello', 'and', 'an', 'a', 'café', 'x', 'qq', '12', '3', '▁', ',', '.', '!', '?', "'", '中', 'ﬁ', 'fine']) {
    add(w, -2 - 3 * r()); add('▁' + w, -1.5 - 3 * r());
  }
  return pieces;
}

// A SentencePiece precompiled_charsmap: a double-array trie in darts-clone's
// unit layout (label in bits 0-7, has-leaf bit 8, offset from bit 10; a
// leaf's value unit, bit 31 set, sits at the node's base XOR 0) over the
// UTF-8 keys, whose values are byte offsets of NUL-terminated replacements.
// Bases are placed first-fit, each used once; base64 of: u32le trie bytes, units, strings.
function charsmap(map) {
  const root = { kids: new Map(), value: null };
  let blob = Buffer.alloc(0);
  for (const [k, v] of Object.entries(map)) {
    let n = root;
    for (const b of Buffer.from(k, 'utf8')) {
      if (!n.kids.has(b)) n.kids.set(b, { kids: new Map(), value: null });
      n = n.kids.get(b);
    }
    n.value = blob.length;
    blob = Buffer.concat([blob, Buffer.from(v, 'utf8'), Buffer.from([0])]);
  }
  // every base is used by one node only (as darts-clone does), or a lookup
  // could follow another node's child through a shared base
  const units = [0], used = new Set([0]), bases = new Set();
  const queue = [[root, 0, 0]];
  while (queue.length) {
    const [n, pos, label] = queue.shift();
    const labels = [...n.kids.keys()].sort((a, b) => a - b);
    if (n.value !== null) labels.unshift(0);
    let base = 1;
    while (bases.has(base) || !labels.every((l) => (base ^ l) !== 0 && !used.has(base ^ l))) base++;
    bases.add(base);
    labels.forEach((l) => used.add(base ^ l));
    units[pos] = ((((pos ^ base) << 10) | (n.value !== null ? 1 << 8 : 0) | label) >>> 0);
    if (n.value !== null) units[base] = (n.value | 0x80000000) >>> 0;
    for (const l of labels) if (l) queue.push([n.kids.get(l), base ^ l, l]);
  }
  const size = Math.max(...used) + 1;
  const out = Buffer.alloc(4 + 4 * size);
  out.writeUInt32LE(4 * size, 0);
  for (let i = 0; i < size; i++) out.writeUInt32LE(units[i] || 0, 4 + 4 * i);
  return Buffer.concat([out, blob]).toString('base64');
}
// Keys: clusters, a key that is a prefix of another ('e' wins over
// 'e\u0301': the shortest match replaces the whole cluster), a multi-char key
// spanning two clusters ('th', never matched), a char inside a long cluster.
const CHARSMAP = charsmap({ 'ﬁ': 'fi', 'Ⅻ': 'XII', '½': '1⁄2', '\u00a0': ' ', '\u3000': ' ', 'e': 'E',
  'e\u0301': 'é', 'A\u030a': 'Å', 'ß': 'ss', 'İ': 'i\u0307', '🙂': ':)', '👨': 'man', 'ǅ': 'Dž', 'th': 'TH',
  '\r\n': '\n', 'x\u0301': 'X', '中文': 'zhongwen', '日': 'ri' });

const SPECS = {
  bert_wordpiece: base({
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t, i) => added(t, i)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 12, vocab: wordpieceVocab() },
  }),
  unigram_metaspace: base({
    added_tokens: [added('<unk>', 0), added('<s>', 1), added('</s>', 2)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }, { type: 'Strip', strip_left: false, strip_right: true }] },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true },
    post_processor: { type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }], special_tokens: { '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } } },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true },
    model: { type: 'Unigram', unk_id: 0, vocab: unigramVocab(), byte_fallback: true },
  }),
  unigram_plain: base({
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Digits', individual_digits: false }] },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'Unigram', unk_id: 0, vocab: unigramVocab(), byte_fallback: false },
  }),
  bpe_suffix: base({
    added_tokens: [added('<unk>', 0), added('<mask>', 1000, { lstrip: true, rstrip: true }),
      added('ring', 1001, { single_word: true, special: false, normalized: true }), added('[CLS]', 1002, { rstrip: true }),
      added('</s>', 1003, { lstrip: true })],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }, { type: 'Lowercase' }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, { type: 'Digits', individual_digits: true }, { type: 'Punctuation', behavior: 'Contiguous' }] },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 1003], cls: ['[CLS]', 1002], trim_offsets: true, add_prefix_space: false },
    decoder: { type: 'BPEDecoder', suffix: '</w>' },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: '</w>', fuse_unk: true, byte_fallback: false, ...bpeModel('', '</w>') },
  }),
  bpe_prefix_split: base({
    added_tokens: [added('<unk>', 0), added('[MASK]', 2000, { special: false, normalized: true })],
    normalizer: { type: 'Prepend', prepend: '>' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { String: ' ' }, behavior: 'MergedWithNext', invert: false },
      { type: 'Split', pattern: { Regex: '[0-9]+' }, behavior: 'MergedWithPrevious', invert: false },
      { type: 'Split', pattern: { Regex: '\\p{L}+' }, behavior: 'Removed', invert: true },
      { type: 'CharDelimiterSplit', delimiter: '-' }] },
    decoder: { type: 'Sequence', decoders: [{ type: 'WordPiece', prefix: '##', cleanup: false }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: '##', end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ...bpeModel('##', '') },
  }),
  wordlevel_ctc: base({
    added_tokens: [added('<pad>', 0), added('<unk>', 1)],
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: '\\s+' }, behavior: 'Isolated', invert: false }, { type: 'Split', pattern: { String: 'e' }, behavior: 'Contiguous', invert: false }] },
    decoder: { type: 'CTC', pad_token: '<pad>', word_delimiter_token: '|', cleanup: true },
    model: { type: 'WordLevel', unk_token: '<unk>', vocab: Object.fromEntries(['<pad>', '<unk>', '|', ' ', 'the', 'th', 'e', 'ee', 'n', 'hello', 'and', 'x', '.', ',', 'don\'t', 'a', 'b', 'c', 'r', 'singing', 'sing', 'ing', 'Th', 'THE'].map((w, i) => [w, i])) },
  }),
  bytelevel_prefix: base({
    added_tokens: [added('<|end|>', 300)],
    normalizer: { type: 'NFKC' },
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: (() => {
      const bs = []; for (let b = 33; b <= 126; b++) bs.push(b); for (let b = 161; b <= 172; b++) bs.push(b); for (let b = 174; b <= 255; b++) bs.push(b);
      const cs = [...bs]; let n = 0; for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n++); }
      const vocab = {}; bs.forEach((b, i) => { vocab[String.fromCodePoint(cs[i])] = b; });
      const merges = [['Ġ', 't'], ['Ġt', 'h'], ['Ġth', 'e'], ['i', 'n'], ['in', 'g'], ['Ġ', 'a'], ['Ġa', 'n'], ['Ġan', 'd']];
      let id = 256; for (const [a, b] of merges) vocab[a + b] = id++;
      return { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: true, vocab, merges };
    })(),
  }),
  unigram_nmt: base({
    added_tokens: [added('<unk>', 0), added('<s>', 1), added('</s>', 2)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Nmt' }, { type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 0, vocab: unigramVocab(), byte_fallback: true },
  }),
  unigram_precompiled: base({
    added_tokens: [added('<unk>', 0), added('<s>', 1), added('</s>', 2)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Precompiled', precompiled_charsmap: CHARSMAP }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 0, vocab: unigramVocab(), byte_fallback: true },
  }),
};

// Texts with the characters Nmt drops or turns into spaces (last spec, so
// the earlier specs' texts stay as they were).
const NMT_CHARS = ['\u0001', '\u0008', '\u000b', '\u000e', '\u001f', '\u007f', '\u008f', '\u009f', '\t', '\n',
  '\u000c', '\r', '\u1680', '\u200b', '\u200d', '\u200f', '\u2028', '\u2029', '\u2581', '\ufeff', '\ufffd',
  '\u0080', '\u0090', '\u00a0', '\u2000', '\u0000'];
const PRE_CHARS = ['\r\n', '👨\u200d👩\u200d👧', 'ǅ', 'x\u0301', 'A\u030a', '\u0000', 'e\u0301\u0301', '中文字'];
function preText() {
  const cps = Array.from(text());
  for (let k = int(1, 3); k > 0; k--) cps.splice(int(0, cps.length), 0, pick(PRE_CHARS));
  return cps.join('');
}
function nmtText() {
  const cps = Array.from(text()); // code points: never split a surrogate pair
  for (let k = int(1, 4); k > 0; k--) cps.splice(int(0, cps.length), 0, pick(NMT_CHARS));
  return cps.join('');
}

fs.mkdirSync(OUT, { recursive: true });
for (const [name, spec] of Object.entries(SPECS)) {
  const json = JSON.stringify(spec);
  const tok = Tokenizer.fromString(json);
  fs.writeFileSync(path.join(OUT, `${name}.json`), json + '\n');
  const lines = [];
  for (let i = 0; i < 150; i++) {
    const t = name === 'unigram_nmt' ? nmtText() : name === 'unigram_precompiled' ? preText() : text();
    const ids = Array.from((await tok.encode(t, null, { addSpecialTokens: false })).getIds());
    const sp = Array.from((await tok.encode(t, null, { addSpecialTokens: true })).getIds());
    lines.push(JSON.stringify({ text: t, ids, ids_special: sp }));
  }
  const vs = tok.getVocabSize(true);
  const dec = [];
  for (let i = 0; i < 40; i++) {
    const seq = Array.from({ length: int(1, 20) }, () => int(0, vs - 1)).filter((x) => tok.idToToken(x) != null);
    dec.push(JSON.stringify({ ids: seq, text: await tok.decode(seq, false), text_skip: await tok.decode(seq, true) }));
  }
  fs.writeFileSync(path.join(OUT, `${name}.golden.jsonl`), lines.join('\n') + '\n');
  fs.writeFileSync(path.join(OUT, `${name}.golden_decode.jsonl`), dec.join('\n') + '\n');
  console.log(name, 'ok');
}

// Pairs (text, text_pair) for the post-processors' pair layouts: BERT,
// RoBERTa, a pair template, none. Drawn after everything above.
for (const name of ['bert_wordpiece', 'unigram_metaspace', 'bpe_suffix', 'bytelevel_prefix', 'unigram_nmt']) {
  const tok = Tokenizer.fromString(JSON.stringify(SPECS[name]));
  const gen = name === 'unigram_nmt' ? nmtText : text;
  const lines = [];
  for (let i = 0; i < 60; i++) {
    const a = gen(), b = gen();
    const ids = Array.from((await tok.encode(a, b, { addSpecialTokens: false })).getIds());
    const sp = Array.from((await tok.encode(a, b, { addSpecialTokens: true })).getIds());
    lines.push(JSON.stringify({ text: a, text_pair: b, ids, ids_special: sp }));
  }
  fs.writeFileSync(path.join(OUT, `${name}.golden_pair.jsonl`), lines.join('\n') + '\n');
  console.log(name, 'pairs ok');
}

// UnicodeScripts (drawn last, with its own generator, so everything above
// keeps its texts): a Unigram over mixed-script text, ids and pre-tokenizer
// pieces (small/unigram_scripts.golden_pretok.jsonl: [piece, first char, end char]).
{
  const rs = rng(0x5c41975);
  const pk = (a) => a[Math.floor(rs() * a.length)];
  const PARTS = ['Hello', 'world', 'the', 'naïve', '日本語', 'ひらがな', 'カタカナ', 'ー', 'ラーメン', '中文', 'Привет',
    'مرحبا', 'नमस्ते', 'สวัสดี', 'Ελληνικά', '🙂', '🥰', '₿', '123', '٣٤', '.', '。', ',', '!', '-', 'e\u0301', '\u0301',
    '\u0589', '\u061c', '\u0953', ' ', ' ', ' ', '  ', '\t', '\n', '\u3000', '\u00a0', 'a', 'in', 'sing', 'ring'];
  const spec = base({
    added_tokens: [added('<unk>', 0), added('<s>', 1), added('</s>', 2)],
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'UnicodeScripts' }] },
    decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }] },
    model: { type: 'Unigram', unk_id: 0, vocab: unigramVocab(), byte_fallback: true },
  });
  const json = JSON.stringify(spec);
  const tok = Tokenizer.fromString(json);
  const us = Tokenizer.fromString(JSON.stringify(base({ pre_tokenizer: spec.pre_tokenizer,
    model: { type: 'WordLevel', unk_token: '<unk>', vocab: { '<unk>': 0 } } }))).getPreTokenizer();
  fs.writeFileSync(path.join(OUT, 'unigram_scripts.json'), json + '\n');
  const lines = [], pre = [];
  for (let i = 0; i < 150; i++) {
    let t = '';
    for (let n = 1 + Math.floor(rs() * 14); n > 0; n--) t += pk(PARTS);
    const ids = Array.from((await tok.encode(t, null, { addSpecialTokens: false })).getIds());
    const sp = Array.from((await tok.encode(t, null, { addSpecialTokens: true })).getIds());
    lines.push(JSON.stringify({ text: t, ids, ids_special: sp }));
    pre.push(JSON.stringify({ text: t, pieces: us.preTokenizeString(t).map(([s, [a, b]]) => [s, a, b]) }));
  }
  const dec = [];
  for (let i = 0; i < 40; i++) {
    const seq = Array.from({ length: 1 + Math.floor(rs() * 20) }, () => Math.floor(rs() * tok.getVocabSize(true)));
    dec.push(JSON.stringify({ ids: seq, text: await tok.decode(seq, false), text_skip: await tok.decode(seq, true) }));
  }
  fs.writeFileSync(path.join(OUT, 'unigram_scripts.golden.jsonl'), lines.join('\n') + '\n');
  fs.writeFileSync(path.join(OUT, 'unigram_scripts.golden_decode.jsonl'), dec.join('\n') + '\n');
  fs.writeFileSync(path.join(OUT, 'unigram_scripts.golden_pretok.jsonl'), pre.join('\n') + '\n');
  console.log('unigram_scripts ok');
}
