import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** `node tools/bench/dist/profile-top.js DIR [N]`: self time per function of every .cpuprofile in DIR. */
const dir = process.argv[2] ?? '/tmp/slipway-prof';
const top = Number(process.argv[3] ?? 20);
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const total = profile.samples.length;
  const self = new Map<string, number>();
  for (const node of profile.nodes) {
    const url = node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/(libs|services)\//, '$1/');
    const key = `${node.callFrame.functionName || '(anonymous)'} ${url}:${node.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (node.hitCount ?? 0));
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(`\n${file} (${total} samples)`);
  for (const [key, hits] of rows) console.log(`${((hits / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
}
