// SPDX-License-Identifier: Apache-2.0
const fs=require('fs');
const pc=new Map(fs.readFileSync('pcre.txt','utf8').trim().split('\n').map(l=>{const [a,b]=l.split(' ');return [parseInt(a,16),+b]}));
const res=[/^\p{L}$/u,/^\p{N}$/u,/^\p{P}$/u,/^\p{S}$/u,/^\p{M}$/u];
const out=[];
for(let cp=0;cp<0x110000;cp++){ if(cp>=0xD800&&cp<0xE000)continue; const s=String.fromCodePoint(cp); let m=0; res.forEach((r,i)=>{if(r.test(s))m|=1<<i}); const p=pc.get(cp)||0; if(m!==p) out.push([cp,p,m]); }
fs.writeFileSync('diff.json',JSON.stringify(out)); console.log(out.length, out.filter(x=>x[1]&~x[2]).length);
