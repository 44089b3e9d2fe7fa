// A measured workload with round numbers, for the report and result-file tests.

import type { WorkloadResult } from '../../bench/result-file.js';
import type { SystemName } from '../../bench/workloads.js';

export function result(system: SystemName, workload: string, opsPerSec: number, p50Ms: number): WorkloadResult {
  return {
    system,
    workload,
    title: workload,
    conns: 64,
    pipeline: 1,
    node: 'node0',
    opsPerSec,
    p50Ms,
    p90Ms: p50Ms * 2,
    p99Ms: p50Ms * 4,
    maxMs: p50Ms * 8,
    meanMs: p50Ms,
    requests: Math.round(opsPerSec * 8),
    errors: 0,
    errorSamples: [],
    seconds: 8,
    loadgenCpuUsPerRequest: 5,
    benny: { opsPerSec, margin: 1.5, samples: 30, batch: 100 },
  };
}
