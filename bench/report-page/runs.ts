// Result files as the report reads them: checked for the fields it uses (old
// files, without latency histograms, are as welcome as new ones), and the
// history of one machine: every result file beside the newest one, from the
// same machine, one per commit.

import path from 'node:path';
import { z } from 'zod';
import { readReportFile } from '../../src/pages/report-file.js';
import { listResultFiles, type BenchResultFile } from '../result-file.js';

export interface LoadedRun {
  file: string;
  /** The file name without `.json`: `2026-12-07T054006Z-70eb34e`. */
  base: string;
  data: BenchResultFile;
}

const workload = z.looseObject({
  system: z.string(),
  workload: z.string(),
  conns: z.number(),
  opsPerSec: z.number(),
  p50Ms: z.number(),
  p90Ms: z.number(),
  p99Ms: z.number(),
  maxMs: z.number(),
  requests: z.number(),
  histogram: z.string().optional(),
});

const resultFile = z.looseObject({
  schema: z.literal(1),
  startedAt: z.string(),
  mode: z.string(),
  commit: z.string(),
  machine: z.looseObject({ cores: z.number(), cpuModel: z.string(), memoryBytes: z.number(), os: z.string(), loadavgStart: z.array(z.number()), loadavgEnd: z.array(z.number()) }),
  versions: z.record(z.string(), z.string()),
  results: z.array(workload),
});

export function loadRun(file: string): LoadedRun {
  const data = readReportFile(file, resultFile, 'a raftkv bench result file') as BenchResultFile;
  return { file, base: path.basename(file).replace(/\.json$/, ''), data };
}

export const sameMachine = (a: BenchResultFile, b: BenchResultFile): boolean => a.machine.cores === b.machine.cores && a.machine.cpuModel === b.machine.cpuModel;

/**
 * The runs a history is drawn from: every result file in the directory of
 * `newest` (and the runs given), from the same machine, started no later
 * than `newest`; of several runs of one commit, the latest. Oldest first.
 * Files that cannot be read are left out and named in `skipped`.
 */
export function historyOf(newest: LoadedRun, given: readonly LoadedRun[]): { runs: LoadedRun[]; skipped: string[] } {
  const skipped: string[] = [];
  const byFile = new Map<string, LoadedRun>(given.map((r) => [path.resolve(r.file), r]));
  for (const f of listResultFiles(path.dirname(newest.file))) {
    if (byFile.has(path.resolve(f))) continue;
    try {
      byFile.set(path.resolve(f), loadRun(f));
    } catch (e) {
      skipped.push((e as Error).message);
    }
  }
  const latestPerCommit = new Map<string, LoadedRun>();
  for (const r of byFile.values()) {
    if (!sameMachine(r.data, newest.data) || r.data.startedAt > newest.data.startedAt) continue;
    const had = latestPerCommit.get(r.data.commit);
    if (!had || had.data.startedAt < r.data.startedAt) latestPerCommit.set(r.data.commit, r);
  }
  const runs = [...latestPerCommit.values()].sort((a, b) => (a.data.startedAt < b.data.startedAt ? -1 : a.data.startedAt > b.data.startedAt ? 1 : 0));
  return { runs, skipped };
}
