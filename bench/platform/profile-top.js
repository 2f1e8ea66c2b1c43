// Summarizes a V8 .cpuprofile (as --cpu-prof writes): where the time went, by package or source
// file and by function (self time), so a bench run with --cpu-prof can be read in a terminal.
//   node bench/platform/profile-top.js bench/platform/profiles/CPU.*.cpuprofile [--top N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
if (positionals.length === 0) {
  console.error('Usage: node bench/platform/profile-top.js FILE.cpuprofile... [--top N]');
  process.exit(2);
}
const top = Number(values.top);

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Self time per node: sample counts weighted by the time deltas.
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const totalMs = [...self.values()].reduce((a, b) => a + b, 0);
  const idleMs = sumWhere(self, byId, (n) => n.callFrame.functionName === '(idle)');
  const byFunction = new Map();
  const byGroup = new Map();
  for (const [id, ms] of self) {
    const { callFrame: f } = byId.get(id);
    const where = f.url ? `${short(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const group = groupOf(f);
    byGroup.set(group, (byGroup.get(group) ?? 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  console.log(`${file}\n  ${fixed(totalMs / 1000)} s profiled, ${fixed(busyMs / 1000)} s busy (${pct(busyMs, totalMs)} of the time)\n`);
  console.log('  self time by package / source file (share of busy time):');
  for (const [group, ms] of sorted(byGroup)
    .filter(([g]) => g !== '(idle)')
    .slice(0, top))
    console.log(`  ${pct(ms, busyMs).padStart(6)}  ${fixed(ms)} ms  ${group}`);
  console.log('\n  self time by function:');
  for (const [fn, ms] of sorted(byFunction)
    .filter(([f]) => !f.startsWith('(idle)'))
    .slice(0, top))
    console.log(`  ${pct(ms, busyMs).padStart(6)}  ${fixed(ms)} ms  ${fn}`);
  console.log('');
}

function groupOf(frame) {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  return short(url);
}

function short(url) {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*?\/packages\//, 'packages/')
    .replace(/^.*\/node_modules\//, '');
}

function sumWhere(self, byId, test) {
  let ms = 0;
  for (const [id, t] of self) if (test(byId.get(id))) ms += t;
  return ms;
}

function sorted(map) {
  return [...map.entries()].sort((a, b) => b[1] - a[1]);
}

function pct(part, whole) {
  return `${((100 * part) / whole).toFixed(1)}%`;
}

function fixed(n) {
  return n.toFixed(n >= 100 ? 0 : 1);
}
