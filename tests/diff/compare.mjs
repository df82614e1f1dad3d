// SPDX-License-Identifier: Apache-2.0
// compare.mjs - checks servebench's --jsonl output (FAMILY.got.jsonl) against
// the Rust library's (FAMILY.want.jsonl), line by line, as parsed JSON.
// usage: node compare.mjs OUTDIR FAMILY ; exit 1 on any mismatch.
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const [dir, fam] = process.argv.slice(2);
const rd = (n) => fs.readFileSync(path.join(dir, `${fam}.${n}.jsonl`), 'utf8').trim().split('\n');
const input = rd('in'), want = rd('want'), got = rd('got');
if (got.length !== want.length) {
  console.log(`${fam}: ${got.length} output lines for ${want.length} inputs`);
  process.exit(1);
}
let bad = 0;
want.forEach((w, i) => {
  if (isDeepStrictEqual(JSON.parse(w), JSON.parse(got[i]))) return;
  if (bad++ < 5) console.log(`  ${fam} line ${i + 1} differs: ${input[i].slice(0, 200)}`);
});
console.log(`${fam}: ${want.length} lines (encode x2 per text, decode x2 per id sequence, pairs x2), ${bad} mismatches`);
process.exit(bad ? 1 : 0);
