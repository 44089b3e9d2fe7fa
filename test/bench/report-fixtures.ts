// Result files for the report tests: every system and workload of a
// --compare run, with latency histograms recorded the way the harness
// records them (and p50/p90/p99/max taken from them), or without histograms
// as files written before they were kept.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeHistogram, newLatencyHistogram, summarize } from '../../bench/histogram.js';
import { targetChecks } from '../../bench/report.js';
import { resultBaseName, type BenchResultFile, type WorkloadResult } from '../../bench/result-file.js';
import { WORKLOADS, type SystemName } from '../../bench/workloads.js';

export interface RunSpec {
  startedAt: string;
  commit: string;
  /** Multiplies every rate, so runs differ. */
  scale: number;
  histograms: boolean;
  cores?: number;
  mode?: 'quick' | 'full';
}

const RATES: Record<SystemName, Record<string, number>> = {
  raftkv: { set1: 1084, set16: 7851, set64: 14069, setfwd64: 7159, getlin64: 56420, getleader64: 65320, getstale64: 72608, rset50: 16661, rget50: 67451, rset50p16: 99369, rget50p16: 407126 },
  'raftkv-os': { set1: 1669, set64: 20328 },
  'raftkv-tls': { set1: 1012, set64: 12710, getleader64: 51220, rset50: 15120, rget50: 60344 },
  etcd: { set1: 1318, set16: 5100, set64: 8992, setfwd64: 8105, getlin64: 11298, getleader64: 12694, getstale64: 12945 },
  'redis-always': { rset50: 75280, rget50: 133730, rset50p16: 531469, rget50p16: 1397703 },
  'redis-none': { rset50: 134526, rget50: 128289, rset50p16: 1276738, rget50p16: 1180269 },
};

function workloadResult(system: SystemName, workload: string, opsPerSec: number, withHistogram: boolean, seed: number): WorkloadResult {
  // A long-tailed distribution around a median that falls as the rate rises.
  const h = newLatencyHistogram();
  const medianUs = Math.max(200, Math.round(5e7 / opsPerSec));
  for (let i = 0; i < 5000; i++) {
    const u = ((i * 7919 + seed) % 5000) / 5000;
    h.recordValue(Math.round(medianUs * (0.5 + u) * (u > 0.99 ? 8 : u > 0.9 ? 2 : 1)));
  }
  const s = summarize(h);
  const w = WORKLOADS.find((x) => x.id === workload)!;
  return {
    system,
    workload,
    title: w.title,
    conns: w.conns,
    pipeline: w.pipeline,
    node: 'node0',
    opsPerSec,
    p50Ms: s.p50,
    p90Ms: s.p90,
    p99Ms: s.p99,
    maxMs: s.max,
    meanMs: s.mean,
    requests: s.count,
    errors: 0,
    errorSamples: [],
    seconds: 8,
    loadgenCpuUsPerRequest: 10,
    benny: { opsPerSec, margin: 2, samples: 30, batch: 100 },
    ...(withHistogram ? { histogram: encodeHistogram(h) } : {}),
  };
}

export function resultFile(spec: RunSpec): BenchResultFile {
  const results = (Object.keys(RATES) as SystemName[]).flatMap((system) =>
    Object.entries(RATES[system]).map(([workload, rate], i) => workloadResult(system, workload, rate * spec.scale, spec.histograms, i)),
  );
  const started = new Date(spec.startedAt);
  return {
    schema: 1,
    startedAt: started.toISOString(),
    finishedAt: new Date(started.getTime() + 300_000).toISOString(),
    mode: spec.mode ?? 'full',
    compare: true,
    target: null,
    commit: spec.commit,
    machine: { cores: spec.cores ?? 2, cpuModel: 'AMD EPYC', memoryBytes: 25276182528, os: 'Linux 6.18', loadavgStart: [1.15, 1.4, 2.39], loadavgEnd: [2.01, 2.25, 2.52] },
    versions: { node: 'v20.20.2', raftkv: '0.1.0', etcd: 'etcd Version: 3.4.23', redis: 'Redis server v=7.0.15 sha=00000000:0' },
    options: { seconds: 8, warmupSeconds: 1, threads: 1, keys: 10000, valueBytes: 16, memoryKeys: 200000, only: [] },
    config: null,
    results,
    skipped: [],
    ratios: {},
    targets: targetChecks(results),
    startToFirstWriteMs: { raftkv: 889.7, 'raftkv-os': 978.4, etcd: 559.2 },
    leaderChanges: { raftkv: { changes: 1, observations: 480, leaderless: 2, first: { leader: 'node0', term: 2 }, last: { leader: 'node1', term: 3 } } },
    memory: { keysLoaded: 200000, seconds: 2.5, caughtUp: true, rssBytes: 591904768, heapUsedBytes: { node0: 60206024 }, keysPerNode: { node0: 210001 }, errors: 0 },
    loadgenCheck: null,
    previous: null,
    summary: 'bench: (fixture)',
  };
}

/** Writes the run's result file into `dir` under the harness's name; returns its path. */
export function writeRun(dir: string, spec: RunSpec): string {
  const data = resultFile(spec);
  const file = path.join(dir, `${resultBaseName(new Date(spec.startedAt), spec.commit)}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}
