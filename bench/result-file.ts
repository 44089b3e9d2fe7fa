// The result file of a run, bench/results/<date>-<commit>.json, and its
// comparison with the previous one.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SystemName } from './workloads.js';

/** One workload measured on one system. */
export interface WorkloadResult {
  system: SystemName;
  workload: string;
  title: string;
  conns: number;
  pipeline: number;
  /** Member the load went to. */
  node: string;
  opsPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  requests: number;
  errors: number;
  errorSamples: string[];
  seconds: number;
  /** CPU time of the harness process per request, microseconds: the load generator's cost at high rates (fixed costs dominate at low ones). */
  loadgenCpuUsPerRequest: number;
  /** benny's view of the same case (ops × batch), with its margin of error in percent. */
  benny: { opsPerSec: number; margin: number; samples: number; batch: number };
  /**
   * Latency of every successful request in microseconds: an HdrHistogram in
   * its standard compressed V2 encoding, base64 (hdr-histogram-js
   * encodeIntoCompressedBase64; any HdrHistogram library reads it). A few
   * hundred bytes to a few KiB. Absent in files written before 2026-12-07.
   */
  histogram?: string;
}

export interface ComparedWorkload {
  system: SystemName;
  workload: string;
  opsPerSec: number;
  previousOpsPerSec: number;
  /** now / before */
  opsRatio: number;
  p50Ms: number;
  previousP50Ms: number;
  p99Ms: number;
  previousP99Ms: number;
}

export interface PreviousComparison {
  file: string;
  commit: string;
  mode: string;
  /** The previous run was on another machine (cores or CPU model differ). */
  otherMachine: boolean;
  workloads: ComparedWorkload[];
}

export interface BenchResultFile {
  schema: 1;
  startedAt: string;
  finishedAt: string;
  mode: 'quick' | 'full';
  compare: boolean;
  /** A raftkv-tls cluster was measured too (--tls); absent in files written before it existed. */
  tls?: boolean;
  target: string | null;
  commit: string;
  machine: { cores: number; cpuModel: string; memoryBytes: number; os: string; loadavgStart: number[]; loadavgEnd: number[] };
  versions: Record<string, string>;
  options: Record<string, unknown>;
  config: unknown;
  results: WorkloadResult[];
  skipped: { system: string; workload?: string; reason: string }[];
  ratios: unknown;
  targets: unknown;
  startToFirstWriteMs: Record<string, number>;
  leaderChanges: Record<string, unknown>;
  memory: unknown;
  loadgenCheck: unknown;
  previous: PreviousComparison | null;
  summary: string;
}

const RESULT_NAME = /^\d{4}-\d{2}-\d{2}T\d{6}Z-[\w.-]+\.json$/;

/** `2026-11-23T161805Z-56b304e`: sorts by time; the commit says what was measured. */
export function resultBaseName(date: Date, commit: string): string {
  const iso = date.toISOString(); // 2026-11-23T16:18:05.123Z
  return `${iso.slice(0, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z-${commit}`;
}

/** The result files in `dir`, oldest first (benny's files beside them are not result files). */
export function listResultFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => RESULT_NAME.test(n) && !n.includes('.benny'))
    .sort()
    .map((n) => path.join(dir, n));
}

/** The newest result file in `dir` other than `exclude`. */
export function findPreviousResult(dir: string, exclude?: string): string | undefined {
  return listResultFiles(dir)
    .filter((f) => path.basename(f) !== exclude)
    .pop();
}

export function readResultFile(file: string): BenchResultFile {
  return JSON.parse(readFileSync(file, 'utf8')) as BenchResultFile;
}

export function writeResultFile(dir: string, baseName: string, data: BenchResultFile): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${baseName}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}

export function compareWithPrevious(now: { results: WorkloadResult[]; machine: BenchResultFile['machine'] }, file: string, before: BenchResultFile): PreviousComparison {
  const workloads: ComparedWorkload[] = [];
  for (const r of now.results) {
    const p = before.results.find((x) => x.system === r.system && x.workload === r.workload);
    if (!p) continue;
    workloads.push({
      system: r.system,
      workload: r.workload,
      opsPerSec: r.opsPerSec,
      previousOpsPerSec: p.opsPerSec,
      opsRatio: p.opsPerSec > 0 ? r.opsPerSec / p.opsPerSec : 0,
      p50Ms: r.p50Ms,
      previousP50Ms: p.p50Ms,
      p99Ms: r.p99Ms,
      previousP99Ms: p.p99Ms,
    });
  }
  return {
    file: path.basename(file),
    commit: before.commit,
    mode: before.mode,
    otherMachine: before.machine.cores !== now.machine.cores || before.machine.cpuModel !== now.machine.cpuModel,
    workloads,
  };
}
