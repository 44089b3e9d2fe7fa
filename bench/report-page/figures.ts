// From result files to what the report draws: the grouped bars of
// throughput and durability, the latency distributions and the history.

import { decodeHistogram } from '../histogram.js';
import { formatRatio, formatRate } from '../report.js';
import type { WorkloadResult } from '../result-file.js';
import { WORKLOADS, type SystemName } from '../workloads.js';
import type { BarFigure, BarGroup, BarRow } from '../../src/pages/bar-chart-svg.js';
import { LABELLED_PERCENTILES, nines, type HistoryData, type LatencyChart, type LatencySeries } from './report-data.js';
import type { LoadedRun } from './runs.js';

export const SYSTEM_ORDER: readonly SystemName[] = ['raftkv', 'raftkv-os', 'raftkv-tls', 'etcd', 'redis-always', 'redis-none'];

export const SYSTEM_COLORS: Record<string, string> = {
  raftkv: '#2b6cb0',
  'raftkv-os': '#63b3ed',
  'raftkv-tls': '#553c9a',
  etcd: '#2f855a',
  'redis-always': '#c53030',
  'redis-none': '#dd6b20',
};

/** Names as a reader knows them. */
export const SYSTEM_LABELS: Record<string, string> = {
  raftkv: 'raftkv',
  'raftkv-os': 'raftkv (durability os)',
  'raftkv-tls': 'raftkv (TLS and tokens)',
  etcd: 'etcd',
  'redis-always': 'Redis appendfsync always',
  'redis-none': 'Redis no persistence',
};

const colorOf = (system: string): string => SYSTEM_COLORS[system] ?? '#718096';
const labelOf = (system: string): string => SYSTEM_LABELS[system] ?? system;

export function findResult(run: LoadedRun, system: string, workload: string): WorkloadResult | undefined {
  return run.data.results.find((r) => r.system === system && r.workload === workload);
}

/** Workload ids in the harness's order (unknown ones last), of the results matching `keep`. */
function workloadIds(runs: readonly LoadedRun[], keep: (r: WorkloadResult) => boolean): string[] {
  const ids = new Set(runs.flatMap((run) => run.data.results.filter(keep).map((r) => r.workload)));
  const known = WORKLOADS.map((w) => w.id).filter((id) => ids.has(id));
  return [...known, ...[...ids].filter((id) => !known.includes(id)).sort()];
}

const protoOf = (workload: string): 'http' | 'resp' => WORKLOADS.find((w) => w.id === workload)?.proto ?? (workload.startsWith('r') ? 'resp' : 'http');

/** Older runs lighter: the newest is solid. */
const runOpacity = (i: number, n: number): number => (n === 1 ? 1 : 0.35 + (0.65 * i) / (n - 1));

function groupsOf(runs: readonly LoadedRun[], workloads: string[], systems: readonly string[], ratioOf: (workload: string) => string[] | undefined): BarGroup[] {
  const several = runs.length > 1;
  return workloads
    .map((workload) => ({
      workload,
      ratio: ratioOf(workload),
      bars: systems.flatMap((system) =>
        runs.flatMap((run, i) => {
          const r = findResult(run, system, workload);
          if (!r) return [];
          const label = several ? `${labelOf(system)} ${run.data.commit}` : labelOf(system);
          return [{ label, system, color: colorOf(system), opacity: runOpacity(i, runs.length), value: r.opsPerSec, title: `${label}, ${workload}: ${formatRate(r.opsPerSec)} ops/s, p50 ${r.p50Ms} ms` }];
        }),
      ),
    }))
    .filter((g) => g.bars.length > 0)
    .map(({ ratio, ...g }) => (ratio === undefined ? g : { ...g, ratio }));
}

function legendOf(rows: BarRow[]): BarFigure['legend'] {
  const seen = new Map<string, BarFigure['legend'][number]>();
  for (const row of rows) for (const g of row.groups) for (const b of g.bars) if (!seen.has(b.label)) seen.set(b.label, { label: b.label, color: b.color, opacity: b.opacity });
  return [...seen.values()];
}

const opsOf = (run: LoadedRun, system: string, workload: string): number | undefined => findResult(run, system, workload)?.opsPerSec;
const ratioText = (a: number | undefined, b: number | undefined): string | undefined => (a === undefined || b === undefined || b === 0 ? undefined : formatRatio(a / b));

/**
 * Throughput of raftkv beside etcd (HTTP workloads) and Redis, appendfsync
 * always and none (RESP workloads). Each group says raftkv's ratio to the
 * peer in the newest run; with several runs, the newest raftkv over the oldest.
 */
