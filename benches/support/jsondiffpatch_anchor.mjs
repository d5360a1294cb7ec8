// jsondiffpatch's anchor for `shadowdiff diff`: read A and B as they stream, parse each exchange
// line and its body, diff the two bodies with jsondiffpatch's defaults, and count the pairs
// with a delta. Run by benches/diff_speed.rs as `node anchor.mjs A B`.
import { openSync, readSync } from 'node:fs';
import { diff } from 'jsondiffpatch';

function* lines(path) {
  const fd = openSync(path, 'r');
  const chunk = Buffer.alloc(1 << 20);
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    const parts = (rest + decoder.decode(chunk.subarray(0, n), { stream: true })).split('\n');
    rest = parts.pop();
    yield* parts;
  }
  rest += decoder.decode();
  if (rest) yield rest;
}

const [a, b] = process.argv.slice(2);
const right = lines(b);
let pairs = 0;
let different = 0;
for (const x of lines(a)) {
  const y = right.next().value;
  const old = JSON.parse(x);
  const now = JSON.parse(y);
  if (diff(JSON.parse(old.response.body.text), JSON.parse(now.response.body.text)) !== undefined) {
    different++;
  }
  pairs++;
}
console.log(JSON.stringify({ pairs, different }));
