// What a run prints: the per-run table, raftkv's ratios to etcd and Redis,
// the issue's targets, and the closing one-line summary for scripts.

import type { ComparedWorkload, WorkloadResult } from './result-file.js';
import type { SystemName } from './workloads.js';

/** hraftd's stale reads at 64 connections, measured on this machine with wrk (issue 5). */
export const HRAFTD_STALE_REF = 85_000;

export function formatRate(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** "2.13x", or "n/a" when either side is missing. */
export function formatRatio(r: number | undefined): string {
  return r === undefined || !Number.isFinite(r) ? 'n/a' : `${r.toFixed(2)}x`;
}

export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

export function renderTable(header: string[], rows: string[][], leftColumns = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function resultsTable(results: WorkloadResult[]): string {
  return renderTable(
    ['system', 'workload', 'conns', 'ops/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'benny ±%'],
    results.map((r) => [
      r.system,
      r.workload,
      r.pipeline > 1 ? `${r.conns}×P${r.pipeline}` : String(r.conns),
      formatRate(r.opsPerSec),
      formatMs(r.p50Ms),
      formatMs(r.p90Ms),
      formatMs(r.p99Ms),
      formatMs(r.maxMs),
      String(r.errors),
      r.benny.margin.toFixed(1),
    ]),
    2,
  );
}

function find(results: WorkloadResult[], system: SystemName, workload: string): WorkloadResult | undefined {
  return results.find((r) => r.system === system && r.workload === workload);
}

export interface RatioRow {
  workload: string;
  raftkv: WorkloadResult | undefined;
  peer: WorkloadResult | undefined;
  /** raftkv / peer, operations per second. */
  opsRatio: number | undefined;
  /** raftkv / peer, median latency (lower is better). */
  p50Ratio: number | undefined;
}

export function ratios(results: WorkloadResult[], mine: SystemName, peer: SystemName): RatioRow[] {
  const ids = [...new Set(results.filter((r) => r.system === mine || r.system === peer).map((r) => r.workload))];
  return ids
    .map((workload) => {
      const a = find(results, mine, workload);
      const b = find(results, peer, workload);
      return { workload, raftkv: a, peer: b, opsRatio: ratio(a?.opsPerSec, b?.opsPerSec), p50Ratio: ratio(a?.p50Ms, b?.p50Ms) };
    })
    .filter((r) => r.raftkv && r.peer);
}

export function ratioTable(rows: RatioRow[], mineName: string, peerName: string): string {
  return renderTable(
    ['workload', `${mineName} ops/s`, `${peerName} ops/s`, 'ops ratio', `${mineName} p50`, `${peerName} p50`, 'p50 ratio'],
    rows.map((r) => [
      r.workload,
      formatRate(r.raftkv!.opsPerSec),
      formatRate(r.peer!.opsPerSec),
      formatRatio(r.opsRatio),
      formatMs(r.raftkv!.p50Ms),
      formatMs(r.peer!.p50Ms),
      formatRatio(r.p50Ratio),
    ]),
  );
}

export interface TargetCheck {
  name: string;
  wanted: string;
  got: string;
  /** undefined: not measured in this run. */
  met: boolean | undefined;
}

export function targetChecks(results: WorkloadResult[]): TargetCheck[] {
  const r = (s: SystemName, w: string): WorkloadResult | undefined => find(results, s, w);
  const set64 = ratio(r('raftkv', 'set64')?.opsPerSec, r('etcd', 'set64')?.opsPerSec);
  const lin = ratio(r('raftkv', 'getlin64')?.opsPerSec, r('etcd', 'getlin64')?.opsPerSec);
  const stale = r('raftkv', 'getstale64')?.opsPerSec;
  const p50 = ratio(r('raftkv', 'set1')?.p50Ms, r('etcd', 'set1')?.p50Ms);
  return [
    { name: 'set64 vs etcd put', wanted: '>= 3.00x', got: formatRatio(set64), met: set64 === undefined ? undefined : set64 >= 3 },
    { name: 'getlin64 vs etcd linearizable range', wanted: '>= 5.00x', got: formatRatio(lin), met: lin === undefined ? undefined : lin >= 5 },
    { name: 'getstale64 vs hraftd stale reads', wanted: `>= ${formatRate(HRAFTD_STALE_REF)}/s`, got: stale === undefined ? 'n/a' : `${formatRate(stale)}/s`, met: stale === undefined ? undefined : stale >= HRAFTD_STALE_REF },
    { name: 'set1 p50 vs etcd', wanted: '<= 1.00x', got: formatRatio(p50), met: p50 === undefined ? undefined : p50 <= 1 },
  ];
}

export function targetsTable(checks: TargetCheck[]): string {
  return renderTable(
    ['target', 'wanted', 'reached', ''],
    checks.map((c) => [c.name, c.wanted, c.got, c.met === undefined ? 'not measured' : c.met ? 'met' : 'MISSED']),
    1,
  );
}

export function previousTable(rows: ComparedWorkload[]): string {
  return renderTable(
    ['system', 'workload', 'ops/s now', 'before', 'now/before', 'p50 now', 'before', 'p99 now', 'before'],
    rows.map((c) => [c.system, c.workload, formatRate(c.opsPerSec), formatRate(c.previousOpsPerSec), formatRatio(c.opsRatio), formatMs(c.p50Ms), formatMs(c.previousP50Ms), formatMs(c.p99Ms), formatMs(c.previousP99Ms)]),
    2,
  );
}

/**
 * The closing line, exactly:
 * `bench: set1 p50 <ms>ms (<r>x etcd), set64 <n>/s (<r>x etcd), getlin64 <n>/s (<r>x etcd), getstale64 <n>/s (<r>x hraftd-ref)`.
 * A figure that was not measured reads `n/a`.
 */
export function summaryLine(results: WorkloadResult[]): string {
  const r = (s: SystemName, w: string): WorkloadResult | undefined => find(results, s, w);
  const rate = (x: WorkloadResult | undefined): string => (x ? `${Math.round(x.opsPerSec)}/s` : 'n/a');
  const set1 = r('raftkv', 'set1');
  const set64 = r('raftkv', 'set64');
  const lin = r('raftkv', 'getlin64');
  const stale = r('raftkv', 'getstale64');
  return (
    `bench: set1 p50 ${set1 ? `${set1.p50Ms.toFixed(2)}ms` : 'n/a'} (${formatRatio(ratio(set1?.p50Ms, r('etcd', 'set1')?.p50Ms))} etcd), ` +
    `set64 ${rate(set64)} (${formatRatio(ratio(set64?.opsPerSec, r('etcd', 'set64')?.opsPerSec))} etcd), ` +
    `getlin64 ${rate(lin)} (${formatRatio(ratio(lin?.opsPerSec, r('etcd', 'getlin64')?.opsPerSec))} etcd), ` +
    `getstale64 ${rate(stale)} (${formatRatio(ratio(stale?.opsPerSec, HRAFTD_STALE_REF))} hraftd-ref)`
  );
}