export function throughputFigure(runs: readonly LoadedRun[], caption: string[]): BarFigure {
  const newest = runs[runs.length - 1]!;
  const oldest = runs[0]!;
  const several = runs.length > 1;
  const vsRuns = (w: string): string[] | undefined => {
    const r = ratioText(opsOf(newest, 'raftkv', w), opsOf(oldest, 'raftkv', w));
    return r === undefined ? undefined : [`raftkv ${r}`];
  };
  const peers = (w: string, names: [string, string][]): string[] | undefined => {
    const parts = names.flatMap(([system, short]) => {
      const r = ratioText(opsOf(newest, 'raftkv', w), opsOf(newest, system, w));
      return r ? [`${r} ${short}`] : [];
    });
    return parts.length > 0 ? parts : undefined;
  };
  // raftkv against itself (durability os, TLS) has charts of its own.
  const isPeerComparison = (r: WorkloadResult): boolean => r.system !== 'raftkv-os' && r.system !== 'raftkv-tls';
  const http = workloadIds(runs, (r) => isPeerComparison(r) && protoOf(r.workload) === 'http');
  const resp = workloadIds(runs, (r) => isPeerComparison(r) && protoOf(r.workload) === 'resp');
  const rows: BarRow[] = [
    { title: several ? 'HTTP: raftkv and etcd, run by run (ratio: newest raftkv / oldest)' : 'HTTP: raftkv and etcd 3-node clusters (ratio: raftkv / etcd)', groups: groupsOf(runs, http, ['raftkv', 'etcd'], several ? vsRuns : (w) => peers(w, [['etcd', 'etcd']])) },
    {
      title: several ? 'Redis protocol: raftkv and Redis, run by run (ratio: newest raftkv / oldest)' : 'Redis protocol: raftkv and one Redis (ratios: raftkv / Redis always, raftkv / Redis none)',
      groups: groupsOf(runs, resp, ['raftkv', 'redis-always', 'redis-none'], several ? vsRuns : (w) => peers(w, [['redis-always', 'always'], ['redis-none', 'none']])),
    },
  ].filter((r) => r.groups.length > 0);
  return { title: 'Throughput, operations per second (higher is better)', rows, legend: legendOf(rows), caption };
}

/** What fsync costs: raftkv with durability os beside fsync, on the workloads both ran. */
export function durabilityFigure(runs: readonly LoadedRun[]): BarFigure | undefined {
  const newest = runs[runs.length - 1]!;
  const ids = workloadIds(runs, (r) => r.system === 'raftkv-os');
  const groups = groupsOf(runs, ids, ['raftkv', 'raftkv-os'], (w) => {
    const r = ratioText(opsOf(newest, 'raftkv-os', w), opsOf(newest, 'raftkv', w));
    return r === undefined ? undefined : [`os ${r}`];
  });
  if (groups.length === 0) return undefined;
  const rows = [{ title: 'raftkv, durability fsync (synchronous=FULL) and os (synchronous=NORMAL); ratio os / fsync', groups }];
  return { title: 'Durability os against fsync, operations per second', rows, legend: legendOf(rows), caption: [] };
}

/** Points of a saved histogram from p50 to p99.99, as far as its sample count reaches. */
function histogramPoints(encoded: string): { points: [number, number][]; count: number; p999: number; p9999: number } | undefined {
  let h;
  try {
    h = decodeHistogram(encoded);
  } catch {
    return undefined;
  }
  const count = h.totalCount;
  if (count === 0) return undefined;
  const reach = Math.min(4, Math.log10(count));
  const xs = new Set<number>([nines(50)]);
  for (let x = 0.4; x < reach + 1e-9; x += 0.1) xs.add(Math.round(x * 10) / 10);
  for (const p of LABELLED_PERCENTILES) if (nines(p) <= reach + 1e-9) xs.add(nines(p));
  const points = [...xs].sort((a, b) => a - b).map((x): [number, number] => [x, h.getValueAtPercentile(100 * (1 - 10 ** -x)) / 1000]);
  return { points, count, p999: h.getValueAtPercentile(99.9) / 1000, p9999: h.getValueAtPercentile(99.99) / 1000 };
}

/** One chart per workload: the latency distribution of every system (and run) that ran it. */
export function latencyCharts(runs: readonly LoadedRun[]): LatencyChart[] {
  const several = runs.length > 1;
  return workloadIds(runs, () => true).map((workload) => {
    const series: LatencySeries[] = [];
    for (const system of [...SYSTEM_ORDER, ...new Set(runs.flatMap((r) => r.data.results.map((x) => x.system)))].filter((s, i, all) => all.indexOf(s) === i)) {
      for (const run of runs) {
        const r = findResult(run, system, workload);
        if (!r) continue;
        const label = several ? `${labelOf(system)} ${run.data.commit}` : labelOf(system);
        const h = r.histogram ? histogramPoints(r.histogram) : undefined;
        const points: [number, number][] = h ? h.points : ([[nines(50), r.p50Ms], [nines(90), r.p90Ms], [nines(99), r.p99Ms]] as [number, number][]).filter(([, ms]) => ms > 0);
        const summary = { p50: r.p50Ms, p90: r.p90Ms, p99: r.p99Ms, ...(h ? { p999: h.p999, p9999: h.p9999 } : {}), max: r.maxMs };
        series.push({ label, system, color: colorOf(system), points, fromHistogram: h !== undefined, count: h?.count ?? r.requests, summary });
      }
    }
    const title = WORKLOADS.find((w) => w.id === workload)?.title ?? workload;
    return { id: `latency-${workload}`, workload, title, series };
  });
}

/** Every workload across the runs of this machine, one point per commit. */
export function historyData(history: readonly LoadedRun[]): HistoryData {
  const points = history.map((r) => ({ commit: r.data.commit, file: `${r.base}.json`, startedAt: r.data.startedAt, mode: r.data.mode }));
  const charts = workloadIds(history, () => true).map((workload) => ({
    id: `history-${workload}`,
    workload,
    title: WORKLOADS.find((w) => w.id === workload)?.title ?? workload,
    series: SYSTEM_ORDER.map((system) => ({ system: labelOf(system), color: colorOf(system), values: history.map((run) => opsOf(run, system, workload) ?? null) })).filter((s) => s.values.some((v) => v !== null)),
  }));
  return { points, charts };
}
