// The facts of a run beside its workloads (start-up, leader changes, memory,
// the load generator against wrk), as rows for the printed report and the page.

import type { LeaderWatchResult } from './leader-watch.js';
import type { MemoryLoadResult } from './memory-load.js';
import { formatMs, formatRate, formatRatio } from './report.js';
import type { WorkloadResult } from './result-file.js';
import type { WrkResult } from './wrk-check.js';

export interface LoadgenCheck {
  workload: string;
  ours: number;
  wrk: WrkResult;
  oursOverWrk: number;
}

export interface RunFacts {
  firstWrite: Record<string, number>;
  leaderChanges: Record<string, LeaderWatchResult>;
  memory: MemoryLoadResult | undefined;
  loadgenCheck: LoadgenCheck | undefined;
  results: WorkloadResult[];
}

/** Start-up, leader changes, memory and the load-generator check, as rows of `measure`, `value`. */
export function extraRows(run: RunFacts): string[][] {
  const rows: string[][] = [];
  for (const [s, ms] of Object.entries(run.firstWrite)) rows.push([`start to first write, ${s}`, `${formatMs(ms)} ms`]);
  for (const [s, lc] of Object.entries(run.leaderChanges)) {
    rows.push([`leader changes, ${s}`, `${lc.changes} (${lc.observations} polls, term ${lc.first?.term ?? '?'} -> ${lc.last?.term ?? '?'}${lc.leaderless ? `, ${lc.leaderless} without a leader` : ''})`]);
  }
  const m = run.memory;
  if (m) {
    rows.push([`memory, ${formatRate(m.keysLoaded)} keys x 100 B`, `launcher RSS ${mib(m.rssBytes)}${m.caughtUp ? '' : ' (followers had not caught up)'}`]);
    for (const [id, b] of Object.entries(m.heapUsedBytes)) rows.push([`  heap ${id}`, `${mib(b)} (${formatRate(m.keysPerNode[id] ?? 0)} keys)`]);
  }
  const c = run.loadgenCheck;
  if (c) {
    const ours = run.results.find((r) => `${r.system} ${r.workload}` === c.workload);
    rows.push([`load generator vs wrk (${c.workload})`, `ours ${loadgenLine(c.ours, ours?.loadgenCpuUsPerRequest)} vs wrk ${loadgenLine(c.wrk.opsPerSec, c.wrk.cpuUsPerRequest)}: ${formatRatio(c.oursOverWrk)}`]);
  }
  return rows;
}

export function loadgenLine(rate: number, cpuUs: number | undefined): string {
  return `${formatRate(rate)}/s${cpuUs === undefined ? '' : ` (${cpuUs.toFixed(1)} us CPU/request)`}`;
}

export function mib(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}
