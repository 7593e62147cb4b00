// Top self-time functions of a V8 CPU profile, to see what dominates a bench variant:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx <script> && node bench/cpu-profile-top.cjs /tmp/prof/<file>.cpuprofile [N] [depth]
// With depth > 1, each line also names the callers (a < b < c), which attributes builtins
// such as JSON.parse or Buffer.byteLength to the code that called them.
const { readFileSync } = require('node:fs');

const [file, topArg = '25', depthArg = '1'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/cpu-profile-top.cjs <file.cpuprofile> [top N] [caller depth]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
const selfTime = new Map();
profile.samples.forEach((id, index) => {
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
});
const total = [...selfTime.values()].reduce((sum, value) => sum + value, 0);
const name = (node) =>
  `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/.*node_modules\//, '').replace(/^file:\/\/.*?\/(lambda|bench|local|test)\//, '$1/')}:${node.callFrame.lineNumber + 1}`;
const totals = new Map();
for (const [id, time] of selfTime) {
  const chain = [];
  for (let current = id, level = 0; current !== undefined && level < Number(depthArg); level++, current = parents.get(current))
    chain.push(name(nodes.get(current)));
  const key = chain.join(' < ');
  totals.set(key, (totals.get(key) ?? 0) + time);
}
for (const [key, time] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg))) {
  console.log(`${((time / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
}
