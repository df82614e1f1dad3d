// SPDX-License-Identifier: Apache-2.0
const fs=require('fs');
const {Tokenizer}=require('../node_modules/tokenizers');
const diff=JSON.parse(fs.readFileSync('diff.json','utf8'));
const names=['L','N','P','S','M'];
const cps=diff.map(x=>x[0]);
const s=String.fromCodePoint(...cps);
const result={};
(async()=>{
for(let i=0;i<5;i++){
  const j={version:'1.0',truncation:null,padding:null,added_tokens:[],normalizer:null,
   pre_tokenizer:{type:'Split',pattern:{Regex:`\\p{${names[i]}}`},behavior:'Isolated',invert:false},
   post_processor:null,decoder:null,model:{type:'BPE',dropout:null,unk_token:null,continuing_subword_prefix:null,end_of_word_suffix:null,fuse_unk:false,byte_fallback:false,vocab:{a:0},merges:[]}};
  const t=Tokenizer.fromString(JSON.stringify(j));
  const pre=t.getPreTokenizer();
  const pieces=pre.preTokenizeString(s);
  // matched single chars are isolated; but unmatched runs may be single chars too. test: re-run per piece on joined? simpler: count membership by checking each piece via Removed
  const j2=JSON.parse(JSON.stringify(j)); j2.pre_tokenizer.behavior='Removed';
  const p2=Tokenizer.fromString(JSON.stringify(j2)).getPreTokenizer().preTokenizeString(s);
  const kept=new Set(); for(const [piece,[a,b]] of p2){ for(const ch of piece) kept.add(ch.codePointAt(0)); }
  result[names[i]]=cps.filter(c=>!kept.has(c));
  console.log(names[i], result[names[i]].length, pieces.length);
}
fs.writeFileSync('onig.json',JSON.stringify(result));
})();
