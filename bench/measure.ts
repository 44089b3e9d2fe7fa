// Measuring one workload on one system: a warm-up round sizes the batch,
// then a benny suite times rounds of that many requests (each round a
// closed loop on every connection, in the load-generator threads), while
// our own counters and HdrHistogram collect throughput and latency.

import b from 'benny';
import type { CaseResult } from 'benny/lib/internal/common-types.js';
import { newLatencyHistogram, summarize, type Histogram, type LatencySummary } from './histogram.js';
import type { LoadPool, LoadRound, LoadTarget } from './load/load-pool.js';
import { sleep } from '../src/kit/wait.js';

export interface MeasureOptions {
  warmupMs: number;
  /** Time benny spends on the case (its maxTime). */
  seconds: number;
  /** Wanted length of one round (one benny op). */
  roundMs: number;
  minSamples: number;
  /** Called after every round with the totals so far. */
  onRound?: (requests: number, elapsedMs: number) => void;
  /** Set when the harness is stopping: remaining rounds return at once. */
  aborted?: () => boolean;
}

export interface Measurement {
  opsPerSec: number;
  latency: LatencySummary;
  /** Every successful request's latency, for the report's percentile plots. */
  histogram: Histogram;
  requests: number;
  errors: number;
  errorSamples: string[];
  seconds: number;
  /** Requests per benny op. */
  batch: number;
  /** CPU time of this whole process (load-generator threads and all) per request, microseconds. */
  loadgenCpuUsPerRequest: number;
  /** benny's figure for the same case: ops × batch, with its relative margin of error (%) and sample count. */
  benny: { opsPerSec: number; margin: number; samples: number };
  bennyCase: CaseResult | undefined;
}

export async function measure(pool: LoadPool, target: LoadTarget, name: string, o: MeasureOptions): Promise<Measurement> {
  const warm = await pool.round(target, Infinity, o.warmupMs);
  const warmRate = warm.wallMs > 0 ? (warm.ok / warm.wallMs) * 1000 : 0;
  const perWrite = target.conns * target.pipeline;
  const batch = Math.max(perWrite, Math.round((warmRate * o.roundMs) / 1000 / perWrite) * perWrite || perWrite * 4);
  // A round normally takes roundMs; a stalled one (no leader, a dead server) ends at this bound.
  const roundLimitMs = Math.max(o.roundMs * 10, 5000);

  const histogram = newLatencyHistogram();
  const totals = { ok: 0, errors: 0, wallMs: 0, errorSamples: [] as string[] };
  const add = (r: LoadRound): void => {
    totals.ok += r.ok;
    totals.errors += r.errors;
    totals.wallMs += r.wallMs;
    for (const e of r.errorSamples) if (totals.errorSamples.length < 5 && !totals.errorSamples.includes(e)) totals.errorSamples.push(e);
    histogram.add(r.histogram);
  };

  // benny calls a case's function while it prepares the suite; only calls after the suite started are rounds.
  let armed = false;
  const round = async (): Promise<void> => {
    if (!armed) return;
    if (o.aborted?.()) {
      // benny runs the case until its maxTime whatever happens: idle instead of spinning.
      await sleep(100);
      return;
    }
    try {
      add(await pool.round(target, batch, roundLimitMs));
    } catch (e) {
      // A rejected case would end the process (benny); count it instead.
      totals.errors += batch;
      if (totals.errorSamples.length < 5) totals.errorSamples.push(String(e));
    }
    o.onRound?.(totals.ok + totals.errors, totals.wallMs);
  };
  const arm = async () => (suite: { on(event: string, fn: () => void): unknown }) => {
    suite.on('start', () => (armed = true));
    return suite;
  };
  const cpuBefore = process.cpuUsage();
  const summary = await b.suite(
    name,
    b.add(name, () => round(), { maxTime: o.seconds, minSamples: o.minSamples, delay: 0, initCount: 1 }),
    arm as unknown as Parameters<typeof b.suite>[1],
    b.cycle(() => undefined),
  );
  const cpu = process.cpuUsage(cpuBefore);
  const bennyCase = summary.results[0];
  const requests = totals.ok + totals.errors;
  return {
    opsPerSec: totals.wallMs > 0 ? (totals.ok / totals.wallMs) * 1000 : 0,
    latency: summarize(histogram),
    histogram,
    requests,
    errors: totals.errors,
    errorSamples: totals.errorSamples,
    seconds: totals.wallMs / 1000,
    batch,
    loadgenCpuUsPerRequest: requests > 0 ? (cpu.user + cpu.system) / requests : 0,
    benny: { opsPerSec: (bennyCase?.ops ?? 0) * batch, margin: bennyCase?.margin ?? 0, samples: bennyCase?.samples ?? 0 },
    bennyCase,
  };
}
