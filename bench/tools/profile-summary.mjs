#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function, top N.
// Usage: node bench/tools/profile-summary.mjs <file.cpuprofile> [topN]
import fs from 'node:fs';
import path from 'node:path';

export function summarise(file, top = 15) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = prof.timeDeltas;
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const n = byId.get(prof.samples[i]);
    const d = dt[i] ?? 0;
    total += d;
    const cf = n.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url ? path.basename(cf.url) : ''}${cf.url ? ':' + (cf.lineNumber + 1) : ''}`;
    self.set(key, (self.get(key) ?? 0) + d);
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return rows.map(([k, v]) => ({ fn: k.trim(), ms: v / 1000, pct: (100 * v) / total }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = summarise(process.argv[2], Number(process.argv[3] ?? 15));
  for (const r of rows) console.log(`${r.pct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(1).padStart(8)} ms  ${r.fn}`);
}
