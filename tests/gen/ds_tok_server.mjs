// ds_tok_server.mjs - the Rust `tokenizers` library (npm binding, as in
// tests/diff) answering encode/decode requests on stdin, one JSON per line:
//   {"op":"enc","text":T[,"special":true]} -> {"ids":[...]}   {"op":"dec","ids":[...]} -> {"text":T}
//   {"op":"vocab"} -> {"vocab_size": V}  (without added tokens)
// Used by tests/gen/ds_ref_*.py, the reference dataset models.
import readline from 'node:readline';
import { createRequire } from 'node:module';
import path from 'node:path';
const [, , modules, tokPath] = process.argv;
const require = createRequire(path.resolve(modules, 'package.json'));
const { Tokenizer } = require('tokenizers');
const tok = Tokenizer.fromFile(tokPath);
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  const q = JSON.parse(line);
  let a;
  if (q.op === 'enc') a = { ids: Array.from((await tok.encode(q.text, null, { addSpecialTokens: !!q.special })).getIds()) };
  else if (q.op === 'dec') a = { text: await tok.decode(q.ids, false) };
  else a = { vocab_size: tok.getVocabSize(false) };
  process.stdout.write(JSON.stringify(a) + '\n');
}
