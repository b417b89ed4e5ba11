// Top-N functions of a V8 .cpuprofile by self time and by inclusive time (a flame graph in table form).
//   node bench/profiles/summarize.mjs FILE.cpuprofile [N]
import { readFileSync } from 'node:fs';

const [file, n = '25'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
const self = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const label = (node) => {
  const f = node.callFrame;
  const where = f.url ? f.url.replace(/^.*?\/(node_modules|runtime|projections|bench)\//, '$1/') : '';
  return `${f.functionName || '(anonymous)'} ${where}${f.url ? `:${f.lineNumber + 1}` : ''}`;
};
const selfBy = new Map();
const inclBy = new Map();
for (const [id, t] of self) {
  selfBy.set(label(byId.get(id)), (selfBy.get(label(byId.get(id))) ?? 0) + t);
  // inclusive: every distinct frame label on the stack gets the sample once
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const l = label(byId.get(at));
    if (seen.has(l)) continue;
    seen.add(l);
    inclBy.set(l, (inclBy.get(l) ?? 0) + t);
  }
}
const table = (title, m) => {
  console.log(`\n${title} (total ${(total / 1e6).toFixed(1)} s sampled)\n| % | ms | function |\n|---|---|---|`);
  for (const [l, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(n)))
    console.log(`| ${((100 * t) / total).toFixed(1)} | ${(t / 1000).toFixed(0)} | \`${l}\` |`);
};
table('Self time', selfBy);
table('Inclusive time', inclBy);
