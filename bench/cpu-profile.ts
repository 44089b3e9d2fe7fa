// Where a node's CPU time goes: the top functions by self time in the V8
// CPU profiles that `--cpu-prof` wrote (one file per thread).

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface HotFunction {
  name: string;
  where: string;
  selfPercent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Share of samples in which the thread was idle (waiting in its event loop). */
  idlePercent: number;
  top: HotFunction[];
}

export function summarizeProfile(file: string, topN = 12): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; startTime: number; endTime: number };
  const byKey = new Map<string, { name: string; where: string; hits: number }>();
  let total = 0;
  let idle = 0;
  for (const n of prof.nodes) {
    const hits = n.hitCount ?? 0;
    total += hits;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += hits;
      continue;
    }
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const where = url ? `${shortPath(url)}:${n.callFrame.lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const e = byKey.get(key) ?? { name, where, hits: 0 };
    e.hits += hits;
    byKey.set(key, e);
  }
  const top = [...byKey.values()]
    .sort((a, b) => b.hits - a.hits)
    .slice(0, topN)
    .map((e) => ({ name: e.name, where: e.where, selfPercent: total > 0 ? (e.hits / total) * 100 : 0 }));
  return { file: path.basename(file), totalMs: (prof.endTime - prof.startTime) / 1000, idlePercent: total > 0 ? (idle / total) * 100 : 0, top };
}

function shortPath(p: string): string {
  const i = p.lastIndexOf('/dist/');
  if (i >= 0) return p.slice(i + 6);
  const nm = p.lastIndexOf('/node_modules/');
  return nm >= 0 ? p.slice(nm + 14) : p;
}

export function profilesIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/** Print the hot functions of every profile in `dir`. */
export function printProfiles(dir: string, out: (line: string) => void, renderTable: (header: string[], rows: string[][], left: number) => string): void {
  const files = profilesIn(dir);
  if (files.length === 0) {
    out(`(no CPU profiles in ${dir})`);
    return;
  }
  out(`\nCPU profiles of the raftkv cluster process (fsync) in ${dir}, one per thread (the main thread is the launcher):`);
  for (const f of files) {
    const p = summarizeProfile(f);
    out(`${p.file}: ${p.totalMs.toFixed(0)} ms, idle ${p.idlePercent.toFixed(1)}%`);
    out(renderTable(['self %', 'function', 'where'], p.top.map((h) => [h.selfPercent.toFixed(1), h.name, h.where]), 0));
  }
}
